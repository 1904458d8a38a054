package pipeline

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
)

// expectation is one model event a simulated incident must produce.
type expectation struct {
	at      int64 // when the simulator made the change
	typ     state.EventType
	subject string // clock identity the event is about ("" to match any)
	before  string
	after   string
	what    string // the simulator's description, for failure messages
	matched bool
}

// observable maps a simulator event to the model event a passive monitor
// can and must raise for it; ok is false for changes a tap cannot see
// (a follower's LISTENING state, a parent change without traffic to show
// it, a clock starting).
func observable(n *sim.Network, e sim.Event) (expectation, bool) {
	x := expectation{at: e.At, what: e.String()}
	id := ""
	if e.Clock != "" {
		if c, ok := n.Identity(e.Clock); ok {
			id = c.String()
		}
	}
	switch e.Kind {
	case sim.EventGrandmasterChanged:
		x.typ, x.before, x.after = state.GrandmasterChanged, e.OldGM.String(), e.NewGM.String()
	case sim.EventGrandmasterQualityChanged:
		x.typ = state.GrandmasterQualityChanged
	case sim.EventMasterSilent:
		x.typ, x.subject = state.MasterSilent, id
	case sim.EventSyncResumed:
		x.typ, x.subject = state.MasterResumed, id
	case sim.EventSequenceGap:
		x.typ, x.subject = state.SequenceGap, id
	case sim.EventDuplicateIdentity:
		x.typ, x.subject = state.DuplicateIdentity, e.Identity.String()
	case sim.EventPortStateChanged:
		if e.From.String() != "MASTER" || e.To.String() != "PASSIVE" {
			return x, false
		}
		x.typ, x.subject, x.before, x.after = state.PortStateChanged, id, "MASTER", "PASSIVE"
	default:
		return x, false
	}
	return x, true
}

// consequential lists model events that follow from others and need no
// simulator counterpart of their own.
func consequential(e state.Event) bool {
	switch e.Type {
	case state.ScopeDetected, state.DeviceDetected, state.PortDetected, state.InstanceDetected,
		state.LocalQualityChanged, state.CaptureStarted, state.CaptureStopped:
		return true
	case state.MasterResumed:
		return strings.HasPrefix(e.Detail, "announces again") // a stopped master came back
	case state.PortStateChanged:
		return e.After == "MASTER" // a master taking over shows as Grandmaster Changed
	}
	return false
}

// TestDemoScenarioEvents plays the demo's scripted incidents (failover and
// recovery, clockClass degradation, a rogue master, a duplicated identity,
// sync loss, a sequence gap, a follower restart) through the pipeline and
// checks that the model raises the events each must produce, each within
// ten seconds after (or three before) the change (timeouts take a few announce intervals), and
// no others.
func TestDemoScenarioEvents(t *testing.T) {
	n, m := runDemoScenario(t, 15*time.Minute)

	want := expectedEvents(n)
	if len(want) < 10 {
		t.Fatalf("only %d observable incidents in the demo scenario", len(want))
	}
	// The model may see a change up to a few seconds before the simulator
	// counts it done: a new grandmaster's first Announce arrives before
	// followers qualify it (two announce intervals).
	const window, early = int64(10 * time.Second), int64(3 * time.Second)
	extra := unexplained(m.Events.Events(0, 0), want, window, early, sim.DefaultStart)
	for _, s := range extra {
		t.Errorf("model raised an event no incident explains: %s", s)
	}
	for _, x := range want {
		if !x.matched {
			t.Errorf("no %s event for incident: %.1fs %s", x.typ, float64(x.at-sim.DefaultStart)/1e9, x.what)
		}
	}
}

// expectedEvents lists the events the model should raise for the
// simulator's incidents.
func expectedEvents(n *sim.Network) []*expectation {
	var want []*expectation
	for _, e := range n.Events() {
		if x, ok := observable(n, e); ok {
			want = append(want, &x)
		}
	}
	return want
}

// unexplained matches events against want, each expectation at most once
// and from early before to window after its incident, and returns the
// events no incident explains, timed from start.
func unexplained(events []state.Event, want []*expectation, window, early, start int64) []string {
	var extra []string
	for _, e := range events {
		if consequential(e) {
			continue
		}
		found := false
		for _, x := range want {
			if x.matched || x.typ != e.Type || e.Time < x.at-early || e.Time > x.at+window {
				continue
			}
			if x.subject != "" && !strings.HasPrefix(e.Subject, x.subject) {
				continue
			}
			if x.before != "" && (e.Before != x.before || e.After != x.after) {
				continue
			}
			x.matched, found = true, true
			break
		}
		if !found {
			extra = append(extra, fmt.Sprintf("%.1fs %s %s %s %s->%s (%s)", float64(e.Time-start)/1e9, e.Type, e.Scope, e.Subject, e.Before, e.After, e.Detail))
		}
	}
	return extra
}

// runDemoScenario runs the demo network with its scripted incidents for d
// of simulated time through a two-shard model and ticks it at the end.
func runDemoScenario(t *testing.T, d time.Duration) (*sim.Network, *state.Model) {
	t.Helper()
	cfg := sim.DefaultDemo()
	cfg.Scenario = sim.DemoScenario()
	n, err := sim.New(cfg, sim.Options{Seed: 1, Duration: d})
	if err != nil {
		t.Fatal(err)
	}
	m := state.NewModel(2, nil)
	p := New(m)
	if err := p.Run(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	p.Tick(n.Now())
	return n, m
}
