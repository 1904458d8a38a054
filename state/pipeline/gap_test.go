package pipeline

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// resumeGate drops frames stamped before skipBefore, as the appliance's
// capture control does on Start for the frames a stopped capture missed.
type resumeGate struct {
	source.Source
	skipBefore int64
}

func (g *resumeGate) CaughtUp() (caughtUp, ok bool) { return source.CaughtUp(g.Source) }

func (g *resumeGate) Next(ctx context.Context, f *source.Frame) error {
	for {
		if err := g.Source.Next(ctx, f); err != nil {
			return err
		}
		if f.Timestamp >= g.skipBefore {
			return nil
		}
	}
}

// TestCaptureGapIsNotSilence is issue 14's "stopping capture raises
// critical alarms about the network": the demo network captured live for
// 2 s, capture stopped for 4.2 s (longer than the 3.5 s announce receipt
// timeout of domain 0, shorter than the pause after which a stream's
// sequenceIds count as starting afresh for domain 44's Announce) and
// started again. The model must raise no Master Silent, Sequence Gap or
// port state change for the time it did not capture; a sequence gap and a
// master stopping while capture runs again must still raise theirs.
func TestCaptureGapIsNotSilence(t *testing.T) {
	cfg := sim.DefaultDemo()
	cfg.Scenario.Actions = []sim.Action{
		sim.SequenceGap(7*time.Second, "gm-microchip", "Sync", 5),
		sim.Stop(7500*time.Millisecond, "master-d44"),
	}
	start := time.Now().UnixNano()
	n, err := sim.New(cfg, sim.Options{Seed: 1, Start: start, Duration: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	g := &resumeGate{Source: &source.Pacer{Source: n, Speed: 1}}
	m := state.NewModel(2, nil)
	p := New(m)
	p.Live, p.PublishEvery = true, 20*time.Millisecond
	run := func(until int64) {
		ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, until))
		defer cancel()
		if err := p.Run(ctx, g); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Fatal(err)
		}
	}
	run(start + int64(2*time.Second))
	m.Events.Add(state.Event{Time: time.Now().UnixNano(), Type: state.CaptureStopped})
	time.Sleep(time.Until(time.Unix(0, start+int64(6200*time.Millisecond))))
	g.skipBefore = time.Now().UnixNano()
	m.Events.Add(state.Event{Time: g.skipBefore, Type: state.CaptureStarted})
	run(start + int64(11*time.Second))

	want := expectedEvents(n)
	const window, early = int64(3 * time.Second), int64(time.Second)
	for _, e := range unexplained(m.Events.Events(0, 0), want, window, early, start) {
		t.Errorf("model raised an event no incident explains: %s", e)
	}
	for _, x := range want {
		t.Logf("incident %.1fs %s: %s seen %v", float64(x.at-start)/1e9, x.what, x.typ, x.matched)
		if !x.matched {
			t.Errorf("no %s event for incident: %.1fs %s", x.typ, float64(x.at-start)/1e9, x.what)
		}
	}
	// Sequence numbers that advanced while capture was stopped were not
	// observed; they are not lost.
	snap := m.Snapshot()
	gaps := 0
	for _, in := range snap.Instances {
		for _, c := range in.Counters {
			gaps += int(c.SequenceGaps)
		}
	}
	if gaps != 1 {
		t.Errorf("%d sequence gaps counted, want the one gm-microchip made", gaps)
	}
}

// lossySource loses the frames captured in [from, to), counting each one
// as lost (source.Lossy) as a capture whose ring overflowed would.
type lossySource struct {
	source.Source
	from, to int64
	lost     atomic.Uint64
}

func (s *lossySource) Next(ctx context.Context, f *source.Frame) error {
	for {
		if err := s.Source.Next(ctx, f); err != nil {
			return err
		}
		if f.Timestamp < s.from || f.Timestamp >= s.to {
			return nil
		}
		s.lost.Add(1)
	}
}

func (s *lossySource) Lost() uint64 { return s.lost.Load() }

// unreported is a source that loses frames without saying so.
type unreported struct{ source.Source }

// TestCaptureLossIsNotSilence is issue 14's "time-driven detectors must
// not count time the capture was dropping frames against the network":
// the demo network, of which the capture loses every frame between 2 s
// and 6 s (longer than domain 0's 3.5 s announce receipt timeout), read
// by a two-shard pipeline. Reported through source.Lossy, the loss is a
// capture gap: no Master Silent, Sequence Gap or port state change for
// it, a Capture Trouble notice instead, and a sequence gap and a master
// stopping after it still raise theirs. The same loss unreported must
// raise them: the check can fail.
func TestCaptureLossIsNotSilence(t *testing.T) {
	run := func(t *testing.T, report bool) (*state.Model, []*expectation, int64) {
		cfg := sim.DefaultDemo()
		cfg.Scenario.Actions = []sim.Action{
			sim.SequenceGap(7*time.Second, "gm-microchip", "Sync", 5),
			sim.Stop(7500*time.Millisecond, "master-d44"),
		}
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
		n, err := sim.New(cfg, sim.Options{Seed: 1, Start: start, Duration: 11 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		lossy := &lossySource{Source: n, from: start + int64(2*time.Second), to: start + int64(6*time.Second)}
		var src source.Source = lossy
		if !report {
			src = unreported{lossy}
		}
		m := state.NewModel(2, nil)
		p := New(m)
		if err := p.Run(context.Background(), src); err != nil {
			t.Fatal(err)
		}
		p.Tick(start + int64(11*time.Second))
		if lossy.lost.Load() == 0 {
			t.Fatal("the source lost nothing")
		}
		// The capture control's gate passes the count on.
		if got := source.Lost(&gate{Source: src}); report && got != lossy.lost.Load() || !report && got != 0 {
			t.Errorf("gate says %d lost, want %d (reported %v)", got, lossy.lost.Load(), report)
		}
		if report && p.Counters.LossGaps.Load() != 1 {
			t.Errorf("%d loss gaps declared, want 1", p.Counters.LossGaps.Load())
		}
		return m, expectedEvents(n), start
	}
	const window, early = int64(3 * time.Second), int64(time.Second)
	t.Run("reported", func(t *testing.T) {
		m, want, start := run(t, true)
		trouble := 0
		for _, e := range m.Events.Events(0, 0) {
			if e.Type == state.CaptureTrouble {
				trouble++
				t.Logf("%.1fs %s: %s", float64(e.Time-start)/1e9, e.Type, e.Detail)
			}
		}
		if trouble != 1 {
			t.Errorf("%d Capture Trouble events, want 1", trouble)
		}
		for _, e := range unexplained(m.Events.Events(0, 0), want, window, early, start) {
			if !strings.Contains(e, string(state.CaptureTrouble)) {
				t.Errorf("model raised an event no incident explains: %s", e)
			}
		}
		for _, x := range want {
			if !x.matched {
				t.Errorf("no %s event for incident: %.1fs %s", x.typ, float64(x.at-start)/1e9, x.what)
			}
		}
	})
	t.Run("unreported", func(t *testing.T) {
		m, want, start := run(t, false)
		judged := 0
		for _, e := range unexplained(m.Events.Events(0, 0), want, window, early, start) {
			if strings.Contains(e, string(state.MasterSilent)) || strings.Contains(e, string(state.SequenceGap)) {
				judged++
			}
		}
		if judged == 0 {
			t.Error("losing 4 s of frames unreported raised no Master Silent or Sequence Gap: the reported case proves nothing")
		}
	})
}

// idleLossy delivers nothing until its context ends and counts the
// pipeline's calls of RefreshLost.
type idleLossy struct {
	source.Memory
	refreshed atomic.Int32
}

func (s *idleLossy) Next(ctx context.Context, f *source.Frame) error {
	<-ctx.Done()
	return ctx.Err()
}
func (s *idleLossy) Lost() uint64 { return 0 }
func (s *idleLossy) RefreshLost() { s.refreshed.Add(1) }

// TestWatchRefreshesLosses: a live pipeline's watch has a lossy source
// read its drop counters every publish interval (source.LossRefresher),
// through the capture control's gate too, so the reader learns of the
// kernel's drops within one.
func TestWatchRefreshesLosses(t *testing.T) {
	src := &idleLossy{}
	p := New(state.NewModel(1, nil))
	p.Live, p.PublishEvery = true, 5*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, &gate{Source: src}) }()
	deadline := time.Now().Add(30 * time.Second)
	for src.refreshed.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if n := src.refreshed.Load(); n < 3 {
		t.Errorf("RefreshLost called %d times in 30 s at a 5 ms publish interval", n)
	}
}
