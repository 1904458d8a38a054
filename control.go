package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"ptpwatch/state"
	"ptpwatch/xdp/capture"
	"ptpwatch/xdp/source"
)

// control starts and stops the pipeline's reading of the frame source, for
// POST /api/v1/capture/start and /stop. Stopping keeps the model and the
// RAM buffer; a live capture is closed (the XDP program detached) and
// opened again on start. A demo or replay source is paused: frames it
// produces while stopped are skipped, as a capture would miss them.
type control struct {
	a     *appliance
	cfg   Config
	desc  string
	ended chan error // the source ended by itself (EOF or failure)

	mu      sync.Mutex
	src     source.Source
	gate    *gate
	cancel  context.CancelFunc
	done    chan struct{}
	running bool
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

// ErrCaptureRunning and ErrCaptureStopped answer a start or stop that has
// nothing to do; the API reports them as conflicts.
var (
	errCaptureRunning = errors.New("capture is already running")
	errCaptureStopped = errors.New("capture is already stopped")
)

func (c *control) StartCapture() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return errCaptureRunning
	}
	if c.src == nil {
		src, _, err := openSource(c.cfg, c.a.log, c.a.captureEvent)
		if err != nil {
			return err
		}
		c.src = src
		c.gate = &gate{Source: src}
		if live, ok := src.(*capture.Capture); ok {
			c.a.back.live.Store(live)
		}
	} else if c.gate != nil && c.done != nil {
		c.gate.skipBefore = time.Now().UnixNano() // resume: skip what was missed
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	c.cancel, c.done, c.running = cancel, done, true
	c.a.back.running.Store(true)
	c.a.model.Events.Add(state.Event{Time: time.Now().UnixNano(), Type: state.CaptureStarted, Subject: c.desc})
	go func(g *gate) {
		defer close(done)
		err := c.a.pipe.Run(ctx, g)
		c.a.back.running.Store(false)
		if ctx.Err() == nil {
			c.ended <- err
		}
	}(c.gate)
	return nil
}

func (c *control) StopCapture() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return errCaptureStopped
	}
	c.cancel()
	<-c.done
	c.running = false
	c.a.model.Events.Add(state.Event{Time: time.Now().UnixNano(), Type: state.CaptureStopped, Subject: c.desc})
	if _, live := c.src.(*capture.Capture); live {
		// Let go of the interface: detach the XDP program, close sockets.
		err := c.src.Close()
		c.src, c.gate = nil, nil
		c.a.back.live.Store(nil)
		return err
	}
	return nil
}

// close stops reading and closes the source, at shutdown.
func (c *control) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		c.cancel()
		<-c.done
		c.running = false
	}
	if c.src != nil {
		c.src.Close()
		c.src = nil
	}
}
