package manage_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/bpf"

	"github.com/ptpwatch/ptpwatch/state/fault"
	"github.com/ptpwatch/ptpwatch/state/manage"
	"github.com/ptpwatch/ptpwatch/xdp/afpacket"
	"github.com/ptpwatch/ptpwatch/xdp/netlab"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// delayLine forwards every frame between two interfaces of a relay
// namespace, each way a set delay after its arrival there: a path whose
// length changes under running daemons, which this kernel (no sch_netem,
// no fq) cannot make with tc. Forwarding is in order per direction. Below
// about a millisecond the delay is the packet ring's hand-over time
// instead; above it, its jitter is that of a goroutine's timer, tens of
// microseconds on an idle machine and up to milliseconds on a loaded one.
type delayLine struct {
	delay [2]atomic.Int64 // ns: [0] from a to b, [1] from b to a
}

// startDelayLine opens ifA and ifB of namespace ns and forwards between
// them until ctx ends.
func startDelayLine(ctx context.Context, t *testing.T, ns, ifA, ifB string, wg *sync.WaitGroup) *delayLine {
	t.Helper()
	all, err := bpf.Assemble([]bpf.Instruction{bpf.RetConstant{Val: 0xffff}}) // every frame: ARP too
	if err != nil {
		t.Fatal(err)
	}
	var a, b *afpacket.Capture
	if err := netlab.InNetns(ns, func() error {
		var err error
		// outgoing frames are the line's own: forwarding them back would loop
		// and the line needs no transmit timestamps: not waiting for
		// them; the kernel hands over a block of frames at most 1 ms
		// after its first (the line's own delay absorbs that)
		o := afpacket.Options{IgnoreOutgoing: true, Filter: all, TXStampWait: time.Nanosecond, RetireTimeout: time.Millisecond}
		if a, err = afpacket.Open(ifA, o); err != nil {
			return err
		}
		b, err = afpacket.Open(ifB, o)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	d := &delayLine{}
	forward := func(from, to *afpacket.Capture, delay *atomic.Int64) {
		type held struct {
			due  int64
			data []byte
		}
		q := make(chan held, 4096)
		wg.Add(2)
		go func() {
			defer wg.Done()
			defer close(q)
			var fr source.Frame
			for from.Next(ctx, &fr) == nil {
				select {
				case q <- held{fr.Timestamp + delay.Load(), append([]byte(nil), fr.Data...)}:
				default:
					t.Errorf("delay line: queue full, frame dropped")
				}
			}
		}()
		go func() {
			defer wg.Done()
			for h := range q {
				if w := time.Duration(h.due - time.Now().UnixNano()); w > 0 {
					time.Sleep(w) // the delay itself, not a wait for something to start
				}
				if _, err := to.Send(h.data); err != nil && ctx.Err() == nil {
					t.Errorf("delay line: %v", err)
				}
			}
		}()
	}
	forward(a, b, &d.delay[0])
	forward(b, a, &d.delay[1])
	t.Cleanup(func() { a.Close(); b.Close() })
	return d
}

// TestMasterCheckDelayLine measures a real ptp4l grandmaster through the
// master checker, with the fault detectors taking its samples, across a
// delay line. After a dozen samples the line grows by 10 ms each way: one
// Path Delay Jump and nothing else, since a symmetric change leaves the
// offset alone. Then it grows by 20 ms more from the master only: the
// offset moves by half of it and the delay too, so a Master Offset Step
// opens beside the delay jump (an asymmetry looks like that to any PTP
// measurement). The thresholds, 4 ms, stand well above the line's own
// jitter on a busy machine.
func TestMasterCheckDelayLine(t *testing.T) {
	netlab.Need(t, "building network namespaces and running ptp4l")
	netlab.NeedTools(t, "capsh", "ptp4l")
	l := netlab.New(t, "fdl")
	relay := l.Netns("relay")
	capNS, gmNS := l.Netns("cap"), l.Netns("gm")
	l.Veth(netlab.End{Netns: relay, Name: "tocap"}, netlab.End{Netns: capNS, Name: "eth0"})
	l.Veth(netlab.End{Netns: relay, Name: "togm"}, netlab.End{Netns: gmNS, Name: "eth0"})
	for _, ns := range []string{relay, capNS, gmNS} {
		l.NoIPv6(ns, "")
	}
	l.IP(capNS, "addr", "add", "10.81.0.100/24", "dev", "eth0")
	l.IP(gmNS, "addr", "add", "10.81.0.1/24", "dev", "eth0")
	for _, x := range [][2]string{{relay, "tocap"}, {relay, "togm"}, {capNS, "eth0"}, {gmNS, "eth0"}} {
		l.IP(x[0], "link", "set", x[1], "up")
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	line := startDelayLine(ctx, t, relay, "tocap", "togm", &wg)
	line.delay[0].Store(2_000_000) // a 2 ms path to start with
	line.delay[1].Store(2_000_000)

	gm := l.PTP4L(gmNS, "gm-ptp4l", "eth0", "domainNumber 0\nnetwork_transport UDPv4\nkernel_leap 0\nlogSyncInterval -2\n"+
		"logAnnounceInterval 0\nannounceReceiptTimeout 3\nlogMinDelayReqInterval -2\npriority1 100\nclockClass 6\nhybrid_e2e 1\n")

	conn, path := openEth0(t, capNS)
	cfg := fault.DefaultConfig()
	cfg.OffsetStepNs, cfg.DelayJumpNs = 4_000_000, 4_000_000
	eng, err := fault.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	mc := startMasterCheck(ctx, t, conn, path, eng, &wg)

	var last manage.MasterView
	samples := func() int {
		for _, m := range mc.Masters().Masters {
			last = m
			return m.Offset15m.N
		}
		return 0
	}
	waitSamples := func(n int, what string) {
		netlab.WaitFor(t, time.Duration(n+30)*time.Second, fmt.Sprintf("%d samples %s", n, what), func() (bool, string) {
			if gm.Exited() {
				t.Fatalf("ptp4l exited: %v", gm.Err())
			}
			return samples() >= n, fmt.Sprintf("%d samples, last %+v", samples(), last.Last)
		})
	}
	kinds := func() map[fault.Kind]int {
		m := map[fault.Kind]int{}
		for _, f := range eng.Book.Findings(true) {
			m[f.Kind]++
		}
		return m
	}
	waitSamples(12, "before the line grows")
	if f := eng.Book.Findings(true); len(f) != 0 {
		t.Fatalf("findings before the line grows: %+v", f)
	}
	t.Logf("before: %+v", last.Last)

	line.delay[0].Store(12_000_000)
	line.delay[1].Store(12_000_000)
	n := samples()
	netlab.WaitFor(t, 30*time.Second, "a Path Delay Jump", func() (bool, string) {
		return kinds()[fault.PathDelayJump] > 0, fmt.Sprint(kinds())
	})
	waitSamples(n+stepSamples+3, "after the symmetric change") // three more: nothing else opens
	if k := kinds(); len(k) != 1 || k[fault.PathDelayJump] != 1 {
		t.Fatalf("findings after 10 ms more each way: %v, want one Path Delay Jump", k)
	}
	t.Logf("symmetric: %+v", last.Last)

	line.delay[1].Store(32_000_000) // from the master (b, togm) to the appliance
	netlab.WaitFor(t, 30*time.Second, "a Master Offset Step", func() (bool, string) {
		return kinds()[fault.MasterOffsetStep] > 0, fmt.Sprint(kinds())
	})
	for _, f := range eng.Book.Findings(true) {
		t.Logf("%s: %s", f.Kind, f.Explanation)
	}
	if k := kinds(); k[fault.MasterOffsetStep] != 1 || len(k) != 2 {
		t.Fatalf("findings after 20 ms more from the master: %v, want a Master Offset Step beside the Path Delay Jump", k)
	}
	samples()
	t.Logf("asymmetric: %+v", last.Last)
}

// stepSamples is how many samples a step takes to be confirmed (the
// detectors' confirmation count), as this test waits for them.
const stepSamples = 3
