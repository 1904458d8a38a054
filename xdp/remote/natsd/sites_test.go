package natsd_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/remote"
	"github.com/ptpwatch/ptpwatch/xdp/remote/natsd"
	"github.com/ptpwatch/ptpwatch/xdp/replay"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

func captures(t *testing.T) string {
	dir := os.Getenv("PTPWATCH_CAPTURES")
	if dir == "" {
		dir = "../../../../shared/captures"
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("public captures not found at %s (set PTPWATCH_CAPTURES): %v", dir, err)
	}
	return dir
}

// model runs src through a pipeline into a new model until src ends.
func model(t *testing.T, src source.Source) *state.Snapshot {
	t.Helper()
	m := state.NewModel(1, state.NewEventLog(10000))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := pipeline.New(m).Run(ctx, src); err != nil {
		t.Fatal(err)
	}
	return m.Snapshot()
}

// limited ends a live source after n frames.
type limited struct {
	source.Source
	n int
}

func (l *limited) Next(ctx context.Context, f *source.Frame) error {
	if l.n == 0 {
		return io.EOF
	}
	if err := l.Source.Next(ctx, f); err != nil {
		return err
	}
	l.n--
	return nil
}

// scopes maps scope name to its per-type counts, instances and masters.
func scopes(s *state.Snapshot) map[string]state.Scope {
	out := map[string]state.Scope{}
	for _, sc := range s.Scopes {
		out[sc.Name] = sc
	}
	return out
}

// TestTwoSites: two probes replay different public captures into one
// collector, each as its own segment. The collector's model holds, segment
// by segment, the scopes each capture gives when analysed on its own, with
// the same per-type counts and instances. (Master and follower counts are
// not compared: the model judges silence against the newest frame it has
// seen, and public captures from different years side by side make the
// older capture's masters look silent; live probes share one time.)
// checkSites reads total frames from collector c into a model and holds
// it against want, the scopes each capture gives on its own: the same
// scopes, per-type counts, instances, versions and transports, and no
// frame lost on the way.
func checkSites(t *testing.T, c *remote.Collector, want map[string]state.Scope, total int) {
	t.Helper()
	got := scopes(model(t, &limited{Source: c, n: total}))
	if len(got) != len(want) {
		t.Errorf("collector has %d scopes, the captures %d", len(got), len(want))
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("scope %s missing at the collector", name)
			continue
		}
		if g.Instances != w.Instances || len(g.Counts) != len(w.Counts) || g.VersionPTP != w.VersionPTP || g.Transport != w.Transport {
			t.Errorf("scope %s: instances %d, %d types; want %d, %d", name, g.Instances, len(g.Counts), w.Instances, len(w.Counts))
		}
		for typ, n := range w.Counts {
			if g.Counts[typ] != n {
				t.Errorf("scope %s: %d %s, want %d", name, g.Counts[typ], typ, n)
			}
		}
		t.Logf("scope %s: %v", name, g.Counts)
	}
	for _, s := range c.Sites() {
		if s.Lost != 0 {
			t.Errorf("site %+v lost frames", s)
		}
	}
}

func TestTwoSites(t *testing.T) {
	dir := captures(t)
	files := map[string]string{
		"paris": filepath.Join(dir, "ndpi", "ptpv2.pcap"),
		"tokyo": filepath.Join(dir, "tcpdump", "ptp_ethernet.pcap"),
	}
	segments := map[string]int{"paris": 1, "tokyo": 2}
	col := startCollector(t, natsd.Config{}, remote.CollectorConfig{})
	want := map[string]state.Scope{}
	total := 0
	for site, path := range files {
		// What the capture gives analysed on its own, on its segment.
		r, err := replay.Open(path, uint16(segments[site]))
		if err != nil {
			t.Fatal(err)
		}
		own := model(t, r)
		r.Close()
		for name, sc := range scopes(own) {
			want[name] = sc
		}
		// The probe replays the same file into its forwarder.
		p := startProbe(t, remote.ProbeConfig{Site: site, Collectors: []string{col.url}, Segment: segments[site]})
		r, err = replay.Open(path, 0)
		if err != nil {
			t.Fatal(err)
		}
		var f source.Frame
		n := 0
		for r.Next(context.Background(), &f) == nil {
			p.Add(&f, r.Interfaces())
			n++
		}
		r.Close()
		drain(t, p)
		total += n
		t.Logf("%s: %s, %d frames, %d scopes", site, filepath.Base(path), n, len(own.Scopes))
	}
	checkSites(t, col.c, want, total)
	// The sites view (API and UI) names each site's interfaces with
	// their segments.
	view := natsd.Sites(&natsd.Collector{Collector: col.c}, nil)
	for site, seg := range segments {
		v := view[site]
		if v.Role != "remote" || len(v.Interfaces) == 0 {
			t.Errorf("site %s: %+v", site, v)
		}
		for _, i := range v.Interfaces {
			if int(i.Segment) != seg || strings.HasPrefix(i.Name, site+"/") {
				t.Errorf("site %s: interface %+v, want segment %d", site, i, seg)
			}
		}
	}
}
