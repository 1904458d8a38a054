package httpd

import (
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/httpd/metrics"
	"github.com/ptpwatch/ptpwatch/state"
)

// TestMetricsServer: /metrics with a store shows the store's families and
// counts answered requests by code; DropPerInstance leaves out exactly the
// per-instance families.
func TestMetricsServer(t *testing.T) {
	fx := newDashcamFixture(t)
	m := serveMem(t, Config{}, fx.done, memOpts{})
	m.get(t, "/api/v1/nonsense")
	body := string(m.get(t, "/metrics").body)
	for _, want := range []string{"ptpwatch_store_up 1\n", "ptpwatch_store_damaged_files 0\n", "ptpwatch_store_size_bytes ",
		`ptpwatch_store_incidents{state="complete"} 2` + "\n", `ptpwatch_http_requests_total{code="404"} 1` + "\n",
		"ptpwatch_build_info{", "ptpwatch_model_time_seconds ", "ptpwatch_instance_port_state{"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	base, _ := serve(t, Config{Metrics: MetricsConfig{DropPerInstance: true}}, shared(t))
	r := do(t, "GET", base+"/metrics", "")
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	for _, line := range strings.Split(string(r.body), "\n") {
		if strings.Contains(line, "ptpwatch_instance_") || strings.Contains(line, "ptpwatch_master_offset_seconds") {
			t.Fatalf("per-instance family with DropPerInstance: %q", line)
		}
	}
	if !strings.Contains(string(r.body), "ptpwatch_scope_grandmaster_info{") {
		t.Error("scope families dropped too")
	}
}

// bigBackend serves a synthetic 10,000-instance snapshot.
type bigBackend struct {
	*fixtureBackend
	snap *state.Snapshot
}

func (b *bigBackend) Snapshot() *state.Snapshot { return b.snap }

// BenchmarkMetricsServer10k is a whole GET /metrics of 10,000 instances
// through the server (snapshot tree, both registries, HTTP), beside GET
// /api/v1/scopes for scale.
func BenchmarkMetricsServer10k(b *testing.B) {
	bb := &bigBackend{fixtureBackend: shared(b), snap: metrics.SyntheticSnapshot(10_000)}
	base, _ := serve(b, Config{}, bb)
	for _, path := range []string{"/metrics", "/api/v1/scopes"} {
		b.Run(strings.TrimPrefix(path, "/"), func(b *testing.B) {
			b.ReportAllocs()
			var n int64
			cpu0 := processCPU()
			for b.Loop() {
				n = getDiscard(b, base+path)
			}
			b.SetBytes(n)
			// Process CPU (server and client both) per scrape: on a shared
			// machine wall time also counts other guests' turns.
			b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/scrape")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/scrape")
		})
	}
}

// getDiscard GETs url as a scraper does, reading the body without
// keeping it, and returns its length.
func getDiscard(b *testing.B, url string) int64 {
	b.Helper()
	resp, err := client.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != 200 {
		b.Fatalf("status %d", resp.StatusCode)
	}
	return n
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
