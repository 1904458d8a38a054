//go:build linux

package afxdp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"

	"github.com/ptpwatch/ptpwatch/bpf"
	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/netlab"
	"github.com/ptpwatch/ptpwatch/xdp/source"
	"github.com/ptpwatch/ptpwatch/xdp/source/sourcetest"
)

// testNet is the veth lab the tests capture on: near holds the captured
// end, far the peer.
type testNet = netlab.Pair

// newTestNet makes the lab; extra arguments go to `ip link add` for both
// ends (numrxqueues 2, say).
func newTestNet(t testing.TB, linkArgs ...string) *testNet {
	t.Helper()
	needNetns(t)
	return netlab.NewPair(t, netlab.Options{Prefix: "axt", NearAddr: "10.78.0.1/24", FarAddr: "10.78.0.2/24", LinkArgs: linkArgs})
}

func needNetns(t testing.TB) {
	t.Helper()
	netlab.Need(t, "network namespaces and AF_XDP (CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF)")
}

var (
	run     = netlab.Run
	inNetns = netlab.InNetns
)

// openIn opens a Capture in namespace ns; it is closed before the
// namespaces are removed (the sockets would keep the namespace alive).
func openIn(t testing.TB, ns, ifname string, o Options) *Capture {
	t.Helper()
	var c *Capture
	if err := inNetns(ns, func() (err error) { c, err = Open(ifname, o); return err }); err != nil {
		if errors.Is(err, os.ErrPermission) {
			t.Skipf("skipping: %v", err)
		}
		t.Fatalf("Open(%s) in %s: %v", ifname, ns, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// packetSender is a packet socket on an interface of another namespace.
type packetSender struct {
	fd      int
	ifindex int
}

func newSender(t testing.TB, ns, ifname string) *packetSender {
	t.Helper()
	p := &packetSender{fd: -1}
	err := inNetns(ns, func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		p.ifindex = ifi.Index
		p.fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return err
		}
		return unix.Bind(p.fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index})
	})
	if err != nil {
		t.Fatalf("packet socket on %s: %v", ifname, err)
	}
	t.Cleanup(func() { unix.Close(p.fd) })
	return p
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func (p *packetSender) send(t testing.TB, frame []byte) {
	t.Helper()
	if err := unix.Sendto(p.fd, frame, 0, &unix.SockaddrLinklayer{Ifindex: p.ifindex}); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// recv returns the next frame received (not sent) on p within d.
func (p *packetSender) recv(d time.Duration) ([]byte, error) {
	buf := make([]byte, 4096)
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return nil, os.ErrDeadlineExceeded
		}
		pfd := []unix.PollFd{{Fd: int32(p.fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(pfd, int(left/time.Millisecond)+1); err != nil && err != unix.EINTR {
			return nil, err
		}
		n, from, err := unix.Recvfrom(p.fd, buf, unix.MSG_DONTWAIT)
		if err == unix.EAGAIN || err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
			continue
		}
		return buf[:n], nil
	}
}

// captured is a copy of a frame Next returned.
type captured struct {
	data []byte
	f    source.Frame
}

// collect reads frames from c until ctx ends or an error.
func collect(ctx context.Context, c *Capture, out chan<- captured) error {
	var f source.Frame
	for {
		if err := c.Next(ctx, &f); err != nil {
			return err
		}
		out <- captured{append([]byte(nil), f.Data...), f}
	}
}

// xdpAttached reports whether `ip -d link show` lists an XDP program on the
// interface.
func xdpAttached(t testing.TB, ns, ifname string) (bool, string) {
	t.Helper()
	out, err := exec.Command("ip", "-n", ns, "-d", "link", "show", "dev", ifname).CombinedOutput()
	if err != nil {
		t.Fatalf("ip link show: %v\n%s", err, out)
	}
	return bytes.Contains(out, []byte("prog/xdp")), string(out)
}

// TestCapture sends crafted PTP frames over every transport, VLAN-tagged
// and not, and other traffic from the far end: each PTP frame must arrive
// exactly once, byte-identical and stamped by the XDP program; nothing
// else may arrive, and other traffic still reaches the stack.
func TestCapture(t *testing.T) {
	n := newTestNet(t)
	c := openIn(t, n.Near, n.NearIf, Options{})
	info := c.Info()
	t.Logf("info %+v", info)
	if info.ZeroCopy || info.Attach != AttachDriver || len(info.Queues) != 1 {
		t.Errorf("info %+v: want copy mode, driver mode, one queue on veth", info)
	}
	if a, out := xdpAttached(t, n.Near, n.NearIf); !a {
		t.Fatalf("no XDP program on %s:\n%s", n.NearIf, out)
	}
	tx := newSender(t, n.Far, n.FarIf)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan captured, 1024)
	done := make(chan error, 1)
	go func() { done <- collect(ctx, c, got) }()

	frames := testFrames()
	var want []testFrame
	var sentAt []int64
	const rounds = 3
	for range rounds {
		for _, tf := range frames {
			sentAt = append(sentAt, time.Now().UnixNano())
			tx.send(t, tf.data)
			if tf.ptp {
				want = append(want, tf)
			} else {
				sentAt = sentAt[:len(sentAt)-1]
			}
		}
	}
	wantTS, wantNoMeta := source.TimestampXDPTAI, uint64(0)
	if bpf.NoMetadata() {
		// The kernel refuses bpf_xdp_adjust_meta: Next stamps the frames.
		wantTS, wantNoMeta = source.TimestampSoftware, uint64(len(want))
	}
	var last int64
	for i, w := range want {
		var g captured
		select {
		case g = <-got:
		case err := <-done:
			t.Fatalf("capture ended after %d of %d frames: %v", i, len(want), err)
		}
		if !bytes.Equal(g.data, w.data) {
			t.Fatalf("frame %d (%s):\n got % x\nwant % x", i, w.name, g.data, w.data)
		}
		if g.f.OrigLen != len(w.data) || g.f.TSSource != wantTS || g.f.Link != decode.LinkEthernet || g.f.Queue != 0 {
			t.Errorf("frame %d (%s): OrigLen %d TSSource %v Link %v Queue %d", i, w.name, g.f.OrigLen, g.f.TSSource, g.f.Link, g.f.Queue)
		}
		if d := time.Duration(g.f.Timestamp - time.Now().UnixNano()); d > 0 || d < -time.Second {
			t.Errorf("frame %d (%s): timestamp %v from now", i, w.name, d)
		}
		if g.f.Timestamp < sentAt[i] || g.f.Timestamp < last {
			t.Errorf("frame %d (%s): stamped %d ns after its send, %d ns after the previous frame", i, w.name, g.f.Timestamp-sentAt[i], g.f.Timestamp-last)
		}
		last = g.f.Timestamp
	}
	select {
	case g := <-got:
		t.Errorf("unexpected frame % x", g.data)
	case <-time.After(300 * time.Millisecond):
	}

	// Other traffic reaches the stack while the program is attached: a UDP
	// datagram (after ARP) from the far end to a socket on the near end.
	var rx *net.UDPConn
	if err := inNetns(n.Near, func() (err error) {
		rx, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(10, 78, 0, 1), Port: 40400})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	if err := inNetns(n.Far, func() error {
		u, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(10, 78, 0, 1), Port: 40400})
		if err != nil {
			return err
		}
		defer u.Close()
		_, err = u.Write([]byte("not ptp"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rx.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 64)
	if k, err := rx.Read(buf); err != nil || string(buf[:k]) != "not ptp" {
		t.Errorf("UDP across the veth while attached: %q, %v", buf[:k], err)
	}
	select {
	case g := <-got:
		t.Errorf("unexpected frame % x", g.data)
	case <-time.After(100 * time.Millisecond):
	}

	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Next after cancel = %v, want context.Canceled", err)
	}
	st, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	fc, err := c.FilterCounters()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stats %+v\nfilter %+v", st, fc)
	if st.Received != uint64(len(want)) || st.NoMeta != wantNoMeta || st.RxDropped != 0 || st.RxRingFull != 0 || st.BadDescs != 0 {
		t.Errorf("stats %+v; want %d received, nothing lost", st, len(want))
	}
	if fc.Redirected != uint64(len(want)) || fc.MetaWritten != uint64(len(want))-wantNoMeta {
		t.Errorf("filter counters %+v; want %d redirected with metadata", fc, len(want))
	}
}

func TestOpenMissingInterface(t *testing.T) {
	_, err := Open("axt-no-such-if", Options{})
	var ie *InterfaceError
	if !errors.As(err, &ie) || !errors.Is(err, unix.ENODEV) {
		t.Fatalf("Open = %v, want *InterfaceError with ENODEV", err)
	}
}

func TestOpenBadOptions(t *testing.T) {
	_, err := Open("lo", Options{ChunkSize: 1000})
	var oe *OptionError
	if !errors.As(err, &oe) || oe.Option != "ChunkSize" {
		t.Fatalf("Open = %v, want an *OptionError for ChunkSize", err)
	}
	n := newTestNet(t)
	err = inNetns(n.Near, func() error { _, err := Open(n.NearIf, Options{Queues: []int{1}}); return err })
	var qe *QueueError
	if !errors.As(err, &qe) || qe.Active != 1 {
		t.Fatalf("Open with queue 1 of a one-queue veth = %v, want a *QueueError", err)
	}
	t.Log(err)
}

// TestSend sends frames from the near end through the TX ring and
// receives them on the far end.
func TestSend(t *testing.T) {
	n := newTestNet(t)
	c := openIn(t, n.Near, n.NearIf, Options{})
	rx := newSender(t, n.Far, n.FarIf)
	// Untagged frames: the far end's packet socket would see VLAN-tagged
	// ones with the outer tag stripped into metadata.
	var frames [][]byte
	for _, f := range testFrames() {
		if !strings.Contains(f.name, "tag") && !strings.Contains(f.name, "802.1") && !strings.Contains(f.name, "QinQ") {
			frames = append(frames, f.data)
		}
	}
	// More than the TX ring holds, so chunks must come back through the
	// completion ring.
	const count = 3 * DefaultTXRingSize
	for i := range count {
		fr := frames[i%len(frames)]
		before := time.Now().UnixNano()
		at, src, err := c.SendStamped(fr)
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if at < before || at > time.Now().UnixNano() || src != TXUser {
			t.Errorf("send %d: sentAt %d not between %d and now, source %v", i, at, before, src)
		}
		got, err := rx.recv(2 * time.Second)
		for err == nil && (len(got) < 14 || !bytes.Equal(got[6:12], farMAC[:])) {
			got, err = rx.recv(2 * time.Second) // skip the far end's own chatter
		}
		if err != nil || !bytes.Equal(got, fr) {
			t.Fatalf("send %d: far end got % x, %v; want % x", i, got, err, fr)
		}
	}
	st, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stats %+v", st)
	if st.Sent != count || st.TXCompleted < count-DefaultTXRingSize || st.TxInvalidDescs != 0 || st.Received != 0 {
		t.Errorf("stats %+v after %d sends", st, count)
	}
	if _, err := c.Send(make([]byte, 10)); err == nil {
		t.Error("Send of a 10-byte frame succeeded")
	}
	if _, err := c.Send(make([]byte, 4096)); err == nil {
		t.Error("Send of a frame longer than a chunk succeeded")
	}
	c.Close()
	if _, err := c.Send(frames[0]); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close = %v, want ErrClosed", err)
	}
}

// TestCloseDetaches checks that Close removes the XDP program and that the
// interface can be captured again afterwards.
func TestCloseDetaches(t *testing.T) {
	n := newTestNet(t)
	for round := range 2 {
		c := openIn(t, n.Near, n.NearIf, Options{})
		if a, out := xdpAttached(t, n.Near, n.NearIf); !a {
			t.Fatalf("round %d: no XDP program after Open:\n%s", round, out)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("round %d: Close: %v", round, err)
		}
		if a, out := xdpAttached(t, n.Near, n.NearIf); a {
			t.Fatalf("round %d: XDP program still attached after Close:\n%s", round, out)
		}
		// Next and a second Close: TestSource.
		if _, err := c.Stats(); !errors.Is(err, ErrClosed) {
			t.Errorf("Stats after Close = %v, want ErrClosed", err)
		}
	}
}

// attachNetlink attaches prog to ifname in namespace ns the netlink way and
// closes every handle on it, as a crashed run would leave it; it returns
// the program's id.
func attachNetlink(t *testing.T, ns, ifname string, fd int, mode uint32) {
	t.Helper()
	if err := inNetns(ns, func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		nl, err := dialRoute()
		if err != nil {
			return err
		}
		defer nl.Close()
		return nl.setXDP(ifi.Index, fd, mode)
	}); err != nil {
		t.Fatalf("attaching through netlink: %v", err)
	}
}

// TestStaleProgram leaves ptpwatch's program attached through netlink with
// no process holding it, as a crashed run of an older version (or `ip link
// set dev X xdpdrv obj ...`) would: Open must replace it and Close leave
// nothing behind. A foreign program is replaced only when allowed.
func TestStaleProgram(t *testing.T) {
	n := newTestNet(t)
	f, err := bpf.Load()
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	info, _ := f.Program().Info()
	staleID, _ := info.ID()
	attachNetlink(t, n.Near, n.NearIf, f.Program().FD(), unix.XDP_FLAGS_DRV_MODE)
	f.Close()
	if a, out := xdpAttached(t, n.Near, n.NearIf); !a {
		t.Fatalf("stale program not attached:\n%s", out)
	}
	c := openIn(t, n.Near, n.NearIf, Options{})
	if got := c.Info().ReplacedProgID; got != uint32(staleID) {
		t.Errorf("ReplacedProgID %d, want the stale program's %d", got, staleID)
	}
	// It captures.
	tx := newSender(t, n.Far, n.FarIf)
	tx.send(t, testFrames()[0].data)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var fr source.Frame
	if err := c.Next(ctx, &fr); err != nil || !bytes.Equal(fr.Data, testFrames()[0].data) {
		t.Fatalf("Next after replacing: %v", err)
	}
	c.Close()
	if a, out := xdpAttached(t, n.Near, n.NearIf); a {
		t.Fatalf("XDP program left after Close:\n%s", out)
	}

	// A foreign program, in generic mode this time.
	foreign := foreignProgram(t)
	attachNetlink(t, n.Near, n.NearIf, foreign.FD(), unix.XDP_FLAGS_SKB_MODE)
	foreign.Close()
	err = inNetns(n.Near, func() error {
		c, err := Open(n.NearIf, Options{})
		if err == nil {
			c.Close()
		}
		return err
	})
	var be *BusyError
	if !errors.As(err, &be) || be.ProgName != "foreign_pass" {
		t.Fatalf("Open over a foreign program = %v, want a *BusyError naming it", err)
	}
	t.Log(err)
	c = openIn(t, n.Near, n.NearIf, Options{ReplaceForeign: true})
	if c.Info().ReplacedProgID == 0 {
		t.Error("foreign program not reported as replaced")
	}
	c.Close()
	if a, out := xdpAttached(t, n.Near, n.NearIf); a {
		t.Fatalf("XDP program left after Close:\n%s", out)
	}
}

// TestBusy checks that a second capture of the same interface fails with a
// *BusyError and leaves the first one working.
func TestBusy(t *testing.T) {
	n := newTestNet(t)
	c := openIn(t, n.Near, n.NearIf, Options{})
	err := inNetns(n.Near, func() error {
		c2, err := Open(n.NearIf, Options{})
		if err == nil {
			c2.Close()
		}
		return err
	})
	var be *BusyError
	if !errors.As(err, &be) {
		t.Fatalf("second Open = %v, want a *BusyError", err)
	}
	t.Log(err)
	tx := newSender(t, n.Far, n.FarIf)
	tx.send(t, testFrames()[2].data)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var f source.Frame
	if err := c.Next(ctx, &f); err != nil || !bytes.Equal(f.Data, testFrames()[2].data) {
		t.Fatalf("first capture after the second Open failed: %v", err)
	}
}

// TestSource runs the frame source conformance suite on a live AF_XDP
// socket; frames come from a packet socket on the far end.
func TestSource(t *testing.T) {
	var tx *packetSender
	var n *testNet
	wantTS := source.TimestampXDPTAI
	if bpf.NoMetadata() {
		wantTS = source.TimestampSoftware // the kernel refuses bpf_xdp_adjust_meta: Next stamps the frames
	}
	sourcetest.Run(t, sourcetest.Harness{
		Open: func(t *testing.T) source.Source {
			n = newTestNet(t)
			tx = newSender(t, n.Far, n.FarIf)
			return openIn(t, n.Near, n.NearIf, Options{})
		},
		Send:           func(t *testing.T, frame []byte) { tx.send(t, frame) },
		TSSource:       wantTS,
		EmptyPolls:     func(src source.Source) uint64 { st, _ := src.(*Capture).Stats(); return st.EmptyPolls },
		SetUp:          func(t *testing.T, up bool) { n.SetUp(up) },
		Remove:         func(t *testing.T) { n.Unlink() },
		InterfaceError: func(err error) bool { var ie *InterfaceError; return errors.As(err, &ie) },
		GoneWithin:     time.Second,
		AfterRemove: func(t *testing.T, src source.Source) {
			var ie *InterfaceError
			if _, err := src.(*Capture).Send(testFrames()[0].data); !errors.As(err, &ie) {
				t.Errorf("Send after removal = %v, want *InterfaceError", err)
			}
			if _, err := src.(*Capture).Stats(); err != nil {
				t.Logf("Stats after removal: %v", err)
			}
		},
		ErrClosed: ErrClosed,
	})
}

// TestMultiQueue captures a veth with two RX queues: one socket each, and
// frames sent from both CPUs arrive once each, on both queues.
func TestMultiQueue(t *testing.T) {
	n := newTestNet(t, "numtxqueues", "2", "numrxqueues", "2")
	c := openIn(t, n.Near, n.NearIf, Options{})
	if q := c.Queues(); len(q) != 2 || q[0] != 0 || q[1] != 1 {
		t.Fatalf("queues %v, want [0 1]", q)
	}
	t.Logf("info %+v", c.Info())
	tx := newSender(t, n.Far, n.FarIf)
	frames := testFrames()
	var ptp [][]byte
	for _, f := range frames {
		if f.ptp {
			ptp = append(ptp, f.data)
		}
	}
	// A packet socket's frames leave on the TX queue of the sending CPU
	// (modulo the queue count), and a veth delivers them on the same RX
	// queue of its peer: send from every CPU.
	cpus := min(runtime.NumCPU(), 4)
	var wg sync.WaitGroup
	for cpu := range cpus {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var set unix.CPUSet
			set.Set(cpu)
			unix.SchedSetaffinity(0, &set)
			for _, f := range ptp {
				unix.Sendto(tx.fd, f, 0, &unix.SockaddrLinklayer{Ifindex: tx.ifindex})
			}
		}()
	}
	wg.Wait()
	want := cpus * len(ptp)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var f source.Frame
	perQueue := map[uint16]int{}
	seen := map[string]int{}
	for range want {
		if err := c.Next(ctx, &f); err != nil {
			t.Fatalf("after %v frames: %v", perQueue, err)
		}
		perQueue[f.Queue]++
		seen[string(f.Data)]++
	}
	for _, p := range ptp {
		if seen[string(p)] != cpus {
			t.Errorf("frame seen %d times, want %d: % x", seen[string(p)], cpus, p)
		}
	}
	t.Logf("frames per queue %v from %d CPUs", perQueue, cpus)
	if cpus > 1 && (perQueue[0] == 0 || perQueue[1] == 0) {
		t.Errorf("frames per queue %v: want both queues used", perQueue)
	}
}

// foreignProgram loads a trivial XDP program that is not ptpwatch's.
func foreignProgram(t *testing.T) *ebpf.Program {
	t.Helper()
	p, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Name:         "foreign_pass",
		Type:         ebpf.XDP,
		License:      "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 2), asm.Return()}, // XDP_PASS
	})
	if err != nil {
		t.Fatalf("loading a foreign program: %v", err)
	}
	return p
}

// TestPTP4L captures a free-running ptp4l master in the far namespace,
// which may not set the clock, over UDPv4 and over Ethernet, and checks
// the frames against the XDP program's counters and the decoder.
func TestPTP4L(t *testing.T) {
	needNetns(t)
	netlab.NeedTools(t, "ptp4l", "capsh")
	for _, tr := range []struct {
		name      string
		transport decode.Transport
	}{{"UDPv4", decode.TransportUDPv4}, {"L2", decode.TransportL2}} {
		t.Run(tr.name, func(t *testing.T) {
			n := newTestNet(t)
			c := openIn(t, n.Near, n.NearIf, Options{})
			ptp := n.Lab().PTP4L(n.Far, "ptp4l", n.FarIf, "masterOnly 1\nnetwork_transport "+tr.name+
				"\nlogAnnounceInterval -2\nlogSyncInterval -3\nannounceReceiptTimeout 2\ndomainNumber 0\n", "-m", "-q")

			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			var f source.Frame
			var df decode.Frame
			counts := map[decode.MessageType]int{}
			var frames, bad int
			var last int64
			wantTS := source.TimestampXDPTAI
			if bpf.NoMetadata() {
				// The kernel refuses bpf_xdp_adjust_meta: Next stamps the frames.
				wantTS = source.TimestampSoftware
			}
			for {
				err := c.Next(ctx, &f)
				if errors.Is(err, context.DeadlineExceeded) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				frames++
				if f.Timestamp < last || f.TSSource != wantTS {
					t.Errorf("frame %d: timestamp %d (after %d) source %v", frames, f.Timestamp, last, f.TSSource)
				}
				if d := time.Since(time.Unix(0, f.Timestamp)); d < 0 || d > time.Second {
					t.Errorf("frame %d: timestamp %v from now", frames, -d)
				}
				last = f.Timestamp
				if df.Decode(f.Link, f.Data) != decode.ResultOK || df.Version != 2 || df.Transport != tr.transport {
					bad++
					continue
				}
				counts[df.PTP.MessageType]++
			}
			ptp.Stop()
			// Frames still in flight when ptp4l stopped.
			ctx2, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel2()
			for c.Next(ctx2, &f) == nil {
				frames++
				if df.Decode(f.Link, f.Data) == decode.ResultOK {
					counts[df.PTP.MessageType]++
				} else {
					bad++
				}
			}
			st, _ := c.Stats()
			fc, err := c.FilterCounters()
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d frames in 3 s, %d not decoded OK; by type %v\nstats %+v\nfilter %+v", frames, bad, counts, st, fc)
			if bad != 0 || counts[decode.Announce] < 5 || counts[decode.Sync] < 10 || counts[decode.FollowUp] < 10 {
				t.Errorf("want Announce, Sync and Follow_Up from ptp4l, all decoding OK")
			}
			if d := counts[decode.Sync] - counts[decode.FollowUp]; d < -1 || d > 1 {
				t.Errorf("%d Sync but %d Follow_Up", counts[decode.Sync], counts[decode.FollowUp])
			}
			ptpCount := fc.PTPUDPv4
			if tr.transport == decode.TransportL2 {
				ptpCount = fc.PTPL2
			}
			if st.Received != uint64(frames) || fc.Redirected != uint64(frames) || ptpCount != uint64(frames) || fc.PTP() != uint64(frames) {
				t.Errorf("%d frames captured; stats %+v; filter %+v", frames, st, fc)
			}
		})
	}
}

// BenchmarkNext measures the live receive path: a goroutine on the far end
// keeps sending a UDPv4 Sync through a packet socket, Next receives.
func BenchmarkNext(b *testing.B) {
	n := newTestNet(b)
	c := openIn(b, n.Near, n.NearIf, Options{})
	tx := newSender(b, n.Far, n.FarIf)
	frame := testFrames()[2].data
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sa := &unix.SockaddrLinklayer{Ifindex: tx.ifindex}
		for {
			select {
			case <-stop:
				return
			default:
			}
			for range 64 {
				unix.Sendto(tx.fd, frame, 0, sa)
			}
		}
	}()
	ctx := context.Background()
	var f source.Frame
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if err := c.Next(ctx, &f); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	close(stop)
	<-done
	st, _ := c.Stats()
	b.ReportMetric(float64(st.RxRingFull+st.RxFillRingEmptyDescs+st.RxDropped), "kernel-drops")
}

// TestPrivileges runs Open in a child process without one capability at a
// time (capsh --drop) and checks that the error names it.
func TestPrivileges(t *testing.T) {
	if os.Getenv("AFXDP_CHILD_IF") != "" {
		t.Skip("in the child")
	}
	if _, err := exec.LookPath("capsh"); err != nil {
		t.Skip("skipping: capsh is not installed")
	}
	n := newTestNet(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		drop      string
		numFrames string
		want      string // in the child's output
	}{
		{"cap_net_raw", "", "*afxdp.PermissionError: afxdp: creating an AF_XDP socket needs CAP_NET_RAW (the process lacks CAP_NET_RAW)"},
		{"cap_bpf,cap_sys_admin", "", "*afxdp.PermissionError: afxdp: loading the XDP program needs CAP_BPF and CAP_NET_ADMIN (the process lacks CAP_BPF)"},
		{"cap_ipc_lock", "8192", "*afxdp.MemlockError: afxdp: UMEM of 16777216 bytes (1 queues × 8192 chunks × 2048 bytes) does not fit under RLIMIT_MEMLOCK of 8388608 bytes"},
		{"cap_ipc_lock", "", "<nil>"}, // the default UMEM fits
	} {
		t.Run(tc.drop+tc.numFrames, func(t *testing.T) {
			cmd := exec.Command("ip", "netns", "exec", n.Near, "capsh", "--drop="+tc.drop, "--", "-c",
				"exec "+exe+" -test.run=^TestPrivilegesChild$ -test.v -test.count=1")
			cmd.Env = append(os.Environ(), "AFXDP_CHILD_IF="+n.NearIf, "AFXDP_CHILD_FRAMES="+tc.numFrames)
			out, _ := cmd.CombinedOutput()
			if !bytes.Contains(out, []byte("RESULT "+tc.want)) {
				t.Errorf("without %s: want %q in\n%s", tc.drop, tc.want, out)
			}
			for _, l := range strings.Split(string(out), "\n") {
				if strings.Contains(l, "RESULT") {
					t.Log(strings.TrimSpace(l))
				}
			}
		})
	}
}

// TestPrivilegesChild is TestPrivileges' child: it opens the interface
// named in the environment and prints the error.
func TestPrivilegesChild(t *testing.T) {
	ifname := os.Getenv("AFXDP_CHILD_IF")
	if ifname == "" {
		t.Skip("run by TestPrivileges")
	}
	var o Options
	fmt.Sscan(os.Getenv("AFXDP_CHILD_FRAMES"), &o.NumFrames)
	c, err := Open(ifname, o)
	if err == nil {
		c.Close()
	}
	fmt.Printf("RESULT %T: %v\n", err, err)
}

// TestFillRingEmpty lets the fill ring run dry, by sending more frames
// than the UMEM has chunks before reading any, and checks that every frame
// is accounted for exactly once: received, or dropped for want of a chunk
// (RxFillRingEmptyDescs), not also as RxDropped (the kernel counts such a
// frame in both of its counters in copy mode).
func TestFillRingEmpty(t *testing.T) {
	n := newTestNet(t)
	c := openIn(t, n.Near, n.NearIf, Options{NumFrames: MinNumFrames})
	tx := newSender(t, n.Far, n.FarIf)
	var frame []byte
	for _, tf := range testFrames() {
		if tf.ptp && !strings.Contains(tf.name, "tag") {
			frame = tf.data
			break
		}
	}
	const sent = 4 * MinNumFrames
	for range sent {
		tx.send(t, frame)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var f source.Frame
	var received uint64
	for c.Next(ctx, &f) == nil {
		received++
	}
	st, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sent %d, received %d, stats %+v", sent, received, st)
	if received == 0 || received >= sent {
		t.Fatalf("received %d of %d frames: want the UMEM's %d chunks to run out", received, sent, MinNumFrames)
	}
	if st.RxDropped != 0 || st.RxRingFull != 0 {
		t.Errorf("RxDropped %d, RxRingFull %d: want 0, only the fill ring ran out", st.RxDropped, st.RxRingFull)
	}
	if received+st.RxFillRingEmptyDescs != sent {
		t.Errorf("received %d + fill ring empty %d = %d, want the %d sent", received, st.RxFillRingEmptyDescs, received+st.RxFillRingEmptyDescs, sent)
	}
}
