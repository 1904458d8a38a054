package fault

import (
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/store"
)

func openTestStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(dir, store.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MinFreeBytes: -1, BallastBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestTopologyAcrossRestart sets the expected topology through the
// engine (as PUT /api/v1/health/topology does), closes the store, opens
// it again under a new engine (a restart) and requires the topology back
// in force: a clock it does not list is a Rogue Master at its first
// Announce, where an engine without the kept topology would still be
// learning its baseline. A topology that does not validate is refused and
// changes nothing.
func TestTopologyAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	kept := Topology{Domains: []int{0}, UTCOffset: 37, Profile: "default",
		Scopes: []ScopeConfig{{Match: "seg0 v2 domain 0 *", Grandmasters: []GrandmasterConfig{{Identity: portA.Clock.String(), Priority1: u8(128)}}}},
		Agree:  []AgreeConfig{{Name: "plant", Scopes: []string{"seg0 *", "seg1 *"}}}}

	st := openTestStore(t, dir)
	e1, err := New(DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	e1.UseStore(st, quiet)
	if got := e1.Topology(); got.Source != "config" || len(got.Scopes) != 0 {
		t.Fatalf("fresh topology %+v: want the configuration's (none)", got)
	}
	if err := e1.SetTopology(kept, "alice"); err != nil {
		t.Fatal(err)
	}
	bad := kept
	bad.Scopes = []ScopeConfig{{Match: "*", Grandmasters: []GrandmasterConfig{{Identity: "not-an-identity"}}}}
	var te *ErrTopology
	if err := e1.SetTopology(bad, "bob"); !errors.As(err, &te) {
		t.Fatalf("bad topology: got %v, want an *ErrTopology", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	run := func(restore bool) []verdict {
		st := openTestStore(t, dir)
		defer st.Close()
		e, err := New(DefaultConfig(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if restore {
			e.UseStore(st, quiet)
			got := e.Topology()
			if got.Source != "api" || got.ChangedBy != "alice" || got.ChangedAt == 0 || !slices.Equal(got.Domains, kept.Domains) ||
				got.UTCOffset != 37 || got.Profile != "default" || len(got.Scopes) != 1 || got.Scopes[0].Match != kept.Scopes[0].Match ||
				got.Scopes[0].Grandmasters[0].Identity != portA.Clock.String() || *got.Scopes[0].Grandmasters[0].Priority1 != 128 ||
				len(got.Agree) != 1 || !slices.Equal(got.Agree[0].Scopes, kept.Agree[0].Scopes) {
				t.Fatalf("restored topology %+v, want %+v from alice", got, kept)
			}
		}
		log := state.NewEventLog(0)
		e.Book.events = log
		m := state.NewModel(2, log)
		e.Attach(m)
		s := &stream{t: t, m: m, e: e}
		for i := int64(0); i < 20; i++ {
			s.announce(0, udp0, portB, macB, t0+i*int64(time.Second), uint16(i), decode.TimeSourceGNSS, 0)
		}
		return s.verdicts()
	}
	checkVerdicts(t, run(true), []want{{RogueMaster, portB.Clock.String(), 0, 0}})
	checkVerdicts(t, run(false), nil) // learning its baseline
}

// TestTopologyTakesEffect changes the expected topology while the
// detectors run: a scope with a learnt baseline (grandmaster A) is
// configured for grandmaster B only, so A is a Rogue Master from the next
// tick on; emptied again, the scope learns a new baseline (A, 30 s) and
// the finding closes once it is learnt (its condition gone since 120 s).
func TestTopologyTakesEffect(t *testing.T) {
	s := newStream(t, DefaultConfig())
	sec := int64(time.Second)
	var baselines []string
	for i := int64(0); i < 200; i++ {
		switch i {
		case 60:
			if err := s.e.SetTopology(Topology{Scopes: []ScopeConfig{{Match: "seg0 *", Grandmasters: []GrandmasterConfig{{Identity: portB.Clock.String()}}}}}, "test"); err != nil {
				t.Fatal(err)
			}
		case 120:
			if err := s.e.SetTopology(Topology{}, "test"); err != nil {
				t.Fatal(err)
			}
		}
		s.announce(0, udp0, portA, macA, t0+i*sec, uint16(i), decode.TimeSourceGNSS, 0)
		if i == 30 || i == 90 || i == 125 {
			for _, sc := range s.e.Book.Scopes() {
				baselines = append(baselines, sc.Baseline)
			}
		}
	}
	if got := strings.Join(baselines, ","); got != "learnt,configured,learning" {
		t.Errorf("baselines at 30, 90 and 125 s: %s, want learnt, configured, learning", got)
	}
	sc := time.Second
	checkVerdicts(t, s.verdicts(), []want{{RogueMaster, portA.Clock.String(), 60 * sc, 62 * sc}, {FindingClosed, portA.Clock.String(), 150 * sc, 152 * sc}})
}
