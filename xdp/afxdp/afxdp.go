package afxdp

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ptpwatch/ptpwatch/bpf"
	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// ErrUnsupported is returned by Open on platforms without AF_XDP.
var ErrUnsupported = fmt.Errorf("afxdp: AF_XDP capture needs Linux: %w", errors.ErrUnsupported)

// ErrClosed is returned by Next, Send and Stats after Close.
var ErrClosed = errors.New("afxdp: capture closed")

// ErrInvalidOption is matched (errors.Is) by every *OptionError and
// *QueueError.
var ErrInvalidOption = errors.New("afxdp: invalid option")

// ErrTXBusy is returned by Send when every TX chunk is still in flight
// and the kernel has not completed any within DefaultTXWait.
var ErrTXBusy = errors.New("afxdp: send: no free TX chunk (completions are not coming back)")

// Defaults and limits of Options.
const (
	DefaultChunkSize = 2048
	MinChunkSize     = 2048
	MaxChunkSize     = 4096
	// DefaultUMEMBytes is the UMEM, summed over all queues, that the default
	// NumFrames aims at: 2048 chunks of 2048 bytes, half of the 8 MiB
	// RLIMIT_MEMLOCK that holds where the process lacks CAP_IPC_LOCK.
	DefaultUMEMBytes  = 4 << 20
	MinNumFrames      = 64
	MaxNumFrames      = 1 << 18
	DefaultTXRingSize = 64
	MinRingSize       = 8
	MaxRingSize       = 1 << 18
	// DefaultTXWait is how long Send waits for a TX chunk to come back
	// through the completion ring when all are in flight.
	DefaultTXWait = 10 * time.Millisecond

	// batchSize is the number of RX descriptors Next takes from a ring at
	// once, and the number of returned chunks it gathers before publishing
	// them to the fill ring.
	batchSize = 64
	// pollSlice bounds each poll(2) so that cancellation is noticed.
	pollSlice = 100 * time.Millisecond
)

// BindMode says how the sockets are bound to their queues.
type BindMode uint8

const (
	// BindAuto lets the kernel try zero-copy and fall back to copy mode
	// where the driver has no zero-copy support (veth, most virtual NICs).
	BindAuto     BindMode = iota
	BindCopy              // XDP_COPY: the kernel copies each frame into the UMEM
	BindZeroCopy          // XDP_ZEROCOPY: the NIC writes into the UMEM; Open fails without driver support
)

var bindModeNames = [...]string{"auto", "copy", "zero-copy"}

func (m BindMode) String() string {
	if int(m) < len(bindModeNames) {
		return bindModeNames[m]
	}
	return "invalid"
}

// AttachMode says where the XDP program runs.
type AttachMode uint8

const (
	AttachDriver  AttachMode = iota + 1 // native: in the driver's receive path (XDP_FLAGS_DRV_MODE)
	AttachGeneric                       // generic: after the stack built an skb (XDP_FLAGS_SKB_MODE); slower, for drivers without XDP
)

func (m AttachMode) String() string {
	switch m {
	case AttachDriver:
		return "driver"
	case AttachGeneric:
		return "generic"
	}
	return "none"
}

// Options configure a Capture. The zero value is a good default.
type Options struct {
	// ChunkSize is the size of one UMEM chunk, which holds one frame: a
	// power of two from 2048 to 4096. The kernel keeps 256 bytes of headroom
	// in each (the metadata block lives there), so the longest frame
	// captured is ChunkSize-256 bytes. Default DefaultChunkSize (2048).
	ChunkSize int
	// NumFrames is the number of chunks in each queue's UMEM: a power of two
	// from MinNumFrames to MaxNumFrames. Default: UMEMBytes shared among
	// the queues (2048 chunks for one queue of 2048-byte chunks with the
	// default UMEMBytes), rounded down to a power of two, at least
	// MinNumFrames, and halved while the total exceeds half of
	// RLIMIT_MEMLOCK when the process lacks CAP_IPC_LOCK.
	NumFrames int
	// UMEMBytes is the UMEM, summed over the queues, that the default
	// NumFrames aims at. Default DefaultUMEMBytes. Ignored when NumFrames
	// is set.
	UMEMBytes int
	// RXRingSize is the number of descriptors in each socket's RX ring: a
	// power of two from MinRingSize to MaxRingSize. Default NumFrames. (The
	// fill ring always has NumFrames entries, room for every chunk.)
	RXRingSize int
	// TXRingSize is the number of descriptors in the TX ring and in each
	// completion ring, and the number of chunks of the first queue's UMEM
	// reserved for Send: a power of two from MinRingSize to MaxRingSize, at
	// most NumFrames/2. Default DefaultTXRingSize (64), or NumFrames/2 when
	// that is less.
	TXRingSize int
	// Queues lists the RX queues to capture, each below the interface's
	// active RX queue count (ethtool channels). Default: all of them. Send
	// uses the first one's socket.
	Queues []int
	// Bind chooses copy or zero-copy. Default BindAuto.
	Bind BindMode
	// AllowGeneric attaches the XDP program in generic (skb) mode when the
	// driver refuses driver mode. Default false: Open fails instead, since
	// generic mode costs the stack's skb allocation on every frame.
	AllowGeneric bool
	// NoHardwareTimestamps loads the generic program instead of the
	// device-bound one (bpf.LoadDeviceBound), which asks the driver for each
	// frame's hardware RX timestamp. Default false: try the device-bound
	// program and fall back to the generic one when it does not load.
	NoHardwareTimestamps bool
	// ReplaceForeign lets Open detach an XDP program attached through
	// netlink that is not ptpwatch's. Default false: a stale ptpwatch
	// program (xdp_ptp_filter*, left by a crashed run) is replaced, anything
	// else makes Open fail with a *BusyError.
	ReplaceForeign bool
	// Segment is the network segment reported by Interfaces. Default 0.
	Segment uint16
	// BusyPoll, when positive, turns on preferred busy polling on each
	// socket (SO_PREFER_BUSY_POLL, SO_BUSY_POLL of this many microseconds,
	// rounded up, and SO_BUSY_POLL_BUDGET of BusyPollBudget): Next, finding
	// every RX ring empty, first asks the kernel to run the driver's receive
	// work in its own thread (recvfrom) and looks again before it sleeps in
	// poll(2). Raising SO_BUSY_POLL over net.core.busy_read needs
	// CAP_NET_ADMIN. Default 0: no busy polling (see the package doc for
	// what it did on veth).
	BusyPoll time.Duration
	// BusyPollBudget is the most frames one busy poll takes, up to 1024.
	// Default 64 when BusyPoll is set.
	BusyPollBudget int
}

// OptionError reports an option out of range. It matches ErrInvalidOption.
type OptionError struct {
	Option string // field of Options
	Value  int
	Rule   string // what the value must be
}

func (e *OptionError) Error() string {
	return "afxdp: " + e.Option + " " + strconv.Itoa(e.Value) + " must be " + e.Rule
}

func (e *OptionError) Is(target error) bool { return target == ErrInvalidOption }

// QueueError reports a queue in Options.Queues that the interface does not
// have. It matches ErrInvalidOption.
type QueueError struct {
	Ifname string
	Queue  int
	Active int // RX queues the interface has
}

func (e *QueueError) Error() string {
	return "afxdp: queue " + strconv.Itoa(e.Queue) + " of " + e.Ifname + " must be below its " +
		strconv.Itoa(e.Active) + " active RX queues"
}

func (e *QueueError) Is(target error) bool { return target == ErrInvalidOption }

// MemlockError reports that the UMEM does not fit under RLIMIT_MEMLOCK,
// which the kernel charges UMEM pages against (per user, summed over all
// the user's AF_XDP sockets) unless the process has CAP_IPC_LOCK.
type MemlockError struct {
	Requested uint64 // bytes of UMEM asked for, all queues
	Limit     uint64 // RLIMIT_MEMLOCK in bytes
	Queues    int
	NumFrames int // per queue
	ChunkSize int
	Err       error // ENOBUFS from the kernel, or nil when found before asking
}

func (e *MemlockError) Error() string {
	s := fmt.Sprintf("afxdp: UMEM of %d bytes (%d queues × %d chunks × %d bytes) does not fit under RLIMIT_MEMLOCK of %d bytes",
		e.Requested, e.Queues, e.NumFrames, e.ChunkSize, e.Limit)
	if e.Err != nil {
		s += " together with the user's other locked memory and AF_XDP sockets"
	}
	s += "; give the process CAP_IPC_LOCK, raise the limit, or capture fewer queues or smaller/fewer chunks"
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *MemlockError) Unwrap() error { return e.Err }

// PermissionError reports a system call refused for want of a capability.
// It wraps the EPERM, so errors.Is(err, os.ErrPermission) holds.
type PermissionError struct {
	Op      string // what was refused
	Caps    string // the capabilities it needs, e.g. "CAP_NET_RAW"
	Missing string // those of them the process lacks ("" when it has them all)
	Err     error
}

func (e *PermissionError) Error() string {
	s := "afxdp: " + e.Op + " needs " + e.Caps
	if e.Missing != "" {
		s += " (the process lacks " + e.Missing + ")"
	}
	return s + ": " + e.Err.Error()
}

func (e *PermissionError) Unwrap() error { return e.Err }

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
	return "afxdp: " + e.Op + " " + e.Ifname + ": interface unavailable: " + e.Err.Error()
}

func (e *InterfaceError) Unwrap() error { return e.Err }

// BusyError reports that the interface's XDP hook or an RX queue is taken
// by something Open will not displace: an XDP program that is not
// ptpwatch's (without Options.ReplaceForeign), a program held by a live
// bpf_link (another running capture), or an AF_XDP socket of another
// process on the queue.
type BusyError struct {
	Ifname   string
	ProgID   uint32 // the attached program, 0 when unknown or not a program
	ProgName string
	Reason   string
	Err      error
}

func (e *BusyError) Error() string {
	s := "afxdp: " + e.Ifname + " is busy: " + e.Reason
	if e.ProgID != 0 {
		s += " (program id " + strconv.FormatUint(uint64(e.ProgID), 10)
		if e.ProgName != "" {
			s += ", " + e.ProgName
		}
		s += ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *BusyError) Unwrap() error { return e.Err }

// validate fills the defaults that do not depend on the interface and
// checks every size.
func (o Options) validate() (Options, error) {
	if o.ChunkSize == 0 {
		o.ChunkSize = DefaultChunkSize
	}
	if o.BusyPoll > 0 && o.BusyPollBudget == 0 {
		o.BusyPollBudget = 64
	}
	switch {
	case o.BusyPoll < 0 || o.BusyPoll > time.Second:
		return o, &OptionError{"BusyPoll", int(o.BusyPoll / time.Microsecond), "from 0 to 1,000,000 µs"}
	case o.BusyPollBudget < 0 || o.BusyPollBudget > 1024:
		return o, &OptionError{"BusyPollBudget", o.BusyPollBudget, "from 0 to 1024"}
	case !pow2(o.ChunkSize) || o.ChunkSize < MinChunkSize || o.ChunkSize > MaxChunkSize:
		return o, &OptionError{"ChunkSize", o.ChunkSize, "a power of two from 2048 to 4096"}
	case o.NumFrames != 0 && (!pow2(o.NumFrames) || o.NumFrames < MinNumFrames || o.NumFrames > MaxNumFrames):
		return o, &OptionError{"NumFrames", o.NumFrames, fmt.Sprintf("a power of two from %d to %d", MinNumFrames, MaxNumFrames)}
	case o.RXRingSize != 0 && !ringSizeOK(o.RXRingSize):
		return o, &OptionError{"RXRingSize", o.RXRingSize, fmt.Sprintf("a power of two from %d to %d", MinRingSize, MaxRingSize)}
	case o.TXRingSize != 0 && !ringSizeOK(o.TXRingSize):
		return o, &OptionError{"TXRingSize", o.TXRingSize, fmt.Sprintf("a power of two from %d to %d", MinRingSize, MaxRingSize)}
	case o.NumFrames != 0 && o.TXRingSize != 0 && o.TXRingSize > o.NumFrames/2:
		return o, &OptionError{"TXRingSize", o.TXRingSize, "at most NumFrames/2 = " + strconv.Itoa(o.NumFrames/2)}
	case o.UMEMBytes < 0:
		return o, &OptionError{"UMEMBytes", o.UMEMBytes, "0 (the default) or more"}
	case o.Bind > BindZeroCopy:
		return o, &OptionError{"Bind", int(o.Bind), "BindAuto, BindCopy or BindZeroCopy"}
	}
	seen := map[int]bool{}
	for _, q := range o.Queues {
		if q < 0 || q >= bpf.XSKMapSize {
			return o, &OptionError{"Queues", q, "from 0 to " + strconv.Itoa(bpf.XSKMapSize-1)}
		}
		if seen[q] {
			return o, &OptionError{"Queues", q, "listed once"}
		}
		seen[q] = true
	}
	return o, nil
}

// resolve fills the defaults that depend on the interface (its active RX
// queue count) and on the memory lock limit, and checks the queues and the
// UMEM's size against them. o has been through validate. limit is
// RLIMIT_MEMLOCK in bytes (^uint64(0) for none); ipcLock says whether the
// process has CAP_IPC_LOCK, which lifts it.
func (o Options) resolve(ifname string, active int, ipcLock bool, limit uint64) (Options, error) {
	if active < 1 {
		active = 1
	}
	if len(o.Queues) == 0 {
		for q := range min(active, bpf.XSKMapSize) {
			o.Queues = append(o.Queues, q)
		}
	} else {
		o.Queues = append([]int(nil), o.Queues...)
	}
	for _, q := range o.Queues {
		if q >= active {
			return o, &QueueError{Ifname: ifname, Queue: q, Active: active}
		}
	}
	nq := uint64(len(o.Queues))
	capped := !ipcLock && limit != ^uint64(0)
	if o.NumFrames == 0 {
		budget := uint64(DefaultUMEMBytes)
		if o.UMEMBytes > 0 {
			budget = uint64(o.UMEMBytes)
		}
		n := min(max(pow2Floor(budget/uint64(o.ChunkSize)/nq), MinNumFrames), MaxNumFrames)
		for capped && n > MinNumFrames && nq*n*uint64(o.ChunkSize) > limit/2 {
			n /= 2
		}
		o.NumFrames = int(n)
		if o.TXRingSize > o.NumFrames/2 {
			return o, &OptionError{"TXRingSize", o.TXRingSize, "at most NumFrames/2 = " + strconv.Itoa(o.NumFrames/2)}
		}
	}
	if o.TXRingSize == 0 {
		o.TXRingSize = min(DefaultTXRingSize, o.NumFrames/2)
	}
	if o.RXRingSize == 0 {
		o.RXRingSize = o.NumFrames
	}
	if req := nq * uint64(o.NumFrames) * uint64(o.ChunkSize); capped && req > limit {
		return o, &MemlockError{Requested: req, Limit: limit, Queues: int(nq), NumFrames: o.NumFrames, ChunkSize: o.ChunkSize}
	}
	return o, nil
}

func pow2(n int) bool { return n > 0 && n&(n-1) == 0 }

func ringSizeOK(n int) bool { return pow2(n) && n >= MinRingSize && n <= MaxRingSize }

// pow2Floor returns the largest power of two ≤ n, or 0 for 0.
func pow2Floor(n uint64) uint64 {
	if n == 0 {
		return 0
	}
	p := uint64(1)
	for p <= n/2 {
		p <<= 1
	}
	return p
}

// Info describes how a Capture was set up.
type Info struct {
	Ifname       string
	Ifindex      int
	Queues       []int // RX queues with a socket; Frame.Queue is one of them
	ActiveQueues int   // RX queues the interface has
	// ZeroCopy reports whether the sockets are bound zero-copy; false means
	// copy mode (XDP_COPY), the only mode veth has.
	ZeroCopy bool
	Attach   AttachMode
	// DeviceBound reports whether the device-bound program, which asks the
	// driver for hardware RX timestamps, is the one attached.
	DeviceBound bool
	// NoMetadata reports that the kernel refuses bpf_xdp_adjust_meta
	// (bpf.NoMetadata): frames come without the program's metadata block
	// and Next stamps them with CLOCK_REALTIME (TimestampSoftware).
	NoMetadata bool
	ChunkSize  int
	NumFrames  int    // chunks per queue
	UMEMBytes  uint64 // all queues
	// ReplacedProgID is the id of a stale XDP program Open detached from the
	// interface before attaching its own, 0 when there was none.
	ReplacedProgID uint32
	// TAIOffset is the kernel's TAI−UTC offset in seconds when Open ran.
	TAIOffset int
}

// Stats counts what a Capture saw. The kernel counts come from
// XDP_STATISTICS, summed over the queue sockets; they are cumulative.
type Stats struct {
	// Received, HWStamped and NoMeta count a batch of frames (up to 64
	// taken from an RX ring at once) when Next has returned them all or
	// waits for more, so that Next does not write shared counters per frame.
	Received   uint64 // frames Next returned
	HWStamped  uint64 // of those, frames with a hardware timestamp
	NoMeta     uint64 // of those, frames without the metadata block, stamped by Next
	BadDescs   uint64 // RX descriptors pointing outside the UMEM, skipped
	EmptyPolls uint64 // times Next found every RX ring empty and waited in poll(2)
	// PollNs is the time Next spent blocked in poll(2), in nanoseconds: with
	// EmptyPolls it says how long the reader sleeps between bursts.
	PollNs uint64
	// BusyPolls counts the busy polls (Options.BusyPoll) Next made.
	BusyPolls uint64
	// RxQueued and FillQueued are gauges, read from the rings' shared
	// counters when Stats is called: frames the kernel has put on the RX
	// rings that Next has not taken yet (with the frames taken in the
	// current batch, up to 64, not counted), and chunks on the fill rings
	// that the kernel has not taken yet. A reader that keeps up holds
	// RxQueued near 0 and FillQueued near NumFrames; a fill ring that runs
	// empty (RxFillRingEmptyDescs) shows first as RxQueued growing towards
	// NumFrames while FillQueued falls to 0.
	RxQueued, FillQueued uint64
	FillKicks            uint64 // fill-ring wake-ups (recvfrom), made only when the kernel set XDP_RING_NEED_WAKEUP
	LinkEvents           uint64 // rtnetlink link messages about the interface

	Sent        uint64 // frames queued by Send
	TXKicks     uint64 // TX wake-ups (sendto), made only when the kernel set XDP_RING_NEED_WAKEUP
	TXCompleted uint64 // TX chunks the kernel handed back

	// RxDropped counts frames dropped for other reasons than the two
	// below, e.g. too long for a chunk: the kernel's rx_dropped, less (in
	// copy mode, where the kernel counts them there too) the frames that
	// found the fill ring empty. The three drop counters never count one
	// frame twice.
	RxDropped            uint64
	RxInvalidDescs       uint64 // rx_invalid_descs
	TxInvalidDescs       uint64 // tx_invalid_descs
	RxRingFull           uint64 // frames dropped because the RX ring was full (rx_ring_full)
	RxFillRingEmptyDescs uint64 // times the fill ring was empty when a frame arrived (rx_fill_ring_empty_descs); in copy mode one dropped frame each
	// TxRingEmptyDescs is tx_ring_empty_descs: times the kernel found the
	// TX ring empty. In copy mode every poll(2) drives TX, so it grows with
	// EmptyPolls on an idle capture too.
	TxRingEmptyDescs uint64
}

// xsk is one AF_XDP socket, bound to one RX queue, with its own UMEM.
type xsk struct {
	queue int
	fd    int
	umem  []byte
	maps  [][]byte // the mmapped rings, for munmap
	fill  addrRing
	comp  addrRing
	rx    descRing
	tx    descRing // only on the first socket
	zc    bool

	batch  [batchSize]desc // RX descriptors taken from rx and not yet returned by Next
	bi, bn int
	// batchAt is the software time stamped on the batch's frames that came
	// without metadata: read once, for the first of them, since all were
	// in the RX ring when the batch was taken. 0 until then.
	batchAt int64

	fillQueued int // chunks put in fill but not yet submitted

	txFree []uint64 // TX chunks not in flight (first socket only)
}

// Capture is an AF_XDP capture of PTP frames on one interface: one socket
// per RX queue, the XDP program steering PTP frames to them. One goroutine
// owns Next; Stats, Info and FilterCounters may be called from any
// goroutine; Send is safe for concurrent use with Next and with other Sends.
type Capture struct {
	ifname  string
	ifindex int
	ifaces  []source.Interface
	opts    Options
	info    Info
	holdP   atomic.Bool  // wait in poll(2) keeping the Go P (KeepProcessor)
	idleNs  atomic.Int64 // ReturnIdle's limit, ns; 0: wait until a frame

	socks     []xsk
	rr        int // queue Next looks at first
	chunkMask uint64
	held      *xsk   // socket of the frame Next returned last
	heldAddr  uint64 // its chunk, returned to the fill ring on the next Next

	// TAI→UTC conversion of the XDP program's stamps: taiOffset ns are
	// subtracted; it is reread when a frame's stamp is over a second past
	// taiAt (the TAI stamp of the last reading).
	taiOffset int64
	taiAt     int64

	received  atomic.Uint64
	hwStamped atomic.Uint64
	noMeta    atomic.Uint64
	// Counts of frames returned since they were last added to the atomic
	// counters above: Next publishes them once per batch and before it
	// waits, instead of three atomic adds per frame.
	nRecv, nHW, nNoMeta uint64
	badDescs            atomic.Uint64
	emptyPolls          atomic.Uint64
	pollNs              atomic.Uint64
	busyPolls           atomic.Uint64
	fillKicks           atomic.Uint64
	linkEvents          atomic.Uint64
	sent                atomic.Uint64
	txKicks             atomic.Uint64
	txDone              atomic.Uint64

	mu     sync.Mutex // guards closed
	closed bool
	txMu   sync.Mutex // serialises Send

	sys capture // platform part
}

var _ source.Source = (*Capture)(nil)

// Open starts capturing PTP frames on the interface named ifname: it loads
// the XDP program, opens one AF_XDP socket per RX queue, puts them in the
// program's XSKMAP and attaches the program in driver mode, replacing a
// stale ptpwatch program left by a crashed run. It needs CAP_NET_RAW (the
// sockets), CAP_BPF and CAP_NET_ADMIN (the program), and room for the UMEM
// under RLIMIT_MEMLOCK unless it has CAP_IPC_LOCK; a *PermissionError or
// *MemlockError says which is missing. A missing interface gives an
// *InterfaceError, bad options an *OptionError or *QueueError.
//
// Open must run in the network namespace of the interface; the Capture
// keeps working from any thread afterwards.
func Open(ifname string, opts Options) (*Capture, error) {
	o, err := opts.validate()
	if err != nil {
		return nil, err
	}
	return open(ifname, o)
}

// Next fills f with the next PTP frame. f.Data aliases the frame's UMEM
// chunk and is valid until the next call to Next, which hands the chunk
// back to the kernel. When every RX ring is empty Next waits in poll(2) on
// all the queue sockets, in slices of at most 100 ms so that ctx's
// cancellation and deadline are honoured; it returns ctx.Err() (or
// context.DeadlineExceeded) when ctx ends, and an *InterfaceError when the
// interface goes down (once per down transition; capture resumes when it is
// up again) or away (from then on). Next does not allocate.
func (c *Capture) Next(ctx context.Context, f *source.Frame) error {
	if c.held != nil {
		c.recycle(c.held, c.heldAddr)
		c.held = nil
	}
	busied, waited := false, false
	for {
		n := len(c.socks)
		if n == 0 {
			return ErrClosed
		}
		for i := range n {
			q := c.rr + i
			if q >= n {
				q -= n
			}
			s := &c.socks[q]
			for s.bi < s.bn || c.fetch(s) {
				d := s.batch[s.bi]
				s.bi++
				if s.bi == s.bn {
					// Batch done: the next queue goes first next time.
					c.rr = q + 1
					if c.rr == n {
						c.rr = 0
					}
				}
				if c.frame(s, d, f) {
					return nil
				}
			}
		}
		c.flushFill()
		c.publish()
		if c.opts.BusyPoll > 0 && !busied {
			// Let the kernel receive in this thread, then look again.
			busied = true
			c.busyPolls.Add(1)
			for i := range c.socks {
				c.kickRX(&c.socks[i])
			}
			continue
		}
		busied = false
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

// fetch takes up to batchSize descriptors from s's RX ring into s.batch
// and releases their ring slots; the chunks stay ours until recycled.
func (c *Capture) fetch(s *xsk) bool {
	n := s.rx.avail(batchSize)
	if n == 0 {
		return false
	}
	c.publish()
	s.batchAt = 0
	for i := range n {
		s.batch[i] = s.rx.get()
	}
	s.rx.release()
	s.bi, s.bn = 0, int(n)
	return true
}

// frame fills f from descriptor d of socket s, or reports false for a
// descriptor outside the UMEM (which the kernel never writes: it is
// counted and dropped, chunk and all).
func (c *Capture) frame(s *xsk, d desc, f *source.Frame) bool {
	end := d.Addr + uint64(d.Len)
	if end < d.Addr || end > uint64(len(s.umem)) {
		c.badDescs.Add(1)
		return false
	}
	c.held, c.heldAddr = s, d.Addr
	f.Data = s.umem[d.Addr:end:end]
	f.OrigLen = int(d.Len)
	f.Link = decode.LinkEthernet
	f.Interface = 0
	f.Queue = uint16(s.queue)
	c.nRecv++
	// The metadata block sits in the chunk's headroom just before the
	// frame; where the kernel refused the program bpf_xdp_adjust_meta there
	// is none, and reading the headroom would only cost a cache miss.
	var m bpf.Meta
	ok := false
	if !c.info.NoMetadata && d.Addr&c.chunkMask >= bpf.MetaLen {
		m, ok = bpf.ParseMeta(s.umem[d.Addr-bpf.MetaLen : d.Addr])
	}
	switch {
	case ok && m.HasHW():
		f.Timestamp, f.TSSource = int64(m.HW), source.TimestampHardware
		c.nHW++
	case ok && m.HasTAI():
		f.Timestamp, f.TSSource = c.taiToUnix(int64(m.TAI)), source.TimestampXDPTAI
	default:
		if s.batchAt == 0 {
			s.batchAt = time.Now().UnixNano()
		}
		f.Timestamp, f.TSSource = s.batchAt, source.TimestampSoftware
		c.nNoMeta++
	}
	return true
}

// publish adds the frames returned since the last call to the counters
// Stats reads.
func (c *Capture) publish() {
	if c.nRecv != 0 {
		c.received.Add(c.nRecv)
		c.nRecv = 0
	}
	if c.nHW != 0 {
		c.hwStamped.Add(c.nHW)
		c.nHW = 0
	}
	if c.nNoMeta != 0 {
		c.noMeta.Add(c.nNoMeta)
		c.nNoMeta = 0
	}
}

// taiToUnix converts a CLOCK_TAI reading to nanoseconds since the Unix
// epoch, rereading the kernel's TAI offset at most once a second.
func (c *Capture) taiToUnix(tai int64) int64 {
	if d := tai - c.taiAt; d > int64(time.Second) || d < -int64(time.Second) {
		c.refreshTAI(tai)
	}
	return tai - c.taiOffset
}

// recycle queues chunk addr for s's fill ring; it is published in batches.
// The fill ring has room for every chunk of the UMEM, so there is always a
// free slot for one we hold.
func (c *Capture) recycle(s *xsk, addr uint64) {
	if s.fill.free(1) == 0 {
		return // cannot happen: see above
	}
	s.fill.put(addr &^ c.chunkMask)
	s.fillQueued++
	if s.fillQueued >= batchSize/2 {
		c.submitFill(s)
	}
}

// flushFill publishes every socket's queued fill entries.
func (c *Capture) flushFill() {
	for i := range c.socks {
		if s := &c.socks[i]; s.fillQueued != 0 {
			c.submitFill(s)
		}
	}
}

func (c *Capture) submitFill(s *xsk) {
	s.fill.submit()
	s.fillQueued = 0
	if s.fill.needWakeup() {
		c.fillKicks.Add(1)
		c.kickRX(s)
	}
}

// Interfaces returns the one capture interface.
func (c *Capture) Interfaces() []source.Interface { return c.ifaces }

// Info describes the capture's set-up: queues, copy or zero-copy, attach
// mode, sizes.
func (c *Capture) Info() Info {
	i := c.info
	i.Queues = append([]int(nil), i.Queues...)
	return i
}

// Queues lists the RX queues captured.
func (c *Capture) Queues() []int { return append([]int(nil), c.info.Queues...) }

// Stats returns the capture's counters so far.
func (c *Capture) Stats() (Stats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var s Stats
	var err error
	if c.closed {
		err = ErrClosed
	} else {
		s, err = c.kernelStats()
	}
	s.Received = c.received.Load()
	s.HWStamped = c.hwStamped.Load()
	s.NoMeta = c.noMeta.Load()
	s.BadDescs = c.badDescs.Load()
	s.EmptyPolls = c.emptyPolls.Load()
	s.PollNs = c.pollNs.Load()
	s.BusyPolls = c.busyPolls.Load()
	if !c.closed {
		for i := range c.socks {
			k := &c.socks[i]
			if k.rx.prod == nil || k.fill.prod == nil {
				continue
			}
			// Each consumer counter is read before its producer's, so
			// that neither difference can come out negative.
			rxCons := atomic.LoadUint32(k.rx.cons)
			s.RxQueued += uint64(atomic.LoadUint32(k.rx.prod) - rxCons)
			fillCons := atomic.LoadUint32(k.fill.cons)
			s.FillQueued += uint64(atomic.LoadUint32(k.fill.prod) - fillCons)
		}
	}
	s.FillKicks = c.fillKicks.Load()
	s.LinkEvents = c.linkEvents.Load()
	s.Sent = c.sent.Load()
	s.TXKicks = c.txKicks.Load()
	s.TXCompleted = c.txDone.Load()
	return s, err
}

// FilterCounters returns the XDP program's counters (frames seen, PTP
// matched per transport, redirected to the sockets, passed to the stack).
func (c *Capture) FilterCounters() (bpf.Counters, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return bpf.Counters{}, ErrClosed
	}
	return c.filterCounters()
}

// Send transmits frame, a complete Ethernet frame (no FCS), through the TX
// ring of the first queue's socket and returns the time of the send in
// nanoseconds since the Unix epoch: CLOCK_REALTIME read just before the
// kernel was kicked. AF_XDP gives no transmit timestamp in copy mode (veth
// has none at all), so sentAt is a software time in user space. The frame
// bypasses the kernel's stack (and any qdisc) and is not captured by this
// Capture.
func (c *Capture) Send(frame []byte) (sentAt int64, err error) {
	if len(frame) < 14 {
		return 0, fmt.Errorf("afxdp: send: frame of %d bytes is shorter than an Ethernet header", len(frame))
	}
	if len(frame) > c.opts.ChunkSize {
		return 0, fmt.Errorf("afxdp: send: frame of %d bytes is longer than a %d-byte chunk", len(frame), c.opts.ChunkSize)
	}
	c.txMu.Lock()
	defer c.txMu.Unlock()
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return 0, ErrClosed
	}
	t, err := c.send(frame)
	if err == nil {
		c.sent.Add(1)
	}
	return t, err
}

// TXSource says where a Send timestamp came from; the values match
// afpacket's.
type TXSource uint8

// TX timestamp sources.
const (
	TXNone TXSource = iota // no timestamp
	_                      // (afpacket's TXSoftware: AF_XDP has no kernel TX timestamp)
	TXUser                 // CLOCK_REALTIME read just before the kernel was kicked
)

func (s TXSource) String() string {
	switch s {
	case TXNone:
		return "none"
	case TXUser:
		return "user"
	}
	return "invalid"
}

// SendStamped is Send, also returning where the timestamp came from: always
// TXUser on success, as AF_XDP has no TX timestamps here. It mirrors
// afpacket's SendStamped.
func (c *Capture) SendStamped(frame []byte) (sentAt int64, src TXSource, err error) {
	t, err := c.Send(frame)
	if err != nil {
		return 0, TXNone, err
	}
	return t, TXUser, nil
}

// reapTX takes completed TX chunks back from s's completion ring.
func (c *Capture) reapTX(s *xsk) {
	n := s.comp.avail(^uint32(0))
	if n == 0 {
		return
	}
	for range n {
		s.txFree = append(s.txFree, s.comp.get()&^c.chunkMask)
	}
	s.comp.release()
	c.txDone.Add(uint64(n))
}

// Close detaches the XDP program and releases the sockets and their
// memory. It must not be called while Next runs in another goroutine:
// cancel Next's context first.
func (c *Capture) Close() error {
	c.txMu.Lock()
	defer c.txMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	c.held = nil
	return c.close()
}

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
		d = min(d, left)
	}
	return d, nil
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
