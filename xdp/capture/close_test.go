package capture

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// heldConn is a connection that knows when its memory is in use: inside
// Next, or (as the test says) while the reader holds the frame Next
// returned. Closing it then counts as a violation: a real AF_XDP or
// AF_PACKET connection unmaps its rings in Close.
type heldConn struct {
	frames   chan []byte
	inNext   atomic.Bool
	holding  atomic.Bool // set by the test's reader
	closed   atomic.Bool
	violated atomic.Bool
}

func newHeldConn() *heldConn { return &heldConn{frames: make(chan []byte, 16)} }

func (c *heldConn) Next(ctx context.Context, f *source.Frame) error {
	c.inNext.Store(true)
	defer c.inNext.Store(false)
	if c.closed.Load() {
		c.violated.Store(true)
	}
	select {
	case d := <-c.frames:
		*f = source.Frame{Data: d, OrigLen: len(d)}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *heldConn) Close() error {
	if c.inNext.Load() || c.holding.Load() {
		c.violated.Store(true)
	}
	c.closed.Store(true)
	return nil
}

func (c *heldConn) Interfaces() []source.Interface { return []source.Interface{{Name: "held0"}} }
func (c *heldConn) Send([]byte) (int64, error)     { return 0, nil }
func (c *heldConn) Counters() map[string]uint64    { return nil }
func (c *heldConn) Queues() []int                  { return []int{0} }

func openHeld(t *testing.T) (*Capture, *heldConn) {
	t.Helper()
	conn := newHeldConn()
	c, err := Open([]Spec{{Name: "held0", Method: AFXDP}}, Options{
		Openers:     map[Method]Opener{AFXDP: func(string) (Conn, error) { return conn, nil }},
		SharedCheck: notShared,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c, conn
}

// TestCloseWhileNextWaits closes a one-interface capture from another
// goroutine while Next waits for a frame: Next returns ErrClosed, and the
// connection is closed only after it has.
func TestCloseWhileNextWaits(t *testing.T) {
	c, conn := openHeld(t)
	readErr := make(chan error, 1)
	go func() {
		var f source.Frame
		readErr <- c.Next(context.Background(), &f)
	}()
	for !conn.inNext.Load() {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-readErr; !errors.Is(err, ErrClosed) {
		t.Errorf("Next after Close = %v, want ErrClosed", err)
	}
	if !conn.closed.Load() || conn.violated.Load() {
		t.Errorf("closed %v, closed under the reader %v", conn.closed.Load(), conn.violated.Load())
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	var f source.Frame
	if err := c.Next(context.Background(), &f); !errors.Is(err, ErrClosed) {
		t.Errorf("Next after Close returned = %v, want ErrClosed", err)
	}
}

// TestCloseWhileReaderHoldsFrame closes while the reader still uses the
// frame Next returned: Close waits for the reader's next call, which
// returns ErrClosed, and only then closes the connection.
func TestCloseWhileReaderHoldsFrame(t *testing.T) {
	c, conn := openHeld(t)
	conn.frames <- []byte{1, 2, 3}
	var f source.Frame
	if err := c.Next(context.Background(), &f); err != nil {
		t.Fatal(err)
	}
	conn.holding.Store(true)
	closeErr := make(chan error, 1)
	go func() { closeErr <- c.Close() }()
	time.Sleep(100 * time.Millisecond)
	if conn.closed.Load() {
		t.Fatal("Close closed the connection while the reader held a frame")
	}
	conn.holding.Store(false)
	if err := c.Next(context.Background(), &f); !errors.Is(err, ErrClosed) {
		t.Errorf("Next = %v, want ErrClosed", err)
	}
	if err := <-closeErr; err != nil {
		t.Errorf("Close: %v", err)
	}
	if !conn.closed.Load() || conn.violated.Load() {
		t.Errorf("closed %v, closed under the reader %v", conn.closed.Load(), conn.violated.Load())
	}
}

// TestCloseGivesUp: a reader that keeps its frame past CloseWait gets an
// error from Close, the connection stays open, and the reader's next call
// to Next closes it.
func TestCloseGivesUp(t *testing.T) {
	defer func(d time.Duration) { CloseWait = d }(CloseWait)
	CloseWait = 50 * time.Millisecond
	c, conn := openHeld(t)
	conn.frames <- []byte{1}
	var f source.Frame
	if err := c.Next(context.Background(), &f); err != nil {
		t.Fatal(err)
	}
	conn.holding.Store(true)
	if err := c.Close(); err == nil || !strings.Contains(err.Error(), "still holds a frame") {
		t.Errorf("Close = %v, want an error saying the reader holds a frame", err)
	}
	if conn.closed.Load() {
		t.Fatal("the connection was closed under the reader")
	}
	conn.holding.Store(false)
	if err := c.Next(context.Background(), &f); !errors.Is(err, ErrClosed) {
		t.Errorf("Next = %v, want ErrClosed", err)
	}
	if !conn.closed.Load() || conn.violated.Load() {
		t.Errorf("closed %v, closed under the reader %v", conn.closed.Load(), conn.violated.Load())
	}
}
