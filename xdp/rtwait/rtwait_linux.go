//go:build linux

package rtwait

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Poll waits like poll(2) for at most d on fds, keeping the caller's P.
// EINTR is returned as 0 ready descriptors and no error.
func Poll(fds []unix.PollFd, d time.Duration) (int, error) {
	if len(fds) == 0 {
		return 0, nil
	}
	ts := unix.NsecToTimespec(int64(d))
	n, _, e := unix.RawSyscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), uintptr(len(fds)),
		uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
	switch e {
	case 0:
		return int(n), nil
	case unix.EINTR:
		return 0, nil
	}
	return 0, e
}

const (
	futexWaitPrivate = 0 | 128 // FUTEX_WAIT | FUTEX_PRIVATE_FLAG
	futexWakePrivate = 1 | 128 // FUTEX_WAKE | FUTEX_PRIVATE_FLAG
)

// FutexWait sleeps, keeping the caller's P, while *word equals val, for at
// most d. It returns at once when *word differs, when FutexWake is called
// on word, when d passes or on a signal; callers check their condition
// again whatever the reason.
func FutexWait(word *atomic.Uint32, val uint32, d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(word)), futexWaitPrivate, uintptr(val),
		uintptr(unsafe.Pointer(&ts)), 0, 0)
}

// FutexWake wakes up to one waiter in FutexWait on word.
func FutexWake(word *atomic.Uint32) {
	unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(word)), futexWakePrivate, 1, 0, 0, 0)
}

// FutexWakeAll wakes every waiter in FutexWait on word.
func FutexWakeAll(word *atomic.Uint32) {
	unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(word)), futexWakePrivate, 1<<31-1, 0, 0, 0)
}

var (
	reserveMu sync.Mutex
	reserved  int
)

// Reserve adds one P to GOMAXPROCS for a goroutine that will block with
// Poll or FutexWait while holding its own, so that the process's other
// goroutines keep theirs. Release undoes it. Changing GOMAXPROCS stops
// the world for a moment: call these when a thread starts or ends, not
// per frame.
func Reserve() { ReserveN(1) }

// ReserveN is Reserve for n goroutines at once, with one change of
// GOMAXPROCS. Reserve a relay's members before its loop starts: the
// change stops the world, and a member already running the loop would be
// preempted by it like any other goroutine.
func ReserveN(n int) {
	if n <= 0 {
		return
	}
	reserveMu.Lock()
	defer reserveMu.Unlock()
	reserved += n
	runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + n)
}

// Release gives back a P added by Reserve.
func Release() { ReleaseN(1) }

// ReleaseN gives back n Ps added by Reserve or ReserveN.
func ReleaseN(n int) {
	reserveMu.Lock()
	defer reserveMu.Unlock()
	n = min(n, reserved)
	if n <= 0 {
		return
	}
	reserved -= n
	runtime.GOMAXPROCS(max(1, runtime.GOMAXPROCS(0)-n))
}

// Reserved reports how many Ps Reserve has added and not given back.
func Reserved() int {
	reserveMu.Lock()
	defer reserveMu.Unlock()
	return reserved
}

// SetFIFO makes the calling thread SCHED_FIFO at prio (1-99). The caller
// locks its goroutine to the thread first (runtime.LockOSThread) and keeps
// it locked until SetNormal, or for good.
func SetFIFO(prio int) error {
	return unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: uint32(prio)}, 0)
}

// SetNormal puts the calling thread back to SCHED_OTHER, nice 0.
func SetNormal() error {
	return unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_NORMAL}, 0)
}
