package dump_test

import (
	"bufio"
	"bytes"
	"io"
	"testing"

	"github.com/ptpwatch/ptpwatch/decode/dump"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
)

// demoCapture is a pcapng of n frames of the demo network.
func demoCapture(tb testing.TB, n int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := sim.WriteCapture(&buf, sim.DefaultDemo(), sim.Options{Seed: 1}, n); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkCapture decodes the same capture as `ptpwatch decode` prints it,
// as text and as JSON, and reports frames per second of each.
func BenchmarkCapture(b *testing.B) {
	const frames = 20000
	capture := demoCapture(b, frames)
	for _, mode := range []struct {
		name          string
		json, verbose bool
	}{{"text", false, false}, {"json", true, false}, {"verbose", false, true}} {
		b.Run(mode.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(capture)))
			out := bufio.NewWriterSize(io.Discard, 1<<16)
			for b.Loop() {
				if err := dump.Capture(bytes.NewReader(capture), out, mode.json, mode.verbose); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(frames*b.N)/b.Elapsed().Seconds(), "frames/s")
		})
	}
}
