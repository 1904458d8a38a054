package manage_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/manage"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/afpacket"
	"github.com/ptpwatch/ptpwatch/xdp/netlab"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// node is one ptp4l of the test network.
type node struct {
	name       string
	transport  decode.Transport
	domain     uint8
	priority1  uint8
	clockClass uint8
	slaveOnly  bool
	want       string // the port state it settles in
	ownNS      bool   // runs in ptpwatch's own namespace
	ptpd       bool   // ptpd 2.3.1 rather than ptp4l (no local socket)

	ns   string
	p    *netlab.Proc
	sock string
}

var ptp4lTransport = map[decode.Transport]string{
	decode.TransportUDPv4: "UDPv4", decode.TransportUDPv6: "UDPv6", decode.TransportL2: "L2",
}

// TestSweepDaemons runs real ptp4l daemons (a grandmaster, a PASSIVE
// backup grandmaster, followers) on a flooding bridge, sweeps them from a
// capture namespace with management through a packet socket, and checks
// that every port appears in the model, the PASSIVE one included, with the
// state, parent and grandmaster that pmc reads from each daemon's own Unix
// socket; that `ptpwatch query` prints the same PARENT_DATA_SET as pmc;
// and that a ptp4l bound to 319/320 in ptpwatch's own namespace keeps its
// state and answers its local pmc during sweeps.
func TestSweepDaemons(t *testing.T) {
	netlab.Need(t, "building network namespaces and running ptp4l")
	netlab.NeedTools(t, "sysctl", "capsh", "ptp4l", "pmc", "ptpd")
	l := netlab.New(t, "pwm")
	sw := l.Switch("sw")
	nodes := []*node{
		{name: "a", transport: decode.TransportUDPv4, domain: 0, priority1: 100, clockClass: 6, want: "MASTER"},
		{name: "b", transport: decode.TransportUDPv4, domain: 0, priority1: 110, clockClass: 6, want: "PASSIVE"},
		{name: "c", transport: decode.TransportUDPv4, domain: 0, slaveOnly: true, want: "SLAVE"},
		{name: "d", transport: decode.TransportUDPv4, domain: 0, slaveOnly: true, want: "SLAVE"},
		{name: "e", transport: decode.TransportL2, domain: 1, priority1: 100, clockClass: 6, want: "MASTER"},
		{name: "f", transport: decode.TransportL2, domain: 1, priority1: 110, clockClass: 6, want: "PASSIVE"},
		{name: "g", transport: decode.TransportL2, domain: 1, slaveOnly: true, want: "SLAVE"},
		{name: "h", transport: decode.TransportUDPv6, domain: 2, priority1: 100, clockClass: 6, want: "MASTER"},
		{name: "i", transport: decode.TransportUDPv6, domain: 2, slaveOnly: true, want: "SLAVE"},
		{name: "j", transport: decode.TransportUDPv4, domain: 0, slaveOnly: true, want: "SLAVE", ownNS: true},
		{name: "k", transport: decode.TransportUDPv4, domain: 0, slaveOnly: true, want: "SLAVE", ptpd: true},
	}
	capNS := sw.Host("cap", "10.78.0.100/24", "fd78::100/64")
	for i, n := range nodes {
		if n.ownNS {
			n.ns = capNS
			continue
		}
		n.ns = sw.Host(n.name, fmt.Sprintf("10.78.0.%d/24", i+1), fmt.Sprintf("fd78::%d/64", i+1))
	}
	pmcSeq := 0
	pmcUDS := func(n *node, cmds ...string) []netlab.PMCReply {
		pmcSeq++
		args := []string{"pmc", "-u", "-b", "0", "-d", strconv.Itoa(int(n.domain)), "-s", n.sock,
			"-i", filepath.Join(l.Dir, fmt.Sprintf("pmc%d.sock", pmcSeq))}
		out, err := l.Exec(n.ns, 5*time.Second, append(args, cmds...)...)
		if err != nil {
			t.Logf("pmc for %s: %v: %s", n.name, err, out)
		}
		return netlab.ParsePMC(out)
	}
	// read returns PORT_DATA_SET and PARENT_DATA_SET as pmc reads them
	// from the daemon's own socket (retrying: pmc waits only 100 ms).
	read := func(n *node) (port, parent netlab.PMCReply, ok bool) {
		for try := 0; try < 5 && (port.Fields == nil || parent.Fields == nil); try++ {
			for _, r := range pmcUDS(n, "GET PORT_DATA_SET", "GET PARENT_DATA_SET") {
				switch r.ID {
				case "PORT_DATA_SET":
					port = r
				case "PARENT_DATA_SET":
					parent = r
				}
			}
		}
		return port, parent, port.Fields != nil && parent.Fields != nil
	}
	ptpdStatus := func(n *node, key string) string {
		b, _ := os.ReadFile(filepath.Join(l.Dir, n.name+".status"))
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == key {
				return strings.TrimSpace(v)
			}
		}
		return ""
	}
	start := func(n *node) {
		if n.ptpd {
			// -n: never adjust the clock.
			n.p = l.StartDaemon(n.ns, n.name+"-ptpd", "ptpd", "-C", "-s", "-n", "-i", "eth0", "-d", strconv.Itoa(int(n.domain)),
				"--global:lock_file="+filepath.Join(l.Dir, n.name+".lock"),
				"--global:status_file="+filepath.Join(l.Dir, n.name+".status"),
				"--ptpengine:announce_receipt_timeout=3", "--clock:leap_second_handling=ignore")
			return
		}
		conf := fmt.Sprintf("domainNumber %d\nnetwork_transport %s\nkernel_leap 0\nlogSyncInterval -2\nlogAnnounceInterval 0\nannounceReceiptTimeout 3\n",
			n.domain, ptp4lTransport[n.transport])
		if n.priority1 != 0 {
			conf += fmt.Sprintf("priority1 %d\nclockClass %d\n", n.priority1, n.clockClass)
		}
		if n.slaveOnly {
			conf += "slaveOnly 1\n"
		}
		n.p = l.PTP4L(n.ns, n.name+"-ptp4l", "eth0", conf)
		n.sock = filepath.Join(l.Dir, n.name+"-ptp4l.uds")
	}
	waitState := func(n *node, within time.Duration) {
		netlab.WaitFor(t, within, n.name+" to reach "+n.want, func() (bool, string) {
			if n.p.Exited() {
				n.p.DumpLog(20)
				t.Fatalf("%s exited: %v", n.name, n.p.Err())
			}
			port, _, ok := read(n)
			if !ok {
				return false, "no answer on " + n.sock
			}
			return port.Fields["portState"] == n.want, "portState " + port.Fields["portState"]
		})
	}
	for _, n := range nodes {
		if n.want == "MASTER" {
			start(n)
		}
	}
	for _, n := range nodes {
		if n.want == "MASTER" {
			waitState(n, 15*time.Second)
		}
	}
	for _, n := range nodes {
		if n.want != "MASTER" {
			start(n)
		}
	}
	for _, n := range nodes {
		if n.slaveOnly && !n.ptpd {
			netlab.WaitFor(t, 10*time.Second, "SYNCHRONIZATION_UNCERTAIN_NP on "+n.name, func() (bool, string) {
				rs := pmcUDS(n, "SET SYNCHRONIZATION_UNCERTAIN_NP 0")
				return len(rs) == 1 && rs[0].Fields["uncertain"] == "0", fmt.Sprint(rs)
			})
		}
	}
	for _, n := range nodes {
		switch {
		case n.ptpd:
			netlab.WaitFor(t, 20*time.Second, "ptpd to follow", func() (bool, string) {
				st := ptpdStatus(n, "Port state")
				return st == "PTP_SLAVE", "state " + st
			})
		case n.want != "MASTER":
			waitState(n, 20*time.Second)
		}
	}

	// ptpwatch in the capture namespace: a packet socket, the pipeline
	// into a model, and the Manager on the same socket.
	conn, path := openEth0(t, capNS)
	model := state.NewModel(1, state.NewEventLog(1000))
	pipe := pipeline.New(model)
	pipe.Live = true
	s := manage.Defaults()
	s.Rate, s.GlobalRate, s.TimeoutMs, s.CollectMs = 50, 50, 500, 1500
	m, err := manage.New(s, manage.Env{Sender: sendFunc(func(b []byte) (int64, error) { return conn.Send(b) }),
		Paths: func() []manage.Path { return []manage.Path{path} },
		Seen:  func() []manage.Scope { return manage.SeenScopes(model.Snapshot()) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := runManaged(t, pipe, m, conn)

	// Sweep the domains seen on the wire, once they are all seen.
	netlab.WaitFor(t, 10*time.Second, "the capture to see domains 0, 1 and 2", func() (bool, string) {
		seen := manage.SeenScopes(model.Snapshot())
		return len(seen) >= 3, fmt.Sprint(seen)
	})
	plan := m.Plan()
	t.Logf("plan before the first sweep: %d frames in %d scopes, at most %d per second", plan.Frames, len(plan.Scopes), plan.PerSecond)
	sum := m.Sweep(ctx)
	t.Logf("first sweep: %+v", sum)
	sum = m.Sweep(ctx) // the second one asks with what the first found, as a periodic sweep does
	t.Logf("second sweep: %+v", sum)
	st := m.Status()
	for _, nv := range st.Nodes {
		t.Logf("node %s domain %d %s %s: %s; answers %v ignores %v refuses %v", nv.ClockIdentity, nv.Domain, nv.Transport, nv.Address,
			nv.Status, nv.Answers, nv.Ignores, nv.Refuses)
	}
	if sum.Nodes != len(nodes)-1 {
		t.Errorf("second sweep found %d nodes, want %d", sum.Nodes, len(nodes)-1)
	}
	// The ptp4l in our own namespace answered its local pmc meanwhile.
	for _, n := range nodes {
		if n.ownNS {
			if port, _, ok := read(n); !ok || port.Fields["portState"] != n.want || n.p.Exited() {
				t.Errorf("ptp4l in ptpwatch's namespace: answered %v, portState %q, exited %v", ok, port.Fields["portState"], n.p.Exited())
			}
		}
	}

	// What each daemon says of itself, against the model and the Manager.
	time.Sleep(pipe.PublishEvery + 300*time.Millisecond)
	snap := model.Snapshot()
	for _, n := range nodes {
		if n.ptpd {
			continue // below
		}
		port, parent, ok := read(n)
		if !ok {
			t.Fatalf("%s: no PORT_DATA_SET/PARENT_DATA_SET from its socket", n.name)
		}
		pid := port.Fields["portIdentity"]
		scope := state.ScopeKey{Version: 2, Domain: n.domain, Transport: n.transport, VLAN: state.NoVLAN}.String()
		if n.ownNS {
			continue // multicast from our own namespace never reaches it, and it was not asked
		}
		var in *state.Instance
		for i := range snap.Instances {
			if snap.Instances[i].PortIdentity == pid && snap.Instances[i].Scope == scope {
				in = &snap.Instances[i]
			}
		}
		if in == nil {
			t.Errorf("%s (%s): port %s is not in the model's %s", n.name, n.want, pid, scope)
			continue
		}
		if in.PortState.String() != port.Fields["portState"] {
			t.Errorf("%s: portState: pmc %s, model %s (%s)", n.name, port.Fields["portState"], in.PortState, in.StateSource)
		}
		if in.StateSource != state.Management && n.want == "PASSIVE" {
			t.Errorf("%s: PASSIVE port's state source %q, want management", n.name, in.StateSource)
		}
		if in.ReportedParent != parent.Fields["parentPortIdentity"] || in.ReportedGrandmaster != parent.Fields["grandmasterIdentity"] {
			t.Errorf("%s: reported parent %q grandmaster %q; pmc: %q %q", n.name, in.ReportedParent, in.ReportedGrandmaster,
				parent.Fields["parentPortIdentity"], parent.Fields["grandmasterIdentity"])
		}
		// A follower's parent and grandmaster, as the model shows them
		// (measured from Delay_Resp, or reported), are pmc's. A PASSIVE
		// ptp4l 3.1.1 reports itself as parent and grandmaster, which the
		// model keeps as reportedParent beside the scope's grandmaster.
		if n.want == "SLAVE" && (in.Parent != parent.Fields["parentPortIdentity"] || in.Grandmaster != parent.Fields["grandmasterIdentity"]) {
			t.Errorf("%s: model parent %q (%s) grandmaster %q; pmc: %q %q", n.name, in.Parent, in.ParentSource, in.Grandmaster,
				parent.Fields["parentPortIdentity"], parent.Fields["grandmasterIdentity"])
		}
		t.Logf("%s %s: %s from %s, parent %s (%s), grandmaster %s: as pmc says", n.name, pid, in.PortState, in.StateSource, in.Parent, in.ParentSource, in.Grandmaster)
		// ptp4l answers every ID a sweep asks.
		var nv *manage.NodeView
		for i := range st.Nodes {
			if st.Nodes[i].ClockIdentity+"-1" == pid && st.Nodes[i].Domain == n.domain {
				nv = &st.Nodes[i]
			}
		}
		if nv == nil || nv.Status != manage.Online || len(nv.Ignores) != 0 {
			t.Errorf("%s: node %s not online in the Manager, or ignoring IDs: %+v", n.name, pid, nv)
		}
	}

	// ptpd answers the standard GETs over UDPv4 and its answers decode: its
	// port is SLAVE under a's grandmaster, as its status file says.
	for _, n := range nodes {
		if !n.ptpd {
			continue
		}
		id := ptpdStatus(n, "Local port ID") // "be9a4afffe39b843(unknown)/1"
		hexID, _, _ := strings.Cut(id, "(")
		var nv *manage.NodeView
		for i := range st.Nodes {
			if strings.ReplaceAll(st.Nodes[i].ClockIdentity, ".", "") == hexID {
				nv = &st.Nodes[i]
			}
		}
		if nv == nil {
			t.Errorf("ptpd (%s) was not found by the sweep", id)
			continue
		}
		t.Logf("ptpd %s: %s; answers %v ignores %v refuses %v", nv.ClockIdentity, nv.Status, nv.Answers, nv.Ignores, nv.Refuses)
		var state, gm string
		for _, a := range nv.Data {
			for _, f := range a.Fields {
				switch {
				case a.ID == "PORT_DATA_SET" && f.Name == "portState":
					state = f.Value
				case a.ID == "PARENT_DATA_SET" && f.Name == "grandmasterIdentity":
					gm = f.Value
				}
			}
		}
		port, _, _ := read(nodes[0])
		gmWant, _, _ := strings.Cut(port.Fields["portIdentity"], "-")
		if state != "SLAVE" || gm != gmWant {
			t.Errorf("ptpd answered portState %q grandmaster %q; its status file says %s under %s", state, gm, ptpdStatus(n, "Port state"), gmWant)
		}
		standard := 0
		for _, x := range append(append([]string{}, nv.Ignores...), nv.Refuses...) {
			if !strings.HasSuffix(x, "_NP") {
				standard++
			}
		}
		if (standard > 0) != (nv.Status == manage.Partial) {
			t.Errorf("ptpd: status %s with %d standard IDs unanswered", nv.Status, standard)
		}
	}

	// ptpwatch query prints the same PARENT_DATA_SET as pmc, per transport.
	for _, tc := range []struct {
		flag   string
		domain uint8
	}{{"-4", 0}, {"-2", 1}, {"-6", 2}} {
		var out, errb bytes.Buffer
		var code int
		if err := netlab.InNetns(capNS, func() error {
			code = manage.QueryCommand([]string{"-i", "eth0", tc.flag, "-d", strconv.Itoa(int(tc.domain)), "-b", "0", "--timeout", "1500ms", "GET PARENT_DATA_SET"}, &out, &errb)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		got := map[string]netlab.PMCReply{}
		for _, r := range netlab.ParsePMC(out.String()) {
			got[r.From] = r
		}
		t.Logf("ptpwatch query %s -d %d: exit %d, %d answers", tc.flag, tc.domain, code, len(got))
		for _, n := range nodes {
			if n.domain != tc.domain || n.ownNS || n.ptpd {
				continue
			}
			port, parent, _ := read(n)
			r, ok := got[port.Fields["portIdentity"]]
			if !ok {
				t.Errorf("query %s: no answer from %s (%s); output:\n%s%s", tc.flag, n.name, port.Fields["portIdentity"], out.String(), errb.String())
				continue
			}
			for k, v := range parent.Fields {
				if r.Fields[k] != v {
					t.Errorf("query %s, %s: %s = %q, pmc says %q", tc.flag, n.name, k, r.Fields[k], v)
				}
			}
			if len(r.Fields) != len(parent.Fields) {
				t.Errorf("query %s, %s: fields %v, pmc's %v", tc.flag, n.name, r.Fields, parent.Fields)
			}
		}
	}
}

// openEth0 opens a packet socket on eth0 of namespace ns, closed when
// the test ends, with eth0's management path: ptpwatch's side of the
// daemon tests.
func openEth0(t *testing.T, ns string) (*afpacket.Capture, manage.Path) {
	t.Helper()
	var conn *afpacket.Capture
	var path manage.Path
	if err := netlab.InNetns(ns, func() error {
		var err error
		if path, err = manage.InterfacePath(0, "eth0", 0); err != nil {
			return err
		}
		conn, err = afpacket.Open("eth0", afpacket.Options{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn, path
}

// runManaged runs pipe over conn, handing every decoded frame to m as
// the appliance does, until the test ends; ctx ends with it.
func runManaged(t *testing.T, pipe *pipeline.Pipeline, m *manage.Manager, conn source.Source) context.Context {
	pipe.OnFrame = func(f *source.Frame, d *decode.Frame, _ *state.Observation, ok bool) {
		if ok {
			m.HandleFrame(d, 0, f.Timestamp)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); pipe.Run(ctx, conn) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return ctx
}

type sendFunc func([]byte) (int64, error)

func (f sendFunc) Send(_ int, b []byte) (int64, error) { return f(b) }
