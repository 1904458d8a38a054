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

// TestRelayGoesQuiet: a loop that only waits lets the relay go quiet
// (the other members wait without passing through the scheduler), and
// its first step that does not wait wakes them to take turns again.
func TestRelayGoesQuiet(t *testing.T) {
	steps := 0
	var r *Relay
	var atQuiet, beforeBusy RelayStats
	const idleSteps = 400
	r = NewRelay(3, time.Millisecond, func() (bool, bool) {
		steps++
		switch {
		case steps < idleSteps:
			time.Sleep(500 * time.Microsecond) // an idle wait
			if steps == idleSteps/2 {
				atQuiet = r.Stats() // quiet by now: 50 ms of waits is under 100 steps
			}
			return true, true
		case steps == idleSteps:
			beforeBusy = r.Stats()
		}
		if steps%500 == 0 {
			time.Sleep(100 * time.Microsecond)
			return steps < idleSteps+40000, true
		}
		return steps < idleSteps+40000, false
	})
	runRelay(t, r, []int{0, 1, 2})
	end := r.Stats()
	if atQuiet.Quiets != 1 {
		t.Fatalf("after %d idle steps the relay went quiet %d times, want 1: %+v", idleSteps/2, atQuiet.Quiets, atQuiet)
	}
	// While quiet, the other members wait on a channel: no passes
	// through the scheduler (one each may finish as it goes quiet).
	if d := beforeBusy.Refreshes - atQuiet.Refreshes; d > 2 {
		t.Errorf("%d passes through the scheduler while quiet (%+v then %+v)", d, atQuiet, beforeBusy)
	}
	if end.Handoffs == beforeBusy.Handoffs {
		t.Errorf("no hand-overs once the loop was busy again: %+v", end)
	}
}
