package fault

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
)

// announceReceiptTimeout is the default of IEEE 1588-2019 §8.2.15.4, in
// announce intervals.
const announceReceiptTimeout = 3

// settleIntervals is how long, in announce intervals, two masters may
// announce at once before it is BMCA Contention: the receipt timeout
// plus the two Announce a port needs to qualify a better foreign master
// (§9.3.2.5) before it yields.
const settleIntervals = announceReceiptTimeout + 2

// outageIntervals is how many announce intervals a scope may go without
// any master announcing before it is an Outage: a backup takes over after
// its announce receipt timeout (three intervals and a fraction), so six
// leave it room.
const outageIntervals = 6

// announcer is one port announcing in a scope.
type announcer struct {
	port       decode.PortIdentity
	a          state.AnnounceData
	logIntv    int8
	first      int64 // start of its current spell of announcing
	firstFrame uint64
	last       int64
	lastFrame  uint64
}

// gmRef is the best quality a grandmaster was seen with: what worse
// announcements are measured against.
type gmRef struct {
	cat          int // classCategory
	class        uint8
	acc          uint8
	variance     uint16
	tt, ft       bool
	p1, p2       uint8
	configured   bool // cat comes from the configured clockClass
	announcedAny bool
}

// condKey names a condition: its kind, the clock it is about (zero for
// scope-wide conditions) and a sub-case.
type condKey struct {
	kind Kind
	id   decode.ClockIdentity
	sub  uint8
}

// Sub-cases of Time Properties Mismatch.
const (
	subNone uint8 = iota
	subLeap61
	subLeap59
	subUTCOffset
	subAnnouncers
)

// cond tracks one condition through its hold and clear times.
type cond struct {
	key      condKey
	since    int64 // when it began to hold (0: it does not)
	lastTrue int64
	seen     uint64 // evaluation epoch it last held in
	open     bool
	sev      state.Severity
	subject  string
	clear    int64
}

// transition is a change of grandmaster being watched until it settles.
type transition struct {
	from      decode.ClockIdentity
	fromAlive bool // from still announced when the change began: preempted, not lost
	fromEv    Evidence
	outage    bool
}

// scopeDet is one scope's detectors.
type scopeDet struct {
	d *Detector
	// lastFrame is the capture time of its latest frame, kept by the
	// shard; health what the shard judges of its ports' message health
	lastFrame *int64
	health    *state.ScopeHealth
	prof      *profile // message intervals allowed, nil: not judged
	v2        bool

	key        state.ScopeKey
	name       string
	seg        uint16
	first      int64
	conf       *compiledScope
	groups     []int  // the agree groups it belongs to
	firstFrame uint64 // its first frame, as evidence
	firstAt    int64
	nextCross  int64 // when it next reports to the cross registry
	learning   bool
	learnUntil int64
	expected   map[decode.ClockIdentity]bool
	refs       map[decode.ClockIdentity]*gmRef
	ann        []*announcer
	lastAnn    int64 // last Announce from anyone
	lastIntv   int8

	hasGM   bool
	gm      decode.ClockIdentity
	gmSince int64

	hasStable bool
	stable    decode.ClockIdentity
	// the last Announce naming the stable grandmaster, as evidence
	stableFrame uint64
	stableAt    int64
	stablePort  decode.PortIdentity
	trans       *transition
	// failovers this scope holds open: new grandmaster's old one → subject
	failovers map[decode.ClockIdentity]string
	rogues    map[decode.ClockIdentity]bool // ever judged rogue here
	changes   []int64                       // settled grandmaster changes, for flapping

	conds    map[condKey]*cond
	condList []*cond // conds' values, in the order they began
	epoch    uint64

	portList     []*portDet // message health, in order of first sight
	nextMsgCheck int64
	quietUntil   int64 // see quietTill
	quietCount   int64 // counted() when it was last evaluated: a count ends the quiet
	// disturbs are the capture times grandmaster changes and outages
	// began or ended at, the last five minutes' (disturb)
	disturbs []int64
}

// interval is one announce interval in ns.
func interval(log int8) int64 {
	if log < -7 || log > 7 {
		log = 1
	}
	if log >= 0 {
		return int64(time.Second) << uint(log)
	}
	return int64(time.Second) >> uint(-log)
}

// aliveFor is how long after its last Announce a port still counts as
// announcing (the receipt timeout and half an interval, as the model
// judges silence).
func aliveFor(log int8) int64 { return announceReceiptTimeout*interval(log) + interval(log)/2 }

// timeFlags are the flagField bits that carry time properties (its
// second octet); the first is about the message itself, such as unicast
// or two-step, which a master serving unicast and multicast clients
// alternates.
const timeFlags = decode.Flags(0x00ff)

// announce records an Announce (or a PTPv1 Sync's grandmaster part) and
// reports whether it tells the detectors something new: a port that was
// not announcing, or a dataset or interval other than its last.
func (s *scopeDet) announce(o *state.Observation) (news bool) {
	var a *announcer
	for _, x := range s.ann {
		if x.port == o.Source {
			a = x
			break
		}
	}
	if a == nil {
		a = &announcer{port: o.Source}
		s.ann = append(s.ann, a)
	}
	if a.last == 0 || o.Time-a.last > aliveFor(a.logIntv) || a.a.GrandmasterIdentity != o.Announce.GrandmasterIdentity {
		// a new spell of announcing this grandmaster
		a.first, a.firstFrame = o.Time, o.FrameNum
		news = true
	}
	prev, cur := a.a, o.Announce
	prev.Flags &= timeFlags
	cur.Flags &= timeFlags
	news = news || prev != cur
	a.a, a.last, a.lastFrame = o.Announce, o.Time, o.FrameNum
	iv := a.logIntv
	if o.LogInterval >= -7 && o.LogInterval <= 7 {
		a.logIntv = o.LogInterval
	} else if s.key.Version == 1 {
		a.logIntv = 0
	}
	news = news || a.logIntv != iv
	s.lastAnn, s.lastIntv = o.Time, a.logIntv
	if s.hasStable && o.Announce.GrandmasterIdentity == s.stable {
		s.stableFrame, s.stableAt, s.stablePort = o.FrameNum, o.Time, o.Source
	}
	if news { // the same dataset again teaches the references nothing
		s.learnRef(&a.a)
	}
	return news
}

// learnRef keeps the best quality each grandmaster was seen with.
func (s *scopeDet) learnRef(a *state.AnnounceData) {
	r := s.refs[a.GrandmasterIdentity]
	if r == nil {
		r = &gmRef{cat: classCategory(a.Quality.Class), class: a.Quality.Class, acc: a.Quality.Accuracy,
			variance: a.Quality.OffsetScaledLogVariance, tt: a.Flags&decode.FlagTimeTraceable != 0,
			ft: a.Flags&decode.FlagFrequencyTraceable != 0, p1: a.Priority1, p2: a.Priority2}
		if s.conf != nil {
			for _, g := range s.conf.gms {
				if g.id == a.GrandmasterIdentity && g.class >= 0 {
					r.cat, r.class, r.configured = classCategory(uint8(g.class)), uint8(g.class), true
				}
			}
		}
		s.refs[a.GrandmasterIdentity] = r
		return
	}
	if c := classCategory(a.Quality.Class); c < r.cat && !r.configured {
		r.cat, r.class = c, a.Quality.Class
	}
	r.acc = min(r.acc, a.Quality.Accuracy)
	r.p1, r.p2 = min(r.p1, a.Priority1), min(r.p2, a.Priority2)
	r.variance = min(r.variance, a.Quality.OffsetScaledLogVariance)
	r.tt = r.tt || a.Flags&decode.FlagTimeTraceable != 0
	r.ft = r.ft || a.Flags&decode.FlagFrequencyTraceable != 0
}

// classCategory orders clockClass values by how good a time they promise:
// 0 locked to a primary reference (6, 13), 1 holdover within
// specification (7, 14, and the telecom profiles' 135 to 165), 2
// degraded or alternative (52, 58, 187, 193 and other values below 128),
// 3 default, free running or slave-only (128 and above).
func classCategory(c uint8) int {
	switch {
	case c == 6 || c == 13:
		return 0
	case c == 7 || c == 14 || c == 135 || c == 140 || c == 150 || c == 160 || c == 165:
		return 1
	case c < 128:
		return 2
	}
	return 3
}

var categoryNames = [...]string{"locked", "holdover", "degraded", "free running or default"}

// alive reports whether a still counts as announcing at now.
func (a *announcer) alive(now int64) bool { return now-a.last <= aliveFor(a.logIntv) }

// recent reports whether a announced within the last interval and a half.
func (a *announcer) recent(now int64) bool { return now-a.last <= interval(a.logIntv)*3/2 }

func (a *announcer) ev(scope, what string, first bool) Evidence {
	if first {
		return Evidence{Frame: a.firstFrame, Time: a.first, Scope: scope, Port: a.port.String(), What: what}
	}
	return Evidence{Frame: a.lastFrame, Time: a.last, Scope: scope, Port: a.port.String(), What: what}
}

// evaluate runs the detectors of the scope as of now: on every Announce
// the grandmaster detectors, on ticks (full) the message-health ones too.
func (s *scopeDet) evaluate(now int64, full bool) {
	if s.learning {
		s.learn(now)
		if s.learning {
			return
		}
	}
	s.epoch++
	s.elect(now)
	s.judgeTransition(now)
	for _, a := range s.ann {
		if !a.alive(now) {
			continue
		}
		s.checkRogue(a, now)
		if s.v2 {
			s.checkDegradation(a, now)
			s.checkTimeProperties(a, now)
		}
	}
	s.checkContention(now)
	s.checkOutage(now)
	s.checkFlapping(now)
	if full && now >= s.nextMsgCheck {
		// Counts are judged per minute; looking every few seconds of
		// capture time is enough, and keeps ticks cheap on large scopes.
		s.checkMessages(now)
		s.nextMsgCheck = now + msgCheckEvery
	}
	s.sweep(now)
	s.quietUntil, s.quietCount = s.quietTill(now), s.counted()
}

// counted is the capture time of the latest count in the scope's Health
// (state.ScopeHealth.LastCount).
func (s *scopeDet) counted() int64 {
	if s.health == nil {
		return 0
	}
	return s.health.LastCount
}

// quietTill returns the capture time until which a tick can find nothing
// new in the scope, so need not evaluate it (0: the next tick must). A
// scope is quiet while one grandmaster announces, settled, with nothing
// held open, no leap flag and no message check due: then only a frame
// can change a verdict, and an Announce that is news is evaluated at
// once. It stops being quiet when its announcer may fall silent, its
// ports' Health counts something, the next message check is due (while
// anything counted in the last two minutes may still be judged), or the
// leap-second table's TAI−UTC changes.
func (s *scopeDet) quietTill(now int64) int64 {
	// (grandmaster changes kept for the flapping window need no tick:
	// their growing old can only clear a condition, which is held open)
	if s.learning || s.trans != nil || len(s.condList) > 0 || !s.hasGM {
		return 0
	}
	till, alive := int64(math.MaxInt64), 0
	if s.countedSince(now) {
		till = s.nextMsgCheck
	}
	for _, a := range s.ann {
		if !a.alive(now) {
			continue
		}
		if alive++; alive > 1 || a.a.Flags&(decode.FlagLeap59|decode.FlagLeap61) != 0 {
			return 0
		}
		till = min(till, a.last+aliveFor(a.logIntv))
	}
	if s.d.utcCfg != nil {
		till = min(till, s.d.utcTo)
	}
	return till
}

// learn gathers the baseline: every grandmaster announced until the
// settling time is over (and at least one was heard).
func (s *scopeDet) learn(now int64) {
	for _, a := range s.ann {
		if a.alive(now) {
			s.expected[a.a.GrandmasterIdentity] = true
		}
	}
	if now < s.learnUntil || len(s.expected) == 0 {
		return
	}
	s.learning = false
	st := ScopeStatus{ID: s.key.Tag(), Name: s.name, Segment: s.seg, Baseline: "learnt", LearntAt: now}
	for id := range s.expected {
		st.Grandmasters = append(st.Grandmasters, id.String())
	}
	s.d.book.noteScope(st)
	s.elect(now)
	s.hasStable, s.stable = s.hasGM, s.gm
}

// elect picks the scope's grandmaster as BMCA would among the ports still
// announcing.
func (s *scopeDet) elect(now int64) {
	var best *announcer
	for _, a := range s.ann {
		if a.alive(now) && (best == nil || a.a.Better(&best.a)) {
			best = a
		}
	}
	switch {
	case best == nil:
		s.hasGM = false
	case !s.hasGM || best.a.GrandmasterIdentity != s.gm:
		s.hasGM, s.gm, s.gmSince = true, best.a.GrandmasterIdentity, now
	}
}

// gmAlive reports whether any port still announces id as grandmaster, and
// returns one that does.
func (s *scopeDet) gmAnnouncer(id decode.ClockIdentity, now int64, aliveOnly bool) *announcer {
	var found *announcer
	for _, a := range s.ann {
		if a.a.GrandmasterIdentity == id && (!aliveOnly || a.alive(now)) && (found == nil || a.last > found.last) {
			found = a
		}
	}
	return found
}

// judgeTransition follows a change of grandmaster until the new one has
// been stable for an announce receipt timeout, then gives one verdict:
// Failover (lost and taken over by another), Recovered (an earlier
// grandmaster is back), or none (a preemption, a rogue's doing, a blip).
func (s *scopeDet) judgeTransition(now int64) {
	if !s.hasStable {
		if s.hasGM {
			s.hasStable, s.stable = true, s.gm
		}
		return
	}
	if s.trans == nil {
		if s.hasGM && s.gm == s.stable {
			return
		}
		t := &transition{from: s.stable}
		if a := s.gmAnnouncer(s.stable, now, false); a != nil {
			t.fromAlive = a.alive(now)
		}
		if s.stableAt != 0 {
			t.fromEv = Evidence{Frame: s.stableFrame, Time: s.stableAt, Scope: s.name, Port: s.stablePort.String(),
				What: "last Announce naming grandmaster " + s.stable.String()}
		}
		s.trans = t
		s.disturb(now)
	}
	if !s.hasGM {
		return
	}
	g := s.gmAnnouncer(s.gm, now, true)
	if g == nil || now-s.gmSince < announceReceiptTimeout*interval(g.logIntv) {
		return
	}
	t := s.trans
	s.trans = nil
	s.disturb(now)
	from, to := t.from, s.gm
	s.stable = to
	if from == to {
		return
	}
	if !s.rogues[from] && !s.rogues[to] {
		s.changes = append(s.changes, now)
	}
	if subj, ok := s.failovers[to]; ok {
		// The grandmaster that failed is back.
		delete(s.failovers, to)
		s.d.book.release(Failover, s.seg, subj, s.name, now, "grandmaster "+to.String()+" announces again")
		return
	}
	if s.rogues[from] || s.rogues[to] || t.fromAlive || t.outage {
		return
	}
	subj := from.String() + " → " + to.String()
	backup := "an expected backup"
	if !s.expected[to] {
		backup = "a clock not in the " + s.baselineWord() + " (accepted as backup: it announces a worse dataset than the grandmaster it replaced)"
	}
	s.d.book.raise(report{kind: Failover, severity: state.Notice, segment: s.seg, scope: s.name, subject: subj, port: g.port.String(),
		explanation: fmt.Sprintf("grandmaster %s stopped announcing and %s, %s, took over within the announce receipt timeout; the network runs on the backup", from, backup, to),
		evidence:    []Evidence{t.fromEv, g.ev(s.name, "first Announce of the new grandmaster "+to.String(), true)}, at: now})
	if s.failovers == nil {
		s.failovers = map[decode.ClockIdentity]string{}
	}
	s.failovers[from] = subj
}

func (s *scopeDet) baselineWord() string {
	if s.conf != nil {
		return "configured grandmasters"
	}
	return "baseline learnt in the first " + time.Duration(s.d.cfg.settle).String()
}

// hit says condition k holds at now; once it has held for hold it opens
// (or raises) its finding, built by mk.
func (s *scopeDet) hit(k condKey, sev state.Severity, hold, clear, now int64, mk func() report) {
	c := s.conds[k]
	if c == nil {
		c = &cond{key: k}
		s.conds[k] = c
		s.condList = append(s.condList, c)
	}
	if c.since == 0 {
		c.since = now
	}
	c.lastTrue, c.seen, c.clear = now, s.epoch, clear
	if now-c.since < hold {
		return
	}
	if !c.open || sev > c.sev {
		r := mk()
		r.kind, r.severity, r.segment, r.scope, r.at = k.kind, sev, s.seg, s.name, now
		c.open, c.sev, c.subject = true, sev, r.subject
		s.d.book.raise(r)
	}
}

// sweep ends conditions that did not hold in this evaluation, closing
// their findings once they have been gone for their clear time.
func (s *scopeDet) sweep(now int64) {
	var closing []condKey
	// the list, not the map: walked on every evaluation, and ranging
	// over a map costs more than the few conditions in it
	keep := s.condList[:0]
	for _, c := range s.condList {
		if c.seen == s.epoch {
			keep = append(keep, c)
			continue
		}
		c.since = 0
		if !c.open {
			delete(s.conds, c.key)
			continue
		}
		if now-c.lastTrue >= c.clear {
			closing = append(closing, c.key)
		}
		keep = append(keep, c)
	}
	clear(s.condList[len(keep):])
	s.condList = keep
	if len(closing) == 0 {
		return
	}
	// in a fixed order, so that findings closing together always close
	// in the same order
	sort.Slice(closing, func(i, j int) bool {
		a, b := closing[i], closing[j]
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		if c := bytes.Compare(a.id[:], b.id[:]); c != 0 {
			return c < 0
		}
		return a.sub < b.sub
	})
	for _, k := range closing {
		c := s.conds[k]
		s.d.book.release(k.kind, s.seg, c.subject, s.name, now, "condition gone for "+time.Duration(now-c.lastTrue).Round(time.Second).String())
		delete(s.conds, k)
		s.dropCond(c)
	}
}

// dropCond takes c off the list of conditions.
func (s *scopeDet) dropCond(c *cond) {
	if i := slices.Index(s.condList, c); i >= 0 {
		s.condList = slices.Delete(s.condList, i, i+1)
	}
}

func (s *scopeDet) clearTime() int64 { return s.d.cfg.clear }

// checkRogue: a port announcing a grandmaster that is not expected, or one
// claiming more than it should.
func (s *scopeDet) checkRogue(a *announcer, now int64) {
	id := a.a.GrandmasterIdentity
	why := ""
	if s.conf != nil {
		var e *expectedGM
		for i := range s.conf.gms {
			if s.conf.gms[i].id == id {
				e = &s.conf.gms[i]
			}
		}
		switch {
		case e == nil:
			why = "it is not a configured grandmaster of this scope"
		case e.priority1 >= 0 && int(a.a.Priority1) < e.priority1:
			why = fmt.Sprintf("it announces priority1 %d, better than the configured %d", a.a.Priority1, e.priority1)
		case e.class >= 0 && int(a.a.Quality.Class) < e.class:
			why = fmt.Sprintf("it announces clockClass %d, better than the configured %d", a.a.Quality.Class, e.class)
		}
	} else if !s.expected[id] && !s.rogues[id] {
		for eid := range s.expected {
			if r := s.refs[eid]; r != nil && claimsBetter(&a.a, r) {
				why = "it is not in the " + s.baselineWord() + " and claims a better dataset than expected grandmaster " + eid.String()
				break
			}
		}
	} else if s.rogues[id] {
		why = "it keeps announcing"
	}
	if why == "" {
		return
	}
	s.rogues[id] = true
	s.hit(condKey{kind: RogueMaster, id: id}, state.Critical, 0, s.clearTime(), now, func() report {
		return report{subject: id.String(), port: a.port.String(),
			explanation: fmt.Sprintf("%s announces %s as grandmaster (priority1 %d, clockClass %d, stepsRemoved %d), but %s",
				a.port, id, a.a.Priority1, a.a.Quality.Class, a.a.StepsRemoved, why),
			evidence: []Evidence{a.ev(s.name, "first Announce naming "+id.String(), true)}}
	})
}

// claimsBetter reports whether a announces a better quality than the
// reference of an expected grandmaster (priority1, clockClass,
// clockAccuracy, offsetScaledLogVariance, priority2; identity does not
// count).
func claimsBetter(a *state.AnnounceData, r *gmRef) bool {
	ref := state.AnnounceData{Priority1: r.p1, Priority2: r.p2, Quality: decode.ClockQuality{Class: r.class, Accuracy: r.acc, OffsetScaledLogVariance: r.variance}}
	switch {
	case a.Priority1 != ref.Priority1:
		return a.Priority1 < ref.Priority1
	case a.Quality.Class != ref.Quality.Class:
		return a.Quality.Class < ref.Quality.Class
	case a.Quality.Accuracy != ref.Quality.Accuracy:
		return a.Quality.Accuracy < ref.Quality.Accuracy
	case a.Quality.OffsetScaledLogVariance != ref.Quality.OffsetScaledLogVariance:
		return a.Quality.OffsetScaledLogVariance < ref.Quality.OffsetScaledLogVariance
	}
	return a.Priority2 < ref.Priority2
}

// checkDegradation: a grandmaster announcing a worse quality than it was
// seen with (or configured for).
func (s *scopeDet) checkDegradation(a *announcer, now int64) {
	id := a.a.GrandmasterIdentity
	r := s.refs[id]
	if r == nil || s.rogues[id] {
		return
	}
	q := a.a.Quality
	cat := classCategory(q.Class)
	sev := state.Severity(0)
	if cat > r.cat {
		sev = state.Warning
		if cat == 1 {
			sev = state.Notice
		}
	}
	tt, ft := a.a.Flags&decode.FlagTimeTraceable != 0, a.a.Flags&decode.FlagFrequencyTraceable != 0
	if sev == 0 && ((q.Accuracy > r.acc && r.acc < 0xfe) || q.OffsetScaledLogVariance > r.variance || (r.tt && !tt) || (r.ft && !ft)) {
		sev = state.Notice
	}
	if sev == 0 {
		return
	}
	s.hit(condKey{kind: Degradation, id: id}, sev, 0, s.clearTime(), now, func() report {
		var what []string
		if cat > r.cat {
			what = append(what, fmt.Sprintf("clockClass %d (%s) instead of %d (%s)", q.Class, categoryNames[cat], r.class, categoryNames[r.cat]))
		}
		if q.Accuracy > r.acc && r.acc < 0xfe {
			what = append(what, fmt.Sprintf("clockAccuracy 0x%02x instead of 0x%02x", q.Accuracy, r.acc))
		}
		if q.OffsetScaledLogVariance > r.variance {
			what = append(what, fmt.Sprintf("offsetScaledLogVariance 0x%04x instead of 0x%04x", q.OffsetScaledLogVariance, r.variance))
		}
		if r.tt && !tt {
			what = append(what, "timeTraceable dropped")
		}
		if r.ft && !ft {
			what = append(what, "frequencyTraceable dropped")
		}
		return report{subject: id.String(), port: a.port.String(),
			explanation: "grandmaster " + id.String() + " announces a worse quality than it had: " + strings.Join(what, ", "),
			evidence:    []Evidence{a.ev(s.name, "Announce showing "+strings.Join(what, ", "), false)}}
	})
}

// tp is the time properties an Announce carries.
type tp struct {
	offset                              int16
	valid, leap59, leap61, ptpTimescale bool
	source                              decode.TimeSource
}

func timeProps(a *state.AnnounceData) tp {
	f := a.Flags
	return tp{a.CurrentUTCOffset, f&decode.FlagCurrentUTCOffsetValid != 0, f&decode.FlagLeap59 != 0, f&decode.FlagLeap61 != 0,
		f&decode.FlagPTPTimescale != 0, a.TimeSource}
}

func (t tp) String() string {
	return fmt.Sprintf("currentUtcOffset %d (valid %v), leap59 %v, leap61 %v, ptpTimescale %v, timeSource %s",
		t.offset, t.valid, t.leap59, t.leap61, t.ptpTimescale, t.source)
}

// checkTimeProperties: leap flags with no leap second due, a UTC offset
// other than expected, and announcers of one scope disagreeing.
func (s *scopeDet) checkTimeProperties(a *announcer, now int64) {
	id := a.a.GrandmasterIdentity
	p := timeProps(&a.a)
	ahead := 0
	if p.leap61 || p.leap59 {
		ahead = s.d.cfg.leapAhead(now)
	}
	leap := func(sub uint8, flag string) {
		s.hit(condKey{kind: TimePropertiesMismatch, id: id, sub: sub}, state.Warning, 0, s.clearTime(), now, func() report {
			return report{subject: id.String() + " " + flag, port: a.port.String(),
				explanation: fmt.Sprintf("%s announces %s for grandmaster %s, but no leap second is scheduled within %d hours by the leap-second table",
					a.port, flag, id, s.d.cfg.cfg.LeapWindowHours),
				evidence: []Evidence{a.ev(s.name, "Announce with "+flag+" set", false)}}
		})
	}
	if p.leap61 && ahead != 1 {
		leap(subLeap61, "leap61")
	}
	if p.leap59 && ahead != -1 {
		leap(subLeap59, "leap59")
	}
	want := s.d.cfg.cfg.UTCOffset
	from := "configured"
	if want == 0 {
		want, from = s.d.utcOffsetAt(now), "leap-second table's"
	}
	if p.valid && want != 0 && int(p.offset) != want {
		s.hit(condKey{kind: TimePropertiesMismatch, id: id, sub: subUTCOffset}, state.Warning, 0, s.clearTime(), now, func() report {
			return report{subject: id.String() + " currentUtcOffset", port: a.port.String(),
				explanation: fmt.Sprintf("%s announces currentUtcOffset %d s (flagged valid) for grandmaster %s; the %s value is %d s",
					a.port, p.offset, id, from, want),
				evidence: []Evidence{a.ev(s.name, fmt.Sprintf("Announce with currentUtcOffset %d", p.offset), false)}}
		})
	}
	// Announcers disagreeing: compared once per evaluation, from the
	// first announcer.
	if a != s.firstRecent(now) {
		return
	}
	for _, b := range s.ann {
		if b == a || !b.recent(now) {
			continue
		}
		if q := timeProps(&b.a); q != p {
			s.hit(condKey{kind: TimePropertiesMismatch, sub: subAnnouncers}, state.Warning,
				settleIntervals*interval(max(a.logIntv, b.logIntv)), s.clearTime(), now, func() report {
					return report{subject: s.name + " announcers",
						explanation: fmt.Sprintf("masters of one scope announce different time properties: %s announces %s; %s announces %s",
							a.port, p, b.port, q),
						evidence: []Evidence{a.ev(s.name, p.String(), false), b.ev(s.name, q.String(), false)}}
				})
			return
		}
	}
}

func (s *scopeDet) firstRecent(now int64) *announcer {
	for _, a := range s.ann {
		if a.recent(now) {
			return a
		}
	}
	return nil
}

// checkContention: two or more ports announcing different grandmasters at
// once for longer than the receipt timeout and a foreign-master
// qualification (settleIntervals).
func (s *scopeDet) checkContention(now int64) {
	var a, b *announcer
	for _, x := range s.ann {
		if !x.recent(now) {
			continue
		}
		if a == nil {
			a = x
		} else if x.a.GrandmasterIdentity != a.a.GrandmasterIdentity {
			b = x
			break
		}
	}
	if b == nil {
		return
	}
	s.hit(condKey{kind: BMCAContention}, state.Warning, settleIntervals*interval(max(a.logIntv, b.logIntv)), s.clearTime(), now, func() report {
		return report{subject: s.name, port: a.port.String(),
			explanation: fmt.Sprintf("%s (grandmaster %s) and %s (grandmaster %s) both announce as master for longer than the announce receipt timeout: BMCA does not settle",
				a.port, a.a.GrandmasterIdentity, b.port, b.a.GrandmasterIdentity),
			evidence: []Evidence{a.ev(s.name, "Announce for "+a.a.GrandmasterIdentity.String(), false), b.ev(s.name, "Announce for "+b.a.GrandmasterIdentity.String(), false)}}
	})
}

// checkOutage: no port announcing for outageIntervals announce intervals.
func (s *scopeDet) checkOutage(now int64) {
	if s.hasGM || !s.hasStable || s.lastAnn == 0 || now-s.lastAnn < outageIntervals*interval(s.lastIntv) {
		return
	}
	if s.trans != nil {
		s.trans.outage = true
	}
	last := s.stable
	s.hit(condKey{kind: Outage}, state.Critical, 0, announceReceiptTimeout*interval(s.lastIntv), now, func() report {
		r := report{subject: s.name,
			explanation: fmt.Sprintf("no master has announced for %s (the last grandmaster was %s) and no backup took over: followers run free",
				time.Duration(now-s.lastAnn).Round(time.Millisecond), last)}
		if a := s.gmAnnouncer(last, now, false); a != nil {
			r.port = a.port.String()
			r.evidence = []Evidence{a.ev(s.name, "last Announce heard", false)}
		}
		return r
	})
}

// checkFlapping: more grandmaster changes within the window than allowed.
func (s *scopeDet) checkFlapping(now int64) {
	win := s.d.cfg.flapWin
	i := 0
	for i < len(s.changes) && now-s.changes[i] > win {
		i++
	}
	if i > 0 {
		s.changes = append(s.changes[:0], s.changes[i:]...)
	}
	if len(s.changes) <= s.d.cfg.cfg.FlapChanges {
		return
	}
	n := len(s.changes)
	s.hit(condKey{kind: GrandmasterFlapping}, state.Warning, 0, s.clearTime(), now, func() report {
		return report{subject: s.name,
			explanation: fmt.Sprintf("the grandmaster changed %d times within %d minutes (more than %d)", n, s.d.cfg.cfg.FlapMinutes, s.d.cfg.cfg.FlapChanges)}
	})
}

// nonZero lists the pieces of evidence that are set.
func nonZero(es ...Evidence) []Evidence {
	out := es[:0]
	for _, e := range es {
		if e.Time != 0 {
			out = append(out, e)
		}
	}
	return out
}
