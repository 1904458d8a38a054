package fault

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/ptpwatch/ptpwatch/state/store"
)

// Topology is the expected topology: the part of Config that says what the
// network should look like, which the API reads and replaces
// (GET/PUT /api/v1/health/topology) and the store keeps across restarts.
type Topology struct {
	// Domains, UTCOffset, Profile, Scopes and Agree are Config's fields
	// of the same names.
	Domains   []int         `json:"domains"`
	UTCOffset int           `json:"utcOffset"`
	Profile   string        `json:"profile"`
	Scopes    []ScopeConfig `json:"scopes"`
	Agree     []AgreeConfig `json:"agree"`
	// Source says where the topology in force came from: "config" (the
	// configuration file) or "api". Ignored in a PUT.
	Source    string `json:"source"`
	ChangedBy string `json:"changedBy,omitempty"`
	ChangedAt int64  `json:"changedAt,omitempty"` // wall clock, ns since 1970
}

// topologyKey is where the store keeps the topology set through the API.
var topologyKey = store.Topology.Name("expected")

// topo is the engine's topology in force and where it is kept.
type topo struct {
	mu  sync.Mutex
	cur Topology
	st  *store.Store
}

func topologyOf(c *Config) Topology {
	return Topology{Domains: slices.Clone(c.Domains), UTCOffset: c.UTCOffset, Profile: c.Profile,
		Scopes: slices.Clone(c.Scopes), Agree: slices.Clone(c.Agree), Source: "config"}
}

// Topology returns the expected topology in force.
func (e *Engine) Topology() Topology {
	e.topo.mu.Lock()
	defer e.topo.mu.Unlock()
	t := e.topo.cur
	t.Domains, t.Scopes, t.Agree = slices.Clone(t.Domains), slices.Clone(t.Scopes), slices.Clone(t.Agree)
	if t.Domains == nil {
		t.Domains = []int{}
	}
	if t.Scopes == nil {
		t.Scopes = []ScopeConfig{}
	}
	if t.Agree == nil {
		t.Agree = []AgreeConfig{}
	}
	return t
}

// ErrTopology wraps what is wrong with a topology given to SetTopology.
type ErrTopology struct{ Err error }

func (e *ErrTopology) Error() string { return e.Err.Error() }
func (e *ErrTopology) Unwrap() error { return e.Err }

// SetTopology validates t and puts it in force: the detectors take it up
// at their next tick (a scope now configured judges by it, one no longer
// configured learns a new baseline). With a store (UseStore) it is kept
// there first, so it survives a restart. A topology that does not
// validate is an *ErrTopology.
func (e *Engine) SetTopology(t Topology, by string) error {
	c := e.cfg.cfg
	c.Domains, c.UTCOffset, c.Profile, c.Scopes, c.Agree = t.Domains, t.UTCOffset, t.Profile, t.Scopes, t.Agree
	k, err := c.compile()
	if err != nil {
		return &ErrTopology{err}
	}
	t.Source, t.ChangedBy, t.ChangedAt = "api", by, time.Now().UnixNano()
	e.topo.mu.Lock()
	defer e.topo.mu.Unlock()
	if e.topo.st != nil {
		b, err := json.Marshal(t)
		if err != nil {
			return err
		}
		batch := e.topo.st.NewBatch()
		defer batch.Close()
		if err := batch.Set(topologyKey, b, nil); err != nil {
			return err
		}
		if err := e.topo.st.Write(batch, true); err != nil {
			return fmt.Errorf("fault: keeping the expected topology: %w", err)
		}
	}
	e.apply(k)
	e.topo.cur = t
	return nil
}

// apply puts k in force for the detectors.
func (e *Engine) apply(k *compiled) {
	e.cur.Store(k)
	e.cross.mu.Lock()
	e.cross.agree = nil // group numbers may have changed
	e.cross.mu.Unlock()
}

// UseStore keeps the topology set through the API in st from now on, and
// puts a topology kept there earlier in force (it replaces the
// configuration file's until changed). Call it before the pipeline runs.
// A record that cannot be read is logged and left alone.
func (e *Engine) UseStore(st *store.Store, log *slog.Logger) {
	if st == nil {
		return
	}
	v, ok, err := st.Get(topologyKey)
	var t Topology
	if err == nil && ok {
		if err = json.Unmarshal(v, &t); err == nil {
			err = e.SetTopology(t, t.ChangedBy)
		}
	}
	e.topo.mu.Lock()
	if err == nil && ok {
		e.topo.cur.ChangedAt = t.ChangedAt // as kept, not as restored
	}
	e.topo.st = st
	e.topo.mu.Unlock()
	switch {
	case err != nil:
		log.Error("the expected topology kept in the store cannot be used; the configuration file's is in force", "err", err)
	case ok:
		log.Info("expected topology restored from the store", "scopes", len(t.Scopes), "changedBy", t.ChangedBy)
	}
}

// rebind puts the detector's scopes under k, the topology in force.
func (d *Detector) rebind(k *compiled, now int64) {
	d.cfg = k
	for _, s := range d.list {
		s.quietUntil = 0 // judged afresh at this tick
		was := s.conf != nil
		s.conf = k.scopeFor(s.name)
		s.prof = k.profile
		if s.conf != nil {
			s.prof = s.conf.profile
		}
		s.judgeIntervals()
		s.groups = k.groupsOf(s.name)
		st := ScopeStatus{ID: s.key.Tag(), Name: s.name, Segment: s.seg}
		switch {
		case s.conf != nil:
			clear(s.expected)
			for _, g := range s.conf.gms {
				s.expected[g.id] = true
				st.Grandmasters = append(st.Grandmasters, g.id.String())
			}
			s.learning = false
			st.Baseline = "configured"
		case was:
			// no longer configured: learn what is there now
			clear(s.expected)
			s.learning, s.learnUntil = true, now+k.settle
			st.Baseline, st.LearntAt = "learning", s.learnUntil
		default:
			continue // its learnt baseline stands
		}
		// judged afresh: a clock that was rogue under the old topology is
		// judged by the new one (its open finding closes once the new
		// judgement no longer holds it, after a new baseline if one is learnt)
		clear(s.rogues)
		d.book.noteScope(st)
	}
}
