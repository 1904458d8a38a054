package state

import (
	"github.com/ptpwatch/ptpwatch/decode"
)

// Health is what the message-health detectors (state/fault) judge of one
// port in one scope: its sequenceIds, the two-step Syncs and Delay_Reqs
// waiting for their answers, its MAC address and the logMessageIntervals
// it sends, counted per minute. A shard with a Watcher keeps it as it
// applies the frame, so that a frame costs a few compares in the line of
// its instance the model reads anyway (instanceState), not a call into
// the watcher and a second structure. What the model tracks itself is
// counted where the model finds it: sequence gaps and duplicates where it
// follows sequenceIds, MAC address changes where it notes them. The
// watcher reads Health on the shard's goroutine (Watcher.Tick, Observe);
// nothing else touches it.
//
// It follows Sync, Follow_Up, Delay_Req, Delay_Resp and Announce
// (HealthKinds). Counts are per minute: the port's first minute starts at
// its first frame of those kinds, and the shard's first tick a minute or
// more later moves Cur to Prev (or clears Prev after a minute without
// ticks, as in a capture gap), sets PrevWin and starts the next at Win,
// before the watcher's Tick.
type Health struct {
	Win        int64  // start of the current minute
	FirstAt    int64  // its first frame's capture time, as evidence
	FirstFrame uint64 // its first frame's number, as evidence
	MAC        [6]byte
	Cur        [NumHealthCounts]uint32
	Frame      [NumHealthCounts]uint64 // the latest frame behind each count of Cur
	At         [NumHealthCounts]int64  // and its capture time
	Prev       [NumHealthCounts]uint32 // the counts of the previous minute
	PrevFrame  [NumHealthCounts]uint64 // the latest frame behind each count of Prev
	PrevAt     [NumHealthCounts]int64  // and its capture time
	PrevWin    int64                   // start of the minute that ended at the last roll
	BadIv      [NumHealthIntervals]BadInterval
	// the two-step Sync awaiting its Follow_Up, per stream, as evidence
	// (its sequenceId is instanceState.twoSeq)
	twoAt    [2]int64
	twoFrame [2]uint64
	scope    *ScopeHealth // its scope's, for LastCount
}

// instanceState.hflags bits.
const (
	hStarted = 1 << iota // the port's Health counts (its first minute began)
	hReq                 // a Delay_Req awaits its Delay_Resp
	hTwo                 // a multicast two-step Sync awaits its Follow_Up (unicast: hTwo<<1)
)

// BadInterval is the latest logMessageInterval a port sent outside its
// scope's profile, for one message type (HealthAnnounce, HealthSync,
// HealthDelay); At is 0 when there was none.
type BadInterval struct {
	V     int8
	Frame uint64
	At    int64
}

// Health counts, the indexes of Health.Cur and Prev.
const (
	HealthGaps          = iota // sequenceIds skipped (Sync, Announce, Delay_Req), as the model counts them
	HealthDups                 // the same sequenceId twice in a row (as above)
	HealthNoFollowUp           // a two-step Sync without its Follow_Up
	HealthFollowUpAlone        // a Follow_Up without its Sync
	HealthNoDelayResp          // a Delay_Req without a Delay_Resp
	HealthMACs                 // a change of source MAC address (of any frame of the port)
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

// ScopeHealth is what the watcher tells the shard about a scope's
// Health: whether intervals are judged, and the ranges allowed
// (min, max, log2 seconds). The watcher sets it on the shard's goroutine.
type ScopeHealth struct {
	Judge     bool
	Intervals [NumHealthIntervals][2]int8
	// LastCount is the capture time of the latest frame counted in its
	// ports' Health or noted for its interval (kept by the shard): a
	// watcher finds nothing in Prev or BadIv of ports whose scope has
	// counted nothing for two minutes.
	LastCount int64
}

// count adds n to counter c, with frame at capture time at as evidence.
func (h *Health) count(c int, n uint32, frame uint64, at int64) {
	h.Cur[c] += n
	h.Frame[c], h.At[c] = frame, at
	h.scope.LastCount = max(h.scope.LastCount, at)
}

// seqKinds are the message types whose sequence gaps and duplicates
// Health counts, as bits.
const seqKinds = 1<<decode.Sync | 1<<decode.DelayReq | 1<<decode.Announce

// outside reports whether logMessageInterval v lies outside the range r
// (0x7f, "not applicable", never does).
func outside(v int8, r *[2]int8) bool { return v != 0x7f && (v < r[0] || v > r[1]) }

// What a frame of the kinds Health follows does to its port's Health is
// done in Apply's own cases when the shard has a Watcher, written out
// there or in functions small enough to be inlined, so that keeping
// Health costs no call and no second dispatch on the message type; what
// is rare (an interval to note, a count going up) is left to functions
// of their own.

// healthReq: a Delay_Req; the one before it still waiting for its
// Delay_Resp (the requester's next is due within two seconds) was not
// answered.
func (in *instanceState) healthReq(o *Observation) {
	if in.hflags&hReq != 0 && o.Time-in.reqAt < 2e9 {
		in.health.count(HealthNoDelayResp, 1, in.reqFrame, in.reqAt)
	}
	in.reqSeq, in.reqFrame, in.reqAt = o.Sequence, o.FrameNum, o.Time
	in.hflags |= hReq
}

// healthFollowUp: a PTPv2 Follow_Up, which answers the two-step Sync its
// stream awaits an answer for, or is alone.
func (in *instanceState) healthFollowUp(o *Observation) {
	uc := stream(o)
	if in.hflags&(hTwo<<uc) != 0 && in.twoSeq[uc] == o.Sequence {
		in.hflags &^= hTwo << uc
	} else {
		in.health.count(HealthFollowUpAlone, 1, o.FrameNum, o.Time)
	}
}

// watch calls the watcher for the frames it must see (Watcher): a port's
// first frame of the kinds Health follows, which starts its Health, and
// those announcing a grandmaster.
//
//go:noinline
func (s *Shard) watch(sc *scopeState, in *instanceState, o *Observation, kind decode.MessageType) {
	sl := Slots{Scope: &sc.watch, Source: &in.watch, Seen: &in.lastSeen}
	if HealthKinds>>kind&1 != 0 {
		if in.hflags&hStarted == 0 {
			in.start(o)
		}
		sl.Health = &in.health
	}
	s.watcher.Observe(o, sl)
}

// start begins the port's first minute at its first frame o of the kinds
// Health follows; the watcher sees that frame.
func (in *instanceState) start(o *Observation) {
	h := &in.health
	in.hflags |= hStarted
	in.win, h.Win = o.Time, o.Time
	h.FirstFrame, h.FirstAt = o.FrameNum, o.Time
}

// roll ends the port's minute when it is over at now (capture time),
// from the shard's tick, and starts the next.
func (in *instanceState) roll(now int64) {
	if in.win == 0 || now-in.win < healthMinute {
		return
	}
	h := &in.health
	if now-in.win >= 2*healthMinute {
		h.Prev = [NumHealthCounts]uint32{} // a minute without ticks in between
	} else {
		h.Prev, h.PrevFrame, h.PrevAt = h.Cur, h.Frame, h.At
	}
	h.PrevWin = in.win
	h.Cur = [NumHealthCounts]uint32{}
	in.win, h.Win = now, now
}

// twoStep: a two-step Sync of stream uc, whose Follow_Up is due; the one
// before it still waiting for its own was not followed up.
//
//go:noinline
func (in *instanceState) twoStep(uc int, o *Observation) {
	h := &in.health
	if in.hflags&(hTwo<<uc) != 0 && o.Sequence != in.twoSeq[uc] {
		h.count(HealthNoFollowUp, 1, h.twoFrame[uc], h.twoAt[uc])
	}
	in.twoSeq[uc], h.twoFrame[uc], h.twoAt[uc] = o.Sequence, o.FrameNum, o.Time
	in.hflags |= hTwo << uc
}

// interval notes logMessageInterval of message type iv, outside the
// scope's profile.
//
//go:noinline
func (h *Health) interval(iv int, o *Observation) {
	b := &h.BadIv[iv]
	b.V, b.Frame, b.At = o.LogInterval, o.FrameNum, o.Time
	h.scope.LastCount = max(h.scope.LastCount, o.Time)
}

// stream is the index of o's stream: multicast 0, unicast 1.
func stream(o *Observation) int {
	if o.Flags&decode.FlagUnicast != 0 {
		return 1
	}
	return 0
}
