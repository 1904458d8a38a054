package fault

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// demoFrames holds d of the demo network (with its incidents and extra
// followers) in memory, so benchmarks time the pipeline, not the
// simulator.
func demoFrames(t testing.TB, d time.Duration, followers int) *source.Memory {
	t.Helper()
	cfg := sim.DefaultDemo()
	cfg.Scenario = sim.DemoScenario()
	if err := sim.AddDemoFollowers(&cfg, followers); err != nil {
		t.Fatal(err)
	}
	n, err := sim.New(cfg, sim.Options{Seed: 1, Duration: d})
	if err != nil {
		t.Fatal(err)
	}
	m, err := source.Collect(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// runOnce runs src through a fresh one-shard model, with detectors when
// detect is set, and returns how long the pipeline took.
func runOnce(t testing.TB, src *source.Memory, detect bool) time.Duration {
	src.Rewind()
	m := state.NewModel(1, nil)
	if detect {
		e, err := New(DefaultConfig(), m.Events)
		if err != nil {
			t.Fatal(err)
		}
		e.Attach(m)
	}
	p := pipeline.New(m)
	runtime.GC() // the garbage of the run before is not this run's
	start := time.Now()
	if err := p.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	return time.Since(start)
}

// BenchmarkDetectorsCost runs 15 minutes of the demo network (with its
// incidents and 50 extra followers) through the pipeline without and with
// the fault detectors, alternately, in one run, and reports the median of
// the pairs' time ratios as detectors-cost (with/without − 1), with its
// quartiles: on a shared machine one pair's ratio varies by ten points
// or more, so it takes a couple of hundred pairs (201, about 30 s) for
// the median to settle within about half a point. fastest-cost-%
// compares each arm's fastest run, the one least disturbed by the
// machine's other work.
func BenchmarkDetectorsCost(b *testing.B) {
	src := demoFrames(b, 15*time.Minute, 50)
	b.ReportAllocs()
	var bytes int64
	for _, f := range src.Frames {
		bytes += int64(len(f.Data))
	}
	b.SetBytes(bytes)
	var ratios []float64
	var plain, detect time.Duration
	minWithout, minWith := time.Duration(1<<62), time.Duration(1<<62)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for pair := 0; pair < 201; pair++ {
			var without, with time.Duration
			if pair%2 == 0 {
				without = runOnce(b, src, false)
				with = runOnce(b, src, true)
			} else {
				with = runOnce(b, src, true)
				without = runOnce(b, src, false)
			}
			plain += without
			detect += with
			minWithout, minWith = min(minWithout, without), min(minWith, with)
			ratios = append(ratios, float64(with)/float64(without))
		}
	}
	slices.Sort(ratios)
	b.ReportMetric((ratios[len(ratios)/2]-1)*100, "detectors-cost-%")
	b.ReportMetric((ratios[len(ratios)/4]-1)*100, "q1-%")
	b.ReportMetric((ratios[3*len(ratios)/4]-1)*100, "q3-%")
	b.ReportMetric((float64(minWith)/float64(minWithout)-1)*100, "fastest-cost-%")
	b.ReportMetric(float64(len(src.Frames))/plain.Seconds()*float64(len(ratios)), "frames/s-without")
	b.ReportMetric(float64(len(src.Frames))/detect.Seconds()*float64(len(ratios)), "frames/s-with")
}

// TestDetectorsNoAllocsPerFrame replays the demo's steady traffic (no
// incidents: findings allocate when they open) through a warmed-up model
// with detectors and checks that frames cost no allocation beyond the
// model's own events.
func TestDetectorsNoAllocsPerFrame(t *testing.T) {
	cfg := sim.DefaultDemo()
	n, err := sim.New(cfg, sim.Options{Seed: 1, Duration: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	src, err := source.Collect(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	m := state.NewModel(1, nil)
	e, err := New(DefaultConfig(), m.Events)
	if err != nil {
		t.Fatal(err)
	}
	e.Attach(m)
	sh := m.Shard(0)
	var obs []state.Observation
	// Observations made once, outside the count: the decode and the
	// pipeline have their own allocation tests.
	p := pipeline.New(state.NewModel(1, nil))
	p.OnFrame = func(_ *source.Frame, _ *decode.Frame, o *state.Observation, ok bool) {
		if ok {
			obs = append(obs, *o)
		}
	}
	if err := p.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	for i := range obs { // warm up: every scope, instance and baseline exists
		sh.Apply(&obs[i])
	}
	// The demo's PTPv1 island beside PTPv2 domain 0 is a standing Mixed
	// Profiles notice; nothing else may be found.
	steady := func() []Finding {
		var out []Finding
		for _, f := range e.Book.Findings(true) {
			if f.Kind != MixedProfiles || f.Subject != "seg0 domain 0" || !f.Open {
				out = append(out, f)
			}
		}
		return out
	}
	if f := steady(); len(f) != 0 {
		t.Fatalf("findings on a steady network: %+v", f)
	}
	// Replay the second minute again, shifted past the end, so time
	// goes on as in a live run.
	half := len(obs) / 2
	shift := obs[len(obs)-1].Time - obs[half].Time + 1
	allocs := testing.AllocsPerRun(5, func() {
		for i := half; i < len(obs); i++ {
			obs[i].Time += shift
			sh.Apply(&obs[i])
		}
	})
	perFrame := allocs / float64(len(obs)-half)
	t.Logf("%d frames per run, %.1f allocations per run (%.4f per frame)", len(obs)-half, allocs, perFrame)
	if perFrame > 0.001 {
		t.Errorf("%.4f allocations per frame with the detectors", perFrame)
	}
	if f := steady(); len(f) != 0 {
		t.Errorf("findings on a steady network: %+v", f)
	}
}
