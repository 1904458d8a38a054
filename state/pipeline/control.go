package pipeline

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// ErrRunning and ErrStopped answer a start or stop that has nothing to
// do. They say so by a method Conflict() bool, which the API answers with
// 409 (httpd.CaptureController), without httpd importing this package.
var (
	ErrRunning error = conflictError("capture is already running")
	ErrStopped error = conflictError("capture is already stopped")
)

// conflictError is a request that conflicts with the capture's state.
type conflictError string

func (e conflictError) Error() string { return string(e) }

// Conflict reports that the request conflicts with the capture's state.
func (e conflictError) Conflict() bool { return true }

// Controller starts and stops a Pipeline's reading of its frame source,
// for the API's capture start and stop. Stopping keeps the model and the
// RAM buffer. A source opened by Reopen (live capture) is closed on stop,
// letting go of the interfaces, and opened again on start; any other is
// paused: frames it produces while stopped are skipped, as a capture
// would miss them. Its methods are safe for concurrent use.
type Controller struct {
	pipe   *Pipeline
	desc   string
	reopen func() (source.Source, error)
	// onSource, when set, is told of every source the controller reads
	// and of nil when it closes one.
	onSource func(source.Source)
	ended    chan error
	reading  atomic.Bool // between Start and the end of Run

	mu      sync.Mutex
	src     source.Source
	gate    *gate
	cancel  context.CancelFunc
	done    chan struct{}
	running bool
}

// NewController controls p's reading of src, described as desc in the
// Capture Started and Stopped events it adds to p.Model.Events. reopen,
// when not nil, opens the source again after a stop closed it (live
// capture); a source with no reopen is paused rather than closed.
// onSource, when not nil, is told of each source read and of nil when
// one is closed.
func NewController(p *Pipeline, src source.Source, desc string, reopen func() (source.Source, error), onSource func(source.Source)) *Controller {
	c := &Controller{pipe: p, desc: desc, reopen: reopen, onSource: onSource, ended: make(chan error, 1),
		src: src, gate: &gate{Source: src}}
	c.tell(src)
	return c
}

// Ended delivers the error (nil at the end of a finite source) with which
// the source ended by itself; a stop is not an end.
func (c *Controller) Ended() <-chan error { return c.ended }

// Running reports whether the pipeline is reading.
func (c *Controller) Running() bool { return c.reading.Load() }

func (c *Controller) tell(src source.Source) {
	if c.onSource != nil {
		c.onSource(src)
	}
}

// Start starts reading, opening the source again if a stop closed it. It
// returns ErrRunning when reading already, and the source's error when it
// cannot be opened.
func (c *Controller) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return ErrRunning
	}
	if c.src == nil {
		src, err := c.reopen()
		if err != nil {
			return err
		}
		c.src, c.gate = src, &gate{Source: src}
		c.tell(src)
	} else if c.done != nil {
		c.gate.skipBefore = time.Now().UnixNano() // resume: skip what was missed
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	c.cancel, c.done, c.running = cancel, done, true
	c.reading.Store(true)
	c.event(state.CaptureStarted)
	go func(g *gate) {
		defer close(done)
		err := c.pipe.Run(ctx, g)
		c.reading.Store(false)
		if ctx.Err() == nil {
			c.ended <- err
		}
	}(c.gate)
	return nil
}

// Stop stops reading, and closes a source it can open again. It returns
// ErrStopped when not reading, and the source's error from closing.
func (c *Controller) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return ErrStopped
	}
	c.halt()
	c.event(state.CaptureStopped)
	if c.reopen != nil {
		// Let go of the interface: detach the XDP program, close sockets.
		err := c.src.Close()
		c.src, c.gate = nil, nil
		c.tell(nil)
		return err
	}
	return nil
}

// Close stops reading and closes the source, at shutdown.
func (c *Controller) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		c.halt()
	}
	if c.src != nil {
		c.src.Close()
		c.src = nil
	}
}

// halt ends the reading goroutine; c.mu is held.
func (c *Controller) halt() {
	c.cancel()
	<-c.done
	c.running = false
}

func (c *Controller) event(t state.EventType) {
	c.pipe.Model.Events.Add(state.Event{Time: time.Now().UnixNano(), Type: t, Subject: c.desc})
}

// gate drops frames stamped before skipBefore: those a stopped capture
// would not have seen.
type gate struct {
	source.Source
	skipBefore int64
}

// CaughtUp passes on what the gated source knows of its reader's
// progress (source.Progress).
func (g *gate) CaughtUp() (caughtUp, ok bool) { return source.CaughtUp(g.Source) }

// ReaderPriority implements source.Realtime for the wrapped source.
func (g *gate) ReaderPriority() int { return source.ReaderPriority(g.Source) }

// Lost passes on the gated source's lost frames (source.Lossy).
func (g *gate) Lost() uint64 { return source.Lost(g.Source) }

// RefreshLost passes on to the gated source (source.LossRefresher).
func (g *gate) RefreshLost() { source.RefreshLost(g.Source) }

func (g *gate) Next(ctx context.Context, f *source.Frame) error {
	for {
		if err := g.Source.Next(ctx, f); err != nil {
			return err
		}
		if f.Timestamp >= g.skipBefore {
			return nil
		}
	}
}
