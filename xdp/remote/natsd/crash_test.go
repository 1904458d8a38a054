package natsd_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/xdp/remote"
	"github.com/ptpwatch/ptpwatch/xdp/remote/natsd"
	"github.com/ptpwatch/ptpwatch/xdp/replay"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// The crash test runs its collector in a child process (this test binary
// again, with crashDirEnv set) so it can be killed outright.
const (
	crashDirEnv    = "PTPWATCH_CRASH_COLLECTOR_DIR"
	crashListenEnv = "PTPWATCH_CRASH_COLLECTOR_LISTEN"
	// crashNoMarksEnv makes the child a consumer that neither commits nor
	// resumes from its marks: the collector saves its position by itself
	// every 100 ms, and TestCollectorCrash then fails with duplicates.
	crashNoMarksEnv = "PTPWATCH_CRASH_NO_MARKS"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		if err := crashChild(dir, os.Getenv(crashListenEnv), os.Getenv(crashNoMarksEnv) != ""); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if dir := os.Getenv(relayDirEnv); dir != "" {
		if err := relayChild(dir, os.Getenv(relayListenEnv), os.Getenv(relayDownEnv), os.Getenv(relayTeeEnv) != ""); err != nil {
			fmt.Fprintln(os.Stderr, "relay child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if dir := os.Getenv(probeDirEnv); dir != "" {
		seg, _ := strconv.Atoi(os.Getenv(probeSegmentEnv))
		if err := probeChild(dir, os.Getenv(probeSiteEnv), os.Getenv(probeURLEnv), os.Getenv(probeReplayEnv), seg); err != nil {
			fmt.Fprintln(os.Stderr, "probe child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The namespace test's probes are this test binary again, run with
// probeDirEnv set (see TestMain).
const (
	probeDirEnv  = "PTPWATCH_NS_PROBE_DIR"
	probeSiteEnv = "PTPWATCH_NS_PROBE_SITE"
	probeURLEnv  = "PTPWATCH_NS_PROBE_URL"
	// With probeReplayEnv (a capture file) the probe forwards the
	// capture's frames, on segment probeSegmentEnv, instead.
	probeReplayEnv  = "PTPWATCH_NS_PROBE_REPLAY"
	probeSegmentEnv = "PTPWATCH_NS_PROBE_SEGMENT"
)

// probeChild is a probe process: its local queue on disk in dir, numbered
// frames added a hundred every 10 ms until the file dir/stop appears (or
// the frames of capture file replay, on segment); then it forwards what is
// queued and writes how many frames it added to dir/count.
func probeChild(dir, site, url, replayFile string, segment int) error {
	q, err := natsd.Start(natsd.Config{StoreDir: filepath.Join(dir, "js"), MaxStore: 1 << 30})
	if err != nil {
		return err
	}
	defer q.Shutdown()
	k, err := remote.NewKey(5, bytes.Repeat([]byte{1}, remote.KeyLen))
	if err != nil {
		return err
	}
	p, err := remote.NewProbe(remote.ProbeConfig{Site: site, Collectors: []string{url}, Key: k, StoreDir: dir, MaxBytes: 512 << 20, Queue: q,
		Segment: segment})
	if err != nil {
		return err
	}
	defer p.Close()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	var n uint64
	if replayFile != "" {
		r, err := replay.Open(replayFile, 0)
		if err != nil {
			return err
		}
		var f source.Frame
		for r.Next(context.Background(), &f) == nil {
			p.Add(&f, r.Interfaces())
			n++
		}
		r.Close()
	}
	for replayFile == "" {
		<-t.C
		if _, err := os.Stat(filepath.Join(dir, "stop")); err == nil {
			break
		}
		for range 100 {
			f := numbered(n)
			p.Add(&f, ifaces)
			n++
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := p.Drain(ctx); err != nil {
		return fmt.Errorf("drain: %w (status %+v)", err, p.Status())
	}
	if st := p.Status().Collectors[0]; st.LostFrames != 0 || st.Frames != n {
		return fmt.Errorf("forwarded %d of %d frames, lost %d", st.Frames, n, st.LostFrames)
	}
	tmp := filepath.Join(dir, "count.tmp")
	if err := os.WriteFile(tmp, []byte(strconv.FormatUint(n, 10)), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "count"))
}

// readSink returns the sink file's whole lines ("site run frame number"),
// cutting a line a kill left half written, and the last mark per site.
func readSink(path string, cut bool) ([]string, map[string]remote.Mark, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	whole := b[:bytes.LastIndexByte(b, '\n')+1]
	if cut && len(whole) != len(b) {
		if err := os.Truncate(path, int64(len(whole))); err != nil {
			return nil, nil, err
		}
	}
	lines := strings.Split(strings.TrimSuffix(string(whole), "\n"), "\n")
	if len(whole) == 0 {
		lines = nil
	}
	marks := map[string]remote.Mark{}
	for _, l := range lines {
		var site string
		var m remote.Mark
		var n uint64
		if _, err := fmt.Sscan(l, &site, &m.Run, &m.Frame, &n); err != nil {
			return nil, nil, fmt.Errorf("sink line %q: %w", l, err)
		}
		marks[site] = m
	}
	return lines, marks, nil
}

// crashChild is the collector process: an embedded server with its store
// in dir, a collector, and a consumer appending each frame to dir/sink
// with its mark, in writes of up to 4 KiB, committing after each.
func crashChild(dir, listen string, noMarks bool) error {
	sink := filepath.Join(dir, "sink")
	_, marks, err := readSink(sink, true)
	if err != nil {
		return err
	}
	srv, err := natsd.Start(natsd.Config{Listen: listen, StoreDir: filepath.Join(dir, "js")})
	if err != nil {
		return err
	}
	k, err := remote.NewKey(5, bytes.Repeat([]byte{1}, remote.KeyLen))
	if err != nil {
		return err
	}
	cfg := remote.CollectorConfig{Server: srv, FileStorage: true, StateDir: dir, Keys: []remote.Key{k}, ConsumerCommits: true, Resume: marks}
	if noMarks {
		cfg.ConsumerCommits, cfg.Resume = false, nil
	}
	c, err := remote.NewCollector(cfg)
	if err != nil {
		return err
	}
	out, err := os.OpenFile(sink, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	var buf []byte
	var f source.Frame
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		err := c.Next(ctx, &f)
		cancel()
		if err == nil {
			site, m := c.Mark()
			buf = fmt.Appendf(buf, "%s %d %d %d\n", site, m.Run, m.Frame, number(&f))
		} else if !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		if len(buf) >= 4096 || err != nil && len(buf) > 0 {
			if _, err := out.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
			c.Commit()
		}
	}
}

// collectorProcess starts the child collector.
func collectorProcess(t *testing.T, dir, listen string, noMarks bool) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashListenEnv+"="+listen)
	if noMarks {
		cmd.Env = append(cmd.Env, crashNoMarksEnv+"=1")
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func sinkLines(t *testing.T, path string) []string {
	t.Helper()
	lines, _, err := readSink(path, false)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestCollectorCrash kills the collector's process (SIGKILL) three times
// while a probe forwards 10 k frames a second, starting it again on the
// same store each time: the consumer's file holds every frame once, in
// order. PTPWATCH_CRASH_NO_MARKS=1 shows the same test failing when the
// consumer does not commit with marks.
func TestCollectorCrash(t *testing.T) {
	dir := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", freePorts(t, 1)[0])
	noMarks := os.Getenv(crashNoMarksEnv) != ""
	sink := filepath.Join(dir, "sink")
	child := collectorProcess(t, dir, listen, noMarks)
	defer func() {
		child.Process.Kill()
		child.Wait()
	}()
	p := startProbe(t, remote.ProbeConfig{Collectors: []string{"nats://" + listen}, StoreDir: filepath.Join(t.TempDir(), "probe")})
	stop := make(chan struct{})
	count := produce(p, stop)
	for i := range 3 {
		from := len(sinkLines(t, sink))
		waitFor(t, 60*time.Second, "the collector to store frames", func() bool { return len(sinkLines(t, sink)) >= from+1500 })
		if err := child.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		child.Wait()
		t.Logf("kill %d after %d stored lines", i+1, len(sinkLines(t, sink)))
		child = collectorProcess(t, dir, listen, noMarks)
	}
	close(stop)
	n := <-count
	drain(t, p)
	waitFor(t, 60*time.Second, "every frame in the sink", func() bool { return len(sinkLines(t, sink)) >= int(n) })
	// A frame stored twice comes from a restart, long before the end:
	// it shows as a wrong number below.
	lines := sinkLines(t, sink)
	if len(lines) != int(n) {
		t.Errorf("%d frames stored, %d forwarded", len(lines), n)
	}
	for i, l := range lines {
		f := strings.Fields(l)
		if v, _ := strconv.ParseUint(f[3], 10, 64); f[0] != "paris" || v != uint64(i) {
			t.Fatalf("line %d: %q, want frame number %d (duplicate, loss or reorder)", i, l, i)
		}
	}
	t.Logf("%d frames across 3 kills, each once and in order", n)
}
