// Package pipeline moves frames from a source through decode into the RAM
// capture buffer and the live model: the spine every frame travels.
//
// # Stages
//
// The goroutine that calls Run reads the source, decodes each frame into a
// reused decode.Frame, turns it into a state.Observation, stores the frame
// in the capture buffer tagged with its scope, message type and instance,
// and routes the observation to the shard that owns its scope. With one
// shard it applies the observation itself; with more, each shard has its own
// goroutine fed through a lock-free SPSC ring (package ring), so no lock is
// shared between cores on the frame path and nothing is allocated per frame.
//
// # Order
//
// Observations of one scope always go to the same shard through one ring,
// so each shard sees its frames in capture order.
package pipeline

import (
	"context"
	"errors"
	"io"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/xdp/rtwait"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// Counters account for every frame a pipeline received.
type Counters struct {
	Received  atomic.Uint64
	Decoded   atomic.Uint64 // OK PTP messages applied to the model
	NotPTP    atomic.Uint64
	Truncated atomic.Uint64
	Malformed atomic.Uint64
	Buffered  atomic.Uint64 // stored in the RAM capture buffer
	// BufferErrors counts frames the buffer refused (larger than it allows).
	BufferErrors atomic.Uint64
	// Reasons counts non-OK frames by decode.Reason.
	Reasons [decode.NumReasons]atomic.Uint64
	// LossGaps counts capture gaps declared because the source lost
	// frames (source.Lossy): the model judged no silence or sequenceIds
	// across them.
	LossGaps atomic.Uint64
}

// Pipeline feeds one model, and optionally one capture buffer, from a source.
type Pipeline struct {
	Model    *state.Model
	Counters Counters
	// Buffer, when set, receives every frame (PTP or not) with its tags.
	// Only this pipeline may append to it.
	Buffer *ring.Buffer
	// Live makes idle shards run their time-driven checks while no frames
	// come, for sources whose timestamps are live (capture, paced demo):
	// against the capture time up to which capture has delivered, which
	// follows the clock only while the reader keeps up (see watch.go).
	Live bool
	// Paced marks a source that delivers frames at a recorded pace (a
	// replay at [replay] speed): shards then publish on time as well as
	// on count, so that readers see the first frames within PublishEvery
	// rather than after a thousand of them.
	Paced bool
	// StallAfter is how far the reader may fall behind capture before a
	// Capture Trouble event says so (live only). Zero means
	// DefaultStallAfter.
	StallAfter time.Duration
	// PublishEvery is how often shards publish snapshots for readers;
	// zero means every 250 ms. Every shard also publishes when Run ends.
	PublishEvery time.Duration
	// OnFrame, when set, sees every frame after decoding, on the reading
	// goroutine (for tests and tools).
	OnFrame func(f *source.Frame, d *decode.Frame, o *state.Observation, ok bool)
	// OnStored, when set, sees every frame as the pipeline stored it, on
	// the reading goroutine after OnFrame: n is its number in Buffer (0
	// without a buffer or when the buffer refused it), m its capture facts
	// and tags (scope and instance tags, message type and version of a
	// PTP frame; zero for others), link and data the frame, and o the
	// observation made of it (nil when the frame is not PTP). m, data and
	// o are valid only during the call. The dashcam recorder takes frames
	// here, so that what it stores is what the buffer holds.
	OnStored func(n uint64, m *ring.RecordMeta, link decode.LinkType, data []byte, o *state.Observation)

	// Buffer resets are carried out by the reading goroutine, the buffer's
	// only writer; resetMu is taken when reading starts and ends and by
	// ResetBuffer, never per frame.
	resetMu  sync.Mutex
	reading  bool
	resetReq atomic.Bool
	resetAck chan struct{}

	// Live runs: what capture has delivered (see watch.go). lastCap is the
	// newest capture time handed to the shards, lastAt when (ns since
	// start), tickAt the capture time shards may judge silence at.
	start   time.Time
	lastCap atomic.Int64
	lastAt  atomic.Int64
	lag     atomic.Int64 // how far the reader was behind capture at the last check, ns
	tickAt  atomic.Int64
}

// ErrResetPending is returned by ResetBuffer when the reading goroutine has
// not yet reached the next frame; the reset still happens before that
// frame is stored.
var ErrResetPending = errors.New("pipeline: capture buffer reset pending: it takes effect before the next frame is stored")

// ResetBuffer empties the capture buffer. While Run reads, the reset is
// handed to the reading goroutine (the buffer's only writer) and ResetBuffer
// waits for it until ctx ends, returning ErrResetPending then.
func (p *Pipeline) ResetBuffer(ctx context.Context) error {
	if p.Buffer == nil {
		return nil
	}
	p.resetMu.Lock()
	if !p.reading {
		p.Buffer.Reset()
		p.resetMu.Unlock()
		return nil
	}
	if !p.resetReq.Load() {
		p.resetAck = make(chan struct{})
	}
	ack := p.resetAck
	p.resetReq.Store(true)
	p.resetMu.Unlock()
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ErrResetPending
	}
}

// doReset runs on the reading goroutine with a reset requested.
func (p *Pipeline) doReset() {
	p.resetMu.Lock()
	p.resetLocked()
	p.resetMu.Unlock()
}

func (p *Pipeline) resetLocked() {
	if p.resetReq.Load() {
		p.Buffer.Reset()
		p.resetReq.Store(false)
		close(p.resetAck)
	}
}

func (p *Pipeline) setReading(on bool) {
	p.resetMu.Lock()
	p.reading = on
	if !on && p.Buffer != nil {
		p.resetLocked()
	}
	p.resetMu.Unlock()
}

// New returns a pipeline feeding m.
func New(m *state.Model) *Pipeline { return &Pipeline{Model: m} }

// ringSize is the capacity of each shard's observation ring.
const ringSize = 4096

// futexSlice bounds a real-time worker's sleep, so that it publishes and
// ticks on time while the source is quiet.
const futexSlice = 50 * time.Millisecond

// batchSize is how many observations the reader gathers per shard before
// pushing them in one ring operation.
const batchSize = 64

// shardWorker is one shard's goroutine and its input ring.
type shardWorker struct {
	sh     *state.Shard
	in     *ring.SPSC[state.Observation]
	wake   chan struct{}
	batch  []state.Observation
	closed atomic.Bool

	// With a real-time source (source.Realtime) the worker runs
	// locked to a SCHED_FIFO thread and sleeps on futexes keeping its Go
	// P, so that neither it nor the reader waits for a P that
	// normal-priority threads would have to hand over (package rtwait).
	// pushed counts the reader's wake-ups, popped the worker's batches;
	// asleep and blocked say who sleeps on which.
	rt      atomic.Bool
	pushed  atomic.Uint32
	asleep  atomic.Bool
	popped  atomic.Uint32
	blocked atomic.Bool
}

// goRealtime locks the worker's goroutine to its thread at SCHED_FIFO
// prio and reserves it a P; the returned function undoes it. A refusal
// leaves the worker at normal scheduling.
func (w *shardWorker) goRealtime(prio int) func() {
	if prio <= 0 {
		return func() {}
	}
	runtime.LockOSThread()
	if err := rtwait.SetFIFO(prio); err != nil {
		runtime.UnlockOSThread()
		return func() {}
	}
	rtwait.Reserve()
	w.rt.Store(true)
	return func() {
		w.rt.Store(false)
		rtwait.Release()
		if rtwait.SetNormal() == nil {
			runtime.UnlockOSThread()
		} // else the thread stays locked and the runtime retires it
	}
}

// signal wakes the worker after the reader pushed observations.
func (w *shardWorker) signal() {
	if w.rt.Load() {
		if w.asleep.CompareAndSwap(true, false) {
			w.pushed.Add(1)
			rtwait.FutexWake(&w.pushed)
		}
		return
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run reads src until it ends (io.EOF, returning nil) or ctx is done
// (returning ctx.Err()), and applies every PTP frame to the model. Only one
// Run may drive a model at a time. Each Run begins with a capture gap
// (state.Model.CaptureGap): the time since the previous Run ended, when
// capture was stopped, is not counted as the network's silence.
func (p *Pipeline) Run(ctx context.Context, src source.Source) error {
	var workers []*shardWorker
	var wg sync.WaitGroup
	// Whatever happened before this Run started was not captured by it:
	// the model must not judge that time (silence, sequenceIds) against
	// the network.
	gaps := p.Model.CaptureGap()
	p.start = time.Now()
	p.lastCap.Store(0)
	p.lastAt.Store(0)
	p.lag.Store(0)
	p.tickAt.Store(0)
	// A live source may pause for long stretches; shard goroutines keep
	// publishing and ticking while it does; a paced one, publishing.
	// Offline, one shard is applied
	// on the reading goroutine, which is fastest.
	if n := p.Model.Shards(); n > 1 || p.Live || p.Paced {
		rtPrio := source.ReaderPriority(src)
		for i := 0; i < n; i++ {
			q, err := ring.NewSPSC[state.Observation](ringSize)
			if err != nil {
				return err
			}
			w := &shardWorker{sh: p.Model.Shard(i), in: q, wake: make(chan struct{}, 1), batch: make([]state.Observation, 0, batchSize)}
			workers = append(workers, w)
			wg.Add(1)
			go func() { defer wg.Done(); defer w.goRealtime(rtPrio)(); p.work(w) }()
		}
	}
	p.setReading(true)
	var watchDone chan struct{}
	if p.Live {
		watchDone = make(chan struct{})
		wg.Add(1)
		go func() { defer wg.Done(); p.watch(ctx, src, watchDone) }()
	}
	err := p.read(ctx, src, workers, gaps)
	p.setReading(false)
	if watchDone != nil {
		close(watchDone)
	}
	for _, w := range workers {
		p.flush(w)
		w.closed.Store(true)
		w.asleep.Store(true) // make signal wake it even if it looked awake
		w.signal()
	}
	wg.Wait()
	if workers == nil {
		p.publish()
	}
	return err
}

// read applies src's frames. gaps is the model's capture gaps when Run
// began; a source that loses frames (source.Lossy) declares another before
// the first frame read after the loss, and every observation carries the
// count declared before it was read (state.Observation.Gaps), so that each
// shard re-baselines between the last frame before a loss and the first
// after, whatever its ring still holds.
func (p *Pipeline) read(ctx context.Context, src source.Source, workers []*shardWorker, gaps uint64) error {
	var (
		fr   source.Frame
		d    decode.Frame
		obs  state.Observation
		meta ring.RecordMeta // outside the loop: OnStored's pointer would move it to the heap per frame
	)
	ifaces := src.Interfaces()
	lossy, _ := src.(source.Lossy)
	var lost uint64
	var lossSaid int64 // capture time of the last loss event: at most one a second
	if lossy != nil {
		lost = lossy.Lost()
	}
	every := p.publishEvery()
	lastPublish := time.Now()
	var lastFlush, newest int64
	for n := 1; ; n++ {
		if err := src.Next(ctx, &fr); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		p.Counters.Received.Add(1)
		if lossy != nil {
			if l := lossy.Lost(); l != lost {
				// Frames went missing before this one: a capture gap,
				// after what the reader holds for the shards.
				lost = l
				for _, w := range workers {
					p.flush(w)
				}
				gaps = p.Model.CaptureGap()
				p.Counters.LossGaps.Add(1)
				if fr.Timestamp-lossSaid >= int64(time.Second) {
					lossSaid = fr.Timestamp
					p.lossEvent(fr.Timestamp, l)
				}
			}
		}
		newest = max(newest, fr.Timestamp)
		ok := false
		meta = ring.RecordMeta{Time: fr.Timestamp, OrigLen: uint32(fr.OrigLen), IfIndex: fr.Interface, Source: fr.TSSource}
		switch d.Decode(fr.Link, fr.Data) {
		case decode.ResultOK:
			seg := uint16(0)
			if int(fr.Interface) >= len(ifaces) {
				ifaces = src.Interfaces()
			}
			if int(fr.Interface) < len(ifaces) {
				seg = ifaces[fr.Interface].Segment
			}
			if state.Observe(&d, seg, fr.Timestamp, fr.TSSource == source.TimestampXDPTAI, &obs) {
				ok = true
				obs.Gaps = gaps
				p.Counters.Decoded.Add(1)
				meta.MessageType, meta.Version = uint8(obs.Kind), d.Version
				if p.Buffer != nil || p.OnStored != nil {
					meta.Scope = obs.Scope.Tag()
					meta.Instance = state.InstanceKey{Scope: obs.Scope, Port: obs.Source}.Tag()
				}
			}
		case decode.ResultNotPTP:
			p.Counters.NotPTP.Add(1)
		case decode.ResultTruncated:
			p.Counters.Truncated.Add(1)
			p.Counters.Reasons[d.Reason].Add(1)
		default:
			p.Counters.Malformed.Add(1)
			p.Counters.Reasons[d.Reason].Add(1)
		}
		var stored uint64
		if p.Buffer != nil {
			if p.resetReq.Load() {
				p.doReset()
			}
			var err error
			if stored, err = p.Buffer.Append(meta, fr.Data); err != nil {
				p.Counters.BufferErrors.Add(1)
			} else {
				p.Counters.Buffered.Add(1)
			}
		}
		obs.FrameNum = stored // the frame's number in Buffer: evidence for findings
		if p.OnFrame != nil {
			p.OnFrame(&fr, &d, &obs, ok)
		}
		if p.OnStored != nil {
			o := &obs
			if !ok {
				o = nil
			}
			p.OnStored(stored, &meta, fr.Link, fr.Data, o)
		}
		if ok {
			if workers == nil {
				p.Model.Shard(0).Apply(&obs)
			} else {
				w := workers[p.Model.ShardFor(obs.Scope)]
				w.batch = append(w.batch, obs)
				if len(w.batch) == batchSize {
					p.flush(w)
				}
			}
		}
		if workers != nil && fr.Timestamp-lastFlush > int64(time.Millisecond) {
			// A paced source delivers frames slowly; do not let them
			// wait in a half-full batch.
			lastFlush = fr.Timestamp
			for _, w := range workers {
				p.flush(w)
			}
			if p.Live {
				// Every frame read is in a ring: publish how far
				// capture has been delivered (lastAt first, see check).
				p.lastAt.Store(p.mono())
				p.lastCap.Store(newest)
			}
		}
		if workers == nil && n&1023 == 0 && time.Since(lastPublish) >= every {
			for i := 0; i < p.Model.Shards(); i++ {
				p.Model.Shard(i).PublishPeriodic()
			}
			lastPublish = time.Now()
		}
	}
}

// lossEvent says, as a Capture Trouble notice at capture time t, that the
// source lost frames (lost so far: lost) and that the model takes the
// stretch as a capture gap. capture.LossWatch names the interfaces and
// causes in its own events.
func (p *Pipeline) lossEvent(t int64, lost uint64) {
	if p.Model.Events == nil {
		return
	}
	p.Model.Events.Add(state.Event{Time: t, Type: state.CaptureTrouble, Severity: state.Notice, Subject: "capture",
		After: strconv.FormatUint(lost, 10) + " lost",
		Detail: "capture lost frames before this time (" + strconv.FormatUint(lost, 10) + " so far): the model takes the stretch " +
			"as a capture gap, so no Master Silent, Sequence Gap or port state change is judged across it"})
}

// flush pushes a worker's pending batch, waiting while its ring is full:
// backpressure reaches the source rather than dropping observations.
func (p *Pipeline) flush(w *shardWorker) {
	b := w.batch
	for len(b) > 0 {
		n := w.in.PushBatch(b)
		b = b[n:]
		w.signal()
		if len(b) == 0 {
			break
		}
		if w.rt.Load() {
			// Sleep until the worker pops a batch (or a moment passes),
			// keeping this goroutine's P.
			seq := w.popped.Load()
			w.blocked.Store(true)
			if w.in.Len() == w.in.Cap() {
				rtwait.FutexWait(&w.popped, seq, time.Millisecond)
			}
			w.blocked.Store(false)
			continue
		}
		runtime.Gosched()
	}
	w.batch = w.batch[:0]
}

// work applies a shard's observations until the reader closes it.
func (p *Pipeline) work(w *shardWorker) {
	buf := make([]state.Observation, batchSize)
	every := p.publishEvery()
	lastPublish := time.Now()
	idle := time.NewTimer(every)
	defer idle.Stop()
	for {
		due := time.Since(lastPublish) >= every
		var tickAt int64
		var gaps uint64
		if due && p.Live {
			// Loaded before popping: every frame captured up to it
			// was in the ring by then, and so was every frame read
			// before a capture gap declared so far (the reader pushes
			// them before it declares one).
			tickAt = p.tickAt.Load()
			gaps = p.Model.CaptureGaps()
		}
		n := w.in.PopBatch(buf)
		if n > 0 && w.rt.Load() {
			w.popped.Add(1)
			if w.blocked.CompareAndSwap(true, false) {
				rtwait.FutexWake(&w.popped)
			}
		}
		for i := 0; i < n; i++ {
			w.sh.Apply(&buf[i])
		}
		if due && (n == 0 || w.sh.Frames&1023 == 0) {
			if tickAt != 0 && n == 0 {
				w.sh.TickGaps(tickAt, gaps)
			}
			w.sh.PublishPeriodic()
			lastPublish = time.Now()
		}
		if n > 0 {
			continue
		}
		if w.closed.Load() && w.in.Len() == 0 {
			w.sh.Publish()
			return
		}
		if w.rt.Load() {
			// Announce the sleep, look again (the reader may have pushed
			// before seeing it), then sleep keeping this thread's P.
			seq := w.pushed.Load()
			w.asleep.Store(true)
			if w.in.Len() == 0 && !w.closed.Load() {
				rtwait.FutexWait(&w.pushed, seq, min(every, futexSlice))
			}
			w.asleep.Store(false)
			continue
		}
		idle.Reset(every)
		select {
		case <-w.wake:
		case <-idle.C:
		}
	}
}

func (p *Pipeline) publishEvery() time.Duration {
	if p.PublishEvery > 0 {
		return p.PublishEvery
	}
	return 250 * time.Millisecond
}

// Tick runs the model's time-driven checks on every shard at now (capture
// time). Offline runs call it after Run, at the time of the last frame.
func (p *Pipeline) Tick(now int64) {
	for i := 0; i < p.Model.Shards(); i++ {
		p.Model.Shard(i).Tick(now)
	}
	p.publish()
}

func (p *Pipeline) publish() {
	for i := 0; i < p.Model.Shards(); i++ {
		p.Model.Shard(i).Publish()
	}
}
