package fault

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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

// TestDaemonVerdicts runs real ptp4l daemons (never allowed to set the
// clock) in namespaces on a flooding bridge: grandmaster a (priority1
// 100), backup b (110) and two slave-only followers, recorded by dumpcap.
// It kills a (one Failover, no Outage), starts a rogue e with priority1 1
// (a Rogue Master within one announce interval of its first Announce),
// stops e (b takes over again: no verdict), then kills b (one Outage),
// and requires exactly these verdicts from the capture.
func TestDaemonVerdicts(t *testing.T) {
	netlab.Need(t, "building network namespaces and running ptp4l daemons for about a minute")
	netlab.NeedTools(t, "capsh", "ptp4l", "pmc", "dumpcap")
	l := netlab.New(t, "pfv")
	sw := l.Switch("sw")
	hosts := map[string]string{}
	for i, n := range []string{"a", "b", "c", "d", "e"} {
		hosts[n] = sw.Host(n, fmt.Sprintf("10.78.0.%d/24", i+1))
	}
	capNS := sw.Host("cap", "10.78.0.100/24")
	full := filepath.Join(l.Dir, "fault.pcapng")
	capture := l.Start(capNS, "dumpcap", "dumpcap", "-q", "-i", "eth0", "-w", full)
	wait(t, 10*time.Second, "dumpcap to write "+full, func() bool { st, err := os.Stat(full); return err == nil && st.Size() > 0 })

	start := func(name string, priority1 int, slaveOnly bool) *netlab.Proc {
		conf := "domainNumber 0\nnetwork_transport UDPv4\nkernel_leap 0\nlogSyncInterval -2\nlogAnnounceInterval 0\nannounceReceiptTimeout 3\nlogMinDelayReqInterval -1\n"
		if priority1 > 0 {
			conf += fmt.Sprintf("priority1 %d\nclockClass 6\n", priority1)
		}
		if slaveOnly {
			conf += "slaveOnly 1\n"
		}
		return l.PTP4L(hosts[name], name+"-ptp4l", "eth0", conf)
	}
	// gm asks follower c which grandmaster it follows.
	pmcN := 0
	gm := func() string {
		pmcN++
		out, _ := l.Exec(hosts["c"], 5*time.Second, "pmc", "-u", "-b", "0", "-d", "0", "-s", filepath.Join(l.Dir, "c-ptp4l.uds"),
			"-i", filepath.Join(l.Dir, fmt.Sprintf("pmc%d.sock", pmcN)), "GET PARENT_DATA_SET")
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) == 2 && f[0] == "grandmasterIdentity" {
				return f[1]
			}
		}
		return ""
	}
	identity := func(name string) string {
		out, _ := l.Exec(hosts[name], 5*time.Second, "pmc", "-u", "-b", "0", "-d", "0", "-s", filepath.Join(l.Dir, name+"-ptp4l.uds"),
			"-i", filepath.Join(l.Dir, name+"-id.sock"), "GET DEFAULT_DATA_SET")
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) == 2 && f[0] == "clockIdentity" {
				return f[1]
			}
		}
		return ""
	}
	a, b := start("a", 100, false), start("b", 110, false)
	start("c", 0, true)
	start("d", 0, true)
	var ida, idb string
	wait(t, 30*time.Second, "follower c to follow a", func() bool {
		ida, idb = identity("a"), identity("b")
		return ida != "" && gm() == ida
	})
	// the baseline is learnt in the first 10 s of the scope
	time.Sleep(12 * time.Second)
	a.Kill()
	wait(t, 30*time.Second, "c to follow b", func() bool { return idb != "" && gm() == idb })
	time.Sleep(8 * time.Second) // the failover settles (three announce intervals)
	e := start("e", 1, false)
	var ide string
	wait(t, 30*time.Second, "c to follow the rogue e", func() bool { ide = identity("e"); return ide != "" && gm() == ide })
	e.Kill()
	wait(t, 30*time.Second, "c to follow b again", func() bool { return gm() == idb })
	time.Sleep(15 * time.Second) // the rogue's finding closes (clear time)
	b.Kill()
	time.Sleep(10 * time.Second) // longer than six announce intervals without a master
	end := time.Now().UnixNano()
	capture.Stop()

	src, err := replay.Open(full, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	m := state.NewModel(1, nil)
	cfg := DefaultConfig()
	cfg.SettleSeconds = 10
	eng, err := New(cfg, m.Events)
	if err != nil {
		t.Fatal(err)
	}
	eng.Attach(m)
	p := pipeline.New(m)
	var first int64
	p.OnFrame = func(f *source.Frame, _ *decode.Frame, _ *state.Observation, _ bool) {
		if first == 0 {
			first = f.Timestamp
		}
	}
	if err := p.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	p.Tick(end) // capture ran on, idle, until end: a live pipeline ticks meanwhile
	var got []verdict
	var rogueFirst int64
	for _, ev := range m.Events.Events(0, 0) {
		if isVerdict(ev.Type) {
			got = append(got, verdict{time.Duration(ev.Time - first), ev.Type, ev.Subject, ev.Detail})
		}
	}
	for _, f := range eng.Book.Findings(true) {
		if f.Kind == RogueMaster && len(f.Evidence) > 0 {
			rogueFirst = f.Evidence[0].Time
			if d := f.Opened - rogueFirst; d < 0 || d > int64(time.Second) {
				t.Errorf("Rogue Master %v after the rogue's first Announce, want within one announce interval (1 s)", time.Duration(d))
			}
		}
	}
	norm := func(s string) string { return strings.ReplaceAll(s, ".", "") }
	var kinds []string
	for _, v := range got {
		kinds = append(kinds, fmt.Sprintf("%s %s", v.typ, norm(v.subject)))
	}
	want := []string{
		fmt.Sprintf("%s %s → %s", Failover, norm(ida), norm(idb)),
		fmt.Sprintf("%s %s", RogueMaster, norm(ide)),
		fmt.Sprintf("%s %s", FindingClosed, norm(ide)),
		fmt.Sprintf("%s %s", Outage, "seg0 v2 domain 0 UDP/IPv4"),
	}
	for _, v := range got {
		t.Log(v)
	}
	if strings.Join(kinds, "\n") != strings.Join(want, "\n") {
		t.Errorf("verdicts:\n%s\nwant:\n%s", strings.Join(kinds, "\n"), strings.Join(want, "\n"))
	}
}

// wait polls cond until it holds or d has passed.
func wait(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
