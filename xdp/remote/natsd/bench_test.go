package natsd_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode/pcapng"
	"github.com/ptpwatch/ptpwatch/xdp/remote"
	"github.com/ptpwatch/ptpwatch/xdp/remote/natsd"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// benchBatch is the probe's batch size in BenchmarkForward: 256 KiB, or
// PTPWATCH_BENCH_BATCH bytes.
func benchBatch() int {
	if n, err := strconv.Atoi(os.Getenv("PTPWATCH_BENCH_BATCH")); err == nil && n > 0 {
		return n
	}
	return 256 << 10
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// frame100 returns a 100-byte frame numbered n.
func frame100(n uint64) source.Frame {
	f := numbered(n)
	b := make([]byte, 100)
	copy(b, f.Data[:min(len(f.Data), 92)])
	copy(b[92:], f.Data[len(f.Data)-8:])
	f.Data, f.OrigLen = b, 100
	return f
}

// BenchmarkForward forwards 100-byte frames from one probe to one
// collector with an embedded server (both in this process, over loopback
// TCP, the collector's stream on disk) and reads them all back, beside
// writing the same frames to a pcapng file: the floor. Compare ns/op (per
// frame) of the two in the same run.
func BenchmarkForward(b *testing.B) {
	b.Run("pcapng", func(b *testing.B) {
		fh, err := os.Create(filepath.Join(b.TempDir(), "f.pcapng"))
		if err != nil {
			b.Fatal(err)
		}
		defer fh.Close()
		w, err := pcapng.NewNgWriter(bufio.NewWriterSize(fh, 1<<20), pcapng.NgWriterOptions{})
		if err != nil {
			b.Fatal(err)
		}
		w.AddInterface(pcapng.Interface{Name: "eth1", LinkType: pcapng.LinkTypeEthernet, Resolution: pcapng.Nanosecond})
		f := frame100(1)
		b.SetBytes(100)
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := cpuTime()
		defer func() { b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op") }()
		for i := range b.N {
			if err := w.WritePacket(0, f.Timestamp+int64(i), f.Data, f.OrigLen, ""); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := fh.Sync(); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("nats", func(b *testing.B) {
		dir := b.TempDir()
		col := startCollector(b, natsd.Config{StoreDir: filepath.Join(dir, "collector"), MaxStore: 4 << 30}, remote.CollectorConfig{MaxBytes: 2 << 30})
		p := startProbe(b, remote.ProbeConfig{Collectors: []string{col.url}, MaxBytes: 1 << 30, BatchBytes: benchBatch(), StoreDir: filepath.Join(dir, "probe")})
		f := frame100(1)
		var g source.Frame
		b.SetBytes(100)
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := cpuTime()
		done := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			for range b.N {
				if err := col.c.Next(ctx, &g); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		for range b.N {
			p.Add(&f, ifaces)
		}
		p.Flush()
		if err := <-done; err != nil {
			b.Fatalf("collector: %v after %+v", err, col.c.Sites())
		}
		b.StopTimer()
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		if s := col.c.Sites(); len(s) != 1 || s[0].Frames < uint64(b.N) || s[0].Lost != 0 {
			b.Fatalf("sites %+v", s)
		}
	})
}
