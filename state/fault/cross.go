package fault

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
)

// Findings judged across scopes, segments and shards.
const (
	// MixedProfiles: one domain of one segment carries PTP of different
	// versions (v1 beside v2) or profiles (majorSdoId).
	MixedProfiles Kind = "Mixed Profiles"
	// GrandmasterMismatch: scopes configured to agree follow different
	// grandmasters.
	GrandmasterMismatch Kind = "Grandmaster Mismatch"
)

func init() {
	for _, k := range []Kind{MixedProfiles, GrandmasterMismatch} {
		Kinds = append(Kinds, struct {
			Kind     Kind
			Severity state.Severity
		}{k, state.Warning})
		state.RegisterEventType(k, state.Warning)
	}
}

// crossEvery is how often (capture time) a scope reports to the cross
// registry what it saw since its last report.
const crossEvery = int64(5e9)

// crossRecent is how long a sighting counts after its last report.
const crossRecent = minute

// domainKey is one timing network of a segment: its domain (a PTPv1
// subdomain maps to domain 0 to 3 as IEEE 1588-2008 §18.3.4 does) and
// VLAN.
type domainKey struct {
	segment uint16
	domain  uint8
	vlan    uint16
}

// seenAt is a scope's latest frame when it last reported.
type seenAt struct {
	at      int64  // its latest frame
	first   uint64 // its first frame, as evidence
	firstAt int64
}

// identSighting is a port identity heard in one segment.
type identSighting struct {
	mac   [6]byte
	scope string
	last  int64
	frame uint64 // its first frame in the scope, as evidence
	at    int64
	gone  bool // dropped from the registry as stale
}

// agreeReport is what one scope of an agree group follows.
type agreeReport struct {
	scope   string
	seg     uint16
	hasGM   bool
	gm      decode.ClockIdentity
	tp      tp
	port    decode.PortIdentity
	frame   uint64
	at      int64
	logIntv int8
}

// xkey names a cross condition: its kind and what it is about.
type xkey struct {
	kind  Kind
	dk    domainKey
	id    decode.PortIdentity
	group int
}

// xcond is a cross condition followed through its hold and clear times.
type xcond struct {
	since, lastTrue int64
	open            bool
	seen            bool
	key             xkey
	segment         uint16
	subject         string
	scopes          []string
}

// cross holds what the scopes of every shard report for the findings
// that compare scopes: scopes report every crossEvery of capture time
// (one lock per scope), and each shard's detector, on its tick, judges
// when crossEvery has passed since the last judgement.
// Nothing here is touched per frame, and a judgement that changes nothing
// allocates nothing.
type cross struct {
	mu   sync.Mutex
	next int64 // when to judge next
	// purge is whether this judgement drops stale sightings of entries
	// that cannot hold a condition alone (one scope in a domain, one
	// segment of an identity); purgeAt is when the next one does
	purge   bool
	purgeAt int64
	scopes  map[domainKey]map[state.ScopeKey]seenAt
	names   map[state.ScopeKey]string
	idents  map[decode.PortIdentity]map[uint16]*identSighting
	multi   int                             // identities of idents heard in two segments or more
	segs    []uint16                        // the segments scopes were reported from
	agree   map[int]map[string]*agreeReport // group → scope name → report
	conds   map[xkey]*xcond
	// nows is each detector's latest tick: judgements run at the time of
	// the slowest shard still going (a replay's shards drift apart)
	nows []int64
}

// tick notes that detector i's shard has reached now.
func (x *cross) tick(i int, now int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if i >= len(x.nows) {
		x.nows = append(x.nows, make([]int64, i+1-len(x.nows))...)
	}
	x.nows[i] = now
}

// crossStale is how far a shard may lag behind the fastest before cross
// judgements stop waiting for it (a replay whose frames for that shard
// ended: live pipelines tick idle shards).
const crossStale = 5 * minute

// judgeTime is the time cross findings are judged at: the latest tick of
// the slowest shard with scopes, leaving out shards more than crossStale
// behind the fastest. Shards of one pipeline drift apart by up to their
// rings' worth of frames.
func (x *cross) judgeTime() int64 {
	var hi int64
	for _, n := range x.nows {
		hi = max(hi, n)
	}
	lo := hi
	for _, n := range x.nows {
		if n != 0 && hi-n <= crossStale {
			lo = min(lo, n)
		}
	}
	return lo
}

// v1Domain maps a PTPv1 subdomain name to the PTPv2 domain that
// IEEE 1588-2008 §18.3.4 pairs it with.
func v1Domain(sub [16]byte) (uint8, bool) {
	switch string(bytes.TrimRight(sub[:], "\x00")) {
	case "_DFLT":
		return 0, true
	case "_ALT1":
		return 1, true
	case "_ALT2":
		return 2, true
	case "_ALT3":
		return 3, true
	}
	return 0, false
}

// reportCross hands the cross registry what s saw since its last report,
// every crossEvery. It runs on s's shard goroutine, from Detector.Tick.
func (s *scopeDet) reportCross(now int64) {
	if now < s.nextCross {
		return
	}
	since := s.nextCross - crossEvery
	s.nextCross = now + crossEvery
	x := &s.d.eng.cross
	x.mu.Lock()
	defer x.mu.Unlock()
	if last := *s.lastFrame; last > since {
		dk := domainKey{segment: s.seg, domain: s.key.Domain, vlan: s.key.VLAN}
		ok := true
		if s.key.Version == 1 {
			dk.domain, ok = v1Domain(s.key.Subdomain)
		}
		if ok {
			if x.scopes == nil {
				x.scopes, x.names = map[domainKey]map[state.ScopeKey]seenAt{}, map[state.ScopeKey]string{}
			}
			m := x.scopes[dk]
			if m == nil {
				m = map[state.ScopeKey]seenAt{}
				x.scopes[dk] = m
			}
			m[s.key] = seenAt{at: last, first: s.firstFrame, firstAt: s.firstAt}
			x.names[s.key] = s.name
		}
	}
	if !slices.Contains(x.segs, s.seg) {
		x.segs = append(x.segs, s.seg)
	}
	// A port identity can only be seen in two segments once there are
	// two: until then its sightings would be made for nothing (a scope
	// of the first segment reports its ports within crossEvery of the
	// second's first report).
	for _, p := range s.portList {
		if len(x.segs) < 2 {
			break
		}
		h := p.h
		if *p.seen <= since || h.MAC == ([6]byte{}) {
			continue
		}
		si := p.sighting
		if si == nil || si.gone {
			if x.idents == nil {
				x.idents = map[decode.PortIdentity]map[uint16]*identSighting{}
			}
			m := x.idents[p.id]
			if m == nil {
				m = map[uint16]*identSighting{}
				x.idents[p.id] = m
			}
			si = m[s.seg]
			if si == nil {
				si = &identSighting{}
				m[s.seg] = si
				if len(m) == 2 {
					x.multi++
				}
			}
			p.sighting = si
		}
		*si = identSighting{mac: h.MAC, scope: s.name, last: *p.seen, frame: h.FirstFrame, at: h.FirstAt}
	}
	for _, g := range s.groups {
		if x.agree == nil {
			x.agree = map[int]map[string]*agreeReport{}
		}
		m := x.agree[g]
		if m == nil {
			m = map[string]*agreeReport{}
			x.agree[g] = m
		}
		r := m[s.name]
		if r == nil {
			r = &agreeReport{}
			m[s.name] = r
		}
		*r = agreeReport{scope: s.name, seg: s.seg, hasGM: s.hasGM, gm: s.gm, at: now}
		if r.hasGM {
			if a := s.gmAnnouncer(s.gm, now, true); a != nil {
				r.tp, r.port, r.frame, r.at, r.logIntv = timeProps(&a.a), a.port, a.lastFrame, a.last, a.logIntv
			} else {
				r.hasGM = false
			}
		}
	}
}

// tickCross judges the cross findings every crossEvery, at judgeTime.
func (e *Engine) tickCross() {
	x := &e.cross
	x.mu.Lock()
	defer x.mu.Unlock()
	now := x.judgeTime()
	if now < x.next-crossEvery {
		x.next = now // a shard that lags joined the judgement
	}
	if now == 0 || now < x.next {
		return
	}
	x.next = now + crossEvery
	if x.purge = now >= x.purgeAt; x.purge {
		x.purgeAt = now + crossRecent
	}
	for _, c := range x.conds {
		c.seen = false
	}
	e.judgeProfiles(now)
	e.judgeIdentities(now)
	e.judgeAgree(now)
	var closing []*xcond
	for k, c := range x.conds {
		switch {
		case c.seen:
		case !c.open:
			delete(x.conds, k)
		case now-c.lastTrue >= e.cfg.clear:
			closing = append(closing, c)
			delete(x.conds, k)
		}
	}
	if len(closing) > 1 {
		sort.Slice(closing, func(i, j int) bool { return closing[i].subject < closing[j].subject })
	}
	for _, c := range closing {
		for _, sc := range c.scopes {
			e.Book.release(c.key.kind, c.segment, c.subject, sc, now, "condition gone for "+time.Duration(now-c.lastTrue).Round(time.Second).String())
		}
	}
}

// xcheck says condition k holds at now and reports whether it has held
// for hold, with its state.
func (e *Engine) xcheck(k xkey, hold, now int64) (*xcond, bool) {
	x := &e.cross
	if x.conds == nil {
		x.conds = map[xkey]*xcond{}
	}
	c := x.conds[k]
	if c == nil {
		c = &xcond{since: now, key: k}
		x.conds[k] = c
	}
	c.seen, c.lastTrue = true, now
	return c, now-c.since >= hold
}

// xraise opens c's finding as r, or adds the scopes it does not name yet.
func (e *Engine) xraise(c *xcond, r report, scopes []string, now int64) {
	c.segment, c.subject = r.segment, r.subject
	r.kind = c.key.kind
	for _, ev := range r.evidence {
		now = max(now, ev.Time) // a shard ahead of the judgement time saw it
	}
	for _, sc := range scopes {
		if slices.Contains(c.scopes, sc) {
			continue
		}
		r.scope, r.at = sc, now
		e.Book.raise(r)
		r.evidence = nil // once is enough
		c.scopes = append(c.scopes, sc)
	}
	c.open = true
}

// judgeProfiles: scopes of one domain of one segment with different PTP
// versions or majorSdoIds, all seen within the last minute.
func (e *Engine) judgeProfiles(now int64) {
	x := &e.cross
	for dk, m := range x.scopes {
		if len(m) < 2 && !x.purge {
			continue // one scope is no mix; its staleness can wait
		}
		var sigs [4][2]uint8
		n := 0
		for k, last := range m {
			if now-last.at > crossRecent {
				delete(m, k)
				continue
			}
			sig := [2]uint8{k.Version, k.MajorSdoID}
			known := false
			for _, g := range sigs[:min(n, len(sigs))] {
				known = known || g == sig
			}
			if !known {
				if n < len(sigs) {
					sigs[n] = sig
				}
				n++
			}
		}
		if n < 2 {
			continue
		}
		c, ready := e.xcheck(xkey{kind: MixedProfiles, dk: dk}, 0, now)
		if !ready {
			continue
		}
		all := c.open
		for k := range m {
			all = all && slices.Contains(c.scopes, x.names[k])
		}
		if all {
			continue
		}
		var live []state.ScopeKey
		for k := range m {
			live = append(live, k)
		}
		sort.Slice(live, func(i, j int) bool { return x.names[live[i]] < x.names[live[j]] })
		var kinds, names []string
		var ev []Evidence
		versions, seen := map[uint8]bool{}, map[[2]uint8]bool{}
		for _, k := range live {
			names = append(names, x.names[k])
			ev = append(ev, Evidence{Frame: m[k].first, Time: m[k].firstAt, Scope: x.names[k], What: "first frame seen in the scope"})
			versions[k.Version] = true
			if sig := [2]uint8{k.Version, k.MajorSdoID}; !seen[sig] {
				seen[sig] = true
				w := "PTPv" + itoa(int(k.Version))
				if k.Version == 2 {
					w += " majorSdoId " + itoa(int(k.MajorSdoID))
				}
				kinds = append(kinds, w)
			}
		}
		subj := "seg" + itoa(int(dk.segment)) + " domain " + itoa(int(dk.domain))
		if dk.vlan != state.NoVLAN {
			subj += " vlan " + itoa(int(dk.vlan))
		}
		// PTPv1 and PTPv2 ignore each other's messages (IEEE 1588-2008
		// §18): an unfinished migration, each island timed on its own. Two
		// profiles of one version contend for the messages of one domain.
		sev, why := state.Warning, "they share the messages of one domain but follow different rules"
		if len(versions) == len(seen) {
			sev, why = state.Notice, "each ignores the other's messages, so their clocks cannot synchronize with each other"
		}
		e.xraise(c, report{severity: sev, segment: dk.segment, subject: subj, evidence: ev,
			explanation: fmt.Sprintf("%s carries %s at once (scopes %s): %s",
				subj, strings.Join(kinds, " and "), strings.Join(names, ", "), why)}, names, now)
	}
}

// judgeIdentities: one port identity heard in two segments from
// different MAC addresses within the last minute. The same MAC is a
// relayed copy (a transparent clock or bridge between the segments, or
// two capture interfaces on one network), not a second clock.
func (e *Engine) judgeIdentities(now int64) {
	x := &e.cross
	if x.multi == 0 && !x.purge {
		return // no identity in two segments; staleness can wait
	}
	for id, m := range x.idents {
		if len(m) < 2 && !x.purge {
			continue // one segment is no duplicate; its staleness can wait
		}
		var a, b *identSighting
		var segA, segB uint16
		was := len(m) >= 2
		for seg, s := range m {
			if now-s.last > crossRecent {
				delete(m, seg)
				s.gone = true // the port reporting it looks it up again
				continue
			}
			if a == nil || seg < segA {
				a, segA = s, seg
			}
		}
		if was && len(m) < 2 {
			x.multi--
		}
		for seg, s := range m {
			if s.mac != a.mac && (b == nil || seg < segB) {
				b, segB = s, seg
			}
		}
		if len(m) == 0 {
			delete(x.idents, id)
			continue
		}
		if b == nil {
			continue
		}
		c, ready := e.xcheck(xkey{kind: DuplicateIdentity, id: id}, 0, now)
		if !ready || c.open {
			continue
		}
		e.xraise(c, report{severity: state.Critical, segment: segA, subject: id.String() + " across segments", port: id.String(),
			explanation: fmt.Sprintf("port %s is heard in segment %d from %s and in segment %d from %s: two clocks use one clockIdentity (a relayed copy would keep its MAC address)",
				id, segA, mac(a.mac), segB, mac(b.mac)),
			evidence: []Evidence{{Frame: a.frame, Time: a.at, Scope: a.scope, Port: id.String(), What: "first frame of the port in the scope, sent from " + mac(a.mac)},
				{Frame: b.frame, Time: b.at, Scope: b.scope, Port: id.String(), What: "first frame of the port in the scope, sent from " + mac(b.mac)}}},
			[]string{a.scope, b.scope}, now)
	}
}

func mac(m [6]byte) string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}

// judgeAgree: scopes of one agree group following different grandmasters
// or announcing different time properties, for longer than the receipt
// timeout and a qualification (a failover reaches a scope behind a
// boundary clock later) and the age of a report.
func (e *Engine) judgeAgree(now int64) {
	x := &e.cross
	agree := e.cur.Load().agree
	for g := 0; g < len(agree); g++ {
		m := x.agree[g]
		// the first scope (by name) with a grandmaster is the reference
		var a *agreeReport
		for name, r := range m {
			if now-r.at > crossRecent {
				delete(m, name)
				continue
			}
			if r.hasGM && (a == nil || r.scope < a.scope) {
				a = r
			}
		}
		if a == nil {
			continue
		}
		name := agree[g].name
		for _, b := range m {
			if b == a || !b.hasGM {
				continue
			}
			hold := settleIntervals*interval(max(a.logIntv, b.logIntv)) + crossEvery
			ev := func() []Evidence {
				return []Evidence{{Frame: a.frame, Time: a.at, Scope: a.scope, Port: a.port.String(), What: "Announce for grandmaster " + a.gm.String() + ": " + a.tp.String()},
					{Frame: b.frame, Time: b.at, Scope: b.scope, Port: b.port.String(), What: "Announce for grandmaster " + b.gm.String() + ": " + b.tp.String()}}
			}
			if a.gm != b.gm {
				if c, ready := e.xcheck(xkey{kind: GrandmasterMismatch, group: g}, hold, now); ready && !slices.Contains(c.scopes, b.scope) {
					e.xraise(c, report{severity: state.Warning, segment: a.seg, subject: name + " grandmaster",
						explanation: fmt.Sprintf("scopes %s and %s should follow one grandmaster (agree group %q), but %s follows %s and %s follows %s",
							a.scope, b.scope, name, a.scope, a.gm, b.scope, b.gm), evidence: ev()}, []string{a.scope, b.scope}, now)
				}
			}
			if a.tp != b.tp {
				if c, ready := e.xcheck(xkey{kind: TimePropertiesMismatch, group: g}, hold, now); ready && !slices.Contains(c.scopes, b.scope) {
					e.xraise(c, report{severity: state.Warning, segment: a.seg, subject: name + " time properties",
						explanation: fmt.Sprintf("scopes %s and %s should agree (group %q), but announce different time properties: %s in %s, %s in %s",
							a.scope, b.scope, name, a.tp, a.scope, b.tp, b.scope), evidence: ev()}, []string{a.scope, b.scope}, now)
				}
			}
		}
	}
}

// groupsOf lists the agree groups a scope name belongs to.
func (k *compiled) groupsOf(name string) []int {
	var out []int
	for i, g := range k.agree {
		for _, p := range g.patterns {
			if glob(p, name) {
				out = append(out, i)
				break
			}
		}
	}
	return out
}
