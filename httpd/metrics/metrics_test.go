package metrics

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
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

// TestStreamEqualsWrite: streaming through a small chunk writes the same
// text as building it in one slice, across many chunk boundaries.
func TestStreamEqualsWrite(t *testing.T) {
	s := SyntheticSnapshot(200)
	for _, per := range []bool{true, false} {
		want := Model.Write(nil, s, Options{PerInstance: per})
		var got bytes.Buffer
		buf, err := Model.Stream(&got, make([]byte, 0, 512), s, Options{PerInstance: per})
		if err != nil {
			t.Fatal(err)
		}
		if cap(buf) < 512 || len(buf) != 0 {
			t.Errorf("returned buffer len %d cap %d, want an empty one to reuse", len(buf), cap(buf))
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("per_instance=%v: streamed %d bytes differ from written %d", per, got.Len(), len(want))
		}
	}
}

// TestStreamStopsOnError: a scraper that goes away stops the scrape at
// the next chunk instead of writing 30 MB into a dead connection.
func TestStreamStopsOnError(t *testing.T) {
	w := &failingWriter{after: 3}
	_, err := Model.Stream(w, make([]byte, 0, 1024), SyntheticSnapshot(2000), Options{PerInstance: true})
	if !errors.Is(err, errGone) {
		t.Fatalf("err %v, want %v", err, errGone)
	}
	if w.calls != 4 {
		t.Errorf("%d writes, want 4 (3 that worked and the one that failed)", w.calls)
	}
}

var errGone = errors.New("scraper went away")

type failingWriter struct{ after, calls int }

func (w *failingWriter) Write(p []byte) (int, error) {
	w.calls++
	if w.calls > w.after {
		return 0, errGone
	}
	return len(p), nil
}
