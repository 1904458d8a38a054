package dashcam

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/store"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// feedLaps hands frames to rec directly (no RAM buffer) lap after lap,
// shifting timestamps so that time keeps increasing, until stop says so.
func feedLaps(rec *Recorder, frames []source.Frame, stop func(lap, i int) bool) (sent int) {
	span := frames[len(frames)-1].Timestamp - frames[0].Timestamp + 1
	for lap := 0; ; lap++ {
		for i := range frames {
			f := &frames[i]
			m := ring.RecordMeta{Time: f.Timestamp + int64(lap)*span, OrigLen: uint32(f.OrigLen), IfIndex: f.Interface, Source: f.TSSource}
			for !rec.Ingest(0, &m, uint16(f.Link), f.Data) {
				time.Sleep(100 * time.Microsecond) // tests: wait rather than drop
			}
			sent++
			if stop(lap, i) {
				return sent
			}
		}
	}
}

func countRange(t testing.TB, s *Store) (n uint64, first, last int64) {
	t.Helper()
	first, last = math.MaxInt64, math.MinInt64
	err := s.ReadRange(math.MinInt64+2*chunkSpan, math.MaxInt64-2*chunkSpan, func(f *Frame) bool {
		n++
		first, last = min(first, f.Time), max(last, f.Time)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return n, first, last
}

func TestArchiveRetention(t *testing.T) {
	frames, _ := simFrames(t, 20000) // 86 s of capture
	s := openTest(t, t.TempDir(), Options{Store: store.Options{MemTableBytes: 1 << 20}})
	defer s.Close()
	rec := NewRecorder(s, nil, RecorderOptions{Archive: true, Triggers: []state.EventType{}, ChunkBytes: 16 << 10})
	startRecorder(t, rec)
	feedLaps(rec, frames, func(lap, i int) bool { return lap == 1 && i == len(frames)-1 })
	if err := rec.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	n, first, last := countRange(t, s)
	if n != 40000 || rec.Stats().Archived != 40000 {
		t.Fatalf("archived %d (stats %d), want 40000", n, rec.Stats().Archived)
	}

	// By age.
	s.opts.ArchiveMaxAge = 60 * time.Second
	if _, err := s.Retain(); err != nil {
		t.Fatal(err)
	}
	_, first2, last2 := countRange(t, s)
	if last2 != last || first2 < last-int64(61*time.Second) || first2 > last-int64(59*time.Second) {
		t.Fatalf("after 60 s age retention the archive spans %v before the newest frame (was %v)",
			time.Duration(last2-first2), time.Duration(last-first))
	}

	// By size: half of what is left.
	s.opts.ArchiveMaxAge = 0
	use := s.archiveBytes()
	s.opts.ArchiveMaxBytes = int64(use / 2)
	if _, err := s.Retain(); err != nil {
		t.Fatal(err)
	}
	if after := s.archiveBytes(); after > use/2 || after < use/4 {
		t.Fatalf("archive estimate %d after cutting %d to %d", after, use, use/2)
	}
	n3, first3, last3 := countRange(t, s)
	if last3 != last || first3 <= first2 || n3 == 0 {
		t.Fatalf("after size retention: %d frames from %d to %d", n3, first3, last3)
	}
	// Space comes back once Pebble compacts the deleted range away.
	whole := func() uint64 {
		n, _ := s.Estimate(archiveBound(math.MinInt64), archiveEnd)
		return n
	}
	before := whole()
	if err := s.Compact(archiveBound(math.MinInt64), archiveEnd); err != nil {
		t.Fatal(err)
	}
	if after := whole(); after > before*2/3 {
		t.Errorf("tables under the archive hold %d bytes after compaction, %d before", after, before)
	}
}

func TestTotalRetention(t *testing.T) {
	frames, ifaces := simFrames(t, 20000)
	s := openTest(t, t.TempDir(), Options{Store: store.Options{MemTableBytes: 1 << 20}})
	defer s.Close()
	// An interrupted recording that must never be deleted while it records.
	keep := Incident{From: 0, To: 1, Created: 1}
	if err := s.newIncident(&keep); err != nil {
		t.Fatal(err)
	}
	fd := newFeeder(t, frames, ifaces, 64<<20)
	rec := NewRecorder(s, fd.buf, RecorderOptions{Triggers: []state.EventType{}, Pre: 3 * time.Second, Post: 3 * time.Second, IdleClose: 50 * time.Millisecond})
	startRecorder(t, rec)
	for _, at := range []int{2000, 6000, 10000, 14000, 18000} {
		fd.at[at] = func() {
			if _, err := rec.TriggerAt(context.Background(), frames[at].Timestamp, "", nil); err != nil {
				t.Error(err)
			}
		}
	}
	fd.run(t, rec)
	waitIdle(t, rec, 10*time.Second)
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	incs, _ := s.Incidents()
	if len(incs) != 6 {
		t.Fatalf("%d incidents", len(incs))
	}
	var sizes []uint64
	for _, inc := range incs[1:] {
		sizes = append(sizes, s.IncidentDiskBytes(inc.ID))
	}
	// Room for the two newest only.
	s.opts.MaxBytes = int64(sizes[3] + sizes[4] + sizes[4]/2)
	st, err := s.Retain()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.Incidents, []uint64{incs[1].ID, incs[2].ID, incs[3].ID}) {
		t.Fatalf("deleted %v, want the three oldest finished ones", st.Incidents)
	}
	left, _ := s.Incidents()
	if len(left) != 3 || left[0].ID != keep.ID {
		t.Fatalf("left %+v", left)
	}
	// Age: everything finished is older than a nanosecond.
	s.opts.MaxBytes, s.opts.MaxAge = 0, time.Nanosecond
	time.Sleep(time.Millisecond)
	if st, err = s.Retain(); err != nil || len(st.Incidents) != 2 {
		t.Fatalf("age retention deleted %v (%v)", st.Incidents, err)
	}
	if err := s.DeleteIncident(keep.ID); !errors.Is(err, ErrRecording) {
		t.Fatalf("deleting a recording incident: %v", err)
	}
}

// TestDiskFull fills a small file system while archiving, checks that
// recording pauses with an event instead of failing or corrupting, that
// it resumes when space returns, and that after a restart the store holds
// exactly the frames the recorder reported written.
func TestDiskFull(t *testing.T) {
	frames, _ := simFrames(t, 20000)
	for _, tc := range []struct {
		name    string
		minFree int64
	}{
		{"free-space-check", 8 << 20},
		{"ENOSPC", -1}, // only a refused write tells: the ballast goes
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			q := newQuotaFS(40 << 20)
			var troubles, recoveries atomic.Int32
			var lastErr atomic.Value
			opts := Options{Store: store.Options{FS: q, MinFreeBytes: tc.minFree, BallastBytes: 4 << 20, CheckInterval: 20 * time.Millisecond,
				MemTableBytes: 2 << 20, Logger: quiet,
				OnTrouble:   func(err error) { lastErr.Store(err); troubles.Add(1) }, // the error first: the test waits on the count
				OnRecovered: func() { recoveries.Add(1) },
			}}
			s, err := Open(dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			rec := NewRecorder(s, nil, RecorderOptions{Archive: true, Triggers: []state.EventType{}, HandoffBytes: 8 << 20})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { rec.Run(ctx); close(done) }()

			deadline := time.Now().Add(30 * time.Second)
			feedLaps(rec, frames, func(lap, i int) bool {
				if i%1000 == 0 && time.Now().After(deadline) {
					t.Fatal("the disk never filled")
				}
				return troubles.Load() > 0
			})
			if e, _ := lastErr.Load().(error); !errors.As(e, new(*store.DiskFullError)) {
				t.Errorf("trouble %v, want a *store.DiskFullError", e)
			}
			if paused, _ := s.Paused(); !paused {
				t.Error("not paused")
			}
			// Frames keep coming while paused: they are counted, not stored.
			lost0 := rec.Stats().ArchiveLost
			feedLaps(rec, frames[:5000], func(lap, i int) bool { return lap == 1 })
			rec.Sync(context.Background())
			if rec.Stats().ArchiveLost <= lost0 {
				t.Errorf("no frames counted lost while paused: %+v", rec.Stats())
			}
			if err := s.PutConfig("x", []byte("y")); !errors.Is(err, store.ErrPaused) {
				t.Errorf("PutConfig while paused: %v", err)
			}

			// Space returns.
			q.Capacity.Add(200 << 20)
			for recoveries.Load() == 0 {
				if time.Now().After(deadline) {
					t.Fatal("recording did not resume")
				}
				time.Sleep(10 * time.Millisecond)
			}
			archived := rec.Stats().Archived
			feedLaps(rec, frames, func(lap, i int) bool { return i == 10000 })
			if err := rec.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
			st := rec.Stats()
			if st.Archived <= archived {
				t.Fatalf("nothing archived after resuming: %+v", st)
			}
			cancel()
			<-done
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}

			s, err = Open(dir, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if n, _, _ := countRange(t, s); n != st.Archived {
				t.Fatalf("store holds %d frames, the recorder wrote %d (lost %d)", n, st.Archived, st.ArchiveLost)
			}
			t.Logf("archived %d, lost %d while paused; %d writes refused", st.Archived, st.ArchiveLost, q.failed.Load())
		})
	}
}

// TestWriteFault makes the disk refuse the write-ahead log (EIO) while
// archiving. Pebble cannot go on from that, but the process must: the
// store reports itself failed, its operations return store.ErrFailed instead of
// hanging or ending the process, the recorder keeps taking frames
// (counting them lost), and the store opens again afterwards with at
// least what had been synced before the fault.
func TestWriteFault(t *testing.T) {
	frames, _ := simFrames(t, 20000)
	dir := t.TempDir()
	q := newQuotaFS(1 << 40)
	var trouble atomic.Value
	opts := Options{Store: store.Options{FS: q, MinFreeBytes: -1, BallastBytes: -1, CheckInterval: 20 * time.Millisecond, Logger: quiet, OnTrouble: func(err error) { trouble.Store(err) }}}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(s, nil, RecorderOptions{Archive: true, Triggers: []state.EventType{}, HandoffBytes: 1 << 20})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	next := 0
	feed := func(n int) (taken int) {
		for range n {
			f := &frames[next%len(frames)]
			m := ring.RecordMeta{Time: f.Timestamp + int64(next/len(frames))*int64(time.Hour), OrigLen: uint32(f.OrigLen), IfIndex: f.Interface, Source: f.TSSource}
			if rec.Ingest(0, &m, uint16(f.Link), f.Data) {
				taken++
				next++
			} else {
				time.Sleep(20 * time.Microsecond)
			}
		}
		return taken
	}
	feed(5000)
	if err := rec.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	synced := rec.Stats().Archived

	q.eio.Store(true)
	for deadline := time.Now().Add(20 * time.Second); trouble.Load() == nil; feed(1000) {
		if time.Now().After(deadline) {
			t.Fatal("no trouble reported with the log refused")
		}
		sctx, scancel := context.WithTimeout(context.Background(), time.Second)
		rec.Sync(sctx)
		scancel()
	}
	if err, _ := trouble.Load().(error); !errors.Is(err, store.ErrFailed) {
		t.Errorf("trouble %v, want an error matching store.ErrFailed", err)
	}
	within := func(what string, fn func() error) error {
		t.Helper()
		c := make(chan error, 1)
		go func() { c <- fn() }()
		select {
		case err := <-c:
			return err
		case <-time.After(5 * time.Second):
			t.Fatalf("%s hangs on a failed store", what)
			return nil
		}
	}
	for deadline := time.Now().Add(10 * time.Second); !s.Failed(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the store did not fail; trouble %v", trouble.Load())
		}
	}
	if err := within("Incidents", func() error { _, err := s.Incidents(); return err }); !errors.Is(err, store.ErrFailed) {
		t.Errorf("Incidents on a failed store: %v", err)
	}
	if err := within("PutConfig", func() error { return s.PutConfig("x", []byte("y")) }); !errors.Is(err, store.ErrFailed) {
		t.Errorf("PutConfig on a failed store: %v", err)
	}
	if paused, err := s.Paused(); !paused || err == nil {
		t.Errorf("Paused = %v, %v", paused, err)
	}
	// The recorder still drains its hand-off: far more frames than it
	// holds (1 MiB, some 8,000) go in, and are counted lost.
	lost0 := rec.Stats().ArchiveLost
	if taken := feed(40000); taken < 20000 {
		t.Errorf("the recorder took %d of 40000 frames after the failure: stuck", taken)
	}
	within("Recorder.Sync", func() error { return rec.Sync(context.Background()) })
	if st := rec.Stats(); st.ArchiveLost <= lost0 {
		t.Errorf("frames after the failure not counted lost: %+v", st)
	}
	cancel()
	within("stopping the recorder", func() error { <-done; return nil })
	if err := within("Close", s.Close); !errors.Is(err, store.ErrFailed) {
		t.Errorf("Close of a failed store: %v", err)
	}

	q.eio.Store(false)
	s, err = Open(dir, opts)
	if err != nil {
		t.Fatalf("reopening after the fault: %v", err)
	}
	defer s.Close()
	n, _, _ := countRange(t, s)
	archived := rec.Stats().Archived
	if n < synced || n > archived {
		t.Fatalf("reopened store holds %d frames; %d were synced before the fault, %d reported archived", n, synced, archived)
	}
	t.Logf("synced %d before the fault, %d archived in all, %d recovered", synced, archived, n)
}

// TestWriteAfterClose: a writer that outlives the store (a recorder still
// running when its owner closes the store) gets ErrClosed, not a panic
// from Pebble, also when the close happens while writers are busy.
func TestWriteAfterClose(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, err := s.AppendEvent(state.Event{Type: state.CaptureStarted, Time: time.Now().UnixNano()})
				if errors.Is(err, store.ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("AppendEvent before Close: %v", err)
					return
				}
			}
		}()
	}
	if _, err := s.AppendEvent(state.Event{Type: state.CaptureStarted, Time: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if _, err := s.AppendEvent(state.Event{Type: state.CaptureStopped, Time: 2}); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("AppendEvent after Close: %v, want store.ErrClosed", err)
	}
}
