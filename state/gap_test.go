package state

import (
	"slices"
	"testing"

	"github.com/ptpwatch/ptpwatch/decode"
)

// TestCaptureGap checks Model.CaptureGap: a stretch in which capture did
// not run, longer than the announce receipt timeout, raises no Master
// Silent, Sequence Gap or port state change, and the sequenceIds sent
// meanwhile count as not observed; a master that stops while capture runs
// is still Master Silent, and a gap in its sequenceIds still a Sequence
// Gap.
func TestCaptureGap(t *testing.T) {
	gm, a, b := port(1), port(2), port(3)
	second := func(n *testNet, gmOn bool) {
		if gmOn {
			gmSecond(n, gm)
		}
		n.lead(a, 0, gm.Clock, 1, 6) // relays gm: yields (PASSIVE) if it stops while gm announces
		n.follow(b, gm, 0)
		n.now += 1e9
	}
	for _, tc := range []struct {
		name string
		gap  bool // capture stopped: CaptureGap before the first frame after it
	}{{"capture stopped", true}, {"network silent, capture running", false}} {
		t.Run(tc.name, func(t *testing.T) {
			n := newTestNet(t)
			hw := &healthWatcher{}
			n.m.Shard(0).SetWatcher(hw)
			for range 10 {
				second(n, true)
			}
			// 3.8 s without frames (receipt timeout 3.5 s); the clocks
			// went on numbering their messages.
			n.now += 3_800_000_000
			for k := range n.seq {
				n.seq[k] += 4
			}
			if tc.gap {
				n.m.CaptureGap()
			}
			for range 10 {
				second(n, true)
			}
			s := n.snapshot()
			silent, gaps, changed := n.events(MasterSilent), n.events(SequenceGap), n.events(PortStateChanged)
			var unobserved uint64
			for _, in := range s.Instances {
				for _, c := range in.Counters {
					unobserved += c.SequenceNotObserved
				}
			}
			if !tc.gap {
				if len(silent) == 0 || len(gaps) == 0 || hw.gaps() == 0 {
					t.Errorf("silence with capture running: Master Silent %d, Sequence Gap %d, Health gaps %d, want all",
						len(silent), len(gaps), hw.gaps())
				}
				return
			}
			if g := hw.gaps(); g != 0 {
				t.Errorf("Health counted %d sequenceIds skipped while capture did not run", g)
			}
			for _, l := range [][]Event{silent, gaps, changed} {
				for _, e := range l {
					t.Errorf("event for the time capture did not run: %s %s %s→%s (%s)", e.Type, e.Subject, e.Before, e.After, e.Detail)
				}
			}
			if unobserved == 0 {
				t.Error("no sequenceIds counted as not observed")
			}
			if in := s.instance(v2Domain0, a); in == nil || in.PortState != StateMaster || in.Silent {
				t.Errorf("relaying master after the gap: %+v, want MASTER, not silent", in)
			}
			if d := s.device(b.Clock); d == nil || len(d.Roles) != 1 || len(d.RoleHistory) != 0 {
				t.Errorf("follower after the gap: %+v, want its role unbroken", d)
			}

			// Now gm really stops, with capture running.
			for range 6 {
				second(n, false)
			}
			n.snapshot()
			if got := n.events(MasterSilent); len(got) != 1 || got[0].Subject != gm.String() {
				t.Errorf("Master Silent %+v, want one for %s", got, gm)
			}
			// And skips sequenceIds.
			for range 2 {
				second(n, true)
			}
			n.seq[seqKey{gm, decode.Sync}] += 3
			second(n, true)
			if got := n.events(SequenceGap); len(got) != 1 {
				t.Errorf("Sequence Gap %+v, want one", got)
			}
			if g := hw.gaps(); g != 3 {
				t.Errorf("Health counted %d sequenceIds skipped, want gm's 3", g)
			}
		})
	}
}

// healthWatcher keeps the Health of every port the shard shows it.
type healthWatcher struct{ hs []*Health }

func (w *healthWatcher) ScopeSeen(*Observation, ScopeSlot) {}
func (w *healthWatcher) Tick(int64)                        {}
func (w *healthWatcher) Observe(_ *Observation, sl Slots) {
	if sl.Health != nil && !slices.Contains(w.hs, sl.Health) {
		w.hs = append(w.hs, sl.Health)
	}
}

// gaps is the sequenceIds skipped its ports' Health counted, in the
// current minute and the one before.
func (w *healthWatcher) gaps() (n uint32) {
	for _, h := range w.hs {
		n += h.Cur[HealthGaps] + h.Prev[HealthGaps]
	}
	return n
}
