package manage

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// TestDemoAnswers sweeps the demo network through Attach, as
// `ptpwatch --demo` does: its clocks answer from the simulator's truth,
// some partially and one not at all, and every port the truth has in a
// swept scope, PASSIVE ones included, appears in the model with its state
// from management.
func TestDemoAnswers(t *testing.T) {
	n, err := sim.New(sim.DefaultDemo(), sim.Options{Start: time.Now().UnixNano(), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	src := NewDemoSource(&source.Pacer{Source: n, Speed: 1}, n)
	model := state.NewModel(1, state.NewEventLog(10000))
	pipe := pipeline.New(model)
	pipe.Live = true
	s := Defaults()
	s.CollectMs, s.Rate, s.GlobalRate, s.TimeoutMs, s.Retries = 1000, 200, 200, 300, 0
	m, stop, err := Attach(s, DefaultMasterSettings(), src, pipe, nil, model.Snapshot, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil || m == nil {
		t.Fatalf("Attach: %v %v", m, err)
	}
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); pipe.Run(ctx, src) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(20 * time.Second)
	hasV1 := func() bool {
		for _, sc := range SeenScopes(model.Snapshot()) {
			if sc.V1() {
				return true
			}
		}
		return false
	}
	for len(SeenScopes(model.Snapshot())) < 2 || !hasV1() {
		if time.Now().After(deadline) {
			t.Fatal("the demo's scopes were not seen")
		}
		time.Sleep(100 * time.Millisecond)
	}
	sum := m.Sweep(ctx)
	t.Logf("sweep: %+v", sum)
	if sum.Online == 0 || sum.Partial == 0 || sum.Nodes == 0 {
		t.Errorf("want online and partial nodes: %+v", sum)
	}
	time.Sleep(500 * time.Millisecond)
	snap := model.Snapshot()
	byState := map[state.PortState]int{}
	for _, in := range snap.Instances {
		if in.StateSource == state.Management {
			byState[in.PortState]++
		}
	}
	t.Logf("instances with their state from management: %v", byState)
	if byState[state.StateMaster] == 0 || byState[state.StateSlave] == 0 {
		t.Errorf("management states in the model: %v", byState)
	}
	// The demo's PTPv1 island answers PTPv1 management.
	v1 := 0
	for _, nv := range m.Status().Nodes {
		if nv.Version == 1 && nv.Status != Offline && nv.Reported.PortStates["1"] != "" {
			v1++
		}
	}
	if v1 == 0 {
		t.Errorf("no PTPv1 node answered the sweep")
	}
	t.Logf("PTPv1 nodes: %d", v1)
	// The demo's backup grandmaster is PASSIVE and sends nothing: only
	// management shows it.
	if byState[state.StatePassive] == 0 {
		t.Errorf("no PASSIVE port from management: %v", byState)
	}
}
