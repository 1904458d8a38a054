package fault

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
)

// runSim plays cfg for d through a model with shards shards and an engine
// judging by fc, and returns the engine and the model.
func runSim(t *testing.T, cfg sim.Config, fc Config, d time.Duration, shards int) (*Engine, *state.Model, *sim.Network) {
	t.Helper()
	n, err := sim.New(cfg, sim.Options{Seed: 1, Duration: d})
	if err != nil {
		t.Fatal(err)
	}
	m := state.NewModel(shards, nil)
	e, err := New(fc, m.Events)
	if err != nil {
		t.Fatal(err)
	}
	e.Attach(m)
	p := pipeline.New(m)
	if p.Buffer, err = ring.NewBuffer(256 << 20); err != nil {
		t.Fatal(err)
	}
	if err := p.Run(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	p.Tick(n.Now())
	return e, m, n
}

// verdict is one fault event as tests compare them.
type verdict struct {
	at      time.Duration // after sim.DefaultStart
	typ     state.EventType
	subject string
	detail  string
}

func (v verdict) String() string {
	return fmt.Sprintf("%6.1fs %s %q (%s)", v.at.Seconds(), v.typ, v.subject, v.detail)
}

// verdicts lists the fault events in the log.
func verdicts(m *state.Model) []verdict {
	var out []verdict
	for _, e := range m.Events.Events(0, 0) {
		if isVerdict(e.Type) {
			out = append(out, verdict{time.Duration(e.Time - sim.DefaultStart), e.Type, e.Subject, e.Detail})
		}
	}
	return out
}

func isVerdict(t state.EventType) bool {
	if t == Recovered || t == FindingClosed {
		return true
	}
	for _, k := range Kinds {
		if k.Kind == t {
			return true
		}
	}
	return false
}

// want is one expected verdict: its type, its subject, and the window of
// time it must fall in.
type want struct {
	typ      state.EventType
	subject  string
	from, to time.Duration
}

// checkVerdicts requires exactly the wanted verdicts, in order, each in its
// window, and nothing else.
func checkVerdicts(t *testing.T, got []verdict, ws []want) {
	t.Helper()
	ok := len(got) == len(ws)
	for i := 0; ok && i < len(ws); i++ {
		g, w := got[i], ws[i]
		ok = g.typ == w.typ && g.subject == w.subject && g.at >= w.from && g.at <= w.to
	}
	if ok {
		return
	}
	var b strings.Builder
	for _, g := range got {
		fmt.Fprintf(&b, "\n  got  %s", g)
	}
	for _, w := range ws {
		fmt.Fprintf(&b, "\n  want %s %q in %v..%v", w.typ, w.subject, w.from, w.to)
	}
	t.Errorf("verdicts differ:%s", b.String())
}

func id(t *testing.T, n *sim.Network, clock string) string {
	t.Helper()
	c, ok := n.Identity(clock)
	if !ok {
		t.Fatalf("no clock %q", clock)
	}
	return c.String()
}

// TestDemoVerdicts plays the demo's scripted incidents (`make run` shows
// them) and requires the verdicts each must produce, and no others: the
// failover at 1:00 is one Failover (in both scopes it reaches, through the
// boundary clock) and its end at 3:00 one Recovered; the clockClass
// degradation at 4:00 one Degradation closed after 5:30; the rogue master
// at 6:00 one Rogue Master at its first Announce, closed after it stops
// at 7:00; srv-05 sending as srv-04 (8:00 to 9:00) one Duplicate Identity;
// the leap61 flag at 11:30 one Time Properties Mismatch; the PTPv1
// island in domain 0 one Mixed Profiles (a notice) from the start. The sync loss, the
// single sequence gap and the follower restart give no verdict.
func TestDemoVerdicts(t *testing.T) {
	cfg := sim.DefaultDemo()
	cfg.Scenario = sim.DemoScenario()
	for _, shards := range []int{1, 2} {
		e, m, n := runSim(t, cfg, DefaultConfig(), 15*time.Minute, shards)
		mein, oreg, d44, rogue, micro := id(t, n, "gm-meinberg"), id(t, n, "gm-oregano"), id(t, n, "master-d44"), id(t, n, "rogue-host"), id(t, n, "gm-microchip")
		srv04 := id(t, n, "srv-04") + "-1"
		s := time.Second
		checkVerdicts(t, verdicts(m), []want{
			// the PTPv1 island in subdomain _DFLT beside PTPv2 domain 0
			{MixedProfiles, "seg0 domain 0", 0, 7 * s},
			{Failover, mein + " → " + oreg, 63 * s, 70 * s},
			{Recovered, mein + " → " + oreg, 183 * s, 190 * s},
			{Degradation, d44, 240 * s, 241 * s},
			{FindingClosed, d44, 330 * s, 345 * s},
			// one announce interval after it starts announcing; with two
			// shards the copy the boundary clock relays into the VLAN
			// scope (up to 1.5 s later) may be judged first, in wall-clock
			// order, and its time is the event's (the finding's Opened is
			// the earliest, checked below)
			{RogueMaster, rogue, 363 * s, 366500 * time.Millisecond},
			{FindingClosed, rogue, 420 * s, 440 * s},
			// srv-05 sends as srv-04 from 8:00 to 9:00: judged per minute
			{DuplicateIdentity, srv04, 480 * s, 545 * s},
			{FindingClosed, srv04, 540 * s, 680 * s},
			{TimePropertiesMismatch, micro + " leap61", 690 * s, 691 * s},
			{FindingClosed, micro + " leap61", 710 * s, 725 * s},
		})
		var fo *Finding
		for _, f := range e.Book.Findings(true) {
			for _, ev := range f.Evidence {
				// Every piece of evidence names a buffered frame of one of
				// the finding's scopes, captured before the finding last changed.
				if ev.Frame == 0 || ev.Time == 0 || ev.Time > f.Updated || !slices.Contains(f.Scopes, ev.Scope) || ev.What == "" {
					t.Errorf("finding %d (%s): evidence %+v", f.ID, f.Kind, ev)
				}
			}
			if len(f.Evidence) == 0 && f.Kind != GrandmasterFlapping {
				t.Errorf("finding %d (%s) has no evidence", f.ID, f.Kind)
			}
			if f.Kind == Failover {
				fo = &f
			}
			if f.Kind == RogueMaster {
				if at := time.Duration(f.Opened - sim.DefaultStart); at < 363*s || at > 365*s {
					t.Errorf("shards %d: Rogue Master opened at %v, want within one announce interval of the rogue's first Announce (363-365 s)", shards, at)
				}
			}
		}
		if fo == nil || !slices.Equal(fo.Scopes, []string{"seg0 v2 domain 0 IEEE 802.3 vlan 100", "seg0 v2 domain 0 UDP/IPv4"}) {
			t.Errorf("shards %d: failover finding %+v: want it to cover the UDP/IPv4 scope and the VLAN scope behind the boundary clock", shards, fo)
		} else if len(fo.Evidence) < 2 || fo.Evidence[0].Frame == 0 || fo.Evidence[1].Frame <= fo.Evidence[0].Frame {
			t.Errorf("failover evidence %+v", fo.Evidence)
		}
	}
}
