package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// Judging silence in live mode.
//
// The model's time-driven checks (Master Silent when a master's Announce or
// Sync stops) compare a master's last message with "now". Taking now from
// the wall clock blames the network for the appliance's own stalls: when
// the reader is starved of CPU, frames wait in the source while the wall
// clock runs on, and every master looks silent. So now is the capture
// time up to which capture has delivered:
//
//   - The reader publishes the newest capture time it has handed to the
//     shards (lastCap) and when it did (lastAt, monotonic), at the points
//     where every frame read so far is in the shards' rings (never per
//     frame; no lock).
//   - A watcher, every publish interval, asks whether frames wait to be
//     read: the source says so when it implements source.Progress (the
//     demo's pacer, a capture of several interfaces); otherwise the reader
//     counts as caught up when it has returned no frame for an interval.
//     Caught up, the capture is complete up to now, which in capture time
//     is lastCap plus the time since lastAt (so the capture clock need not
//     be the wall clock). Behind, it is complete only up to lastCap.
//   - Shards tick at that time (tickAt) when their ring is empty, so
//     every frame captured before it has been applied.
//
// A reader more than StallAfter behind (how much later than its quickest
// the newest frame it delivered arrives) raises a Capture Trouble event,
// and another when it has caught up. Time in which capture does not run
// (Run not running) is not judged at all: no ticks happen then, and each
// Run starts with Model.CaptureGap, so that when capture resumes the
// model judges silence and sequenceIds from the resume, not from the last
// frame before the stop.
//
// Frames the capture lost are a gap as well. A source that can lose
// frames says how many it has lost (source.Lossy); the reader asks before
// every frame, and when the count moved it pushes what it holds for the
// shards, declares a gap and stamps every later observation with the new
// count (state.Observation.Gaps). A shard re-baselines at the first
// observation so stamped, and ticks by the count it loaded before taking
// its last observations (Shard.TickGaps): frames read before the loss are
// judged before it, frames read after it after it, whatever the rings
// still held when it was declared.

// DefaultStallAfter is Pipeline.StallAfter's default.
const DefaultStallAfter = 2 * time.Second

// readerWatch follows the reader of one Run.
type readerWatch struct {
	p        *Pipeline
	src      source.Source
	ctx      context.Context // Run's: once it ends, the source's state says nothing
	received uint64          // Counters.Received at the last check
	// base is the smallest (lastAt − lastCap) seen: the offset between
	// the monotonic and the capture clock plus the quickest delivery.
	base     int64
	haveBase bool
	stalled  bool
	stallAt  int64 // when the stall began, ns since Run started
	worst    int64
}

// check runs at now (ns since Run started): it moves tickAt on and
// reports stalls.
func (w *readerWatch) check(now int64) {
	p := w.p
	// Kernel drop counters read now: a loss gap is declared at the
	// reader's next frame, not when the loss watch next looks.
	source.RefreshLost(w.src)
	// lastCap before lastAt (the reader stores them the other way round):
	// lastAt is then as new as lastCap's or newer, which errs on the side
	// of judging less time.
	capT := p.lastCap.Load()
	at := p.lastAt.Load()
	received := p.Counters.Received.Load()
	active := received != w.received
	w.received = received
	if capT == 0 {
		return // nothing delivered yet
	}
	off := at - capT
	if !w.haveBase || off < w.base {
		w.base, w.haveBase = off, true
	}
	caughtUp, known := source.CaughtUp(w.src)
	var tick, lag int64
	if caughtUp || (!known && !active) {
		// Nothing waits to be read: capture is complete up to now.
		tick = capT + (now - at)
		if known {
			// The newest frame came without waiting: its delay is the
			// clocks' offset (re-anchored here, should either clock step).
			w.base = off
		}
	} else {
		tick = capT
		lag = max(0, now-capT-w.base)
	}
	if tick > p.tickAt.Load() {
		p.tickAt.Store(tick)
	}
	p.lag.Store(lag)
	if w.ctx.Err() != nil {
		// Run is ending: a source woken by the cancellation no longer
		// waits for anything (checked after asking it, which it answered
		// after the cancellation if at all affected by it).
		return
	}
	limit := p.stallAfter()
	switch {
	case !w.stalled && lag > int64(limit):
		w.stalled, w.stallAt, w.worst = true, now-lag, lag
		p.event(state.Event{Type: state.CaptureTrouble, Subject: "frame reader", After: time.Duration(lag).Round(time.Millisecond).String(),
			Detail: fmt.Sprintf("the frame reader is %v behind capture: frames wait to be read (the appliance is short of CPU?); "+
				"until it catches up, silence is judged by the capture time of the frames read, not the clock",
				time.Duration(lag).Round(time.Millisecond))})
	case w.stalled:
		w.worst = max(w.worst, lag)
		if lag < int64(limit)/2 {
			w.stalled = false
			p.event(state.Event{Type: state.CaptureTrouble, Severity: state.Notice, Subject: "frame reader",
				Before: time.Duration(w.worst).Round(time.Millisecond).String(), After: "caught up",
				Detail: fmt.Sprintf("the frame reader caught up after %v, having been up to %v behind capture",
					time.Duration(now-w.stallAt).Round(time.Millisecond), time.Duration(w.worst).Round(time.Millisecond))})
		}
	}
}

// Lag is how far the frame reader was behind capture when last checked
// (every publish interval): 0 while it keeps up, and when capture is not
// live. /metrics exports it as ptpwatch_pipeline_lag_seconds.
func (p *Pipeline) Lag() time.Duration { return time.Duration(p.lag.Load()) }

// watch checks the reader every publish interval until done closes.
func (p *Pipeline) watch(ctx context.Context, src source.Source, done <-chan struct{}) {
	w := &readerWatch{p: p, src: src, ctx: ctx}
	t := time.NewTicker(p.publishEvery())
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			w.check(p.mono())
		}
	}
}

// mono is the monotonic time since Run started, ns.
func (p *Pipeline) mono() int64 { return int64(time.Since(p.start)) }

func (p *Pipeline) stallAfter() time.Duration {
	if p.StallAfter > 0 {
		return p.StallAfter
	}
	return DefaultStallAfter
}

func (p *Pipeline) event(e state.Event) {
	if p.Model.Events == nil {
		return
	}
	e.Time = time.Now().UnixNano()
	p.Model.Events.Add(e)
}
