package pipeline

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// stallNetwork is two domains, each a grandmaster announcing 8 times a
// second (receipt timeout 437.5 ms) with Sync at 16/s, and two followers.
func stallNetwork(script ...sim.Action) sim.Config {
	var cfg sim.Config
	for d := range 2 {
		name := fmt.Sprintf("d%d", d)
		cfg.Scopes = append(cfg.Scopes, sim.Scope{Name: name, Domain: uint8(d), Transport: sim.UDPv4,
			LogSyncInterval: -4, LogAnnounceInterval: -3, LogMinDelayReqInterval: -2})
		cfg.Clocks = append(cfg.Clocks, sim.Clock{Name: "gm-" + name, Role: sim.RoleGrandmaster, Scope: name,
			MAC: fmt.Sprintf("ec:46:70:00:%02x:01", d), ClockClass: 6, ClockAccuracy: 0x21, TimeSource: decode.TimeSourceGNSS})
		for f := range 2 {
			cfg.Clocks = append(cfg.Clocks, sim.Clock{Name: fmt.Sprintf("f%d-%s", f, name), Role: sim.RoleFollower, Scope: name,
				MAC: fmt.Sprintf("a0:36:9f:00:%02x:%02x", d, f+2)})
		}
	}
	cfg.Scenario.Actions = script
	return cfg
}

// stallSource passes frames of a paced source on until the first frame
// captured at or after at, then holds them back for hold of wall time
// (a reader starved of CPU, a stuck socket), and then delivers the
// backlog with its original capture times. With quiet it delivers nothing
// more after at: a network gone silent. progress says whether it
// implements source.Progress (see progressSource).
type stallSource struct {
	pacer   *source.Pacer // not embedded: its CaughtUp does not know about the holding back
	at      int64
	hold    time.Duration
	quiet   bool
	slow    time.Duration // instead of holding back, take this long per frame for hold
	slowEnd time.Time
	held    bool
	holding atomic.Bool
}

func (s *stallSource) Next(ctx context.Context, f *source.Frame) error {
	if err := s.pacer.Next(ctx, f); err != nil {
		return err
	}
	if s.slow > 0 && s.held && time.Now().Before(s.slowEnd) {
		time.Sleep(s.slow)
	}
	if s.held || f.Timestamp < s.at {
		return nil
	}
	s.held = true
	if s.slow > 0 {
		s.slowEnd = time.Now().Add(s.hold)
		return nil
	}
	s.holding.Store(true)
	defer s.holding.Store(false)
	if s.quiet {
		<-ctx.Done()
		return ctx.Err()
	}
	select {
	case <-time.After(s.hold):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// progressSource is a stallSource that tells whether frames wait: while
// it holds them back, they do (unless the network is quiet).
type progressSource struct{ *stallSource }

func (s progressSource) CaughtUp() (bool, bool) {
	if s.holding.Load() {
		return s.quiet, true
	}
	return s.pacer.CaughtUp()
}

func (s *stallSource) Interfaces() []source.Interface { return s.pacer.Interfaces() }
func (s *stallSource) Close() error                   { return s.pacer.Close() }

// TestSilenceJudgedByCapture is issue 12's item 5: a reader that stops
// reading for several announce receipt timeouts, then reads the backlog,
// must not make masters look silent, and must itself be reported as
// Capture Trouble; masters that really stop, or a network gone quiet,
// must still be Master Silent.
func TestSilenceJudgedByCapture(t *testing.T) {
	const run = 4 * time.Second
	for _, tc := range []struct {
		name     string
		script   []sim.Action
		hold     time.Duration // the reader stalls 1 s into the run for this long
		quiet    bool
		slow     time.Duration
		progress bool
		silent   []string // clocks that must be reported Master Silent, no others
		trouble  bool     // a Capture Trouble event for the reader
	}{
		{name: "reader stalled, source tells", hold: 2 * time.Second, progress: true, trouble: true},
		{name: "reader slow, source cannot tell", hold: 2 * time.Second, slow: 20 * time.Millisecond, trouble: true},
		{name: "one master stops, others flow", script: []sim.Action{{At: sim.Duration(time.Second), Kind: sim.ActStop, Clock: "gm-d1"}},
			silent: []string{"ec4670.fffe.000101"}},
		{name: "network quiet, source tells", hold: time.Hour, quiet: true, progress: true,
			silent: []string{"ec4670.fffe.000001", "ec4670.fffe.000101"}},
		{name: "network quiet, source cannot tell", hold: time.Hour, quiet: true,
			silent: []string{"ec4670.fffe.000001", "ec4670.fffe.000101"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now().UnixNano()
			n, err := sim.New(stallNetwork(tc.script...), sim.Options{Start: start, Duration: run})
			if err != nil {
				t.Fatal(err)
			}
			st := &stallSource{pacer: &source.Pacer{Source: n, Speed: 1}, at: start + int64(time.Second), hold: tc.hold, quiet: tc.quiet, slow: tc.slow}
			if tc.hold == 0 {
				st.at = 1 << 62
			}
			var src source.Source = st
			if tc.progress {
				src = progressSource{st}
			}
			m := state.NewModel(2, state.NewEventLog(0))
			p := New(m)
			p.Live, p.PublishEvery, p.StallAfter = true, 20*time.Millisecond, 500*time.Millisecond
			// A quiet network is watched for 2 s; a stalled reader has
			// the whole run after its stall.
			limit := run + tc.hold + time.Second
			if tc.quiet {
				limit = time.Second + 2*time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), limit)
			defer cancel()
			// Lag (the pipeline-lag gauge) is sampled beside the run.
			var maxLag time.Duration
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				tk := time.NewTicker(10 * time.Millisecond)
				defer tk.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-tk.C:
						maxLag = max(maxLag, p.Lag())
					}
				}
			}()
			if err := p.Run(ctx, src); err != nil && !errors.Is(err, context.DeadlineExceeded) {
				t.Fatal(err)
			}
			cancel()
			<-sampled
			if tc.trouble && maxLag < p.StallAfter {
				t.Errorf("Lag peaked at %v while the reader stalled for %v, want at least StallAfter %v", maxLag, tc.hold, p.StallAfter)
			}
			if !tc.trouble && !tc.quiet && tc.hold == 0 && maxLag >= p.StallAfter {
				t.Errorf("Lag reached %v with nothing stalled", maxLag)
			}
			var silent []string
			var trouble []state.Event
			for _, e := range m.Events.Events(0, 0) {
				switch e.Type {
				case state.MasterSilent:
					silent = append(silent, e.Subject[:len("ec4670.fffe.000101")])
				case state.CaptureTrouble:
					trouble = append(trouble, e)
				}
			}
			if len(silent) != len(tc.silent) {
				t.Errorf("Master Silent for %v, want %v", silent, tc.silent)
			}
			for _, want := range tc.silent {
				if !strings.Contains(strings.Join(silent, " "), want) {
					t.Errorf("no Master Silent for %s (got %v)", want, silent)
				}
			}
			if tc.trouble {
				if len(trouble) == 0 || !strings.Contains(trouble[0].Detail, "behind capture") {
					t.Errorf("no Capture Trouble for the stalled reader: %+v", trouble)
				} else {
					t.Logf("%s: %s", trouble[0].Type, trouble[0].Detail)
					if len(trouble) < 2 || !strings.Contains(trouble[1].Detail, "caught up") {
						t.Errorf("no event for the reader catching up: %+v", trouble)
					} else {
						t.Logf("%s: %s", trouble[1].Type, trouble[1].Detail)
					}
				}
			} else if len(trouble) != 0 {
				t.Errorf("Capture Trouble without a stalled reader: %+v", trouble)
			}
		})
	}
}

// TestLiveNoAllocsPerFrame: judging silence by capture time adds nothing
// per frame. A live pipeline over frames 2 ms apart (so every frame
// publishes how far capture has been delivered, the most often it can)
// allocates only for what is new (scopes, instances) and per publish
// interval, not per frame.
func TestLiveNoAllocsPerFrame(t *testing.T) {
	fx := loadFixture(t)
	const n = 200_000
	mem := &source.Memory{Frames: make([]source.Frame, n)}
	for i := range mem.Frames {
		mem.Frames[i] = fx.Frames[i%len(fx.Frames)]
		mem.Frames[i].Timestamp = 1_700_000_000e9 + int64(i)*2e6
	}
	run := func(live bool) (uint64, uint64) {
		mem.Rewind()
		p := New(state.NewModel(2, state.NewEventLog(0)))
		p.Live = live
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if err := p.Run(context.Background(), mem); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.Mallocs - before.Mallocs, p.Counters.Received.Load()
	}
	run(true) // warm up: rings, pools
	// The fewest of two runs each: the count is the whole process's, and
	// goroutines other tests left behind may allocate meanwhile.
	mallocs, frames := run(true)
	m2, _ := run(true)
	offline, _ := run(false) // the same model work (events, instances) without live checks
	o2, _ := run(false)
	mallocs, offline = min(mallocs, m2), min(offline, o2)
	if frames != n {
		t.Fatalf("%d frames read", frames)
	}
	per := (float64(mallocs) - float64(offline)) / float64(frames)
	t.Logf("%d allocations live, %d offline, for %d frames: %+.5f per frame", mallocs, offline, frames, per)
	// Every frame here publishes, so an allocation per publish would be
	// one per frame; 0.01 leaves room for the process's background noise.
	if per > 0.01 {
		t.Errorf("%.5f allocations per frame more than offline, want none", per)
	}
}
