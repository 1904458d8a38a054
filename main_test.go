package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode/dump"
	"github.com/ptpwatch/ptpwatch/httpd/config"
)

func TestDecodeCommandJSON(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"decode", "decode/testdata/fixture.pcapng", "--json"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	frames := 0
	var summary struct {
		Summary struct {
			Frames, PTP int
			Types       map[string]int
			Results     map[string]int
		}
	}
	for sc.Scan() {
		line := sc.Bytes()
		if bytes.HasPrefix(line, []byte(`{"summary"`)) {
			if err := json.Unmarshal(line, &summary); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var f dump.Frame
		if err := json.Unmarshal(line, &f); err != nil {
			t.Fatalf("line %d: %v", frames+1, err)
		}
		frames++
		if f.Frame != frames || f.Result != "ok" || f.Layers["ptp"] == nil && f.Layers["ptpv1"] == nil {
			t.Errorf("frame %d: %+v", frames, f)
		}
	}
	if summary.Summary.Frames != frames || summary.Summary.PTP != frames || summary.Summary.Results["ok"] != frames {
		t.Errorf("summary %+v for %d frames", summary.Summary, frames)
	}
	if summary.Summary.Types["PTPv2 Sync"] == 0 || summary.Summary.Types["PTPv2 Management"] == 0 {
		t.Errorf("summary types %v", summary.Summary.Types)
	}
}

func TestDecodeCommandText(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"decode", "-v", "decode/testdata/fixture.pcapng"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	s := out.String()
	for _, want := range []string{"PTPv2 Announce", "grandmasterIdentity: ", "frames,", "vlan 4094", "UDP/IPv6"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestDecodeCommandErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pcap")
	os.WriteFile(garbage, []byte("this is not a capture file at all"), 0o644)
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"decode"}, exitUsage, "exactly one capture file"},
		{[]string{"decode", "a", "b"}, exitUsage, "exactly one capture file"},
		{[]string{"decode", "--bogus", "x"}, exitUsage, "flag provided but not defined"},
		{[]string{"decode", filepath.Join(dir, "missing.pcap")}, exitError, "no such file"},
		{[]string{"decode", garbage}, exitError, garbage},
		{[]string{"frobnicate"}, exitUsage, "unknown command"},
		{nil, exitUsage, "no frame source"},
		{[]string{"-e", "capture:nosuch"}, exitUsage, "no such setting"},
		{[]string{"--bogus"}, exitUsage, "flag provided but not defined"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(tt.args, &out, &errb)
		if code != tt.code || !strings.Contains(errb.String(), tt.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, errb.String(), tt.code, tt.msg)
		}
	}
}

func TestAnalyzeCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"analyze", "decode/testdata/fixture.pcapng", "--json"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var a struct {
		Frames struct{ Received, Decoded uint64 }
		Model  struct {
			Scopes  []struct{ Name string }
			Devices []struct {
				ClockIdentity string
				Roles         []struct{ Role string }
			}
		}
		Events []struct{ Type string }
	}
	if err := json.Unmarshal(out.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	if a.Frames.Received == 0 || a.Frames.Decoded != a.Frames.Received {
		t.Errorf("frames %+v", a.Frames)
	}
	if len(a.Model.Scopes) < 10 || len(a.Model.Devices) < 3 || len(a.Events) == 0 {
		t.Errorf("model too small: %d scopes, %d devices, %d events", len(a.Model.Scopes), len(a.Model.Devices), len(a.Events))
	}
	out.Reset()
	if code := run([]string{"analyze", "decode/testdata/fixture.pcapng"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"SCOPES", "DEVICES", "INSTANCES", "HIERARCHY", "EVENTS", "seg0 v1 subdomain _DFLT UDP/IPv4", "Scope Detected"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text output lacks %q", want)
		}
	}
	errb.Reset()
	if code := run([]string{"analyze", "/nonexistent.pcap"}, &out, &errb); code != exitError || !strings.Contains(errb.String(), "nonexistent") {
		t.Errorf("missing file: exit %d, %q", code, errb.String())
	}
}

func TestConfigFlags(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-O"}, &out, &errb); code != exitOK {
		t.Fatalf("-O: exit %d", code)
	}
	// The printed defaults are config.DefaultText, which config's tests
	// parse back to config.Default.
	if out.String() != config.DefaultText() {
		t.Error("-O does not print config.DefaultText")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "ptpwatch.toml")
	os.WriteFile(file, out.Bytes(), 0o644)
	out.Reset()
	if code := run([]string{"-e", "capture:method"}, &out, &errb); code != exitOK || !strings.Contains(out.String(), "af_xdp") {
		t.Errorf("-e capture:method: exit %d %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"-k", "-c", file}, &out, &errb); code != exitOK || !strings.Contains(out.String(), "OK") {
		t.Errorf("-k: exit %d %q %q", code, out.String(), errb.String())
	}
	bad := []struct{ text, msg string }{
		{"[capture]\nmethod = \"pcap\"\n", "capture.method"},
		{"[capture]\nmethd = \"auto\"\n", "unknown setting"},
		{"[model]\nshards = 0\n", "model.shards"},
		{"[http]\nlisten = \"nonsense\"\n", "http.listen"},
		{"[log\nlevel=1", "line 1"},
		{"[management]\ninterval = 4\n", "management.interval = 4: allowed 5-86400"},
		{"[management]\ndomains = \"0,1-5,300\"\n", "management.domains"},
		{"[management]\nboundary_hops = 65\n", "management.boundary_hops = 65: allowed 1-64"},
	}
	for _, b := range bad {
		os.WriteFile(file, []byte(b.text), 0o644)
		errb.Reset()
		if code := run([]string{"-k", "-c", file}, &out, &errb); code != exitConfig || !strings.Contains(errb.String(), b.msg) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", b.text, code, errb.String(), exitConfig, b.msg)
		}
	}
}

func TestReplayAppliance(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"--replay", "decode/testdata/fixture.pcapng", "--exit-after-replay", "--http", "127.0.0.1:0"}, &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"ptpwatch started", "frame source finished", "received=242", "Scope Detected"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

// TestSignals runs the appliance binary on the demo network and checks the
// Unix conventions: SIGHUP reloads the configuration without losing the
// model, SIGUSR2 logs the counters, SIGTERM stops cleanly with exit 0.
func TestSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := buildBinary(t)
	cfg := filepath.Join(dir, "ptpwatch.toml")
	os.WriteFile(cfg, []byte("[demo]\nenabled = true\nspeed = 4.0\n[log]\nstats_interval = 0\n[http]\nlisten = \"127.0.0.1:0\"\n"), 0o644)
	var logs safeBuffer
	cmd := exec.Command(bin, "-c", cfg)
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitFor := func(what string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(logs.String(), what) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in the log:\n%s", what, logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFor("Scope Detected")
	time.Sleep(time.Second)
	os.WriteFile(cfg, []byte("[demo]\nenabled = true\nspeed = 4.0\n[log]\nstats_interval = 0\nlevel = \"debug\"\n[http]\nlisten = \"127.0.0.1:0\"\n"), 0o644)
	cmd.Process.Signal(syscall.SIGHUP)
	waitFor("configuration reloaded")
	if !strings.Contains(logs.String(), "log.level=debug") {
		t.Errorf("reload did not apply log.level:\n%s", logs.String())
	}
	cmd.Process.Signal(syscall.SIGUSR2)
	waitFor("why=SIGUSR2")
	// The model survived the reload: the dump after it still knows the scopes.
	if !strings.Contains(logs.String(), "scopes=5") {
		t.Errorf("SIGUSR2 dump lacks the demo's five scopes:\n%s", logs.String())
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit 10 s after SIGTERM")
	}
	if !strings.Contains(logs.String(), "why=final") {
		t.Errorf("no final counters:\n%s", logs.String())
	}
}

// safeBuffer is a bytes.Buffer safe for the writer goroutine exec starts.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
