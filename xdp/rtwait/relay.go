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
// So every member goes through the scheduler itself (runtime.Gosched)
// while another runs the loop, and owns the loop only while its last pass
// through the scheduler is recent: from handAt after that pass the owner
// offers the loop to the waiting member that passed through most
// recently, and once the offer is taken passes through the scheduler
// itself; however long its thread then waits for its P, another member is
// running the loop. A waiting member that has not been offered the loop
// within refreshAt (5/6 of handAt) of its pass goes through the scheduler
// again, so that whoever is offered the loop has time left. An offer that
// is not taken within a short time is withdrawn and the owner goes on;
// with nobody waiting the owner goes on too, as a single thread would,
// and tries again at every look at the clock.
//
// Taking turns costs CPU (every pass through the scheduler wakes another
// thread), which an idle loop does not need: once every step for
// relayQuietAfter has only waited, the relay goes quiet. The owner keeps
// the loop (Go preempts it every 10 ms or so, as a single thread) and the
// other members wait without a P, on a channel, until the owner's next
// step that did not wait wakes them.
//
// Invariants: exactly one member runs step at any time, and each step
// happens after the previous one (the hand-over is an atomic
// compare-and-swap), so step's state needs no lock. Members are locked to
// their threads and hold a Reserve while they are members, since they
// wait keeping their P.
type Relay struct {
	step                func() (more, waited bool)
	handAt, refreshAt   time.Duration
	epoch               time.Time
	state               atomic.Uint32 // owned(i), offered(i), or relayEnded; members sleep on it
	members             []relayMember
	handoffs, withdrawn atomic.Uint64
	lonely, refreshes   atomic.Uint64
	maxResume, maxAge   atomic.Int64
	// quiet: the loop has been idle for relayQuietAfter; idleSince (the
	// owner's, passed on with the loop) is when its steps began to wait.
	quiet     atomic.Bool
	idleSince int64
	quiets    atomic.Uint64
	done      chan struct{} // closed when the relay ends
}

type relayMember struct {
	// ready: waiting, and may be offered the loop. An owner claims a
	// member by swapping it to false before offering; a member leaving
	// to pass through the scheduler swaps it too, and waits for the
	// offer instead when an owner was first.
	ready atomic.Bool
	// passed is when the member last came back from the scheduler, ns
	// since the relay's epoch.
	passed atomic.Int64
	// wake ends a wait without a P while the relay is quiet.
	wake chan struct{}
	_    [40]byte
}

const (
	relayEnded = ^uint32(0)
	// relayCheckEvery is how many steps pass between looks at the clock
	// when steps do not wait: a few microseconds of frames.
	relayCheckEvery = 64
	// relayAckWait bounds how long an owner waits for the member it
	// offered the loop to. A woken real-time thread answers in tens of
	// microseconds.
	relayAckWait = 200 * time.Microsecond
	// relayQuietAfter is how long the loop must have been idle for the
	// relay to go quiet.
	relayQuietAfter = 50 * time.Millisecond
)

func owned(i int) uint32   { return uint32(i) << 1 }
func offered(i int) uint32 { return uint32(i)<<1 | 1 }

// NewRelay makes a relay of members goroutines over step. A member offers
// the loop to another from handAt after its last pass through the
// scheduler; below Go's 10 ms (6 ms is the capture's). step does one unit
// of the loop's work and says whether there is more, and whether it
// waited for work (then the owner looks at the clock at once). A step
// must not block for long: the owner can hand over only between steps.
func NewRelay(members int, handAt time.Duration, step func() (more, waited bool)) *Relay {
	r := &Relay{step: step, handAt: handAt, refreshAt: handAt * 5 / 6, epoch: time.Now(),
		members: make([]relayMember, max(members, 1)), done: make(chan struct{})}
	for i := range r.members {
		r.members[i].wake = make(chan struct{}, 1)
	}
	return r
}

// RelayStats counts a relay's hand-overs: Handoffs taken, offers Withdrawn
// because the member did not answer, looks at the clock that found no
// member waiting (Lonely; the owner went on), passes through the
// scheduler (Refreshes), and the longest such pass (MaxResume): how long
// a member's thread waited for the runtime to give it a P back. MaxAge is
// the longest an owner ran the loop after its last pass through the
// scheduler, up to its hand-over: below 10 ms, Go never preempted the
// loop (a quiet spell counts in full, since the owner does not note the
// preemptions it takes then). Quiets counts the times an idle loop let
// the relay go quiet.
type RelayStats struct {
	Handoffs, Withdrawn, Lonely, Refreshes, Quiets uint64
	MaxResume, MaxAge                              time.Duration
}

// Stats returns the relay's counters so far.
func (r *Relay) Stats() RelayStats {
	return RelayStats{Handoffs: r.handoffs.Load(), Withdrawn: r.withdrawn.Load(), Lonely: r.lonely.Load(),
		Refreshes: r.refreshes.Load(), Quiets: r.quiets.Load(),
		MaxResume: time.Duration(r.maxResume.Load()), MaxAge: time.Duration(r.maxAge.Load())}
}

func (r *Relay) now() int64 { return int64(time.Since(r.epoch)) }

func atomicMax(v *atomic.Int64, n int64) {
	for old := v.Load(); n > old && !v.CompareAndSwap(old, n); old = v.Load() {
	}
}

// Member runs the calling goroutine as member i (0 to members-1) until
// step says there is no more. Member 0 owns the loop first. The caller has
// locked the goroutine to its thread and holds a Reserve.
func (r *Relay) Member(i int) {
	if i < 0 || i >= len(r.members) {
		return
	}
	r.members[i].passed.Store(r.now())
	if i != 0 && !r.await(i) {
		return
	}
	for r.work(i) {
		r.pass(i)
		if !r.await(i) {
			return
		}
	}
}

// pass goes through the Go scheduler, which restarts sysmon's 10 ms for
// this goroutine, and notes how long that took.
func (r *Relay) pass(me int) {
	t0 := r.now()
	runtime.Gosched()
	t1 := r.now()
	r.members[me].passed.Store(t1)
	r.refreshes.Add(1)
	atomicMax(&r.maxResume, t1-t0)
}

// work runs steps while member me owns the loop. It returns true when it
// handed the loop over and false when step said no more.
func (r *Relay) work(me int) bool {
	passed := r.members[me].passed.Load()
	handAt := passed + int64(r.handAt)
	for n := 1; ; n++ {
		more, waited := r.step()
		if !more {
			atomicMax(&r.maxAge, r.now()-passed)
			r.state.Store(relayEnded)
			FutexWakeAll(&r.state)
			close(r.done)
			return false
		}
		if !waited {
			if r.idleSince != 0 {
				r.busy(me)
			}
			if n%relayCheckEvery != 0 {
				continue
			}
		}
		now := r.now()
		if waited {
			if r.idleSince == 0 {
				r.idleSince = now
			} else if now-r.idleSince >= int64(relayQuietAfter) && !r.quiet.Load() {
				r.quiets.Add(1)
				r.quiet.Store(true)
				FutexWakeAll(&r.state) // waiting members see it and let go of their P
			}
		}
		if now < handAt || r.quiet.Load() {
			continue
		}
		if r.handOff(me) {
			atomicMax(&r.maxAge, now-passed)
			return true
		}
	}
}

// busy notes a step that did not wait after idle ones, and wakes the
// members if the relay was quiet.
func (r *Relay) busy(me int) {
	r.idleSince = 0
	if !r.quiet.Load() {
		return
	}
	r.quiet.Store(false)
	for k := range r.members {
		if k != me {
			select {
			case r.members[k].wake <- struct{}{}:
			default:
			}
		}
	}
}

// handOff offers the loop to the waiting member that passed through the
// scheduler last, and waits for it to take it.
func (r *Relay) handOff(me int) bool {
	for {
		j, best := -1, int64(-1)
		for k := range r.members {
			if k == me || !r.members[k].ready.Load() {
				continue
			}
			if p := r.members[k].passed.Load(); p > best {
				j, best = k, p
			}
		}
		if j < 0 {
			r.lonely.Add(1)
			return false
		}
		if !r.members[j].ready.CompareAndSwap(true, false) {
			continue // it left to pass through the scheduler: look again
		}
		offer := offered(j)
		r.state.Store(offer)
		FutexWakeAll(&r.state)
		deadline := time.Now().Add(relayAckWait)
		for r.state.Load() == offer {
			left := time.Until(deadline)
			if left <= 0 {
				if r.state.CompareAndSwap(offer, owned(me)) {
					r.withdrawn.Add(1)
					return false
				}
				break // taken just now
			}
			FutexWait(&r.state, offer, left)
		}
		r.handoffs.Add(1)
		return true
	}
}

// await waits until member me is offered the loop and takes it; false when
// the relay ended.
func (r *Relay) await(me int) bool {
	m := &r.members[me]
	mine := offered(me)
	for {
		s := r.state.Load()
		switch {
		case s == relayEnded:
			m.ready.Store(false)
			return false
		case s == mine:
			if r.state.CompareAndSwap(mine, owned(me)) {
				m.ready.Store(false)
				FutexWakeAll(&r.state) // the giver waits for this
				return true
			}
			continue
		}
		if r.quiet.Load() {
			// Idle loop: wait without a P (no pass every 10 ms) until
			// the owner has frames again.
			m.ready.Store(false)
			select {
			case <-m.wake:
			case <-r.done:
			}
			m.passed.Store(r.now()) // the wait went through the scheduler
			continue
		}
		left := time.Duration(m.passed.Load() + int64(r.refreshAt) - r.now())
		if left > 0 {
			m.ready.Store(true)
			FutexWait(&r.state, s, left)
			continue
		}
		// Too long since the last pass to own the loop for a while: pass
		// again, unless an owner has just claimed this member, whose
		// offer then comes at once (or is withdrawn).
		if !m.ready.CompareAndSwap(true, false) && r.offerComes(me, 2*relayAckWait) {
			continue
		}
		r.pass(me)
	}
}

// offerComes waits at most d for the loop to be offered to member me.
func (r *Relay) offerComes(me int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		s := r.state.Load()
		if s == offered(me) || s == relayEnded {
			return true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		FutexWait(&r.state, s, left)
	}
}
