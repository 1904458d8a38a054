package httpd

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
)

// TestWebSupervisorRestarts: a web server that fails is raised as an
// event and served again on the same address; one that is shut down is
// not restarted.
func TestWebSupervisorRestarts(t *testing.T) {
	events := state.NewEventLog(100)
	srv, err := New(Config{}, &fixtureBackend{snap: &state.Snapshot{}, counters: map[string]uint64{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	var calls, listens atomic.Int32
	sup := NewSupervisor(slog.New(slog.DiscardHandler), events)
	sup.minDelay, sup.maxDelay = 10*time.Millisecond, 40*time.Millisecond
	listen := sup.listen
	sup.listen = func(a string) (net.Listener, error) {
		if a != addr {
			t.Errorf("listening again on %s, want %s", a, addr)
		}
		if listens.Add(1) == 1 {
			return nil, syscall.EMFILE // the first attempt to listen again fails too
		}
		return listen(a)
	}
	// The first two Serve calls fail, as a server whose listener broke.
	serve := func(l net.Listener) error {
		if calls.Add(1) <= 2 {
			l.Close()
			return errors.New("accept: the listener broke")
		}
		return srv.Serve(l)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sup.Run(ctx, "HTTP", ln, serve) }()
	var resp *http.Response
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err = http.Get("http://" + addr + "/api/v1/capture"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not served again: %v", err)
		}
	}
	if resp.StatusCode != 200 {
		t.Errorf("after restart: status %d", resp.StatusCode)
	}
	counts := events.Counts()
	if counts[state.WebServerFailed] != 2 || counts[state.WebServerRestarted] != 2 {
		t.Errorf("events %v, want 2 failed and 2 restarted", counts)
	}
	for _, e := range events.Events(0, 100) {
		if e.Type == state.WebServerFailed && (e.Severity != state.Warning || !strings.Contains(e.Detail, "the listener broke") || e.Subject != "HTTP "+addr) {
			t.Errorf("event %+v", e)
		}
	}
	// Shutdown: no restart.
	cancel()
	srv.Shutdown(context.Background())
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the supervisor did not end after Shutdown")
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("Serve called %d times, want 3", n)
	}
}
