package capture

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// fakeNet plays interfaces that come and go, for capture without a kernel.
type fakeNet struct {
	mu      sync.Mutex
	present map[string]bool
	conns   map[string]*fakeConn
	opens   map[string]int
	xdpErr  error // what opening af_xdp returns, when not nil
}

func newFakeNet(ifaces ...string) *fakeNet {
	n := &fakeNet{present: map[string]bool{}, conns: map[string]*fakeConn{}, opens: map[string]int{}}
	for _, i := range ifaces {
		n.present[i] = true
	}
	return n
}

func (n *fakeNet) opener(m Method) Opener {
	return func(ifname string) (Conn, error) {
		n.mu.Lock()
		defer n.mu.Unlock()
		if m == AFXDP && n.xdpErr != nil {
			return nil, n.xdpErr
		}
		if !n.present[ifname] {
			return nil, fmt.Errorf("open %s: %w", ifname, syscall.ENODEV)
		}
		n.opens[ifname+"/"+string(m)]++
		c := &fakeConn{name: ifname, frames: make(chan []byte, 64), gone: make(chan struct{})}
		n.conns[ifname] = c
		return c, nil
	}
}

func (n *fakeNet) openers() map[Method]Opener {
	return map[Method]Opener{AFXDP: n.opener(AFXDP), AFPacket: n.opener(AFPacket)}
}

// remove makes the interface vanish: its capture fails with ENODEV.
func (n *fakeNet) remove(ifname string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.present[ifname] = false
	if c := n.conns[ifname]; c != nil {
		c.goneOnce.Do(func() { close(c.gone) })
	}
}

func (n *fakeNet) add(ifname string) {
	n.mu.Lock()
	n.present[ifname] = true
	n.mu.Unlock()
}

// send delivers a frame to the interface's current capture, waiting for
// one to exist.
func (n *fakeNet) send(t *testing.T, ifname string, data []byte) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		n.mu.Lock()
		c := n.conns[ifname]
		n.mu.Unlock()
		if c != nil && !c.isGone() {
			c.frames <- data
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("no capture on %s to send to", ifname)
			return
		}
	}
}

type fakeConn struct {
	name     string
	frames   chan []byte
	gone     chan struct{}
	goneOnce sync.Once
	closed   bool
	keepP    atomic.Bool  // KeepProcessor(true) was called
	idleNs   atomic.Int64 // ReturnIdle's limit
	idle     *time.Timer  // reused, so that Next does not allocate
}

func (c *fakeConn) KeepProcessor(on bool)      { c.keepP.Store(on) }
func (c *fakeConn) ReturnIdle(d time.Duration) { c.idleNs.Store(int64(d)) }

func (c *fakeConn) isGone() bool {
	select {
	case <-c.gone:
		return true
	default:
		return false
	}
}

func (c *fakeConn) Next(ctx context.Context, f *source.Frame) error {
	var idle <-chan time.Time
	if d := time.Duration(c.idleNs.Load()); d > 0 {
		if c.idle == nil {
			c.idle = time.NewTimer(d)
		} else {
			c.idle.Reset(d)
		}
		idle = c.idle.C
	}
	select {
	case <-idle:
		return source.ErrIdle
	case d := <-c.frames:
		*f = source.Frame{Data: d, OrigLen: len(d), Timestamp: time.Now().UnixNano(), TSSource: source.TimestampSoftware}
		return nil
	case <-c.gone:
		return fmt.Errorf("next on %s: %w", c.name, syscall.ENODEV)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *fakeConn) Interfaces() []source.Interface { return []source.Interface{{Name: c.name}} }
func (c *fakeConn) Close() error                   { c.closed = true; return nil }
func (c *fakeConn) Send(b []byte) (int64, error)   { return time.Now().UnixNano(), nil }
func (c *fakeConn) Counters() map[string]uint64    { return map[string]uint64{"fake": 1} }
func (c *fakeConn) Queues() []int                  { return []int{0} }

func notShared(string) (string, bool) { return "", false }

func nextWithin(t *testing.T, c *Capture, d time.Duration) (source.Frame, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var f source.Frame
	err := c.Next(ctx, &f)
	f.Data = append([]byte(nil), f.Data...)
	return f, err
}

// TestRetryAfterInterfaceGone: the interface vanishes, capture says so with
// a Down event, retries, and resumes with an Up event when it is back.
func TestRetryAfterInterfaceGone(t *testing.T) {
	for _, merged := range []bool{false, true} {
		t.Run(fmt.Sprintf("merged=%v", merged), func(t *testing.T) {
			n := newFakeNet("eth1", "eth2")
			var mu sync.Mutex
			var events []Event
			specs := []Spec{{Name: "eth1", Method: AFPacket}}
			if merged {
				specs = append(specs, Spec{Name: "eth2", Method: AFPacket})
			}
			c, err := Open(specs, Options{Openers: n.openers(), SharedCheck: notShared, RetryMin: 5 * time.Millisecond,
				RetryMax: 20 * time.Millisecond, Slots: 8,
				OnEvent: func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() }})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			go n.send(t, "eth1", []byte("one"))
			if f, err := nextWithin(t, c, 2*time.Second); err != nil || string(f.Data) != "one" || f.Interface != 0 {
				t.Fatalf("first frame: %q on %d, %v", f.Data, f.Interface, err)
			}
			n.remove("eth1")
			// Next keeps waiting while the interface is away.
			if _, err := nextWithin(t, c, 100*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Next while the interface is away: %v", err)
			}
			if st := c.Status()[0]; st.State != StateRetrying || !strings.Contains(st.LastError, "no such device") {
				t.Errorf("status while away: %+v", st)
			}
			n.add("eth1")
			go n.send(t, "eth1", []byte("two"))
			if f, err := nextWithin(t, c, 2*time.Second); err != nil || string(f.Data) != "two" {
				t.Fatalf("after return: %q, %v", f.Data, err)
			}
			st := c.Status()[0]
			if st.State != StateCapturing || st.Restarts != 1 || st.Received != 2 || st.Method != AFPacket {
				t.Errorf("status after return: %+v", st)
			}
			mu.Lock()
			defer mu.Unlock()
			var got []string
			for _, e := range events {
				if e.Interface == "eth1" {
					got = append(got, fmt.Sprint(e.Up))
				}
			}
			if strings.Join(got, ",") != "true,false,true" {
				t.Errorf("eth1 events up/down: %v (%+v)", got, events)
			}
		})
	}
}

// TestMissingAtStart: an interface absent at Open is waited for.
func TestMissingAtStart(t *testing.T) {
	n := newFakeNet()
	c, err := Open([]Spec{{Name: "late0"}}, Options{Openers: n.openers(), SharedCheck: notShared, RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open with a missing interface: %v", err)
	}
	defer c.Close()
	if st := c.Status()[0]; st.State != StateRetrying {
		t.Errorf("status: %+v", st)
	}
	go func() {
		time.Sleep(30 * time.Millisecond)
		n.add("late0")
		n.send(t, "late0", []byte("hello"))
	}()
	if f, err := nextWithin(t, c, 2*time.Second); err != nil || string(f.Data) != "hello" {
		t.Fatalf("%q %v", f.Data, err)
	}
}

// TestAutoMethod: auto takes AF_XDP, unless a local daemon shares the
// interface or AF_XDP fails, and says why.
func TestAutoMethod(t *testing.T) {
	cases := []struct {
		name       string
		shared     bool
		xdpErr     error
		want       Method
		reasonPart string
	}{
		{"xdp works", false, nil, AFXDP, "XDP program attached"},
		{"shared with ptp4l", true, nil, AFPacket, "ptp4l (pid 42)"},
		{"xdp fails", false, errors.New("driver says no"), AFPacket, "driver says no"},
		{"xdp generic only", false, nil, AFPacket, "generic (skb) mode"},
		{"xdp native", false, nil, AFXDP, "natively, copy mode"},
		{"xdp copy mode without priority", false, nil, AFPacket, "capture.priority is 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := newFakeNet("eth0")
			n.xdpErr = tc.xdpErr
			shared := func(string) (string, bool) { return "ptp4l (pid 42) runs on eth0", tc.shared }
			openers := n.openers()
			if tc.name == "xdp generic only" || tc.name == "xdp native" || tc.name == "xdp copy mode without priority" {
				generic := tc.name == "xdp generic only"
				open := openers[AFXDP]
				openers[AFXDP] = func(ifname string) (Conn, error) {
					c, err := open(ifname)
					if err != nil {
						return nil, err
					}
					return modeConn{c.(*fakeConn), generic}, nil
				}
			}
			prio := 1
			if tc.name == "xdp copy mode without priority" {
				prio = 0
			}
			c, err := Open([]Spec{{Name: "eth0", Method: Auto}}, Options{Openers: openers, SharedCheck: shared, Priority: prio})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			st := c.Status()[0]
			if st.Method != tc.want || !strings.Contains(st.Reason, tc.reasonPart) || st.Configured != Auto {
				t.Errorf("status %+v, want method %s with reason containing %q", st, tc.want, tc.reasonPart)
			}
		})
	}
}

// modeConn is a fake AF_XDP connection that says how it runs, as
// xdpConn does.
type modeConn struct {
	*fakeConn
	generic bool
}

func (m modeConn) Describe() string { return "natively, copy mode" }

// keepsUp mirrors xdpConn's rule for a copy-mode socket: kept only with
// a capture thread at real-time priority.
func (m modeConn) keepsUp(prio int) (bool, string) {
	if m.generic {
		return false, "AF_XDP would run in generic (skb) mode"
	}
	if prio <= 0 {
		return false, "copy mode needs real-time priority, and capture.priority is 0"
	}
	return true, ""
}

// TestPrivilegeErrorAtOpen: EPERM fails Open at once, naming the method.
func TestPrivilegeErrorAtOpen(t *testing.T) {
	openers := map[Method]Opener{AFPacket: func(string) (Conn, error) {
		return nil, fmt.Errorf("socket: %w (needs CAP_NET_RAW)", syscall.EPERM)
	}}
	_, err := Open([]Spec{{Name: "eth0", Method: AFPacket}}, Options{Openers: openers, SharedCheck: notShared})
	var pe *PrivilegeError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "CAP_NET_RAW") || pe.Method != AFPacket {
		t.Fatalf("Open = %v, want *PrivilegeError naming CAP_NET_RAW", err)
	}
}

func TestOpenErrors(t *testing.T) {
	n := newFakeNet("a")
	for _, tc := range []struct {
		specs []Spec
		msg   string
	}{
		{nil, "no interfaces"},
		{[]Spec{{Name: "a"}, {Name: "a"}}, "given twice"},
		{[]Spec{{Name: "a", Method: "dpdk"}}, `"dpdk"`},
	} {
		if _, err := Open(tc.specs, Options{Openers: n.openers(), SharedCheck: notShared}); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Open(%v) = %v, want %q", tc.specs, err, tc.msg)
		}
	}
}

// TestMergedOrderAndDrops: frames of two interfaces all arrive, in order
// per interface; a consumer that does not keep up loses frames to the
// hand-off, counted.
func TestMergedOrderAndDrops(t *testing.T) {
	n := newFakeNet("a", "b")
	c, err := Open([]Spec{{Name: "a"}, {Name: "b"}}, Options{Openers: n.openers(), SharedCheck: notShared, Slots: 1024})
	if err != nil {
		t.Fatal(err)
	}
	const per = 300
	go func() {
		for i := range per {
			n.send(t, "a", fmt.Appendf(nil, "a%03d", i))
			n.send(t, "b", fmt.Appendf(nil, "b%03d", i))
		}
	}()
	next := map[uint16]int{}
	for got := 0; got < 2*per; got++ {
		f, err := nextWithin(t, c, 3*time.Second)
		if err != nil {
			t.Fatalf("after %d frames: %v (next %v, status %+v)", got, err, next, c.Status())
		}
		want := fmt.Sprintf("%c%03d", "ab"[f.Interface], next[f.Interface])
		if string(f.Data) != want {
			t.Fatalf("frame %d: %q, want %q", got, f.Data, want)
		}
		next[f.Interface]++
	}
	if st := c.Status(); st[0].HandoffDrops != 0 || st[1].HandoffDrops != 0 {
		t.Errorf("drops with a reader keeping up: %+v", st)
	}
	c.Close()
	// A reader that stops reading: the pumps keep taking frames and drop
	// what finds no free slot.
	n = newFakeNet("a", "b")
	c, err = Open([]Spec{{Name: "a"}, {Name: "b"}}, Options{Openers: n.openers(), SharedCheck: notShared, Slots: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go n.send(t, "b", []byte("start"))
	if _, err := nextWithin(t, c, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	for i := range 64 {
		n.send(t, "a", fmt.Appendf(nil, "x%d", i))
	}
	deadline := time.Now().Add(2 * time.Second)
	for c.Status()[0].HandoffDrops+uint64(c.runs[0].full.Len()) < 64 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if st := c.Status()[0]; st.HandoffDrops != 64-16 {
		t.Errorf("hand-off drops %d, want %d (16 slots)", st.HandoffDrops, 64-16)
	}
}

// TestNextNoAllocs: neither the direct nor the handed-off Next (several
// interfaces, or one with a capture thread at Priority) allocates, pumps
// included (AllocsPerRun counts the whole process).
func TestNextNoAllocs(t *testing.T) {
	for _, tc := range []struct {
		names    []string
		priority int
	}{{[]string{"a"}, 0}, {[]string{"a", "b"}, 0}, {[]string{"a"}, 1}} {
		names := tc.names
		n := newFakeNet(names...)
		var specs []Spec
		for _, nm := range names {
			specs = append(specs, Spec{Name: nm})
		}
		c, err := Open(specs, Options{Openers: n.openers(), SharedCheck: notShared, Priority: tc.priority})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		var f source.Frame
		data := []byte("frame")
		conn := n.conns["a"]
		// Warm up (the merged capture starts its pumps on the first Next).
		conn.frames <- data
		c.Next(ctx, &f)
		allocs := testing.AllocsPerRun(200, func() {
			conn.frames <- data
			if err := c.Next(ctx, &f); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%d interfaces, priority %d: %.1f allocations per Next", len(names), tc.priority, allocs)
		}
		c.Close()
	}
}

func TestNamesInterface(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"-f", "x.conf", "-i", "eth0"}, true},
		{[]string{"-ieth0"}, true},
		{[]string{"--interface=eth0"}, true},
		{[]string{"-b", "eth0", "-n"}, true}, // ptpd
		{[]string{"-i", "eth00"}, false},
		{[]string{"-i"}, false},
		{[]string{"eth0"}, false},
	} {
		if got := namesInterface(tc.args, "eth0"); got != tc.want {
			t.Errorf("namesInterface(%q) = %v", tc.args, got)
		}
	}
}

func TestPacketSocketOn(t *testing.T) {
	table := []byte(`sk               RefCnt Type Proto  Iface R Rmem   User   Inode
ffff8881041c9000 3      3    88f7   7     1 0      0      123456
ffff8881041c9800 3      3    0003   9     1 0      0      123457
`)
	if !packetSocketOn(table, 7) || packetSocketOn(table, 9) || packetSocketOn(table, 3) {
		t.Error("wrong answer for the sample /proc/net/packet")
	}
}

func TestParseMethod(t *testing.T) {
	for in, want := range map[string]Method{"": Auto, "auto": Auto, "af_xdp": AFXDP, "af_packet": AFPacket} {
		if m, err := ParseMethod(in); err != nil || m != want {
			t.Errorf("ParseMethod(%q) = %v, %v", in, m, err)
		}
	}
	if _, err := ParseMethod("pcap"); err == nil {
		t.Error("ParseMethod(pcap) accepted")
	}
}

// TestPriorityHandoff: with Priority, one interface is read on a capture
// thread of its own and handed off: frames arrive in order with no
// hand-off drops while the reader keeps up, the status says how the
// thread is scheduled (SCHED_FIFO, or why not), and a bad priority is
// refused at Open.
func TestPriorityHandoff(t *testing.T) {
	if _, err := Open([]Spec{{Name: "a"}}, Options{Openers: newFakeNet("a").openers(), SharedCheck: notShared, Priority: 100}); err == nil {
		t.Fatal("Open with priority 100 succeeded")
	}
	n := newFakeNet("a")
	c, err := Open([]Spec{{Name: "a"}}, Options{Openers: n.openers(), SharedCheck: notShared, Priority: 1, Slots: 1024})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const frames = 200
	go func() {
		for i := range frames {
			n.send(t, "a", fmt.Appendf(nil, "a%03d", i))
		}
	}()
	for i := range frames {
		f, err := nextWithin(t, c, 3*time.Second)
		if err != nil {
			t.Fatalf("after %d frames: %v (status %+v)", i, err, c.Status())
		}
		if want := fmt.Sprintf("a%03d", i); string(f.Data) != want {
			t.Fatalf("frame %d: %q, want %q", i, f.Data, want)
		}
	}
	st := c.Status()[0]
	if st.HandoffDrops != 0 {
		t.Errorf("hand-off drops with a reader keeping up: %+v", st)
	}
	// The reading goroutine runs at ReaderPriority while it reads (when
	// the kernel allows it), and gets its normal scheduling back when
	// Next returns an error.
	if got := c.ReaderPriority(); got != 1 {
		t.Errorf("ReaderPriority() = %d with Priority 1, want 1", got)
	}
	if c.readerRT {
		if pol := threadPolicy(t); pol != "fifo" {
			t.Errorf("reading thread's policy %s, want fifo", pol)
		}
	} else {
		t.Logf("the kernel refused SCHED_FIFO to the reading goroutine")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var f source.Frame
	if err := c.Next(ctx, &f); err == nil {
		t.Fatal("Next with an ended context returned a frame")
	}
	if c.readerRT {
		t.Error("the reading goroutine still runs at real-time priority after Next returned an error")
	}
	if !strings.Contains(st.Scheduling, "SCHED_FIFO 1") {
		t.Errorf("status scheduling %q, want SCHED_FIFO 1 or why not", st.Scheduling)
	}
	t.Logf("capture thread: %s", st.Scheduling)
}

// TestSendWithoutConn: Send on an interface that has no capture open (it
// went away, or Close closed it) returns an error at once. It took the
// interface's lock twice and hung the appliance's master checker, and with
// it the appliance's exit.
func TestSendWithoutConn(t *testing.T) {
	n := newFakeNet("a")
	c, err := Open([]Spec{{Name: "a"}}, Options{Openers: n.openers(), SharedCheck: notShared})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	done := make(chan error, 1)
	go func() {
		_, err := c.Send(0, []byte{1, 2, 3})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not capturing") {
			t.Fatalf("Send after Close = %v, want an error saying the interface is not capturing", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Send after Close did not return within 10 s")
	}
}

// TestPriorityRelay: with Priority the capture loop runs on RelayThreads
// real-time threads taking turns: the conn opened by Open waits keeping
// its P and returns when idle, frames keep their order across hand-overs,
// and the status counts the hand-overs.
func TestPriorityRelay(t *testing.T) {
	n := newFakeNet("a")
	c, err := Open([]Spec{{Name: "a"}}, Options{Openers: n.openers(), SharedCheck: notShared, Priority: 1, Slots: 1024})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Frames go in, a few at a time, until the loop has changed hands
	// several times (each member hands over RelayHandAt after its last
	// pass through the scheduler).
	sent, got := 0, 0
	deadline := time.Now().Add(30 * time.Second)
	for {
		for range 5 {
			n.send(t, "a", fmt.Appendf(nil, "a%06d", sent))
			sent++
		}
		for ; got < sent; got++ {
			f, err := nextWithin(t, c, 3*time.Second)
			if err != nil {
				t.Fatalf("after %d frames: %v (status %+v)", got, err, c.Status())
			}
			if want := fmt.Sprintf("a%06d", got); string(f.Data) != want {
				t.Fatalf("frame %d: %q, want %q", got, f.Data, want)
			}
		}
		st := c.Status()[0]
		if !strings.Contains(st.Scheduling, "SCHED_FIFO") || strings.Contains(st.Scheduling, "refused") {
			t.Skipf("skipping: the kernel refused a real-time capture thread (%s), so there is no relay", st.Scheduling)
		}
		if st.Counters["relayHandoffs"] >= 3 {
			t.Logf("%d frames, relay %v", got, st.Counters)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the capture loop changed hands %d times in 30 s: %+v", st.Counters["relayHandoffs"], st)
		}
	}
	n.mu.Lock()
	conn := n.conns["a"]
	n.mu.Unlock()
	if !conn.keepP.Load() || time.Duration(conn.idleNs.Load()) != RelayIdle {
		t.Errorf("the conn Open opened: KeepProcessor %v, ReturnIdle %v; want true, %v", conn.keepP.Load(), time.Duration(conn.idleNs.Load()), RelayIdle)
	}
	if st := c.Status()[0]; st.HandoffDrops != 0 {
		t.Errorf("hand-off drops with a reader keeping up: %+v", st)
	}
}
