package notify

import (
	"bytes"
	"crypto/sha1"
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
)

// TestPasswordToKey: RFC 3414 A.3.2's example for SHA.
func TestPasswordToKey(t *testing.T) {
	id, _ := hex.DecodeString("000000000000000000000002")
	got := hex.EncodeToString(passwordToKey(sha1.New, "maplesyrup", id))
	if want := "6695febc9288e36282235fc7151f128497b38f3f"; got != want {
		t.Errorf("localized key %s, want %s", got, want)
	}
}

// TestAgentSNMPv3: Net-SNMP's snmpwalk and snmpget at authPriv (SHA and
// AES, and SHA-256 on a second agent) read the active-alarm table by
// name after discovering the engine; a wrong auth password, a wrong priv
// password, an unknown user and authNoPriv are refused with the Report
// Net-SNMP names, and each is counted; v2c is not answered by an agent
// with no community.
func TestAgentSNMPv3(t *testing.T) {
	snmpwalk := need(t, "snmpwalk", "snmp")
	snmpget := strings.Replace(snmpwalk, "snmpwalk", "snmpget", 1)
	silent := state.Event{Time: time.Date(2026, 12, 7, 8, 30, 15, 0, time.UTC).UnixNano(), Type: state.MasterSilent, Severity: state.Critical,
		Scope: "seg0", Subject: "gm-1", Detail: "no Announce"}
	active := NewActiveAlarms()
	active.Observe(silent)
	id := strconv.FormatUint(uint64(AlarmID(&silent)), 10)
	wd, _ := os.Getwd()
	for _, auth := range []string{"SHA", "SHA256"} {
		t.Run(auth, func(t *testing.T) {
			port := freePort(t, "udp")
			target := "127.0.0.1:" + strconv.Itoa(port)
			ag, err := StartAgent(AgentConfig{Listen: target, User: "h17-ro", AuthProto: auth, AuthKey: "auth-secret-1", PrivKey: "priv-secret-2"},
				active, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer ag.Close()
			run := func(prog string, args ...string) (string, error) {
				cmd := exec.Command(prog, append([]string{"-v3", "-m", "PTPWATCH-MIB", "-t", "2", "-r", "0"}, args...)...)
				cmd.Env = append(os.Environ(), "MIBDIRS="+filepath.Join(wd, "testdata/mibs")+":"+wd, "SNMPCONFPATH="+t.TempDir(), "SNMP_PERSISTENT_DIR="+t.TempDir())
				out, err := cmd.CombinedOutput()
				return string(out), err
			}
			good := []string{"-l", "authPriv", "-u", "h17-ro", "-a", auth, "-A", "auth-secret-1", "-x", "AES", "-X", "priv-secret-2", target}
			out, err := run(snmpwalk, append(good, "PTPWATCH-MIB::ptpwatchActiveAlarmTable")...)
			t.Logf("snmpwalk -v3:\n%s", out)
			for _, want := range []string{"PTPWATCH-MIB::ptpwatchActiveAlarmType." + id + " = STRING: Master Silent",
				"PTPWATCH-MIB::ptpwatchActiveAlarmSeverity." + id + " = INTEGER: critical(3)",
				"PTPWATCH-MIB::ptpwatchActiveAlarmText." + id + " = STRING: no Announce"} {
				if !strings.Contains(out, want) {
					t.Errorf("snmpwalk -v3 (%v) lacks %q", err, want)
				}
			}
			out, err = run(snmpget, append(good, "PTPWATCH-MIB::ptpwatchActiveAlarmSubject."+id)...)
			if err != nil || !strings.Contains(out, "STRING: gm-1") {
				t.Errorf("snmpget -v3: %v\n%s", err, out)
			}
			before := ag.Stats()
			for _, c := range []struct {
				name string
				args []string
				want string
				n    func(AgentStats) uint64
			}{
				{"wrong auth password", []string{"-l", "authPriv", "-u", "h17-ro", "-a", auth, "-A", "auth-wrong-1", "-x", "AES", "-X", "priv-secret-2"},
					"Authentication failure", func(s AgentStats) uint64 { return s.WrongDigests }},
				{"wrong priv password", []string{"-l", "authPriv", "-u", "h17-ro", "-a", auth, "-A", "auth-secret-1", "-x", "AES", "-X", "priv-wrong-2"},
					"Decryption error", func(s AgentStats) uint64 { return s.DecryptionErrors }},
				{"unknown user", []string{"-l", "authPriv", "-u", "mallory", "-a", auth, "-A", "auth-secret-1", "-x", "AES", "-X", "priv-secret-2"},
					"Unknown user name", func(s AgentStats) uint64 { return s.UnknownUserNames }},
				{"authNoPriv", []string{"-l", "authNoPriv", "-u", "h17-ro", "-a", auth, "-A", "auth-secret-1"},
					"Unsupported security level", func(s AgentStats) uint64 { return s.UnsupportedSecLevels }},
			} {
				out, err := run(snmpget, append(c.args, target, "PTPWATCH-MIB::ptpwatchActiveAlarmSubject."+id)...)
				if err == nil || strings.Contains(out, "gm-1") || !strings.Contains(out, c.want) {
					t.Errorf("%s: %v\n%s\nwant refused with %q", c.name, err, out, c.want)
				}
				if got := c.n(ag.Stats()); got <= c.n(before) {
					t.Errorf("%s: not counted (%d before, %d after)", c.name, c.n(before), got)
				}
			}
			cmd := exec.Command(snmpget, "-v2c", "-c", "public", "-t", "1", "-r", "0", target, "1.3.6.1.2.1.1.1.0")
			if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "Timeout") {
				t.Errorf("v2c to an agent without a community: %v\n%s", err, out)
			}
			if ag.Stats().BadCommunity == 0 {
				t.Error("the v2c request is not counted")
			}
		})
	}
}

// TestAgentNotInTimeWindow: a request authenticated with the right keys
// but outside the time window (a replay) gets an authenticated
// usmStatsNotInTimeWindows report, and is counted.
func TestAgentNotInTimeWindow(t *testing.T) {
	c := AgentConfig{Listen: "127.0.0.1:0", User: "u", AuthKey: "auth-secret-1", PrivKey: "priv-secret-2"}
	e, err := newUSMEngine(&c)
	if err != nil {
		t.Fatal(err)
	}
	old := e.start
	// The request is written as at the engine's start; the engine is
	// then made to have run for an hour.
	req, err := e.writeV3(7, flagAuth|flagPriv|flagReportable, e.user, berAppend(nil, 0xa0, nil))
	if err != nil {
		t.Fatal(err)
	}
	e.start = old.Add(-time.Hour)
	m, pdu, report := e.handleV3(req)
	if pdu != nil || report == nil {
		t.Fatalf("answered %v %x", m, pdu)
	}
	r, err := parseV3(report)
	if err != nil || r.flags != flagAuth || !bytes.Contains(report, berAppendOID(nil, oidNotInTimeWindows)) {
		t.Fatalf("report %x (%v)", report, err)
	}
	if e.Stats().NotInTimeWindows != 1 {
		t.Errorf("stats %+v", e.Stats())
	}
	// A request within the window passes.
	e.start = old
	if _, pdu, _ := e.handleV3(req); !bytes.Equal(pdu, berAppend(nil, 0xa0, nil)) {
		t.Errorf("the request within the window gave PDU %x", pdu)
	}
}

// FuzzAgentV3: whatever arrives at the agent, v3 or not, handling it
// neither panics nor answers with what it cannot read back.
func FuzzAgentV3(f *testing.F) {
	c := AgentConfig{Listen: "127.0.0.1:0", User: "u", AuthKey: "auth-secret-1", PrivKey: "priv-secret-2", Community: "c"}
	e, err := newUSMEngine(&c)
	if err != nil {
		f.Fatal(err)
	}
	a := NewActiveAlarms()
	a.Observe(state.Event{Type: state.MasterSilent, Subject: "gm"})
	ag := &Agent{community: "c", alarms: a, engine: e, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ag.entry, _ = parseOID(MIBOID + ".1.2.1")
	getNext := func(oid string) []byte {
		p := &gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: "c", PDUType: gosnmp.GetNextRequest, RequestID: 5,
			Variables: []gosnmp.SnmpPDU{{Name: oid, Type: gosnmp.Null}}, Logger: gosnmp.NewLogger(nil)}
		b, err := p.MarshalMsg()
		if err != nil {
			f.Fatal(err)
		}
		_, _, at, _, _ := berRead(b, 0)
		off := at
		for range 2 {
			_, _, _, off, _ = berRead(b, off)
		}
		return b[off:]
	}
	for _, flags := range []byte{flagAuth | flagPriv | flagReportable, flagReportable, flagAuth} {
		req, err := e.writeV3(1, flags, e.user, getNext(MIBOID))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(req)
	}
	discovery, _ := e.writeV3(2, flagReportable, nil, berAppend(nil, 0xa0, nil))
	f.Add(discovery)
	f.Fuzz(func(t *testing.T, b []byte) {
		out := ag.handle(b, "fuzz")
		if out != nil && isV3(out) {
			if _, err := parseV3(out); err != nil {
				t.Fatalf("answer %x does not parse: %v", out, err)
			}
		}
	})
}
