package httpd

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/ptpwatch/ptpwatch/state/dashcam"
	"github.com/ptpwatch/ptpwatch/state/store"
)

// TestStoreErrorAnswers checks that the answers for a store in trouble
// say what happened and what to do, in one line without stack traces.
func TestStoreErrorAnswers(t *testing.T) {
	s := &Server{log: quietLog}
	stack := "\n(1) attached stack trace\n  -- stack trace:\n  | github.com/cockroachdb/pebble/v2.(*DB).Open\n  | \t/root/go/pkg/mod/pebble/open.go:123"
	for _, c := range []struct {
		name    string
		err     error
		trouble storeTrouble
		status  int
		want    []string
		not     []string
	}{
		{"disk full", store.ErrPaused, storeTrouble{true, true, &store.DiskFullError{Dir: "/d", Avail: 1 << 20, Want: 256 << 20}}, 503,
			[]string{"disk is nearly full", "free space", "resumes by itself"}, nil},
		{"write failed", store.ErrPaused, storeTrouble{true, false, fmt.Errorf("dashcam: write failed: %w", syscall.EIO)}, 503,
			[]string{"write to the disk failed", "input/output error", "retries", "check the disk"}, []string{"resumes by itself", "has room"}},
		{"failed", fmt.Errorf("%w: dashcam: pebble: MANIFEST sync failed: EIO"+stack, store.ErrFailed), storeTrouble{}, 503,
			[]string{"failed", "Restart ptpwatch", "MANIFEST sync failed"}, []string{"stack", ".go:", "\n"}},
		{"damaged", &store.CorruptionError{Dir: "/d", File: "000007.sst", Err: errors.New("crc32c checksum mismatch" + stack)}, storeTrouble{}, 500,
			[]string{"damaged", "000007.sst", "checksum mismatch", "delete the damaged incident"}, []string{"stack", ".go:", "\n"}},
		{"other", errors.New("boom" + stack), storeTrouble{}, 500, []string{"boom"}, []string{"stack", ".go:", "\n"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var ae *apiError
			if !errors.As(s.storeErrorFor(c.err, c.trouble, "doing it"), &ae) {
				t.Fatal("not an API error")
			}
			if ae.status != c.status {
				t.Errorf("status %d, want %d", ae.status, c.status)
			}
			for _, w := range c.want {
				if !strings.Contains(ae.msg, w) {
					t.Errorf("%q does not say %q", ae.msg, w)
				}
			}
			for _, w := range c.not {
				if strings.Contains(ae.msg, w) {
					t.Errorf("%q says %q", ae.msg, w)
				}
			}
		})
	}
}

// damagedCopy copies the fixture's flushed store and damages its table
// until incident id no longer reads back; it returns the opened copy.
func damagedCopy(t *testing.T, src *dashcam.Store, id uint64) *dashcam.Store {
	t.Helper()
	if err := src.Flush(); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src.Dir())
	if err != nil {
		t.Fatal(err)
	}
	for pct := 30; pct < 100; pct += 5 {
		dir := t.TempDir()
		table := ""
		for _, e := range ents {
			if e.Name() == "LOCK" || e.IsDir() {
				continue
			}
			b, err := os.ReadFile(filepath.Join(src.Dir(), e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(e.Name(), ".sst") && table == "" {
				table = e.Name()
				b = slices.Clone(b)
				for i := len(b) * pct / 100; i < len(b)*pct/100+16 && i < len(b); i++ {
					b[i] ^= 0xa5
				}
			}
			if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if table == "" {
			t.Fatal("the fixture store has no table")
		}
		st, err := dashcam.Open(dir, dashcam.Options{Store: store.Options{Logger: quietLog, MinFreeBytes: -1, BallastBytes: -1, MustExist: true}})
		if err != nil {
			continue
		}
		if _, err := st.Incident(id); err == nil {
			if err := st.ReadIncident(id, func(*dashcam.Frame) bool { return true }); errors.Is(err, store.ErrCorrupt) {
				t.Cleanup(func() { st.Close() })
				return st
			}
		}
		st.Close()
	}
	t.Fatal("no damage made the incident unreadable")
	return nil
}

// TestDamagedDownload: a download of an incident whose frames are damaged
// ends with a broken connection (not a short file that looks complete,
// not a stall), the incident is marked damaged, and the store still takes
// other requests.
func TestDamagedDownload(t *testing.T) {
	fx := newDashcamFixture(t)
	st := damagedCopy(t, fx.done.store, fx.inc1)
	base, _ := serve(t, Config{}, &dashcamBackend{fx.fb, st, nil})
	resp, err := client.Get(fmt.Sprintf("%s/api/v1/incidents/%d/pcapng", base, fx.inc1))
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode == http.StatusOK {
			t.Fatal("the download of a damaged incident ended as if complete")
		}
	}
	t.Logf("download: %v", err)
	resp, err = client.Get(fmt.Sprintf("%s/api/v1/incidents/%d", base, fx.inc1))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"damaged":`) {
		t.Fatalf("incident after a damaged download: %d %s", resp.StatusCode, body)
	}
	if paused, err := st.Paused(); paused {
		t.Fatalf("a damaged read paused the store: %v", err)
	}
}
