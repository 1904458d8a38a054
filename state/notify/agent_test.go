package notify

import (
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
)

// TestAgentActiveAlarms: Debian's snmpwalk, snmpbulkwalk and snmpget,
// with PTPWATCH-MIB loaded, read the active-alarm table from the agent by
// name: the raised alarms are there with type, X.733 severity, scope,
// subject, value, text and a DateAndTime; a cleared one and a test fire
// are not; a wrong community gets no answer; a SET is refused; the table
// follows later events.
func TestAgentActiveAlarms(t *testing.T) {
	snmpwalk := need(t, "snmpwalk", "snmp")
	snmpget, snmpbulkwalk, snmpset := strings.Replace(snmpwalk, "snmpwalk", "snmpget", 1), strings.Replace(snmpwalk, "snmpwalk", "snmpbulkwalk", 1),
		strings.Replace(snmpwalk, "snmpwalk", "snmpset", 1)
	at := time.Date(2026, 12, 7, 8, 30, 15, 0, time.UTC).UnixNano()
	silent := state.Event{Time: at, Type: state.MasterSilent, Severity: state.Critical, Scope: "seg0 v2 domain 0 UDP/IPv4",
		Subject: "ec4670.fffe.00a101-1", Detail: "no Announce for 3 intervals"}
	alarm := state.Event{Time: at + int64(time.Second), Type: state.CustomAlarmTriggered, Severity: state.Warning,
		Subject: "gm-class /api/v1/scopes/1/grandmaster/clockClass", After: "248", Detail: "grandmaster lost its reference"}
	down := state.Event{Time: at, Type: state.InterfaceDown, Severity: state.Warning, Subject: "eth1"}
	up := state.Event{Time: at + int64(2*time.Second), Type: state.InterfaceUp, Severity: state.Notice, Subject: "eth1"}
	test := state.Event{Time: at, Type: state.CustomAlarmTriggered, Severity: state.Warning, Subject: "gm-class /api/v1/scopes/*", Detail: "test by alice: x"}
	active := NewActiveAlarms()
	active.Observe(silent, down, alarm, up, test)

	port := freePort(t, "udp")
	ag, err := StartAgent(AgentConfig{Listen: "127.0.0.1:" + strconv.Itoa(port), Community: "ptpw-ro"}, active, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer ag.Close()
	wd, _ := os.Getwd()
	env := append(os.Environ(), "MIBDIRS="+filepath.Join(wd, "testdata/mibs")+":"+wd, "SNMPCONFPATH="+t.TempDir(), "SNMP_PERSISTENT_DIR="+t.TempDir())
	target := "127.0.0.1:" + strconv.Itoa(port)
	// run runs a Net-SNMP command against the agent; the line a walk
	// prints when it reaches the end of the agent's objects (the table is
	// all it serves) is left out.
	run := func(prog string, args ...string) (string, error) {
		cmd := exec.Command(prog, append([]string{"-v2c", "-c", "ptpw-ro", "-m", "PTPWATCH-MIB", "-t", "2", "-r", "1", target}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		var keep []string
		for _, l := range strings.SplitAfter(string(out), "\n") {
			if !strings.Contains(l, "No more variables left in this MIB View") && !strings.HasPrefix(l, "Created directory") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, ""), err
	}
	id := func(e state.Event) string { return strconv.FormatUint(uint64(AlarmID(&e)), 10) }

	out, err := run(snmpwalk, "PTPWATCH-MIB::ptpwatchActiveAlarmTable")
	if err != nil {
		t.Fatalf("snmpwalk: %v\n%s", err, out)
	}
	t.Logf("snmpwalk:\n%s", out)
	for _, want := range []string{
		"PTPWATCH-MIB::ptpwatchActiveAlarmType." + id(silent) + " = STRING: Master Silent",
		"PTPWATCH-MIB::ptpwatchActiveAlarmSeverity." + id(silent) + " = INTEGER: critical(3)",
		"PTPWATCH-MIB::ptpwatchActiveAlarmScope." + id(silent) + " = STRING: seg0 v2 domain 0 UDP/IPv4",
		"PTPWATCH-MIB::ptpwatchActiveAlarmSubject." + id(silent) + " = STRING: ec4670.fffe.00a101-1",
		"PTPWATCH-MIB::ptpwatchActiveAlarmText." + id(silent) + " = STRING: no Announce for 3 intervals",
		"PTPWATCH-MIB::ptpwatchActiveAlarmSince." + id(silent) + " = STRING: 2026-12-7,8:30:15.0,+0:0",
		"PTPWATCH-MIB::ptpwatchActiveAlarmType." + id(alarm) + " = STRING: Custom Alarm Triggered",
		"PTPWATCH-MIB::ptpwatchActiveAlarmSeverity." + id(alarm) + " = INTEGER: major(4)",
		"PTPWATCH-MIB::ptpwatchActiveAlarmValue." + id(alarm) + " = STRING: 248",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("snmpwalk lacks %q", want)
		}
	}
	if rows := strings.Count(out, "ptpwatchActiveAlarmType."); rows != 2 {
		t.Errorf("%d rows, want 2 (eth1 cleared, the test fire not an alarm)", rows)
	}
	bulk, err := run(snmpbulkwalk, "PTPWATCH-MIB::ptpwatchActiveAlarmTable")
	if err != nil || bulk != out {
		t.Errorf("snmpbulkwalk differs from snmpwalk (%v):\n%s", err, bulk)
	}
	get, err := run(snmpget, "PTPWATCH-MIB::ptpwatchActiveAlarmSubject."+id(alarm), "PTPWATCH-MIB::ptpwatchActiveAlarmSubject.7")
	if err != nil || !strings.Contains(get, "ptpwatchActiveAlarmSubject."+id(alarm)+" = STRING: gm-class /api/v1/scopes/1/grandmaster/clockClass") ||
		!strings.Contains(get, "ptpwatchActiveAlarmSubject.7 = No Such Instance") {
		t.Errorf("snmpget (%v):\n%s", err, get)
	}
	if out, err := run(snmpset, "PTPWATCH-MIB::ptpwatchActiveAlarmText."+id(alarm), "s", "x"); err == nil || !strings.Contains(out, "notWritable") {
		t.Errorf("snmpset accepted or not refused as notWritable (%v):\n%s", err, out)
	}
	cmd := exec.Command(snmpget, "-v2c", "-c", "wrong", "-m", "PTPWATCH-MIB", "-t", "1", "-r", "0", target, "PTPWATCH-MIB::ptpwatchActiveAlarmType."+id(alarm))
	cmd.Env = env
	if b, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(b), "Timeout") {
		t.Errorf("a wrong community was answered (%v): %s", err, b)
	}

	// The silent master resumes: its row goes.
	active.Observe(state.Event{Time: at + int64(5*time.Second), Type: state.MasterResumed, Scope: silent.Scope, Subject: silent.Subject})
	out, err = run(snmpwalk, "PTPWATCH-MIB::ptpwatchActiveAlarmTable")
	if err != nil || strings.Contains(out, "."+id(silent)+" ") || strings.Count(out, "ptpwatchActiveAlarmType.") != 1 {
		t.Errorf("after Master Resumed (%v):\n%s", err, out)
	}
}

// TestStartAgent: Start runs the agent when [notify.agent] listen is set,
// with no channel at all; the table holds the alarms of the event log's
// history (as restored from the store at a start) and those raised after.
func TestStartAgent(t *testing.T) {
	snmpget := need(t, "snmpget", "snmp")
	log := state.NewEventLog(100)
	before := state.Event{Time: time.Now().UnixNano(), Type: state.InterfaceDown, Severity: state.Warning, Subject: "eth3"}
	log.Add(before)
	port := freePort(t, "udp")
	o := testOptions()
	o.Agent = AgentConfig{Listen: "127.0.0.1:" + strconv.Itoa(port), Community: "c0mm"}
	_, stop, err := Start(nil, nil, o, log)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	after := state.Event{Time: time.Now().UnixNano(), Type: state.MasterSilent, Severity: state.Critical, Scope: "s", Subject: "gm-1"}
	log.Add(after)
	wd, _ := os.Getwd()
	oid := func(e state.Event) string {
		return "PTPWATCH-MIB::ptpwatchActiveAlarmSubject." + strconv.FormatUint(uint64(AlarmID(&e)), 10)
	}
	var out []byte
	waitFor(t, 10*time.Second, "both alarms in the agent's table", func() bool {
		cmd := exec.Command(snmpget, "-v2c", "-c", "c0mm", "-m", "PTPWATCH-MIB", "-t", "1", "-r", "1", "127.0.0.1:"+strconv.Itoa(port), oid(before), oid(after))
		cmd.Env = append(os.Environ(), "MIBDIRS="+filepath.Join(wd, "testdata/mibs")+":"+wd, "SNMPCONFPATH="+t.TempDir(), "SNMP_PERSISTENT_DIR="+t.TempDir())
		out, _ = cmd.CombinedOutput()
		return strings.Contains(string(out), "STRING: eth3") && strings.Contains(string(out), "STRING: gm-1")
	})
}

// FuzzAgentAnswer: whatever arrives, decoding and answering neither
// panics nor answers with an unencodable packet.
func FuzzAgentAnswer(f *testing.F) {
	for _, s := range []string{
		// GETNEXT 1.3.6.1.4.1.32473.1588.1.2.1, v2c, community "c".
		"302c020101040163a12402010102010002010030193017061306b0" + "1c0f4981a8b5000000000000000000000500",
	} {
		b, err := hex.DecodeString(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	a := NewActiveAlarms()
	a.Observe(state.Event{Type: state.MasterSilent, Subject: "gm"})
	ag := &Agent{community: "c", alarms: a}
	ag.entry, _ = parseOID(MIBOID + ".1.2.1")
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := (&gosnmp.GoSNMP{Version: gosnmp.Version2c, Logger: gosnmp.NewLogger(nil)}).SnmpDecodePacket(b)
		if err != nil {
			return
		}
		if resp, ok := ag.answer(req); ok {
			if _, err := resp.MarshalMsg(); err != nil && len(req.Variables) > 0 {
				// Names the decoder accepted but we cannot encode
				// are answered with genErr and the request's own
				// varbinds; those must encode.
				for _, v := range req.Variables {
					if _, perr := parseOID(v.Name); perr != nil {
						return
					}
				}
				t.Fatalf("answer does not encode: %v", err)
			}
		}
	})
}

// TestActiveAlarmsFindings: the demo's failover replayed through the
// pipeline and the fault detectors leaves Master Silent and the Failover
// finding active; when the grandmaster comes back, Master Resumed and
// Recovered clear them.
func TestActiveAlarmsFindings(t *testing.T) {
	types := func(a *ActiveAlarms) map[string]int {
		out := map[string]int{}
		for _, x := range a.List() {
			out[x.Type]++
		}
		return out
	}
	log, _ := failoverEvents(t, nil)
	during := NewActiveAlarms()
	during.Observe(log.Events(0, 0)...)
	if got := types(during); got[string(state.MasterSilent)] != 1 || got["Failover"] != 1 {
		t.Fatalf("active after the failover: %v (%+v)", got, during.List())
	}
	log, _ = replay(t, nil, 4*time.Minute, sim.GrandmasterFailover(time.Minute, "gm-meinberg"), sim.Start(150*time.Second, "gm-meinberg"))
	seen := map[state.EventType]bool{}
	for _, e := range log.Events(0, 0) {
		seen[e.Type] = true
	}
	if !seen["Failover"] || !seen["Recovered"] || !seen[state.MasterResumed] {
		t.Fatalf("the replay with the grandmaster's return lacks Failover, Recovered or Master Resumed: %v", seen)
	}
	// The Failover's opening and its Recovered share an alarm ID, and the
	// Recovered is an X.733 clear.
	var open, closed *state.Event
	evs := log.Events(0, 0)
	for i := range evs {
		switch evs[i].Type {
		case "Failover":
			open = &evs[i]
		case "Recovered":
			closed = &evs[i]
		}
	}
	if AlarmID(open) != AlarmID(closed) || PerceivedSeverity(closed) != X733Cleared || PerceivedSeverity(open) == X733Cleared {
		t.Errorf("Failover %d (%s) and Recovered %d (%s) do not make a raise/clear pair", AlarmID(open), PerceivedSeverity(open),
			AlarmID(closed), PerceivedSeverity(closed))
	}
	after := NewActiveAlarms()
	after.Observe(evs...)
	if got := types(after); got[string(state.MasterSilent)] != 0 || got["Failover"] != 0 {
		t.Fatalf("active after the recovery: %v (%+v)", got, after.List())
	}
}
