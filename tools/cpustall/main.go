//go:build linux

// Command cpustall measures how long a CPU stays unavailable even to the
// most urgent thread: a thread pinned to it at the highest real-time
// priority (SCHED_FIFO 99) sleeps for short periods and notes every
// wake-up that comes much later than asked. Two things cause such stalls:
// the hypervisor running something else on the physical core behind the
// vCPU (steal time, which /proc/stat counts only in 10 ms ticks), and
// kernel code that cannot be preempted (kernels built PREEMPT_NONE, as
// here, switch tasks inside the kernel only where it allows). A NAPI
// thread waits through the same stalls as the probe does.
//
// The capture benchmarks run it on the receiving CPU beside each blast:
// a veth's receive ring holds 256 frames, so at R frames/s every stall
// longer than 256/R seconds loses about R times the excess before any
// capture code can see a frame. -slack gives that budget; the output
// estimates the frames such stalls cost.
//
// Usage:
//
//	cpustall -cpu N [-d 3s] [-period 200us] [-late 300us] [-slack 256us] [-rate N]
//
// It prints one JSON object when the time is up or on SIGTERM/SIGINT.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// result is what cpustall prints.
type result struct {
	Wakeups uint64 `json:"wakeups"`
	// Stalls counts wake-ups later than -late; StalledNs sums how much
	// longer than the period they took.
	Stalls    uint64 `json:"stalls"`
	StalledNs int64  `json:"stalledNs"`
	WorstNs   int64  `json:"worstNs"`
	// BeyondSlackNs sums, over the stalls, the time beyond -slack: the
	// time a 256-entry ring in front of the CPU overflowed.
	BeyondSlackNs int64 `json:"beyondSlackNs"`
	// FramesDue is BeyondSlackNs at -rate frames per second.
	FramesDue uint64 `json:"framesDue"`
}

// config is what the flags say.
type config struct {
	cpu               int
	dur, period, late time.Duration
	slack             time.Duration
	rate              float64
	stop              <-chan os.Signal // ends the watch early
}

func main() {
	var c config
	flag.IntVar(&c.cpu, "cpu", -1, "CPU to watch (required)")
	flag.DurationVar(&c.dur, "d", 3*time.Second, "how long to watch")
	flag.DurationVar(&c.period, "period", 200*time.Microsecond, "sleep between wake-ups")
	flag.DurationVar(&c.late, "late", 300*time.Microsecond, "a wake-up this much after going to sleep counts as a stall")
	flag.DurationVar(&c.slack, "slack", 256*time.Microsecond, "how long a stall can last before frames are lost")
	flag.Float64Var(&c.rate, "rate", 0, "frames per second arriving, for framesDue")
	flag.Parse()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	c.stop = stop
	runtime.GOMAXPROCS(1)
	r, err := watch(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cpustall:", err)
		os.Exit(2)
	}
	json.NewEncoder(os.Stdout).Encode(r)
}

// watch pins the calling goroutine's thread to c.cpu at SCHED_FIFO 99 and
// measures its wake-ups until c.dur has passed or c.stop fires. The thread
// stays locked: the goroutine should end after it.
func watch(c config) (result, error) {
	var r result
	if c.cpu < 0 {
		return r, fmt.Errorf("-cpu %d: want the number of a CPU", c.cpu)
	}
	if c.period <= 0 || c.late <= c.period {
		return r, fmt.Errorf("-period %v, -late %v: want 0 < period < late", c.period, c.late)
	}
	runtime.LockOSThread()
	var set unix.CPUSet
	set.Set(c.cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return r, fmt.Errorf("pin to CPU %d: %w", c.cpu, err)
	}
	if err := unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: 99}, 0); err != nil {
		return r, fmt.Errorf("SCHED_FIFO 99: %w (needs CAP_SYS_NICE)", err)
	}
	ts := unix.NsecToTimespec(c.period.Nanoseconds())
	end := time.Now().Add(c.dur)
	for t0 := time.Now(); t0.Before(end); {
		unix.Nanosleep(&ts, nil)
		t1 := time.Now()
		dt := t1.Sub(t0)
		t0 = t1
		r.Wakeups++
		r.WorstNs = max(r.WorstNs, dt.Nanoseconds())
		if dt > c.late {
			r.Stalls++
			r.StalledNs += (dt - c.period).Nanoseconds()
			if dt > c.slack {
				r.BeyondSlackNs += (dt - c.slack).Nanoseconds()
			}
		}
		if r.Wakeups%256 == 0 && len(c.stop) > 0 {
			break
		}
	}
	r.FramesDue = uint64(float64(r.BeyondSlackNs) / 1e9 * c.rate)
	return r, nil
}
