package capture

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/xdp/rtwait"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// State is where an interface's capture is.
type State string

// Interface capture states.
const (
	StateStarting  State = "starting"
	StateCapturing State = "capturing"
	StateRetrying  State = "retrying" // down, missing or failing; reopened with backoff
	StateStopped   State = "stopped"
)

// Status is one interface's capture status, for the API and the log.
type Status struct {
	Interface  string    `json:"interface"`
	Configured Method    `json:"configuredMethod"`
	Method     Method    `json:"method,omitempty"` // the method in use
	Reason     string    `json:"reason,omitempty"` // why that method (auto) or why none
	State      State     `json:"state"`
	Since      time.Time `json:"since"`
	LastError  string    `json:"lastError,omitempty"`
	Restarts   uint64    `json:"restarts"`
	Queues     []int     `json:"queues,omitempty"`
	// Scheduling says how the interface's capture thread runs:
	// "SCHED_FIFO 60" with Options.Priority, with the reason where the
	// kernel refused it; empty when frames are read in Next's goroutine.
	Scheduling string            `json:"scheduling,omitempty"`
	Counters   map[string]uint64 `json:"counters,omitempty"` // the current Conn's, since it opened
	// HandoffDrops counts frames dropped because Next did not take them
	// fast enough (several interfaces only).
	HandoffDrops uint64 `json:"handoffDrops"`
	Received     uint64 `json:"received"` // over all restarts
}

// dropCounters names the Conn counters that count frames lost, by the
// name /metrics gives their cause: AF_PACKET's kernel drops (the ring was
// full), and AF_XDP's frames the kernel could not place (no fill-ring
// chunk, RX ring full, other) or that pointed outside the UMEM.
var dropCounters = map[string]string{
	"kernelDrops":    "ring_full",
	"rxRingFull":     "ring_full",
	"fillRingEmpty":  "no_buffer",
	"rxDropped":      "other",
	"rxInvalidDescs": "invalid",
	"badDescs":       "invalid",
}

// causeText explains each drop cause of Status.Drops.
var causeText = map[string]string{
	"no_buffer": "the AF_XDP fill ring was empty: the reader gave UMEM chunks back too late (descheduled, stalled or too slow)",
	"ring_full": "the kernel's ring to the reader was full: the reader fell behind",
	"other":     "the kernel dropped frames for another reason (e.g. longer than a UMEM chunk)",
	"invalid":   "the kernel or Next met invalid descriptors",
	"handoff":   "the hand-off to the pipeline was full: Next did not take frames in time",
}

// CauseText explains a drop cause of Status.Drops in a sentence, for
// events and logs.
func CauseText(cause string) string {
	if t, ok := causeText[cause]; ok {
		return t
	}
	return cause
}

// DropCounterNames lists the Conn counters that count lost frames, with
// the cause each feeds in Status.Drops.
func DropCounterNames() map[string]string {
	out := make(map[string]string, len(dropCounters))
	for k, v := range dropCounters {
		out[k] = v
	}
	return out
}

// Drops returns the frames lost on the interface by cause: those of its
// current Conn (since it opened) and, as "handoff", those Next did not
// take in time.
func (s Status) Drops() map[string]uint64 {
	out := map[string]uint64{"handoff": s.HandoffDrops}
	for k, v := range s.Counters {
		if cause, ok := dropCounters[k]; ok {
			out[cause] += v
		}
	}
	return out
}

// Status reports every interface's capture status, in Spec order.
func (c *Capture) Status() []Status {
	out := make([]Status, len(c.runs))
	for i, r := range c.runs {
		out[i] = r.Status()
	}
	return out
}

// iface runs capture on one interface.
type iface struct {
	c     *Capture
	spec  Spec
	index uint16

	connMu sync.Mutex // guards conn against Send and Status; Next owns the reading
	conn   Conn

	status   atomic.Pointer[Status]
	received atomic.Uint64
	drops    atomic.Uint64
	// kernelLost is the current Conn's frames lost (its drop counters) as
	// Status last read them: Lost's view of losses below the hand-off.
	kernelLost atomic.Uint64
	restarts   atomic.Uint64
	lastErr    error
	backoff    time.Duration
	wasUp      bool // an Up event was raised for the current Conn
	holdP      bool // the pump's thread is real-time and waits keeping its P (rtwait)
	// relay, with holdP, runs the pump on RelayThreads real-time threads
	// taking turns (rtwait.Relay); pf is the pump's frame, which passes
	// from thread to thread with the loop.
	relay    atomic.Pointer[rtwait.Relay]
	pf       source.Frame
	downSaid bool // a Down event was raised since the last Up

	free, full *ring.SPSC[*slot] // several interfaces only
}

// Status returns the interface's status with fresh counters.
func (r *iface) Status() Status {
	st := *r.status.Load()
	st.Received = r.received.Load()
	st.HandoffDrops = r.drops.Load()
	st.Restarts = r.restarts.Load()
	r.connMu.Lock()
	if r.conn != nil {
		st.Counters = r.conn.Counters()
	}
	r.connMu.Unlock()
	r.noteKernelLost(st.Counters)
	if relay := r.relay.Load(); relay != nil && st.Counters != nil {
		rs := relay.Stats()
		st.Counters["relayHandoffs"] = rs.Handoffs
		st.Counters["relayWithdrawn"] = rs.Withdrawn
		st.Counters["relayLonely"] = rs.Lonely
		st.Counters["relayQuiets"] = rs.Quiets
	}
	return st
}

// noteKernelLost keeps the frames the current Conn's counters say the
// kernel lost, for Lost.
func (r *iface) noteKernelLost(counters map[string]uint64) {
	var kernel uint64
	for name, n := range counters {
		if _, ok := dropCounters[name]; ok {
			kernel += n
		}
	}
	r.kernelLost.Store(kernel)
}

// RefreshLost reads every interface's drop counters now, so that Lost
// counts the kernel's drops up to now. It implements
// source.LossRefresher: the pipeline's watch calls it every publish
// interval.
func (c *Capture) RefreshLost() {
	for _, r := range c.runs {
		r.connMu.Lock()
		var counters map[string]uint64
		if r.conn != nil {
			counters = r.conn.Counters()
		}
		r.connMu.Unlock()
		r.noteKernelLost(counters)
	}
}

// Lost returns the frames lost on every interface so far: those the
// hand-off dropped, counted as they are dropped, and those the kernel
// dropped as RefreshLost or Status last read them (the pipeline's watch
// calls RefreshLost every publish interval, capture.LossWatch reads Status
// every second). It implements source.Lossy; it takes no lock and does
// not allocate.
func (c *Capture) Lost() uint64 {
	var n uint64
	for _, r := range c.runs {
		n += r.drops.Load() + r.kernelLost.Load()
	}
	return n
}

func (r *iface) setStatus(f func(*Status)) {
	st := *r.status.Load()
	f(&st)
	r.status.Store(&st)
}

// open chooses the method and opens the interface.
func (r *iface) open() error {
	method, reason := r.spec.Method, "configured"
	var conn Conn
	var err error
	switch method {
	case Auto:
		conn, method, reason, err = r.openAuto()
	default:
		conn, err = r.openWith(method)
	}
	if err != nil {
		r.setStatus(func(s *Status) {
			s.State, s.LastError, s.Since, s.Method, s.Reason = StateRetrying, err.Error(), time.Now(), "", reason
		})
		return err
	}
	r.tune(conn)
	r.connMu.Lock()
	r.conn = conn
	r.connMu.Unlock()
	r.setStatus(func(s *Status) {
		s.State, s.Method, s.Reason, s.Since, s.Queues = StateCapturing, method, reason, time.Now(), conn.Queues()
	})
	r.c.opts.Log.Info("capturing", "interface", r.spec.Name, "method", string(method), "why", reason, "queues", fmt.Sprint(conn.Queues()))
	return nil
}

// tune sets up conn for the pump's thread: with holdP it waits keeping its
// P, and with a relay it returns from an empty wait after RelayIdle.
func (r *iface) tune(conn Conn) {
	if k, ok := conn.(interface{ KeepProcessor(bool) }); ok && r.holdP {
		k.KeepProcessor(true)
	}
	if k, ok := conn.(interface{ ReturnIdle(time.Duration) }); ok && r.relay.Load() != nil {
		k.ReturnIdle(RelayIdle)
	}
}

// openAuto prefers AF_XDP and says why it did not use it.
func (r *iface) openAuto() (Conn, Method, string, error) {
	if why, shared := r.c.opts.SharedCheck(r.spec.Name); shared {
		reason := "af_packet: " + why + "; an XDP program would take its PTP frames away from it"
		conn, err := r.openWith(AFPacket)
		return conn, AFPacket, reason, err
	}
	conn, err := r.openWith(AFXDP)
	if err == nil {
		ku, ok := conn.(interface{ keepsUp(int) (bool, string) })
		if ok {
			if up, why := ku.keepsUp(r.c.opts.Priority); !up {
				conn.Close()
				conn, err = r.openWith(AFPacket)
				return conn, AFPacket, "af_packet: " + why, err
			}
		}
		reason := "af_xdp: the XDP program attached and AF_XDP sockets bound"
		if d, ok := conn.(interface{ Describe() string }); ok {
			reason = "af_xdp: " + d.Describe()
		}
		if p := r.c.opts.Priority; p > 0 {
			reason += "; capture thread at SCHED_FIFO " + strconv.Itoa(p)
		}
		return conn, AFXDP, reason, nil
	}
	if isGone(err) {
		return nil, "", "", err
	}
	xdpErr := err
	conn, err = r.openWith(AFPacket)
	reason := "af_packet: AF_XDP could not be used (" + xdpErr.Error() + ")"
	return conn, AFPacket, reason, err
}

func (r *iface) openWith(m Method) (Conn, error) {
	open := r.c.opts.Openers[m]
	if open == nil {
		return nil, fmt.Errorf("capture method %s is not available in this build", m)
	}
	conn, err := open(r.spec.Name)
	if err != nil {
		if isPrivilege(err) {
			return nil, &PrivilegeError{Interface: r.spec.Name, Method: m, Err: err}
		}
		return nil, err
	}
	return conn, nil
}

func (r *iface) closeConn() error {
	r.connMu.Lock()
	defer r.connMu.Unlock()
	if r.conn == nil {
		return nil
	}
	err := r.conn.Close()
	r.conn = nil
	return err
}

// next reads the interface, reopening it whenever it fails, until ctx ends.
func (r *iface) next(ctx context.Context, f *source.Frame) error {
	for {
		conn := r.conn // only this goroutine changes conn
		if conn == nil {
			if err := r.reopen(ctx); err != nil {
				return err
			}
			continue
		}
		if !r.wasUp {
			r.wasUp, r.downSaid = true, false
			r.event(true, "capturing with "+string(r.status.Load().Method))
		}
		err := conn.Next(ctx, f)
		if err == nil {
			f.Interface = r.index
			r.received.Add(1)
			r.backoff = 0
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == source.ErrIdle {
			return err
		}
		// The interface went down or away, or the capture failed: close
		// it, say so, and retry.
		r.closeConn()
		r.lastErr = err
		r.setStatus(func(s *Status) { s.State, s.LastError, s.Since = StateRetrying, err.Error(), time.Now() })
		r.c.opts.Log.Warn("capture stopped; retrying", "interface", r.spec.Name, "err", err)
		r.wasUp = false
		if !r.downSaid {
			r.downSaid = true
			r.event(false, err.Error())
		}
	}
}

// reopen waits out the backoff and tries to open the interface again.
func (r *iface) reopen(ctx context.Context) error {
	if r.backoff > 0 {
		t := time.NewTimer(r.backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	r.backoff = min(max(2*r.backoff, r.c.opts.RetryMin), r.c.opts.RetryMax)
	if err := r.openIfUp(); err != nil {
		if r.lastErr == nil || r.lastErr.Error() != err.Error() {
			r.c.opts.Log.Warn("cannot capture yet; retrying", "interface", r.spec.Name, "err", err, "backoff", r.backoff)
		}
		if !r.downSaid {
			r.downSaid = true
			r.event(false, err.Error())
		}
		r.lastErr = err
		var pe *PrivilegeError
		if errors.As(err, &pe) {
			// Privileges do not come back by waiting; keep trying slowly
			// anyway, since an operator may fix them without a restart.
			r.backoff = r.c.opts.RetryMax
		}
		return nil
	}
	if r.lastErr != nil {
		r.restarts.Add(1)
	}
	r.lastErr = nil
	return nil
}

// openIfUp opens the interface once it is administratively up. One that
// came back but is not up yet (a veth or VLAN being set up, a link an
// operator is still configuring) would otherwise open, fail at its first
// read with ENETDOWN and report a second down and up; waiting keeps one
// outage one pair of events.
func (r *iface) openIfUp() error {
	if ifi, err := net.InterfaceByName(r.spec.Name); err == nil && ifi.Flags&net.FlagUp == 0 {
		return fmt.Errorf("interface %s is down: %w", r.spec.Name, syscall.ENETDOWN)
	}
	return r.open()
}

func (r *iface) event(up bool, detail string) {
	if r.c.opts.OnEvent != nil {
		r.c.opts.OnEvent(Event{Time: time.Now().UnixNano(), Interface: r.spec.Name, Up: up, Detail: detail})
	}
}

// pump copies the interface's frames into hand-off slots (several
// interfaces, or Priority), on its relay's threads when it has one.
func (r *iface) pump(ctx context.Context) {
	if relay := r.relay.Load(); relay != nil {
		relay.Member(0)
		return
	}
	for {
		if more, _ := r.pumpStep(ctx); !more {
			return
		}
	}
}

// pumpStep takes one frame, or waits for one, and hands it off. more is
// false once capture has stopped; waited says the conn returned idle.
func (r *iface) pumpStep(ctx context.Context) (more, waited bool) {
	f := &r.pf
	if err := r.next(ctx, f); err != nil {
		if err == source.ErrIdle {
			return true, true
		}
		r.setStatus(func(s *Status) { s.State = StateStopped })
		return false, false
	}
	s, ok := r.free.Pop()
	if !ok {
		r.drops.Add(1)
		return true, false
	}
	if cap(s.buf) < len(f.Data) {
		s.buf = make([]byte, len(f.Data))
	}
	s.n = copy(s.buf[:cap(s.buf)], f.Data)
	s.f = *f
	s.f.Data = nil
	r.full.Push(s) // cannot fail: there are as many slots as ring places
	if r.c.waiting.Load() {
		r.c.wakeReader()
	}
	return true, false
}

// isGone reports errors that mean the interface is missing or down.
func isGone(err error) bool {
	return errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.ENETDOWN) ||
		errors.Is(err, os.ErrNotExist)
}

// isPrivilege reports errors that mean a capability or limit is missing.
func isPrivilege(err error) bool {
	var pe *PrivilegeError
	return errors.As(err, &pe) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) ||
		errors.Is(err, os.ErrPermission)
}

// setScheduling locks the calling goroutine (the interface's pump) to its
// thread and makes the thread SCHED_FIFO at prio. The goroutine never
// unlocks: when it ends, the runtime retires the thread, so the priority
// never passes to other goroutines. A refusal is logged and shown in the
// status; capture goes on with normal scheduling.
func (r *iface) setScheduling(prio int) bool {
	runtime.LockOSThread()
	what := "SCHED_FIFO " + strconv.Itoa(prio)
	err := SetThreadPriority(prio)
	if err != nil {
		what = "normal: " + what + " refused (" + err.Error() + "; needs CAP_SYS_NICE or RLIMIT_RTPRIO)"
		r.c.opts.Log.Warn("capture thread keeps normal scheduling", "interface", r.spec.Name, "priority", prio, "err", err)
	}
	r.setStatus(func(s *Status) { s.Scheduling = what })
	return err == nil
}
