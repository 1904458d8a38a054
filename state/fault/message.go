package fault

import (
	"fmt"
	"strings"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
)

// Message-health finding kinds.
const (
	SequenceGaps      Kind = "Sequence Gaps"
	DuplicateFrames   Kind = "Duplicate Frames"
	MissingFollowUp   Kind = "Missing Follow_Up"
	MissingDelayResp  Kind = "Missing Delay_Resp"
	DuplicateIdentity Kind = "Duplicate Identity"
	// IntervalOutOfProfile: a port sends a logMessageInterval outside the
	// range its scope's profile allows.
	IntervalOutOfProfile Kind = "Interval Out Of Profile"
)

func init() {
	for _, k := range []Kind{SequenceGaps, DuplicateFrames, MissingFollowUp, MissingDelayResp, IntervalOutOfProfile} {
		Kinds = append(Kinds, struct {
			Kind     Kind
			Severity state.Severity
		}{k, state.Warning})
		state.RegisterEventType(k, state.Warning)
	}
	Kinds = append(Kinds, struct {
		Kind     Kind
		Severity state.Severity
	}{DuplicateIdentity, state.Critical})
	state.RegisterEventType(DuplicateIdentity, state.Critical)
}

// msgCheckEvery is how often (capture time) message-health counts are
// looked at.
const msgCheckEvery = int64(5e9)

// minute is the window message-health counts are judged over.
const minute = int64(60e9)

// Counters judged per minute, per port: the shard counts them in the
// port's state.Health.
const (
	cGaps          = state.HealthGaps
	cDups          = state.HealthDups
	cNoFollowUp    = state.HealthNoFollowUp
	cFollowUpAlone = state.HealthFollowUpAlone
	cNoDelayResp   = state.HealthNoDelayResp
	cMACs          = state.HealthMACs
	numCounts      = state.NumHealthCounts
)

// portDet is what the message-health detectors keep of one port beside
// the Health the shard counts for it.
type portDet struct {
	id   decode.PortIdentity
	h    *state.Health
	seen *int64 // the capture time of its latest frame, kept by the shard
	// sighting is where reportCross last put this port's sighting in
	// the cross registry (nil or gone: look it up)
	sighting *identSighting
}

// countedSince reports whether the shard counted anything in the scope's
// Health recently enough to be in a port's previous minute (a count made
// in the current one moves there at its end, up to a minute and a tick
// later, and stays a minute more) or among its recent intervals.
func (s *scopeDet) countedSince(now int64) bool {
	return s.health == nil || now-s.health.LastCount <= 2*minute+2e9
}

// disturbedIn reports whether a grandmaster change or an outage began
// or ended within [from, to] (capture time).
func (s *scopeDet) disturbedIn(from, to int64) bool {
	for _, t := range s.disturbs {
		if t >= from && t <= to {
			return true
		}
	}
	return false
}

// disturb notes a grandmaster change or an outage beginning or ending at
// now, forgetting those too old to explain a minute still judged.
func (s *scopeDet) disturb(now int64) {
	i := 0
	for i < len(s.disturbs) && now-s.disturbs[i] > 5*minute {
		i++
	}
	s.disturbs = append(s.disturbs[:0], s.disturbs[i:]...)
	if n := len(s.disturbs); n == 0 || s.disturbs[n-1] != now {
		s.disturbs = append(s.disturbs, now)
	}
}

// judgeIntervals tells the shard which logMessageIntervals the scope's
// profile allows (none judged without a profile, or for PTPv1).
func (s *scopeDet) judgeIntervals() {
	if s.health == nil {
		return
	}
	s.health.Judge = s.prof != nil && s.v2
	if s.prof != nil {
		s.health.Intervals = s.prof.ival
	}
}

// checkMessages turns each port's last complete minute into findings.
func (s *scopeDet) checkMessages(now int64) {
	if !s.countedSince(now) {
		return // every port's Prev and BadIv are clear: nothing to look at
	}
	cfg := &s.d.cfg.cfg
	for _, p := range s.portList { // in order of first sight: findings open in a stable order
		c := &p.h.Prev
		if now-p.h.Win >= 2*minute {
			c = &[numCounts]uint32{} // a silent minute since
		}
		if c[cMACs] >= 2 {
			// Two senders alternate: their sequences interleave, so gaps
			// and duplicates of this port say nothing more.
			s.portHit(p, DuplicateIdentity, 0, state.Critical, now, fmt.Sprintf(
				"port %s was sent from different MAC addresses %d times within a minute: two clocks use one clockIdentity", p.id, c[cMACs]), cMACs)
			continue
		}
		s.checkIntervals(p, now)
		if int(c[cGaps]) > cfg.GapThreshold {
			s.portHit(p, SequenceGaps, 0, state.Warning, now, fmt.Sprintf(
				"%s skipped %d sequenceIds within a minute (more than %d): messages are being lost", p.id, c[cGaps], cfg.GapThreshold), cGaps)
		}
		if int(c[cDups]) > cfg.DuplicateThreshold {
			s.portHit(p, DuplicateFrames, 0, state.Warning, now, fmt.Sprintf(
				"%s sent the same sequenceId twice in a row %d times within a minute (more than %d): frames are duplicated, as by a loop", p.id, c[cDups], cfg.DuplicateThreshold), cDups)
		}
		if s.disturbedIn(p.h.PrevWin-minute, p.h.Win) {
			// a grandmaster change in the minute judged, or the one
			// before, explains missing answers
			continue
		}
		if n := c[cNoFollowUp] + c[cFollowUpAlone]; int(n) > cfg.MissingThreshold {
			s.portHit(p, MissingFollowUp, 0, state.Warning, now, fmt.Sprintf(
				"%s: %d two-step Sync without their Follow_Up and %d Follow_Up without a Sync within a minute (more than %d)",
				p.id, c[cNoFollowUp], c[cFollowUpAlone], cfg.MissingThreshold), cNoFollowUp)
		}
		if int(c[cNoDelayResp]) > cfg.MissingThreshold {
			s.portHit(p, MissingDelayResp, 0, state.Warning, now, fmt.Sprintf(
				"%s: %d Delay_Req within a minute got no Delay_Resp (more than %d): its master does not answer", p.id, c[cNoDelayResp], cfg.MissingThreshold), cNoDelayResp)
		}
	}
}

func (s *scopeDet) portHit(p *portDet, kind Kind, hold int64, sev state.Severity, now int64, why string, c int) {
	s.hit(condKey{kind: kind, id: p.id.Clock, sub: uint8(p.id.Port)}, sev, hold, s.clearTime()+minute, now, func() report {
		r := report{subject: p.id.String(), port: p.id.String(), explanation: why}
		if at := p.h.PrevAt[c]; at != 0 {
			r.evidence = []Evidence{{Frame: p.h.PrevFrame[c], Time: at, Scope: s.name, Port: p.id.String(), What: "the latest frame counted"}}
		}
		return r
	})
}

// checkIntervals: a port that sent a logMessageInterval outside its
// scope's profile within the last minute.
func (s *scopeDet) checkIntervals(p *portDet, now int64) {
	if s.prof == nil {
		return
	}
	var what []string
	var ev []Evidence
	for i := range p.h.BadIv {
		b := &p.h.BadIv[i]
		if b.At == 0 || now-b.At > minute {
			continue
		}
		r := s.prof.ival[i]
		w := fmt.Sprintf("%s logMessageInterval %d (%s), allowed %d to %d", ivNames[i], b.V, rate(b.V), r[0], r[1])
		what = append(what, w)
		ev = append(ev, Evidence{Frame: b.Frame, Time: b.At, Scope: s.name, Port: p.id.String(), What: w})
	}
	if len(what) == 0 {
		return
	}
	s.hit(condKey{kind: IntervalOutOfProfile, id: p.id.Clock, sub: uint8(p.id.Port)}, state.Warning, 0, s.clearTime()+minute, now, func() report {
		return report{subject: p.id.String(), port: p.id.String(), evidence: ev,
			explanation: fmt.Sprintf("%s sends intervals outside the %s profile: %s", p.id, s.prof.name, strings.Join(what, "; "))}
	})
}

// rate words a log2 interval as messages per second or seconds apart.
func rate(log int8) string {
	if log <= 0 {
		return itoa(1<<uint(-log)) + " a second"
	}
	return "one every " + itoa(1<<uint(log)) + " s"
}
