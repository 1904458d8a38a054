package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestManagementReload: -k and SIGHUP refuse an out-of-range or malformed
// [management] or [master_check] value with its key, the value and the
// allowed range, keeping the running settings; a valid change is applied
// by SIGHUP to the running sweeps and master check (the demo answers
// management, so its Manager runs).
func TestManagementReload(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ptpwatch.toml")
	write := func(body string) {
		os.WriteFile(cfg, []byte("[demo]\nenabled = true\n[log]\nstats_interval = 0\n[http]\nlisten = \"127.0.0.1:0\"\n"+body), 0o644)
	}
	bad := []struct{ body, want string }{
		{"[management]\ninterval = 4\n", `management.interval`},
		{"[management]\nipv6_scope = 3\n", `management.ipv6_scope`},
		{"[management]\ndomains = \"0,300\"\n", `management.domains`},
		{"[management]\nversion = \"v3\"\n", `management.version`},
		{"[management]\ndrop_after_days = 3651\n", `management.drop_after_days`},
		{"[master_check]\ninterval = 70000\n", `master_check.interval`},
	}
	// -k refuses each with the key, the value and what is allowed.
	wants := map[string][]string{
		"management.interval": {"4", "5-86400"}, "management.ipv6_scope": {"3", "14 (global)"}, "management.domains": {"0,300"},
		"management.version": {"v3", "any, v1, v2"}, "management.drop_after_days": {"3651", "1-3650"}, "master_check.interval": {"70000", "0-65535"},
	}
	bin := buildBinary(t)
	for _, b := range bad {
		write(b.body)
		out, err := exec.Command(bin, "-k", "-c", cfg).CombinedOutput()
		if err == nil {
			t.Errorf("-k accepted %q", b.body)
			continue
		}
		for _, w := range append([]string{b.want}, wants[b.want]...) {
			if !strings.Contains(string(out), w) {
				t.Errorf("-k on %q: output lacks %q:\n%s", b.body, w, out)
			}
		}
	}

	write("[management]\ninterval = 30\n[master_check]\ninterval = 0\n")
	cmd, logs, done := startBinary(t, "-c", cfg)
	waitLog(t, logs, done, "ptpwatch started")
	m := listenRE.FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no listen address:\n%s", logs.String())
	}
	base := "http://" + m[1]
	type mgmt struct {
		Settings struct {
			Interval int
			Domains  string
			Version  string
		}
	}
	type masters struct{ Settings struct{ Interval int } }
	get := func(path string, v any) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	for i, b := range bad {
		write(b.body)
		before := strings.Count(logs.String(), "reload failed")
		cmd.Process.Signal(syscall.SIGHUP)
		waitLogCount(t, logs, done, "reload failed", before+1)
		line := lastLineWith(logs.String(), "reload failed")
		for _, w := range append([]string{b.want}, wants[b.want]...) {
			if !strings.Contains(line, w) {
				t.Errorf("SIGHUP %d on %q: log lacks %q: %s", i, b.body, w, line)
			}
		}
	}
	var s mgmt
	get("/api/v1/management", &s)
	var ms masters
	get("/api/v1/management/masters", &ms)
	if s.Settings.Interval != 30 || ms.Settings.Interval != 0 {
		t.Errorf("after refused reloads: interval %d, master check %d; want 30 and 0 kept", s.Settings.Interval, ms.Settings.Interval)
	}

	write("[management]\ninterval = 60\ndomains = \"0,1-5\"\nversion = \"v1\"\n[master_check]\ninterval = 3\n")
	before := strings.Count(logs.String(), "configuration reloaded")
	cmd.Process.Signal(syscall.SIGHUP)
	waitLogCount(t, logs, done, "configuration reloaded", before+1)
	get("/api/v1/management", &s)
	get("/api/v1/management/masters", &ms)
	if s.Settings.Interval != 60 || s.Settings.Domains != "0,1-5" || s.Settings.Version != "v1" || ms.Settings.Interval != 3 {
		t.Errorf("after the reload: %+v, master check %+v", s.Settings, ms.Settings)
	}
	if strings.Contains(logs.String(), "key=management.interval") {
		t.Errorf("management.interval named as restart-only:\n%s", logs.String())
	}
}

// waitLogCount waits until want occurs n times in the log.
func waitLogCount(t *testing.T, logs *safeBuffer, done <-chan error, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(logs.String(), want) < n {
		select {
		case err := <-done:
			t.Fatalf("exited (%v) before %q:\n%s", err, want, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q not %d times in the log after 20 s:\n%s", want, n, logs.String())
		}
	}
}

// lastLineWith returns the last log line holding s.
func lastLineWith(log, s string) string {
	lines := strings.Split(log, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], s) {
			return lines[i]
		}
	}
	return ""
}
