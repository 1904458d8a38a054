// Package source defines how frames enter ptpwatch: every frame source
// (live AF_XDP and AF_PACKET capture, capture-file replay, the built-in
// network simulator, remote probes) hands frames to the pipeline through
// the one small Source interface, one Source per capture queue.
//
// # Ownership
//
// A Source fills a Frame the caller owns. Frame.Data aliases the source's
// own buffer and stays valid only until the next call to Next; the pipeline
// copies what it keeps (into the RAM capture buffer) before asking again.
// Next does not allocate in steady state.
package source

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/ring"
)

// TimestampSource says where a frame's capture timestamp came from, so every
// figure derived from it can say how good it is. It is the capture buffer's
// type, so a frame's source travels unchanged into the buffer.
type TimestampSource = ring.TimestampSource

// Timestamp sources, best first. The zero value means the frame has none.
const (
	TimestampNone      = ring.SourceNone
	TimestampHardware  = ring.SourceHardware  // the NIC stamped it on arrival
	TimestampXDPTAI    = ring.SourceXDPTAI    // bpf_ktime_get_tai_ns in the XDP program
	TimestampSoftware  = ring.SourceSocket    // the kernel socket layer (SO_TIMESTAMPING software)
	TimestampFile      = ring.SourceFile      // read from a capture file
	TimestampSimulated = ring.SourceSimulated // the simulator's virtual clock
)

// ErrIdle is returned by a live capture's Next that was told to wait for
// a frame at most a given time (ReturnIdle) and got none: nothing is
// wrong, and the caller may call Next again.
var ErrIdle = errors.New("no frame arrived within the wait limit")

// Frame is one captured frame and what the source knows about its capture.
type Frame struct {
	Data      []byte          // captured bytes; valid until the next Next
	OrigLen   int             // length on the wire; ≥ len(Data)
	Timestamp int64           // capture time, nanoseconds since the Unix epoch
	TSSource  TimestampSource // where Timestamp came from
	Link      decode.LinkType // link-layer type of Data
	Interface uint16          // index into the source's Interfaces
	Queue     uint16          // receive queue on that interface
}

// Interface describes one capture interface of a source.
type Interface struct {
	Name    string
	Segment uint16 // the network segment the operator assigned to it
}

// Names lists the interfaces' names in order (never nil, so that it
// encodes as an empty JSON list).
func Names(ifaces []Interface) []string {
	names := make([]string, 0, len(ifaces))
	for _, i := range ifaces {
		names = append(names, i.Name)
	}
	return names
}

// Source produces frames. Implementations need not be safe for concurrent
// use: one goroutine owns one Source.
type Source interface {
	// Next fills f with the next frame. It returns io.EOF when a finite
	// source (a capture file, a scripted simulation) has no more frames, and
	// ctx.Err() when ctx ends while it waits.
	Next(ctx context.Context, f *Frame) error
	// Interfaces lists the interfaces Frame.Interface indexes.
	Interfaces() []Interface
	// Close releases the source's resources.
	Close() error
}

// Pacer delays frames so they are delivered at the rate they were captured
// (Speed 1), a multiple of it, or as fast as possible (Speed 0). It wraps
// a finite source such as a file replay or the simulator's virtual clock.
type Pacer struct {
	Source
	Speed float64
	// Sleep waits for d or until ctx ends; nil means a timer. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error

	first   int64
	startAt time.Time
	started bool
	timer   *time.Timer // reused, so pacing allocates nothing per frame
	// waiting is true while Next waits for a frame's time: the reader is
	// ahead of the recorded traffic, nothing is due.
	waiting atomic.Bool
	// speed is a new Speed from SetSpeed, taken by the next Next.
	speed atomic.Pointer[float64]
}

// SetSpeed changes the pace from any goroutine while another calls Next
// (a SIGHUP reload): from the next frame on, which is delivered at once
// and paced from.
func (p *Pacer) SetSpeed(s float64) { p.speed.Store(&s) }

// CaughtUp reports whether the pacer is waiting for the next frame's
// time (nothing due waits for the reader). An unpaced replay (Speed 0)
// is never caught up: its next frame is always due.
func (p *Pacer) CaughtUp() (caughtUp, ok bool) { return p.waiting.Load(), true }

// Next returns the next frame of the wrapped source once its time has come.
func (p *Pacer) Next(ctx context.Context, f *Frame) error {
	if err := p.Source.Next(ctx, f); err != nil {
		return err
	}
	if p.speed.Load() != nil {
		p.Speed, p.started = *p.speed.Swap(nil), false
	}
	if p.Speed <= 0 {
		return nil
	}
	if !p.started {
		p.first, p.startAt, p.started = f.Timestamp, time.Now(), true
		return nil
	}
	due := p.startAt.Add(time.Duration(float64(f.Timestamp-p.first) / p.Speed))
	d := time.Until(due)
	if d <= 0 {
		return nil
	}
	p.waiting.Store(true)
	defer p.waiting.Store(false)
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	if p.timer == nil {
		p.timer = time.NewTimer(d)
	} else {
		p.timer.Reset(d)
	}
	select {
	case <-p.timer.C:
		return nil
	case <-ctx.Done():
		p.timer.Stop()
		return ctx.Err()
	}
}

// Progress is implemented by live sources that can tell, from any
// goroutine while another calls Next, whether the reader has caught up
// with them. The pipeline uses it to judge silence against what capture
// has delivered: while frames wait to be read, a quiet model means a slow
// reader, not a quiet network.
type Progress interface {
	// CaughtUp reports whether no captured frame waits for Next (every
	// frame captured so far has been returned); ok is false when the
	// source cannot tell.
	CaughtUp() (caughtUp, ok bool)
}

// CaughtUp asks src whether its reader has caught up, when src implements
// Progress; ok is false otherwise.
func CaughtUp(src Source) (caughtUp, ok bool) {
	if p, is := src.(Progress); is {
		return p.CaughtUp()
	}
	return false, false
}

// Realtime is implemented by live sources whose reader (the goroutine
// calling Next) runs at real-time priority: the pipeline runs its shard
// workers at the same priority, so that decode's hand-off to them never
// waits for a normal-priority thread.
type Realtime interface {
	// ReaderPriority is the reader's SCHED_FIFO priority, 0 for normal
	// scheduling.
	ReaderPriority() int
}

// ReaderPriority asks src for its reader's SCHED_FIFO priority when src
// implements Realtime; 0 otherwise. Wrappers that pass frames on
// implement Realtime with it.
func ReaderPriority(src Source) int {
	if r, is := src.(Realtime); is {
		return r.ReaderPriority()
	}
	return 0
}

// Lossy is implemented by sources that can lose frames before Next sees
// them (live capture: a full kernel ring, no free buffer, a full hand-off).
// The pipeline asks before every frame, so that the model treats the
// frames a capture lost as a capture gap (state.Model.CaptureGap), not as
// silence or lost sequenceIds of the network.
type Lossy interface {
	// Lost returns how many frames the source has lost so far, as far as
	// it knows when asked (it may learn of some later than it lost them).
	// A change, either way, means frames went missing (a counter also
	// restarts when an interface's capture does). It must be cheap (no
	// lock, no system call, no allocation) and safe to call from the
	// goroutine calling Next.
	Lost() uint64
}

// Lost asks src how many frames it has lost so far, when src implements
// Lossy; 0 otherwise. Wrappers that pass frames on implement Lossy with it.
func Lost(src Source) uint64 {
	if l, is := src.(Lossy); is {
		return l.Lost()
	}
	return 0
}

// LossRefresher is implemented by Lossy sources that learn of some losses
// by reading counters (a kernel's drop statistics): RefreshLost reads them
// now, so that Lost reports those losses sooner. It may lock, make system
// calls and allocate; the pipeline calls it from its watch goroutine every
// publish interval, never from the reading goroutine.
type LossRefresher interface {
	RefreshLost()
}

// RefreshLost calls src's RefreshLost when src implements LossRefresher.
func RefreshLost(src Source) {
	if r, is := src.(LossRefresher); is {
		r.RefreshLost()
	}
}

// Mark numbers a frame within its origin (for a collector: the probe
// site) so that a consumer storing frames can say how far it got: the
// origin's run (a new one each time the origin restarts) and the frame's
// sequence within it. Marks order by Run, then Frame.
type Mark struct {
	Run   uint64 `json:"run"`
	Frame uint64 `json:"frame"`
}

// Covers reports whether the frame (run, frame) is at or below m.
func (m Mark) Covers(run, frame uint64) bool {
	return run < m.Run || run == m.Run && frame <= m.Frame
}

// Marked is implemented by sources that redeliver frames after a crash
// unless told what was stored (xdp/remote's collector reads again from
// its last saved position). A consumer that stores frames durably
// (state/dashcam) makes delivery exactly-once with it: before the first
// Next it hands back the marks it stored last (Resume); it stores each
// frame's mark (FrameMark) with the frame, and once those are durable it
// says so (Stored), which lets the source move its saved position on.
type Marked interface {
	// FrameMark returns the origin and mark of the frame Next returned
	// last ("" when none). Call it from Next's goroutine; it must not
	// allocate.
	FrameMark() (origin string, m Mark)
	// Resume hands the source the marks stored last, before the first
	// Next: frames at or below them are not delivered again, and the
	// source's saved position moves only as Stored allows.
	Resume(marks map[string]Mark) error
	// Stored tells the source that every frame of origin up to m is
	// stored durably. Any goroutine may call it.
	Stored(origin string, m Mark)
}
