package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/httpd/metrics"
)

// needPrometheusTool returns the path of promtool or prometheus, installing
// Debian's prometheus package when it is missing and the test runs as
// root (as the Makefile's deps target does); otherwise the test skips.
func needPrometheusTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if os.Getuid() != 0 {
		t.Skipf("%s is missing and installing it needs root: apt-get install -y prometheus (or make deps)", name)
	}
	t.Logf("installing prometheus (apt-get install -y prometheus) for %s", name)
	cmd := exec.Command("apt-get", "install", "-y", "-q", "--no-install-recommends", "prometheus")
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("%s is missing and apt-get install prometheus failed: %v\n%s", name, err, lastLine(string(out)))
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s still missing after installing prometheus", name)
	}
	return p
}

// startDemo runs the demo appliance on a free loopback port with the
// given extra arguments and waits until the model has its five scopes.
func startDemo(t *testing.T, args ...string) string {
	t.Helper()
	bin := buildBinary(t)
	logs := &safeBuffer{}
	cmd := exec.Command(bin, append([]string{"--demo", "--http", "127.0.0.1:0"}, args...)...)
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	base := waitListen(t, logs)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if n := strings.Count(string(httpGet(t, base+"/metrics")), "ptpwatch_scope_info{"); n >= 5 {
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo's five scopes did not appear in /metrics within 20 s")
		}
	}
}

func httpGet(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return body
}

// TestMetricsPromtool has promtool check /metrics of the demo appliance,
// with per-instance families and without ([metrics] per_instance = false).
func TestMetricsPromtool(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	promtool := needPrometheusTool(t, "promtool")
	cfg := filepath.Join(t.TempDir(), "c.toml")
	if err := os.WriteFile(cfg, []byte("[metrics]\nper_instance = false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Management sweeps and a custom alarm add their families.
	parts := filepath.Join(t.TempDir(), "parts.toml")
	if err := os.WriteFile(parts, []byte("[management]\nenabled = true\ninterval = 5\n\n[[alarm]]\nname = \"gm-class\"\n"+
		"path = \"/api/v1/scopes/*/grandmaster/clockClass\"\ncondition = { op = \">\", value = \"6\" }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		args        []string
		perInstance bool
		families    []string
	}{{"per_instance", nil, true, nil}, {"scopes_only", []string{"-c", cfg}, false, nil},
		{"management_and_alarms", []string{"-c", parts}, true, []string{"ptpwatch_management_nodes{", "ptpwatch_management_sweeps_total ", `ptpwatch_alarm_instances{alarm="gm-class",state="active"} `}}} {
		t.Run(tc.name, func(t *testing.T) {
			base := startDemo(t, tc.args...)
			body := httpGet(t, base+"/metrics")
			// A sweep's nodes appear once its replies are in.
			for deadline := time.Now().Add(30 * time.Second); !containsAll(body, tc.families) && time.Now().Before(deadline); {
				time.Sleep(200 * time.Millisecond)
				body = httpGet(t, base+"/metrics")
			}
			cmd := exec.Command(promtool, "check", "metrics")
			cmd.Stdin = bytes.NewReader(body)
			out, err := cmd.CombinedOutput()
			if err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Errorf("promtool check metrics: %v\n%s", err, out)
			}
			for _, want := range []string{"ptpwatch_scope_grandmaster_info{", "ptpwatch_scope_grandmaster_clock_class{", "ptpwatch_build_info{",
				"ptpwatch_scope_grandmaster_changes_total{", "ptpwatch_packets_total{", "ptpwatch_pipeline_lag_seconds "} {
				if !bytes.Contains(body, []byte(want)) {
					t.Errorf("no %s", want)
				}
			}
			for _, want := range tc.families {
				if !bytes.Contains(body, []byte(want)) {
					t.Errorf("no %s", want)
				}
			}
			for _, fam := range []string{"ptpwatch_instance_port_state{", "ptpwatch_master_offset_seconds{", "ptpwatch_instance_sequence_gaps_total{"} {
				if got := bytes.Contains(body, []byte(fam)); got != tc.perInstance {
					t.Errorf("%s present: %v, want %v", fam, got, tc.perInstance)
				}
			}
			t.Logf("promtool check metrics: %d bytes, %d lines, no problems", len(body), bytes.Count(body, []byte("\n")))
		})
	}
}

// TestPrometheusRules: promtool accepts tools/prometheus/rules.yml and
// its unit tests (rules_test.yml) fire the grandmaster-changed and
// clockClass-degraded alerts on recorded series; every metric the rules
// use is one ptpwatch exports.
func TestPrometheusRules(t *testing.T) {
	promtool := needPrometheusTool(t, "promtool")
	dir := filepath.Join("tools", "prometheus")
	for _, args := range [][]string{{"check", "rules", "rules.yml"}, {"test", "rules", "rules_test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("SUCCESS")) {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		t.Logf("promtool %s: %s", strings.Join(args, " "), strings.Join(strings.Fields(string(out)), " "))
	}
	rules, err := os.ReadFile(filepath.Join(dir, "rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{"ptpwatch_capture_dropped_frames_total": true} // only with live capture
	for _, f := range metrics.Model {
		known[f.Name] = true
	}
	for _, name := range regexp.MustCompile(`ptpwatch_[a-z0-9_]+`).FindAllString(string(rules), -1) {
		if !known[name] {
			t.Errorf("rules.yml uses %s, which /metrics does not export", name)
		}
	}
}

func containsAll(body []byte, subs []string) bool {
	for _, s := range subs {
		if !bytes.Contains(body, []byte(s)) {
			return false
		}
	}
	return true
}
