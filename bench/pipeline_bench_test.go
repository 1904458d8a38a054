package bench

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/replay"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// simFrames is the number of frames of the simulated capture.
const simFrames = 1_000_000

var (
	simOnce sync.Once
	simFile string
	simMem  *source.Memory
	simErr  error
)

// simulatedCapture writes a million frames of the demo network to a pcapng
// file and holds the same frames in memory.
func simulatedCapture(b *testing.B) (string, *source.Memory) {
	simOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ptpwatch-bench")
		if err != nil {
			simErr = err
			return
		}
		simFile = filepath.Join(dir, "sim-1M.pcapng")
		var buf bytes.Buffer
		if simErr = sim.WriteCapture(&buf, sim.DefaultDemo(), sim.Options{Seed: 1}, simFrames); simErr != nil {
			return
		}
		if simErr = os.WriteFile(simFile, buf.Bytes(), 0o644); simErr != nil {
			return
		}
		r, err := replay.Open(simFile, 0)
		if err != nil {
			simErr = err
			return
		}
		defer r.Close()
		simMem = &source.Memory{}
		arena := make([]byte, 0, buf.Len())
		for {
			var f source.Frame
			err := r.Next(context.Background(), &f)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				simErr = err
				return
			}
			start := len(arena)
			arena = append(arena, f.Data...)
			f.Data = arena[start:len(arena):len(arena)]
			simMem.Frames = append(simMem.Frames, f)
		}
	})
	if simErr != nil {
		b.Fatal(simErr)
	}
	return simFile, simMem
}

// BenchmarkPipeline replays the million-frame simulated capture held in
// memory through decode, the RAM-buffer tags and the model, with one and two
// shard workers, beside tshark reading and dissecting the same file.
func BenchmarkPipeline(b *testing.B) {
	file, mem := simulatedCapture(b)
	for _, shards := range []int{1, 2} {
		name := "1M-frames/ptpwatch-1-worker"
		if shards == 2 {
			name = "1M-frames/ptpwatch-2-workers"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var decoded uint64
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for b.Loop() {
				mem.Rewind()
				p := pipeline.New(state.NewModel(shards, nil))
				if err := p.Run(context.Background(), mem); err != nil {
					b.Fatal(err)
				}
				decoded = p.Counters.Decoded.Load()
			}
			runtime.ReadMemStats(&after)
			if decoded != uint64(len(mem.Frames)) {
				b.Fatalf("decoded %d of %d frames", decoded, len(mem.Frames))
			}
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N*len(mem.Frames)), "allocs/frame")
			b.ReportMetric(float64(len(mem.Frames))*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
		})
	}
	b.Run("1M-frames/tshark", func(b *testing.B) {
		tshark, err := exec.LookPath("tshark")
		if err != nil {
			b.Skip("tshark not installed")
		}
		for b.Loop() {
			cmd := exec.Command(tshark, "-n", "-r", file, "-Y", "ptp", "-q")
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("tshark: %v: %s", err, out)
			}
		}
		b.ReportMetric(float64(len(mem.Frames))*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	})
}
