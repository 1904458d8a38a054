package fault

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/capture"
	"github.com/ptpwatch/ptpwatch/xdp/netlab"
)

// liveLab is a flooding bridge with a capture port in the test's own
// namespace, read live by the appliance's capture (xdp/capture, with the
// method given: AF_XDP through the XDP program, or AF_PACKET through its
// classic BPF filter) into a pipeline with fault detectors.
type liveLab struct {
	l     *netlab.Lab
	sw    *netlab.Switch
	more  []*netlab.Switch // further segments' switches (segments 1, 2, ...)
	eng   *Engine
	model *state.Model
}

func newLiveLab(t *testing.T, prefix, net string, method capture.Method, cfg Config) *liveLab {
	return newLiveLabSegments(t, prefix, net, method, cfg, 1)
}

// newLiveLabSegments builds one switch per segment (the first is ll.sw,
// the others ll.more), each with a capture port of its own.
func newLiveLabSegments(t *testing.T, prefix, net string, method capture.Method, cfg Config, segments int) *liveLab {
	l := netlab.New(t, prefix)
	var sws []*netlab.Switch
	var specs []capture.Spec
	var segs []uint16
	for i := 0; i < segments; i++ {
		sw := l.Switch(fmt.Sprintf("sw%d", i))
		ifname := fmt.Sprintf("%sc%d", l.Base, i)
		l.Veth(netlab.End{Netns: sw.NS, Name: "pcap"}, netlab.End{Name: ifname})
		l.IP(sw.NS, "link", "set", "pcap", "master", "br0")
		l.IP(sw.NS, "link", "set", "pcap", "type", "bridge_slave", "learning", "off")
		l.IP(sw.NS, "link", "set", "pcap", "up")
		l.NoIPv6("", ifname)
		l.IP("", "link", "set", ifname, "up")
		sws = append(sws, sw)
		specs = append(specs, capture.Spec{Name: ifname, Method: method, Segment: uint16(i)})
		segs = append(segs, uint16(i))
	}
	c, err := capture.Open(specs, capture.Options{})
	if err != nil {
		var pe *capture.PrivilegeError
		if errors.As(err, &pe) {
			t.Skipf("skipping: %v", err)
		}
		t.Fatal(err)
	}
	m := state.NewModel(2, state.NewEventLog(0)) // scopes on two shards, as the appliance has them
	eng, err := New(cfg, m.Events)
	if err != nil {
		t.Fatal(err)
	}
	eng.Attach(m)
	p := pipeline.New(m)
	if p.Buffer, err = ring.NewBuffer(32 << 20); err != nil {
		t.Fatal(err)
	}
	p.OnStored = eng.OnStored(nil, segs)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); p.Run(ctx, c) }()
	// ticks while frames are scarce, as the appliance's live pipeline does
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
				p.Tick(time.Now().UnixNano())
			}
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait(); c.Close() })
	return &liveLab{l: l, sw: sws[0], more: sws[1:], eng: eng, model: m}
}

// pmc asks the ptp4l daemon name (in ns) over its Unix socket; a daemon
// answers in its own domain only, the one named after the dash in name
// ("b-ptp4l-1": domain 1; none: 0).
func (ll *liveLab) pmc(ns, name, query string) []netlab.PMCReply {
	domain := "0"
	if i := strings.LastIndexByte(name, '-'); i > 0 && name[i+1:] != "ptp4l" {
		domain = name[i+1:]
	}
	out, _ := ll.l.Exec(ns, 5*time.Second, "pmc", "-u", "-b", "0", "-d", domain, "-s", filepath.Join(ll.l.Dir, name+".uds"),
		"-i", filepath.Join(ll.l.Dir, fmt.Sprintf("pmc-%s-%d.sock", name, time.Now().UnixNano())), query)
	return netlab.ParsePMC(out)
}

func (ll *liveLab) field(ns, name, query, key string) string {
	for _, r := range ll.pmc(ns, name, query) {
		if v, ok := r.Fields[key]; ok {
			return v
		}
	}
	return ""
}

// findings lists the open and closed findings as "kind subject".
func (ll *liveLab) findings() []string {
	var out []string
	for _, f := range ll.eng.Book.Findings(true) {
		out = append(out, string(f.Kind)+" "+f.Subject)
	}
	return out
}

// awaitFindings waits until every finding of want ("kind subject") has
// opened, then watches 3 s more of live capture, so that a test may check
// that nothing else opened, and logs every finding with its explanation.
func (ll *liveLab) awaitFindings(t *testing.T, within time.Duration, want ...string) {
	t.Helper()
	netlab.WaitFor(t, within, strings.Join(want, ", "), func() (bool, string) {
		got := ll.findings()
		for _, w := range want {
			if !slices.Contains(got, w) {
				return false, fmt.Sprint(got)
			}
		}
		return true, ""
	})
	time.Sleep(3 * time.Second) // a window for findings that should not open
	for _, f := range ll.eng.Book.Findings(true) {
		t.Logf("%s (%s) in %v: %s", f.Kind, f.Severity, f.Scopes, f.Explanation)
	}
}

// TestDaemonUnicastRefused runs a ptp4l grandmaster and a hybrid follower
// (hybrid_e2e 1: multicast Sync, unicast Delay_Req to the master's
// address) on a flooding bridge captured live, with the follower's
// announce receipt timeout long enough that it keeps asking after the
// grandmaster's ptp4l is killed. The grandmaster's host then answers each
// Delay_Req to its closed port 319 with ICMP port unreachable, which the
// capture must let through, with either method (the XDP program, the
// AF_PACKET filter): one Unicast Refused naming the follower and the
// master, and nothing of the kind while the master answered.
func TestDaemonUnicastRefused(t *testing.T) {
	netlab.Need(t, "building network namespaces and running ptp4l daemons for about half a minute")
	netlab.NeedTools(t, "capsh", "ptp4l", "pmc")
	for _, m := range []capture.Method{capture.AFXDP, capture.AFPacket} {
		t.Run(string(m), func(t *testing.T) { unicastRefused(t, m) })
	}
}

func unicastRefused(t *testing.T, method capture.Method) {
	ll := newLiveLab(t, "fau", "10.79.0", method, DefaultConfig())
	gmNS := ll.sw.Host("a", "10.79.0.1/24")
	flNS := ll.sw.Host("c", "10.79.0.3/24")
	common := "domainNumber 0\nnetwork_transport UDPv4\nkernel_leap 0\nlogSyncInterval -2\nlogAnnounceInterval 0\nlogMinDelayReqInterval -2\n"
	gm := ll.l.PTP4L(gmNS, "a-ptp4l", "eth0", common+"priority1 100\nclockClass 6\nannounceReceiptTimeout 3\n")
	ll.l.PTP4L(flNS, "c-ptp4l", "eth0", common+"slaveOnly 1\nhybrid_e2e 1\nannounceReceiptTimeout 60\n")
	var ida string
	netlab.WaitFor(t, 30*time.Second, "the hybrid follower to follow the grandmaster", func() (bool, string) {
		ida = ll.field(gmNS, "a-ptp4l", "GET DEFAULT_DATA_SET", "clockIdentity")
		gmOf := ll.field(flNS, "c-ptp4l", "GET PARENT_DATA_SET", "grandmasterIdentity")
		return ida != "" && gmOf == ida, "follower's grandmaster " + gmOf + ", a is " + ida
	})
	idc := ll.field(flNS, "c-ptp4l", "GET DEFAULT_DATA_SET", "clockIdentity")
	// a few seconds of answered unicast Delay_Req first
	netlab.WaitFor(t, 20*time.Second, "Delay_Resp answering the follower", func() (bool, string) {
		return ll.field(flNS, "c-ptp4l", "GET CURRENT_DATA_SET", "meanPathDelay") != "0.0", "no path delay yet"
	})
	if f := ll.findings(); len(f) != 0 {
		t.Fatalf("findings while the master answers: %v", f)
	}
	gm.Kill()
	killed := time.Now()
	subject := "10.79.0.3 → 10.79.0.1"
	var got *Finding
	netlab.WaitFor(t, 30*time.Second, "a Unicast Refused finding", func() (bool, string) {
		for _, f := range ll.eng.Book.Findings(false) {
			if f.Kind == UnicastRefused {
				got = &f
				return true, ""
			}
		}
		return false, fmt.Sprint(ll.findings())
	})
	t.Logf("Unicast Refused %v after the kill: %s", time.Since(killed).Round(100*time.Millisecond), got.Explanation)
	norm := func(s string) string { return strings.ReplaceAll(s, ".", "") }
	if got.Subject != subject || !strings.Contains(got.Explanation, "Delay_Req") ||
		!strings.Contains(norm(got.Explanation), norm(idc)) || len(got.Evidence) == 0 || got.Evidence[0].Frame == 0 {
		t.Errorf("finding %+v: want subject %q, the refused Delay_Req of %s and the ICMP frame as evidence", got, subject, idc)
	}
	var others []string
	for _, f := range ll.findings() {
		if !strings.HasPrefix(f, string(UnicastRefused)) && !strings.HasPrefix(f, string(Outage)) {
			others = append(others, f)
		}
	}
	if len(others) != 0 {
		t.Errorf("other findings: %v", others)
	}
}

// TestDaemonTimeProperties runs two ptp4l grandmasters in domains 0 and 1
// (each alone in its domain, so both keep announcing; free running, no
// right to set the clock): a's configuration says utc_offset 36, b's
// leap61 (ptp4l 3.1.1 reads leap flags from no configuration key, and
// announces currentUtcOffsetValid 0: both are set in its
// GRANDMASTER_SETTINGS_NP over its Unix socket, which changes what it
// announces and no clock; a's SET repeats its configured 36).
// Captured live (AF_PACKET), they must give exactly two Time Properties Mismatch
// findings: a's currentUtcOffset (the table says 37) and b's leap61 (no
// leap second is scheduled).
func TestDaemonTimeProperties(t *testing.T) {
	netlab.Need(t, "building network namespaces and running ptp4l daemons for about half a minute")
	netlab.NeedTools(t, "capsh", "ptp4l", "pmc")
	cfg := DefaultConfig()
	cfg.SettleSeconds = 5
	ll := newLiveLab(t, "fat", "10.80.0", capture.AFPacket, cfg)
	aNS := ll.sw.Host("a", "10.80.0.1/24")
	bNS := ll.sw.Host("b", "10.80.0.2/24")
	conf := func(domain, utc int) string {
		return fmt.Sprintf("domainNumber %d\nnetwork_transport UDPv4\nkernel_leap 0\nlogSyncInterval -2\nlogAnnounceInterval -1\npriority1 100\nclockClass 6\nutc_offset %d\n", domain, utc)
	}
	ll.l.PTP4L(aNS, "a-ptp4l", "eth0", conf(0, 36))
	ll.l.PTP4L(bNS, "b-ptp4l-1", "eth0", conf(1, 37))
	set := func(ns, name string, utc int, leap61 int) {
		q := fmt.Sprintf("SET GRANDMASTER_SETTINGS_NP clockClass 6 clockAccuracy 0x21 offsetScaledLogVariance 0x4e5d "+
			"currentUtcOffset %d leap61 %d leap59 0 currentUtcOffsetValid 1 ptpTimescale 1 timeTraceable 1 frequencyTraceable 1 timeSource 0x20", utc, leap61)
		netlab.WaitFor(t, 20*time.Second, name+" to take its grandmaster settings", func() (bool, string) {
			ll.pmc(ns, name, q)
			ps := ll.pmc(ns, name, "GET TIME_PROPERTIES_DATA_SET")
			ok := len(ps) == 1 && ps[0].Fields["currentUtcOffset"] == fmt.Sprint(utc) && ps[0].Fields["leap61"] == fmt.Sprint(leap61) &&
				ps[0].Fields["currentUtcOffsetValid"] == "1"
			return ok, fmt.Sprint(ps)
		})
	}
	// a's utc_offset comes from its configuration; ptp4l 3.1.1 announces it
	// flagged not valid until its grandmaster settings say otherwise
	netlab.WaitFor(t, 20*time.Second, "a's configured utc_offset", func() (bool, string) {
		ps := ll.pmc(aNS, "a-ptp4l", "GET TIME_PROPERTIES_DATA_SET")
		return len(ps) == 1 && ps[0].Fields["currentUtcOffset"] == "36", fmt.Sprint(ps)
	})
	// a keeps its configured utc_offset (36) and flags it valid
	set(aNS, "a-ptp4l", 36, 0)
	set(bNS, "b-ptp4l-1", 37, 1)
	ida := ll.field(aNS, "a-ptp4l", "GET DEFAULT_DATA_SET", "clockIdentity")
	idb := ll.field(bNS, "b-ptp4l-1", "GET DEFAULT_DATA_SET", "clockIdentity")
	norm := func(s string) string { return strings.ReplaceAll(s, ".", "") }
	want := []string{norm(string(TimePropertiesMismatch) + " " + ida + " currentUtcOffset"), norm(string(TimePropertiesMismatch) + " " + idb + " leap61")}
	var got []string
	netlab.WaitFor(t, 40*time.Second, "two Time Properties Mismatch findings", func() (bool, string) {
		got = got[:0]
		for _, f := range ll.findings() {
			got = append(got, norm(f))
		}
		n := 0
		for _, w := range want {
			for _, g := range got {
				if g == w {
					n++
				}
			}
		}
		return n == 2, fmt.Sprint(got)
	})
	// a settles for a moment: nothing else may open
	time.Sleep(3 * time.Second)
	got = got[:0]
	for _, f := range ll.eng.Book.Findings(true) {
		got = append(got, norm(string(f.Kind)+" "+f.Subject))
		t.Logf("%s: %s", f.Kind, f.Explanation)
	}
	if len(got) != 2 {
		t.Errorf("findings %v, want exactly %v", got, want)
	}
}

// TestDaemonCrossScopes runs three ptp4l grandmasters on one segment,
// captured live: a in domain 0, b in domain 0 with transportSpecific 1
// (majorSdoId 1, the 802.1AS value: the two ignore each other's messages,
// so both keep announcing), c in domain 1, configured to agree with domain
// 0. It requires exactly one Mixed Profiles (domain 0) and one Grandmaster
// Mismatch (the agree group), and no Time Properties Mismatch (the three
// announce the same time properties).
func TestDaemonCrossScopes(t *testing.T) {
	netlab.Need(t, "building network namespaces and running ptp4l daemons for about half a minute")
	netlab.NeedTools(t, "capsh", "ptp4l", "pmc")
	cfg := DefaultConfig()
	cfg.SettleSeconds = 5
	cfg.Agree = []AgreeConfig{{Name: "plant", Scopes: []string{"seg0 v2 domain 0 UDP/IPv4", "seg0 v2 domain 1 UDP/IPv4"}}}
	ll := newLiveLab(t, "fax", "10.82.0", capture.AFPacket, cfg)
	conf := func(domain, sdo int) string {
		return fmt.Sprintf("domainNumber %d\ntransportSpecific %d\nnetwork_transport UDPv4\nkernel_leap 0\nlogSyncInterval -2\nlogAnnounceInterval -1\npriority1 100\nclockClass 6\n", domain, sdo)
	}
	for i, h := range []struct {
		name        string
		domain, sdo int
	}{{"a", 0, 0}, {"b", 0, 1}, {"c", 1, 0}} {
		ns := ll.sw.Host(h.name, fmt.Sprintf("10.82.0.%d/24", i+1))
		ll.l.PTP4L(ns, h.name+"-ptp4l", "eth0", conf(h.domain, h.sdo))
	}
	want := []string{string(MixedProfiles) + " seg0 domain 0", string(GrandmasterMismatch) + " plant grandmaster"}
	ll.awaitFindings(t, 45*time.Second, want...)
	if got := ll.findings(); len(got) != len(want) {
		t.Errorf("findings %v, want exactly %v", got, want)
	}
}

// TestDaemonDuplicateIdentityAcrossSegments runs two ptp4l grandmasters
// configured with one clockIdentity, each on a segment of its own (two
// capture interfaces, segments 0 and 1): one Duplicate Identity across
// segments, critical, and nothing else (each segment's scope learns its
// own grandmaster).
func TestDaemonDuplicateIdentityAcrossSegments(t *testing.T) {
	netlab.Need(t, "building network namespaces and running ptp4l daemons for about half a minute")
	netlab.NeedTools(t, "capsh", "ptp4l", "pmc")
	cfg := DefaultConfig()
	cfg.SettleSeconds = 5
	ll := newLiveLabSegments(t, "fay", "10.83.0", capture.AFPacket, cfg, 2)
	const id = "02aa00.fffe.000001"
	conf := "domainNumber 0\nnetwork_transport UDPv4\nkernel_leap 0\nlogSyncInterval -2\nlogAnnounceInterval -1\npriority1 100\nclockClass 6\nclockIdentity " + id + "\n"
	aNS := ll.sw.Host("a", "10.83.0.1/24")
	bNS := ll.more[0].Host("b", "10.83.0.2/24")
	ll.l.PTP4L(aNS, "a-ptp4l", "eth0", conf)
	ll.l.PTP4L(bNS, "b-ptp4l", "eth0", conf)
	want := string(DuplicateIdentity) + " " + id + "-1 across segments"
	ll.awaitFindings(t, 45*time.Second, want)
	fs := ll.eng.Book.Findings(true)
	if len(fs) != 1 || fs[0].Severity != state.Critical || len(fs[0].Scopes) != 2 || len(fs[0].Evidence) != 2 || fs[0].Evidence[0].Frame == 0 {
		t.Errorf("findings %+v, want one critical Duplicate Identity in both segments' scopes with a frame of each", fs)
	}
}
