package metrics

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

type src struct{ n int }

// TestTextFormat checks the exposition text of small registries, byte for
// byte: HELP and TYPE once per family, escaping, values, selection.
func TestTextFormat(t *testing.T) {
	one := func(f Family[src]) Registry[src] { return Registry[src]{f} }
	cases := []struct {
		name string
		reg  Registry[src]
		opt  Options
		want string
	}{
		{"counter without labels", one(Family[src]{Name: "a_total", Type: Counter, Help: "A.",
			Collect: func(s src, e *Emitter) { e.Sample(float64(s.n)) }}), Options{},
			"# HELP a_total A.\n# TYPE a_total counter\na_total 3\n"},
		{"gauge with labels, two series, one header", one(Family[src]{Name: "g_seconds", Type: Gauge, Unit: "seconds", Help: "G.", Labels: []string{"x", "y"},
			Collect: func(s src, e *Emitter) { e.Sample(0.5, "1", "2"); e.Sample(-1.25e-9, "3", "") }}), Options{},
			"# HELP g_seconds G.\n# TYPE g_seconds gauge\ng_seconds{x=\"1\",y=\"2\"} 0.5\ng_seconds{x=\"3\",y=\"\"} -1.25e-09\n"},
		{"label value escaping", one(Family[src]{Name: "e", Type: Gauge, Help: "E.", Labels: []string{"v"},
			Collect: func(s src, e *Emitter) { e.Sample(1, "q\"b\\s\nn") }}), Options{},
			"# HELP e E.\n# TYPE e gauge\ne{v=\"q\\\"b\\\\s\\nn\"} 1\n"},
		{"help escaping keeps quotes", one(Family[src]{Name: "h", Type: Gauge, Help: "say \"x\"\\y\nz",
			Collect: func(s src, e *Emitter) {}}), Options{},
			"# HELP h say \"x\"\\\\y\\nz\n# TYPE h gauge\n"},
		{"info and state set are gauges", Registry[src]{
			{Name: "i_info", Type: Info, Help: "I.", Labels: []string{"k"}, Collect: func(s src, e *Emitter) { e.Sample(1, "v") }},
			{Name: "st", Type: StateSet, Help: "S.", Labels: []string{"st"}, Collect: func(s src, e *Emitter) { e.Sample(1, "A"); e.Sample(0, "B") }}}, Options{},
			"# HELP i_info I.\n# TYPE i_info gauge\ni_info{k=\"v\"} 1\n# HELP st S.\n# TYPE st gauge\nst{st=\"A\"} 1\nst{st=\"B\"} 0\n"},
		{"special values", one(Family[src]{Name: "v", Type: Gauge, Help: "V.", Labels: []string{"k"},
			Collect: func(s src, e *Emitter) {
				e.Sample(math.NaN(), "nan")
				e.Sample(math.Inf(1), "inf")
				e.Sample(math.Inf(-1), "-inf")
				e.Sample(1e15, "big")
				e.Sample(123456789012, "int")
			}}), Options{},
			"# HELP v V.\n# TYPE v gauge\nv{k=\"nan\"} NaN\nv{k=\"inf\"} +Inf\nv{k=\"-inf\"} -Inf\nv{k=\"big\"} 1e+15\nv{k=\"int\"} 123456789012\n"},
		{"per-instance dropped", Registry[src]{
			{Name: "p", Type: Gauge, Help: "P.", PerInstance: true, Collect: func(s src, e *Emitter) { e.Sample(1) }},
			{Name: "q", Type: Gauge, Help: "Q.", Collect: func(s src, e *Emitter) { e.Sample(2) }}}, Options{PerInstance: false},
			"# HELP q Q.\n# TYPE q gauge\nq 2\n"},
		{"per-instance kept", one(Family[src]{Name: "p", Type: Gauge, Help: "P.", PerInstance: true,
			Collect: func(s src, e *Emitter) { e.Sample(1) }}), Options{PerInstance: true},
			"# HELP p P.\n# TYPE p gauge\np 1\n"},
		{"When false leaves no header", one(Family[src]{Name: "w", Type: Gauge, Help: "W.", When: func(s src) bool { return s.n > 5 },
			Collect: func(s src, e *Emitter) { e.Sample(1) }}), Options{}, ""},
	}
	for _, c := range cases {
		if got := string(c.reg.Write(nil, src{3}, c.opt)); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

// boundedLabels are the label names a model family may use: none of them
// grows without bound (no sequence numbers, addresses or times).
var boundedLabels = map[string]bool{"segment": true, "scope": true, "domain": true, "transport": true, "vlan": true, "version": true,
	"clock_identity": true, "port_identity": true, "parent_port_identity": true, "grandmaster_identity": true, "vendor": true,
	"time_source": true, "flag": true, "type": true, "state": true, "source": true}

var nameRE = regexp.MustCompile(`^ptpwatch_[a-z0-9_]+$`)

// TestModelRows holds the model's rows to the conventions: unique names,
// counters end in _total, info families in _info, units as name suffix,
// bounded label names, HELP present.
func TestModelRows(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Model {
		switch {
		case !nameRE.MatchString(f.Name) || seen[f.Name]:
			t.Errorf("%s: bad or repeated name", f.Name)
		case f.Help == "" || f.Collect == nil:
			t.Errorf("%s: no HELP or Collect", f.Name)
		case f.Type == Counter && !strings.HasSuffix(f.Name, "_total"):
			t.Errorf("%s: counter without _total", f.Name)
		case f.Type == Info && !strings.HasSuffix(f.Name, "_info"):
			t.Errorf("%s: info without _info", f.Name)
		case f.Unit != "" && !strings.HasSuffix(strings.TrimSuffix(f.Name, "_total"), "_"+f.Unit):
			t.Errorf("%s: unit %s not in the name", f.Name, f.Unit)
		case strings.HasSuffix(f.Name, "_ns") || strings.Contains(f.Name, "_ns_"):
			t.Errorf("%s: not in base units", f.Name)
		}
		seen[f.Name] = true
		for _, l := range f.Labels {
			if !boundedLabels[l] {
				t.Errorf("%s: label %q is not a bounded label", f.Name, l)
			}
		}
	}
}

// BenchmarkScrape10k writes the model's families for 10,000 instances,
// as a Prometheus scrape of a large network does; issue 20 wants it under
// 100 ms.
func BenchmarkScrape10k(b *testing.B) {
	for _, per := range []bool{true, false} {
		b.Run(fmt.Sprintf("per_instance=%v", per), func(b *testing.B) {
			s := SyntheticSnapshot(10_000)
			buf := Model.Write(nil, s, Options{PerInstance: per})
			b.ReportAllocs()
			b.SetBytes(int64(len(buf)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				buf = Model.Write(buf[:0], s, Options{PerInstance: per})
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/scrape")
		})
	}
}

// TestScrape10kBudget: one scrape of 10,000 instances costs under issue
// 20's 100 ms of CPU (process CPU time, best of three: these machines'
// vCPUs are shared, so wall time includes other guests' turns).
func TestScrape10kBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("scrapes 10,000 instances")
	}
	s := SyntheticSnapshot(10_000)
	best, bestWall := time.Hour, time.Hour
	n := len(Model.Write(nil, s, Options{PerInstance: true}))
	for i := 0; i < 3; i++ {
		// The server sizes its buffer from the last scrape; so does this.
		cpu0, start := cpuTime(), time.Now()
		n = len(Model.Write(make([]byte, 0, n+n/8), s, Options{PerInstance: true}))
		best, bestWall = min(best, cpuTime()-cpu0), min(bestWall, time.Since(start))
	}
	t.Logf("10,000 instances: %d bytes, %v CPU, %v wall", n, best, bestWall)
	if best > 100*time.Millisecond {
		t.Errorf("scrape of 10,000 instances took %v of CPU, want under 100 ms", best)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
