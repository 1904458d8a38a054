//go:build linux

package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/trace"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Tracing a blast (PTPWATCH_BENCH_TRACE=1): while a receiver runs, a
// sampler on the other CPU reads every millisecond the receiving thread's
// and the NAPI thread's scheduler statistics (/proc/PID/task/TID/schedstat:
// time on the CPU, time runnable but waiting for it) and, for AF_XDP, the
// socket's counters and ring levels. At the end it logs what explains a
// loss: how long the reader waited for the CPU while frames queued, the
// deepest RX backlog, the emptiest fill ring, and when the drops came.

func traceOn() bool { return os.Getenv("PTPWATCH_BENCH_TRACE") != "" }

// schedstat reads a task's time on the CPU and time waiting on a run
// queue, in ns.
func schedstat(pid, tid int) (run, wait int64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(tid) + "/schedstat")
	if err != nil {
		return 0, 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, 0
	}
	run, _ = strconv.ParseInt(f[0], 10, 64)
	wait, _ = strconv.ParseInt(f[1], 10, 64)
	return run, wait
}

// xskSample is what the sampler reads of an AF_XDP socket.
type xskSample struct {
	rxQueued, fillQueued, fillEmpty, received, polls, pollNs uint64
}

type tracer struct {
	b        *testing.B
	readerT  int   // reader's thread id (in this process)
	napi     []int // NAPI kernel threads
	sample   func() (xskSample, bool)
	stop     chan struct{}
	wg       sync.WaitGroup
	lines    []string
	maxRx    uint64
	minFill  uint64
	runNs    int64 // reader on the CPU
	waitNs   int64 // reader runnable, not running
	napiRun  int64
	napiWait int64
	// worst: the longest stretch in which the reader did not run at all
	// while the RX ring held frames.
	worstGap    time.Duration
	worstRx     uint64
	dropMoments int
	first       xskSample
	last        xskSample
}

func startTrace(b *testing.B, readerTID int, napi []int, sample func() (xskSample, bool)) *tracer {
	t := &tracer{b: b, readerT: readerTID, napi: napi, sample: sample, stop: make(chan struct{}), minFill: ^uint64(0)}
	t.wg.Add(1)
	go t.run()
	return t
}

func (t *tracer) run() {
	defer t.wg.Done()
	pid := os.Getpid()
	r0, w0 := schedstat(pid, t.readerT)
	var n0r, n0w int64
	for _, p := range t.napi {
		r, w := schedstat(p, p)
		n0r, n0w = n0r+r, n0w+w
	}
	lastRun, lastRunAt := r0, time.Now()
	var prev xskSample
	havePrev := false
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	for {
		select {
		case <-t.stop:
			r, w := schedstat(pid, t.readerT)
			t.runNs, t.waitNs = r-r0, w-w0
			var nr, nw int64
			for _, p := range t.napi {
				a, b := schedstat(p, p)
				nr, nw = nr+a, nw+b
			}
			t.napiRun, t.napiWait = nr-n0r, nw-n0w
			return
		case now := <-tick.C:
			r, _ := schedstat(pid, t.readerT)
			s, ok := t.sample()
			if r != lastRun {
				lastRun, lastRunAt = r, now
			} else if ok && s.rxQueued > 0 {
				if g := now.Sub(lastRunAt); g > t.worstGap {
					t.worstGap, t.worstRx = g, s.rxQueued
				}
			}
			if !ok {
				continue
			}
			if !havePrev {
				t.first, prev, havePrev = s, s, true
			}
			t.maxRx = max(t.maxRx, s.rxQueued)
			t.minFill = min(t.minFill, s.fillQueued)
			if s.fillEmpty > prev.fillEmpty {
				t.dropMoments++
				if len(t.lines) < 8 {
					t.lines = append(t.lines, fmt.Sprintf("+%v: fill ring empty +%d, RX backlog %d, fill ring %d, reader off the CPU for %v",
						now.Sub(start).Round(time.Millisecond), s.fillEmpty-prev.fillEmpty, s.rxQueued, s.fillQueued, now.Sub(lastRunAt).Round(100*time.Microsecond)))
				}
			}
			prev, t.last = s, s
		}
	}
}

// end stops the sampler and logs what it saw.
func (t *tracer) end() {
	close(t.stop)
	t.wg.Wait()
	b := t.b
	b.Logf("trace: reader ran %v and waited runnable for the CPU %v; NAPI ran %v, waited %v; longest reader gap with frames queued %v (RX backlog %d)",
		time.Duration(t.runNs).Round(time.Millisecond), time.Duration(t.waitNs).Round(time.Millisecond),
		time.Duration(t.napiRun).Round(time.Millisecond), time.Duration(t.napiWait).Round(time.Millisecond),
		t.worstGap.Round(100*time.Microsecond), t.worstRx)
	if t.minFill != ^uint64(0) {
		polls := t.last.polls - t.first.polls
		per := time.Duration(0)
		if polls > 0 {
			per = time.Duration((t.last.pollNs - t.first.pollNs) / polls)
		}
		b.Logf("trace: AF_XDP deepest RX backlog %d, emptiest fill ring %d, %d polls sleeping %v on average, fill-ring-empty drops in %d of the 1 ms samples",
			t.maxRx, t.minFill, polls, per.Round(time.Microsecond), t.dropMoments)
		for _, l := range t.lines {
			b.Logf("trace: %s", l)
		}
	}
}

// goTrace records a Go execution trace of one blast into
// $PTPWATCH_BENCH_GOTRACE/NAME-N.trace when that variable names a
// directory (`go tool trace -pprof=sched FILE` then shows where goroutines
// waited to run, e.g. a capture thread back from poll(2) without a P).
// The returned function stops the trace.
func goTrace(b *testing.B, name string) func() {
	dir := os.Getenv("PTPWATCH_BENCH_GOTRACE")
	if dir == "" {
		return func() {}
	}
	goTraces++
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s-%d.trace", name, goTraces)))
	if err != nil {
		b.Fatalf("PTPWATCH_BENCH_GOTRACE: %v", err)
	}
	if err := trace.Start(f); err != nil {
		f.Close()
		b.Fatalf("PTPWATCH_BENCH_GOTRACE: %v", err)
	}
	return func() { trace.Stop(); f.Close() }
}

var goTraces int
