package dashcam

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/xdp/source"

	"github.com/ptpwatch/ptpwatch/state/store"
)

// The crash test: a child process (this test binary, re-executed) replays
// a simulated capture as fast as the pipeline runs into a recorder that
// archives everything and records incidents around scripted manual
// triggers and the scenario's events; the parent kills it with SIGKILL at
// a random moment, reopens the store and checks every incident against
// the source frames. The store is kept from one run to the next, so each
// run also reopens what all earlier crashes left.
const (
	crashEnv    = "DASHCAM_CRASH_DIR"
	crashRunEnv = "DASHCAM_CRASH_RUN"
	crashFrames = 80000 // about 6 virtual minutes of the demo network
	crashEvery  = 6000  // a manual trigger every this many frames
)

func crashOptions() RecorderOptions {
	return RecorderOptions{
		AllScopes: true, Pre: 3 * time.Second, Post: 2 * time.Second, Archive: true,
		ChunkBytes: 8 << 10, FlushInterval: 20 * time.Millisecond, IdleClose: 100 * time.Millisecond,
	}
}

// crashLaps is how many times a run replays its part of the capture,
// shifted in time, so that frames still flow when the parent kills it.
const crashLaps = 5

// crashOffset is where run i starts in the capture.
func crashOffset(i int) int { return (i * 7919) % (crashFrames / 2) }

// lapSpan is how much later each lap is captured than the one before.
func lapSpan(frames []source.Frame) int64 {
	return frames[len(frames)-1].Timestamp - frames[0].Timestamp + int64(time.Second)
}

// crashSource returns what run i replays.
func crashSource(frames []source.Frame, i int) []source.Frame {
	span := lapSpan(frames)
	part := frames[crashOffset(i):]
	out := make([]source.Frame, 0, crashLaps*len(part))
	for lap := range crashLaps {
		for _, f := range part {
			f.Timestamp += int64(lap) * span
			out = append(out, f)
		}
	}
	return out
}

// crashTagged is crashSource for tagged frames.
func crashTagged(frames []source.Frame, src []tagged, i int) []tagged {
	span := lapSpan(frames)
	part := src[crashOffset(i):]
	out := make([]tagged, 0, crashLaps*len(part))
	for lap := range crashLaps {
		for _, f := range part {
			f.Timestamp += int64(lap) * span
			out = append(out, f)
		}
	}
	return out
}

// TestCrashChild is the child's side; it does nothing unless the parent
// set crashEnv.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("run by TestCrash")
	}
	run, _ := strconv.Atoi(os.Getenv(crashRunEnv))
	frames, ifaces := simFrames(t, crashFrames)
	frames = crashSource(frames, run)
	s, err := Open(dir, Options{Store: store.Options{Logger: quiet, MinFreeBytes: -1, BallastBytes: -1}})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	fd := newFeeder(t, frames, ifaces, 64<<20)
	rec := NewRecorder(s, fd.buf, crashOptions())
	rec.Watch(fd.log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	for k := crashEvery / 2; k < len(frames); k += crashEvery {
		fd.at[k] = func() {
			if _, err := rec.TriggerAt(context.Background(), frames[k].Timestamp, "run "+strconv.Itoa(run), nil); err != nil {
				fmt.Println("trigger:", err)
				os.Exit(3)
			}
		}
	}
	fmt.Println("ready")
	fd.run(t, rec)
	waitIdle(t, rec, 20*time.Second)
	cancel()
	<-done
	if err := s.Close(); err != nil {
		fmt.Println("close:", err)
		os.Exit(3)
	}
	fmt.Println("done")
}

func TestCrash(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		t.Skip("in the child")
	}
	if _, err := os.Stat(os.Args[0]); err != nil {
		t.Skip("cannot re-execute the test binary:", err)
	}
	runs := 24
	if testing.Short() {
		runs = 6
	}
	frames, _ := simFrames(t, crashFrames)
	src := tagFrames(frames)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1588, 2019))
	seen := map[uint64]Incident{}
	var complete, incomplete, finished, killedAt []int
	start := time.Now()
	for run := 0; run < runs; run++ {
		// Incidents with ids above the newest so far belong to this run.
		s := openTest(t, dir, Options{})
		base := s.nextID
		s.Close()

		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir, crashRunEnv+"="+strconv.Itoa(run))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 16)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		expect := func(want string) {
			select {
			case l, ok := <-lines:
				if !ok || l != want {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("run %d: child said %q, want %q\n%s", run, l, want, stderr.String())
				}
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("run %d: child silent\n%s", run, stderr.String())
			}
		}
		expect("ready")
		ms := -1
		if run%6 == 5 {
			expect("done") // some runs end normally
			finished = append(finished, run)
		} else {
			ms = rng.IntN(800)
			time.Sleep(time.Duration(ms) * time.Millisecond)
			killedAt = append(killedAt, ms)
		}
		cmd.Process.Kill() // SIGKILL
		cmd.Wait()
		go io.Copy(io.Discard, out)

		s = openTest(t, dir, Options{})
		incs, err := s.Incidents()
		if err != nil {
			t.Fatal(err)
		}
		cur := crashTagged(frames, src, run)
		for _, inc := range incs {
			if prev, ok := seen[inc.ID]; ok {
				// Checked after an earlier run: it must not have changed.
				if inc.State != prev.State || inc.Frames != prev.Frames || inc.To != prev.To {
					t.Fatalf("incident %d changed from %+v to %+v", inc.ID, prev, inc)
				}
				continue
			}
			if inc.ID < base {
				t.Fatalf("incident %d appeared after its run", inc.ID)
			}
			seen[inc.ID] = inc
			if checkCrashIncident(t, s, cur, inc) {
				complete = append(complete, int(inc.ID))
			} else {
				incomplete = append(incomplete, int(inc.Frames))
			}
		}
		n, _, _ := countRange(t, s)
		if n == 0 && run > 0 {
			t.Errorf("run %d: the archive is empty", run)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if ms >= 0 && strings.Contains(stderr.String(), "panic") {
			t.Fatalf("run %d: child panicked:\n%s", run, stderr.String())
		}
	}
	t.Logf("%d runs in %v (killed after %v ms, %d ran to the end): %d incidents complete, %d interrupted (frames saved: %v)",
		runs, time.Since(start).Round(time.Millisecond), killedAt, len(finished), len(complete), len(incomplete), incomplete)
	if len(incomplete) == 0 || len(complete) == 0 {
		t.Errorf("want both complete and interrupted incidents")
	}
}

// checkCrashIncident verifies one incident after a crash and reports
// whether it is complete: a complete incident holds exactly the source
// frames of its window; an incomplete one a prefix of them, and counts
// what it holds.
func checkCrashIncident(t *testing.T, s *Store, src []tagged, inc Incident) bool {
	t.Helper()
	got := readIncident(t, s, inc.ID)
	want := expected(src, inc.From, inc.To, nil)
	switch inc.State {
	case StateComplete:
		if len(got) != len(want) {
			t.Fatalf("complete incident %d: %d frames, want %d\n%+v\ngot %d..%d want %d..%d", inc.ID, len(got), len(want), inc, got[0].Time, got[len(got)-1].Time, want[0].Time, want[len(want)-1].Time)
		}
	case StateIncomplete:
		if len(got) > len(want) {
			t.Fatalf("incomplete incident %d: %d frames, the window has %d", inc.ID, len(got), len(want))
		}
		want = want[:len(got)]
	default:
		t.Fatalf("incident %d is %s after reopening", inc.ID, inc.State)
	}
	for i := range got {
		got[i].Scope, want[i].Scope = 0, 0 // tags are per process (maphash seed)
		if got[i] != want[i] {
			t.Fatalf("incident %d (%s) frame %d differs: time %d, want %d", inc.ID, inc.State, i, got[i].Time, want[i].Time)
		}
	}
	if inc.Frames != uint64(len(got)) {
		t.Fatalf("incident %d (%s) says %d frames, holds %d", inc.ID, inc.State, inc.Frames, len(got))
	}
	return inc.State == StateComplete
}
