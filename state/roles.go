package state

import (
	"slices"
	"strings"
	"time"
)

// Roles now and in the past.
//
// A device's roles describe the present: they rest on the evidence its
// instances were seen giving recently, not on everything they ever did. A
// boundary clock that announced itself grandmaster for a few seconds
// during a failover is a boundary clock again once it relays the new
// grandmaster, and a grandmaster that stopped holds no role at all.
//
// Each kind of evidence an instance gives (evidence bits) stays current
// for its window after it was last seen: roleWindow, or four of its usual
// intervals when it comes more rarely (a management node polling every
// 16 s). Evidence seen again after its window lapsed starts a new spell;
// the shard keeps the last maxPastSpells lapsed spells per instance. From
// the spells the snapshot replays which roles held when (the same rules,
// inferRoles, applied to the evidence current at each moment a spell began
// or ended) and lists the roles a device held before, and no longer holds
// or held in an earlier span, as its RoleHistory.

// roleWindow is how long evidence stays current after it was last seen,
// unless it usually comes more rarely: a few announce receipt timeouts at
// the default Announce interval (2 s, timeout 6 s).
const roleWindow = int64(20 * time.Second)

// maxPastSpells bounds the lapsed evidence spells kept per instance.
const maxPastSpells = 16

// evidenceSpell is a stretch of capture time in which an instance kept
// giving one kind of evidence (bit is the evidence's bit number).
type evidenceSpell struct {
	bit      uint8
	from, to int64
}

// evWindow is how long evidence bit i stays current after it was seen.
func (in *instanceState) evWindow(i int) int64 { return max(roleWindow, 4*in.evGap[i]) }

// lapse moves the current spell of evidence bit i to the instance's past,
// in a new slice: a published one is never modified.
func (in *instanceState) lapse(i int) {
	drop := max(0, len(in.evPast)+1-maxPastSpells)
	past := make([]evidenceSpell, 0, len(in.evPast)-drop+1)
	past = append(past, in.evPast[drop:]...)
	in.evPast = append(past, evidenceSpell{bit: uint8(i), from: in.evAt[i], to: in.evLast[i]})
}

// evidence is what a snapshot keeps of in for role inference.
func (in *instanceState) evidence() instanceEvidence {
	e := instanceEvidence{scope: in.scope.name, port: in.key.Port.Port, ev: in.ev, evAt: in.evAt, state: in.effectiveState(),
		evLast: in.evLast, past: in.evPast}
	for i := range numEvidence {
		e.evWindow[i] = in.evWindow(i)
	}
	return e
}

// rebaseEvidence carries the evidence current at from (when capture
// stopped) across a capture gap that ended at to: time without capture
// does not make it lapse.
func (in *instanceState) rebaseEvidence(from, to int64) {
	for i := range numEvidence {
		if in.ev&(1<<i) != 0 && from-in.evLast[i] <= in.evWindow(i) {
			in.evLast[i] += to - from
		}
	}
}

// current returns the evidence bits of e seen within their window of now.
func (e *instanceEvidence) current(now int64) evidence {
	var b evidence
	for i := range numEvidence {
		if e.ev&(1<<i) != 0 && now-e.evLast[i] <= e.evWindow[i] {
			b |= 1 << i
		}
	}
	return b
}

// deviceRoles infers a device's roles now from its instances' current
// evidence and states, and its past roles from the evidence spells.
func deviceRoles(evs []instanceEvidence, now int64) ([]Role, []RoleSpan) {
	cur := make([]instanceEvidence, len(evs))
	changed := false
	for i := range evs {
		cur[i] = evs[i]
		cur[i].ev = evs[i].current(now)
		changed = changed || cur[i].ev != evs[i].ev || len(evs[i].past) > 0
	}
	roles := inferRoles(cur)
	if roles == nil {
		roles = []Role{} // none now: listed as [], not null
	}
	if !changed {
		return roles, []RoleSpan{} // every kind of evidence ever seen is current
	}
	return roles, roleHistory(evs, now, roles)
}

// roleHistory replays the device's evidence spells: at every moment one
// began or ended, and between, it infers the roles from the evidence
// current then, and returns the spans of roles that ended before now.
// Between those moments a port's state is not known, so it is taken from
// the evidence: a port giving any master's evidence (Announce, Sync,
// Delay_Resp) is a master, one giving only a follower's (Delay_Req, named
// in a Delay_Resp) a slave. At now the states the model holds are used,
// as for the roles now (roles).
func roleHistory(evs []instanceEvidence, now int64, roles []Role) []RoleSpan {
	type span struct {
		inst int
		bit  uint8
		from int64
		to   int64
	}
	var spans []span
	times := []int64{now}
	for j := range evs {
		e := &evs[j]
		for i := range numEvidence {
			if e.ev&(1<<i) == 0 {
				continue
			}
			to := e.evLast[i]
			if now-to <= e.evWindow[i] {
				to = now // current: it holds until now
			}
			spans = append(spans, span{j, uint8(i), e.evAt[i], to})
		}
		for _, p := range e.past {
			spans = append(spans, span{j, p.bit, p.from, p.to})
		}
	}
	for _, s := range spans {
		times = append(times, s.from, s.to)
	}
	slices.Sort(times)
	times = slices.Compact(times)
	for len(times) > 0 && times[len(times)-1] > now {
		times = times[:len(times)-1] // evidence stamped after now (a shard ahead of another)
	}
	masked := make([]instanceEvidence, len(evs))
	// rolesAt infers the roles at t or, when mid, in the open stretch
	// between t and next (the following moment something changed).
	rolesAt := func(t, next int64, mid bool) []Role {
		if !mid && t == now {
			return roles
		}
		for j := range evs {
			masked[j] = evs[j]
			masked[j].ev = 0
		}
		for _, s := range spans {
			if s.from <= t && (!mid && s.to >= t || mid && s.to >= next) {
				masked[s.inst].ev |= 1 << s.bit
			}
		}
		for j := range masked {
			switch b := masked[j].ev; {
			case b&(evAnnounceGM|evAnnounceRelay|evSync|evDelayResp) != 0:
				masked[j].state = StateMaster
			case b&(evDelayReq|evNamedInResp) != 0:
				masked[j].state = StateSlave
			default:
				masked[j].state = StateUnknown
			}
		}
		return inferRoles(masked)
	}
	// A role that begins or ends at t or just after it does so at t.
	var out []RoleSpan
	open := map[string]int64{} // role → from
	step := func(t, next int64, mid bool) {
		held := map[string]bool{}
		for _, r := range rolesAt(t, next, mid) {
			held[r.Role] = true
			if _, ok := open[r.Role]; !ok {
				open[r.Role] = t
			}
		}
		for r, from := range open {
			if !held[r] {
				out = append(out, RoleSpan{Role: r, From: from, To: t})
				delete(open, r)
			}
		}
	}
	for k, t := range times {
		step(t, t, false)
		if k+1 < len(times) {
			step(t, times[k+1], true)
		}
	}
	// What is still open at now is a role now, not history.
	slices.SortFunc(out, func(a, b RoleSpan) int {
		if a.From != b.From {
			return int(max(-1, min(1, a.From-b.From)))
		}
		if a.To != b.To {
			return int(max(-1, min(1, a.To-b.To)))
		}
		return strings.Compare(a.Role, b.Role) // spans come out of a map: ties need an order
	})
	if out == nil {
		out = []RoleSpan{}
	}
	return out
}
