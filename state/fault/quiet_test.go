package fault

import (
	"context"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
)

// TestQuietScopeSkipsTicks: a settled scope with one grandmaster is
// evaluated at about one tick in three (when its announcer may have
// fallen silent, or a message check is due), not at every tick, and
// stays without findings.
func TestQuietScopeSkipsTicks(t *testing.T) {
	e, m, _ := runSim(t, smallNet(), DefaultConfig(), 5*time.Minute, 1)
	if v := verdicts(m); len(v) != 0 {
		t.Fatalf("verdicts on a steady network: %v", v)
	}
	d := e.dets[0]
	if len(d.list) != 1 {
		t.Fatalf("%d scopes, want 1", len(d.list))
	}
	s := d.list[0]
	// evaluations after the 30 s of learning, against the ticks since
	ticks := uint64((5*time.Minute - 30*time.Second) / time.Second)
	if s.epoch == 0 || s.epoch > ticks/2 {
		t.Fatalf("the quiet scope was evaluated %d times in %d ticks, want fewer than half", s.epoch, ticks)
	}
	t.Logf("%d evaluations in %d ticks", s.epoch, ticks)
}

// TestQuietScopeLeapSecond: a grandmaster keeps announcing the UTC offset
// it had when the leap-second table's TAI−UTC changes under it. Nothing
// in its frames changes, so only the tick can see it; the scope being
// quiet must not delay the verdict past the first tick after midnight.
func TestQuietScopeLeapSecond(t *testing.T) {
	midnight := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	start := midnight - int64(2*time.Minute)
	n, err := sim.New(smallNet(), sim.Options{Seed: 1, Start: start, Duration: 3 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.LeapSeconds = append(cfg.LeapSeconds, "2030-01-01 38")
	m := state.NewModel(1, nil)
	e, err := New(cfg, m.Events)
	if err != nil {
		t.Fatal(err)
	}
	e.Attach(m)
	if err := pipeline.New(m).Run(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	var got []state.Event
	for _, ev := range m.Events.Events(0, 0) {
		if isVerdict(ev.Type) {
			got = append(got, ev)
		}
	}
	gm := id(t, n, "gm-a") + " currentUtcOffset"
	if len(got) != 1 || got[0].Type != TimePropertiesMismatch || got[0].Subject != gm {
		t.Fatalf("verdicts %+v, want one Time Properties Mismatch for %s", got, gm)
	}
	if at := time.Duration(got[0].Time - midnight); at < 0 || at > 1100*time.Millisecond {
		t.Fatalf("Time Properties Mismatch %v after the table's change, want within the first tick", at)
	}
}
