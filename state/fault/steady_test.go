package fault

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/xdp/capture"
	"github.com/ptpwatch/ptpwatch/xdp/netlab"
)

// steadyDefault is how long TestDaemonSteady watches the steady network
// in the normal suite; PTPWATCH_STEADY sets another duration (the issue's
// proof is PTPWATCH_STEADY=10m, with go test's -timeout above 10m).
const steadyDefault = 60 * time.Second

// steadyPeriod is the window in which every daemon must have sent more
// frames than at its start.
const steadyPeriod = 10 * time.Second

// TestDaemonSteady runs a healthy network of real daemons on a flooding
// bridge captured live (AF_XDP) by the appliance's capture, pipeline and
// fault detectors with the default configuration (a learnt baseline):
// ptp4l grandmaster a (priority1 100, clockClass 6), ptp4l backup b
// (priority1 110: PASSIVE), ptp4l followers c (multicast Delay_Req) and d
// (hybrid: unicast Delay_Req), and a ptpd follower e (hybrid). No daemon
// may set the clock (ptp4l free_running 1 without CAP_SYS_TIME, ptpd -n).
//
// Once the followers follow a, it watches for steadyDefault (60 s), or
// for PTPWATCH_STEADY (PTPWATCH_STEADY=10m go test -timeout 15m -run
// TestDaemonSteady ./state/fault/ is the ten-minute proof), and
// requires, from the daemons' start to the end:
//   - no finding above notice (open or closed) and a health verdict never
//     "fault"; the issue allows notices, which the test logs;
//   - every daemon alive, no frame lost by the capture, and in every steadyPeriod a's Announce, Sync,
//     Follow_Up and Delay_Resp and each follower's Delay_Req counted by the
//     model rising; over the whole window at least 90 % of a's expected
//     Sync and Announce and half of each follower's expected Delay_Req (two a
//     second from ptp4l, one from ptpd).
func TestDaemonSteady(t *testing.T) {
	dur := steadyDefault
	if s := os.Getenv("PTPWATCH_STEADY"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < steadyPeriod {
			t.Fatalf("PTPWATCH_STEADY=%q: want a duration of at least %v, such as 10m", s, steadyPeriod)
		}
		dur = d
	}
	if dl, ok := t.Deadline(); ok && time.Until(dl) < dur+2*time.Minute {
		t.Fatalf("go test's -timeout leaves %v; the steady run needs %v and about a minute to set up: raise -timeout", time.Until(dl).Round(time.Second), dur)
	}
	netlab.Need(t, fmt.Sprintf("building network namespaces and running ptp4l and ptpd for %v", dur))
	netlab.NeedTools(t, "capsh", "ptp4l", "pmc", "ptpd")
	ll := newLiveLab(t, "ste", "10.86.0", capture.AFXDP, DefaultConfig())
	ns := map[string]string{}
	for i, n := range []string{"a", "b", "c", "d", "e"} {
		ns[n] = ll.sw.Host(n, fmt.Sprintf("10.86.0.%d/24", i+1))
	}
	const common = "domainNumber 0\nnetwork_transport UDPv4\nkernel_leap 0\nlogSyncInterval -3\nlogAnnounceInterval 0\nannounceReceiptTimeout 3\nlogMinDelayReqInterval -1\n"
	procs := map[string]*netlab.Proc{
		"a": ll.l.PTP4L(ns["a"], "a-ptp4l", "eth0", common+"priority1 100\nclockClass 6\n"),
		"b": ll.l.PTP4L(ns["b"], "b-ptp4l", "eth0", common+"priority1 110\nclockClass 6\n"),
		"c": ll.l.PTP4L(ns["c"], "c-ptp4l", "eth0", common+"slaveOnly 1\n"),
		"d": ll.l.PTP4L(ns["d"], "d-ptp4l", "eth0", common+"slaveOnly 1\nhybrid_e2e 1\n"),
		// -n: never adjust the clock; -y: hybrid, unicast Delay_Req
		"e": ll.l.StartDaemon(ns["e"], "e-ptpd", "ptpd", "-C", "-s", "-n", "-y", "-i", "eth0", "-d", "0",
			"--global:lock_file="+filepath.Join(ll.l.Dir, "e.lock"),
			"--global:status_file="+filepath.Join(ll.l.Dir, "e.status"),
			"--ptpengine:announce_receipt_timeout=3",
			"--clock:leap_second_handling=ignore"),
	}
	norm := func(s string) string { return strings.ReplaceAll(s, ".", "") }
	id := map[string]string{}
	netlab.WaitFor(t, 60*time.Second, "ptp4l c and d to follow a, b to be PASSIVE", func() (bool, string) {
		for _, n := range []string{"a", "b", "c", "d"} {
			id[n] = norm(ll.field(ns[n], n+"-ptp4l", "GET DEFAULT_DATA_SET", "clockIdentity"))
		}
		gc := norm(ll.field(ns["c"], "c-ptp4l", "GET PARENT_DATA_SET", "grandmasterIdentity"))
		gd := norm(ll.field(ns["d"], "d-ptp4l", "GET PARENT_DATA_SET", "grandmasterIdentity"))
		sb := ll.field(ns["b"], "b-ptp4l", "GET PORT_DATA_SET", "portState")
		return id["a"] != "" && gc == id["a"] && gd == id["a"] && sb == "PASSIVE", fmt.Sprintf("a %s, c follows %q, d %q, b is %s", id["a"], gc, gd, sb)
	})
	// counts returns the model's message counts of the instances of a, c,
	// d and e (e, ptpd, is the one clock sending Delay_Req that is no
	// ptp4l's) as "a Sync", "e Delay_Req" and so on.
	counts := func() (map[string]uint64, *state.Snapshot) {
		snap := ll.model.Snapshot()
		out := map[string]uint64{}
		for _, in := range snap.Instances {
			name := ""
			for n, c := range id {
				if c == norm(in.ClockIdentity) {
					name = n
				}
			}
			if name == "" {
				if _, ok := in.Counters["Delay_Req"]; !ok {
					continue
				}
				name = "e"
				if c := id["e"]; c != "" && c != norm(in.ClockIdentity) {
					t.Errorf("a second unknown clock %s sends Delay_Req beside e %s", in.ClockIdentity, c)
				}
				id["e"] = norm(in.ClockIdentity)
			}
			for typ, c := range in.Counters {
				out[name+" "+typ] += c.Count
			}
		}
		return out, snap
	}
	netlab.WaitFor(t, 30*time.Second, "ptpd e's Delay_Req", func() (bool, string) {
		c, _ := counts()
		return c["e Delay_Req"] > 0 && c["d Delay_Req"] > 0 && c["c Delay_Req"] > 0, fmt.Sprint(c)
	})
	watched := []string{"a Announce", "a Sync", "a Follow_Up", "a Delay_Resp", "c Delay_Req", "d Delay_Req", "e Delay_Req"}

	var ru0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	first, snap0 := counts()
	gaps0 := ll.model.CaptureGaps()
	start := time.Now()
	t.Logf("steady for %v from %s (a %s, b %s, c %s, d %s, e %s)", dur, start.UTC().Format(time.TimeOnly), id["a"], id["b"], id["c"], id["d"], id["e"])
	prev := first
	lastPeriod := start
	worst, verdicts := OK, map[Verdict]int{}
	tk := time.NewTicker(time.Second)
	for now := range tk.C {
		v := ll.eng.Health().Verdict
		verdicts[v]++
		if v.Level() > worst.Level() {
			worst = v
			t.Logf("%v in: health %s", now.Sub(start).Round(time.Second), v)
		}
		for n, p := range procs {
			if p.Exited() {
				t.Fatalf("%s exited %v into the steady run: %v", n, now.Sub(start).Round(time.Second), p.Err())
			}
		}
		if now.Sub(lastPeriod) >= steadyPeriod {
			c, _ := counts()
			for _, k := range watched {
				if c[k] <= prev[k] {
					t.Errorf("%v in: %s stayed at %d for %v", now.Sub(start).Round(time.Second), k, c[k], now.Sub(lastPeriod).Round(time.Second))
				}
			}
			prev, lastPeriod = c, now
		}
		if now.Sub(start) >= dur {
			break
		}
	}
	tk.Stop()
	elapsed := time.Since(start)
	var ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	last, snap1 := counts()
	cpu := time.Duration(syscall.TimevalToNsec(ru1.Utime)-syscall.TimevalToNsec(ru0.Utime)) +
		time.Duration(syscall.TimevalToNsec(ru1.Stime)-syscall.TimevalToNsec(ru0.Stime))
	t.Logf("%v: %d frames captured (%.0f/s), capture gaps %d, test process CPU %v (%.1f %% of one core); verdicts per second polled: %v",
		elapsed.Round(time.Second), snap1.Frames-snap0.Frames, float64(snap1.Frames-snap0.Frames)/elapsed.Seconds(),
		ll.model.CaptureGaps(), cpu.Round(10*time.Millisecond), 100*cpu.Seconds()/elapsed.Seconds(), verdicts)
	if g := ll.model.CaptureGaps() - gaps0; g != 0 {
		t.Errorf("the capture lost frames %d times in the steady run (%d frames a second)", g, (snap1.Frames-snap0.Frames)/uint64(elapsed.Seconds()))
	}
	keys := make([]string, 0, len(last))
	for k := range last {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("  %-14s %7d (+%d)", k, last[k], last[k]-first[k])
	}
	for _, in := range snap1.Instances {
		for typ, c := range in.Counters {
			if c.SequenceLost > 0 || c.Duplicates > 0 {
				t.Logf("  %s %s: %d sequenceIds missing, %d duplicates", in.PortIdentity, typ, c.SequenceLost, c.Duplicates)
			}
		}
	}
	secs := elapsed.Seconds()
	for _, w := range []struct {
		key  string
		want float64
	}{
		{"a Sync", 0.9 * 8 * secs}, {"a Announce", 0.9 * secs},
		// ptp4l followers send Delay_Req about twice a second
		// (logMinDelayReqInterval -1), ptpd 2.3.1 about once (it keeps
		// its own default interval 0)
		{"c Delay_Req", 0.5 * 2 * secs}, {"d Delay_Req", 0.5 * 2 * secs}, {"e Delay_Req", 0.5 * 1 * secs},
	} {
		if got := float64(last[w.key] - first[w.key]); got < w.want {
			t.Errorf("%s: %.0f in %v, want at least %.0f", w.key, got, elapsed.Round(time.Second), w.want)
		}
	}
	fs := ll.eng.Book.Findings(true)
	for _, f := range fs {
		t.Logf("finding %s (%v) %s, open %v: %s", f.Kind, f.Severity, f.Subject, f.Open, f.Explanation)
		if f.Severity > state.Notice {
			t.Errorf("%s (%v) %s in a steady network: want no finding above notice", f.Kind, f.Severity, f.Subject)
		}
	}
	if worst == Faulty {
		t.Errorf("health verdict was %s in a steady network", worst)
	}
	t.Logf("%d findings, worst verdict %s", len(fs), worst)
}
