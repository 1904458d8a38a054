package main

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/httpd"
	"github.com/ptpwatch/ptpwatch/state/notify"
)

// TestApplianceOutage: the whole appliance across an outage of its
// receivers. The webhook receiver answers 503, and rsyslogd (TCP, octet
// counting), python3-aiosmtpd (STARTTLS, authentication) and snmptrapd
// (v2c INFORMs) are not running, while the demo, with 1,000 more
// followers, raises its detection events; the appliance is stopped and
// started again on the same data directory; then the receivers come
// back. Every notification queued before the restart arrives (as many as
// the restart took up from the store: at least 1,000 on the webhook and
// syslog channels, which take every event; the mail and INFORM channels
// take Scope Detected only, one mail or INFORM each), along with those
// raised after it, and none arrives twice.
func TestApplianceOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	rsyslogd := needDebian(t, "rsyslogd", "rsyslog", func() bool { _, err := exec.LookPath("rsyslogd"); return err == nil })
	trapd := needDebian(t, "snmptrapd", "snmptrapd", func() bool { _, err := exec.LookPath("snmptrapd"); return err == nil })
	python := "/usr/bin/python3" // Debian's, with python3-aiosmtpd
	needDebian(t, "aiosmtpd", "python3-aiosmtpd", func() bool { return exec.Command(python, "-c", "import aiosmtpd").Run() == nil })
	rsyslogd, _ = exec.LookPath(rsyslogd)
	trapd, _ = exec.LookPath(trapd)
	dir := t.TempDir()

	// The webhook receiver: 503 while down; counts each notification ID
	// it accepts.
	var down atomic.Bool
	down.Store(true)
	var mu sync.Mutex
	hookSeen := map[string]int{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		var b notify.WebhookBody
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		for _, m := range b.Messages {
			hookSeen[m.ID]++
		}
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})}
	go srv.Serve(ln)
	defer srv.Close()

	// rsyslogd's port, free for now; rsyslogd starts at the end.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	rconf := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(rconf, []byte(`global(workDirectory="`+dir+`")
module(load="imtcp" maxSessions="20")
template(name="ptpw" type="string" string="%structured-data%\n")
ruleset(name="tcp") { action(type="omfile" file="`+dir+`/tcp.log" template="ptpw") }
input(type="imtcp" address="127.0.0.1" port="`+strconv.Itoa(port)+`" ruleset="tcp")
`), 0o644); err != nil {
		t.Fatal(err)
	}

	// aiosmtpd (state/notify's test receiver) and snmptrapd; their ports
	// stay free until they start at the end.
	_, certPEM, keyPEM, err := httpd.SelfSignedCertificate([]string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	free := func(network string) int {
		if network == "udp" {
			c, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			return c.LocalAddr().(*net.UDPAddr).Port
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
	smtpPort, trapPort := free("tcp"), free("udp")
	mails, trapLog := filepath.Join(dir, "mail"), filepath.Join(dir, "traps.log")
	if err := os.MkdirAll(mails, 0o755); err != nil {
		t.Fatal(err)
	}
	tconf := filepath.Join(dir, "snmptrapd.conf")
	if err := os.WriteFile(tconf, []byte("authCommunity log ptpw-community\nformat2 TRAP %V; %v\\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	cfg := filepath.Join(dir, "c.toml")
	scopes := "types = [\"Scope Detected\"]\n"
	if err := os.WriteFile(cfg, []byte("[demo]\nenabled = true\nfollowers = 1000\nincidents = false\n[http]\nlisten = \"127.0.0.1:0\"\n"+
		"[notify]\nmax_backoff_seconds = 1\n"+
		"[[notify.webhook]]\nname = \"hook\"\nurl = \"http://"+ln.Addr().String()+"/in\"\n"+
		"[[notify.syslog]]\nname = \"syslog\"\naddress = \"tcp://127.0.0.1:"+strconv.Itoa(port)+"\"\n"+
		"[[notify.smtp]]\nname = \"mail\"\nserver = \"127.0.0.1:"+strconv.Itoa(smtpPort)+"\"\nfrom = \"ptpwatch@example.net\"\nto = [\"noc@example.net\"]\n"+
		"username = \"ptpw\"\npassword = \"pa55-w0rd\"\nca_file = \""+certFile+"\"\n"+scopes+
		"[[notify.snmp]]\nname = \"inform\"\ntarget = \"127.0.0.1:"+strconv.Itoa(trapPort)+"\"\nversion = \"2c\"\ncommunity = \"ptpw-community\"\n"+
		"inform = true\ntimeout_ms = 300\nretries = 1\n"+scopes), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	status := func(base string) map[string]notify.ChannelStatus {
		var st struct{ Channels []notify.ChannelStatus }
		if err := json.Unmarshal(httpGet(t, base+"/api/v1/notifications"), &st); err != nil {
			t.Fatal(err)
		}
		out := map[string]notify.ChannelStatus{}
		for _, c := range st.Channels {
			out[c.Name] = c
		}
		return out
	}
	baseOf := func(logs *safeBuffer) string {
		m := listenRE.FindStringSubmatch(logs.String())
		if m == nil {
			t.Fatalf("no listen address:\n%s", logs.String())
		}
		return "http://" + m[1]
	}
	waitUntil := func(d time.Duration, what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(d); !cond(); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out after %s waiting for %s", d, what)
			}
		}
	}

	// First run: the receivers are down; at least 1,000 notifications
	// wait in each outbox.
	cmd, logs, done := startBinary(t, "-c", cfg, "--data", data)
	waitLog(t, logs, done, "ptpwatch started")
	base := baseOf(logs)
	var before map[string]notify.ChannelStatus
	waitUntil(60*time.Second, "1,000 notifications queued on webhook and syslog, Scope Detected on mail and inform, each failing", func() bool {
		before = status(base)
		return before["hook"].Queue >= 1000 && before["syslog"].Queue >= 1000 && before["mail"].Queue >= 5 && before["inform"].Queue >= 5 &&
			before["hook"].Failures > 0 && before["syslog"].Failures > 0 && before["mail"].Failures > 0 && before["inform"].Failures > 0
	})
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the appliance did not stop within 30 s of SIGTERM")
	}
	restart := uint64(time.Now().UnixMicro())

	// Second run on the same store: it takes up the outboxes.
	_, logs, done = startBinary(t, "-c", cfg, "--data", data)
	waitLog(t, logs, done, "ptpwatch started")
	base = baseOf(logs)
	takenRE := regexp.MustCompile(`msg="notify: outbox taken up" [^\n]*?channel=(\w+) entries=(\d+)`)
	taken := map[string]int{}
	for _, m := range takenRE.FindAllStringSubmatch(logs.String(), -1) {
		taken[m[1]], _ = strconv.Atoi(m[2])
	}
	channels := []string{"hook", "syslog", "mail", "inform"}
	for _, ch := range channels {
		if taken[ch] < before[ch].Queue {
			t.Fatalf("%s: the restart took up %d notifications, fewer than the %d queued before it:\n%s", ch, taken[ch], before[ch].Queue, logs.String())
		}
	}

	// The receivers come back.
	down.Store(false)
	rs := exec.Command(rsyslogd, "-n", "-f", rconf, "-i", filepath.Join(dir, "rsyslogd.pid"))
	if err := rs.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { rs.Process.Signal(syscall.SIGTERM); rs.Wait() }()
	smtpd := exec.Command(python, "state/notify/testdata/smtpd.py", "starttls", strconv.Itoa(smtpPort), certFile, keyFile, mails, "ptpw", "pa55-w0rd")
	if err := smtpd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { smtpd.Process.Signal(syscall.SIGTERM); smtpd.Wait() }()
	tp := exec.Command(trapd, "-f", "-C", "-c", tconf, "-Lf", trapLog, "-m", "PTPWATCH-MIB", "-p", filepath.Join(dir, "trapd.pid"),
		"udp:127.0.0.1:"+strconv.Itoa(trapPort))
	tp.Env = append(os.Environ(), "MIBDIRS=state/notify/testdata/mibs:state/notify", "SNMP_PERSISTENT_DIR="+filepath.Join(dir, "persist"),
		"SNMPCONFPATH="+filepath.Join(dir, "persist"))
	if err := tp.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { tp.Process.Signal(syscall.SIGTERM); tp.Wait() }()
	waitUntil(120*time.Second, "every outbox empty", func() bool {
		st := status(base)
		return st["hook"].Queue == 0 && st["syslog"].Queue == 0 && st["mail"].Queue == 0 && st["inform"].Queue == 0
	})
	// rsyslogd writes its file asynchronously: wait for every delivery
	// the appliance counts.
	idRE := regexp.MustCompile(`id="(syslog/\d+)"`)
	syslogSeen := map[string]int{}
	waitUntil(30*time.Second, "rsyslogd's file to hold every delivered notification", func() bool {
		clear(syslogSeen)
		b, _ := os.ReadFile(filepath.Join(dir, "tcp.log"))
		for _, m := range idRE.FindAllStringSubmatch(string(b), -1) {
			syslogSeen[m[1]]++
		}
		return uint64(len(syslogSeen)) >= status(base)["syslog"].Delivered
	})
	// Mails name their notification in the Message-ID (ID with '/' as
	// '.', then the count: 1 for a single one); snmptrapd prints each
	// INFORM's ptpwatchNotificationId.
	mailRE := regexp.MustCompile(`(?im)^Message-I[dD]: <(mail)\.(\d+)\.1@`)
	informRE := regexp.MustCompile(`ptpwatchNotificationId\.0 = STRING: "?(inform/\d+)`)
	mailSeen, informSeen := map[string]int{}, map[string]int{}
	waitUntil(30*time.Second, "the mails and INFORMs on file", func() bool {
		clear(mailSeen)
		clear(informSeen)
		files, _ := filepath.Glob(filepath.Join(mails, "*.eml"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			for _, m := range mailRE.FindAllStringSubmatch(string(b), -1) {
				mailSeen[m[1]+"/"+m[2]]++
			}
		}
		b, _ := os.ReadFile(trapLog)
		for _, m := range informRE.FindAllStringSubmatch(string(b), -1) {
			informSeen[m[1]]++
		}
		st := status(base)
		return uint64(len(mailSeen)) >= st["mail"].Delivered && uint64(len(informSeen)) >= st["inform"].Delivered
	})
	mu.Lock()
	defer mu.Unlock()
	for ch, seen := range map[string]map[string]int{"hook": hookSeen, "syslog": syslogSeen, "mail": mailSeen, "inform": informSeen} {
		old := 0
		for id, k := range seen {
			if k != 1 {
				t.Errorf("%s: %s received %d times", ch, id, k)
			}
			seq, _ := strconv.ParseUint(id[strings.IndexByte(id, '/')+1:], 10, 64)
			if seq < restart {
				old++
			}
		}
		t.Logf("%s: %d queued before the stop (API), %d taken up at the restart, %d of them received; %d received in all", ch, before[ch].Queue, taken[ch], old, len(seen))
		if old != taken[ch] {
			t.Errorf("%s: %d of the %d notifications from before the restart received", ch, old, taken[ch])
		}
	}
}

// needDebian returns name when have reports it is there, installing
// Debian package pkg first when it is not and the test runs as root;
// otherwise the test skips, naming the package.
func needDebian(t *testing.T, name, pkg string, have func() bool) string {
	t.Helper()
	if have() {
		return name
	}
	if os.Geteuid() != 0 {
		t.Skipf("%s is missing and installing it needs root: apt-get install -y %s", name, pkg)
	}
	cmd := exec.Command("apt-get", "install", "-y", "-q", "--no-install-recommends", pkg)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil || !have() {
		t.Skipf("%s is missing and apt-get install %s failed: %v\n%s", name, pkg, err, out)
	}
	return name
}
