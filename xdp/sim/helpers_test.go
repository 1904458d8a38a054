package sim

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// quietDemo returns the demo network without an incident script.
func quietDemo() Config { return DefaultDemo() }

// scriptedDemo returns the demo network with the demo's looping script.
func scriptedDemo() Config {
	cfg := DefaultDemo()
	cfg.Scenario = DemoScenario()
	return cfg
}

// withScript returns the demo network running the given actions once.
func withScript(actions ...Action) Config {
	cfg := DefaultDemo()
	cfg.Scenario = Scenario{Actions: actions}
	return cfg
}

// rec is one decoded frame, as much of it as the tests look at.
type rec struct {
	at  time.Duration // since the start
	f   source.Frame  // Data is not kept
	d   decode.Frame  // Raw and the slices in it are not valid
	src [6]byte
}

// each runs a network for d of virtual time and calls fn with every frame,
// decoded. It fails the test on a frame that does not decode.
func each(t testing.TB, cfg Config, opts Options, fn func(r *rec)) *Network {
	t.Helper()
	n, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	start := opts.Start
	if start == 0 {
		start = DefaultStart
	}
	ctx := context.Background()
	var r rec
	for i := 0; ; i++ {
		err := n.Next(ctx, &r.f)
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		if res := r.d.Decode(r.f.Link, r.f.Data); res != decode.ResultOK {
			t.Fatalf("frame %d at %v: %v (%v): % x", i, time.Duration(r.f.Timestamp-start), res, r.d.Reason, r.f.Data)
		}
		r.at = time.Duration(r.f.Timestamp - start)
		r.src = r.d.Src
		fn(&r)
	}
}

// mustID returns the configured identity of a named clock.
func mustID(t testing.TB, n *Network, name string) decode.ClockIdentity {
	t.Helper()
	id, ok := n.Identity(name)
	if !ok {
		t.Fatalf("no clock %q", name)
	}
	return id
}

// sourceIs reports whether a decoded PTPv2 frame was sent by the clock
// with identity id.
func sourceIs(r *rec, id decode.ClockIdentity) bool {
	return r.d.Version == 2 && r.d.PTP.Source.Clock == id
}

// macNames maps every port MAC of a network to its clock's name.
func macNames(t testing.TB, cfg Config) map[[6]byte]string {
	t.Helper()
	n, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[[6]byte]string{}
	for _, c := range n.Truth().Clocks {
		for _, p := range c.Ports {
			m[p.MAC] = c.Name
		}
	}
	return m
}
