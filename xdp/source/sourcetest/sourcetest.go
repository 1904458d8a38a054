// Package sourcetest is a conformance suite for frame sources, in the
// style of testing/fstest and x/net/nettest: a source package describes
// how to open its source and, for a live one, how to make frames reach it
// and how to take its interface away, and Run checks the promises every
// source.Source makes:
//
//   - Frames: each frame arrives once, byte for byte, in order, VLAN tags
//     included (a source whose kernel strips the outer tag restores it),
//     with its length, link type and a timestamp that never goes back;
//   - Deadline: Next honours its context: a quiet live source returns
//     ctx.Err() at the deadline, waiting in slices rather than spinning;
//   - NoAllocs: Next allocates nothing per frame, nor while it waits;
//   - InterfaceGone: a live source reports its interface going down
//     (ENETDOWN) and delivers again once it is up, and reports it removed
//     (ENODEV) promptly and from then on, and still closes;
//   - Close: Next after Close fails at once, and a second Close is safe.
package sourcetest

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// Harness describes a source under test.
type Harness struct {
	// Open opens a new source on a quiet interface (live), or on the
	// frames of PTPFrames in order (finite). The suite closes it.
	Open func(t *testing.T) source.Source
	// Send makes a frame reach the live source opened last; nil marks a
	// finite source, which must return PTPFrames and then io.EOF.
	Send func(t *testing.T, frame []byte)
	// TSSource is the timestamp source every frame must carry.
	TSSource source.TimestampSource
	// EmptyPolls, when set, counts the times the source waited and found
	// nothing: a 250 ms wait must take three to six of its slices, and
	// the suite knows from it when Next has started waiting.
	EmptyPolls func(src source.Source) uint64
	// SetUp takes the live source's interface down (false) or up (true);
	// Remove deletes it. Both nil skip InterfaceGone.
	SetUp  func(t *testing.T, up bool)
	Remove func(t *testing.T)
	// InterfaceError reports whether err is the source's error for its
	// interface (its *InterfaceError, say).
	InterfaceError func(err error) bool
	// GoneWithin bounds how long the source may take to report its
	// interface removed; 0 allows up to Next's deadline of 5 s.
	GoneWithin time.Duration
	// AfterRemove, when set, checks more of the source once its interface
	// is gone (before it is closed).
	AfterRemove func(t *testing.T, src source.Source)
	// ErrClosed, when set, is what Next after Close must return (by
	// errors.Is), and a second Close must then return nil.
	ErrClosed error
}

// PTPFrames returns the frames the suite sends or expects: PTP over every
// transport, untagged, behind an 802.1Q or an 802.1ad tag, and behind two
// tags (QinQ). The source MAC is locally administered.
func PTPFrames() [][]byte {
	encs := []decode.Encapsulation{
		{Transport: decode.TransportL2},
		{Transport: decode.TransportUDPv4, SrcIP: netip.MustParseAddr("10.99.0.2")},
		{Transport: decode.TransportUDPv6, SrcIP: netip.MustParseAddr("fd00:99::2")},
	}
	stacks := [][]uint16{nil, {0x8100}, {0x88A8}, {0x88A8, 0x8100}}
	var out [][]byte
	for i, e := range encs {
		for j, tpids := range stacks {
			e.SrcMAC = [6]byte{0x02, 0x99, 0, 0, 0, 2}
			e.VLANs = nil
			for k, tpid := range tpids {
				e.VLANs = append(e.VLANs, decode.VLANTag{TPID: tpid, VID: uint16(300 + k), PCP: uint8(k + 2)})
			}
			m := &decode.Message{}
			m.MessageType, m.Version, m.Sequence = decode.Sync, 2, uint16(10*i+j)
			m.Source = decode.PortIdentity{Clock: decode.ClockIdentity{0x02, 0x99, 0, 0xff, 0xfe, 0, 0, 2}, Port: 1}
			m.Timestamp = decode.Timestamp{Seconds: 1700000000, Nanoseconds: uint32(j) * 1000}
			out = append(out, e.AppendFrame(nil, m))
		}
	}
	return out
}

// Run runs the suite, one subtest per promise.
func Run(t *testing.T, h Harness) {
	t.Run("Frames", func(t *testing.T) { testFrames(t, h) })
	t.Run("Deadline", func(t *testing.T) { testDeadline(t, h) })
	t.Run("ReturnIdle", func(t *testing.T) { testReturnIdle(t, h) })
	t.Run("NoAllocs", func(t *testing.T) { testNoAllocs(t, h) })
	t.Run("InterfaceGone", func(t *testing.T) { testInterfaceGone(t, h) })
	t.Run("Close", func(t *testing.T) { testClose(t, h) })
}

func (h Harness) open(t *testing.T) source.Source {
	t.Helper()
	src := h.Open(t)
	t.Cleanup(func() { src.Close() })
	return src
}

// deadline is a context whose deadline the suite moves, so that measuring
// Next's allocations does not count a new context's.
type deadline struct {
	context.Context
	at time.Time
}

func (d *deadline) Deadline() (time.Time, bool) { return d.at, true }

func (d *deadline) Done() <-chan struct{} { return nil }

func (d *deadline) Err() error {
	if time.Now().Before(d.at) {
		return nil
	}
	return context.DeadlineExceeded
}

// next calls Next with a deadline d from now.
func next(src source.Source, f *source.Frame, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return src.Next(ctx, f)
}

func testFrames(t *testing.T, h Harness) {
	src := h.open(t)
	want := PTPFrames()
	if h.Send != nil {
		for _, w := range want {
			h.Send(t, w)
		}
	}
	var f source.Frame
	var last int64
	for i, w := range want {
		if err := next(src, &f, 5*time.Second); err != nil {
			t.Fatalf("frame %d of %d: %v", i, len(want), err)
		}
		if !slices.Equal(f.Data, w) {
			t.Fatalf("frame %d:\n got % x\nwant % x", i, f.Data, w)
		}
		if f.OrigLen != len(w) || f.Link != decode.LinkEthernet || f.TSSource != h.TSSource {
			t.Errorf("frame %d: OrigLen %d, Link %v, TSSource %v; want %d, Ethernet, %v", i, f.OrigLen, f.Link, f.TSSource, len(w), h.TSSource)
		}
		if f.Timestamp < last {
			t.Errorf("frame %d: timestamp went back %d ns", i, last-f.Timestamp)
		}
		last = f.Timestamp
		if int(f.Interface) >= len(src.Interfaces()) {
			t.Errorf("frame %d: interface %d of %d", i, f.Interface, len(src.Interfaces()))
		}
	}
	if h.Send == nil {
		if err := next(src, &f, time.Second); err != io.EOF {
			t.Errorf("Next after the last frame = %v, want io.EOF", err)
		}
		return
	}
	if err := next(src, &f, 300*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Next after the last frame = %v (% x), want nothing more", err, f.Data)
	}
}

func testDeadline(t *testing.T, h Harness) {
	src := h.open(t)
	var f source.Frame
	if h.Send == nil {
		// A finite source does not wait; with its context ended it
		// returns at once, a frame or the context's error.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		start := time.Now()
		if err := src.Next(ctx, &f); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Next with an ended context = %v", err)
		}
		if el := time.Since(start); el > time.Second {
			t.Errorf("Next with an ended context took %v", el)
		}
		return
	}
	var polls uint64
	if h.EmptyPolls != nil {
		polls = h.EmptyPolls(src)
	}
	start := time.Now()
	err := next(src, &f, 250*time.Millisecond)
	el := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || el < 240*time.Millisecond || el > time.Second {
		t.Fatalf("Next = %v after %v, want DeadlineExceeded after 250ms", err, el)
	}
	if h.EmptyPolls != nil {
		if n := h.EmptyPolls(src) - polls; n < 3 || n > 6 {
			t.Errorf("%d empty polls in 250 ms, want about 3 slices", n)
		}
	}
}

// testReturnIdle: a live source told to return when idle (ReturnIdle, as
// the capture's relay of real-time threads does) returns source.ErrIdle
// after about that long with nothing to read, and a frame sent afterwards
// still arrives.
func testReturnIdle(t *testing.T, h Harness) {
	src := h.open(t)
	ri, ok := src.(interface{ ReturnIdle(time.Duration) })
	if !ok || h.Send == nil {
		t.Skip("skipping: the source has no ReturnIdle (only live captures do)")
	}
	const limit = 20 * time.Millisecond
	ri.ReturnIdle(limit)
	var f source.Frame
	for range 3 {
		start := time.Now()
		err := next(src, &f, 5*time.Second)
		el := time.Since(start)
		if err != source.ErrIdle || el < limit/2 || el > 2*time.Second {
			t.Fatalf("idle Next = %v after %v, want source.ErrIdle after about %v", err, el, limit)
		}
	}
	w := PTPFrames()[0]
	h.Send(t, w)
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := next(src, &f, 5*time.Second)
		if err == nil {
			if !slices.Equal(f.Data, w) {
				t.Fatalf("frame after idle returns:\n got % x\nwant % x", f.Data, w)
			}
			break
		}
		if err != source.ErrIdle || time.Now().After(deadline) {
			t.Fatalf("Next after a send = %v", err)
		}
	}
	ri.ReturnIdle(0)
	if err := next(src, &f, 100*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Next with ReturnIdle(0) and nothing to read = %v, want the context's deadline", err)
	}
}

func testNoAllocs(t *testing.T, h Harness) {
	src := h.open(t)
	var f source.Frame
	ctx := &deadline{Context: context.Background(), at: time.Now().Add(10 * time.Second)}
	runs := len(PTPFrames()) - 1
	if h.Send != nil {
		runs = 200
		frame := PTPFrames()[0]
		for range runs + 1 {
			h.Send(t, frame)
		}
	}
	// The first call, which AllocsPerRun does not count, may set up.
	if a := testing.AllocsPerRun(runs, func() {
		if err := src.Next(ctx, &f); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Next with frames waiting allocates %.2f times per frame", a)
	}
	if h.Send == nil {
		return
	}
	if a := testing.AllocsPerRun(3, func() {
		ctx.at = time.Now().Add(120 * time.Millisecond) // two poll slices
		if err := src.Next(ctx, &f); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Next on a quiet link = %v", err)
		}
	}); a != 0 {
		t.Errorf("Next polling a quiet link allocates %.2f times per call", a)
	}
}

// waiting waits until src's Next, started on another goroutine, has
// found nothing and is waiting.
func (h Harness) waiting(t *testing.T, src source.Source, before uint64) {
	t.Helper()
	if h.EmptyPolls == nil {
		return
	}
	for deadline := time.Now().Add(3 * time.Second); h.EmptyPolls(src) == before; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Next did not start waiting")
		}
	}
}

func testInterfaceGone(t *testing.T, h Harness) {
	if h.SetUp == nil || h.Remove == nil {
		t.Skip("the source has no interface to take away")
	}
	src := h.open(t)
	frame := PTPFrames()[0]
	var polls uint64
	nextAsync := func() <-chan error {
		if h.EmptyPolls != nil {
			polls = h.EmptyPolls(src)
		}
		errc := make(chan error, 1)
		go func() { var f source.Frame; errc <- next(src, &f, 5*time.Second) }()
		h.waiting(t, src, polls)
		return errc
	}

	// Down: ENETDOWN, then frames again once the link is up.
	errc := nextAsync()
	h.SetUp(t, false)
	if err := <-errc; !h.InterfaceError(err) || !errors.Is(err, syscall.ENETDOWN) {
		t.Fatalf("Next after link down = %v, want the interface error with ENETDOWN", err)
	}
	h.SetUp(t, true)
	var f source.Frame
	var err error
	for deadline := time.Now().Add(3 * time.Second); ; {
		h.Send(t, frame)
		if err = next(src, &f, 200*time.Millisecond); err == nil && slices.Equal(f.Data, frame) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after link up: %v % x", err, f.Data)
		}
	}

	// Removed: an error at once, and ENODEV from then on.
	errc = nextAsync()
	start := time.Now()
	h.Remove(t)
	err = <-errc
	el := time.Since(start)
	if !h.InterfaceError(err) {
		t.Fatalf("Next after removal = %v, want the interface error", err)
	}
	t.Logf("removed: %v after %v", err, el)
	if h.GoneWithin > 0 && el > h.GoneWithin {
		t.Errorf("the interface error took %v", el)
	}
	if err := next(src, &f, time.Second); !h.InterfaceError(err) || !errors.Is(err, syscall.ENODEV) {
		t.Fatalf("Next again = %v, want the interface error with ENODEV", err)
	}
	if h.AfterRemove != nil {
		h.AfterRemove(t, src)
	}
	if err := src.Close(); err != nil {
		t.Errorf("Close after removal: %v", err)
	}
}

func testClose(t *testing.T, h Harness) {
	src := h.Open(t)
	if err := src.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	var f source.Frame
	start := time.Now()
	err := next(src, &f, 2*time.Second)
	if err == nil || errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Errorf("Next after Close = %v after %v, want an error at once", err, time.Since(start))
	}
	if h.ErrClosed != nil && !errors.Is(err, h.ErrClosed) {
		t.Errorf("Next after Close = %v, want %v", err, h.ErrClosed)
	}
	err = src.Close()
	if h.ErrClosed != nil && err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// PTPStream returns n frames as a capture of a busy PTP network shows
// them, for benchmarks whose cost depends on the bytes (compression): a
// Sync, Follow_Up, Delay_Req and Delay_Resp cycle between four masters
// and their clients over UDP/IPv4, each with its own sequence, a
// correction field and timestamps that move on by a jittered 1/16 s, the
// capture timestamps likewise. Frames shorter than size are padded to it
// (as a switch pads to 60 bytes), never cut. The same n gives the same
// frames.
func PTPStream(n, size int) []source.Frame {
	types := []decode.MessageType{decode.Sync, decode.FollowUp, decode.DelayReq, decode.DelayResp}
	out := make([]source.Frame, 0, n)
	rnd := uint64(0x9e3779b97f4a7c15)
	ts := int64(1_700_000_000_000_000_000)
	for i := range n {
		rnd ^= rnd << 13
		rnd ^= rnd >> 7
		rnd ^= rnd << 17
		master := uint8(i / 4 % 4)
		t := types[i%4]
		e := decode.Encapsulation{Transport: decode.TransportUDPv4, SrcIP: netip.AddrFrom4([4]byte{10, 99, master, 2}),
			SrcMAC: [6]byte{0x02, 0x99, 0, 0, master, 2}}
		m := &decode.Message{}
		m.MessageType, m.Version, m.Domain, m.Sequence = t, 2, 0, uint16(i/16)
		m.Source = decode.PortIdentity{Clock: decode.ClockIdentity{0x02, 0x99, 0, 0xff, 0xfe, 0, master, 2}, Port: 1}
		m.Correction = decode.TimeInterval(rnd % 50000 << 16)
		ts += 62_500_000/4 + int64(rnd%2000) - 1000
		m.Timestamp = decode.Timestamp{Seconds: uint64(ts / 1e9), Nanoseconds: uint32(ts % 1e9)}
		if t == decode.DelayResp || t == decode.DelayReq {
			m.RequestingPort = decode.PortIdentity{Clock: decode.ClockIdentity{0x02, 0x98, 0, 0xff, 0xfe, master, byte(i), 1}, Port: 1}
		}
		b := e.AppendFrame(nil, m)
		for len(b) < size {
			b = append(b, 0)
		}
		out = append(out, source.Frame{Data: b, OrigLen: len(b), Timestamp: ts + int64(rnd%997), TSSource: source.TimestampSoftware,
			Link: decode.LinkEthernet, Interface: uint16(i % 2)})
	}
	return out
}
