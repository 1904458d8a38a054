package state

import (
	"strings"
	"testing"
)

// TestSyncLossIsAProblem is issue 14's "a master that stopped sending Sync
// looks healthy": a grandmaster that goes on announcing but stops Sync is
// silent in the API and an active problem of its scope, with the time the
// Sync stopped, until Sync comes back.
func TestSyncLossIsAProblem(t *testing.T) {
	gm := port(1)
	n := newTestNet(t)
	var stopped int64
	s := n.play(func(n *testNet, s int) {
		n.announce(gm, 0, gm.Clock, 0, 6)
		if s < 4 {
			n.sync(gm, 0)
			stopped = n.now
		}
	})
	in := s.instance(v2Domain0, gm)
	if in == nil || !in.Silent {
		t.Fatalf("instance %+v: want silent while it announces without Sync", in)
	}
	if len(s.Scopes) != 1 {
		t.Fatalf("%d scopes", len(s.Scopes))
	}
	ps := s.Scopes[0].Problems
	if len(ps) != 1 || ps[0].Type != MasterSilent || ps[0].Subject != gm.String() || ps[0].Since != stopped || !strings.Contains(ps[0].Detail, "no Sync") {
		t.Errorf("scope problems %+v, want the grandmaster's Sync loss since %d", ps, stopped)
	}
	if got := n.events(MasterSilent); len(got) != 1 {
		t.Errorf("Master Silent events %+v, want one", got)
	}
	// Sync again: no longer silent, no problem.
	for range 2 {
		n.announce(gm, 0, gm.Clock, 0, 6)
		n.sync(gm, 0)
		n.now += 1e9
	}
	s = n.snapshot()
	if in := s.instance(v2Domain0, gm); in == nil || in.Silent {
		t.Errorf("instance %+v: want not silent once Sync is back", in)
	}
	if ps := s.Scopes[0].Problems; len(ps) != 0 {
		t.Errorf("scope problems %+v after Sync came back, want none", ps)
	}
}
