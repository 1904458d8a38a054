package httpd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
)

// Supervisor keeps the web UI and API serving. A server that fails is
// raised as a Web Server Failed event (which the appliance logs) and
// started again on the same address after a pause, then raised as Web
// Server Restarted; capture and recording go on meanwhile. Only failing
// to listen at start-up is fatal, and that is the caller's.
type Supervisor struct {
	log    *slog.Logger
	events *state.EventLog
	// listen listens again on the address of a failed server.
	listen func(addr string) (net.Listener, error)
	// The pause before a restart starts at minDelay and doubles with each
	// failure up to maxDelay; a server that ran for stableAfter starts
	// again from minDelay.
	minDelay, maxDelay, stableAfter time.Duration
}

// NewSupervisor returns a supervisor that logs to log and raises its
// events in events (nil: none).
func NewSupervisor(log *slog.Logger, events *state.EventLog) *Supervisor {
	return &Supervisor{log: log, events: events,
		listen:   func(addr string) (net.Listener, error) { return net.Listen("tcp", addr) },
		minDelay: time.Second, maxDelay: 30 * time.Second, stableAfter: time.Minute}
}

// Run serves ln with serve (Server.Serve or ServeTLS) until ctx ends or
// the server is shut down, restarting it whenever it fails. name is
// "HTTP" or "HTTPS", for the log and the events.
func (w *Supervisor) Run(ctx context.Context, name string, ln net.Listener, serve func(net.Listener) error) {
	addr := ln.Addr().String()
	subject := name + " " + addr
	delay := w.minDelay
	for {
		start := time.Now()
		err := serve(ln)
		if ctx.Err() != nil || errors.Is(err, ErrServerClosed) {
			return
		}
		if err == nil {
			err = errors.New("it stopped serving without an error")
		}
		ln.Close() // httpd closes it on failure; make sure
		if time.Since(start) >= w.stableAfter {
			delay = w.minDelay
		}
		w.event(state.WebServerFailed, subject,
			fmt.Sprintf("the %s server on %s failed: %v; restarting it in %s (capture and recording go on)", name, addr, err, delay))
		for {
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			delay = min(2*delay, w.maxDelay)
			if ln, err = w.listen(addr); err == nil {
				break
			}
			w.log.Error("cannot listen again for the web server", "server", name, "addr", addr, "err", err, "retry_in", delay)
		}
		w.event(state.WebServerRestarted, subject, fmt.Sprintf("the %s server serves %s again", name, addr))
	}
}

func (w *Supervisor) event(t state.EventType, subject, detail string) {
	if w.events != nil {
		w.events.Add(state.Event{Time: time.Now().UnixNano(), Type: t, Subject: subject, Detail: detail})
	}
}
