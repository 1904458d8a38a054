package state

import (
	"math"

	"github.com/ptpwatch/ptpwatch/decode"
)

// Health is what the message-health detectors (state/fault) judge of one
// port in one scope: its sequenceIds, the two-step Syncs and Delay_Reqs
// waiting for their answers, its MAC address and the logMessageIntervals
// it sends, counted per minute. A shard with a Watcher keeps it inline in
// each instance as it applies the frame, so a frame costs a few compares
// in memory it touches anyway, not a call into the watcher and a second
// structure. The watcher reads it on the shard's goroutine (Watcher.Tick,
// Observe); nothing else touches it.
//
// It follows Sync, Follow_Up, Delay_Req, Delay_Resp and Announce
// (HealthKinds). Counts are per minute of the port's own frames: the
// minute starts at its first frame, and the first frame a minute or more
// later moves Cur to Prev (or clears Prev after a silent minute), sets
// PrevWin and starts the next.
type Health struct {
	// first cache line: every frame
	Win      int64 // start of the current minute, unstarted before the first frame
	LastSeen int64 // capture time of its latest frame
	FirstAt  int64 // its first frame's capture time, as evidence
	MAC      [6]byte
	reqSeq   uint16 // a Delay_Req awaiting its Delay_Resp
	// reqPending: reqSeq was sent and not answered yet
	reqPending bool
	Cur        [NumHealthCounts]uint32
	// second line: Delay_Req (most frames of a follower), Sync and
	// Announce
	reqAt    int64
	reqFrame uint64
	// sequence tracking of Delay_Req, Sync and Announce (seqIndex),
	// multicast and unicast streams apart
	seq [3][2]healthSeq
	// a two-step Sync awaiting its Follow_Up, per stream
	twoSteps [2]struct {
		seq     uint16
		pending bool
		frame   uint64
		at      int64
	}
	// the rest is read per minute, or written when a count goes up
	FirstFrame uint64                  // its first frame's number, as evidence
	Frame      [NumHealthCounts]uint64 // the latest frame behind each count of Cur
	At         [NumHealthCounts]int64  // and its capture time
	Prev       [NumHealthCounts]uint32 // the counts of the previous minute
	PrevFrame  [NumHealthCounts]uint64 // the latest frame behind each count of Prev
	PrevAt     [NumHealthCounts]int64  // and its capture time
	PrevWin    int64                   // start of the minute that ended at the last roll
	BadIv      [NumHealthIntervals]BadInterval
}

// BadInterval is the latest logMessageInterval a port sent outside its
// scope's profile, for one message type (HealthAnnounce, HealthSync,
// HealthDelay); At is 0 when there was none.
type BadInterval struct {
	V     int8
	Frame uint64
	At    int64
}

// healthSeq follows one stream's sequenceIds.
type healthSeq struct {
	at   int64
	last uint16
	seen bool
}

// Health counts, the indexes of Health.Cur and Prev.
const (
	HealthGaps          = iota // sequenceIds skipped (Sync, Announce, Delay_Req)
	HealthDups                 // the same sequenceId twice in a row
	HealthNoFollowUp           // a two-step Sync without its Follow_Up
	HealthFollowUpAlone        // a Follow_Up without its Sync
	HealthNoDelayResp          // a Delay_Req without a Delay_Resp
	HealthMACs                 // a change of source MAC address
	NumHealthCounts
)

// Message types whose logMessageInterval is judged against a profile,
// the indexes of ScopeHealth.Intervals and Health.BadIv.
const (
	HealthAnnounce = iota
	HealthSync     // multicast Sync
	HealthDelay    // Delay_Resp's logMinDelayReqInterval
	NumHealthIntervals
)

// HealthKinds are the message types Health follows, as bits.
const HealthKinds = 1<<decode.Sync | 1<<decode.FollowUp | 1<<decode.DelayReq | 1<<decode.DelayResp | 1<<decode.Announce

// healthMinute is the window Health counts over.
const healthMinute = int64(60e9)

// unstarted is Health.Win before the port's first frame: far enough in
// the past that any capture time is a minute or more after it, so one
// compare per frame finds both a first frame and a new minute.
const unstarted = math.MinInt64 / 2

// ScopeHealth is what the watcher tells the shard about a scope's
// Health: whether intervals are judged, and the ranges allowed
// (min, max, log2 seconds). The watcher sets it on the shard's goroutine.
type ScopeHealth struct {
	Judge     bool
	Intervals [NumHealthIntervals][2]int8
}

// count adds n to counter c, with frame at capture time at as evidence.
func (h *Health) count(c int, n uint32, frame uint64, at int64) {
	h.Cur[c] += n
	h.Frame[c], h.At[c] = frame, at
}

// watch keeps in's Health and calls the watcher for the frames it must
// see at once (Watcher). It is Apply's, kept apart so that a shard
// without a watcher runs Apply as it was: what is common is written out
// here, what is rare (a port's first frame, a new minute, a new MAC
// address, an interval to judge, a count going up) is left to functions
// of its own.
func (s *Shard) watch(sc *scopeState, in, peer *instanceState, o *Observation, kind decode.MessageType) {
	if !sc.watched {
		sc.watched = true
		s.watcher.ScopeSeen(o, ScopeSlot{Watch: &sc.watch, Health: &sc.health, LastSeen: &sc.lastSeen})
	}
	if HealthKinds>>(kind&15)&1 == 0 {
		if o.HasAnnounce {
			s.watcher.Observe(o, Slots{Scope: &sc.watch, Source: &in.watch})
		}
		return
	}
	h := &in.health
	h.LastSeen = o.Time
	news := false
	if o.Time-h.Win >= healthMinute || o.SrcMAC != h.MAC { // Win is unstarted before the first frame
		news = h.edge(o)
	}
	switch kind {
	case decode.DelayReq:
		uc := stream(o)
		// h.sequence(0, uc, o), written out: most frames are Delay_Req
		q := &h.seq[0][uc]
		if q.seen && o.Time-q.at < 2e9 && o.Sequence-q.last != 1 {
			h.missed(o.Sequence-q.last, o)
		}
		q.last, q.seen, q.at = o.Sequence, true, o.Time
		if h.reqPending && o.Time-h.reqAt < 2e9 {
			h.count(HealthNoDelayResp, 1, h.reqFrame, h.reqAt)
		}
		h.reqSeq, h.reqPending, h.reqFrame, h.reqAt = o.Sequence, true, o.FrameNum, o.Time
	case decode.DelayResp:
		if sc.health.Judge {
			h.interval(HealthDelay, &sc.health, o)
		}
		if peer != nil && peer.health.reqPending && peer.health.reqSeq == o.Sequence {
			peer.health.reqPending = false
		}
	case decode.Sync:
		uc := stream(o)
		if sc.health.Judge && uc == 0 {
			h.interval(HealthSync, &sc.health, o)
		}
		h.sequence(1, uc, o)
		if o.Flags&decode.FlagTwoStep != 0 && sc.key.Version == 2 {
			h.twoStep(uc, o)
		}
	case decode.FollowUp:
		if sc.key.Version == 2 {
			y := &h.twoSteps[stream(o)]
			if y.pending && y.seq == o.Sequence {
				y.pending = false
			} else {
				h.count(HealthFollowUpAlone, 1, o.FrameNum, o.Time)
			}
		}
	case decode.Announce:
		if sc.health.Judge {
			h.interval(HealthAnnounce, &sc.health, o)
		}
		h.sequence(2, stream(o), o)
	}
	if news || o.HasAnnounce {
		s.watcher.Observe(o, Slots{Scope: &sc.watch, Source: &in.watch, Health: h})
	}
}

// edge is watch's rare part for a frame of the port: its first frame, a
// new minute, another MAC address. It reports whether the watcher must
// see the frame (the first, or the first of a new minute).
//
//go:noinline
func (h *Health) edge(o *Observation) (news bool) {
	if o.Time-h.Win >= healthMinute {
		news = h.turn(o)
	}
	if o.SrcMAC != h.MAC && o.SrcMAC != ([6]byte{}) {
		if h.MAC != ([6]byte{}) {
			h.count(HealthMACs, 1, o.FrameNum, o.Time)
		}
		h.MAC = o.SrcMAC
	}
	return news
}

// sequence follows the sequenceIds of stream uc of message type i
// (Delay_Req 0, Sync 1, Announce 2).
func (h *Health) sequence(i, uc int, o *Observation) {
	q := &h.seq[i][uc]
	// a stream pausing for seconds starts afresh (a master taking
	// over, a restarted clock)
	if q.seen && o.Time-q.at < 2e9 && o.Sequence-q.last != 1 {
		h.missed(o.Sequence-q.last, o)
	}
	q.last, q.seen, q.at = o.Sequence, true, o.Time
}

// turn starts the port's first minute at its first frame, or the next
// minute when the current one is over, and reports whether it did.
func (h *Health) turn(o *Observation) bool {
	now := o.Time
	if h.Win == unstarted {
		h.Win = now
		h.FirstFrame, h.FirstAt = o.FrameNum, o.Time
		return true
	}
	if now-h.Win >= 2*healthMinute {
		h.Prev = [NumHealthCounts]uint32{} // a silent minute in between
	} else {
		h.Prev, h.PrevFrame, h.PrevAt = h.Cur, h.Frame, h.At
	}
	h.PrevWin = h.Win
	h.Cur = [NumHealthCounts]uint32{}
	h.Win = now
	return true
}

// interval notes a logMessageInterval of message type iv outside the
// scope's profile.
//
//go:noinline
func (h *Health) interval(iv int, sh *ScopeHealth, o *Observation) {
	if o.LogInterval != 0x7f && (o.LogInterval < sh.Intervals[iv][0] || o.LogInterval > sh.Intervals[iv][1]) {
		b := &h.BadIv[iv]
		b.V, b.Frame, b.At = o.LogInterval, o.FrameNum, o.Time
	}
}

// missed counts a sequenceId d after the last one other than the next.
//
//go:noinline
func (h *Health) missed(d uint16, o *Observation) {
	switch {
	case d == 0:
		h.count(HealthDups, 1, o.FrameNum, o.Time)
	case d > 1 && d < 0x8000:
		h.count(HealthGaps, uint32(d-1), o.FrameNum, o.Time)
	}
}

// twoStep: a two-step Sync, whose Follow_Up is due.
//
//go:noinline
func (h *Health) twoStep(uc int, o *Observation) {
	y := &h.twoSteps[uc]
	if y.pending && o.Sequence != y.seq {
		h.count(HealthNoFollowUp, 1, y.frame, y.at)
	}
	y.seq, y.pending, y.frame, y.at = o.Sequence, true, o.FrameNum, o.Time
}

// stream is the index of o's stream: multicast 0, unicast 1.
func stream(o *Observation) int {
	if o.Flags&decode.FlagUnicast != 0 {
		return 1
	}
	return 0
}
