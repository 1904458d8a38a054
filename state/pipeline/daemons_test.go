package pipeline_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/netlab"
	"github.com/ptpwatch/ptpwatch/xdp/replay"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// daemon is one PTP daemon of the test network.
type daemon struct {
	name       string // host name, a..h
	impl       string // ptp4l or ptpd
	transport  decode.Transport
	domain     uint8
	master     bool // expected to be its domain's grandmaster
	priority1  uint8
	clockClass uint8
	slaveOnly  bool
	hybrid     bool // ptp4l hybrid_e2e: unicast Delay_Req, and unicast Delay_Resp to unicast requests

	ns   string // its host's namespace
	p    *netlab.Proc
	sock string // ptp4l's management socket
	port string // portIdentity, as pmc reports it
}

func (d *daemon) clock() string { c, _, _ := strings.Cut(d.port, "-"); return c }

func (d *daemon) scope() string {
	return state.ScopeKey{Version: 2, Domain: d.domain, Transport: d.transport, VLAN: state.NoVLAN}.String()
}

func (d *daemon) String() string {
	return fmt.Sprintf("%s (%s %s, %s)", d.name, d.impl, d.scope(), d.port)
}

// ptp4lTransport is ptp4l's network_transport name.
var ptp4lTransport = map[decode.Transport]string{
	decode.TransportUDPv4: "UDPv4", decode.TransportUDPv6: "UDPv6", decode.TransportL2: "L2",
}

// dataSets is what one management round learned from one daemon.
type dataSets struct {
	port   netlab.PMCReply // PORT_DATA_SET
	parent netlab.PMCReply // PARENT_DATA_SET
}

func (ds dataSets) state() string       { return ds.port.Fields["portState"] }
func (ds dataSets) grandmaster() string { return ds.parent.Fields["grandmasterIdentity"] }
func (ds dataSets) parentPort() string  { return ds.parent.Fields["parentPortIdentity"] }

// TestDaemons builds a timing network of real PTP daemons (linuxptp's
// ptp4l and ptpd) in network namespaces on a flooding bridge, records
// everything with dumpcap from a capture port, fails the domain-0
// grandmaster over to its backup, and checks the model built from the
// capture against what the daemons say about themselves through management
// (pmc) and against tshark's reading of the same capture.
func TestDaemons(t *testing.T) {
	netlab.Need(t, "building network namespaces and running PTP daemons for about a minute")
	netlab.NeedTools(t, "sysctl", "capsh", "ptp4l", "pmc", "ptpd", "tshark", "dumpcap")
	began := time.Now()
	l := netlab.New(t, "pwt")
	sw := l.Switch("sw")
	// Sync four times a second; Announce once a second, so a grandmaster is
	// given up after 3 s (announceReceiptTimeout 3): long enough that a
	// loaded machine pausing the daemons for a second or so does not make
	// followers drop their grandmaster, short enough for a quick failover.
	const logSync, logAnnounce = -2, 0
	syncEvery, announceEvery := time.Second>>2, time.Second

	ds := []*daemon{
		{name: "a", impl: "ptp4l", transport: decode.TransportUDPv4, domain: 0, master: true, priority1: 100, clockClass: 6, hybrid: true},
		{name: "b", impl: "ptp4l", transport: decode.TransportUDPv4, domain: 0, priority1: 110, clockClass: 248, hybrid: true},
		{name: "c", impl: "ptp4l", transport: decode.TransportUDPv4, domain: 0, slaveOnly: true},
		{name: "d", impl: "ptpd", transport: decode.TransportUDPv4, domain: 0, slaveOnly: true},
		{name: "e", impl: "ptp4l", transport: decode.TransportL2, domain: 1, master: true, priority1: 100, clockClass: 6},
		{name: "f", impl: "ptp4l", transport: decode.TransportL2, domain: 1, slaveOnly: true},
		{name: "g", impl: "ptp4l", transport: decode.TransportUDPv6, domain: 2, master: true, priority1: 100, clockClass: 6},
		{name: "h", impl: "ptp4l", transport: decode.TransportUDPv6, domain: 2, slaveOnly: true},
	}
	byName := map[string]*daemon{}
	for i, d := range ds {
		d.ns = sw.Host(d.name, fmt.Sprintf("10.77.0.%d/24", i+1), fmt.Sprintf("fd77::%d/64", i+1))
		byName[d.name] = d
	}
	a, b, dd := byName["a"], byName["b"], byName["d"]
	capNS := sw.Host("cap", "10.77.0.100/24", "fd77::100/64")
	t.Logf("namespaces %s* built in %v", l.Base, time.Since(began).Round(time.Millisecond))

	// Record everything the capture port sees.
	full := filepath.Join(l.Dir, "daemons.pcapng")
	capture := l.Start(capNS, "dumpcap", "dumpcap", "-q", "-i", "eth0", "-w", full)
	netlab.WaitFor(t, 10*time.Second, "dumpcap to start writing "+full, func() (bool, string) {
		st, err := os.Stat(full)
		return err == nil && st.Size() > 0, fmt.Sprint(err)
	})
	time.Sleep(500 * time.Millisecond)
	captureStart := time.Now()

	startDaemon := func(d *daemon) {
		switch d.impl {
		case "ptp4l":
			conf := fmt.Sprintf(`domainNumber %d
network_transport %s
kernel_leap 0
logSyncInterval %d
logAnnounceInterval %d
announceReceiptTimeout 3
logMinDelayReqInterval -1
`, d.domain, ptp4lTransport[d.transport], logSync, logAnnounce)
			if d.priority1 != 0 {
				conf += fmt.Sprintf("priority1 %d\nclockClass %d\n", d.priority1, d.clockClass)
			}
			if d.slaveOnly {
				conf += "slaveOnly 1\n"
			}
			if d.hybrid {
				conf += "hybrid_e2e 1\n"
			}
			d.p = l.PTP4L(d.ns, d.name+"-ptp4l", "eth0", conf)
			d.sock = filepath.Join(l.Dir, d.name+"-ptp4l.uds")
		case "ptpd":
			// -n: never adjust the clock; -y: hybrid mode, unicast
			// Delay_Req/Delay_Resp, which the flooding bridge shows us.
			d.p = l.StartDaemon(d.ns, d.name+"-ptpd", "ptpd", "-C", "-s", "-n", "-y", "-i", "eth0", "-d", strconv.Itoa(int(d.domain)),
				"--global:lock_file="+filepath.Join(l.Dir, d.name+".lock"),
				"--global:status_file="+filepath.Join(l.Dir, d.name+".status"),
				"--ptpengine:announce_receipt_timeout=3",
				"--clock:leap_second_handling=ignore")
		}
	}
	pmcSeq := 0
	// pmcUDS queries a ptp4l over its local management socket.
	pmcUDS := func(d *daemon, cmds ...string) []netlab.PMCReply {
		pmcSeq++
		args := []string{"pmc", "-u", "-b", "0", "-d", strconv.Itoa(int(d.domain)), "-s", d.sock,
			"-i", filepath.Join(l.Dir, fmt.Sprintf("pmc%d.sock", pmcSeq))}
		out, err := l.Exec(d.ns, 5*time.Second, append(args, cmds...)...)
		if err != nil {
			t.Logf("pmc for %s: %v: %s", d.name, err, out)
		}
		return netlab.ParsePMC(out)
	}
	// query reads PORT_DATA_SET and PARENT_DATA_SET of a ptp4l. pmc waits
	// only 100 ms for answers, which a loaded machine may miss: it retries.
	query := func(d *daemon) (dataSets, bool) {
		var r dataSets
		for try := 0; try < 5 && (r.port.Fields == nil || r.parent.Fields == nil); try++ {
			for _, rep := range pmcUDS(d, "GET PORT_DATA_SET", "GET PARENT_DATA_SET") {
				switch rep.ID {
				case "PORT_DATA_SET":
					r.port = rep
				case "PARENT_DATA_SET":
					r.parent = rep
				}
			}
		}
		return r, r.port.Fields != nil && r.parent.Fields != nil
	}
	// queryWire asks ptpd, which has no local management socket, over
	// UDPv4 from the capture namespace (pmc and the daemons turn multicast
	// loopback off, so it must be another namespace). TARGET addresses
	// ptpd's port alone: the ptp4l daemons in domain 0 ignore the request,
	// so the model learns their states from their traffic only.
	queryWire := func(d *daemon) (dataSets, bool) {
		var r dataSets
		for try := 0; try < 5 && (r.port.Fields == nil || r.parent.Fields == nil); try++ {
			text, err := l.Exec(capNS, 5*time.Second, "pmc", "-4", "-i", "eth0", "-b", "0", "-d", strconv.Itoa(int(d.domain)),
				"TARGET "+d.port, "GET PORT_DATA_SET", "GET PARENT_DATA_SET")
			if err != nil {
				t.Logf("pmc -4: %v: %s", err, text)
			}
			for _, rep := range netlab.ParsePMC(text) {
				switch {
				case rep.Clock() != d.clock():
					t.Errorf("pmc -4 with TARGET %s got an answer from %s", d.port, rep.From)
				case rep.ID == "PORT_DATA_SET":
					r.port = rep
				case rep.ID == "PARENT_DATA_SET":
					r.parent = rep
				}
			}
		}
		return r, r.port.Fields != nil && r.parent.Fields != nil
	}
	waitState := func(d *daemon, want string, within time.Duration) {
		netlab.WaitFor(t, within, fmt.Sprintf("%s to report %s", d.name, want), func() (bool, string) {
			if d.p.Exited() {
				t.Fatalf("%s exited: %v", d, d.p.Err())
			}
			r, ok := query(d)
			if !ok {
				return false, "no PORT_DATA_SET/PARENT_DATA_SET answer"
			}
			d.port = r.port.Fields["portIdentity"]
			return r.state() == want, "portState " + r.state()
		})
	}
	// ptpdStatus reads a field of ptpd's status file.
	ptpdStatus := func(d *daemon, key string) string {
		b, _ := os.ReadFile(filepath.Join(l.Dir, d.name+".status"))
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == key {
				return strings.TrimSpace(v)
			}
		}
		return ""
	}
	// ptpdIdentity turns ptpd's "be9a4afffe39b843(unknown)/1" into a portIdentity.
	ptpdIdentity := func(s string) string {
		id, port, ok := strings.Cut(s, "/")
		id, _, _ = strings.Cut(id, "(")
		if !ok || len(id) != 16 {
			return ""
		}
		return id[:6] + "." + id[6:10] + "." + id[10:] + "-" + port
	}

	// Grandmasters first, so the backup and the followers find them already
	// announcing and no other clock ever announces itself before them.
	for _, d := range ds {
		if d.master {
			startDaemon(d)
		}
	}
	for _, d := range ds {
		if d.master {
			waitState(d, "MASTER", 15*time.Second)
		}
	}
	for _, d := range ds {
		if !d.master {
			startDaemon(d)
		}
	}
	// A free-running ptp4l port stays UNCALIBRATED unless told its
	// synchronization is certain.
	for _, d := range ds {
		if d.master || d.impl != "ptp4l" {
			continue
		}
		netlab.WaitFor(t, 10*time.Second, "SYNCHRONIZATION_UNCERTAIN_NP on "+d.name, func() (bool, string) {
			reps := pmcUDS(d, "SET SYNCHRONIZATION_UNCERTAIN_NP 0")
			return len(reps) == 1 && reps[0].Fields["uncertain"] == "0", fmt.Sprint(reps)
		})
	}
	for _, d := range ds {
		switch {
		case d.master:
		case d.impl == "ptp4l":
			waitState(d, "SLAVE", 20*time.Second)
		default:
			netlab.WaitFor(t, 20*time.Second, "ptpd to follow "+a.name, func() (bool, string) {
				st, best := ptpdStatus(d, "Port state"), ptpdStatus(d, "Best master ID")
				d.port = ptpdIdentity(ptpdStatus(d, "Local port ID"))
				return st == "PTP_SLAVE" && ptpdIdentity(best) == a.port, fmt.Sprintf("state %q best master %q", st, best)
			})
		}
	}
	t.Logf("all daemons in their states %v after capture start", time.Since(captureStart).Round(time.Millisecond))

	// Let the network run, then take what the daemons say and fail the
	// grandmaster at once.
	time.Sleep(time.Until(captureStart.Add(27 * time.Second)))
	queryAll := func(skip *daemon) map[*daemon]dataSets {
		got := map[*daemon]dataSets{}
		for _, d := range ds {
			if d == skip || d.impl != "ptp4l" {
				continue
			}
			r, ok := query(d)
			if !ok {
				t.Fatalf("%s did not answer GET PORT_DATA_SET/PARENT_DATA_SET over %s", d, d.sock)
			}
			got[d] = r
		}
		r, ok := queryWire(dd)
		if !ok {
			t.Fatalf("ptpd %s did not answer GET PORT_DATA_SET/PARENT_DATA_SET over UDPv4 from the capture namespace", dd)
		}
		got[dd] = r
		return got
	}
	before := queryAll(nil)
	kill := time.Now()
	a.p.Kill()
	t.Logf("killed grandmaster %s at %v after capture start", a, kill.Sub(captureStart).Round(time.Millisecond))
	for _, d := range ds {
		r := before[d]
		t.Logf("before kill, %s says: portState %s parentPortIdentity %s grandmasterIdentity %s",
			d, r.state(), r.parentPort(), r.grandmaster())
	}

	// The backup takes over; the followers move to it.
	waitState(b, "MASTER", 15*time.Second)
	for _, d := range ds {
		if d.domain != 0 || d == a || d == b {
			continue
		}
		netlab.WaitFor(t, 15*time.Second, d.name+" to follow the backup grandmaster", func() (bool, string) {
			if d.impl == "ptpd" {
				st, best := ptpdStatus(d, "Port state"), ptpdStatus(d, "Best master ID")
				return st == "PTP_SLAVE" && ptpdIdentity(best) == b.port, fmt.Sprintf("state %q best master %q", st, best)
			}
			r, ok := query(d)
			return ok && r.state() == "SLAVE" && r.grandmaster() == b.clock(), fmt.Sprintf("%s %s", r.state(), r.grandmaster())
		})
	}
	t.Logf("failover done %v after the kill", time.Since(kill).Round(time.Millisecond))
	time.Sleep(time.Until(kill.Add(13 * time.Second)))
	after := queryAll(a)
	for _, d := range ds {
		if r, ok := after[d]; ok {
			t.Logf("after failover, %s says: portState %s parentPortIdentity %s grandmasterIdentity %s",
				d, r.state(), r.parentPort(), r.grandmaster())
		}
	}
	time.Sleep(time.Second)
	capture.Stop()
	if capture.Err() != nil {
		capture.DumpLog(10)
		t.Fatalf("dumpcap: %v", capture.Err())
	}
	for _, d := range ds {
		if d != a && d.p.Exited() {
			t.Errorf("%s exited during the test: %v", d, d.p.Err())
		}
	}
	t.Logf("captured %v; network time %v", time.Since(captureStart).Round(time.Millisecond), time.Since(began).Round(time.Millisecond))

	// What tshark reads in the capture, and what the model makes of it.
	wire := tsharkFrames(t, full)
	preSnap, preEvents, preDecoded := analyzeCapture(t, full, kill.UnixNano())
	postSnap, postEvents, postDecoded := analyzeCapture(t, full, 0)
	if !t.Failed() {
		t.Logf("analysed: %d PTP messages before the kill, %d in all", preDecoded, postDecoded)
	}

	check := func(when string, snap *state.Snapshot, got map[*daemon]dataSets, cut int64) {
		// Message counts per scope and type, against tshark.
		want := map[string]map[string]uint64{}
		var wantTotal uint64
		for _, f := range wire {
			if cut != 0 && f.time >= cut {
				continue
			}
			if want[f.scope] == nil {
				want[f.scope] = map[string]uint64{}
			}
			want[f.scope][f.kind.String()]++
			wantTotal++
		}
		gotCounts := map[string]map[string]uint64{}
		for _, sc := range snap.Scopes {
			gotCounts[sc.Name] = sc.Counts
		}
		for _, name := range unionKeys(want, gotCounts) {
			if w, g := countsText(want[name]), countsText(gotCounts[name]); w != g {
				t.Errorf("%s: scope %q message counts differ\n\ttshark: %s\n\tmodel:  %s", when, name, w, g)
			}
		}
		if snap.Frames != wantTotal {
			t.Errorf("%s: model applied %d PTP messages, tshark decodes %d", when, snap.Frames, wantTotal)
		}

		for _, d := range ds {
			r, ok := got[d]
			if !ok {
				continue // the killed grandmaster
			}
			if dev := findDevice(snap, d.clock()); dev == nil {
				t.Errorf("%s: %s: pmc reports clockIdentity %s, the model has no such device (devices: %v)",
					when, d, d.clock(), deviceIDs(snap))
			}
			in := findInstance(snap, d.scope(), d.port)
			if in == nil {
				t.Errorf("%s: %s: pmc reports port %s, the model has no instance of it in %q (instances: %v)",
					when, d, d.port, d.scope(), instanceIDs(snap))
				continue
			}
			if in.PortState.String() != r.state() {
				t.Errorf("%s: %s: portState: pmc PORT_DATA_SET says %s, the model says %s (%s; evidence %v)",
					when, d, r.state(), in.PortState, in.StateSource, in.Evidence)
			}
			if in.Grandmaster != r.grandmaster() {
				t.Errorf("%s: %s: grandmaster: pmc PARENT_DATA_SET grandmasterIdentity %s, model Instance.Grandmaster %q",
					when, d, r.grandmaster(), in.Grandmaster)
			}
			lastResp, seen := wire.last(func(f wireFrame) bool {
				return f.kind == decode.DelayResp && f.scope == d.scope() && f.requester == d.port && (cut == 0 || f.time < cut)
			})
			switch {
			case seen:
				// The model links a port to its parent from Delay_Resp.
				// A port whose PARENT_DATA_SET names its own clock is the
				// grandmaster and has no parent.
				wantParent, note := r.parentPort(), ""
				if c, _, _ := strings.Cut(wantParent, "-"); c == d.clock() {
					wantParent, note = "", " (its own clock: it is the grandmaster and follows no one)"
				}
				if in.Parent != wantParent {
					t.Errorf("%s: %s: parent: pmc PARENT_DATA_SET parentPortIdentity %s%s, but model Instance.Parent is %q (%s); "+
						"pmc portState %s, model portState %s; the last Delay_Resp naming this port came from %s at %s",
						when, d, r.parentPort(), note, in.Parent, in.ParentSource, r.state(), in.PortState,
						lastResp.source, time.Unix(0, lastResp.time).UTC().Format("15:04:05.000"))
				}
			case !d.master && r.state() == "SLAVE":
				t.Errorf("%s: %s: tshark sees no Delay_Resp naming this follower: the capture port missed its delay exchange", when, d)
			}
		}
		// Each scope's grandmaster as its followers' PARENT_DATA_SET names it.
		for _, d := range ds {
			r, ok := got[d]
			if !ok || d.master || r.state() != "SLAVE" {
				continue
			}
			sc := findScope(snap, d.scope())
			if sc == nil || sc.Grandmaster == nil {
				t.Errorf("%s: scope %q: the model has no grandmaster; %s follows %s", when, d.scope(), d, r.grandmaster())
				continue
			}
			g := sc.Grandmaster
			if g.GrandmasterIdentity != r.grandmaster() || fmt.Sprint(g.Priority1) != r.parent.Fields["grandmasterPriority1"] ||
				fmt.Sprint(g.ClockClass) != r.parent.Fields["gm.ClockClass"] {
				t.Errorf("%s: scope %q grandmaster: %s's PARENT_DATA_SET says %s priority1 %s clockClass %s; the model says %s priority1 %d clockClass %d",
					when, d.scope(), d.name, r.grandmaster(), r.parent.Fields["grandmasterPriority1"], r.parent.Fields["gm.ClockClass"],
					g.GrandmasterIdentity, g.Priority1, g.ClockClass)
			}
		}
	}
	roles := func(when string, snap *state.Snapshot, want map[*daemon][]string) {
		for _, d := range ds {
			w, ok := want[d]
			if !ok {
				continue
			}
			dev := findDevice(snap, d.clock())
			if dev == nil {
				t.Errorf("%s: %s: no device %s in the model", when, d, d.clock())
				continue
			}
			var g []string
			for _, r := range dev.Roles {
				g = append(g, r.Role)
			}
			if !slices.Equal(g, w) {
				t.Errorf("%s: %s: roles: want %q, the model infers %q (%+v)", when, d, w, g, dev.Roles)
			}
		}
	}
	follower, gm := []string{"ordinary clock (follower)"}, []string{"grandmaster"}

	// The flooding bridge shows the capture port the unicast Delay_Resp
	// answering ptpd's hybrid-mode Delay_Req, from both grandmasters.
	for _, m := range []*daemon{a, b} {
		if !wire.any(func(f wireFrame) bool {
			return f.kind == decode.DelayResp && f.unicast && f.source == m.port && f.requester == dd.port
		}) {
			t.Errorf("lab: tshark sees no unicast Delay_Resp from %s naming %s; the capture port should see hybrid-mode unicast", m, dd)
		}
	}

	// Before the kill: the capture cut at the kill time.
	check("before the kill", preSnap, before, kill.UnixNano())
	backup := follower
	if wire.any(func(f wireFrame) bool {
		return f.source == b.port && f.kind == decode.Announce && f.time < kill.UnixNano()
	}) {
		// On a loaded machine the backup may time out waiting for the
		// grandmaster's Announce while starting and announce itself for
		// a moment; then it is rightly also seen as grandmaster-capable.
		t.Logf("the backup %s announced itself before the kill (a start-up race on a loaded machine)", b)
		backup = []string{"grandmaster", "ordinary clock (follower)"}
	}
	roles("before the kill", preSnap, map[*daemon][]string{
		a: gm, b: backup, byName["c"]: follower, dd: follower,
		byName["e"]: gm, byName["f"]: follower, byName["g"]: gm, byName["h"]: follower,
	})
	// quiet reports whether the wire shows a master that went quiet for at
	// least announceReceiptTimeout (3) intervals of Sync or Announce: a
	// Master Silent event the model may raise even while the daemon runs,
	// when a loaded machine stalls it.
	quiet := func(e state.Event) bool {
		sy, ok1 := wire.quietAt(e.Subject, decode.Sync, e.Time)
		an, ok2 := wire.quietAt(e.Subject, decode.Announce, e.Time)
		if (ok1 && sy >= 3*syncEvery) || (ok2 && an >= 3*announceEvery) {
			t.Logf("%s: the wire shows %s sent no Sync for %v and no Announce for %v (a stall of the loaded machine)",
				eventText(e), e.Subject, sy.Round(time.Millisecond), an.Round(time.Millisecond))
			return true
		}
		t.Errorf("%s: but the wire shows %s sent Sync %v and Announce %v before it", eventText(e), e.Subject,
			sy.Round(time.Millisecond), an.Round(time.Millisecond))
		return false
	}
	for _, e := range preEvents {
		switch e.Type {
		case state.GrandmasterChanged:
			t.Errorf("before the kill: unexpected event %s", eventText(e))
		case state.MasterSilent:
			quiet(e)
		}
	}

	// After it: the whole capture.
	check("after failover", postSnap, after, 0)
	roles("after failover", postSnap, map[*daemon][]string{
		a: gm, b: gm, byName["c"]: follower, dd: follower,
		byName["e"]: gm, byName["f"]: follower, byName["g"]: gm, byName["h"]: follower,
	})
	if in := findInstance(postSnap, a.scope(), a.port); in == nil || !in.Silent {
		t.Errorf("after failover: the killed grandmaster %s should be silent; model instance: %+v", a, in)
	}
	var changed, silent []state.Event
	for _, e := range postEvents {
		switch e.Type {
		case state.GrandmasterChanged:
			changed = append(changed, e)
		case state.MasterSilent:
			if e.Subject == a.port && e.Time >= kill.UnixNano() {
				silent = append(silent, e)
			} else {
				quiet(e)
			}
		}
	}
	if len(changed) != 1 || changed[0].Scope != a.scope() || changed[0].Before != a.clock() ||
		changed[0].After != b.clock() || changed[0].Time < kill.UnixNano() {
		t.Errorf("want exactly one %q event in %q after the kill (%d), %s -> %s; got %d:\n\t%s",
			state.GrandmasterChanged, a.scope(), kill.UnixNano(), a.clock(), b.clock(), len(changed), eventsText(changed))
	}
	if len(silent) != 1 || silent[0].Scope != a.scope() {
		t.Errorf("want exactly one %q event for %s in %q after the kill (%d); got %d:\n\t%s",
			state.MasterSilent, a.port, a.scope(), kill.UnixNano(), len(silent), eventsText(silent))
	}
	// PTPWATCH_KEEP_CAPTURE=1 keeps the capture of a passing run too.
	if t.Failed() || os.Getenv("PTPWATCH_KEEP_CAPTURE") != "" {
		t.Logf("capture kept at %s", keepCapture(t, full))
	}
	t.Logf("total %v", time.Since(began).Round(time.Millisecond))
}

// cutSource ends a replay at a capture time: frames at or after cut are
// skipped.
type cutSource struct {
	source.Source
	cut int64
}

func (c cutSource) Next(ctx context.Context, f *source.Frame) error {
	for {
		if err := c.Source.Next(ctx, f); err != nil {
			return err
		}
		if c.cut == 0 || f.Timestamp < c.cut {
			return nil
		}
	}
}

// analyzeCapture runs a capture file through the pipeline the way
// `ptpwatch analyze` does, up to cut (0: the whole file).
func analyzeCapture(t *testing.T, path string, cut int64) (*state.Snapshot, []state.Event, uint64) {
	t.Helper()
	src, err := replay.Open(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	m := state.NewModel(1, nil)
	p := pipeline.New(m)
	var last int64
	p.OnFrame = func(f *source.Frame, _ *decode.Frame, _ *state.Observation, _ bool) { last = max(last, f.Timestamp) }
	if err := p.Run(context.Background(), cutSource{src, cut}); err != nil {
		t.Fatalf("pipeline over %s: %v", path, err)
	}
	p.Tick(last)
	for i := 0; i < m.Shards(); i++ {
		m.Shard(i).Publish()
	}
	if n := p.Counters.Malformed.Load() + p.Counters.Truncated.Load(); n > 0 {
		t.Errorf("%s: %d frames malformed or truncated", path, n)
	}
	return m.Snapshot(), m.Events.Events(0, 0), p.Counters.Decoded.Load()
}

// wireFrame is one PTP message as tshark reads it.
type wireFrame struct {
	time      int64 // ns since the Unix epoch
	scope     string
	kind      decode.MessageType
	source    string // sourcePortIdentity
	requester string // Delay_Resp: requestingPortIdentity
	unicast   bool   // flagField unicastFlag
}

type wireFrames []wireFrame

// any reports whether some frame satisfies pred.
func (w wireFrames) any(pred func(wireFrame) bool) bool {
	return slices.ContainsFunc(w, pred)
}

// last returns the last frame that satisfies pred, if any.
func (w wireFrames) last(pred func(wireFrame) bool) (wireFrame, bool) {
	for i := len(w) - 1; i >= 0; i-- {
		if pred(w[i]) {
			return w[i], true
		}
	}
	return wireFrame{}, false
}

// quietAt reports how long port had sent no message of kind at time at,
// and whether it had sent one before.
func (w wireFrames) quietAt(port string, kind decode.MessageType, at int64) (time.Duration, bool) {
	last, seen := int64(0), false
	for _, f := range w {
		if f.source == port && f.kind == kind && f.time <= at {
			last, seen = max(last, f.time), true
		}
	}
	return time.Duration(at - last), seen
}

// tsharkFrames lists the PTP messages in a capture. PTP quoted inside ICMP
// errors (a follower's unicast Delay_Req to the dead grandmaster's address)
// is not a PTP message on the wire and is left out.
func tsharkFrames(t *testing.T, path string) wireFrames {
	t.Helper()
	out, err := exec.Command("tshark", "-n", "-r", path, "-Y", "ptp && !icmp && !icmpv6", "-T", "fields",
		"-e", "frame.time_epoch", "-e", "frame.protocols", "-e", "ptp.v2.versionptp", "-e", "ptp.v2.majorsdoid",
		"-e", "ptp.v2.domainnumber", "-e", "ptp.v2.messagetype", "-e", "ptp.v2.flags.unicast",
		"-e", "ptp.v2.clockidentity", "-e", "ptp.v2.sourceportid",
		"-e", "ptp.v2.dr.requestingsourceportidentity", "-e", "ptp.v2.dr.requestingsourceportid").Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v", path, err)
	}
	var frames wireFrames
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 11 {
			t.Fatalf("tshark line %q: want 11 fields", line)
		}
		if f[2] != "2" {
			t.Fatalf("tshark line %q: only PTPv2 expected", line)
		}
		ts, err := epochNanos(f[0])
		if err != nil {
			t.Fatalf("tshark line %q: %v", line, err)
		}
		k := state.ScopeKey{Version: 2, VLAN: state.NoVLAN}
		switch protos := ":" + f[1] + ":"; {
		case strings.Contains(protos, ":ipv6:udp:"):
			k.Transport = decode.TransportUDPv6
		case strings.Contains(protos, ":ip:udp:"):
			k.Transport = decode.TransportUDPv4
		case strings.Contains(protos, ":ethertype:ptp:"):
			k.Transport = decode.TransportL2
		default:
			t.Fatalf("tshark line %q: unexpected protocol stack", line)
		}
		sdo, err1 := strconv.ParseUint(f[3], 0, 8)
		dom, err2 := strconv.ParseUint(f[4], 0, 8)
		mt, err3 := strconv.ParseUint(f[5], 0, 8)
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("tshark line %q: bad numbers", line)
		}
		k.MajorSdoID, k.Domain = uint8(sdo), uint8(dom)
		w := wireFrame{time: ts, scope: k.String(), kind: decode.MessageType(mt), unicast: f[6] == "1" || f[6] == "True"}
		if w.source, err = tsharkPort(f[7], f[8]); err != nil {
			t.Fatalf("tshark line %q: sourcePortIdentity: %v", line, err)
		}
		if w.kind == decode.DelayResp {
			if w.requester, err = tsharkPort(f[9], f[10]); err != nil {
				t.Fatalf("tshark line %q: requestingSourcePortIdentity: %v", line, err)
			}
		}
		frames = append(frames, w)
	}
	return frames
}

// tsharkPort turns tshark's clockIdentity ("0x9ec70bfffe6034ab") and port
// number into a portIdentity string. A field tshark finds
// more than once (a management TLV may carry port identities too) lists its values with commas; the header's comes first.
func tsharkPort(clock, port string) (string, error) {
	clock, _, _ = strings.Cut(clock, ",")
	port, _, _ = strings.Cut(port, ",")
	id, err := strconv.ParseUint(clock, 0, 64)
	if err != nil {
		return "", err
	}
	n, err := strconv.ParseUint(port, 0, 16)
	if err != nil {
		return "", err
	}
	var c decode.ClockIdentity
	for i := range c {
		c[i] = byte(id >> (56 - 8*i))
	}
	return decode.PortIdentity{Clock: c, Port: uint16(n)}.String(), nil
}

// epochNanos parses tshark's frame.time_epoch ("1700000000.123456000").
func epochNanos(s string) (int64, error) {
	sec, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return 0, err
	}
	frac = (frac + "000000000")[:9]
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, err
	}
	return n*1e9 + f, nil
}

// keepCapture copies a failed run's capture out of the test's temporary
// directory so it can be inspected afterwards.
func keepCapture(t *testing.T, path string) string {
	dst := filepath.Join(os.TempDir(), fmt.Sprintf("ptpwatch-daemons-%d.pcapng", os.Getpid()))
	in, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err.Error()
	}
	defer out.Close()
	if _, err := io.Copy(out, in); err != nil {
		return err.Error()
	}
	return dst
}

func findDevice(s *state.Snapshot, clock string) *state.Device {
	for i := range s.Devices {
		if s.Devices[i].ClockIdentity == clock {
			return &s.Devices[i]
		}
	}
	return nil
}

func findInstance(s *state.Snapshot, scope, port string) *state.Instance {
	for i := range s.Instances {
		if in := &s.Instances[i]; in.Scope == scope && in.PortIdentity == port {
			return in
		}
	}
	return nil
}

func findScope(s *state.Snapshot, name string) *state.Scope {
	for i := range s.Scopes {
		if s.Scopes[i].Name == name {
			return &s.Scopes[i]
		}
	}
	return nil
}

func deviceIDs(s *state.Snapshot) []string {
	var ids []string
	for _, d := range s.Devices {
		ids = append(ids, d.ClockIdentity)
	}
	return ids
}

func instanceIDs(s *state.Snapshot) []string {
	var ids []string
	for _, in := range s.Instances {
		ids = append(ids, in.Scope+"/"+in.PortIdentity+" "+in.PortState.String())
	}
	return ids
}

func countsText(c map[string]uint64) string {
	var parts []string
	for k, v := range c {
		parts = append(parts, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "(none)"
	}
	return strings.Join(parts, ", ")
}

func unionKeys[V any](a, b map[string]V) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string]V{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

func eventText(e state.Event) string {
	s := fmt.Sprintf("%s %s %s %s", time.Unix(0, e.Time).UTC().Format("15:04:05.000"), e.Type, e.Scope, e.Subject)
	if e.Before != "" || e.After != "" {
		s += " " + e.Before + " -> " + e.After
	}
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

func eventsText(es []state.Event) string {
	var parts []string
	for _, e := range es {
		parts = append(parts, eventText(e))
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return strings.Join(parts, "\n\t")
}
