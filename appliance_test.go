package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/xdp/netlab"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// buildBinary builds ptpwatch once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ptpwatch-test-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "ptpwatch")
		if out, err := exec.Command("go", "build", "-o", builtBin, ".").CombinedOutput(); err != nil {
			buildErr = err
			builtBin = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build: %v\n%s", buildErr, builtBin)
	}
	return builtBin
}

var listenRE = regexp.MustCompile(`http=http://([0-9.:]+)/`)

// TestApplianceServesAPI runs the demo appliance on a free loopback port and
// reads its API: the demo's scopes and devices appear, wildcards answer, a
// buffer clear through the pipeline empties the buffer.
func TestApplianceServesAPI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	var logs safeBuffer
	cmd := exec.Command(bin, "--demo", "--http", "127.0.0.1:0")
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var base string
	for deadline := time.Now().Add(20 * time.Second); base == ""; time.Sleep(50 * time.Millisecond) {
		if m := listenRE.FindStringSubmatch(logs.String()); m != nil {
			base = "http://" + m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listen address in the log:\n%s", logs.String())
		}
	}
	get := func(path string, into any) int {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if into != nil && resp.StatusCode == 200 {
			if err := json.Unmarshal(body, into); err != nil {
				t.Fatalf("GET %s: %v\n%s", path, err, body)
			}
		}
		return resp.StatusCode
	}
	// The demo has five scopes; wait until the model has published them.
	var scopes []string
	for deadline := time.Now().Add(20 * time.Second); len(scopes) < 5; time.Sleep(200 * time.Millisecond) {
		scopes = nil
		get("/api/v1/scopes/*/name", &scopes)
		if time.Now().After(deadline) {
			t.Fatalf("scopes after 20 s: %v", scopes)
		}
	}
	var ids []string
	if code := get("/api/v1/devices/*/clockIdentity", &ids); code != 200 || len(ids) < 10 {
		t.Fatalf("devices: status %d, %d clockIdentities", code, len(ids))
	}
	// The demo answers management: the plan covers its scopes.
	var plan struct {
		Frames int `json:"frames"`
	}
	if code := get("/api/v1/management/plan", &plan); code != 200 || plan.Frames < 4 {
		t.Errorf("management plan: status %d, %d frames", code, plan.Frames)
	}
	if code := get("/api/v1/nonsense", nil); code != 404 {
		t.Errorf("unknown path: status %d, want 404", code)
	}
	var capture struct {
		Status struct {
			Sources []struct {
				Kind    string `json:"kind"`
				Running bool   `json:"running"`
			} `json:"sources"`
		} `json:"status"`
		Counters map[string]uint64 `json:"counters"`
		Buffer   struct {
			Frames     int    `json:"frames"`
			FirstFrame uint64 `json:"firstFrame"`
		} `json:"buffer"`
	}
	get("/api/v1/capture", &capture)
	if len(capture.Status.Sources) != 1 || capture.Status.Sources[0].Kind != "demo" || !capture.Status.Sources[0].Running {
		t.Errorf("capture status: %+v", capture.Status)
	}
	if capture.Counters["received"] == 0 || capture.Buffer.Frames == 0 {
		t.Fatalf("capture: %+v", capture)
	}
	before := capture.Buffer.Frames
	resp, err := http.Post(base+"/api/v1/capture/clear", "application/json", bytes.NewReader(nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("capture/clear: status %d", resp.StatusCode)
	}
	get("/api/v1/capture", &capture)
	if capture.Buffer.Frames >= before || capture.Buffer.FirstFrame == 1 {
		t.Errorf("after clear the buffer holds %d frames from #%d (before: %d)", capture.Buffer.Frames, capture.Buffer.FirstFrame, before)
	}
	// Stop and start capture over the API: while stopped nothing is
	// received; the model and buffer stay.
	post := func(path string) int {
		t.Helper()
		resp, err := http.Post(base+path, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("/api/v1/capture/stop"); code != 200 {
		t.Fatalf("capture/stop: %d", code)
	}
	if code := post("/api/v1/capture/stop"); code != 409 {
		t.Errorf("second capture/stop: %d, want 409", code)
	}
	get("/api/v1/capture", &capture)
	stopped := capture.Counters["received"]
	if capture.Status.Sources[0].Running {
		t.Errorf("running after stop: %+v", capture.Status)
	}
	time.Sleep(500 * time.Millisecond)
	get("/api/v1/capture", &capture)
	if capture.Counters["received"] != stopped {
		t.Errorf("received grew from %d to %d while stopped", stopped, capture.Counters["received"])
	}
	if code := post("/api/v1/capture/start"); code != 200 {
		t.Fatalf("capture/start: %d", code)
	}
	time.Sleep(500 * time.Millisecond)
	get("/api/v1/capture", &capture)
	if !capture.Status.Sources[0].Running || capture.Counters["received"] == stopped {
		t.Errorf("after start: running %v, received %d (was %d)", capture.Status.Sources[0].Running, capture.Counters["received"], stopped)
	}
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGINT: %v\n%s", err, logs.String())
	}
}

// TestApplianceHTTPSOnly serves the API over HTTPS alone with a generated
// certificate kept in a directory.
func TestApplianceHTTPSOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.toml")
	os.WriteFile(cfg, []byte("[demo]\nenabled = true\n[http]\nenabled = false\nhttps = true\nhttps_listen = \"127.0.0.1:0\"\nself_signed_dir = \""+dir+"/tls\"\n"), 0o644)
	var logs safeBuffer
	cmd := exec.Command(bin, "-c", cfg)
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var url string
	for deadline := time.Now().Add(20 * time.Second); url == ""; time.Sleep(50 * time.Millisecond) {
		if m := httpsRE.FindStringSubmatch(logs.String()); m != nil {
			url = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no https address in the log:\n%s", logs.String())
		}
	}
	if strings.Contains(logs.String(), "http=http") {
		t.Errorf("plain HTTP served although disabled:\n%s", logs.String())
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Get(url + "api/v1/capture")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("GET over HTTPS: %d", resp.StatusCode)
	}
	if _, err := os.Stat(filepath.Join(dir, "tls")); err != nil {
		t.Errorf("self-signed certificate not kept: %v", err)
	}
	cmd.Process.Signal(syscall.SIGHUP)
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit: %v\n%s", err, logs.String())
	}
}

var httpsRE = regexp.MustCompile(`https=(https://[0-9.:]+/)`)

// TestApplianceRefusesOpenNetworkAPI: on a non-loopback address without
// credentials the appliance does not start.
func TestApplianceRefusesOpenNetworkAPI(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"--demo", "--http", "0.0.0.0:0"}, &out, &errb)
	if code != exitConfig || !strings.Contains(errb.String(), "without credentials") {
		t.Fatalf("exit %d, stderr:\n%s", code, errb.String())
	}
}

// TestPasswdMakesWorkingCredentials: passwd's lines are accepted by the
// config check and let the appliance listen beyond the loopback.
func TestPasswdMakesWorkingCredentials(t *testing.T) {
	var out, errb bytes.Buffer
	if code := cmdPasswd([]string{"--role", "admin", "alice"}, strings.NewReader("correct horse\n"), &out, &errb); code != exitOK {
		t.Fatalf("passwd: exit %d: %s", code, errb.String())
	}
	userLine := lastLine(out.String())
	out.Reset()
	if code := cmdPasswd([]string{"--token", "nms"}, nil, &out, &errb); code != exitOK {
		t.Fatalf("passwd --token: exit %d: %s", code, errb.String())
	}
	tokenLine := lastLine(out.String())
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.toml")
	os.WriteFile(cfg, []byte("[http]\nlisten = \"0.0.0.0:8319\"\nusers = ["+userLine+"]\ntokens = ["+tokenLine+"]\nallow = [\"10.0.0.0/8\", \"::1\"]\nhosts = [\"ptp.example.net\", \"[2001:db8::1]\", \"*\"]\n"), 0o644)
	out.Reset()
	errb.Reset()
	if code := run([]string{"-k", "-c", cfg}, &out, &errb); code != exitOK {
		t.Fatalf("config with passwd's lines: exit %d: %s", code, errb.String())
	}
	for _, bad := range []struct{ line, msg string }{
		{`users = ["bob:admin:hunter2"]`, "bcrypt hash"},
		{`users = ["bob:boss:$2a$10$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY"]`, "role"},
		{`tokens = ["x:admin:1234"]`, "64 hex"},
		{`allow = ["10.0.0.0/33"]`, "http.allow[0]"},
		{`hosts = ["ptp.example.net", "http://ptp.example.net:8319/"]`, "http.hosts[1]"},
		{`hosts = ["ptp.example.net:8319"]`, "http.hosts[0]"},
	} {
		os.WriteFile(cfg, []byte("[http]\n"+bad.line+"\n"), 0o644)
		errb.Reset()
		if code := run([]string{"-k", "-c", cfg}, &out, &errb); code != exitConfig || !strings.Contains(errb.String(), bad.msg) {
			t.Errorf("%s: exit %d, want %d with %q:\n%s", bad.line, code, exitConfig, bad.msg, errb.String())
		}
	}
	if code := cmdPasswd([]string{"alice"}, strings.NewReader("short\n"), &out, &errb); code != exitUsage {
		t.Errorf("short password: exit %d", code)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestApplianceLiveCapture runs ptpwatch -i on the near end of a veth whose
// far end, in a namespace of the test's own, carries a free-running ptp4l
// master: the API shows its scope and grandmaster and the capture status;
// deleting the veth raises Interface Down, and re-creating it Interface Up.
func TestApplianceLiveCapture(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	netlab.Need(t, "live capture in a namespace")
	netlab.NeedTools(t, "ptp4l", "capsh")
	bin := buildBinary(t)
	p := netlab.NewPair(t, netlab.Options{Prefix: "pwl", FarAddr: "10.80.0.2/24", NearInTest: true})
	near := p.NearIf
	var ptp *netlab.Proc
	startPTP := func() {
		ptp = p.Lab().PTP4L(p.Far, "ptp4l", p.FarIf, "masterOnly 1\nnetwork_transport UDPv4\nlogAnnounceInterval -2\nlogSyncInterval -3\n")
	}
	stopPTP := func() { ptp.Stop() }
	startPTP()
	defer func() { stopPTP() }()

	var logs safeBuffer
	cmd := exec.Command(bin, "-i", near, "--http", "127.0.0.1:0")
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	base0 := waitListen(t, &logs)
	getJSON := func(path string, into any) {
		t.Helper()
		resp, err := http.Get(base0 + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		if err := json.Unmarshal(body, into); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	waitUntil := func(what string, d time.Duration, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(d); !ok(); time.Sleep(200 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no %s after %v; log:\n%s", what, d, logs.String())
			}
		}
	}
	var gms []string
	waitUntil("grandmaster in the API", 20*time.Second, func() bool {
		gms = nil
		getJSON("/api/v1/scopes/*/grandmaster/grandmasterIdentity", &gms)
		return len(gms) == 1
	})
	var capture struct {
		Status struct {
			Interfaces []struct {
				Interface string `json:"interface"`
				Method    string `json:"method"`
				Reason    string `json:"reason"`
				State     string `json:"state"`
			} `json:"interfaces"`
		} `json:"status"`
	}
	getJSON("/api/v1/capture", &capture)
	if ifs := capture.Status.Interfaces; len(ifs) != 1 || ifs[0].Interface != near || ifs[0].State != "capturing" || ifs[0].Reason == "" {
		t.Errorf("capture status: %+v", capture.Status)
	} else {
		t.Logf("capturing with %s: %s", ifs[0].Method, ifs[0].Reason)
		// /metrics accounts for the interface's frames.
		resp, err := http.Get(base0 + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{
			fmt.Sprintf(`ptpwatch_capture_received_frames_total{interface=%q,method=%q} `, near, ifs[0].Method),
			fmt.Sprintf(`ptpwatch_capture_dropped_frames_total{interface=%q,method=%q,cause="handoff"} `, near, ifs[0].Method),
		} {
			if !strings.Contains(string(body), want) {
				t.Errorf("/metrics lacks %q", want)
			}
		}
		// promtool accepts a live capture's families too (capture, drops
		// per cause, interface), not only the demo's.
		t.Run("promtool", func(t *testing.T) {
			promtool := needPrometheusTool(t, "promtool")
			cmd := exec.Command(promtool, "check", "metrics")
			cmd.Stdin = bytes.NewReader(body)
			if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("promtool check metrics of a live capture: %v\n%s", err, out)
			}
		})
	}
	eventsOf := func(typ string) int {
		var evs struct{ Events []map[string]any }
		getJSON("/api/v1/events?type="+strings.ReplaceAll(typ, " ", "%20"), &evs)
		return len(evs.Events)
	}
	stopPTP()
	p.Unlink()
	waitUntil("Interface Down event", 10*time.Second, func() bool { return eventsOf("Interface Down") == 1 })
	p.Link()
	startPTP()
	waitUntil("Interface Up event after the veth came back", 15*time.Second, func() bool { return eventsOf("Interface Up") == 2 })
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit: %v\n%s", err, logs.String())
	}
}

// waitListen returns the base URL the appliance logged.
func waitListen(t *testing.T, logs *safeBuffer) string {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if m := listenRE.FindStringSubmatch(logs.String()); m != nil {
			return "http://" + m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listen address in the log:\n%s", logs.String())
		}
	}
}

// TestApplianceDashcam runs the demo fast with --data: the scripted
// grandmaster failover records an incident that `ptpwatch export` lists
// and exports after the appliance stops; device metadata set over the API
// and the event log survive a restart.
func TestApplianceDashcam(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := filepath.Join(dir, "c.toml")
	os.WriteFile(cfg, []byte("[demo]\nenabled = true\nspeed = 30.0\n[dashcam]\npre_seconds = 10\npost_seconds = 10\n[log]\nstats_interval = 0\n"), 0o644)
	start := func() (*exec.Cmd, *safeBuffer, string) {
		var logs safeBuffer
		cmd := exec.Command(bin, "-c", cfg, "--data", data, "--http", "127.0.0.1:0")
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill() })
		return cmd, &logs, waitListen(t, &logs)
	}
	stop := func(cmd *exec.Cmd, logs *safeBuffer) {
		cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("exit: %v\n%s", err, logs.String())
		}
	}
	cmd, logs, base := start()
	// The failover comes 60 s into the demo: 2 s at speed 30.
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(logs.String(), `msg="Grandmaster Changed"`); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no Grandmaster Changed:\n%s", logs.String())
		}
	}
	const clock = "ec4670.fffe.00a101"
	req, _ := http.NewRequest(http.MethodPut, base+"/api/v1/devices/"+clock+"/metadata",
		strings.NewReader(`{"alias":"rack 7 grandmaster","location":"LD4 cage 12"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("PUT metadata: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest(http.MethodPut, base+"/api/v1/settings", strings.NewReader(`{"stateTerms":"leader-follower"}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, err = http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("PUT settings: %v %v", err, resp)
	}
	resp.Body.Close()
	// A manual trigger through the CLI, and the incident over the API.
	var tout, terr bytes.Buffer
	if code := run([]string{"trigger", "--api", base, "--note", "checking the CLI"}, &tout, &terr); code != exitOK {
		t.Fatalf("trigger: %d %s", code, terr.String())
	}
	if !strings.Contains(tout.String(), "incident ") {
		t.Errorf("trigger said %q", tout.String())
	}
	time.Sleep(2 * time.Second) // past the post-trigger window (10 s at speed 30)
	resp, err = http.Get(base + "/api/v1/incidents")
	if err != nil {
		t.Fatal(err)
	}
	incidentsJSON, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(incidentsJSON), "checking the CLI") || !strings.Contains(string(incidentsJSON), "Grandmaster Changed") {
		t.Errorf("incidents over the API: %s", incidentsJSON)
	}
	eventCount := func(base string) int {
		resp, err := http.Get(base + "/api/v1/events?type=Scope%20Detected")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var evs struct{ Events []json.RawMessage }
		json.NewDecoder(resp.Body).Decode(&evs)
		return len(evs.Events)
	}
	type listed struct {
		ID       uint64
		State    string
		Frames   uint64
		Triggers []struct{ Type string }
	}
	// failover lists the incidents with `ptpwatch export` and returns the
	// failover's, complete, and what export said on stderr.
	failover := func(args ...string) (listed, string) {
		var out, errb bytes.Buffer
		if code := run(append([]string{"export", "--list", "--json"}, args...), &out, &errb); code != exitOK {
			t.Fatalf("export --list %q: %d %s", args, code, errb.String())
		}
		var incidents []listed
		if err := json.Unmarshal(out.Bytes(), &incidents); err != nil {
			t.Fatalf("export --list --json: %v\n%s", err, out.String())
		}
		for _, inc := range incidents {
			for _, tr := range inc.Triggers {
				if tr.Type == "Grandmaster Changed" && inc.State == "complete" && inc.Frames > 0 {
					return inc, errb.String()
				}
			}
		}
		t.Fatalf("no complete incident for the failover: %s\n%s", out.String(), logs.String())
		return listed{}, ""
	}
	exportTo := func(file string, id uint64, args ...string) string {
		var out, errb bytes.Buffer
		if code := run(append([]string{"export", fmt.Sprint(id), "-o", file}, args...), &out, &errb); code != exitOK {
			t.Fatalf("export %q: %d %s", args, code, errb.String())
		}
		return errb.String()
	}
	// While the appliance runs it holds the store: export goes through
	// the API the appliance recorded in it, and says so.
	gm, said := failover("--data", data)
	if !strings.Contains(said, "in use by the running appliance") || !strings.Contains(said, base) {
		t.Errorf("export --list on a running appliance's store said %q", said)
	}
	liveFile := filepath.Join(dir, "gm-live.pcapng")
	if said := exportTo(liveFile, gm.ID, "--data", data); !strings.Contains(said, fmt.Sprintf("%d frames", gm.Frames)) {
		t.Errorf("export through the API said %q, want %d frames", said, gm.Frames)
	}
	before := eventCount(base)
	stop(cmd, logs)

	gm, _ = failover("--data", data)
	file := filepath.Join(dir, "gm.pcapng")
	exportTo(file, gm.ID, "--data", data)
	stored, err := os.ReadFile(file)
	if err != nil || len(stored) < int(gm.Frames)*60 {
		t.Fatalf("exported file: %d bytes, %v", len(stored), err)
	}
	if live, _ := os.ReadFile(liveFile); !bytes.Equal(live, stored) {
		t.Errorf("the export through the API (%d bytes) differs from the one from the stopped store (%d bytes)", len(live), len(stored))
	}

	// Restart: metadata and events are still there.
	cmd, logs, base = start()
	resp, err = http.Get(base + "/api/v1/devices/" + clock + "/metadata")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "rack 7 grandmaster") {
		t.Errorf("metadata after restart: %d %s", resp.StatusCode, body)
	}
	resp, err = http.Get(base + "/api/v1/settings")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"leader-follower"`) {
		t.Errorf("settings after restart: %s", body)
	}
	time.Sleep(500 * time.Millisecond)
	if after := eventCount(base); after < before+5 {
		t.Errorf("Scope Detected events: %d before the restart, %d after (want the old ones kept and new ones added)", before, after)
	}
	stop(cmd, logs)
}
