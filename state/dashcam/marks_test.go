package dashcam

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// markedSource is a source.Marked for tests: the frame "returned last" is
// whatever the test sets.
type markedSource struct {
	origin  string
	mark    source.Mark
	resumed map[string]source.Mark

	mu     sync.Mutex
	stored map[string]source.Mark
}

func (m *markedSource) Next(context.Context, *source.Frame) error { return io.EOF }
func (m *markedSource) Interfaces() []source.Interface            { return nil }
func (m *markedSource) Close() error                              { return nil }
func (m *markedSource) FrameMark() (string, source.Mark)          { return m.origin, m.mark }
func (m *markedSource) Resume(marks map[string]source.Mark) error {
	if m.resumed != nil {
		return errors.New("resumed twice")
	}
	m.resumed = marks
	return nil
}
func (m *markedSource) Stored(origin string, mk source.Mark) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stored == nil {
		m.stored = map[string]source.Mark{}
	}
	m.stored[origin] = mk
}
func (m *markedSource) storedMark(origin string) source.Mark {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stored[origin]
}

// markFrame hands rec frame n of origin through OnStored, as the pipeline
// does after the source returned it.
func markFrame(rec *Recorder, src *markedSource, origin string, n uint64, data []byte) {
	src.origin, src.mark = origin, source.Mark{Run: 7, Frame: n}
	meta := ring.RecordMeta{Time: int64(n) * int64(time.Millisecond), IfIndex: 0}
	rec.OnStored(0, &meta, decode.LinkEthernet, data, nil)
}

// TestMarksFollowArchive drives a recorder's consumer step by step: the
// stored marks never pass the frames in the archive's committed batches,
// and reach them as the archive's chunk is written; the source hears of
// them once synced; a recorder on the same store resumes from them.
func TestMarksFollowArchive(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, Options{})
	rec := NewRecorder(s, nil, RecorderOptions{Archive: true, Triggers: []state.EventType{}})
	src := &markedSource{}
	if err := rec.UseMarks(src); err != nil {
		t.Fatal(err)
	}
	if src.resumed == nil || len(src.resumed) != 0 {
		t.Fatalf("resumed with %v, want no marks", src.resumed)
	}
	data := make([]byte, 100)
	stored := func() map[string]source.Mark {
		t.Helper()
		m, err := s.Marks()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	rec.pos = rec.h.position()
	rec.wall = time.Now().UnixNano()
	for n := uint64(1); n <= 10; n++ {
		markFrame(rec, src, "paris", n, data)
	}
	markFrame(rec, src, "tokyo", 1, data)
	if k := rec.drain(100); k != 11 {
		t.Fatalf("drained %d entries, want 11", k)
	}
	// Every frame is in the archive's open chunk: no mark may be stored.
	if err := rec.commit(false); err != nil {
		t.Fatal(err)
	}
	if m := stored(); len(m) != 0 {
		t.Fatalf("marks %v stored while their frames wait in memory", m)
	}
	rec.flushArchive()
	if err := rec.commit(false); err != nil {
		t.Fatal(err)
	}
	want := map[string]source.Mark{"paris": {Run: 7, Frame: 10}, "tokyo": {Run: 7, Frame: 1}}
	if m := stored(); len(m) != 2 || m["paris"] != want["paris"] || m["tokyo"] != want["tokyo"] {
		t.Fatalf("marks %v, want %v", m, want)
	}
	if got := src.storedMark("paris"); got != (source.Mark{}) {
		t.Fatalf("the source heard of %v before the store synced", got)
	}
	// More frames: the first opens a chunk, so the marks stay where the
	// archive's written frames are.
	for n := uint64(11); n <= 15; n++ {
		markFrame(rec, src, "paris", n, data)
	}
	rec.drain(100)
	if err := rec.commit(false); err != nil {
		t.Fatal(err)
	}
	// As housekeeping syncs the write-ahead log.
	if err := s.SyncWAL(); err != nil {
		t.Fatal(err)
	}
	rec.marks.synced()
	if m := stored(); m["paris"] != want["paris"] {
		t.Fatalf("mark %v passed the archive's written frames (%v)", m["paris"], want["paris"])
	}
	if got := src.storedMark("paris"); got != want["paris"] {
		t.Fatalf("the source heard %v after the sync, want %v", got, want["paris"])
	}
	rec.flushArchive()
	if err := rec.commit(true); err != nil {
		t.Fatal(err)
	}
	var archived []int64
	if err := s.ReadRange(0, int64(time.Hour), func(f *Frame) bool { archived = append(archived, f.Time); return true }); err != nil {
		t.Fatal(err)
	}
	if len(archived) != 16 {
		t.Fatalf("%d frames archived, want 16", len(archived))
	}
	if m := stored(); m["paris"] != (source.Mark{Run: 7, Frame: 15}) || src.storedMark("paris") != m["paris"] {
		t.Fatalf("mark %v, source told %v, want 7/15", m["paris"], src.storedMark("paris"))
	}
	// A recorder started again on the store hands the marks back.
	again := &markedSource{}
	if err := NewRecorder(s, nil, RecorderOptions{Archive: true}).UseMarks(again); err != nil {
		t.Fatal(err)
	}
	if again.resumed["paris"] != (source.Mark{Run: 7, Frame: 15}) || again.resumed["tokyo"] != want["tokyo"] {
		t.Fatalf("resumed with %v", again.resumed)
	}
}

// TestMarksWithoutRecording: with nothing recorded or archived the
// recorder still stores the marks of the frames that pass (short
// hand-off entries), so the source's position moves on.
func TestMarksWithoutRecording(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	rec := NewRecorder(s, nil, RecorderOptions{Triggers: []state.EventType{}})
	src := &markedSource{}
	if err := rec.UseMarks(src); err != nil {
		t.Fatal(err)
	}
	startRecorder(t, rec)
	data := make([]byte, 100)
	for n := uint64(1); n <= 500; n++ {
		markFrame(rec, src, "paris", n, data)
	}
	if err := rec.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	m, err := s.Marks()
	if err != nil {
		t.Fatal(err)
	}
	if m["paris"] != (source.Mark{Run: 7, Frame: 500}) || src.storedMark("paris") != m["paris"] {
		t.Fatalf("mark %v, source told %v, want 7/500", m["paris"], src.storedMark("paris"))
	}
	if st := rec.Stats(); st.Archived != 0 || st.Dropped != 0 {
		t.Errorf("stats %+v: nothing should be archived or dropped", st)
	}
}

// TestMarksNoAllocs: OnStored with a marked source allocates nothing per
// frame, whether the frame is handed over whole (archiving) or as its
// mark alone.
func TestMarksNoAllocs(t *testing.T) {
	for _, archive := range []bool{true, false} {
		s := openTest(t, t.TempDir(), Options{})
		rec := NewRecorder(s, nil, RecorderOptions{Archive: archive, Triggers: []state.EventType{}, HandoffBytes: 64 << 20})
		src := &markedSource{}
		if err := rec.UseMarks(src); err != nil {
			t.Fatal(err)
		}
		data := make([]byte, 100)
		meta := ring.RecordMeta{Time: 1}
		src.origin = "paris"
		n := uint64(0)
		markFrame(rec, src, "paris", 0, data) // registers the origin
		a := testing.AllocsPerRun(10000, func() {
			n++
			src.mark.Frame = n
			rec.OnStored(0, &meta, decode.LinkEthernet, data, nil)
		})
		if a != 0 {
			t.Errorf("archive %v: %v allocations per frame, want 0", archive, a)
		}
		if rec.Stats().Dropped != 0 {
			t.Errorf("archive %v: hand-off dropped frames", archive)
		}
	}
}
