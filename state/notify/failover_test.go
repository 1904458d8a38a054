package notify

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/fault"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
)

// failoverEvents replays the demo network's grandmaster failover (gm-meinberg
// falls silent at 1:00 and gm-oregano takes over) through the frame
// pipeline, with the fault detectors judging, and returns the event log and
// the events of the failover's types.
func failoverEvents(t *testing.T, types []string) (*state.EventLog, []state.Event) {
	return replay(t, types, 100*time.Second, sim.GrandmasterFailover(time.Minute, "gm-meinberg"))
}

// replay plays the demo network with actions for d through the pipeline
// and the fault detectors, and returns the event log and the events of
// types.
func replay(t *testing.T, types []string, d time.Duration, actions ...sim.Action) (*state.EventLog, []state.Event) {
	t.Helper()
	cfg := sim.DefaultDemo()
	cfg.Scenario = sim.Scenario{Actions: actions}
	n, err := sim.New(cfg, sim.Options{Seed: 1, Duration: d})
	if err != nil {
		t.Fatal(err)
	}
	m := state.NewModel(2, nil)
	fe, err := fault.New(fault.DefaultConfig(), m.Events)
	if err != nil {
		t.Fatal(err)
	}
	fe.Attach(m)
	p := pipeline.New(m)
	if p.Buffer, err = ring.NewBuffer(64 << 20); err != nil {
		t.Fatal(err)
	}
	if err := p.Run(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	p.Tick(n.Now())
	f := Filter{Types: types}
	var out []state.Event
	for _, e := range m.Events.Events(0, 0) {
		if f.Match(&e) {
			out = append(out, e)
		}
	}
	return m.Events, out
}

// TestFailoverEveryChannel: the demo's grandmaster failover, replayed
// through the pipeline and the fault detectors, reaches every kind of
// channel, each with its real receiver: a webhook receiver, rsyslogd over
// TCP, python3-aiosmtpd over STARTTLS with authentication (as one digest
// or several mails) and snmptrapd by v2c INFORM printing our MIB's names.
// Each receives exactly the failover's events (Grandmaster Changed, Master
// Silent and the Failover verdict), each once.
func TestFailoverEveryChannel(t *testing.T) {
	rsyslogd := need(t, "rsyslogd", "rsyslog")
	trapd := need(t, "snmptrapd", "snmptrapd")
	needPackage(t, "/usr/lib/python3/dist-packages/aiosmtpd/__init__.py", "python3-aiosmtpd")
	types := []string{string(state.GrandmasterChanged), string(state.MasterSilent), string(fault.Failover)}
	log, want := failoverEvents(t, types)
	wantTypes := map[string]int{}
	for _, e := range want {
		wantTypes[string(e.Type)]++
	}
	t.Logf("the failover's events: %v", wantTypes)
	for _, typ := range types {
		if wantTypes[typ] == 0 {
			t.Fatalf("the replayed failover raised no %s: %v", typ, wantTypes)
		}
	}
	dir := t.TempDir()
	wd, _ := os.Getwd()
	cert, certKey := selfSigned(t, dir)

	// rsyslogd: TCP with octet counting into a file.
	pt := freePort(t, "tcp")
	conf := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(conf, []byte(`global(workDirectory="`+dir+`")
module(load="imtcp" maxSessions="20")
template(name="ptpw" type="string" string="%msgid% %structured-data% %msg%\n")
ruleset(name="tcp") { action(type="omfile" file="`+dir+`/tcp.log" template="ptpw") }
input(type="imtcp" address="127.0.0.1" port="`+strconv.Itoa(pt)+`" ruleset="tcp")
`), 0o644); err != nil {
		t.Fatal(err)
	}
	rs := startProc(t, nil, rsyslogd, "-n", "-f", conf, "-i", filepath.Join(dir, "rsyslogd.pid"))
	waitTCP(t, pt, rs)

	// aiosmtpd with STARTTLS and authentication.
	mails := filepath.Join(dir, "mail")
	if err := os.MkdirAll(mails, 0o755); err != nil {
		t.Fatal(err)
	}
	ps := freePort(t, "tcp")
	smtpd := startProc(t, nil, "/usr/bin/python3", "testdata/smtpd.py", "starttls", strconv.Itoa(ps), cert, certKey, mails, "ptpw", "pa55-w0rd")
	waitTCP(t, ps, smtpd)

	// snmptrapd with PTPWATCH-MIB.
	pu := freePort(t, "udp")
	tconf := filepath.Join(dir, "snmptrapd.conf")
	if err := os.WriteFile(tconf, []byte("authCommunity log ptpw-community\nformat2 TRAP %V; %v\\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	trapLog := filepath.Join(dir, "traps.log")
	env := []string{"MIBDIRS=" + filepath.Join(wd, "testdata/mibs") + ":" + wd, "SNMP_PERSISTENT_DIR=" + filepath.Join(dir, "persist"),
		"SNMPCONFPATH=" + filepath.Join(dir, "persist")}
	tp := startProc(t, env, trapd, "-f", "-C", "-c", tconf, "-Lf", trapLog, "-m", "PTPWATCH-MIB", "-p", filepath.Join(dir, "trapd.pid"),
		"udp:127.0.0.1:"+strconv.Itoa(pu))
	waitFor(t, 15*time.Second, "snmptrapd to start ("+tp.out.String()+")", func() bool {
		b, _ := os.ReadFile(trapLog)
		return strings.Contains(string(b), "NET-SNMP version")
	})

	hook := newHookReceiver(t, "failover-secret")
	f := Filter{Types: types}
	cfg := DefaultConfig()
	cfg.Webhook = []WebhookConfig{{ChannelConfig: ChannelConfig{Name: "hook", Filter: f}, URL: hook.url, Secret: "failover-secret"}}
	cfg.Syslog = []SyslogConfig{{ChannelConfig: ChannelConfig{Name: "syslog", Filter: f}, Address: "tcp://127.0.0.1:" + strconv.Itoa(pt)}}
	cfg.SMTP = []SMTPConfig{{ChannelConfig: ChannelConfig{Name: "mail", Filter: f}, Server: "127.0.0.1:" + strconv.Itoa(ps),
		From: "ptpwatch@example.net", To: []string{"noc@example.net"}, TLS: "starttls", Username: "ptpw", Password: "pa55-w0rd", CAFile: cert}}
	cfg.SNMP = []SNMPConfig{{ChannelConfig: ChannelConfig{Name: "snmp", Filter: f}, Target: "127.0.0.1:" + strconv.Itoa(pu), Version: "2c",
		Community: "ptpw-community", Inform: true}}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	chans, err := cfg.Channels()
	if err != nil {
		t.Fatal(err)
	}
	n := New(NewMemoryBacking(), testOptions())
	for _, c := range chans {
		if err := n.AddChannel(c.Options, c.Sender); err != nil {
			t.Fatal(err)
		}
	}
	// The replayed log, as the appliance's notifier reads it.
	evs := log.Events(0, 0)
	n.Publish(evs...)
	stop := start(t, n)
	defer stop()
	waitFor(t, 60*time.Second, "every channel's outbox empty", func() bool {
		for _, s := range n.Status() {
			if s.Failures > 5 {
				t.Fatalf("%s failing: %s", s.Name, s.LastError)
			}
		}
		return n.Idle()
	})
	// rsyslogd and snmptrapd write their files after taking a message:
	// wait until they hold as many as were delivered.
	waitFor(t, 15*time.Second, "rsyslogd's and snmptrapd's files", func() bool {
		b, _ := os.ReadFile(trapLog)
		return len(lines(filepath.Join(dir, "tcp.log"))) >= len(want) && strings.Count(string(b), "\nTRAP ")+strings.Count(string(b[:min(len(b), 5)]), "TRAP ") >= len(want)
	})
	for _, s := range n.Status() {
		if s.Delivered != uint64(len(want)) || s.Queued != uint64(len(want)) {
			t.Errorf("%s: delivered %d of %d queued, want %d", s.Name, s.Delivered, s.Queued, len(want))
		}
	}
	// key names one event as every receiver can show it.
	key := func(typ, subject string) string { return typ + " | " + subject }
	var wantKeys []string
	for _, e := range want {
		wantKeys = append(wantKeys, key(string(e.Type), e.Subject))
	}
	sort.Strings(wantKeys)
	same := func(name string, got []string) {
		t.Helper()
		sort.Strings(got)
		if strings.Join(got, "\n") != strings.Join(wantKeys, "\n") {
			t.Errorf("%s received:\n  %s\nwant:\n  %s", name, strings.Join(got, "\n  "), strings.Join(wantKeys, "\n  "))
		}
	}

	// Webhook: by subject and type.
	hook.mu.Lock()
	var got []string
	for id, k := range hook.seen {
		if k != 1 {
			t.Errorf("webhook: %s received %d times", id, k)
		}
	}
	hook.mu.Unlock()
	got = hook.keys()
	same("webhook", got)

	// Syslog: each line's structured data names type and subject.
	got = nil
	sd := func(l, name string) string {
		i := strings.Index(l, name+`="`)
		if i < 0 {
			return ""
		}
		v := l[i+len(name)+2:]
		return v[:strings.IndexByte(v, '"')]
	}
	for _, l := range lines(filepath.Join(dir, "tcp.log")) {
		got = append(got, key(sd(l, "type"), sd(l, "subject")))
	}
	same("rsyslog", got)

	// Mail: one line per notification in the bodies ("Type subject").
	files, _ := filepath.Glob(filepath.Join(mails, "*.eml"))
	var body strings.Builder
	for _, f := range files {
		body.WriteString(readMail(t, f))
	}
	for _, e := range want {
		if !strings.Contains(body.String(), e.Subject) {
			t.Errorf("mail lacks %s %s", e.Type, e.Subject)
		}
	}

	// SNMP: one INFORM per event, printed with our MIB's names.
	b, _ := os.ReadFile(trapLog)
	got = nil
	obj := func(l, name string) string {
		for _, part := range strings.Split(l, "; ") {
			if v, ok := strings.CutPrefix(part, "PTPWATCH-MIB::"+name+".0 = STRING: "); ok {
				return strings.Trim(v, `"`)
			}
		}
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "TRAP ") {
			continue
		}
		if !strings.Contains(l, ".1.4.1.0 = OID: PTPWATCH-MIB::ptpwatch") { // snmpTrapOID.0 names the notification
			t.Errorf("INFORM not printed by name: %s", l)
		}
		got = append(got, key(obj(l, "ptpwatchEventType"), obj(l, "ptpwatchSubject")))
	}
	same("snmptrapd", got)
}

// keys returns type | subject of every notification received, once per
// notification ID.
func (r *hookReceiver) keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.typeSubject...)
}
