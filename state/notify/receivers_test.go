package notify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
)

// The real receivers: Debian's rsyslog, snmptrapd and smilint, and
// python3-aiosmtpd, each run as our own process with its own files and
// loopback ports, ended by its PID.

// need returns the path of program, installing Debian package pkg when
// it is missing and the test runs as root; otherwise the test skips.
func need(t *testing.T, program, pkg string) string {
	t.Helper()
	if p, err := exec.LookPath(program); err == nil {
		return p
	}
	if os.Getuid() != 0 {
		t.Skipf("%s is missing and installing it needs root: apt-get install -y %s (or make deps)", program, pkg)
	}
	t.Logf("installing %s (apt-get install -y %s)", program, pkg)
	cmd := exec.Command("apt-get", "install", "-y", "-q", "--no-install-recommends", pkg)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("%s is missing and apt-get install %s failed: %v\n%s", program, pkg, err, out)
	}
	p, err := exec.LookPath(program)
	if err != nil {
		t.Skipf("%s still missing after installing %s", program, pkg)
	}
	return p
}

// needPackage installs Debian package pkg when file is missing (a file
// the package ships, for packages without a program of their own).
func needPackage(t *testing.T, file, pkg string) {
	t.Helper()
	if _, err := os.Stat(file); err == nil {
		return
	}
	if os.Getuid() != 0 {
		t.Skipf("%s is missing and installing it needs root: apt-get install -y %s (or make deps)", file, pkg)
	}
	cmd := exec.Command("apt-get", "install", "-y", "-q", "--no-install-recommends", pkg)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("%s is missing and apt-get install %s failed: %v\n%s", file, pkg, err, out)
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T, network string) int {
	t.Helper()
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

// proc is a receiver process we started.
type proc struct {
	cmd *exec.Cmd
	out syncBuffer
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func startProc(t *testing.T, env []string, name string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(name, args...)}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(p.stop)
	return p
}

// stop ends the process by its PID and waits for it.
func (p *proc) stop() {
	if p.cmd.ProcessState != nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// waitTCP waits until something accepts connections on port.
func waitTCP(t *testing.T, port int, p *proc) {
	t.Helper()
	waitFor(t, 15*time.Second, "a listener on port "+strconv.Itoa(port)+" ("+p.out.String()+")", func() bool {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 200*time.Millisecond)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

// selfSigned writes a certificate for localhost and 127.0.0.1 and its key
// to dir and returns their paths.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// lines returns the non-empty lines of file ("" when it is missing).
func lines(file string) []string {
	b, _ := os.ReadFile(file)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestMIBLint: smilint -l 3 finds nothing in PTPWATCH-MIB.txt, and
// net-snmp's snmptranslate names every notification the code sends at
// the OID the code uses.
func TestMIBLint(t *testing.T) {
	smilint := need(t, "smilint", "smitools")
	// Debian ships no IETF MIB text: testdata/mibs holds stand-ins for
	// the modules PTPWATCH-MIB imports (only the names it uses). smilint
	// reports on the module it is given, not on what it imports.
	lint := exec.Command(smilint, "-l", "3", "-s", "./PTPWATCH-MIB.txt")
	lint.Env = append(os.Environ(), "SMIPATH=testdata/mibs")
	out, err := lint.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("smilint -l 3: %v\n%s", err, out)
	}
	// The check can fail: a notification naming an object that does not
	// exist is reported.
	broken := filepath.Join(t.TempDir(), "PTPWATCH-MIB.txt")
	mutated := strings.Replace(MIB, "ptpwatchText, ptpwatchNotificationId }", "ptpwatchText, ptpwatchNoSuchObject }", 1)
	if err := os.WriteFile(broken, []byte(mutated), 0o644); err != nil {
		t.Fatal(err)
	}
	lint = exec.Command(smilint, "-l", "3", "-s", broken)
	lint.Env = append(os.Environ(), "SMIPATH=testdata/mibs")
	if out, _ := lint.CombinedOutput(); len(bytes.TrimSpace(out)) == 0 {
		t.Fatal("smilint found nothing wrong in a notification naming an unknown object")
	}
	snmptranslate := need(t, "snmptranslate", "snmp")
	wd, _ := os.Getwd()
	env := append(os.Environ(), "MIBDIRS="+filepath.Join(wd, "testdata/mibs")+":"+wd, "SNMP_PERSISTENT_DIR="+t.TempDir(), "SNMPCONFPATH="+t.TempDir())
	for _, n := range SNMPNotifications() {
		cmd := exec.Command(snmptranslate, "-m", "PTPWATCH-MIB", MIBOID+".0."+strconv.Itoa(n.Arc))
		cmd.Env = env
		out, err := cmd.Output()
		if got := strings.TrimSpace(string(out)); err != nil || got != "PTPWATCH-MIB::"+n.Name {
			t.Errorf("snmptranslate %s.0.%d: %q (%v), want PTPWATCH-MIB::%s", MIBOID, n.Arc, got, err, n.Name)
		}
	}
	if MIB == "" || !strings.Contains(MIB, "ptpwatchActiveAlarmTable") {
		t.Fatal("the embedded MIB is empty or lacks the active alarm table")
	}
}

// TestSyslogRsyslog sends over UDP, TCP (octet counting) and TLS to one
// rsyslogd of our own, which writes each input's messages with their
// MSGID and structured data to a file of its own; then stops it, queues
// more on the TCP and TLS channels, restarts it: those arrive too, each
// once.
func TestSyslogRsyslog(t *testing.T) {
	rsyslogd := need(t, "rsyslogd", "rsyslog")
	needPackage(t, "/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so", "rsyslog-gnutls")
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	pu, pt, ps := freePort(t, "udp"), freePort(t, "tcp"), freePort(t, "tcp")
	conf := filepath.Join(dir, "rsyslog.conf")
	text := `global(workDirectory="` + dir + `")
module(load="imudp")
module(load="imtcp" maxSessions="20")
template(name="ptpw" type="string" string="%msgid% %structured-data% %msg%\n")
ruleset(name="udp") { action(type="omfile" file="` + dir + `/udp.log" template="ptpw") }
ruleset(name="tcp") { action(type="omfile" file="` + dir + `/tcp.log" template="ptpw") }
ruleset(name="tls") { action(type="omfile" file="` + dir + `/tls.log" template="ptpw") }
input(type="imudp" address="127.0.0.1" port="` + strconv.Itoa(pu) + `" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="` + strconv.Itoa(pt) + `" ruleset="tcp")
input(type="imtcp" address="127.0.0.1" port="` + strconv.Itoa(ps) + `" ruleset="tls"
      streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon"
      streamDriver.CAFile="` + cert + `" streamDriver.CertFile="` + cert + `" streamDriver.KeyFile="` + key + `")
`
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func() *proc {
		p := startProc(t, nil, rsyslogd, "-n", "-f", conf, "-i", filepath.Join(dir, "rsyslogd.pid"))
		waitTCP(t, pt, p)
		waitTCP(t, ps, p)
		return p
	}
	rs := run()

	n := New(NewMemoryBacking(), testOptions())
	for _, c := range []SyslogConfig{
		{ChannelConfig: ChannelConfig{Name: "udp"}, Address: "udp://127.0.0.1:" + strconv.Itoa(pu)},
		{ChannelConfig: ChannelConfig{Name: "tcp"}, Address: "tcp://127.0.0.1:" + strconv.Itoa(pt), Facility: "local3"},
		{ChannelConfig: ChannelConfig{Name: "tls"}, Address: "tls://127.0.0.1:" + strconv.Itoa(ps), CAFile: cert, ServerName: "localhost"},
	} {
		s, err := NewSyslog(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.AddChannel(c.options("syslog", 0), s); err != nil {
			t.Fatal(err)
		}
	}
	stop := start(t, n)
	defer stop()

	// UDP gives no sign of readiness: test notifications until one is
	// written.
	waitFor(t, 15*time.Second, "a UDP test message in rsyslog's file", func() bool {
		if err := n.Test("udp", "ready?"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		return len(lines(filepath.Join(dir, "udp.log"))) > 0
	})
	udpBefore := len(lines(filepath.Join(dir, "udp.log")))
	evs := events(100, "Grandmaster Changed", "gm")
	for i := range evs {
		evs[i].Before, evs[i].After = "ec4670.fffe.00a101", `8ca5a1.fffe.00b202 "quoted] \ text"`
		evs[i].Severity = 3
	}
	n.Publish(evs...)
	waitFor(t, 15*time.Second, "100 messages per input", func() bool {
		return len(lines(filepath.Join(dir, "tcp.log"))) >= 100 && len(lines(filepath.Join(dir, "tls.log"))) >= 100 &&
			len(lines(filepath.Join(dir, "udp.log"))) >= udpBefore+100
	})
	for _, in := range []string{"udp", "tcp", "tls"} {
		ls := lines(filepath.Join(dir, in+".log"))
		last := ls[len(ls)-1]
		for _, want := range []string{"GrandmasterChanged [ptpwatch@32473 id=\"" + in + "/", `type="Grandmaster Changed"`, `severity="critical"`,
			`x733="critical"`, `scope="seg0 v2 domain 0 UDP/IPv4"`, `subject="gm99"`, `after="8ca5a1.fffe.00b202 \"quoted\] \\ text\""`} {
			if !strings.Contains(last, want) {
				t.Errorf("%s: %q lacks %q", in, last, want)
			}
		}
	}

	// Outage: stop rsyslogd, queue 200 more, start it again.
	rs.stop()
	n.Publish(events(200, "Device Detected", "dev")...)
	waitFor(t, 10*time.Second, "failures on tcp and tls", func() bool {
		st := n.Status()
		return st[1].Failures > 0 && st[2].Failures > 0
	})
	run()
	waitFor(t, 30*time.Second, "the backlog delivered", func() bool {
		st := n.Status()
		return st[1].Queue == 0 && st[2].Queue == 0
	})
	for _, in := range []string{"tcp", "tls"} {
		seen := map[string]int{}
		// rsyslogd writes its file after it has taken the messages: wait
		// for all 300 (or the deadline) before judging.
		read := func() bool {
			clear(seen)
			for _, l := range lines(filepath.Join(dir, in+".log")) {
				i := strings.Index(l, `id="`)
				if i < 0 {
					continue
				}
				id := l[i+4:]
				id = id[:strings.IndexByte(id, '"')]
				seen[id]++
			}
			return len(seen) >= 300
		}
		for deadline := time.Now().Add(15 * time.Second); !read() && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
		if len(seen) != 300 {
			t.Errorf("%s: %d distinct notifications, want 300", in, len(seen))
		}
		for id, c := range seen {
			if c != 1 {
				t.Errorf("%s: %s written %d times", in, id, c)
			}
		}
	}
}

// TestSMTPAiosmtpd sends through python3-aiosmtpd with STARTTLS and with
// implicit TLS, each requiring authentication: single notifications and
// a digest arrive with a readable subject, the UI link and a Message-ID
// naming the notification; a wrong password is an error with no secret
// in it.
func TestSMTPAiosmtpd(t *testing.T) {
	python := "/usr/bin/python3"
	needPackage(t, "/usr/lib/python3/dist-packages/aiosmtpd/__init__.py", "python3-aiosmtpd")
	if _, err := os.Stat(python); err != nil {
		t.Skip("Debian's /usr/bin/python3 is missing: apt-get install -y python3-aiosmtpd")
	}
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	for _, mode := range []string{"starttls", "tls"} {
		t.Run(mode, func(t *testing.T) {
			out := filepath.Join(dir, mode)
			if err := os.MkdirAll(out, 0o755); err != nil {
				t.Fatal(err)
			}
			port := freePort(t, "tcp")
			p := startProc(t, nil, python, "testdata/smtpd.py", mode, strconv.Itoa(port), cert, key, out, "ptpw", "pa55-w0rd")
			waitTCP(t, port, p)
			cfg := SMTPConfig{ChannelConfig: ChannelConfig{Name: "mail-" + mode, DigestAfter: 5}, Server: "127.0.0.1:" + strconv.Itoa(port),
				From: "ptpwatch@example.net", To: []string{"noc@example.net", "oncall@example.net"}, TLS: mode,
				Username: "ptpw", Password: "pa55-w0rd", CAFile: cert}
			o := testOptions()
			o.UIURL = "https://ptp.example.net:8443"
			n := New(NewMemoryBacking(), o)
			s, err := NewSMTP(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := n.AddChannel(cfg.options("smtp", 0), s); err != nil {
				t.Fatal(err)
			}
			ev := events(1, "Grandmaster Changed", "gm")
			ev[0].Seq, ev[0].Before, ev[0].After, ev[0].Severity = 42, "ec4670.fffe.00a101", "8ca5a1.fffe.00b202", 3
			n.Publish(ev...)
			stop := start(t, n)
			defer stop()
			waitFor(t, 15*time.Second, "the first mail", func() bool {
				if st := n.Status()[0]; st.Failures > 3 {
					t.Fatalf("failing: %s", st.LastError)
				}
				return n.Idle()
			})
			n.Publish(events(300, "Device Detected", "dev")...)
			waitFor(t, 15*time.Second, "the digest", func() bool { return n.Idle() })
			files, _ := filepath.Glob(filepath.Join(out, "*.eml"))
			if st := n.Status()[0]; len(files) < 2 || len(files) > 4 || st.Delivered != 301 || st.Failures != 0 {
				t.Fatalf("%d mails, status %+v; want 2 to 4 mails carrying 301 notifications", len(files), st)
			}
			first := readMail(t, files[0])
			for _, want := range []string{"Subject: [ptpwatch testhost] critical: Grandmaster Changed gm0 in seg0 v2 domain 0 UDP/IPv4",
				"Message-Id: <mail-" + mode + ".", "@testhost>", "Before:   ec4670.fffe.00a101", "After:    8ca5a1.fffe.00b202",
				"In the UI: https://ptp.example.net:8443/#/events?seq=42", "To: <noc@example.net>, <oncall@example.net>"} {
				if !strings.Contains(first, want) {
					t.Errorf("first mail lacks %q:\n%s", want, first)
				}
			}
			last := readMail(t, files[len(files)-1])
			if !strings.Contains(last, "Device Detected") || !strings.Contains(last, "grouped into this digest") {
				t.Errorf("last mail is not a digest:\n%.600s", last)
			}

			// A wrong password fails, is retried, and says so without
			// the password.
			bad := cfg
			bad.Name, bad.Password = "bad-"+mode, "wrong-secret-xyz"
			n2 := New(NewMemoryBacking(), testOptions())
			s2, _ := NewSMTP(bad)
			if err := n2.AddChannel(bad.options("smtp", 0), s2); err != nil {
				t.Fatal(err)
			}
			n2.Publish(ev...)
			stop2 := start(t, n2)
			defer stop2()
			waitFor(t, 10*time.Second, "a failure", func() bool { return n2.Status()[0].Failures > 0 })
			t.Logf("wrong password: %s", n2.Status()[0].LastError)
			if st := n2.Status()[0]; strings.Contains(st.LastError, "wrong-secret") || st.Queue != 1 {
				t.Fatalf("status %+v", st)
			}
		})
	}
}

// readMail returns a stored mail's headers (unfolded, one a line) and
// its decoded body.
func readMail(t *testing.T, file string) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	dec := new(mime.WordDecoder)
	for k, vs := range m.Header {
		for _, v := range vs {
			if d, err := dec.DecodeHeader(v); err == nil {
				v = d
			}
			b.WriteString(k + ": " + strings.Join(strings.Fields(v), " ") + "\n")
		}
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString("\n")
	b.Write(body)
	return b.String()
}

// TestSNMPTrapd sends v2c traps and INFORMs and v3 authPriv traps and
// INFORMs to Debian's snmptrapd with PTPWATCH-MIB loaded: each arrives
// and is printed by name with its objects.
func TestSNMPTrapd(t *testing.T) {
	trapd := need(t, "snmptrapd", "snmptrapd")
	dir := t.TempDir()
	wd, _ := os.Getwd()
	port := freePort(t, "udp")
	engine := DefaultEngineID()
	conf := filepath.Join(dir, "snmptrapd.conf")
	text := "authCommunity log ptpw-community\n" +
		"createUser -e 0x" + engine + " traper SHA trap-auth-pass AES trap-priv-pass\n" +
		"createUser informer SHA256 inform-auth-pass AES inform-priv-pass\n" +
		"authUser log traper priv\n" +
		"authUser log informer priv\n" +
		"format2 TRAP %V; %v\\n\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(dir, "traps.log")
	// snmptrapd writes its persistent state as snmptrapd.conf in its
	// persistent directory when it stops: keep that apart from our file.
	env := []string{"MIBDIRS=" + filepath.Join(wd, "testdata/mibs") + ":" + wd, "SNMP_PERSISTENT_DIR=" + filepath.Join(dir, "persist"),
		"SNMPCONFPATH=" + filepath.Join(dir, "persist")}
	p := startProc(t, env, trapd, "-f", "-C", "-c", conf, "-Lf", logFile, "-m", "PTPWATCH-MIB", "-p", filepath.Join(dir, "trapd.pid"),
		"udp:127.0.0.1:"+strconv.Itoa(port))
	waitFor(t, 15*time.Second, "snmptrapd to start ("+p.out.String()+")", func() bool {
		b, _ := os.ReadFile(logFile)
		return strings.Contains(string(b), "NET-SNMP version")
	})
	target := "127.0.0.1:" + strconv.Itoa(port)
	chans := []SNMPConfig{
		{ChannelConfig: ChannelConfig{Name: "v2trap"}, Target: target, Version: "2c", Community: "ptpw-community"},
		{ChannelConfig: ChannelConfig{Name: "v2inform"}, Target: target, Version: "2c", Community: "ptpw-community", Inform: true},
		{ChannelConfig: ChannelConfig{Name: "v3trap"}, Target: target, Version: "3", User: "traper", AuthKey: "trap-auth-pass", PrivKey: "trap-priv-pass"},
		{ChannelConfig: ChannelConfig{Name: "v3inform"}, Target: target, Version: "3", Inform: true, User: "informer",
			AuthProto: "SHA256", AuthKey: "inform-auth-pass", PrivKey: "inform-priv-pass"},
	}
	n := New(NewMemoryBacking(), testOptions())
	for _, c := range chans {
		s, err := NewSNMP(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.AddChannel(c.options("snmp", 0), s); err != nil {
			t.Fatal(err)
		}
	}
	stop := start(t, n)
	defer stop()
	ev := state.Event{Time: time.Now().UnixNano(), Type: state.MasterSilent, Severity: state.Critical, Scope: "seg0 v2 domain 0 UDP/IPv4",
		Subject: "ec4670.fffe.00a101-1", Before: "announcing", After: "silent", Detail: "no Announce for 3 s"}
	n.Publish(ev)
	want := map[string]bool{}
	for _, c := range chans {
		want[c.Name+"/"] = true
	}
	waitFor(t, 20*time.Second, "four notifications in snmptrapd's log", func() bool {
		b, _ := os.ReadFile(logFile)
		k := 0
		for id := range want {
			if strings.Contains(string(b), id) {
				k++
			}
		}
		return k == len(want) && n.Idle() // an INFORM is done when its answer is in
	})
	b, _ := os.ReadFile(logFile)
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "TRAP ") {
			continue
		}
		for _, w := range []string{"PTPWATCH-MIB::ptpwatchMasterSilent", "ptpwatchPerceivedSeverity.0 = INTEGER: critical(3)",
			`ptpwatchSubject.0 = STRING: ec4670.fffe.00a101-1`, `ptpwatchOldValue.0 = STRING: announcing`, "ptpwatchAlarmId.0 = Gauge32: "} {
			if !strings.Contains(l, w) {
				t.Errorf("trap line lacks %q:\n%s", w, l)
			}
		}
	}
	for _, s := range n.Status() {
		if s.Delivered != 1 || s.Failures != 0 {
			t.Errorf("%s: %+v", s.Name, s)
		}
	}

	// Outage: INFORMs wait in the outbox while snmptrapd is down and
	// arrive, once each, when it is back.
	p.stop()
	ev.Subject, ev.Type = "during-outage", state.MasterResumed
	n.Publish(ev)
	waitFor(t, 20*time.Second, "INFORM failures", func() bool {
		st := n.Status() // by name: v2inform, v2trap, v3inform, v3trap
		return st[0].Failures > 0 && st[2].Failures > 0
	})
	p = startProc(t, env, trapd, "-f", "-C", "-c", conf, "-Lf", logFile, "-m", "PTPWATCH-MIB", "-p", filepath.Join(dir, "trapd.pid"),
		"udp:127.0.0.1:"+strconv.Itoa(port))
	waitFor(t, 30*time.Second, "the INFORMs after the outage", func() bool {
		st := n.Status()
		return st[0].Queue == 0 && st[2].Queue == 0
	})
	b, _ = os.ReadFile(logFile)
	for _, name := range []string{"v2inform", "v3inform"} {
		k := 0
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "ptpwatchMasterResumed") && strings.Contains(l, "during-outage") && strings.Contains(l, "STRING: "+name+"/") {
				k++
			}
		}
		if k != 1 {
			t.Errorf("%s: the INFORM raised during the outage was printed %d times, want 1", name, k)
		}
	}
}
