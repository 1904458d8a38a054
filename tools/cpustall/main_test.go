//go:build linux

package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestWatchRejectsBadOptions(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  config
		want string
	}{
		{"no cpu", config{cpu: -1, period: time.Millisecond, late: 2 * time.Millisecond}, "-cpu"},
		{"late before period", config{cpu: 0, period: time.Millisecond, late: time.Millisecond}, "period < late"},
		{"no period", config{cpu: 0, late: time.Millisecond}, "period < late"},
	} {
		t.Run(c.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { _, err := watch(c.cfg); done <- err }()
			if err := <-done; err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("watch: %v, want an error about %q", err, c.want)
			}
		})
	}
}

// TestWatch watches CPU 0 for a moment: every wake-up is counted, and the
// stall sums agree with one another.
func TestWatch(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: SCHED_FIFO needs root (CAP_SYS_NICE)")
	}
	cfg := config{cpu: 0, dur: 200 * time.Millisecond, period: 200 * time.Microsecond, late: 300 * time.Microsecond,
		slack: 250 * time.Microsecond, rate: 1e6}
	type out struct {
		r   result
		err error
	}
	done := make(chan out, 1)
	go func() { r, err := watch(cfg); done <- out{r, err} }() // the goroutine ends locked: its thread retires
	o := <-done
	if o.err != nil {
		t.Fatal(o.err)
	}
	r := o.r
	t.Logf("%+v", r)
	// 200 ms of 200 µs sleeps: at most 1000 wake-ups, and far more than
	// none even on a busy machine.
	if r.Wakeups < 50 || r.Wakeups > 1000 {
		t.Errorf("%d wake-ups in %v of %v sleeps", r.Wakeups, cfg.dur, cfg.period)
	}
	if r.Stalls > r.Wakeups || r.WorstNs < cfg.period.Nanoseconds() {
		t.Errorf("%d stalls of %d wake-ups, worst %d ns", r.Stalls, r.Wakeups, r.WorstNs)
	}
	// Every stall is over 300 µs: its excess over the 250 µs slack is
	// less than its excess over the 200 µs period, and positive.
	if r.BeyondSlackNs > r.StalledNs || (r.Stalls > 0) != (r.BeyondSlackNs > 0) {
		t.Errorf("beyond slack %d ns, stalled %d ns over %d stalls", r.BeyondSlackNs, r.StalledNs, r.Stalls)
	}
	if want := uint64(float64(r.BeyondSlackNs) / 1e9 * cfg.rate); r.FramesDue != want {
		t.Errorf("framesDue %d, want %d", r.FramesDue, want)
	}
}
