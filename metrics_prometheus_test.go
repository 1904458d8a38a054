package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/httpd/metrics"
)

// promResult is one series of a Prometheus instant query.
type promResult struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (r promResult) float(t *testing.T) float64 {
	s, _ := r.Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("value %v: %v", r.Value, err)
	}
	return v
}

// promQuery runs an instant query through Prometheus' HTTP API.
func promQuery(t *testing.T, prom, q string) []promResult {
	t.Helper()
	resp, err := http.Get(prom + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []promResult `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Status != "success" {
		t.Fatalf("query %s: %v %s %s", q, err, body.Status, body.Error)
	}
	return body.Data.Result
}

// TestPrometheusScrapesDemo starts Debian's Prometheus on the loopback
// scraping the demo appliance every second, waits for two scrapes, stops
// the capture so the model stands still, waits for a scrape of the still
// model, and checks through Prometheus' query API that grandmasters,
// clockClass, port states and message counts equal the REST API's.
func TestPrometheusScrapesDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the appliance and Prometheus")
	}
	promBin := needPrometheusTool(t, "prometheus")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ptpwatch.toml")
	if err := os.WriteFile(cfg, []byte("[demo]\nincidents = false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := startDemo(t, "-c", cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	promAddr := ln.Addr().String()
	ln.Close()
	promCfg := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(promCfg, []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: ptpwatch
    static_configs:
      - targets: [%q]
`, strings.TrimPrefix(base, "http://"))), 0o600)
	var logs safeBuffer
	cmd := exec.Command(promBin, "--config.file="+promCfg, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+promAddr, "--log.level=warn")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	prom := "http://" + promAddr
	ready := func() bool {
		resp, err := http.Get(prom + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); !ok(); time.Sleep(250 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 60 s; prometheus says:\n%s", what, logs.String())
			}
		}
	}
	waitFor("prometheus ready", ready)
	waitFor("two successful scrapes", func() bool {
		r := promQuery(t, prom, `sum_over_time(up{job="ptpwatch"}[1m])`)
		return len(r) == 1 && r[0].float(t) >= 2
	})

	// Stop the capture so counts stand still, then wait for a scrape of
	// the still model.
	req, _ := http.NewRequest("POST", base+"/api/v1/capture/stop", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 && resp.StatusCode != 204 {
		t.Fatalf("capture stop: %d", resp.StatusCode)
	}
	stopped := float64(time.Now().Add(2*time.Second).UnixNano()) / 1e9
	waitFor("a scrape after the capture stopped", func() bool {
		r := promQuery(t, prom, `timestamp(up{job="ptpwatch"})`)
		return len(r) == 1 && r[0].float(t) > stopped
	})

	var scopes []struct {
		Name        string `json:"name"`
		Grandmaster *struct {
			ID    string `json:"grandmasterIdentity"`
			Class uint8  `json:"clockClass"`
		} `json:"grandmaster"`
		Counts map[string]uint64 `json:"counts"`
	}
	var instances []struct {
		Scope string `json:"scope"`
		Port  string `json:"portIdentity"`
		State string `json:"portState"`
	}
	if err := json.Unmarshal(httpGet(t, base+"/api/v1/scopes"), &scopes); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(httpGet(t, base+"/api/v1/instances"), &instances); err != nil {
		t.Fatal(err)
	}
	byScope := func(q, label string) map[string]string {
		m := map[string]string{}
		for _, r := range promQuery(t, prom, q) {
			if label == "" {
				m[r.Metric["scope"]+"|"+r.Metric["type"]] = r.Value[1].(string)
			} else {
				m[r.Metric["scope"]] = r.Metric[label]
			}
		}
		return m
	}
	gms := byScope(`ptpwatch_scope_grandmaster_info`, "clock_identity")
	classes := map[string]string{}
	for _, r := range promQuery(t, prom, `ptpwatch_scope_grandmaster_clock_class`) {
		classes[r.Metric["scope"]] = r.Value[1].(string)
	}
	packets := byScope(`ptpwatch_packets_total`, "")
	var compared int
	for _, sc := range scopes {
		if sc.Grandmaster != nil {
			if gms[sc.Name] != sc.Grandmaster.ID {
				t.Errorf("%s: grandmaster %q in Prometheus, %q in the API", sc.Name, gms[sc.Name], sc.Grandmaster.ID)
			}
			if want := strconv.Itoa(int(sc.Grandmaster.Class)); classes[sc.Name] != want {
				t.Errorf("%s: clockClass %s in Prometheus, %s in the API", sc.Name, classes[sc.Name], want)
			}
		}
		for typ, n := range sc.Counts {
			if got, want := packets[sc.Name+"|"+typ], strconv.FormatUint(n, 10); got != want {
				t.Errorf("%s %s: %s messages in Prometheus, %s in the API", sc.Name, typ, got, want)
			}
			compared++
		}
	}
	states := map[string]string{}
	for _, r := range promQuery(t, prom, `ptpwatch_instance_port_state == 1`) {
		states[r.Metric["scope"]+"|"+r.Metric["port_identity"]] = r.Metric["state"]
	}
	for _, in := range instances {
		if got := states[in.Scope+"|"+in.Port]; got != in.State && in.State != "UNKNOWN" {
			t.Errorf("%s %s: state %q in Prometheus, %q in the API", in.Scope, in.Port, got, in.State)
		}
	}
	if len(scopes) < 5 || len(instances) < 10 || compared < 10 {
		t.Fatalf("compared too little: %d scopes, %d instances, %d counts", len(scopes), len(instances), compared)
	}
	t.Logf("Prometheus agrees with the API on %d scopes (grandmaster, clockClass), %d message counts and %d port states",
		len(scopes), compared, len(instances))
}

// TestGrafanaDashboard: tools/grafana/ptpwatch.json is a dashboard whose
// every query is valid PromQL (promtool checks them as recording rules,
// with the dashboard's variables filled in) over metrics ptpwatch exports.
func TestGrafanaDashboard(t *testing.T) {
	promtool := needPrometheusTool(t, "promtool")
	data, err := os.ReadFile(filepath.Join("tools", "grafana", "ptpwatch.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &d); err != nil || len(d.Panels) == 0 {
		t.Fatalf("dashboard: %v, %d panels", err, len(d.Panels))
	}
	known := map[string]bool{"ptpwatch_capture_dropped_frames_total": true}
	for _, f := range metrics.Model {
		known[f.Name] = true
	}
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	fill := strings.NewReplacer("$scope", ".*", "$__rate_interval", "5m")
	for i, p := range d.Panels {
		for _, tg := range p.Targets {
			expr := fill.Replace(tg.Expr)
			fmt.Fprintf(&rules, "      - record: dashboard_panel_%d\n        expr: %q\n", i, expr)
			for _, name := range regexp.MustCompile(`ptpwatch_[a-z0-9_]+`).FindAllString(expr, -1) {
				if !known[name] {
					t.Errorf("panel %q uses %s, which /metrics does not export", p.Title, name)
				}
			}
		}
	}
	file := filepath.Join(t.TempDir(), "dashboard_rules.yml")
	os.WriteFile(file, []byte(rules.String()), 0o600)
	out, err := exec.Command(promtool, "check", "rules", file).CombinedOutput()
	if err != nil {
		t.Errorf("promtool check rules on the dashboard's queries: %v\n%s\n%s", err, out, rules.String())
	}
	t.Logf("%d panels; promtool: %s", len(d.Panels), strings.Join(strings.Fields(string(out)), " "))
}
