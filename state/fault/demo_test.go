package fault

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
)

// runSim plays cfg for d through a model with shards shards and an engine
// judging by fc, and returns the engine and the model.
func runSim(t *testing.T, cfg sim.Config, fc Config, d time.Duration, shards int) (*Engine, *state.Model, *sim.Network) {
	t.Helper()
	n, err := sim.New(cfg, sim.Options{Seed: 1, Duration: d})
	if err != nil {
		t.Fatal(err)
	}
	m := state.NewModel(shards, nil)
	e, err := New(fc, m.Events)
	if err != nil {
		t.Fatal(err)
	}
	e.Attach(m)
	p := pipeline.New(m)
	if err := p.Run(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	p.Tick(n.Now())
	return e, m, n
}

// verdicts lists the fault events in the log as "at kind subject".
func verdicts(m *state.Model, start int64) []string {
	var out []string
	for _, e := range m.Events.Events(0, 0) {
		if !isVerdict(e.Type) {
			continue
		}
		out = append(out, fmt.Sprintf("%6.1fs %s %s %s [%s]", float64(e.Time-start)/1e9, e.Type, e.Subject, e.After, e.Detail))
	}
	return out
}

func isVerdict(t state.EventType) bool {
	if t == Recovered || t == FindingClosed {
		return true
	}
	for _, k := range Kinds {
		if k.Kind == t {
			return true
		}
	}
	return false
}

func TestDemoExplore(t *testing.T) {
	cfg := sim.DefaultDemo()
	cfg.Scenario = sim.DemoScenario()
	_, m, _ := runSim(t, cfg, DefaultConfig(), 15*time.Minute, 2)
	for _, v := range verdicts(m, sim.DefaultStart) {
		t.Log(v)
	}
}
