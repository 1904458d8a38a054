package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReloadApplies: SIGHUP applies every reloadable setting it announces
// (model.state_terms reaches the API's settings, demo.speed the demo's
// pace) and names each changed restart-only setting in a warning.
func TestReloadApplies(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	cfg := filepath.Join(t.TempDir(), "ptpwatch.toml")
	write := func(terms, speed, maxConns string) {
		os.WriteFile(cfg, []byte("[demo]\nenabled = true\nspeed = "+speed+"\n[model]\nstate_terms = \""+terms+
			"\"\n[log]\nstats_interval = 0\n[http]\nlisten = \"127.0.0.1:0\"\nmax_conns = "+maxConns+"\n"), 0o644)
	}
	write("master-slave", "1.0", "0")
	cmd, logs, done := startBinary(t, "-c", cfg)
	waitLog(t, logs, done, "ptpwatch started")
	m := listenRE.FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no listen address:\n%s", logs.String())
	}
	base := "http://" + m[1]
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
	// rate is the demo's frames per second over a second and a half.
	rate := func() float64 {
		var c struct{ Counters map[string]uint64 }
		get("/api/v1/capture", &c)
		t0, n0 := time.Now(), c.Counters["received"]
		time.Sleep(1500 * time.Millisecond)
		get("/api/v1/capture", &c)
		return float64(c.Counters["received"]-n0) / time.Since(t0).Seconds()
	}
	before := rate()
	write("leader-follower", "16.0", "100")
	cmd.Process.Signal(syscall.SIGHUP)
	waitLog(t, logs, done, "configuration reloaded")
	if !strings.Contains(logs.String(), "key=http.max_conns") {
		t.Errorf("no warning naming http.max_conns:\n%s", logs.String())
	}
	var s struct{ StateTerms string }
	get("/api/v1/settings", &s)
	if s.StateTerms != "leader-follower" {
		t.Errorf("stateTerms after reload: %q", s.StateTerms)
	}
	for deadline := time.Now().Add(20 * time.Second); ; {
		after := rate()
		if after > 4*before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo at %.0f frames/s before and %.0f after speed 1 -> 16", before, after)
		}
	}
}
