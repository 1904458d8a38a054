package manage_test

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/fault"
	"github.com/ptpwatch/ptpwatch/state/manage"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/afpacket"
	"github.com/ptpwatch/ptpwatch/xdp/netlab"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

func tsOf(ns int64) decode.Timestamp {
	return decode.Timestamp{Seconds: uint64(ns / 1e9), Nanoseconds: uint32(ns % 1e9)}
}

// simMaster is a two-step master in domain 5 whose clock runs ahead() ns
// ahead of the system clock: it stamps Follow_Up and Delay_Resp with the
// packet socket's software timestamps plus ahead(). delay() (nil: 0) more
// ns of path each way are feigned: Follow_Up says the Sync left that much
// earlier, Delay_Resp that the Delay_Req arrived that much later.
func simMaster(ctx context.Context, t *testing.T, conn *afpacket.Capture, ahead, delay func() int64, wg *sync.WaitGroup) {
	if delay == nil {
		delay = func() int64 { return 0 }
	}
	id := decode.PortIdentity{Clock: decode.ClockIdentity{0x02, 0x15, 0, 0xff, 0xfe, 0, 0, 1}, Port: 1}
	mac := [6]byte{0x02, 0x15, 0, 0, 0, 1}
	ip := netipMust("10.80.0.50")
	send := func(m *decode.Message, dst [6]byte, dstIP string) int64 {
		e := decode.Encapsulation{Transport: decode.TransportUDPv4, SrcMAC: mac, SrcIP: ip, DstMAC: dst}
		if dstIP != "" {
			e.DstIP = netipMust(dstIP)
		}
		at, err := conn.Send(e.AppendFrame(nil, m))
		if err != nil {
			t.Errorf("simulated master: %v", err)
		}
		return at
	}
	wg.Add(2)
	go func() { // Sync and Follow_Up four times a second
		defer wg.Done()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for seq := uint16(0); ; seq++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			h := decode.Header{Version: 2, Domain: 5, Source: id, Sequence: seq, Flags: decode.FlagTwoStep, LogMessageInterval: -2}
			h.MessageType = decode.Sync
			at := send(&decode.Message{Header: h}, [6]byte{}, "")
			h.MessageType, h.Control = decode.FollowUp, 2
			send(&decode.Message{Header: h, Timestamp: tsOf(at + ahead() - delay())}, [6]byte{}, "")
		}
	}()
	go func() { // Delay_Resp to every Delay_Req
		defer wg.Done()
		var fr source.Frame
		var f decode.Frame
		for conn.Next(ctx, &fr) == nil {
			if f.Decode(fr.Link, fr.Data) != decode.ResultOK || f.Version != 2 || f.PTP.MessageType != decode.DelayReq || f.PTP.Domain != 5 {
				continue
			}
			h := decode.Header{MessageType: decode.DelayResp, Version: 2, Domain: 5, Source: id, Sequence: f.PTP.Sequence, Control: 3, LogMessageInterval: -4}
			send(&decode.Message{Header: h, Timestamp: tsOf(fr.Timestamp + ahead() + delay()), RequestingPort: f.PTP.Source}, [6]byte{}, "")
		}
	}()
}

// TestMasterCheckDaemons measures a real ptp4l master and a simulated
// master whose clock runs 1.5 ms ahead with ptpwatch's own Delay_Req:
// against ptp4l, offset and path delay agree with what its follower
// reports (all namespaces share one clock, software timestamps: within
// 100 µs); against the simulated master, the offset is 1.5 ms within 100 µs.
func TestMasterCheckDaemons(t *testing.T) {
	netlab.Need(t, "building network namespaces and running ptp4l")
	netlab.NeedTools(t, "capsh", "ptp4l", "pmc")
	const ahead = 1_500_000
	l := netlab.New(t, "pwk")
	sw := l.Switch("sw")
	capNS := sw.Host("cap", "10.80.0.100/24")
	gmNS := sw.Host("gm", "10.80.0.1/24")
	flNS := sw.Host("fl", "10.80.0.2/24")
	simNS := sw.Host("sim", "10.80.0.50/24")
	l.IP(simNS, "link", "set", "eth0", "promisc", "on")
	base := "domainNumber 0\nnetwork_transport UDPv4\nkernel_leap 0\nlogSyncInterval -2\nlogAnnounceInterval 0\nannounceReceiptTimeout 3\nlogMinDelayReqInterval -2\n"
	gm := l.PTP4L(gmNS, "gm-ptp4l", "eth0", base+"priority1 100\nclockClass 6\nhybrid_e2e 1\n")
	fl := l.PTP4L(flNS, "fl-ptp4l", "eth0", base+"slaveOnly 1\n")
	flSock := filepath.Join(l.Dir, "fl-ptp4l.uds")
	pmcN := 0
	pmc := func(cmd string) []netlab.PMCReply {
		pmcN++
		out, _ := l.Exec(flNS, 5*time.Second, "pmc", "-u", "-b", "0", "-s", flSock, "-i", filepath.Join(l.Dir, "pmc"+strconv.Itoa(pmcN)+".sock"), cmd)
		return netlab.ParsePMC(out)
	}
	netlab.WaitFor(t, 30*time.Second, "the follower to synchronise", func() (bool, string) {
		if gm.Exited() || fl.Exited() {
			t.Fatalf("ptp4l exited: %v %v", gm.Err(), fl.Err())
		}
		pmc("SET SYNCHRONIZATION_UNCERTAIN_NP 0")
		rs := pmc("GET PORT_DATA_SET")
		return len(rs) == 1 && rs[0].Fields["portState"] == "SLAVE", fmt.Sprint(rs)
	})

	var simConn, conn *afpacket.Capture
	var path manage.Path
	for _, x := range []struct {
		ns string
		c  **afpacket.Capture
	}{{simNS, &simConn}, {capNS, &conn}} {
		if err := netlab.InNetns(x.ns, func() error {
			var err error
			if x.ns == capNS {
				if path, err = manage.InterfacePath(0, "eth0", 0); err != nil {
					return err
				}
			}
			*x.c, err = afpacket.Open("eth0", afpacket.Options{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	defer simConn.Close()
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	simMaster(ctx, t, simConn, func() int64 { return ahead }, nil, &wg)

	mc := startMasterCheck(ctx, t, conn, path, nil, &wg)

	const want = 10
	var v manage.MastersView
	netlab.WaitFor(t, 40*time.Second, fmt.Sprintf("%d samples of each master", want), func() (bool, string) {
		v = mc.Masters()
		n := 0
		for _, m := range v.Masters {
			if m.Offset15m.N >= want {
				n++
			}
		}
		return n == 2, fmt.Sprintf("%d masters: %+v", len(v.Masters), v.Masters)
	})
	cur := pmc("GET CURRENT_DATA_SET")
	if len(cur) != 1 {
		t.Fatalf("follower's CURRENT_DATA_SET: %v", cur)
	}
	flOffset, _ := strconv.ParseFloat(cur[0].Fields["offsetFromMaster"], 64)
	flDelay, _ := strconv.ParseFloat(cur[0].Fields["meanPathDelay"], 64)
	t.Logf("local clock: %+v", v.LocalClock)
	for _, m := range v.Masters {
		t.Logf("%s domain %d: %d Delay_Req, offset 15 min %+v, path delay %+v, last %+v", m.PortIdentity, m.Domain, m.Sent, m.Offset15m, m.Delay15m, m.Last)
		if len(m.MTIE) == 0 || len(m.TDEV) == 0 {
			t.Errorf("%s: no MTIE/TDEV", m.PortIdentity)
		}
		switch m.Domain {
		case 5:
			if d := m.Offset15m.Mean - ahead; d > 100e3 || d < -100e3 {
				t.Errorf("simulated master 1.5 ms ahead measured at %.0f ns", m.Offset15m.Mean)
			}
		case 0:
			// The follower's offset is follower minus master; ours is
			// master minus appliance, on the same clock.
			if d := m.Offset15m.Mean + flOffset; d > 100e3 || d < -100e3 {
				t.Errorf("ptp4l master: offset %.0f ns, its follower reports %.0f ns", m.Offset15m.Mean, flOffset)
			}
			if d := m.Delay15m.Mean - flDelay; d > 100e3 || d < -100e3 {
				t.Errorf("ptp4l master: path delay %.0f ns, its follower reports %.0f ns", m.Delay15m.Mean, flDelay)
			}
			t.Logf("follower reports offsetFromMaster %.1f ns, meanPathDelay %.1f ns", flOffset, flDelay)
		}
	}
}

func netipMust(s string) netip.Addr { return netip.MustParseAddr(s) }

// TestMasterCheckOffsetStep measures a simulated master through the
// master checker on a packet socket, with the fault detectors taking its
// samples (SetSampleHook, as the appliance wires them). After a dozen
// samples its clock steps 1 ms ahead: one Master Offset Step for that
// master and nothing else; or its path grows by 500 µs each way: one Path
// Delay Jump and nothing else.
func TestMasterCheckOffsetStep(t *testing.T) {
	netlab.Need(t, "building network namespaces")
	for _, tc := range []struct {
		name string
		kind fault.Kind
	}{{"offset step", fault.MasterOffsetStep}, {"path delay jump", fault.PathDelayJump}} {
		t.Run(tc.name, func(t *testing.T) { masterStep(t, tc.kind) })
	}
}

func masterStep(t *testing.T, kind fault.Kind) {
	l := netlab.New(t, "fas")
	sw := l.Switch("sw")
	capNS := sw.Host("cap", "10.80.0.100/24")
	simNS := sw.Host("sim", "10.80.0.50/24")
	l.IP(simNS, "link", "set", "eth0", "promisc", "on")
	var simConn, conn *afpacket.Capture
	var path manage.Path
	for _, x := range []struct {
		ns string
		c  **afpacket.Capture
	}{{simNS, &simConn}, {capNS, &conn}} {
		if err := netlab.InNetns(x.ns, func() error {
			var err error
			if x.ns == capNS {
				if path, err = manage.InterfacePath(0, "eth0", 0); err != nil {
					return err
				}
			}
			*x.c, err = afpacket.Open("eth0", afpacket.Options{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	defer simConn.Close()
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	var ahead, delay atomic.Int64
	simMaster(ctx, t, simConn, ahead.Load, delay.Load, &wg)

	eng, err := fault.New(fault.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	mc := startMasterCheck(ctx, t, conn, path, eng, &wg)

	samples := func() int {
		for _, m := range mc.Masters().Masters {
			return m.Offset15m.N
		}
		return 0
	}
	netlab.WaitFor(t, 40*time.Second, "a dozen samples before the step", func() (bool, string) {
		return samples() >= 12, fmt.Sprint(samples(), " samples")
	})
	if f := eng.Book.Findings(true); len(f) != 0 {
		t.Fatalf("findings before the step: %+v", f)
	}
	if kind == fault.MasterOffsetStep {
		ahead.Store(1_000_000)
	} else {
		delay.Store(500_000)
	}
	var got []fault.Finding
	netlab.WaitFor(t, 30*time.Second, "a "+string(kind), func() (bool, string) {
		got = eng.Book.Findings(true)
		return len(got) > 0, fmt.Sprint(samples(), " samples")
	})
	time.Sleep(3 * time.Second) // three samples more: nothing else opens
	got = eng.Book.Findings(true)
	if len(got) != 1 || got[0].Kind != kind || got[0].Subject != "021500.fffe.000001-1" || len(got[0].Evidence) != 3 {
		t.Fatalf("findings %+v, want one %s of 021500.fffe.000001-1 with three samples as evidence", got, kind)
	}
	t.Log(got[0].Explanation)
}

// startMasterCheck runs a master checker over conn (eth0 of the
// appliance's namespace, path its management path) until ctx ends, with
// its samples going to eng's detectors when eng is not nil
// (SetSampleHook, as the appliance wires them) and a pipeline feeding it
// what conn captures.
func startMasterCheck(ctx context.Context, t *testing.T, conn *afpacket.Capture, path manage.Path, eng *fault.Engine, wg *sync.WaitGroup) *manage.MasterChecker {
	t.Helper()
	mc, err := manage.NewMasterChecker(manage.MasterSettings{Interval: 1, Mode: "unicast"}, manage.SelfIdentity(path.MAC),
		manage.Env{Sender: sendFunc(func(b []byte) (int64, error) { return conn.Send(b) }), Paths: func() []manage.Path { return []manage.Path{path} }})
	if err != nil {
		t.Fatal(err)
	}
	if eng != nil {
		mc.SetSampleHook(eng.MasterSample)
	}
	pipe := pipeline.New(state.NewModel(1, state.NewEventLog(100)))
	pipe.OnFrame = func(f *source.Frame, d *decode.Frame, _ *state.Observation, ok bool) {
		if ok {
			mc.Observe(f, d, 0)
		}
	}
	wg.Add(2)
	go func() { defer wg.Done(); pipe.Run(ctx, conn) }()
	go func() { defer wg.Done(); mc.Run(ctx) }()
	return mc
}
