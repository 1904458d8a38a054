package natsd_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/xdp/remote"
	"github.com/ptpwatch/ptpwatch/xdp/remote/natsd"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// savedPosition reads the read position a collector saved in dir.
func savedPosition(t *testing.T, dir string) uint64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "collector-state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Position uint64 `json:"position"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st.Position
}

// TestResumeStored: a collector opened with AwaitResume reads nothing
// until Resume; a consumer reporting what it stored through Stored, from
// another goroutine, moves the saved position over the batches wholly
// stored and no further; the next run, resumed from the consumer's mark,
// delivers exactly the frames after it; a run that reads nothing keeps
// the saved position.
func TestResumeStored(t *testing.T) {
	dir := t.TempDir()
	scfg := natsd.Config{StoreDir: filepath.Join(dir, "js")}
	ccfg := remote.CollectorConfig{StateDir: dir, AwaitResume: true}
	col := startCollector(t, scfg, ccfg)
	p := startProbe(t, remote.ProbeConfig{Collectors: []string{col.url}, BatchBytes: 4096})
	const n = 3000
	for i := range uint64(n) {
		f := numbered(i)
		p.Add(&f, ifaces)
	}
	drain(t, p)
	if s := col.c.Sites(); len(s) != 0 {
		t.Fatalf("a collector awaiting Resume read batches: %+v", s)
	}
	if err := col.c.Resume(nil); err != nil {
		t.Fatal(err)
	}
	if err := col.c.Resume(nil); err == nil {
		t.Error("a second Resume was accepted")
	}
	var f source.Frame
	var mark source.Mark
	const upTo = 1700 // frames the consumer stores before the "crash"
	for i := range uint64(n) {
		if err := next(col.c, &f, 10*time.Second); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if number(&f) != i {
			t.Fatalf("frame %d is number %d", i, number(&f))
		}
		if i == upTo-1 {
			_, mark = col.c.FrameMark()
		}
	}
	done := make(chan struct{})
	go func() { col.c.Stored("paris", mark); close(done) }()
	<-done
	col.stop()
	pos := savedPosition(t, dir)
	if pos == 0 {
		t.Fatal("Stored did not move the saved position")
	}
	// Batches are about 4 KiB, a few dozen frames: the position stops at
	// the last batch wholly stored, before the stream's end.
	t.Logf("position %d after storing %d of %d frames", pos, upTo, n)

	col = startCollector(t, scfg, ccfg)
	if err := col.c.Resume(map[string]source.Mark{"paris": mark}); err != nil {
		t.Fatal(err)
	}
	for i := uint64(upTo); i < n; i++ {
		if err := next(col.c, &f, 10*time.Second); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if number(&f) != i {
			t.Fatalf("after resuming at frame %d: got number %d, want %d", upTo, number(&f), i)
		}
	}
	if err := next(col.c, &f, 300*time.Millisecond); err == nil {
		t.Fatalf("frame number %d delivered again", number(&f))
	}
	col.stop()
	if got := savedPosition(t, dir); got != pos {
		t.Fatalf("position %d after a run that stored nothing, want %d kept", got, pos)
	}
}
