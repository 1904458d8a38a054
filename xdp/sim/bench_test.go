package sim

import (
	"context"
	"io"
	"testing"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// BenchmarkNext measures frame generation alone, on the demo network
// with its incident script running.
func BenchmarkNext(b *testing.B) {
	n, err := New(scriptedDemo(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var f source.Frame
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := n.Next(ctx, &f); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkNextDecode adds decoding, the pipeline's first step.
func BenchmarkNextDecode(b *testing.B) {
	n, err := New(DefaultDemo(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var f source.Frame
	var d decode.Frame
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := n.Next(ctx, &f); err != nil {
			b.Fatal(err)
		}
		if d.Decode(f.Link, f.Data) != decode.ResultOK {
			b.Fatal(d.Reason)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkWriteCapture writes a million-frame capture, as the benchmark
// harness does to get a big input in memory.
func BenchmarkWriteCapture(b *testing.B) {
	const frames = 1_000_000
	b.ReportAllocs()
	for range b.N {
		if err := WriteCapture(io.Discard, DefaultDemo(), Options{}, frames); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(frames*b.N)/b.Elapsed().Seconds(), "frames/s")
}
