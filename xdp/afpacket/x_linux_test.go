//go:build linux

package afpacket

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/netlab"
	"github.com/ptpwatch/ptpwatch/xdp/source"
	"github.com/ptpwatch/ptpwatch/xdp/source/sourcetest"
)

func TestOpenMissingInterface(t *testing.T) {
	_, err := Open("pwa-no-such-if", Options{})
	var ie *InterfaceError
	if !errors.As(err, &ie) || !errors.Is(err, unix.ENODEV) {
		t.Fatalf("Open = %v, want *InterfaceError with ENODEV", err)
	}
}

func TestOpenBadOptions(t *testing.T) {
	if _, err := Open("lo", Options{BlockSize: 1000}); err == nil || !strings.Contains(err.Error(), "block size") {
		t.Fatalf("Open = %v, want a block size error", err)
	}
}

// testNet is the veth lab the tests capture on: near holds the captured
// end, far the peer.
type testNet = netlab.Pair

// newTestNet makes the lab; extra arguments go to `ip link add` for both
// ends (numrxqueues 2, say).
func newTestNet(t testing.TB, linkArgs ...string) *testNet {
	t.Helper()
	needNetns(t)
	return netlab.NewPair(t, netlab.Options{Prefix: "pwa", NearAddr: "10.77.0.1/24", FarAddr: "10.77.0.2/24", LinkArgs: linkArgs})
}

func needNetns(t testing.TB) {
	t.Helper()
	netlab.Need(t, "network namespaces and packet sockets (CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_NET_RAW)")
}

var (
	run     = netlab.Run
	inNetns = netlab.InNetns
)

func openIn(t *testing.T, ns, ifname string, o Options) *Capture {
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

// TestIntegration captures crafted frames sent from the far end of a veth:
// every PTP frame must arrive byte-identical with its VLAN tags, nothing
// else may, and timestamps and counters must add up.
func TestIntegration(t *testing.T) {
	n := newTestNet(t)
	c := openIn(t, n.Near, n.NearIf, Options{})
	tx := openIn(t, n.Far, n.FarIf, Options{IgnoreOutgoing: true})

	frames := testFrames()
	var want []testFrame
	var restored int
	var sentAt []int64
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan captured, 1024)
	done := make(chan error, 1)
	go func() { done <- collect(ctx, c, got) }()

	const rounds = 3
	srcs := map[TXSource]int{}
	for r := 0; r < rounds; r++ {
		for _, tf := range frames {
			if len(tf.data) < 14 {
				continue // runts cannot be sent
			}
			ts, src, err := tx.SendStamped(tf.data)
			if err != nil {
				t.Fatalf("send %s: %v", tf.name, err)
			}
			srcs[src]++
			if kernelAccepts(t, tf.data) {
				want = append(want, tf)
				sentAt = append(sentAt, ts)
				if _, _, ok := outerTag(tf.data); ok {
					restored++
				}
			}
		}
	}
	t.Logf("sent %d frames, %d PTP; TX timestamp sources %v", rounds*(len(frames)-1), len(want), srcs)
	if srcs[TXSoftware] == 0 {
		t.Errorf("no kernel software TX timestamps: %v", srcs)
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
		if g.f.OrigLen != len(w.data) || g.f.TSSource != source.TimestampSoftware || g.f.Link != decode.LinkEthernet {
			t.Errorf("frame %d (%s): OrigLen %d TSSource %v Link %v", i, w.name, g.f.OrigLen, g.f.TSSource, g.f.Link)
		}
		if g.f.Timestamp < last {
			t.Errorf("frame %d (%s): timestamp went back %d ns", i, w.name, last-g.f.Timestamp)
		}
		if g.f.Timestamp < sentAt[i] {
			t.Errorf("frame %d (%s): received %d ns before it was sent", i, w.name, sentAt[i]-g.f.Timestamp)
		}
		last = g.f.Timestamp
	}
	// Nothing else may arrive.
	select {
	case g := <-got:
		t.Errorf("unexpected frame % x", g.data)
	case <-time.After(300 * time.Millisecond):
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Next after cancel = %v, want context.Canceled", err)
	}
	st, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stats %+v; first-to-last RX span %v", st, time.Duration(last-sentAt[0]))
	if st.Received != uint64(len(want)) || st.FilteredIn != uint64(len(want)) || st.Drops != 0 || st.Restored != uint64(restored) {
		t.Errorf("stats %+v; want %d received and filtered in, %d restored, no drops", st, len(want), restored)
	}
	if st.EmptyPolls == 0 {
		t.Errorf("no empty polls counted")
	}
	if ts, err := tx.Stats(); err != nil || ts.Sent != uint64(rounds*(len(frames)-1)) {
		t.Errorf("sender stats %+v, %v", ts, err)
	}
}

// kernelAccepts runs the filter in the VM over data as the kernel hands it
// to the filter: without an outer 802.1Q/802.1ad tag.
func kernelAccepts(t *testing.T, data []byte) bool {
	vm, err := bpf.NewVM(PTPFilter(DefaultSnaplen))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := outerTag(data); ok {
		data = stripOuter(data)
	}
	n, err := vm.Run(data)
	if err != nil {
		t.Fatal(err)
	}
	return n != 0
}

// TestPTP4L captures a free-running ptp4l master (UDPv4) in the far
// namespace, which may not set the clock, and decodes what it sends.
func TestPTP4L(t *testing.T) {
	needNetns(t)
	netlab.NeedTools(t, "ptp4l", "capsh")
	n := newTestNet(t)
	c := openIn(t, n.Near, n.NearIf, Options{})

	ptp := n.Lab().PTP4L(n.Far, "ptp4l", n.FarIf, "masterOnly 1\nnetwork_transport UDPv4\nlogAnnounceInterval -2\nlogSyncInterval -3\nannounceReceiptTimeout 2\ndomainNumber 0\n")
	t.Cleanup(func() { ptp.Stop(); t.Logf("ptp4l log:\n%s", ptp.Output()) })

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var f source.Frame
	var df decode.Frame
	counts := map[decode.MessageType]int{}
	var frames, bad int
	var last int64
	for {
		err := c.Next(ctx, &f)
		if errors.Is(err, context.DeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		frames++
		if f.Timestamp < last || f.TSSource != source.TimestampSoftware {
			t.Errorf("frame %d: timestamp %d (after %d) source %v", frames, f.Timestamp, last, f.TSSource)
		}
		last = f.Timestamp
		if df.Decode(f.Link, f.Data) != decode.ResultOK || df.Version != 2 || df.Transport != decode.TransportUDPv4 {
			bad++
			continue
		}
		counts[df.PTP.MessageType]++
	}
	st, _ := c.Stats()
	t.Logf("%d frames in 5 s, %d not decoded OK; by type %v; stats %+v", frames, bad, counts, st)
	if bad != 0 || counts[decode.Announce] < 3 || counts[decode.Sync] < 10 || counts[decode.FollowUp] < 10 {
		t.Errorf("want Announce, Sync and Follow_Up from ptp4l, all decoding OK")
	}
	if d := counts[decode.Sync] - counts[decode.FollowUp]; d < -1 || d > 1 {
		t.Errorf("%d Sync but %d Follow_Up", counts[decode.Sync], counts[decode.FollowUp])
	}
	if st.Drops != 0 || st.Received != uint64(frames) {
		t.Errorf("stats %+v for %d frames", st, frames)
	}
}

// TestSource runs the frame source conformance suite on a live socket;
// frames come from a sending socket on the far end.
func TestSource(t *testing.T) {
	var tx *Capture
	var n *testNet
	sourcetest.Run(t, sourcetest.Harness{
		Open: func(t *testing.T) source.Source {
			n = newTestNet(t)
			tx = openIn(t, n.Far, n.FarIf, Options{IgnoreOutgoing: true})
			return openIn(t, n.Near, n.NearIf, Options{RetireTimeout: 2 * time.Millisecond})
		},
		Send: func(t *testing.T, frame []byte) {
			if _, err := tx.Send(frame); err != nil {
				t.Fatal(err)
			}
		},
		TSSource:       source.TimestampSoftware,
		EmptyPolls:     func(src source.Source) uint64 { st, _ := src.(*Capture).Stats(); return st.EmptyPolls },
		SetUp:          func(t *testing.T, up bool) { n.SetUp(up) },
		Remove:         func(t *testing.T) { n.Unlink() },
		InterfaceError: func(err error) bool { var ie *InterfaceError; return errors.As(err, &ie) },
		AfterRemove: func(t *testing.T, _ source.Source) {
			if _, err := tx.Send(testFrames()[0].data); err == nil {
				t.Log("send on the far end still succeeded after the veth was deleted?")
			} else {
				t.Logf("send on the deleted far end: %v", err)
			}
		},
		ErrClosed: ErrClosed,
	})
}
