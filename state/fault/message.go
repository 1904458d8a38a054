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

// Counters judged per minute, per port.
const (
	cGaps = iota
	cDups
	cNoFollowUp
	cFollowUpAlone
	cNoDelayResp
	cMACs
	numCounts
)

// portDet is what the message-health detectors follow of one port.
type portDet struct {
	id decode.PortIdentity
	// sequence tracking of Sync, Announce and Delay_Req, multicast and
	// unicast streams apart
	seq [3][2]struct {
		last uint16
		seen bool
		at   int64
	}
	// a two-step Sync awaiting its Follow_Up, per stream
	sync [2]struct {
		seq     uint16
		pending bool
		frame   uint64
		at      int64
	}
	// a Delay_Req awaiting its Delay_Resp
	reqSeq     uint16
	reqPending bool
	reqFrame   uint64
	reqAt      int64
	mac        [6]byte
	win        int64 // start of the current minute
	cur, prev  [numCounts]uint32
	frame      [numCounts]uint64 // the latest frame behind each count
	at         [numCounts]int64
	prevFrame  [numCounts]uint64
	prevAt     [numCounts]int64
	disturbed  bool // the minute in prev saw a grandmaster change: missing answers are explained by it
	// the latest logMessageInterval outside the profile, per ivAnnounce,
	// ivSync, ivDelay
	badIv [3]struct {
		v     int8
		frame uint64
		at    int64
	}
	lastSeen  int64 // capture time of its latest frame
	lastFrame uint64
	// its first frame (from its current MAC address), as evidence
	firstFrame uint64
	firstAt    int64
}

func seqIndex(k decode.MessageType) int {
	switch k {
	case decode.Sync:
		return 0
	case decode.Announce:
		return 1
	case decode.DelayReq:
		return 2
	}
	return -1
}

func (s *scopeDet) port(id decode.PortIdentity) *portDet {
	p := s.ports[id]
	if p == nil {
		p = &portDet{id: id}
		if s.ports == nil {
			s.ports = map[decode.PortIdentity]*portDet{}
		}
		s.ports[id] = p
		s.portList = append(s.portList, p)
	}
	return p
}

// count adds one to counter c of p, remembering o as its evidence.
func (p *portDet) count(c int, n uint32, frame uint64, at int64) {
	p.cur[c] += n
	p.frame[c], p.at[c] = frame, at
}

// roll starts a new minute at now when the current one is over.
func (p *portDet) roll(now int64, s *scopeDet) {
	if p.win == 0 {
		p.win = now
		return
	}
	if now-p.win < minute {
		return
	}
	if now-p.win >= 2*minute {
		p.prev = [numCounts]uint32{} // a silent minute in between
	} else {
		p.prev, p.prevFrame, p.prevAt = p.cur, p.frame, p.at
	}
	p.disturbed = s.disturbedSince >= p.win-minute
	p.cur = [numCounts]uint32{}
	p.win = now
}

// message follows one frame of the scope for the message-health
// detectors. It allocates only for a port seen for the first time.
func (s *scopeDet) message(o *state.Observation, p, peer *portDet) {
	k := o.Kind & 0x0f
	p.roll(o.Time, s)
	p.lastSeen, p.lastFrame = o.Time, o.FrameNum
	if p.firstAt == 0 {
		p.firstFrame, p.firstAt = o.FrameNum, o.Time
	}
	if s.prof != nil && s.v2 && o.LogInterval != 0x7f {
		iv := -1
		switch {
		case k == decode.Announce:
			iv = ivAnnounce
		case k == decode.Sync && o.Flags&decode.FlagUnicast == 0:
			iv = ivSync
		case k == decode.DelayResp:
			iv = ivDelay
		}
		if iv >= 0 && (o.LogInterval < s.prof.ival[iv][0] || o.LogInterval > s.prof.ival[iv][1]) {
			b := &p.badIv[iv]
			b.v, b.frame, b.at = o.LogInterval, o.FrameNum, o.Time
		}
	}
	if o.SrcMAC != p.mac && o.SrcMAC != ([6]byte{}) {
		if p.mac != ([6]byte{}) {
			p.count(cMACs, 1, o.FrameNum, o.Time)
		}
		p.mac = o.SrcMAC
	}
	uc := 0
	if o.Flags&decode.FlagUnicast != 0 {
		uc = 1
	}
	if i := seqIndex(k); i >= 0 {
		q := &p.seq[i][uc]
		// a stream pausing for seconds starts afresh (a master taking
		// over, a restarted clock)
		if q.seen && o.Time-q.at < 2e9 {
			switch d := o.Sequence - q.last; {
			case d == 0:
				p.count(cDups, 1, o.FrameNum, o.Time)
			case d > 1 && d < 0x8000:
				p.count(cGaps, uint32(d-1), o.FrameNum, o.Time)
			}
		}
		q.last, q.seen, q.at = o.Sequence, true, o.Time
	}
	switch k {
	case decode.Sync:
		if o.Flags&decode.FlagTwoStep == 0 || s.key.Version != 2 {
			break
		}
		y := &p.sync[uc]
		if y.pending && o.Sequence != y.seq {
			p.count(cNoFollowUp, 1, y.frame, y.at)
		}
		y.seq, y.pending, y.frame, y.at = o.Sequence, true, o.FrameNum, o.Time
	case decode.FollowUp:
		if s.key.Version != 2 {
			break
		}
		y := &p.sync[uc]
		if y.pending && y.seq == o.Sequence {
			y.pending = false
		} else if !y.pending || y.seq != o.Sequence {
			p.count(cFollowUpAlone, 1, o.FrameNum, o.Time)
		}
	case decode.DelayReq:
		if p.reqPending && o.Time-p.reqAt < 2e9 {
			p.count(cNoDelayResp, 1, p.reqFrame, p.reqAt)
		}
		p.reqSeq, p.reqPending, p.reqFrame, p.reqAt = o.Sequence, true, o.FrameNum, o.Time
	case decode.DelayResp:
		if r := peer; r != nil && r.reqPending && r.reqSeq == o.Sequence {
			r.reqPending = false
		}
	}
}

// checkMessages turns each port's last complete minute into findings.
func (s *scopeDet) checkMessages(now int64) {
	cfg := &s.d.cfg.cfg
	for _, p := range s.portList { // in order of first sight: findings open in a stable order
		if now-p.win >= 2*minute {
			p.prev = [numCounts]uint32{}
		}
		c := &p.prev
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
		if p.disturbed {
			continue // a grandmaster change explains missing answers
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
		if p.prevAt[c] != 0 {
			r.evidence = []Evidence{{Frame: p.prevFrame[c], Time: p.prevAt[c], Scope: s.name, Port: p.id.String(), What: "the latest frame counted"}}
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
	for i := range p.badIv {
		b := &p.badIv[i]
		if b.at == 0 || now-b.at > minute {
			continue
		}
		r := s.prof.ival[i]
		w := fmt.Sprintf("%s logMessageInterval %d (%s), allowed %d to %d", ivNames[i], b.v, rate(b.v), r[0], r[1])
		what = append(what, w)
		ev = append(ev, Evidence{Frame: b.frame, Time: b.at, Scope: s.name, Port: p.id.String(), What: w})
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
