package bench

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/httpd/metrics"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
)

// BenchmarkPipelineBesideScrapes replays the million-frame simulated
// capture through the pipeline (one worker), alternating runs alone and
// runs beside a Prometheus scraper writing /metrics' model families for
// 10,000 instances once a second, the way issue 20 asks the scrape's cost
// to be shown: frames/s of both, in one run, alternating (five replays
// alone, then five beside the scraper; each scrape streams about 24 MB).
func BenchmarkPipelineBesideScrapes(b *testing.B) {
	_, mem := simulatedCapture(b)
	snap := metrics.SyntheticSnapshot(10_000)
	run := func() time.Duration {
		mem.Rewind()
		p := pipeline.New(state.NewModel(1, nil))
		start := time.Now()
		if err := p.Run(context.Background(), mem); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var alone, beside time.Duration
	var scrapes int
	var scrapeTime time.Duration
	// The server streams a scrape in 64 KiB chunks from one buffer.
	buf := make([]byte, 0, 64<<10)
	const runs = 5 // a few seconds each way, so the 1 s ticker fires several times
	for b.Loop() {
		for range runs {
			alone += run()
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				start := time.Now()
				buf, _ = metrics.Model.Stream(io.Discard, buf, snap, metrics.Options{PerInstance: true})
				scrapeTime += time.Since(start)
				scrapes++
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		for range runs {
			beside += run()
		}
		close(stop)
		wg.Wait()
	}
	n := float64(len(mem.Frames)) * float64(b.N) * runs
	b.ReportMetric(n/alone.Seconds(), "frames/s-alone")
	b.ReportMetric(n/beside.Seconds(), "frames/s-beside-scrapes")
	b.ReportMetric(float64(scrapeTime.Nanoseconds())/float64(scrapes), "ns/scrape")
}
