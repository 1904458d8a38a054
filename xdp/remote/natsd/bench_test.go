package natsd_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ptpwatch/ptpwatch/decode/pcapng"
	"github.com/ptpwatch/ptpwatch/xdp/remote"
	"github.com/ptpwatch/ptpwatch/xdp/remote/natsd"
	"github.com/ptpwatch/ptpwatch/xdp/source"
	"github.com/ptpwatch/ptpwatch/xdp/source/sourcetest"
)

// benchBatch is the probe's batch size in BenchmarkForward: 1 MiB (the
// default of forward.batch_bytes), or
// PTPWATCH_BENCH_BATCH bytes.
func benchBatch() int {
	if n, err := strconv.Atoi(os.Getenv("PTPWATCH_BENCH_BATCH")); err == nil && n > 0 {
		return n
	}
	return 1 << 20
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

// benchFrames are the frames the benchmarks send, in turn: 100-byte
// frames of a realistic PTP stream (each differs from the last in its
// sequence, timestamps and correction, as on a network), so compression
// gains no more than it would there. There are more of them (6.5 MB) than
// the largest batch holds, so no batch sees the same frame twice.
var benchFrames = sourcetest.PTPStream(1<<16, 100)

// BenchmarkForward forwards 100-byte frames from one probe to one
// collector with an embedded server (both in this process, over loopback
// TCP, the probe's queue and the collector's stream on disk) and reads
// them all back, beside writing the same frames to a pcapng file: the
// floor. Compare ns/op (per frame) of them in the same run; "nats"
// compresses batches (the default), "nats-plain" does not, and
// "nats-memqueue" keeps the probe's queue in memory (the default).
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
		b.SetBytes(100)
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := cpuTime()
		defer func() { b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op") }()
		for i := range b.N {
			f := &benchFrames[i%len(benchFrames)]
			if err := w.WritePacket(0, f.Timestamp, f.Data, f.OrigLen, ""); err != nil {
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
	b.Run("nats", func(b *testing.B) { benchForward(b, false, true) })
	b.Run("nats-plain", func(b *testing.B) { benchForward(b, true, true) })
	b.Run("nats-memqueue", func(b *testing.B) { benchForward(b, false, false) })
}

// benchForward forwards with batches compressed unless plain, and the
// probe's local queue on disk (diskQueue) or in memory (queue_dir empty,
// the default).
func benchForward(b *testing.B, plain, diskQueue bool) {
	dir := b.TempDir()
	col := startCollector(b, natsd.Config{StoreDir: filepath.Join(dir, "collector"), MaxStore: 4 << 30}, remote.CollectorConfig{MaxBytes: 2 << 30})
	queueDir := ""
	if diskQueue {
		queueDir = filepath.Join(dir, "probe")
	}
	p := startProbe(b, remote.ProbeConfig{Collectors: []string{col.url}, MaxBytes: 1 << 30, BatchBytes: benchBatch(), StoreDir: queueDir,
		NoCompress: plain})
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
	for i := range b.N {
		p.Add(&benchFrames[i%len(benchFrames)], ifaces)
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
}

// natsServerProcess starts Debian's nats-server with JetStream on a free
// loopback port in another process, with its store in dir, and returns
// its URL; the benchmark's end stops it. Without nats-server it skips.
func natsServerProcess(b *testing.B, dir string) string {
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		b.Skip("nats-server is missing: apt-get install -y nats-server")
	}
	port := freePorts(b, 1)[0]
	cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", dir)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		nc, err := nats.Connect(url)
		if err == nil {
			nc.Close()
			return url
		}
		if time.Now().After(deadline) {
			b.Fatalf("nats-server at %s: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// BenchmarkProbe is the probe's side of forwarding alone: 100-byte frames
// added, batched, sealed, stored in the probe's local JetStream queue (on
// disk) and forwarded to a collector's stream on Debian's nats-server in
// another process, until that server has acknowledged every batch.
// cpu-ns/op counts this process only, that is the probe: 1e9/cpu-ns/op is
// the frames per second one core of the probe forwards. The codec alone
// (encode, compress and seal) runs beside it as a peer for the machine's load.
func BenchmarkProbe(b *testing.B) {
	b.Run("encode+seal", func(b *testing.B) {
		s, _ := remote.NewSealer(key(b, 5, 1), "paris", 1)
		e := remote.NewEncoder(256 << 10)
		e.SetInterfaces(ifaces)
		e.Reset(1, remote.Drops{})
		dst := make([]byte, 0, 512<<10)
		comp := make([]byte, 0, remote.CompressedLen(512<<10))
		b.SetBytes(100)
		b.ReportAllocs()
		cpu0 := cpuTime()
		for i := range b.N {
			f := &benchFrames[i%len(benchFrames)]
			if !e.Add(f) {
				comp = remote.Compress(comp[:0], e.Bytes())
				s.Seal(dst[:0], comp, e.FirstSeq(), uint32(e.Len()))
				e.Reset(1, remote.Drops{})
				e.Add(f)
			}
		}
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	})
	b.Run("probe", func(b *testing.B) {
		dir := b.TempDir()
		url := natsServerProcess(b, filepath.Join(dir, "collector"))
		nc, err := nats.Connect(url)
		if err != nil {
			b.Fatal(err)
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: remote.FramesStream, Subjects: []string{remote.FramesSubject + ".>"},
			Storage: jetstream.FileStorage, Duplicates: time.Minute}); err != nil {
			b.Fatal(err)
		}
		p := startProbe(b, remote.ProbeConfig{Collectors: []string{url}, MaxBytes: 1 << 30, BatchBytes: benchBatch(), StoreDir: filepath.Join(dir, "probe")})
		waitFor(b, 20*time.Second, "the probe to reach the collector", func() bool { return p.Status().Collectors[0].Connected })
		b.SetBytes(100)
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := cpuTime()
		for i := range b.N {
			p.Add(&benchFrames[i%len(benchFrames)], ifaces)
		}
		p.Flush()
		for p.Status().Collectors[0].Frames < uint64(b.N) {
			if ctx.Err() != nil {
				b.Fatalf("not every frame forwarded: %+v", p.Status())
			}
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		if st := p.Status().Collectors[0]; st.LostFrames != 0 {
			b.Fatalf("lost frames: %+v", st)
		}
	})
}
