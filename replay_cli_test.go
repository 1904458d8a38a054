package main

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startBinary runs the appliance binary with args and returns its log and
// a channel that delivers its exit; the process is killed at the end of
// the test if it still runs.
func startBinary(t *testing.T, args ...string) (*exec.Cmd, *safeBuffer, <-chan error) {
	t.Helper()
	cmd := exec.Command(buildBinary(t), args...)
	logs := &safeBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	exited := make(chan struct{})
	go func() { done <- cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	return cmd, logs, done
}

// waitLog waits until the log holds want, failing when the process exits
// first or after 20 s.
func waitLog(t *testing.T, logs *safeBuffer, done <-chan error, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs.String(), want) {
		select {
		case err := <-done:
			t.Fatalf("exited (%v) before %q:\n%s", err, want, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log after 20 s:\n%s", want, logs.String())
		}
	}
}

// TestReplayServesUntilStopped: --replay keeps serving the UI and API after
// the capture ends, until a signal stops it (exit 0); --exit-after-replay
// ends with the capture (TestReplayAppliance).
func TestReplayServesUntilStopped(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	cmd, logs, done := startBinary(t, "--replay", "decode/testdata/fixture.pcapng", "--http", "127.0.0.1:0")
	waitLog(t, logs, done, "serving the UI and API until stopped")
	m := listenRE.FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no listen address in the log:\n%s", logs.String())
	}
	resp, err := http.Get("http://" + m[1] + "/api/v1/scopes/*/name")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	err = json.NewDecoder(resp.Body).Decode(&names)
	resp.Body.Close()
	if err != nil || len(names) < 10 {
		t.Fatalf("scopes after the replay: %v %v", names, err)
	}
	select {
	case err := <-done:
		t.Fatalf("exited after the replay (%v)", err)
	default:
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit 10 s after SIGTERM")
	}
}
