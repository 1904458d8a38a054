package dashcam

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/decode/pcapng"
	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// benchFrames returns n frames of exactly 100 bytes: the demo network's
// frames cut or padded, with their timestamps.
func benchFrames(tb testing.TB, n int) []source.Frame {
	frames, _ := simFrames(tb, n)
	arena := make([]byte, 100*n)
	for i := range frames {
		d := arena[i*100 : (i+1)*100 : (i+1)*100]
		copy(d, frames[i].Data)
		frames[i].Data, frames[i].OrigLen = d, 100
	}
	return frames
}

// producer replays frames over and over, one every microsecond of capture
// time.
type producer struct {
	frames []source.Frame
	buf    *ring.Buffer // optional: append first, as the pipeline does
	rec    *Recorder
	i      int
	t      int64
	meta   ring.RecordMeta
}

// next hands over one frame; wait says whether to wait for room (measuring
// capacity) rather than drop (measuring a paced stream).
func (p *producer) next(wait bool) bool {
	f := &p.frames[p.i%len(p.frames)]
	p.i++
	p.t += 1000 // 1 M frames per second of capture time
	p.meta = ring.RecordMeta{Time: p.t, OrigLen: 100, IfIndex: f.Interface, Source: f.TSSource, Scope: 1}
	var n uint64
	if p.buf != nil {
		n, _ = p.buf.Append(p.meta, f.Data)
	}
	for !p.rec.Ingest(n, &p.meta, 1, f.Data) {
		if !wait {
			return false
		}
		time.Sleep(50 * time.Microsecond)
	}
	return true
}

// pcapngFloor writes frames to a plain pcapng file: the floor archive
// ingest is compared with.
func pcapngFloor(tb testing.TB, dir string, frames []source.Frame, n int) (bytes int64) {
	f, err := os.Create(filepath.Join(dir, "floor.pcapng"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w, err := pcapng.NewNgWriter(f, pcapng.NgWriterOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.AddInterface(pcapng.Interface{Name: "tap0", LinkType: pcapng.LinkTypeEthernet}); err != nil {
		tb.Fatal(err)
	}
	t := int64(1_700_000_000e9)
	for i := 0; i < n; i++ {
		fr := &frames[i%len(frames)]
		t += 1000
		if err := w.WritePacket(0, t, fr.Data, 100, ""); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		tb.Fatal(err)
	}
	st, _ := f.Stat()
	return st.Size()
}

var benchOnce struct {
	sync.Once
	frames []source.Frame
}

func sharedBenchFrames(tb testing.TB) []source.Frame {
	benchOnce.Do(func() { benchOnce.frames = benchFrames(tb, 4096) })
	return benchOnce.frames
}

// BenchmarkArchiveIngest measures the continuous archive's sustained
// capacity for 100-byte frames, from Ingest to synced Pebble batches,
// beside the floor of writing the same frames to a pcapng file. The
// producer waits for room instead of dropping, so ns/op is the cost of
// the slower side.
func BenchmarkArchiveIngest(b *testing.B) {
	frames := sharedBenchFrames(b)
	b.Run("pcapng-file", func(b *testing.B) {
		b.SetBytes(100)
		b.ReportAllocs()
		size := pcapngFloor(b, b.TempDir(), frames, b.N)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
		b.ReportMetric(float64(size)/float64(b.N), "file-B/frame")
	})
	b.Run("archive", func(b *testing.B) {
		b.SetBytes(100)
		b.ReportAllocs()
		s := openTest(b, b.TempDir(), Options{})
		defer s.Close()
		rec := NewRecorder(s, nil, RecorderOptions{Archive: true, Triggers: []state.EventType{}, HandoffBytes: 128 << 20})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { rec.Run(ctx); close(done) }()
		p := &producer{frames: frames, rec: rec, t: 1_700_000_000e9}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			p.next(true)
		}
		if err := rec.Sync(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cancel()
		<-done
		st := rec.Stats()
		if st.Archived != uint64(b.N) || st.ArchiveLost != 0 {
			b.Fatalf("archived %d of %d, lost %d", st.Archived, b.N, st.ArchiveLost)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
		b.ReportMetric(float64(s.tableBytes())/float64(b.N), "store-B/frame")
	})
	// The same through OnStored with a collector's delivery marks (each
	// frame's mark rides the hand-off; the marks go into the batches).
	b.Run("archive-marked", func(b *testing.B) {
		b.SetBytes(100)
		b.ReportAllocs()
		s := openTest(b, b.TempDir(), Options{})
		defer s.Close()
		rec := NewRecorder(s, nil, RecorderOptions{Archive: true, Triggers: []state.EventType{}, HandoffBytes: 128 << 20})
		src := &markedSource{origin: "paris", mark: source.Mark{Run: 1}}
		if err := rec.UseMarks(src); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { rec.Run(ctx); close(done) }()
		p := &producer{frames: frames, rec: rec, t: 1_700_000_000e9}
		room := len(rec.h.buf) - 4096
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			f := &p.frames[i%len(p.frames)]
			p.t += 1000
			p.meta = ring.RecordMeta{Time: p.t, OrigLen: 100, IfIndex: f.Interface, Source: f.TSSource, Scope: 1}
			src.mark.Frame++
			for rec.h.used() > room {
				time.Sleep(50 * time.Microsecond)
			}
			rec.OnStored(0, &p.meta, decode.LinkEthernet, f.Data, nil)
		}
		if err := rec.Sync(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cancel()
		<-done
		st := rec.Stats()
		if st.Archived != uint64(b.N) || st.ArchiveLost != 0 || st.Dropped != 0 {
			b.Fatalf("archived %d of %d, lost %d, dropped %d", st.Archived, b.N, st.ArchiveLost, st.Dropped)
		}
		if m, err := s.Marks(); err != nil || m["paris"].Frame != uint64(b.N) {
			b.Fatalf("mark %v (%v), want frame %d", m, err, b.N)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	})
}

// BenchmarkExportIncident exports an incident of 1 M 100-byte frames as
// pcapng to a file.
func BenchmarkExportIncident(b *testing.B) {
	const n = 1_000_000
	frames := sharedBenchFrames(b)
	s := openTest(b, b.TempDir(), Options{})
	defer s.Close()
	rec := NewRecorder(s, nil, RecorderOptions{Triggers: []state.EventType{}, Pre: -1, Post: time.Duration(n-1) * time.Microsecond,
		HandoffBytes: 128 << 20, IdleClose: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	p := &producer{frames: frames, rec: rec, t: 1_700_000_000e9}
	id, err := rec.TriggerAt(ctx, p.t+1000, "bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n+10; i++ {
		p.next(true)
	}
	waitIdle(b, rec, time.Minute)
	inc, err := s.Incident(id)
	if err != nil || inc.Frames != n || inc.State != StateComplete {
		b.Fatalf("incident %+v %v", inc, err)
	}
	path := filepath.Join(b.TempDir(), "export.pcapng")
	b.SetBytes(n * 100)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		st, err := s.ExportIncident(id, f, nil)
		if err != nil || st.Frames != n {
			b.Fatal(st, err)
		}
		f.Close()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// TestSustainedIngest runs the sustained benchmark: 100-byte frames
// at 1 M frames/s of wall clock into the archive for DASHCAM_SUSTAINED
// (e.g. 60s), through the RAM buffer as the pipeline does (frames the
// hand-off has no room for are recovered from it), after writing the
// same number of frames to a pcapng file as the floor. By hand:
//
//	DASHCAM_SUSTAINED=60s go test ./state/dashcam -run TestSustainedIngest -v -timeout 10m
func TestSustainedIngest(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("DASHCAM_SUSTAINED"))
	if err != nil {
		t.Skip("set DASHCAM_SUSTAINED=60s to run")
	}
	rate := 1_000_000
	if r := os.Getenv("DASHCAM_RATE"); r != "" {
		if _, err := fmtSscan(r, &rate); err != nil {
			t.Fatal(err)
		}
	}
	frames := benchFrames(t, 4096)
	dir := t.TempDir()
	total := int(d.Seconds() * float64(rate))

	start := time.Now()
	size := pcapngFloor(t, dir, frames, total)
	floor := time.Since(start)
	os.Remove(filepath.Join(dir, "floor.pcapng"))

	s := openTest(t, filepath.Join(dir, "store"), Options{ArchiveMaxBytes: 4 << 30})
	defer s.Close()
	buf, err := ring.NewBuffer(256 << 20)
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(s, buf, RecorderOptions{Archive: true, Triggers: []state.EventType{}, HandoffBytes: 256 << 20})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	p := &producer{frames: frames, rec: rec, buf: buf, t: 1_700_000_000e9}
	start = time.Now()
	sent := 0
	for sent < total {
		// Pace in steps of 1 ms worth of frames.
		due := int(time.Since(start).Seconds()*float64(rate)) + rate/1000
		for ; sent < min(due, total); sent++ {
			p.next(false)
		}
		if ahead := time.Duration(float64(sent)/float64(rate)*1e9) - time.Since(start); ahead > 0 {
			time.Sleep(ahead)
		}
	}
	produced := time.Since(start)
	if err := rec.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	all := time.Since(start)
	cancel()
	<-done
	st := rec.Stats()
	t.Logf("pcapng floor: %d frames in %v = %.2f M frames/s, %.1f B/frame", total, floor.Round(time.Millisecond),
		float64(total)/floor.Seconds()/1e6, float64(size)/float64(total))
	t.Logf("archive: %d frames offered in %v = %.2f M frames/s (all written %v after start); archived %d, hand-off drops %d (repaired from RAM %d), lost %d; store %.1f B/frame (retention 4 GiB)",
		total, produced.Round(time.Millisecond), float64(total)/produced.Seconds()/1e6, all.Round(time.Millisecond),
		st.Archived, st.Dropped, st.Repaired, st.ArchiveLost, float64(s.tableBytes())/float64(st.Archived-uint64(deleted(s))))
	if st.Archived != uint64(total) || st.ArchiveLost != 0 {
		t.Errorf("archived %d of %d frames", st.Archived, total)
	}
}

func fmtSscan(s string, v *int) (int, error) { return fmt.Sscan(s, v) }

// tableBytes flushes the memtables and returns the size of the tables
// holding keys (the write-ahead log and files awaiting deletion aside).
func (s *Store) tableBytes() uint64 {
	s.Flush()
	n, _ := s.Estimate([]byte{0}, []byte{0xff})
	return n
}

// deleted counts archived frames that retention has deleted.
func deleted(s *Store) int {
	floor := s.arcFloor.Load()
	if floor == math.MinInt64 {
		return 0
	}
	return int((floor - 1_700_000_000e9) / 1000) // one frame per microsecond from the start
}
