package alarm

import (
	"io"
	"log/slog"
	"testing"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/store"
)

// TestInstancesAcrossRestart: with a real Pebble store, an alarm instance
// that fired and was acknowledged is still active and acknowledged, with
// its history, in a new engine over the reopened store; it raises no
// second Custom Alarm Triggered while its condition holds, clears with a
// Custom Alarm Cleared when the condition goes, and that clearing is
// itself kept for the next start. Instances of an alarm no longer
// defined are forgotten.
func TestInstancesAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	open := func() *store.Store {
		t.Helper()
		s, err := store.Open(dir, store.Options{MinFreeBytes: -1, BallastBytes: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const a, b = "/api/v1/scopes/a/grandmaster/clockClass", "/api/v1/scopes/b/grandmaster/clockClass"
	def := Definition{Name: "gm-class", Path: "/api/v1/scopes/*/grandmaster/clockClass", Condition: Condition{Op: Gt, Value: "6"}, Source: "config"}
	stuck := Definition{Name: "stuck", Path: "/api/v1/instances/x/offset", Condition: Condition{Op: Unchanged, Seconds: 3}, Source: "config"}
	w := world{a: "6", b: "248", "/api/v1/instances/x/offset": "12"}
	// start starts an engine over the store with the configured definitions.
	start := func(s *store.Store, evs *[]state.Event, defs ...Definition) *Engine {
		t.Helper()
		e := New(func(ev state.Event) { *evs = append(*evs, ev) })
		for _, d := range defs {
			must(e.Set(d))
		}
		must(e.Persist(s))
		return e
	}

	s := open()
	var evs []state.Event
	e := start(s, &evs, def, stuck)
	must(e.Evaluate(0, w.resolve))
	w[a] = "7"
	for at := int64(1); at <= 4; at++ {
		must(e.Evaluate(at*sec, w.resolve))
	}
	if len(evs) != 3 {
		t.Fatalf("before the restart: %d events %+v, want a and b triggered and stuck", len(evs), evs)
	}
	must(e.Acknowledge("gm-class", a, "alice", "on it", 5*sec))
	must(s.Close())

	// Restart: the acknowledgement and both active instances are back.
	s = open()
	evs = nil
	e = start(s, &evs, def, stuck)
	ins := e.Instances()
	if len(ins) != 3 || !ins[0].Active || !ins[1].Active || !ins[2].Active {
		t.Fatalf("instances after the restart: %+v", ins)
	}
	if ins[0].Path != a || ins[0].Ack == nil || ins[0].Ack.Who != "alice" || ins[0].Ack.Note != "on it" ||
		len(ins[0].History) != 2 || ins[0].Since != 1*sec {
		t.Fatalf("acknowledged instance after the restart: %+v", ins[0])
	}
	if ins[1].Path != b || ins[1].Ack != nil {
		t.Fatalf("unacknowledged instance after the restart: %+v", ins[1])
	}
	for at := int64(10); at <= 12; at++ {
		must(e.Evaluate(at*sec, w.resolve))
	}
	if len(evs) != 0 {
		t.Fatalf("after the restart, conditions still holding raised %+v", evs)
	}
	w[b] = "6"
	must(e.Evaluate(13*sec, w.resolve))
	if len(evs) != 1 || evs[0].Type != state.CustomAlarmCleared || evs[0].Subject != "gm-class "+b {
		t.Fatalf("after b's value went back: %+v", evs)
	}
	must(s.Close())

	// Another restart, without the stuck alarm: b stays cleared with its
	// history, a active, stuck's instance is gone from the store.
	s = open()
	defer s.Close()
	evs = nil
	e = start(s, &evs, def)
	ins = e.Instances()
	if len(ins) != 2 || !ins[0].Active || ins[0].Path != a || ins[1].Active || ins[1].Path != b || len(ins[1].History) != 2 {
		t.Fatalf("instances after the second restart: %+v", ins)
	}
	recs, err := s.AlarmRecords("state")
	if err != nil || len(recs) != 2 {
		t.Fatalf("stored instances %d %v, want 2 (stuck's forgotten)", len(recs), err)
	}
}
