// Package capture runs live capture on the operator's interfaces. For each
// interface it chooses a capture method (capture.method: AF_XDP, AF_PACKET,
// or auto, which explains its choice), keeps capturing through the
// interface going down or away (a retry loop that raises events instead of
// failing), merges the interfaces into the one source.Source the pipeline
// reads, transmits prepared frames, and reports status per interface.
//
// # Invariants
//
//   - Frames of one interface arrive in the order that interface's capture
//     delivered them; frames of different interfaces interleave as they
//     come.
//   - With one interface the pipeline's goroutine reads the capture
//     directly: no copy and no hand-off. With several, each interface has a
//     goroutine that copies frames into preallocated slots handed over
//     through ring.SPSC queues; a frame that finds no free slot is dropped
//     and counted (HandoffDrops), never blocking the capture.
//   - Next allocates nothing in steady state.
//   - An interface that cannot be opened because it does not exist (yet) or
//     is down is retried with backoff; missing privileges are reported at
//     Open with the capability that is lacking.
package capture

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/xdp/rtwait"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// Method is how an interface is captured.
type Method string

// Capture methods.
const (
	Auto     Method = "auto"      // AF_XDP unless it cannot work or would disturb a local PTP daemon
	AFXDP    Method = "af_xdp"    // XDP program steering PTP frames to AF_XDP sockets
	AFPacket Method = "af_packet" // TPACKET_V3 ring with a classic BPF filter
)

// ParseMethod checks a capture.method value.
func ParseMethod(s string) (Method, error) {
	switch m := Method(s); m {
	case Auto, AFXDP, AFPacket:
		return m, nil
	case "":
		return Auto, nil
	}
	return "", fmt.Errorf("capture method %q: want auto, af_xdp or af_packet", s)
}

// Spec is one interface to capture on.
type Spec struct {
	Name    string
	Method  Method
	Segment uint16 // network segment of the interface's traffic
}

// Conn is one opened capture of one interface, as a method's opener
// returns it.
type Conn interface {
	source.Source
	// Send transmits a complete frame on the interface and returns when it
	// left (the best transmit timestamp the method has), ns since the epoch.
	Send(frame []byte) (sentAt int64, err error)
	// Counters reports the method's counters by name (received, drops, ...).
	Counters() map[string]uint64
	// Queues lists the receive queues the capture reads.
	Queues() []int
}

// Opener opens one interface with one method.
type Opener func(ifname string) (Conn, error)

// Event is something that happened to an interface's capture, for the
// event log.
type Event struct {
	Time      int64
	Interface string
	Up        bool   // capture (re)started; false: it stopped
	Detail    string // why
}

// Options configures a Capture.
type Options struct {
	Log *slog.Logger
	// OnEvent, when set, is told when an interface's capture stops or
	// (re)starts. It runs on a capture goroutine and must not block long.
	OnEvent func(Event)
	// RetryMin and RetryMax bound the backoff between attempts to reopen
	// an interface. Defaults 200 ms and 5 s.
	RetryMin, RetryMax time.Duration
	// Slots is the number of hand-off slots per interface when frames are
	// handed off (several interfaces, or Priority set); default 4096, or
	// PriorityHandoffSlots with Priority. SlotBytes is each slot's initial
	// size; default 2048, or PriorityHandoffSlotBytes with Priority (larger
	// frames grow their slot once).
	Slots, SlotBytes int
	// Priority, when 1-99, runs each interface's capture on a thread of
	// its own under SCHED_FIFO at that priority, which only takes frames
	// from the socket and copies them into hand-off slots for Next (one
	// interface included): the kernel's chunks or ring blocks then go back
	// as soon as the kernel has filled them, however late the pipeline's
	// goroutine gets the CPU. The goroutine calling Next (the pipeline's
	// decode and model) then runs at SCHED_FIFO ReaderPriority (Priority-5)
	// while it reads. Default 0: normal scheduling, and one interface is
	// read in Next's own goroutine with no copy. The appliance sets
	// DefaultPriority (config capture.priority). Without CAP_SYS_NICE (or
	// RLIMIT_RTPRIO) the threads keep normal scheduling, Status.Scheduling
	// says why, and auto does not keep AF_XDP in copy mode.
	//
	// Real-time threads keep their Go P while they wait (package rtwait):
	// the capture thread polls with a raw ppoll, the reader sleeps on a
	// futex the capture thread wakes, and each adds one P to GOMAXPROCS
	// while it runs. Otherwise a real-time thread back from a wait had to
	// be handed a P by normal-priority threads, which the real-time work
	// starves: a Go execution trace of the benchmark showed the capture
	// thread ready but without a P for 1.4 s of a 3 s blast. Each
	// interface's capture loop runs on RelayThreads such threads taking
	// turns, so that Go's preemption of a thread that keeps its P never
	// parks the thread running the loop (see RelayThreads).
	Priority int
	// Openers replaces the real capture methods, for tests.
	Openers map[Method]Opener
	// SharedCheck replaces the check for a local PTP daemon using an
	// interface, for tests. It returns a reason when the interface is
	// shared.
	SharedCheck func(ifname string) (reason string, shared bool)
}

// DefaultPriority is the SCHED_FIFO priority the appliance gives capture
// threads (config capture.priority): above the threaded NAPI and IRQ
// threads that PREEMPT_RT kernels (and the capture benchmark) run at 50,
// so that the reader hands the kernel its buffers back while the kernel is
// still receiving. The thread does little per frame (about 100-200 ns:
// take, copy, hand off) and sleeps in poll(2) when idle, so it cannot take
// the CPU from the kernel for long. Decode and model, at 55, take about
// 200-400 ns a frame more: a quarter to a third of a CPU at 1 M frames/s,
// and the kernel keeps 5 % of each CPU from real-time threads
// (sched_rt_runtime_us) whatever the rate.
const DefaultPriority = 60

// With Priority, each interface's capture loop runs on RelayThreads
// real-time threads that take turns (rtwait.Relay), each handing the loop
// on from RelayHandAt after its last pass through the Go scheduler
// (exported so that the capture benchmark runs its receivers the same
// way): the Go runtime preempts a goroutine that holds its P for 10 ms,
// and a real-time thread so preempted waits for a normal-priority thread
// to hand it back (69 ms once in the benchmark, while the kernel ran out
// of AF_XDP buffers). Taking turns, the loop is always on a thread that
// was through the scheduler less than 10 ms ago. The conn returns from an
// empty wait after RelayIdle, so that the owner looks at the clock while
// nothing arrives; a loop idle for 50 ms lets the relay go quiet (the
// other threads wait without a P until the next frame).
const (
	RelayThreads = 4
	RelayHandAt  = 6 * time.Millisecond
	RelayIdle    = time.Millisecond
)

// With Priority, the defaults of Slots and SlotBytes: 65,536 slots of 256
// bytes (16 MiB and its slot headers per interface), room for as many
// small frames as the AF_XDP UMEM holds twice over, so that the pipeline's
// goroutine may fall behind as long as the reader could before.
const (
	PriorityHandoffSlots     = 1 << 16
	PriorityHandoffSlotBytes = 256
)

// PrivilegeError says capture cannot start because a capability or a
// resource limit is missing; retrying will not help.
type PrivilegeError struct {
	Interface string
	Method    Method
	Err       error
}

func (e *PrivilegeError) Error() string {
	return fmt.Sprintf("capture on %s with %s: %v", e.Interface, e.Method, e.Err)
}

func (e *PrivilegeError) Unwrap() error { return e.Err }

// Capture captures on a set of interfaces and is the pipeline's
// source.Source. Next is for one goroutine; Status, Send and Close may be
// called from any. With one interface Next reads the socket's rings in its
// caller's goroutine, and the frame it returns points into them until the
// next call, so Close does not close the socket under it: it ends Next's
// waiting and waits (CloseWait at most) for the reader to call Next again
// or to have returned an error.
type Capture struct {
	opts   Options
	ifaces []source.Interface
	runs   []*iface

	// One interface. reading is true from a Next that returned a frame
	// until one returns an error: the reader may be using the socket's
	// memory. closing tells Next to let go. life ends with Close, and
	// ends a Next waiting in joined (the reader's ctx, joined with life
	// once per reader context, so that the per-frame path does not
	// allocate). leftOpen is set when Close gave up waiting: the reader's
	// next call closes the interfaces then.
	reading   atomic.Bool
	closing   atomic.Bool
	leftOpen  atomic.Bool
	life      context.Context
	endLife   context.CancelFunc
	readerCtx context.Context
	joined    context.Context
	unjoin    func()

	// Several interfaces: hand-off rings and wake-up.
	merged  bool
	handoff atomic.Bool // the hand-off rings exist (set once, by the first Next)
	waiting atomic.Bool
	wake    chan struct{}
	// A reader at real-time priority sleeps on wakeWord with a futex,
	// keeping its Go P (package rtwait): waking it through the channel
	// made the capture thread wait for a P (bench, PTPWATCH_BENCH_GOTRACE).
	wakeWord    atomic.Uint32
	futexReader atomic.Bool
	cur         *slot // the slot Next returned last; back to its free ring at the next Next
	curRun      *iface
	rr          int // round-robin start among the interfaces
	wg          sync.WaitGroup
	stop        context.CancelFunc
	ctxRun      context.Context
	errOnce     sync.Once
	closed      atomic.Bool
	// readerRT: Next's goroutine is locked and runs at ReaderPriority;
	// readerRefused: the kernel refused it (logged once). Both belong to
	// the goroutine calling Next.
	readerRT, readerRefused bool
}

var (
	_ source.Source        = (*Capture)(nil)
	_ source.Lossy         = (*Capture)(nil)
	_ source.LossRefresher = (*Capture)(nil)
)

// Open prepares capture on every spec. Interfaces that do not exist yet or
// are down are retried once capture runs; a missing privilege or resource
// limit fails Open with a *PrivilegeError.
func Open(specs []Spec, opts Options) (*Capture, error) {
	if len(specs) == 0 {
		return nil, errors.New("capture: no interfaces")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = 200 * time.Millisecond
	}
	if opts.RetryMax < opts.RetryMin {
		opts.RetryMax = max(5*time.Second, opts.RetryMin)
	}
	if opts.Openers == nil {
		opts.Openers = defaultOpeners()
	}
	if opts.SharedCheck == nil {
		opts.SharedCheck = sharedWithDaemon
	}
	if opts.Priority < 0 || opts.Priority > 99 {
		return nil, fmt.Errorf("capture: priority %d: want 0 (normal scheduling) or a SCHED_FIFO priority 1-99", opts.Priority)
	}
	if opts.Slots <= 0 && opts.Priority > 0 {
		opts.Slots = PriorityHandoffSlots
	}
	if opts.SlotBytes <= 0 && opts.Priority > 0 {
		opts.SlotBytes = PriorityHandoffSlotBytes
	}
	if opts.Slots <= 0 {
		opts.Slots = 4096
	}
	if opts.SlotBytes <= 0 {
		opts.SlotBytes = 2048
	}
	c := &Capture{opts: opts, merged: len(specs) > 1 || opts.Priority > 0, wake: make(chan struct{}, 1)}
	c.life, c.endLife = context.WithCancel(context.Background())
	seen := map[string]bool{}
	for i, sp := range specs {
		if seen[sp.Name] {
			return nil, fmt.Errorf("capture: interface %s given twice", sp.Name)
		}
		seen[sp.Name] = true
		m, err := ParseMethod(string(sp.Method))
		if err != nil {
			return nil, fmt.Errorf("capture on %s: %w", sp.Name, err)
		}
		sp.Method = m
		r := &iface{c: c, spec: sp, index: uint16(i)}
		r.status.Store(&Status{Interface: sp.Name, Configured: sp.Method, State: StateStarting})
		if err := r.open(); err != nil {
			var pe *PrivilegeError
			if errors.As(err, &pe) {
				c.closeConns()
				return nil, err
			}
			// Missing or down: the run loop retries.
			r.lastErr = err
		}
		c.ifaces = append(c.ifaces, source.Interface{Name: sp.Name, Segment: sp.Segment})
		c.runs = append(c.runs, r)
	}
	return c, nil
}

// Interfaces lists the interfaces in Spec order; Frame.Interface indexes it.
func (c *Capture) Interfaces() []source.Interface { return c.ifaces }

// ErrClosed is what Next returns once Close has been called.
var ErrClosed = errors.New("capture: closed")

// CloseWait is how long Close waits for the reader of a one-interface
// capture to let go of its last frame.
var CloseWait = 2 * time.Second

// Next returns the next captured frame of any interface.
//
// With Options.Priority, the goroutine calling Next (the pipeline's decode
// and model) is locked to its thread, which runs at SCHED_FIFO
// ReaderPriority from the first call until Next returns an error; then
// the thread's normal scheduling is restored and the goroutine unlocked.
func (c *Capture) Next(ctx context.Context, f *source.Frame) error {
	if !c.merged {
		return c.nextOne(ctx, f)
	}
	if c.opts.Priority > 0 && !c.readerRT && !c.readerRefused {
		c.raiseReader()
	}
	err := c.nextMerged(ctx, f)
	if err != nil && c.readerRT {
		c.lowerReader()
	}
	return err
}

// ReaderPriority is the SCHED_FIFO priority of the goroutine calling Next
// with Options.Priority: 5 below the capture threads (55 by default),
// above the receive threads that PREEMPT_RT kernels and the capture
// benchmark run at 50, so that decode and model keep up with the capture
// threads' hand-off (measured: the pipeline at normal priority fell over
// 65,536 frames behind and lost them; at 55 it lost none at 1.0-1.75 M/s
// asked). 0 without Options.Priority.
func (c *Capture) ReaderPriority() int {
	if c.opts.Priority <= 0 {
		return 0
	}
	return max(1, c.opts.Priority-5)
}

// raiseReader locks the calling goroutine to its thread and makes the
// thread SCHED_FIFO ReaderPriority; a refusal is logged once and reading
// goes on with normal scheduling.
func (c *Capture) raiseReader() {
	runtime.LockOSThread()
	if err := SetThreadPriority(c.ReaderPriority()); err != nil {
		runtime.UnlockOSThread()
		if !c.readerRefused {
			c.readerRefused = true
			c.opts.Log.Warn("the goroutine reading capture keeps normal scheduling", "priority", c.ReaderPriority(), "err", err)
		}
		return
	}
	c.readerRT = true
	rtwait.Reserve()
	c.futexReader.Store(true)
}

// futexSlice bounds one futex sleep of a real-time reader, so that the
// end of its context is noticed within it.
const futexSlice = 20 * time.Millisecond

// wakeReader wakes a reader sleeping in Next after a frame was pushed:
// the first push after it announced waiting does, the rest see the flag
// cleared.
func (c *Capture) wakeReader() {
	if !c.waiting.CompareAndSwap(true, false) {
		return
	}
	c.wakeWord.Add(1)
	if c.futexReader.Load() {
		rtwait.FutexWake(&c.wakeWord)
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// lowerReader undoes raiseReader.
func (c *Capture) lowerReader() {
	if err := setThreadNormal(); err != nil {
		c.opts.Log.Warn("cannot restore the reading thread's scheduling; the thread stays locked", "err", err)
		c.readerRT = false
		return // the goroutine stays locked: the runtime retires the thread with it
	}
	c.readerRT = false
	c.futexReader.Store(false)
	rtwait.Release()
	runtime.UnlockOSThread()
}

// nextMerged is Next over the hand-off rings.
func (c *Capture) nextMerged(ctx context.Context, f *source.Frame) error {
	c.startOnce(ctx)
	if c.cur != nil {
		c.curRun.free.Push(c.cur)
		c.cur = nil
	}
	for {
		for i := range c.runs {
			r := c.runs[(c.rr+i)%len(c.runs)]
			if s, ok := r.full.Pop(); ok {
				c.rr = (c.rr + i + 1) % len(c.runs)
				c.cur, c.curRun = s, r
				*f = s.f
				f.Data = s.buf[:s.n]
				return nil
			}
		}
		// Nothing ready: announce that we wait, look once more (a
		// producer may have pushed before seeing the flag), then sleep.
		seq := c.wakeWord.Load()
		c.waiting.Store(true)
		ready := false
		for _, r := range c.runs {
			if r.full.Len() > 0 {
				ready = true
				break
			}
		}
		switch {
		case ready:
		case c.futexReader.Load():
			// Sleep on the futex keeping this thread's P; a slice at a
			// time so that ctx's end is noticed.
			if err := ctx.Err(); err != nil {
				c.waiting.Store(false)
				return err
			}
			rtwait.FutexWait(&c.wakeWord, seq, futexSlice)
		default:
			select {
			case <-c.wake:
			case <-ctx.Done():
				c.waiting.Store(false)
				return ctx.Err()
			}
		}
		c.waiting.Store(false)
	}
}

// CaughtUp implements source.Progress for a capture of several
// interfaces: caught up when no hand-off ring holds a frame. With one
// interface the frames wait in the kernel's ring, which is not looked at
// here, so ok is false.
func (c *Capture) CaughtUp() (caughtUp, ok bool) {
	if !c.merged || !c.handoff.Load() {
		return false, false
	}
	if c.waiting.Load() {
		return true, true
	}
	for _, r := range c.runs {
		if r.full.Len() > 0 {
			return false, true
		}
	}
	return true, true
}

// nextOne is Next with one interface, read in the caller's goroutine.
func (c *Capture) nextOne(ctx context.Context, f *source.Frame) error {
	if !c.reading.Load() {
		c.reading.Store(true)
	}
	// Close stores closing before it loads reading; this loads closing
	// after storing reading: one of the two sees the other.
	if c.closing.Load() {
		c.letGo()
		return ErrClosed
	}
	if ctx != c.readerCtx {
		c.join(ctx)
	}
	err := c.runs[0].next(c.joined, f)
	if err != nil {
		c.letGo()
		if c.closing.Load() && ctx.Err() == nil {
			err = ErrClosed
		}
	}
	return err
}

// letGo marks the reader done with the socket's memory, and closes the
// interfaces if Close gave up waiting for that.
func (c *Capture) letGo() {
	c.reading.Store(false)
	if c.leftOpen.CompareAndSwap(true, false) {
		c.closeConns()
	}
}

// join makes the context Next reads with: ctx, ended also by Close.
func (c *Capture) join(ctx context.Context) {
	if c.unjoin != nil {
		c.unjoin()
	}
	j, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(c.life, cancel)
	c.readerCtx, c.joined = ctx, j
	c.unjoin = func() { stop(); cancel() }
}

// startOnce starts the per-interface goroutines of a merged capture on the
// first Next; they end when Close is called.
func (c *Capture) startOnce(ctx context.Context) {
	c.errOnce.Do(func() {
		c.ctxRun, c.stop = context.WithCancel(context.WithoutCancel(ctx))
		for _, r := range c.runs {
			free, _ := ring.NewSPSC[*slot](c.opts.Slots)
			full, _ := ring.NewSPSC[*slot](c.opts.Slots)
			for range c.opts.Slots {
				free.Push(&slot{buf: make([]byte, c.opts.SlotBytes)})
			}
			r.free, r.full = free, full
			c.wg.Add(1)
			go func() {
				defer c.wg.Done()
				if c.opts.Priority > 0 && r.setScheduling(c.opts.Priority) {
					// The relay's threads wait in poll(2) holding their P:
					// give the rest of the process as many more, before
					// the loop starts (changing GOMAXPROCS stops the world).
					rtwait.ReserveN(RelayThreads)
					defer rtwait.ReleaseN(RelayThreads)
					r.holdP = true
					r.relay.Store(rtwait.NewRelay(RelayThreads, RelayHandAt, func() (bool, bool) { return r.pumpStep(c.ctxRun) }))
					if conn := r.conn; conn != nil {
						// Opened by Open, before this thread was real-time
						// (only this goroutine changes r.conn from here on).
						r.tune(conn)
					}
					for i := 1; i < RelayThreads; i++ {
						c.wg.Add(1)
						go func() {
							defer c.wg.Done()
							c.relayMember(r, i)
						}()
					}
				}
				r.pump(c.ctxRun)
			}()
		}
		c.handoff.Store(true)
	})
}

// relayMember runs the calling goroutine as member i of r's relay on a
// thread of its own at the capture's priority. A thread the kernel will
// not make real-time stays out: the relay goes on with fewer.
func (c *Capture) relayMember(r *iface, i int) {
	runtime.LockOSThread() // never unlocked: the runtime retires the thread
	if err := SetThreadPriority(c.opts.Priority); err != nil {
		c.opts.Log.Warn("a capture relay thread keeps normal scheduling and stays out", "interface", r.spec.Name, "err", err)
		return
	}
	r.relay.Load().Member(i) // its P was reserved with the first thread's

}

// Send transmits frame on the interface with the given index (as in
// Interfaces) through the method capturing it.
func (c *Capture) Send(ifIndex int, frame []byte) (int64, error) {
	if ifIndex < 0 || ifIndex >= len(c.runs) {
		return 0, fmt.Errorf("capture: send on interface %d: have %d", ifIndex, len(c.runs))
	}
	r := c.runs[ifIndex]
	r.connMu.Lock()
	defer r.connMu.Unlock()
	if r.conn == nil {
		// r.status, not Status(): Status takes connMu, held here.
		return 0, fmt.Errorf("capture: send on %s: interface not capturing (%s)", r.spec.Name, r.status.Load().State)
	}
	return r.conn.Send(frame)
}

// Close stops capture on every interface. The XDP program, if any, is
// detached by its Conn's Close. With one interface and a reader still
// holding a frame after CloseWait, Close leaves the interface open, says
// so, and the reader's next call to Next closes it.
func (c *Capture) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	c.closing.Store(true)
	c.endLife()
	if c.stop != nil {
		c.stop()
		c.wg.Wait()
	}
	if !c.merged {
		for deadline := time.Now().Add(CloseWait); c.reading.Load(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				c.leftOpen.Store(true)
				if c.reading.Load() {
					return fmt.Errorf("capture: close %s: the reader still holds a frame after %v; its next call to Next closes the interface", c.runs[0].spec.Name, CloseWait)
				}
				// The reader let go meanwhile: whoever takes leftOpen
				// back closes.
				if !c.leftOpen.CompareAndSwap(true, false) {
					return nil
				}
				break
			}
		}
	}
	return c.closeConns()
}

func (c *Capture) closeConns() error {
	var errs []error
	for _, r := range c.runs {
		if err := r.closeConn(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// slot is one frame handed from an interface goroutine to Next.
type slot struct {
	f   source.Frame
	buf []byte
	n   int
}
