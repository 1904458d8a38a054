package rtwait

import (
	"runtime"
	"sync/atomic"
	"time"
)

// Relay runs one loop, a step at a time, on a team of goroutines that
// take turns, so that the loop is never stopped by the Go scheduler's
// preemption of a real-time thread.
//
// Why: the runtime's monitor (sysmon) preempts any goroutine that has run
// for 10 ms without going through the scheduler. A goroutine that waits
// keeping its P (Poll, FutexWait) never goes through it, so it is
// preempted every 10 ms; being locked to its thread, the thread then
// parks until another of the process's threads hands its P back. Those
// threads run at normal priority, and on a host whose CPUs are busy with
// real-time work (the kernel's receive thread, decode) one waited 69 ms
// for a CPU while the capture thread stood parked and the kernel ran out
// of buffers (ftrace sched_switch/sched_wakeup over the capture
// benchmark). Go has no way to exempt a goroutine from that preemption.
//
// So each member owns the loop for at most a slice (well under 10 ms),
// offers it to a member that is waiting, and once the offer is taken goes
// through the scheduler itself (runtime.Gosched), which restarts its
// 10 ms; however long its thread then waits for its P, another member is
// running the loop. An offer that is not taken within a short time (the
// member was preempted while waiting) is withdrawn and the owner goes on.
// With nobody waiting the owner goes on too, as a single thread would.
//
// Invariants: exactly one member runs step at any time, and each step
// happens after the previous one (the hand-over is an atomic
// compare-and-swap), so step's state needs no lock. Members are locked to
// their threads and hold a Reserve while they are members, since they
// wait keeping their P.
type Relay struct {
	step  func() (more, waited bool)
	slice time.Duration

	// state is the owner or the offer: owned(i) or offered(i); ended
	// once step has said no more. Members sleep on it as a futex word.
	state atomic.Uint32
	ready []paddedBool

	handoffs, withdrawn, lonely atomic.Uint64
}

type paddedBool struct {
	atomic.Bool
	_ [63]byte
}

const (
	relayEnded = ^uint32(0)
	// relayCheckEvery is how many steps pass between looks at the clock
	// when steps do not wait: a few microseconds of frames.
	relayCheckEvery = 64
	// relayAckWait bounds how long an owner waits for the member it
	// offered the loop to. A woken real-time thread answers in tens of
	// microseconds; one that does not was preempted while waiting.
	relayAckWait = 500 * time.Microsecond
	// relayAwaitSlice bounds one futex sleep of a waiting member, so that
	// it sees the relay end.
	relayAwaitSlice = 20 * time.Millisecond
)

func owned(i int) uint32   { return uint32(i) << 1 }
func offered(i int) uint32 { return uint32(i)<<1 | 1 }

// NewRelay makes a relay of members goroutines over step, each owning it
// for at most slice at a time. step does one unit of the loop's work and
// says whether there is more, and whether it waited for work (then the
// owner looks at the clock at once). A step must not block for long: the
// owner can hand over only between steps.
func NewRelay(members int, slice time.Duration, step func() (more, waited bool)) *Relay {
	return &Relay{step: step, slice: slice, ready: make([]paddedBool, max(members, 1))}
}

// RelayStats counts a relay's hand-overs: Handoffs taken, offers Withdrawn
// because the member did not answer, and slices that ended Lonely with no
// member waiting (the owner went on).
type RelayStats struct {
	Handoffs, Withdrawn, Lonely uint64
}

// Stats returns the relay's counters so far.
func (r *Relay) Stats() RelayStats {
	return RelayStats{Handoffs: r.handoffs.Load(), Withdrawn: r.withdrawn.Load(), Lonely: r.lonely.Load()}
}

// Member runs the calling goroutine as member i (0 to members-1) until
// step says there is no more. Member 0 owns the loop first. The caller has
// locked the goroutine to its thread and holds a Reserve.
func (r *Relay) Member(i int) {
	if i < 0 || i >= len(r.ready) {
		return
	}
	if i != 0 && !r.await(i) {
		return
	}
	for r.work(i) {
		// Go through the scheduler while another member runs the loop:
		// this restarts sysmon's 10 ms for this goroutine.
		runtime.Gosched()
		if !r.await(i) {
			return
		}
	}
}

// work runs steps while member me owns the loop. It returns true when it
// handed the loop over and false when step said no more.
func (r *Relay) work(me int) bool {
	start := time.Now()
	for n := 1; ; n++ {
		more, waited := r.step()
		if !more {
			r.state.Store(relayEnded)
			FutexWakeAll(&r.state)
			return false
		}
		if !waited && n%relayCheckEvery != 0 {
			continue
		}
		if time.Since(start) < r.slice {
			continue
		}
		if r.handOff(me) {
			return true
		}
		// Nobody took it: look again after a quarter of a slice.
		start = time.Now().Add(-r.slice + r.slice/4)
	}
}

// handOff offers the loop to the next waiting member and waits for it to
// take it.
func (r *Relay) handOff(me int) bool {
	n := len(r.ready)
	for k := 1; k < n; k++ {
		j := (me + k) % n
		if !r.ready[j].Load() {
			continue
		}
		offer := offered(j)
		r.state.Store(offer)
		FutexWakeAll(&r.state)
		deadline := time.Now().Add(relayAckWait)
		for r.state.Load() == offer {
			left := time.Until(deadline)
			if left <= 0 {
				if r.state.CompareAndSwap(offer, owned(me)) {
					r.ready[j].Store(false)
					r.withdrawn.Add(1)
					break
				}
				continue // taken just now
			}
			FutexWait(&r.state, offer, left)
		}
		if r.state.Load() != owned(me) {
			r.handoffs.Add(1)
			return true
		}
	}
	r.lonely.Add(1)
	return false
}

// await waits until member me is offered the loop and takes it; false when
// the relay ended.
func (r *Relay) await(me int) bool {
	mine := offered(me)
	for {
		s := r.state.Load()
		if s == relayEnded {
			r.ready[me].Store(false)
			return false
		}
		if s == mine && r.state.CompareAndSwap(mine, owned(me)) {
			r.ready[me].Store(false)
			FutexWakeAll(&r.state) // the giver waits for this
			return true
		}
		r.ready[me].Store(true)
		FutexWait(&r.state, s, relayAwaitSlice)
	}
}
