package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// burstFrames holds two minutes of the demo network with 200 extra
// followers in memory, so that the runs time the pipeline, not the
// simulator.
func burstFrames(t *testing.T) *source.Memory {
	t.Helper()
	cfg := sim.DefaultDemo()
	if err := sim.AddDemoFollowers(&cfg, 200); err != nil {
		t.Fatal(err)
	}
	n, err := sim.New(cfg, sim.Options{Seed: 1, Duration: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	m := &source.Memory{}
	for {
		var f source.Frame
		err := n.Next(context.Background(), &f)
		if errors.Is(err, io.EOF) {
			return m
		}
		if err != nil {
			t.Fatal(err)
		}
		f.Data = append([]byte(nil), f.Data...)
		m.Frames = append(m.Frames, f)
	}
}

// pipelineRate runs src through fresh one-shard models again and again
// for window and returns the frames per second it reached.
func pipelineRate(t *testing.T, src *source.Memory, window time.Duration) float64 {
	t.Helper()
	frames := 0
	start := time.Now()
	for time.Since(start) < window {
		src.Rewind()
		if err := pipeline.New(state.NewModel(1, nil)).Run(context.Background(), src); err != nil {
			t.Fatal(err)
		}
		frames += len(src.Frames)
	}
	return float64(frames) / time.Since(start).Seconds()
}

// TestBurstKeepsPipelineRate: 10,000 Device Detected events raised within
// one second (ten batches of 1,000, 100 ms apart) into an event log that a
// Notifier reads into a webhook channel's outbox in a real store, with
// digests; meanwhile the frame pipeline runs the demo network. Seven runs
// with and seven without the burst alternate. The best rate with the
// burst must be at least 0.95 of the best without (the burst costs the
// pipeline at most 5 %): the best of several runs is the one the other
// work on a shared machine disturbed least, while every run with the
// burst bears the burst's whole cost. The medians and the pairs' ratios
// are logged. The heap's growth during the window with the burst may
// exceed that without by less than 64 MiB (medians), and every event must
// arrive, in digests.
func TestBurstKeepsPipelineRate(t *testing.T) {
	if testing.Short() {
		t.Skip("times the pipeline for some 20 s")
	}
	src := burstFrames(t)
	st := openStore(t, t.TempDir())
	defer st.Close()
	rx := newHookReceiver(t, "")
	log := state.NewEventLog(100_000)
	o := testOptions()
	n := New(st, o)
	if err := n.AddChannel(ChannelOptions{Name: "hook", DigestAfter: 100, DigestMax: 1000, RatePerMinute: 600, Burst: 10}, mustWebhook(t, rx.url)); err != nil {
		t.Fatal(err)
	}
	n.Watch(log)
	stop := start(t, n)
	defer stop()

	const window = 1500 * time.Millisecond
	burst := func(round int) {
		for b := range 10 {
			evs := events(1000, state.DeviceDetected, fmt.Sprintf("r%d-%d-", round, b))
			for i := range evs {
				log.Add(evs[i])
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	var peak atomic.Uint64
	sample := func(done <-chan struct{}) {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	pipelineRate(t, src, 300*time.Millisecond) // warm up
	var ratios, quiet, loud []float64
	var growth []uint64
	delivered := uint64(0)
	const pairs = 7
	var quietGrowth []uint64
	for pair := range pairs {
		// arm runs the pipeline for the window, with the burst when
		// loud, and returns its rate and how far the heap grew.
		arm := func(loud bool) (float64, uint64) {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base := ms.HeapInuse
			peak.Store(base)
			done := make(chan struct{})
			go sample(done)
			if loud {
				go burst(pair)
			}
			r := pipelineRate(t, src, window)
			if loud {
				waitFor(t, 60*time.Second, "the burst delivered", func() bool { return n.Status()[0].Queued >= delivered+10_000 && n.Idle() })
				delivered += 10_000
			}
			close(done)
			return r, peak.Load() - base
		}
		var a, b float64
		var ga, gb uint64
		if pair%2 == 0 {
			a, ga = arm(false)
			b, gb = arm(true)
		} else {
			b, gb = arm(true)
			a, ga = arm(false)
		}
		quiet, loud = append(quiet, a), append(loud, b)
		ratios = append(ratios, b/a)
		growth, quietGrowth = append(growth, gb), append(quietGrowth, ga)
	}
	slices.Sort(ratios)
	best := slices.Max(loud) / slices.Max(quiet)
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	t.Logf("%s, %d CPUs: pipeline best %.0f frames/s without, %.0f with the bursts: ratio %.3f; medians %.0f and %.0f (ratio %.3f); "+
		"pairs' ratios %.3f; the heap's peak over its size after a GC: %v MiB with the bursts, %v MiB without",
		cpu, runtime.NumCPU(), slices.Max(quiet), slices.Max(loud), best, med(quiet), med(loud), med(loud)/med(quiet), ratios, mib(growth), mib(quietGrowth))
	ids, _, _, digests := rx.counts()
	if ids != pairs*10_000 || digests == 0 {
		t.Errorf("receiver got %d notifications in %d digests, want %d in digests", ids, digests, pairs*10_000)
	}
	slices.Sort(growth)
	slices.Sort(quietGrowth)
	if extra := int64(growth[len(growth)/2]) - int64(quietGrowth[len(quietGrowth)/2]); extra > 64<<20 {
		t.Errorf("the bursts grew the heap by %d MiB more than the pipeline alone (medians), want less than 64", extra>>20)
	}
	if best < 0.95 {
		t.Errorf("the pipeline's best rate during the bursts is %.3f of its best without, want at least 0.95", best)
	}
}

func med(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func mib(v []uint64) []uint64 {
	out := make([]uint64, len(v))
	for i, x := range v {
		out[i] = x >> 20
	}
	return out
}

func mustWebhook(t *testing.T, url string) Sender {
	t.Helper()
	w, err := NewWebhook(WebhookConfig{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	return w
}
