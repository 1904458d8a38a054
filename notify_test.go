package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state/notify"
)

// TestApplianceNotifies runs the demo with --data and a [[notify.webhook]]
// channel to a receiver in the test: the demo's detection events arrive
// signed, GET /api/v1/notifications shows the channel without its secret,
// and POST /api/v1/notifications/test delivers a test notification.
func TestApplianceNotifies(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	var mu sync.Mutex
	types := map[string]int{}
	bad := 0
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get(notify.HeaderSignature) != notify.Sign("hook-secret-123", r.Header.Get(notify.HeaderTimestamp), body) {
			bad++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var b notify.WebhookBody
		_ = json.Unmarshal(body, &b)
		for _, m := range b.Messages {
			types[m.Type]++
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.toml")
	text := "[notify]\nui_url = \"http://ptp.example.net\"\n[[notify.webhook]]\nname = \"hook\"\nurl = \"http://" + ln.Addr().String() +
		"/in\"\nsecret = \"hook-secret-123\"\ntypes = [\"Scope Detected\", \"Device Detected\", \"Custom Alarm Triggered\"]\n" +
		"[[alarm]]\nname = \"gm-class\"\npath = \"/api/v1/scopes/*/grandmaster/clockClass\"\ncondition = { op = \"<=\", value = \"255\" }\nseverity = \"critical\"\n"
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := buildBinary(t)
	logs := &safeBuffer{}
	cmd := exec.Command(bin, "--demo", "--http", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "-c", cfg)
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	base := waitListen(t, logs)
	count := func(typ string) int { mu.Lock(); defer mu.Unlock(); return types[typ] }
	for deadline := time.Now().Add(20 * time.Second); count("Scope Detected") < 5 || count("Device Detected") < 1; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("webhook got %v; log:\n%s", types, logs.String())
		}
	}
	// The custom alarm fires on every scope of the demo and is
	// delivered; one instance is acknowledged.
	for deadline := time.Now().Add(20 * time.Second); count("Custom Alarm Triggered") < 5; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("webhook got %v; alarms: %s", types, httpGet(t, base+"/api/v1/alarms"))
		}
	}
	var al struct {
		Instances []struct {
			Path   string
			Active bool
			Ack    *struct{ Who, Note string }
		}
	}
	if err := json.Unmarshal(httpGet(t, base+"/api/v1/alarms"), &al); err != nil || len(al.Instances) < 5 || !al.Instances[0].Active {
		t.Fatalf("GET /api/v1/alarms: %+v %v", al, err)
	}
	ack, err := http.Post(base+"/api/v1/alarms/gm-class/ack", "application/json", strings.NewReader(`{"path":"`+al.Instances[0].Path+`","note":"seen"}`))
	if err != nil {
		t.Fatal(err)
	}
	ack.Body.Close()
	if err := json.Unmarshal(httpGet(t, base+"/api/v1/alarms"), &al); err != nil || ack.StatusCode != 200 ||
		al.Instances[0].Ack == nil || al.Instances[0].Ack.Who != "anonymous" || al.Instances[0].Ack.Note != "seen" {
		t.Fatalf("after ack (%d): %+v", ack.StatusCode, al)
	}
	// ptpwatch alarm list and test, against the running appliance.
	var out, errb strings.Builder
	if code := run([]string{"alarm", "list", "--api", base}, &out, &errb); code != exitOK ||
		!strings.Contains(out.String(), "alarm gm-class: /api/v1/scopes/*/grandmaster/clockClass (critical)") ||
		!strings.Contains(out.String(), "ACTIVE  gm-class /api/v1/scopes/") || !strings.Contains(out.String(), "acknowledged by anonymous: seen") {
		t.Fatalf("alarm list: %d\n%s%s", code, out.String(), errb.String())
	}
	before := count("Custom Alarm Triggered")
	out.Reset()
	if code := run([]string{"alarm", "test", "gm-class", "--api", base}, &out, &errb); code != exitOK {
		t.Fatalf("alarm test: %d %s", code, errb.String())
	}
	for deadline := time.Now().Add(10 * time.Second); count("Custom Alarm Triggered") <= before; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the test-fired alarm was not delivered")
		}
	}
	if code := run([]string{"alarm", "test", "nope", "--api", base}, &out, &errb); code == exitOK {
		t.Fatal("alarm test of an unknown alarm succeeded")
	}
	// An alarm defined through the API is kept in the store across a
	// restart; DELETE removes it.
	req, _ := http.NewRequest(http.MethodPut, base+"/api/v1/alarms/api-made", strings.NewReader(
		`{"path": "/api/v1/devices/*/vendor", "condition": {"op": "==", "value": "Nobody Inc"}, "severity": "notice"}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("PUT alarm: %v %v", resp, err)
	}
	req, _ = http.NewRequest(http.MethodPut, base+"/api/v1/alarms/broken", strings.NewReader(`{"path": "nope", "condition": {"op": "=="}}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 400 {
		t.Fatalf("PUT a bad alarm: %v %v", resp, err)
	}
	st := httpGet(t, base+"/api/v1/notifications")
	if !strings.Contains(string(st), `"name":"hook"`) || strings.Contains(string(st), "hook-secret") {
		t.Fatalf("GET /api/v1/notifications: %s", st)
	}
	if m := string(httpGet(t, base+"/metrics")); !strings.Contains(m, `ptpwatch_notify_delivered_total{channel="hook",kind="webhook"}`) ||
		!strings.Contains(m, `ptpwatch_notify_queue{channel="hook",kind="webhook"}`) {
		t.Fatalf("/metrics lacks the notification families")
	}
	resp, err := http.Post(base+"/api/v1/notifications/test", "application/json", strings.NewReader(`{"channel":"hook","note":"from the test"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST test: %s", resp.Status)
	}
	for deadline := time.Now().Add(10 * time.Second); count("Test") < 1; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no test notification; got %v", types)
		}
	}
	if resp, _ := http.Post(base+"/api/v1/notifications/test", "application/json", strings.NewReader(`{"channel":"nope"}`)); resp == nil || resp.StatusCode != 404 {
		t.Fatalf("unknown channel: %v", resp)
	}
	mu.Lock()
	if bad != 0 || strings.Contains(logs.String(), "hook-secret") {
		t.Fatalf("%d unsigned requests, or the secret in the log", bad)
	}
	mu.Unlock()

	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
	logs = &safeBuffer{}
	cmd = exec.Command(bin, "--demo", "--http", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "-c", cfg)
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	base = waitListen(t, logs)
	if a := string(httpGet(t, base+"/api/v1/alarms")); !strings.Contains(a, `"name":"api-made"`) || !strings.Contains(a, `"source":"api"`) {
		t.Fatalf("the API-made alarm did not survive a restart: %s", a)
	}
	// The acknowledged instance is still active and acknowledged.
	acked := al.Instances[0].Path
	if err := json.Unmarshal(httpGet(t, base+"/api/v1/alarms"), &al); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, in := range al.Instances {
		if in.Path == acked {
			found = in.Active && in.Ack != nil && in.Ack.Note == "seen"
		}
	}
	if !found {
		t.Fatalf("the acknowledged alarm instance at %s did not survive the restart: %+v", acked, al.Instances)
	}
	req, _ = http.NewRequest(http.MethodDelete, base+"/api/v1/alarms/api-made", nil)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 204 {
		t.Fatalf("DELETE alarm: %v %v", resp, err)
	}
	if a := string(httpGet(t, base+"/api/v1/alarms")); strings.Contains(a, `"name":"api-made"`) {
		t.Fatalf("deleted alarm still listed: %s", a)
	}
}

// TestApplianceReloadsChannels: channels added and changed in the
// configuration file take effect at SIGHUP, without a restart. The
// appliance starts with none; a reload adds a webhook channel whose test
// notification arrives; a second reload points it at another receiver,
// which gets the next one while the first gets no more.
func TestApplianceReloadsChannels(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	type rx struct {
		url   string
		mu    sync.Mutex
		notes []string
	}
	receiver := func() *rx {
		r := &rx{}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			var b notify.WebhookBody
			_ = json.NewDecoder(req.Body).Decode(&b)
			r.mu.Lock()
			for _, m := range b.Messages {
				r.notes = append(r.notes, m.Detail)
			}
			r.mu.Unlock()
		})}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		r.url = "http://" + ln.Addr().String() + "/in"
		return r
	}
	got := func(r *rx, note string) bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, n := range r.notes {
			if strings.Contains(n, note) {
				return true
			}
		}
		return false
	}
	a, b := receiver(), receiver()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.toml")
	write := func(channels string) {
		if err := os.WriteFile(cfg, []byte("[demo]\nenabled = true\n[http]\nlisten = \"127.0.0.1:0\"\n"+channels), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("")
	cmd, logs, done := startBinary(t, "-c", cfg, "--data", filepath.Join(dir, "data"))
	waitLog(t, logs, done, "ptpwatch started")
	m := listenRE.FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no listen address:\n%s", logs.String())
	}
	base := "http://" + m[1]
	reload := func(n int) { t.Helper(); reloadNotify(t, cmd, logs, n) }
	testSend := func(note string, want int) {
		t.Helper()
		resp, err := http.Post(base+"/api/v1/notifications/test", "application/json", strings.NewReader(`{"channel":"hook","note":"`+note+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("POST test %s: %s, want %d", note, resp.Status, want)
		}
	}
	testSend("none yet", http.StatusNotFound)
	write("[[notify.webhook]]\nname = \"hook\"\nurl = \"" + a.url + "\"\ntypes = [\"Grandmaster Changed\"]\n")
	reload(1)
	testSend("first", http.StatusAccepted)
	for deadline := time.Now().Add(20 * time.Second); !got(a, "first"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the channel added by SIGHUP delivered nothing:\n%s", logs.String())
		}
	}
	write("[[notify.webhook]]\nname = \"hook\"\nurl = \"" + b.url + "\"\ntypes = [\"Grandmaster Changed\"]\n")
	reload(2)
	if !strings.Contains(logs.String(), "changed=[hook]") {
		t.Errorf("the second reload does not name hook as changed:\n%s", logs.String())
	}
	testSend("second", http.StatusAccepted)
	for deadline := time.Now().Add(20 * time.Second); !got(b, "second"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the changed channel did not deliver to its new URL:\n%s", logs.String())
		}
	}
	if got(a, "second") {
		t.Error("the old URL still got notifications after the reload")
	}
}

// TestApplianceReloadsAgentAndBounds: [notify]'s bounds and
// [notify.agent] take effect at SIGHUP, without a restart, as channels
// do. The appliance starts with neither; a reload sets max_queue and
// starts the agent, which answers Net-SNMP's snmpget at SNMPv3 authPriv;
// a second reload changes its user (the old one refused) and max_queue
// again; no setting of [notify] is reported as needing a restart.
func TestApplianceReloadsAgentAndBounds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	snmpget, err := exec.LookPath("snmpget")
	if err != nil {
		t.Skip("snmpget is missing: apt-get install snmp (make deps)")
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := pc.LocalAddr().String()
	pc.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.toml")
	write := func(notify string) {
		if err := os.WriteFile(cfg, []byte("[demo]\nenabled = true\n[http]\nlisten = \"127.0.0.1:0\"\n"+notify), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	agent := func(maxQueue int, user string) string {
		return "[notify]\nmax_queue = " + strconv.Itoa(maxQueue) + "\n[notify.agent]\nlisten = \"" + target + "\"\nuser = \"" + user +
			"\"\nauth_password = \"auth-secret-1\"\npriv_password = \"priv-secret-2\"\n"
	}
	get := func(user string) (string, error) {
		cmd := exec.Command(snmpget, "-v3", "-l", "authPriv", "-u", user, "-a", "SHA", "-A", "auth-secret-1", "-x", "AES", "-X", "priv-secret-2",
			"-m", "", "-On", "-t", "1", "-r", "1", target, "1.3.6.1.4.1.32473.1588.1.2.1.2.1")
		cmd.Env = append(os.Environ(), "SNMPCONFPATH="+dir, "SNMP_PERSISTENT_DIR="+t.TempDir())
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	write("")
	cmd, logs, done := startBinary(t, "-c", cfg, "--data", filepath.Join(dir, "data"))
	waitLog(t, logs, done, "ptpwatch started")
	reload := func(n int) { t.Helper(); reloadNotify(t, cmd, logs, n) }
	if out, err := get("h17-a"); err == nil {
		t.Fatalf("an agent answers before one is configured:\n%s", out)
	}
	write(agent(5000, "h17-a"))
	reload(1)
	if out, err := get("h17-a"); err != nil || !strings.Contains(out, ".1.3.6.1.4.1.32473.1588.1.2.1.2.1 = ") {
		t.Fatalf("the agent added by SIGHUP does not answer: %v\n%s\n%s", err, out, logs.String())
	}
	write(agent(7000, "h17-b"))
	reload(2)
	if out, err := get("h17-b"); err != nil {
		t.Errorf("the agent's new user is refused: %v\n%s", err, out)
	}
	if out, err := get("h17-a"); err == nil || !strings.Contains(out, "Unknown user name") {
		t.Errorf("the agent's old user still answered (%v):\n%s", err, out)
	}
	m := listenRE.FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no listen address:\n%s", logs.String())
	}
	resp, err := http.Get("http://" + m[1] + "/api/v1/notifications")
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Agent *struct {
			Listen  string            `json:"listen"`
			V3      bool              `json:"v3"`
			Refused notify.AgentStats `json:"refused"`
		} `json:"agent"`
	}
	err = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if err != nil || body.Agent == nil || body.Agent.Listen != target || !body.Agent.V3 || body.Agent.Refused.UnknownUserNames == 0 {
		t.Errorf("GET /api/v1/notifications: agent %+v (%v), want it on %s serving v3 with the old user's request counted", body.Agent, err, target)
	}
	resp, err = http.Get("http://" + m[1] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !regexp.MustCompile(`(?m)^ptpwatch_snmp_agent_refused_total\{reason="unknown_user"\} [1-9]`).Match(metrics) {
		t.Errorf("/metrics does not count the refused v3 user:\n%s", metrics)
	}
	l := logs.String()
	for _, want := range []string{"max_queue=5000", "max_queue=7000"} {
		if !strings.Contains(l, want) {
			t.Errorf("the log does not show %s applied:\n%s", want, l)
		}
	}
	if strings.Contains(l, "key=notify.") {
		t.Errorf("a [notify] setting is said to need a restart:\n%s", l)
	}
}

// reloadNotify sends the appliance SIGHUP and waits until its log shows
// the n-th reload of the notification channels.
func reloadNotify(t *testing.T, cmd *exec.Cmd, logs *safeBuffer, n int) {
	t.Helper()
	cmd.Process.Signal(syscall.SIGHUP)
	for deadline := time.Now().Add(20 * time.Second); strings.Count(logs.String(), "notification channels reloaded") < n; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("reload %d not logged:\n%s", n, logs.String())
		}
	}
}
