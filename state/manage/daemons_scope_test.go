package manage_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/manage"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/netlab"
)

// TestSweepScopeVLANPartial sweeps real daemons where the defaults would
// not reach them or they answer only in part:
//   - a ptp4l over UDPv6 with udp6_scope 0x05 (site): ptpwatch's default
//     group ff0e::181 finds nothing, ipv6_scope 5 (ff05::181) finds it;
//   - a ptp4l on VLAN 10 (its interface tags what it sends and sees only
//     frames of VLAN 10, emulated with tc programs since the kernel has no
//     802.1Q): the scope is seen on VLAN 10, every request to it leaves
//     tagged, and it answers;
//   - ptpd 2.3.1 and ptp4l, asked beside the usual IDs a few standard ones
//     that ptpd does not implement: ptpd shows as partial, naming them,
//     and ptp4l, which answers them, online.
func TestSweepScopeVLANPartial(t *testing.T) {
	netlab.Need(t, "building network namespaces and running ptp4l and ptpd")
	netlab.NeedTools(t, "sysctl", "capsh", "ptp4l", "pmc", "ptpd")
	l := netlab.New(t, "mav")
	sw := l.Switch("sw")
	capNS := sw.Host("cap", "10.86.0.100/24", "fd86::100/64")
	v6 := sw.Host("v6", "10.86.0.3/24", "fd86::3/64")
	vl := sw.Host("vl", "10.86.0.4/24")
	pd := sw.Host("pd", "10.86.0.5/24")
	p4 := sw.Host("p4", "10.86.0.6/24")
	l.VLAN(vl, "eth0", 10)
	master := "priority1 100\nclockClass 6\nlogSyncInterval -2\nlogAnnounceInterval 0\nannounceReceiptTimeout 3\nkernel_leap 0\n"
	d6 := l.PTP4L(v6, "v6-ptp4l", "eth0", "domainNumber 3\nnetwork_transport UDPv6\nudp6_scope 0x05\n"+master)
	d4 := l.PTP4L(vl, "vl-ptp4l", "eth0", "domainNumber 4\nnetwork_transport UDPv4\n"+master)
	dp := l.PTP4L(p4, "p4-ptp4l", "eth0", "domainNumber 6\nnetwork_transport UDPv4\n"+master)
	dd := l.StartDaemon(pd, "pd-ptpd", "ptpd", "-C", "-M", "-n", "-i", "eth0", "-d", "5",
		"--global:lock_file="+filepath.Join(l.Dir, "pd.lock"), "--global:status_file="+filepath.Join(l.Dir, "pd.status"))

	conn, path := openEth0(t, capNS)
	model := state.NewModel(1, state.NewEventLog(1000))
	pipe := pipeline.New(model)
	pipe.Live = true
	var mu sync.Mutex
	var sent [][]byte
	s := manage.Defaults()
	s.Rate, s.GlobalRate, s.TimeoutMs, s.CollectMs, s.Retries = 50, 50, 500, 1500, 1
	// TIMESCALE_PROPERTIES: ptp4l 3.1.1 answers it, ptpd 2.3.1 refuses it
	// (NOT_SUPPORTED); both answer every data set.
	extra := []string{"TIMESCALE_PROPERTIES"}
	s.IDs = append(s.IDs, extra...)
	m, err := manage.New(s, manage.Env{Sender: sendFunc(func(b []byte) (int64, error) {
		mu.Lock()
		sent = append(sent, append([]byte(nil), b...))
		mu.Unlock()
		return conn.Send(b)
	}),
		Paths: func() []manage.Path { return []manage.Path{path} },
		Seen:  func() []manage.Scope { return manage.SeenScopes(model.Snapshot()) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := runManaged(t, pipe, m, conn)

	want := map[manage.Scope]bool{
		{Domain: 3, Transport: decode.TransportUDPv6, VLAN: manage.NoVLAN}: true,
		{Domain: 4, Transport: decode.TransportUDPv4, VLAN: 10}:            true,
		{Domain: 5, Transport: decode.TransportUDPv4, VLAN: manage.NoVLAN}: true,
		{Domain: 6, Transport: decode.TransportUDPv4, VLAN: manage.NoVLAN}: true,
	}
	netlab.WaitFor(t, 30*time.Second, "the capture to see the four scopes", func() (bool, string) {
		for _, p := range []*netlab.Proc{d6, d4, dp, dd} {
			if p.Exited() {
				p.DumpLog(20)
				t.Fatalf("a daemon exited: %v", p.Err())
			}
		}
		n := 0
		seen := manage.SeenScopes(model.Snapshot())
		for _, sc := range seen {
			if want[sc] {
				n++
			}
		}
		return n == len(want), fmt.Sprint(seen)
	})
	sentTo := func(from int, domain uint8) (dsts map[string]int, untagged int) {
		mu.Lock()
		defer mu.Unlock()
		dsts = map[string]int{}
		for _, b := range sent[from:] {
			var f decode.Frame
			if f.Decode(decode.LinkEthernet, b) != decode.ResultOK || f.Version != 2 || f.PTP.Domain != domain {
				continue
			}
			dsts[f.DstIP.String()]++
			if f.NumVLANs == 0 {
				untagged++
			} else if f.VLANs[0].VID != 10 {
				t.Errorf("a request to domain %d tagged %d", domain, f.VLANs[0].VID)
			}
		}
		return dsts, untagged
	}
	nodesIn := func(domain uint8) []manage.NodeView {
		var out []manage.NodeView
		for _, nv := range m.Status().Nodes {
			if nv.Domain == domain {
				out = append(out, nv)
			}
		}
		return out
	}

	// The default scope (global) misses the site-scoped ptp4l.
	s3 := s
	s3.Domains, s3.Transport = "3", "udpv6"
	m.SetSettings(s3)
	sum := m.Sweep(ctx)
	dsts, _ := sentTo(0, 3)
	t.Logf("sweep with ipv6_scope 14: %+v, sent to %v", sum, dsts)
	if n := nodesIn(3); len(n) != 0 || dsts["ff0e::181"] == 0 {
		t.Errorf("ipv6_scope 14 found %d nodes in domain 3 (sent to %v); ptp4l listens on ff05::181 only", len(n), dsts)
	}

	// Scope 5 finds it, and then every scope is swept.
	mu.Lock()
	mark := len(sent)
	mu.Unlock()
	s.IPv6Scope = 5
	m.SetSettings(s)
	sum = m.Sweep(ctx)
	t.Logf("sweep: %+v", sum)
	for _, nv := range m.Status().Nodes {
		vlan := "none"
		if nv.VLAN != nil {
			vlan = fmt.Sprint(*nv.VLAN)
		}
		t.Logf("node %s domain %d %s vlan %s: %s; answers %v ignores %v refuses %v", nv.ClockIdentity, nv.Domain, nv.Transport, vlan,
			nv.Status, nv.Answers, nv.Ignores, nv.Refuses)
	}
	dsts, _ = sentTo(mark, 3)
	if n := nodesIn(3); len(n) != 1 || n[0].Status != manage.Online || n[0].Reported.PortStates["1"] != "MASTER" || dsts["ff05::181"] == 0 || dsts["ff0e::181"] != 0 {
		t.Errorf("ipv6_scope 5: domain 3 nodes %d (%+v), sent to %v", len(n), n, dsts)
	}

	// VLAN 10: found on VLAN 10, asked only tagged.
	dsts, untagged := sentTo(mark, 4)
	n4 := nodesIn(4)
	if len(n4) != 1 || n4[0].VLAN == nil || *n4[0].VLAN != 10 || n4[0].Status != manage.Online || n4[0].Reported.PortStates["1"] != "MASTER" {
		t.Errorf("VLAN 10: domain 4 nodes %+v", n4)
	}
	if untagged != 0 || len(dsts) == 0 {
		t.Errorf("requests to domain 4: %d untagged, sent to %v", untagged, dsts)
	}
	// The model keeps it in its VLAN's scope, state reported by management.
	// (wait for a snapshot that shows it: publication comes every
	// PublishEvery, later on a busy machine)
	scope := state.ScopeKey{Version: 2, Domain: 4, Transport: decode.TransportUDPv4, VLAN: 10}.String()
	masterIn4 := func() bool {
		for _, in := range model.Snapshot().Instances {
			if in.Scope == scope && len(n4) == 1 && in.PortIdentity == n4[0].ClockIdentity+"-1" {
				return in.PortState == state.StateMaster
			}
		}
		return false
	}
	for deadline := time.Now().Add(10 * time.Second); !masterIn4() && time.Now().Before(deadline); {
		time.Sleep(pipe.PublishEvery)
	}
	if !masterIn4() {
		t.Errorf("no MASTER instance of %+v in the model's %s", n4, scope)
	}

	// ptpd answers the data sets but not the extra IDs: partial; ptp4l
	// answers them: online.
	n5, n6 := nodesIn(5), nodesIn(6)
	if len(n5) != 1 || n5[0].Status != manage.Partial || !slices.Contains(n5[0].Refuses, "TIMESCALE_PROPERTIES") || !slices.Contains(n5[0].Answers, "PORT_DATA_SET") {
		t.Errorf("ptpd: %+v", n5)
	}
	if len(n6) != 1 || n6[0].Status != manage.Online || !slices.Contains(n6[0].Answers, "TIMESCALE_PROPERTIES") {
		t.Errorf("ptp4l: %+v", n6)
	}
}
