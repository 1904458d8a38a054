package fault

import (
	"testing"

	"github.com/ptpwatch/ptpwatch/state"
)

// TestFindingOf reads back the events the Book itself raises when
// findings open and close, so that a change of their wording cannot
// silently break the packages that follow findings through events.
func TestFindingOf(t *testing.T) {
	log := state.NewEventLog(64)
	b := newBook(log)
	rogue := b.raise(report{kind: RogueMaster, severity: state.Critical, scope: "d0", subject: "aa-1", explanation: "claims better quality", at: 1})
	fail := b.raise(report{kind: Failover, severity: state.Notice, scope: "d0", subject: "gm", explanation: "backup took over", at: 2})
	b.release(RogueMaster, 0, "aa-1", "d0", 3, "gone")
	b.release(Failover, 0, "gm", "d0", 4, "grandmaster back")
	want := []FindingEvent{{rogue, RogueMaster, true}, {fail, Failover, true}, {rogue, RogueMaster, false}, {fail, Failover, false}}
	evs := log.Events(0, 100)
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(evs), len(want), evs)
	}
	for i, e := range evs {
		got, ok := FindingOf(&e)
		if !ok || got != want[i] {
			t.Errorf("event %d %+v: FindingOf = %+v, %v; want %+v", i, e, got, ok, want[i])
		}
	}
	for _, e := range []state.Event{
		{Type: "Master Silent", After: "open", Detail: "no Sync for 3 s"},
		{Type: "Custom Alarm Triggered", After: "closed", Detail: "finding x: y"},
		{Type: RogueMaster, Detail: "finding 3: z"},
		{Type: RogueMaster, After: "open", Detail: "finding : z"},
	} {
		if f, ok := FindingOf(&e); ok {
			t.Errorf("%+v read as finding %+v", e, f)
		}
	}
}
