//go:build linux

package capture

import (
	"runtime"

	"github.com/ptpwatch/ptpwatch/xdp/rtwait"
)

// SetThreadPriority makes the calling thread SCHED_FIFO at prio (1-99).
// The caller locks its goroutine to the thread first (runtime.LockOSThread)
// and keeps it locked. The benchmarks use it to run AF_XDP and AF_PACKET
// alone the way Options.Priority runs them.
func SetThreadPriority(prio int) error {
	return rtwait.SetFIFO(prio)
}

// probeRealtime reports whether a thread of this process may run at
// SCHED_FIFO prio, by trying on a thread of its own that then ends.
func probeRealtime(prio int) error {
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread ends with the goroutine.
		runtime.LockOSThread()
		errc <- SetThreadPriority(prio)
	}()
	return <-errc
}

// setThreadNormal puts the calling thread back to SCHED_OTHER, nice 0.
func setThreadNormal() error {
	return rtwait.SetNormal()
}
