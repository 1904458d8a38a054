package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// truncatedFixture is the fixture capture cut off inside a frame.
func truncatedFixture(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("decode/testdata/fixture.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cut.pcapng")
	if err := os.WriteFile(path, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTruncatedCapture: decode and analyze of a capture cut short print
// every frame before the cut and the summary, report the truncation, and
// exit 1 only after.
func TestTruncatedCapture(t *testing.T) {
	cut := truncatedFixture(t)
	var out, errb bytes.Buffer
	if code := run([]string{"decode", cut}, &out, &errb); code != exitError || !strings.Contains(errb.String(), "truncated") {
		t.Errorf("decode: exit %d, stderr %q; want %d and the truncation", code, errb.String(), exitError)
	}
	lines := strings.Split(out.String(), "\n")
	frames := 0
	for _, l := range lines {
		if l != "" && l[0] >= '1' && l[0] <= '9' && strings.Contains(l, "\t") {
			frames++
		}
	}
	if frames < 50 || !strings.Contains(out.String(), "capture ends early") ||
		!strings.Contains(out.String(), "\n"+itoa(frames)+" frames, ") {
		t.Errorf("decode printed %d frames; summary:\n%s", frames, strings.Join(lines[max(0, len(lines)-12):], "\n"))
	}

	out.Reset()
	errb.Reset()
	if code := run([]string{"decode", "--json", cut}, &out, &errb); code != exitError {
		t.Errorf("decode --json: exit %d", code)
	}
	var last []byte
	n := 0
	for sc := bufio.NewScanner(&out); sc.Scan(); n++ {
		last = append(last[:0], sc.Bytes()...)
	}
	var sum struct {
		Summary struct {
			Frames    int
			Truncated string
		}
	}
	if err := json.Unmarshal(last, &sum); err != nil || sum.Summary.Frames != frames || n != frames+1 ||
		!strings.Contains(sum.Summary.Truncated, "truncated") {
		t.Errorf("decode --json: %d lines, last %s (%v)", n, last, err)
	}

	out.Reset()
	errb.Reset()
	if code := run([]string{"analyze", cut}, &out, &errb); code != exitError || !strings.Contains(out.String(), "SCOPES") ||
		!strings.Contains(errb.String(), "truncated") {
		t.Errorf("analyze: exit %d, stdout %d bytes, stderr %q", code, out.Len(), errb.String())
	}

	errb.Reset()
	code := run([]string{"--replay", cut, "--exit-after-replay", "--http", "127.0.0.1:0"}, &out, &errb)
	if code != exitError || !strings.Contains(errb.String(), "truncated") || !strings.Contains(errb.String(), "received="+itoa(frames)) {
		t.Errorf("--replay --exit-after-replay: exit %d:\n%s", code, errb.String())
	}
}

// TestTruncatedReplayServes: a replay of a capture cut short keeps serving
// what it read, and exits 1 when stopped.
func TestTruncatedReplayServes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	cmd, logs, done := startBinary(t, "--replay", truncatedFixture(t), "--http", "127.0.0.1:0")
	waitLog(t, logs, done, "serving the UI and API until stopped")
	if !strings.Contains(logs.String(), "truncated") {
		t.Errorf("the log does not report the truncation:\n%s", logs.String())
	}
	m := listenRE.FindStringSubmatch(logs.String())
	resp, err := http.Get("http://" + m[1] + "/api/v1/scopes/*/name")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	json.NewDecoder(resp.Body).Decode(&names)
	resp.Body.Close()
	if len(names) == 0 {
		t.Error("no scopes served after the truncated replay")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitError {
			t.Errorf("exit after SIGTERM: %v; want status %d", err, exitError)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit 10 s after SIGTERM")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
