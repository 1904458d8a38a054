// Package rtwait lets a goroutine that is locked to a real-time
// (SCHED_FIFO) thread block in the kernel without handing its Go
// processor (P) back to the runtime, and sizes GOMAXPROCS so that the
// other goroutines keep as many Ps as before.
//
// Why: when a goroutine blocks in an ordinary system call or on a channel,
// the runtime gives its P to another thread, and when it wakes it must
// get a P back, which another thread of the process has to hand it. On a
// host whose CPUs are busy with real-time work (the kernel's receive
// thread, the capture thread, decode) those other threads run at normal
// priority and may wait hundreds of milliseconds for a CPU; meanwhile the
// real-time thread, ready to run, waits for them. A Go execution trace of
// the capture benchmark (bench, PTPWATCH_BENCH_GOTRACE) showed the capture
// thread runnable but without a P for 1.4 s of a 3 s blast, after waking
// the decode goroutine through a channel.
//
// Keeping the P has a cost of its own: the runtime preempts a goroutine
// that has not been through the scheduler for 10 ms, and a preempted
// goroutine locked to its thread parks that thread until another thread
// hands the P back, the very wait this package avoids. Relay runs a loop
// on a team of such threads that take turns, each going through the
// scheduler while another runs the loop, so that the loop itself is never
// parked.
//
// Invariants: Poll and FutexWait are raw system calls: the calling
// goroutine keeps its P (and its thread) while it sleeps, so it must be
// locked to its thread and hold a reservation (Reserve) for as long as it
// blocks this way. A signal (the runtime preempts with SIGURG) ends a
// wait early with EINTR, which both report as a wake-up with nothing
// ready; callers loop. Neither allocates.
package rtwait
