package afpacket

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/bpf"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// ErrUnsupported is returned by Open on platforms without AF_PACKET.
var ErrUnsupported = fmt.Errorf("afpacket: AF_PACKET capture needs Linux: %w", errors.ErrUnsupported)

// ErrClosed is returned by Next, Send and Stats after Close.
var ErrClosed = errors.New("afpacket: capture closed")

// Defaults for Options' zero fields.
const (
	DefaultBlockSize     = 128 << 10 // bytes per ring block
	DefaultNumBlocks     = 32        // blocks: 4 MiB of ring in all
	DefaultFrameSize     = 2048      // nominal frame slot; TPACKET_V3 packs frames tighter
	DefaultRetireTimeout = 10 * time.Millisecond
	DefaultSnaplen       = 0x40000 // bytes kept of each frame: all of any real frame
	DefaultTXStampWait   = 10 * time.Millisecond

	// MaxRingSize bounds BlockSize×NumBlocks so that a typo cannot pin
	// gigabytes of kernel memory.
	MaxRingSize = 1 << 30
)

// Options configure a Capture. The zero value is a good default.
type Options struct {
	// BlockSize is the size of one ring block in bytes: a power of two and a
	// multiple of the page size. Default DefaultBlockSize (128 KiB). A block
	// is handed to user space when it is full or RetireTimeout after its first
	// frame, so with slow traffic each block holds few frames: prefer many
	// small blocks to a few large ones.
	BlockSize int
	// NumBlocks is the number of blocks in the ring. Default DefaultNumBlocks
	// (32), making a 4 MiB ring with the default BlockSize.
	NumBlocks int
	// FrameSize is tpacket_req3's frame size: a multiple of 16, at least 128,
	// at most BlockSize. TPACKET_V3 packs variable-length frames into blocks
	// and uses it only for a consistency check. Default DefaultFrameSize (2048).
	FrameSize int
	// RetireTimeout is how long the kernel waits after a block's first frame
	// before handing a partly filled block to user space; it bounds the
	// latency of a quiet capture. At least a millisecond, rounded to
	// milliseconds. Default DefaultRetireTimeout (10 ms).
	RetireTimeout time.Duration
	// Snaplen is the number of bytes kept of each frame; the filter returns
	// it. At least 64. Default DefaultSnaplen (256 KiB: every frame whole).
	Snaplen int
	// Filter replaces the PTP filter (PTPFilter(Snaplen)) when not nil, for
	// benchmarks and tests that want other traffic.
	Filter []bpf.RawInstruction
	// NoPromiscuous leaves the interface's promiscuous mode alone. Default
	// false: the socket puts the interface in promiscuous mode
	// (PACKET_MR_PROMISC, undone by the kernel when the socket closes), since
	// a monitor on a mirror port must see frames addressed to others and PTP
	// multicast groups nobody on the host joined.
	NoPromiscuous bool
	// IgnoreOutgoing drops frames the host itself sends on the interface
	// (PACKET_IGNORE_OUTGOING), including those sent with Send. Default
	// false: outgoing PTP frames are captured as well.
	IgnoreOutgoing bool
	// FanoutGroup, when not zero, joins the socket to a PACKET_FANOUT group
	// with this id in hash mode, so several Captures on one interface share
	// its frames by flow. Default 0: no fanout.
	FanoutGroup uint16
	// Queue is reported as Frame.Queue for every frame (AF_PACKET does not
	// tell the receive queue); a fanout member's index, say. Default 0.
	Queue uint16
	// Segment is the network segment reported by Interfaces. Default 0.
	Segment uint16
	// TXStampWait is how long Send waits for the kernel's software transmit
	// timestamp before falling back to the time read before sending.
	// Default DefaultTXStampWait (10 ms).
	TXStampWait time.Duration
}

// withDefaults returns o with defaults filled in, or an error naming the
// first bad option.
func (o Options) withDefaults(pageSize int) (Options, error) {
	if o.BlockSize == 0 {
		o.BlockSize = DefaultBlockSize
	}
	if o.NumBlocks == 0 {
		o.NumBlocks = DefaultNumBlocks
	}
	if o.FrameSize == 0 {
		o.FrameSize = DefaultFrameSize
	}
	if o.RetireTimeout == 0 {
		o.RetireTimeout = DefaultRetireTimeout
	}
	if o.Snaplen == 0 {
		o.Snaplen = DefaultSnaplen
	}
	if o.TXStampWait == 0 {
		o.TXStampWait = DefaultTXStampWait
	}
	switch {
	case o.BlockSize < pageSize || o.BlockSize%pageSize != 0 || o.BlockSize&(o.BlockSize-1) != 0:
		return o, fmt.Errorf("afpacket: block size %d must be a power of two and a multiple of the page size %d", o.BlockSize, pageSize)
	case o.NumBlocks < 1:
		return o, fmt.Errorf("afpacket: block count %d must be at least 1", o.NumBlocks)
	case int64(o.BlockSize)*int64(o.NumBlocks) > MaxRingSize:
		return o, fmt.Errorf("afpacket: ring of %d blocks of %d bytes exceeds %d bytes", o.NumBlocks, o.BlockSize, MaxRingSize)
	case o.FrameSize < 128 || o.FrameSize%16 != 0 || o.FrameSize > o.BlockSize:
		return o, fmt.Errorf("afpacket: frame size %d must be a multiple of 16 between 128 and the block size %d", o.FrameSize, o.BlockSize)
	case o.RetireTimeout < time.Millisecond || o.RetireTimeout > time.Minute:
		return o, fmt.Errorf("afpacket: retire timeout %v must be between 1ms and 1m", o.RetireTimeout)
	case o.Snaplen < 64:
		return o, fmt.Errorf("afpacket: snaplen %d must be at least 64", o.Snaplen)
	case o.TXStampWait < 0:
		return o, fmt.Errorf("afpacket: TX timestamp wait %v must not be negative", o.TXStampWait)
	}
	return o, nil
}

// Stats counts what a Capture saw. Kernel counts come from PACKET_STATISTICS.
type Stats struct {
	Received   uint64 // frames Next returned
	Restored   uint64 // of those, frames whose stripped VLAN tag was re-inserted
	FilteredIn uint64 // frames the kernel's filter accepted, dropped ones included (tp_packets)
	Drops      uint64 // frames accepted but lost because the ring was full (tp_drops)
	FreezeQ    uint64 // times the ring ran out of free blocks (tp_freeze_q_cnt)
	EmptyPolls uint64 // times Next found the ring empty and waited in poll(2)
	Blocks     uint64 // ring blocks handed back to the kernel
	Sent       uint64 // frames sent with Send
}

// InterfaceError reports that the capture interface went down or away
// (ENETDOWN, ENODEV, ENXIO), or could not be found at Open. The caller
// should Close the Capture and Open it again when the interface is back;
// errors.As finds it through any wrapping.
type InterfaceError struct {
	Op     string // "open", "next", "send"
	Ifname string
	Err    error
}

func (e *InterfaceError) Error() string {
	return "afpacket: " + e.Op + " " + e.Ifname + ": interface unavailable: " + e.Err.Error()
}

func (e *InterfaceError) Unwrap() error { return e.Err }

// TXSource says where a Send timestamp came from.
type TXSource uint8

// TX timestamp sources.
const (
	TXNone     TXSource = iota // no timestamp
	TXSoftware                 // the kernel's software TX timestamp (SOF_TIMESTAMPING_TX_SOFTWARE), taken in the driver
	TXUser                     // CLOCK_REALTIME read just before the send system call: the kernel gave none in time
)

var txSourceNames = [...]string{"none", "software", "user"}

func (s TXSource) String() string {
	if int(s) < len(txSourceNames) {
		return txSourceNames[s]
	}
	return "invalid"
}

// Capture is an AF_PACKET capture on one interface with a TPACKET_V3 ring,
// plus a packet socket for sending frames on the same interface. One
// goroutine owns Next; Stats may be called from any goroutine; Send is safe
// for concurrent use with Next but not with other Sends.
type Capture struct {
	ifname string
	ifaces []source.Interface
	opts   Options
	r      ring
	holdP  atomic.Bool  // wait in poll(2) keeping the Go P (KeepProcessor)
	idleNs atomic.Int64 // ReturnIdle's limit, ns; 0: wait until a frame

	received   atomic.Uint64
	restored   atomic.Uint64
	emptyPolls atomic.Uint64
	blocks     atomic.Uint64
	sent       atomic.Uint64

	mu     sync.Mutex // guards closed and the kernel counters below
	closed bool
	kstats Stats // accumulated PACKET_STATISTICS (they reset on every read)

	sys capture // platform part
}

var _ source.Source = (*Capture)(nil)

// Open starts capturing PTP frames on the interface named ifname. It needs
// CAP_NET_RAW; the error saying so wraps os.ErrPermission when it is
// missing. A missing interface gives an *InterfaceError.
func Open(ifname string, opts Options) (*Capture, error) {
	return open(ifname, opts)
}

// Next fills f with the next captured frame. f.Data aliases the ring (or,
// for a frame whose VLAN tag was restored, a buffer of the Capture) and is
// valid until the next call to Next. When no frame is ready Next waits in
// poll(2), in slices of at most 100 ms so that ctx's cancellation and
// deadline are honoured; it returns ctx.Err() (or context.DeadlineExceeded)
// when ctx ends, and an *InterfaceError when the interface goes down or
// away. Next does not allocate.
func (c *Capture) Next(ctx context.Context, f *source.Frame) error {
	waited := false
	for {
		ok := c.r.next(f)
		if c.r.released != 0 {
			c.blocks.Add(c.r.released)
			c.r.released = 0
		}
		if ok {
			f.Link = decode.LinkEthernet
			f.Interface = 0
			f.Queue = c.opts.Queue
			c.received.Add(1)
			if c.r.restoredLast {
				c.restored.Add(1)
			}
			return nil
		}
		idle := time.Duration(c.idleNs.Load())
		if idle > 0 && waited {
			return source.ErrIdle
		}
		c.emptyPolls.Add(1)
		if err := c.wait(ctx, idle); err != nil {
			return err
		}
		waited = true
	}
}

// Interfaces returns the one capture interface.
func (c *Capture) Interfaces() []source.Interface { return c.ifaces }

// Stats returns the capture's counters so far.
func (c *Capture) Stats() (Stats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	if !c.closed {
		err = c.kernelStats() // adds to c.kstats
	}
	s := c.kstats
	s.Received = c.received.Load()
	s.Restored = c.restored.Load()
	s.EmptyPolls = c.emptyPolls.Load()
	s.Blocks = c.blocks.Load()
	s.Sent = c.sent.Load()
	return s, err
}

// Send transmits frame, a complete Ethernet frame (VLAN tags included, no
// FCS), on the capture interface and returns its transmit time in
// nanoseconds since the Unix epoch: the kernel's software TX timestamp when
// it arrives within Options.TXStampWait, else the time read just before the
// send. SendStamped says which.
func (c *Capture) Send(frame []byte) (sentAt int64, err error) {
	t, _, err := c.SendStamped(frame)
	return t, err
}

// SendStamped is Send, also returning where the timestamp came from.
func (c *Capture) SendStamped(frame []byte) (sentAt int64, src TXSource, err error) {
	if len(frame) < 14 {
		return 0, TXNone, fmt.Errorf("afpacket: send: frame of %d bytes is shorter than an Ethernet header", len(frame))
	}
	t, src, err := c.send(frame)
	if err == nil {
		c.sent.Add(1)
	}
	return t, src, err
}

// Close releases the socket and the ring. It must not be called while Next
// runs in another goroutine: cancel Next's context first.
func (c *Capture) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.kernelStats()
	c.closed = true
	return c.close()
}

// pollSlice bounds each poll(2) so cancellation is noticed promptly.
const pollSlice = 100 * time.Millisecond

// waitTimeout returns how long the next poll may block, or an error when
// ctx has ended. It does not allocate.
func waitTimeout(ctx context.Context, limit time.Duration) (time.Duration, error) {
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	default:
	}
	d := pollSlice
	if limit > 0 {
		d = min(d, limit)
	}
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		if left <= 0 {
			return 0, context.DeadlineExceeded
		}
		if left < d {
			d = left
		}
	}
	return d, nil
}

// newMemCapture returns a Capture reading a ring the caller built in
// memory, with no socket: for tests and benchmarks.
func newMemCapture(r ring, opts Options) *Capture {
	return &Capture{
		ifname: "memory",
		ifaces: []source.Interface{{Name: "memory", Segment: opts.Segment}},
		opts:   opts,
		r:      r,
		sys:    noSys(),
	}
}

// KeepProcessor makes Next wait for frames in poll(2) without handing the
// Go runtime's processor (P) back while it sleeps, so that waking up never
// waits for another thread to return one (see package rtwait). Only for a
// goroutine locked to a real-time thread that holds an rtwait.Reserve.
func (c *Capture) KeepProcessor(on bool) { c.holdP.Store(on) }

// ReturnIdle makes Next return source.ErrIdle when it has waited d and no
// frame came, so that a caller taking turns with other threads
// (rtwait.Relay) gets the loop back between frames; 0 (the default) waits
// until a frame, an error or the end of Next's context.
func (c *Capture) ReturnIdle(d time.Duration) { c.idleNs.Store(int64(d)) }
