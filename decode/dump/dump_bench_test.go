package dump_test

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode/decodetest"
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

// TestCaptureNoAllocsPerFrame: once its buffers have grown, the JSON
// writer allocates nothing per frame: decoding and writing a capture of
// many frames allocates no more than one of few frames.
func TestCaptureNoAllocsPerFrame(t *testing.T) {
	for _, mode := range []struct {
		name          string
		json, verbose bool
	}{{"json", true, false}} {
		allocs := func(frames int) float64 {
			capture := demoCapture(t, frames)
			out := bufio.NewWriterSize(io.Discard, 1<<16)
			return testing.AllocsPerRun(3, func() {
				if err := dump.Capture(bytes.NewReader(capture), out, mode.json, mode.verbose); err != nil {
					t.Fatal(err)
				}
			})
		}
		small, large := allocs(200), allocs(5000)
		// The reader, the summary's maps and the buffers' growth are per
		// capture; the demo's 4,800 further frames may add only a few.
		if large-small > 48 {
			t.Errorf("%s: %.0f allocations for 200 frames, %.0f for 5,000: %.3f per frame", mode.name, small, large, (large-small)/4800)
		}
	}
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

// BenchmarkTextVsJSON prints a capture as `ptpwatch decode` does, as
// text and as JSON in turn within each iteration, so that both see the
// same machine load, and reports each one's frames per second and their
// ratio (json/text above 1: JSON is faster), in wall-clock time and in
// the process's CPU time (cpu-json/text), which also counts the garbage
// collector's work on other cores. The captures: tcpdump's
// ptp_ethernet.pcap from the public captures (205 PTPv2 frames over
// 802.3) and 2,000 frames of the demo network (UDP/IPv4, some tagged).
func BenchmarkTextVsJSON(b *testing.B) {
	public, err := os.ReadFile(filepath.Join(decodetest.Captures(b), "tcpdump", "ptp_ethernet.pcap"))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		capture []byte
		frames  int
	}{{"tcpdump", public, 205}, {"demo", demoCapture(b, 2000), 2000}} {
		b.Run(c.name, func(b *testing.B) {
			out := bufio.NewWriterSize(io.Discard, 1<<16)
			var cpuText, cpuJSON time.Duration
			run := func(asJSON bool) time.Duration {
				c0 := processCPU()
				start := time.Now()
				if err := dump.Capture(bytes.NewReader(c.capture), out, asJSON, false); err != nil {
					b.Fatal(err)
				}
				d := time.Since(start)
				if asJSON {
					cpuJSON += processCPU() - c0
				} else {
					cpuText += processCPU() - c0
				}
				return d
			}
			b.ReportAllocs()
			b.SetBytes(2 * int64(len(c.capture)))
			var text, asJSON time.Duration
			for i := 0; b.Loop(); i++ {
				// Alternate which goes first, so neither always runs on a warm cache.
				if i%2 == 0 {
					text += run(false)
					asJSON += run(true)
				} else {
					asJSON += run(true)
					text += run(false)
				}
			}
			n := float64(c.frames * b.N)
			b.ReportMetric(n/text.Seconds(), "text-frames/s")
			b.ReportMetric(n/asJSON.Seconds(), "json-frames/s")
			b.ReportMetric(text.Seconds()/asJSON.Seconds(), "json/text")
			b.ReportMetric(cpuText.Seconds()/cpuJSON.Seconds(), "cpu-json/text")
		})
	}
}

// processCPU returns the CPU time the process has used, all threads.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
