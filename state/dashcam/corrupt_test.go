package dashcam

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/store"
)

// The corruption test: a store holding every kind of file (tables,
// write-ahead log, MANIFEST, OPTIONS) is copied, a few bytes of one file
// are overwritten at one offset, and a child process (this test binary)
// opens the copy, reads everything, writes and closes it. Each run must
// end within corruptDeadline with either the data read back as it was,
// or an error that names the damage (a *store.CorruptionError, or an Open error
// naming the file); never a panic, never a hang.
const (
	corruptEnv      = "DASHCAM_CORRUPT_DIR"
	corruptDeadline = 30 * time.Second
)

// corruptTemplate builds the store the runs damage: incidents and archive
// flushed to a table, then more incidents, events and metadata left in
// the write-ahead log.
func corruptTemplate(t *testing.T, dir string) {
	frames, ifaces := simFrames(t, 12000)
	s := openTest(t, dir, Options{})
	rec := NewRecorder(s, nil, RecorderOptions{Triggers: []state.EventType{}, Pre: 3 * time.Second, Post: 2 * time.Second,
		Archive: true, ChunkBytes: 4 << 10, IdleClose: 50 * time.Millisecond})
	fd := newFeeder(t, frames, ifaces, 64<<20)
	rec.buf = fd.buf
	rec.SetInterfaces([]string{"tap0"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	for _, k := range []int{2000, 5000, 8000, 10500} {
		fd.at[k] = func() {
			if _, err := rec.TriggerAt(context.Background(), frames[k].Timestamp, fmt.Sprint("at ", k), nil); err != nil {
				t.Error(err)
			}
			if k == 8000 {
				// The first incidents go to a table; the rest stays in
				// the write-ahead log.
				if err := rec.Sync(context.Background()); err != nil {
					t.Error(err)
				}
				if err := s.Flush(); err != nil {
					t.Error(err)
				}
			}
		}
	}
	fd.run(t, rec)
	waitIdle(t, rec, 20*time.Second)
	cancel()
	<-done
	for i := range 50 {
		if _, err := s.AppendEvent(state.Event{Time: int64(i), Type: state.CaptureTrouble, Detail: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutDevice("ec4670.fffe.00a101", []byte(`{"alias":"gm"}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.SyncWAL(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// readAll reads everything the store holds and returns a digest of it,
// or the first error.
func readAll(s *Store) (string, error) {
	h := sha256.New()
	incs, err := s.Incidents()
	if err != nil {
		return "", fmt.Errorf("incidents: %w", err)
	}
	for _, inc := range incs {
		fmt.Fprintf(h, "incident %d %s %d\n", inc.ID, inc.State, inc.Frames)
		err := s.ReadIncident(inc.ID, func(f *Frame) bool {
			fmt.Fprintf(h, "%d %d %x\n", f.Time, f.OrigLen, f.Data)
			return true
		})
		if err != nil {
			return "", fmt.Errorf("incident %d: %w", inc.ID, err)
		}
		if _, err := s.ExportIncident(inc.ID, io.Discard, nil); err != nil {
			return "", fmt.Errorf("export incident %d: %w", inc.ID, err)
		}
	}
	err = s.ReadRange(math.MinInt64+2*chunkSpan, math.MaxInt64-2*chunkSpan, func(f *Frame) bool {
		fmt.Fprintf(h, "a %d %x\n", f.Time, f.Data)
		return true
	})
	if err != nil {
		return "", fmt.Errorf("archive: %w", err)
	}
	evs, err := s.Events(0, 0)
	if err != nil {
		return "", fmt.Errorf("events: %w", err)
	}
	for _, e := range evs {
		fmt.Fprintf(h, "e %d %s %s\n", e.Seq, e.Type, e.Detail)
	}
	devs, err := s.Devices()
	if err != nil {
		return "", fmt.Errorf("devices: %w", err)
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range devs {
			if !yield(k) {
				return
			}
		}
	}) {
		fmt.Fprintf(h, "d %s %s\n", k, devs[k])
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// TestCorruptChild is the child's side: it opens the store in
// corruptEnv, reads it all, writes, closes, and prints one line:
// "ok DIGEST", "open: ERR", "read: ERR" or "close: ERR". Damage reports
// (OnDamage) are printed as "damage: ERR" lines before it.
func TestCorruptChild(t *testing.T) {
	dir := os.Getenv(corruptEnv)
	if dir == "" {
		t.Skip("run by TestCorruption")
	}
	s, err := Open(dir, Options{Store: store.Options{Logger: quiet, MinFreeBytes: -1, BallastBytes: -1, MustExist: true, OnDamage: func(err error) { fmt.Println("damage:", oneLine(err)) }}})
	if err != nil {
		fmt.Println("open:", oneLine(err))
		return
	}
	digest, rerr := readAll(s)
	if rerr == nil {
		// Writing still works after reading.
		if _, err := s.AppendEvent(state.Event{Type: state.CaptureTrouble, Detail: "after"}); err != nil {
			rerr = fmt.Errorf("write: %w", err)
		} else if err := s.SyncWAL(); err != nil {
			rerr = fmt.Errorf("sync: %w", err)
		}
	}
	if err := s.Close(); err != nil && rerr == nil {
		fmt.Println("close:", oneLine(err))
		return
	}
	if rerr != nil {
		kind := "other"
		if errors.Is(rerr, store.ErrCorrupt) {
			kind = "corrupt"
		}
		fmt.Printf("read: %s: %s\n", kind, oneLine(rerr))
		return
	}
	fmt.Println("ok", digest)
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", `\n`) }

// storeFileKind names the kind of a store file, "" for files not
// damaged by the test.
func storeFileKind(name string) string {
	switch {
	case strings.HasSuffix(name, ".sst"):
		return "sst"
	case strings.HasSuffix(name, ".log"):
		return "wal"
	case strings.HasPrefix(name, "MANIFEST-"):
		return "manifest"
	case strings.HasPrefix(name, "OPTIONS-"):
		return "options"
	case name == "CURRENT":
		return "current"
	}
	return ""
}

func TestCorruption(t *testing.T) {
	if os.Getenv(corruptEnv) != "" {
		t.Skip("in the child")
	}
	if _, err := os.Stat(os.Args[0]); err != nil {
		t.Skip("cannot re-execute the test binary:", err)
	}
	perFile := 24
	if testing.Short() {
		perFile = 6
	}
	tmpl := filepath.Join(t.TempDir(), "template")
	corruptTemplate(t, tmpl)
	// The undamaged digest (of a copy: the child writes).
	clean := filepath.Join(t.TempDir(), "s")
	copyDir(t, tmpl, clean)
	wantLine := runCorruptChild(t, clean)
	if !strings.HasPrefix(wantLine.last, "ok ") || len(wantLine.damage) > 0 {
		t.Fatalf("undamaged store: %q\n%s", wantLine.last, wantLine.stderr)
	}
	want := strings.TrimPrefix(wantLine.last, "ok ")

	ents, err := os.ReadDir(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	var files []string
	for _, e := range ents {
		if info, err := e.Info(); err == nil && storeFileKind(e.Name()) != "" && info.Size() > 0 {
			files = append(files, e.Name())
			kinds[storeFileKind(e.Name())]++
		}
	}
	for _, k := range []string{"sst", "wal", "manifest", "options"} {
		if kinds[k] == 0 {
			t.Fatalf("the template store has no %s file: %v", k, files)
		}
	}
	rng := rand.New(rand.NewPCG(12, 1588))
	type outcome struct{ intact, openErr, readErr, reported, reportedLost, silent int }
	results := map[string]*outcome{}
	runs, slowest := 0, time.Duration(0)
	start := time.Now()
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join(tmpl, name))
		if err != nil {
			t.Fatal(err)
		}
		kind := storeFileKind(name)
		res := &outcome{}
		results[name+" ("+kind+")"] = res
		// Offsets spread over the file (start, end, and between), plus
		// random ones.
		var offs []int
		for i := range perFile / 2 {
			offs = append(offs, i*len(data)/(perFile/2))
		}
		offs = append(offs, len(data)-1)
		for len(offs) < perFile {
			offs = append(offs, rng.IntN(len(data)))
		}
		for _, off := range offs {
			dir := filepath.Join(t.TempDir(), "s")
			copyDir(t, tmpl, dir)
			n := 1 + rng.IntN(16)
			damaged := slices.Clone(data)
			for i := off; i < min(off+n, len(damaged)); i++ {
				damaged[i] ^= byte(1 + rng.IntN(255))
			}
			if err := os.WriteFile(filepath.Join(dir, name), damaged, 0o644); err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			got := runCorruptChild(t, dir)
			slowest = max(slowest, time.Since(t0))
			runs++
			what := fmt.Sprintf("%s (%s) %d bytes at %d of %d", name, kind, n, off, len(data))
			if strings.Contains(got.stderr, "panic") {
				t.Fatalf("%s: the child panicked:\n%s", what, got.stderr)
			}
			switch l := got.last; {
			case l == "hang":
				t.Fatalf("%s: the child did not finish within %v:\n%s", what, corruptDeadline, got.stderr)
			case l == "ok "+want && len(got.damage) == 0:
				res.intact++
			case l == "ok "+want:
				res.reported++ // reported, and what is read back is all there
			case strings.HasPrefix(l, "ok "):
				// Read back differently without an error: allowed only
				// when the damage was reported.
				if len(got.damage) == 0 {
					res.silent++
					t.Errorf("%s: the data changed and nothing reported it", what)
				} else {
					res.reportedLost++
				}
			case strings.HasPrefix(l, "open: "):
				if !namesDamage(l) {
					t.Errorf("%s: Open failed without naming the damage: %s", what, l)
				}
				res.openErr++
			case strings.HasPrefix(l, "read: corrupt: "):
				if !namesDamage(l) {
					t.Errorf("%s: read error does not name the file: %s", what, l)
				}
				res.readErr++
			default:
				t.Errorf("%s: %s\n%s", what, l, got.stderr)
			}
		}
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range results {
			if !yield(k) {
				return
			}
		}
	}) {
		r := results[k]
		t.Logf("%-26s read back intact %3d, open refused %3d, read error %3d, damage reported (data intact %3d, lost %3d), silently changed %d",
			k, r.intact, r.openErr, r.readErr, r.reported, r.reportedLost, r.silent)
	}
	t.Logf("%d damaged copies of %d files in %v; slowest run %v", runs, len(files), time.Since(start).Round(time.Millisecond), slowest.Round(time.Millisecond))
}

// namesDamage reports whether an error line names a store file or says
// the store is damaged.
func namesDamage(l string) bool {
	return strings.Contains(l, ".blob") ||
		strings.Contains(l, ".sst") || strings.Contains(l, ".log") || strings.Contains(l, "MANIFEST") ||
		strings.Contains(l, "OPTIONS") || strings.Contains(l, "CURRENT") || strings.Contains(l, "damaged")
}

type childResult struct {
	last   string   // the result line, or "hang"
	damage []string // damage reports
	stderr string
}

func runCorruptChild(t *testing.T, dir string) childResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), corruptDeadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCorruptChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), corruptEnv+"="+dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	r := childResult{stderr: stderr.String() + stdout.String()}
	if ctx.Err() != nil {
		r.last = "hang"
		return r
	}
	for _, l := range strings.Split(stdout.String(), "\n") {
		switch {
		case strings.HasPrefix(l, "damage: "):
			r.damage = append(r.damage, l)
		case strings.HasPrefix(l, "ok "), strings.HasPrefix(l, "open: "), strings.HasPrefix(l, "read: "), strings.HasPrefix(l, "close: "):
			r.last = l
		}
	}
	if r.last == "" {
		r.last = fmt.Sprintf("no result (exit %v)", err)
	}
	return r
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDamagedIncident damages a data block of the table holding the first
// incidents: opening works, the incident under the damage reads back with
// a *store.CorruptionError naming the table and is marked damaged, the
// incidents outside it stay readable, and the store keeps writing.
func TestDamagedIncident(t *testing.T) {
	tmpl := filepath.Join(t.TempDir(), "template")
	corruptTemplate(t, tmpl)
	ssts, _ := filepath.Glob(filepath.Join(tmpl, "*.sst"))
	if len(ssts) != 1 {
		t.Fatalf("want one table, have %v", ssts)
	}
	table := filepath.Base(ssts[0])
	orig, err := os.ReadFile(ssts[0])
	if err != nil {
		t.Fatal(err)
	}
	// Archive chunks sort first in the table, incident frames after them:
	// damage blocks further on until an incident is hit.
	for pct := 40; pct < 95; pct += 5 {
		dir := filepath.Join(t.TempDir(), "s")
		copyDir(t, tmpl, dir)
		data := slices.Clone(orig)
		off := len(data) * pct / 100
		for i := off; i < off+16; i++ {
			data[i] ^= 0x5a
		}
		if err := os.WriteFile(filepath.Join(dir, table), data, 0o644); err != nil {
			t.Fatal(err)
		}
		var damage []error
		s := openTest(t, dir, Options{Store: store.Options{OnDamage: func(err error) { damage = append(damage, err) }}})
		incs, err := s.Incidents()
		if err != nil {
			t.Fatal(err)
		}
		var bad, good []uint64
		for _, inc := range incs {
			err := s.ReadIncident(inc.ID, func(*Frame) bool { return true })
			var ce *store.CorruptionError
			switch {
			case err == nil:
				good = append(good, inc.ID)
			case errors.As(err, &ce) && errors.Is(err, store.ErrCorrupt):
				if ce.File != table || ce.Record != fmt.Sprintf("incident %d", inc.ID) || strings.Contains(err.Error(), "\n") {
					t.Errorf("incident %d: %+v (%q)", inc.ID, ce, err)
				}
				bad = append(bad, inc.ID)
				if got, _ := s.Incident(inc.ID); got.Damaged == "" {
					t.Errorf("incident %d reads back damaged but is not marked", inc.ID)
				}
			default:
				t.Fatalf("incident %d: %v", inc.ID, err)
			}
		}
		if paused, err := s.Paused(); paused {
			t.Fatalf("a read error paused the store: %v", err)
		}
		if _, err := s.AppendEvent(state.Event{Type: state.CaptureTrouble}); err != nil {
			t.Fatal(err)
		}
		if err := s.SyncWAL(); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if len(bad) == 0 {
			continue
		}
		if len(good) == 0 || !slices.Contains(good, incs[len(incs)-1].ID) {
			t.Fatalf("damage at %d%%: damaged incidents %v, readable %v: want the newest readable", pct, bad, good)
		}
		t.Logf("damage at %d%% of %s: incidents %v damaged, %v readable; reported: %v", pct, table, bad, good, damage)
		return
	}
	t.Fatal("no damage hit an incident")
}
