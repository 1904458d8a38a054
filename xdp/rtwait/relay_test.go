package rtwait

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// runRelay runs members goroutines (locked, each with a Reserve) over r
// and waits for them to end.
func runRelay(t *testing.T, r *Relay, members []int) {
	t.Helper()
	var wg sync.WaitGroup
	for _, i := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			Reserve()
			defer Release()
			r.Member(i)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("relay did not end within a minute: %+v", r.Stats())
	}
}

// TestRelayTakesTurns: three members share a loop of steps, some of which
// wait; every step runs once, no two at a time (the loop's state is
// unguarded: the race detector and the exact count check that), and the
// loop passes from member to member.
func TestRelayTakesTurns(t *testing.T) {
	const want = 30000
	steps := 0
	ran := map[int]int{} // steps run, by the member that owned the loop
	var r *Relay
	r = NewRelay(3, time.Millisecond, func() (bool, bool) {
		steps++
		ran[int(r.state.Load()>>1)]++ // owned(i) while member i steps
		if steps%1000 == 0 {
			time.Sleep(100 * time.Microsecond) // an idle wait
			return steps < want, true
		}
		return steps < want, false
	})
	runRelay(t, r, []int{0, 1, 2})
	if steps != want {
		t.Fatalf("ran %d steps, want %d", steps, want)
	}
	st := r.Stats()
	if st.Handoffs == 0 {
		t.Fatalf("no hand-overs in %d steps over 3 ms of waits: %+v", steps, st)
	}
	for i := range 3 {
		if ran[i] == 0 {
			t.Errorf("member %d never ran the loop (%v, %+v)", i, ran, st)
		}
	}
}

// TestRelayWithdrawsUnansweredOffer: a member that says it waits but never
// answers (as one preempted while waiting) is offered the loop, the offer
// is withdrawn, and the owner goes on.
func TestRelayWithdrawsUnansweredOffer(t *testing.T) {
	steps := 0
	r := NewRelay(2, 200*time.Microsecond, func() (bool, bool) {
		steps++
		time.Sleep(50 * time.Microsecond)
		return steps < 200, true
	})
	r.members[1].ready.Store(true) // member 1 never runs
	runRelay(t, r, []int{0})
	st := r.Stats()
	if steps != 200 || st.Withdrawn == 0 || st.Handoffs != 0 {
		t.Fatalf("steps %d, stats %+v; want 200 steps, withdrawn offers, no hand-overs", steps, st)
	}
}

// TestRelayAlone: with no other member waiting the owner runs every step.
func TestRelayAlone(t *testing.T) {
	steps := 0
	r := NewRelay(3, 100*time.Microsecond, func() (bool, bool) {
		steps++
		time.Sleep(20 * time.Microsecond)
		return steps < 500, true
	})
	runRelay(t, r, []int{0})
	if st := r.Stats(); steps != 500 || st.Lonely == 0 || st.Handoffs != 0 {
		t.Fatalf("steps %d, stats %+v; want 500 steps and lonely slices", steps, st)
	}
}

// TestRelayEndsWaitingMembers: members still waiting for their turn end
// when the owner's step says there is no more.
func TestRelayEndsWaitingMembers(t *testing.T) {
	r := NewRelay(4, time.Hour, func() (bool, bool) { return false, false })
	runRelay(t, r, []int{0, 1, 2, 3})
}
