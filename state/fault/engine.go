package fault

import (
	"sync/atomic"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
)

// Engine runs the detectors of one model and holds their findings.
type Engine struct {
	cfg  *compiled
	Book *Book
	dets []*Detector
	ref  refusals
	// cross holds what scopes report for findings across scopes
	cross cross
	ms    masters
	// cur is the configuration in force: cfg with the expected topology
	// last set (SetTopology); detectors take it up at their next tick
	cur  atomic.Pointer[compiled]
	topo topo
}

// New returns an engine judging by cfg and adding its verdicts to events
// (nil: findings only).
func New(cfg Config, events *state.EventLog) (*Engine, error) {
	k, err := cfg.compile()
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: k, Book: newBook(events)}
	e.cur.Store(k)
	e.topo.cur = topologyOf(&cfg)
	return e, nil
}

// Attach installs a detector on every shard of m. Call it before the
// pipeline runs. A disabled engine attaches nothing.
func (e *Engine) Attach(m *state.Model) {
	if !e.cfg.cfg.Enabled {
		return
	}
	for i := 0; i < m.Shards(); i++ {
		d := &Detector{eng: e, idx: i, first: i == 0, cfg: e.cur.Load(), book: e.Book}
		e.dets = append(e.dets, d)
		m.Shard(i).SetWatcher(d)
	}
}

// Detector judges the scopes of one shard. It is a state.Watcher and runs
// on the shard's goroutine.
type Detector struct {
	eng   *Engine
	idx   int
	first bool // the first shard's detector also closes Unicast Refused findings
	cfg   *compiled
	book  *Book
	list  []*scopeDet
	// utc is the leap-second table's TAI−UTC for the span of capture
	// time [utcFrom, utcTo), by the configuration utcCfg: each Announce
	// is judged against it, and a table scan per Announce adds up
	utc            int
	utcFrom, utcTo int64
	utcCfg         *compiled
}

// utcOffsetAt is d.cfg.utcOffsetAt(t), remembered for the span it holds.
func (d *Detector) utcOffsetAt(t int64) int {
	if d.utcCfg != d.cfg || t < d.utcFrom || t >= d.utcTo {
		d.utc, d.utcFrom, d.utcTo = d.cfg.leapSpan(t)
		d.utcCfg = d.cfg
	}
	return d.utc
}

var _ state.Watcher = (*Detector)(nil)

// ScopeSeen takes a scope's first frame: its detectors start (judged by
// the configured topology or learning a baseline), and the shard is told
// what of its ports' message health to judge.
func (d *Detector) ScopeSeen(o *state.Observation, sl state.ScopeSlot) {
	s := d.newScope(o, sl)
	*sl.Watch = s
}

// Observe takes the frames the shard passes on (state.Watcher): a port's
// first frame of the kinds its Health follows (it joins the scope's
// message-health checks), and Announce (and the grandmaster part of a
// PTPv1 Sync), which feed the grandmaster detectors. The shard counts
// every other frame in the port's Health itself.
func (d *Detector) Observe(o *state.Observation, sl state.Slots) {
	s, _ := (*sl.Scope).(*scopeDet)
	if s == nil {
		return // not seen through ScopeSeen: not ours
	}
	if h := sl.Health; h != nil {
		if p, _ := (*sl.Source).(*portDet); p == nil {
			p = &portDet{id: o.Source, h: h, seen: sl.Seen}
			s.portList = append(s.portList, p)
			*sl.Source = p
		}
	}
	// An Announce repeating its port's last is judged at the ticks, once
	// a second as before (or later while the scope is quiet): evaluating
	// at every one costs as much again as the ticks, and finds nothing
	// they would not.
	if o.HasAnnounce && s.announce(o) {
		s.evaluate(o.Time, false)
	}
}

// Tick runs the time-driven checks (silence, hold and clear times).
func (d *Detector) Tick(now int64) {
	if k := d.eng.cur.Load(); k != d.cfg {
		d.rebind(k, now)
	}
	if d.first {
		d.eng.tickRefusals(now)
	}
	for _, s := range d.list {
		if now >= s.quietUntil || s.counted() != s.quietCount {
			s.evaluate(now, true)
		}
		s.reportCross(now)
	}
	if len(d.list) > 0 {
		d.eng.cross.tick(d.idx, now)
		d.eng.tickCross()
	}
}

func (d *Detector) newScope(o *state.Observation, sl state.ScopeSlot) *scopeDet {
	k := o.Scope
	s := &scopeDet{d: d, key: k, name: k.String(), seg: k.Segment, v2: k.Version == 2, first: o.Time,
		lastFrame: sl.LastSeen, health: sl.Health,
		refs: map[decode.ClockIdentity]*gmRef{}, expected: map[decode.ClockIdentity]bool{},
		conds: map[condKey]*cond{}, rogues: map[decode.ClockIdentity]bool{}}
	s.conf = d.cfg.scopeFor(s.name)
	s.prof = d.cfg.profile
	s.groups = d.cfg.groupsOf(s.name)
	s.nextCross = o.Time
	s.firstFrame, s.firstAt = o.FrameNum, o.Time
	if s.conf != nil {
		s.prof = s.conf.profile
	}
	s.judgeIntervals()
	st := ScopeStatus{ID: k.Tag(), Name: s.name, Segment: s.seg}
	if s.conf != nil {
		st.Baseline = "configured"
		for _, g := range s.conf.gms {
			s.expected[g.id] = true
			st.Grandmasters = append(st.Grandmasters, g.id.String())
		}
	} else {
		s.learning, s.learnUntil = true, o.Time+d.cfg.settle
		st.Baseline, st.LearntAt = "learning", s.learnUntil
	}
	d.list = append(d.list, s)
	d.book.noteScope(st)
	if d.cfg.domains != nil && k.Version == 2 && !d.cfg.domains[int(k.Domain)] {
		d.book.raise(report{kind: UnexpectedScope, severity: state.Warning, segment: s.seg, scope: s.name, subject: s.name,
			explanation: "a scope in domain " + itoa(int(k.Domain)) + ", which is not among the expected domains",
			evidence:    []Evidence{{Frame: o.FrameNum, Time: o.Time, Scope: s.name, Port: o.Source.String(), What: "first frame seen in the scope"}},
			at:          o.Time})
	}
	return s
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
