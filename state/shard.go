package state

import (
	"bytes"
	"fmt"
	"math/bits"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
)

// PortState is a PTP port state (§9.2.5, Table 20 of 1588-2019).
type PortState uint8

// Port states. StateUnknown means nothing is known yet.
const (
	StateUnknown      PortState = 0
	StateInitializing PortState = 1
	StateFaulty       PortState = 2
	StateDisabled     PortState = 3
	StateListening    PortState = 4
	StatePreMaster    PortState = 5
	StateMaster       PortState = 6
	StatePassive      PortState = 7
	StateUncalibrated PortState = 8
	StateSlave        PortState = 9
)

var portStateNames = [...]string{"UNKNOWN", "INITIALIZING", "FAULTY", "DISABLED", "LISTENING", "PRE_MASTER", "MASTER", "PASSIVE", "UNCALIBRATED", "SLAVE"}

// String returns the state's standard name.
func (s PortState) String() string {
	if int(s) < len(portStateNames) {
		return portStateNames[s]
	}
	return fmt.Sprintf("STATE_%d", uint8(s))
}

// MarshalText makes states read as names in JSON.
func (s PortState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Default announceReceiptTimeout (§8.2.15.4) used for silence detection.
const announceReceiptTimeout = 3

// evidence bits say what an instance was seen doing.
type evidence uint16

const (
	evAnnounceGM    evidence = 1 << iota // Announce with stepsRemoved 0 naming itself
	evAnnounceRelay                      // Announce with stepsRemoved ≥ 1
	evSync                               // sends Sync
	evDelayReq                           // sends Delay_Req
	evDelayResp                          // answers Delay_Req
	evNamedInResp                        // named as requester in a Delay_Resp
	evPdelay                             // takes part in peer delay
	evMgmtRequest                        // sends management GET/SET/COMMAND
	evMgmtResponse                       // answers management requests
	evSignaling                          // sends Signaling (unicast negotiation)
	evReportedState                      // state reported through management
	numEvidence     = iota
)

var evidenceText = [numEvidence]string{
	"sends Announce with stepsRemoved 0 naming itself grandmaster",
	"sends Announce with stepsRemoved ≥ 1 (relays a grandmaster)",
	"sends Sync",
	"sends Delay_Req",
	"answers Delay_Req with Delay_Resp",
	"named as requester in another port's Delay_Resp",
	"takes part in peer-delay exchanges",
	"sends management GET/SET/COMMAND",
	"answers management requests",
	"sends Signaling (unicast negotiation)",
	"port state reported by PORT_DATA_SET",
}

// typeStats tracks one message type of one instance.
type typeStats struct {
	count uint64
	// Multicast and unicast streams of one port number their messages
	// separately (a master serving negotiated unicast clients alongside
	// its multicast ones), so each has its own sequence tracking.
	seq  [2]seqTrack
	gaps uint64 // gap events
	lost uint64 // sequenceIds skipped
	// unobserved counts sequenceIds that went by while capture did not
	// run (Model.CaptureGap): not seen, but not known to be lost.
	unobserved uint64
	// afterGap: the next message follows a capture gap, so the interval
	// to the one before says nothing about the sender.
	afterGap  bool
	dups      uint64
	reorders  uint64
	lastTime  int64
	meanGap   float64 // exponentially weighted mean interval, ns
	minGap    int64
	maxGap    int64
	logIntv   int8 // last logMessageInterval sent
	sec       int64
	secCount  uint32
	prevCount uint32 // messages in the previous whole second
}

// seqTrack follows one stream's sequenceIds.
type seqTrack struct {
	last     uint16
	seen     bool
	afterGap bool // the next sequenceId follows a capture gap
	lastTime int64
}

// instanceState is one port's session in one scope.
//
// Its first 56 bytes hold what every frame of the port reads or writes
// besides its message type's statistics and evidence: the key every
// frame compares, mac and lastSeen, and beside them the part of the
// Watcher's Health that a frame touches, so keeping Health costs compares
// in memory the model reads anyway. Objects of this size start on a
// cache line, or 8 bytes into one behind the allocator's header, and
// either way those 56 bytes are one line (TestInstanceHotLines).
type instanceState struct {
	key InstanceKey
	mac [6]byte
	// Health's per-frame part, kept when there is a Watcher: hflags
	// (hStarted, hReq, hTwo<<stream) and the sequenceIds
	// awaiting their answers
	hflags   uint8
	reqSeq   uint16
	twoSeq   [2]uint16
	lastSeen int64
	// what most frames read or write next
	ip       netip.Addr
	reqAt    int64  // the Delay_Req awaiting its Delay_Resp: when,
	reqFrame uint64 // which frame
	id       uint32
	// addrChanges counts changes of its MAC or IP address
	addrChanges uint32
	scope       *scopeState
	// types holds per-message-type statistics, allocated the first time
	// the instance sends that type: most instances send two or three.
	types       [16]*typeStats
	hasAnnounce bool
	announce    AnnounceData
	announceAt  int64
	logAnnounce int8
	silent      bool // no Announce for announceReceiptTimeout intervals
	syncSilent  bool // a Sync sender stopped sending Sync
	// win is the start of Health's current minute (Health.Win), 0 before
	// it starts; beside what the tick reads of every instance anyway
	win        int64
	state      PortState // inferred
	reported   PortState // from PORT_DATA_SET
	reportedAt int64
	// From PARENT_DATA_SET: what the port itself says it follows.
	repParent   decode.PortIdentity
	repGM       decode.ClockIdentity
	repParentAt int64
	parent      decode.PortIdentity
	hasParent   bool
	parentAt    int64
	peers       [4]decode.PortIdentity
	numPeers    uint8
	// ev holds every kind of evidence ever seen. Each kind is current
	// while it keeps being seen (see evWindow); evAt is when its current
	// spell began, evLast when it was last seen, evGap the usual interval
	// between sightings. Lapsed spells move to evPast, a slice replaced
	// (never modified) once published.
	ev     evidence
	evAt   [numEvidence]int64
	evLast [numEvidence]int64
	evGap  [numEvidence]int64
	evPast []evidenceSpell
	// Offset of this master's clock from the capture clock, from Sync
	// (+Follow_Up) timestamps against capture time, not corrected for
	// path delay.
	syncSeq      uint16
	syncTime     int64
	syncCorr     decode.TimeInterval
	syncPending  bool
	offLast      int64
	offMin       int64
	offMax       int64
	offSum       float64
	offN         uint64
	offAt        int64
	duplicateMAC [6]byte        // a second MAC seen using this port identity
	sameHash     *instanceState // the next instance of the scope with the same portHash
	firstSeen    int64
	// watch is the Watcher's own state for this instance (Slots)
	watch any
	// health is the rest of what is kept for the Watcher, when there is
	// one (Slots.Health): read per minute, written when a count goes up
	health Health
}

// scopeState is one scope.
type scopeState struct {
	id    uint32
	key   ScopeKey
	watch any // the Watcher's own state for this scope (Slots), beside the key every frame compares
	// health is what the Watcher asked of its ports' Health
	health              ScopeHealth
	name                string
	firstSeen, lastSeen int64
	counts              [16]uint64
	series              *Series
	seriesCopy          *Series // last copy published to readers; immutable
	instances           []*instanceState
	// byPort finds an instance of this scope by its port, under
	// portHash: a uint64 key takes the map's fast path (a ten-byte key is
	// hashed by the generic, slower one), and the lookup runs for every
	// frame. Ports whose hashes collide are chained through sameHash.
	byPort    map[uint64]*instanceState
	hasGM     bool
	gm        AnnounceData
	gmPort    decode.PortIdentity
	gmSince   int64
	gmChanges uint32
}

// Shard holds the live state of the scopes routed to it. It is owned by
// one goroutine: Apply, Tick and Publish must not run concurrently.
type Shard struct {
	scopes map[ScopeKey]*scopeState
	// last is the scope of the previous observation: frames of one scope
	// come in runs (a Sync and its Follow_Up, a master's announce and
	// sync streams), and comparing keys is cheaper than hashing one.
	last     *scopeState
	events   *EventLog
	devices  *deviceRegistry
	now      int64
	lastTick int64
	// Capture gaps (Model.CaptureGap): gaps is the model's count, gapsSeen
	// the count this shard has re-baselined for, resumedAt the capture
	// time it did so at; silence is judged from no earlier than that.
	gaps      *atomic.Uint64
	gapsSeen  uint64
	resumedAt int64
	published snapshotPointer
	// seriesCopiedAt is when Publish last copied the scopes' series.
	seriesCopiedAt time.Time
	// Frames counts observations applied.
	Frames uint64
	// watcher, when set, sees every observation and tick (SetWatcher).
	watcher Watcher
}

func newShard(events *EventLog, devices *deviceRegistry, gaps *atomic.Uint64) *Shard {
	return &Shard{scopes: map[ScopeKey]*scopeState{}, events: events, devices: devices,
		gaps: gaps}
}

// resume re-baselines the shard after a capture gap, at capture time t
// (its first frame or tick since): the silence timers restart at t, the
// next sequenceId of every stream and the next interval of every message
// type are not judged, and evidence current when capture stopped stays
// current as if no time had passed. It runs once per gap, not per frame.
func (s *Shard) resume(gaps uint64, t int64) {
	s.gapsSeen = gaps
	from, to := s.now, max(t, s.now)
	s.resumedAt, s.lastTick = to, to
	for _, sc := range s.scopes {
		for _, in := range sc.instances {
			in.resumeAfterGap(from, to)
		}
	}
}

// resumeAfterGap is resume for one instance.
func (in *instanceState) resumeAfterGap(from, to int64) {
	for _, ts := range in.types {
		if ts != nil {
			ts.afterGap = true
			ts.seq[0].afterGap, ts.seq[1].afterGap = true, true
		}
	}
	if from != 0 {
		in.rebaseEvidence(from, to)
	}
}

// Apply updates the model with one observation. It allocates only when it
// meets a scope or instance for the first time.
func (s *Shard) Apply(o *Observation) {
	s.Frames++
	g := o.Gaps
	if g == 0 {
		g = s.gaps.Load()
	}
	if g > s.gapsSeen {
		s.resume(g, o.Time)
	}
	if o.Time > s.now {
		s.now = o.Time
	}
	if s.now-s.lastTick >= 1e9 {
		s.tick(s.now, g) // by the frame's count: a gap declared after it is not yet due
	}
	sc := s.last
	if sc == nil || sc.key != o.Scope {
		if sc = s.scopes[o.Scope]; sc == nil {
			sc = s.newScope(o)
		}
		s.last = sc
	}
	sc.lastSeen = o.Time
	kind := o.Kind & 0x0f
	sc.counts[kind]++
	sc.series.Add(o.Time, kind)

	in := s.instance(sc, o.Source, o.Time)
	in.lastSeen = o.Time
	if o.SrcMAC != in.mac && o.SrcMAC != ([6]byte{}) {
		s.addressChanged(in, o)
	}
	if o.SrcIP.IsValid() && o.SrcIP != in.ip {
		if in.ip.IsValid() {
			in.addrChanges++
		}
		in.ip = o.SrcIP
	}
	s.countType(in, o)

	if o.HasAnnounce && kind != decode.Announce {
		// A PTPv1 Sync also announces its grandmaster.
		s.announce(sc, in, o)
	}
	switch kind {
	case decode.Sync:
		s.mark(in, evSync, o.Time)
		if in.syncSilent {
			in.syncSilent = false
			if !in.silent {
				s.emit(o.Time, MasterResumed, sc, in.name(), "", "", "sends Sync again")
			}
		}
		s.setState(in, StateMaster, o.Time)
		if o.Flags&decode.FlagTwoStep == 0 {
			s.offset(in, o.Timestamp, o.Correction, o.Time, o)
		} else {
			in.syncSeq, in.syncTime, in.syncCorr, in.syncPending = o.Sequence, o.Time, o.Correction, true
		}
		if s.watcher != nil { // Health: its interval (multicast), its Follow_Up due
			if o.Flags&decode.FlagUnicast == 0 && sc.health.Judge && outside(o.LogInterval, &sc.health.Intervals[HealthSync]) {
				in.health.interval(HealthSync, o)
			}
			if o.Flags&decode.FlagTwoStep != 0 && sc.key.Version == 2 {
				in.twoStep(stream(o), o)
			}
		}
	case decode.FollowUp:
		if in.syncPending && in.syncSeq == o.Sequence {
			s.offset(in, o.Timestamp, o.Correction+in.syncCorr, in.syncTime, o)
			in.syncPending = false
		}
		if s.watcher != nil && sc.key.Version == 2 {
			in.healthFollowUp(o)
		}
	case decode.Announce:
		s.announce(sc, in, o)
		if s.watcher != nil && sc.health.Judge && outside(o.LogInterval, &sc.health.Intervals[HealthAnnounce]) {
			in.health.interval(HealthAnnounce, o)
		}
	case decode.DelayReq:
		s.mark(in, evDelayReq, o.Time)
		if in.state != StateMaster || in.silent {
			s.setState(in, StateSlave, o.Time)
		}
		if s.watcher != nil {
			in.healthReq(o)
		}
	case decode.DelayResp:
		s.mark(in, evDelayResp, o.Time)
		s.setState(in, StateMaster, o.Time)
		if o.Peer != o.Source {
			f := s.instance(sc, o.Peer, o.Time)
			s.mark(f, evNamedInResp, o.Time)
			if f.state != StateMaster {
				s.setState(f, StateSlave, o.Time)
			}
			f.parent, f.hasParent, f.parentAt = o.Source, true, o.Time
			if s.watcher != nil && f.hflags&hReq != 0 && f.reqSeq == o.Sequence {
				f.hflags &^= hReq // answered (Health)
			}
		}
		if s.watcher != nil && sc.health.Judge && outside(o.LogInterval, &sc.health.Intervals[HealthDelay]) {
			in.health.interval(HealthDelay, o)
		}

	case decode.PdelayReq, decode.PdelayResp, decode.PdelayRespFollowUp:
		s.mark(in, evPdelay, o.Time)
		if kind != decode.PdelayReq {
			addPeer(in, o.Peer)
		}
	case decode.Management:
		if o.Action == decode.ActionResponse || o.Action == decode.ActionAcknowledge {
			s.mark(in, evMgmtResponse, o.Time)
			if o.ReportedState != 0 {
				s.mark(in, evReportedState, o.Time)
				prev := in.effectiveState()
				in.reported, in.reportedAt = PortState(o.ReportedState), o.Time
				if now := in.effectiveState(); now != prev {
					s.emit(o.Time, PortStateChanged, sc, in.name(), prev.String(), now.String(), "reported by PORT_DATA_SET")
				}
			}
			if o.HasReportedParent {
				if in.hasParent && in.parent != o.ReportedParent && in.parent != in.key.Port && o.ReportedParent != in.key.Port &&
					(in.repParentAt == 0 || in.repParent != o.ReportedParent) {
					s.emit(o.Time, ParentDisagreement, sc, in.name(), in.parent.String(), o.ReportedParent.String(),
						"PARENT_DATA_SET names another parent than the one answering its Delay_Req")
				}
				in.repParent, in.repGM, in.repParentAt = o.ReportedParent, o.ReportedGM, o.Time
			}
		} else {
			s.mark(in, evMgmtRequest, o.Time)
		}
	case decode.Signaling:
		s.mark(in, evSignaling, o.Time)
	}
	if s.watcher != nil && (o.HasAnnounce || HealthKinds>>kind&1 != 0 && in.hflags&hStarted == 0) {
		s.watch(sc, in, o, kind)
	}
}

func (s *Shard) newScope(o *Observation) *scopeState {
	sc := &scopeState{id: o.Scope.Tag(), key: o.Scope, name: o.Scope.String(), firstSeen: o.Time, series: NewSeries(),
		byPort: map[uint64]*instanceState{}}
	s.scopes[o.Scope] = sc
	s.emit(o.Time, ScopeDetected, sc, sc.name, "", "", "")
	if s.watcher != nil {
		s.watcher.ScopeSeen(o, ScopeSlot{Watch: &sc.watch, Health: &sc.health, LastSeen: &sc.lastSeen})
	}
	return sc
}

// instance finds or creates the instance of port p in sc.
func (s *Shard) instance(sc *scopeState, p decode.PortIdentity, now int64) *instanceState {
	h := portHash(p)
	in := sc.byPort[h]
	for in != nil && in.key.Port != p {
		in = in.sameHash
	}
	if in != nil {
		return in
	}
	k := InstanceKey{sc.key, p}
	in = &instanceState{id: k.Tag(), key: k, scope: sc, firstSeen: now, lastSeen: now}
	in.health.scope = &sc.health
	in.sameHash = sc.byPort[h]
	sc.byPort[h] = in
	sc.instances = append(sc.instances, in)
	newDevice, newPort := s.devices.see(p)
	if newDevice {
		s.emit(now, DeviceDetected, sc, p.Clock.String(), "", "", vendorOf(p.Clock))
	}
	if newPort {
		s.emit(now, PortDetected, sc, p.String(), "", "", "")
	}
	s.emit(now, InstanceDetected, sc, in.name(), "", "", "")
	return in
}

// portHash folds a port identity into 64 bits: the clockIdentity with the
// port number mixed into its top bits, where EUI-64 identities vary least.
func portHash(p decode.PortIdentity) uint64 {
	c := uint64(p.Clock[0])<<56 | uint64(p.Clock[1])<<48 | uint64(p.Clock[2])<<40 | uint64(p.Clock[3])<<32 |
		uint64(p.Clock[4])<<24 | uint64(p.Clock[5])<<16 | uint64(p.Clock[6])<<8 | uint64(p.Clock[7])
	return c ^ uint64(p.Port)<<40
}

func (in *instanceState) name() string { return in.key.Port.String() }

func (in *instanceState) effectiveState() PortState {
	if in.reported != 0 && in.reportedAt >= in.lastSeen-int64(10e9) {
		return in.reported
	}
	return in.state
}

func (s *Shard) setState(in *instanceState, st PortState, now int64) {
	if in.state == st {
		return
	}
	if st == StateMaster {
		// A port that became master follows no one any more (a backup
		// grandmaster after failover): forget the parent it had as a slave.
		in.hasParent = false
	}
	prev := in.effectiveState()
	in.state = st
	if cur := in.effectiveState(); cur != prev && prev != StateUnknown {
		s.emit(now, PortStateChanged, in.scope, in.name(), prev.String(), cur.String(), "inferred from traffic")
	}
}

// mark records that in was seen doing e at now. Evidence that had lapsed
// (unseen for longer than its window) starts a new spell, and the old one
// becomes history: that allocates, but only when evidence comes back.
func (s *Shard) mark(in *instanceState, e evidence, now int64) {
	i := bits.TrailingZeros16(uint16(e))
	if in.ev&e == 0 {
		in.ev |= e
		in.evAt[i], in.evLast[i] = now, now
		return
	}
	switch d := now - in.evLast[i]; {
	case d > in.evWindow(i):
		in.lapse(i)
		in.evAt[i], in.evGap[i] = now, 0
	case d <= 0:
		return
	case in.evGap[i] == 0:
		in.evGap[i] = d
	default:
		in.evGap[i] += (d - in.evGap[i]) / 8
	}
	in.evLast[i] = now
}

func addPeer(in *instanceState, p decode.PortIdentity) {
	for i := 0; i < int(in.numPeers); i++ {
		if in.peers[i] == p {
			return
		}
	}
	if int(in.numPeers) < len(in.peers) {
		in.peers[in.numPeers] = p
		in.numPeers++
	}
}

// addressChanged records a new source MAC for an instance. A different MAC
// sending as the same port within the same second as the old one points at
// a duplicated clockIdentity rather than a moved clock.
func (s *Shard) addressChanged(in *instanceState, o *Observation) {
	if in.mac != ([6]byte{}) {
		in.addrChanges++
		if t := in.types[o.Kind&0xf]; in.duplicateMAC == ([6]byte{}) && t != nil && o.Time-t.lastTime < 2e9 {
			in.duplicateMAC = o.SrcMAC
			s.emit(o.Time, DuplicateIdentity, in.scope, in.name(), fmt.Sprintf("%x", in.mac), fmt.Sprintf("%x", o.SrcMAC),
				"two MAC addresses send as the same port identity")
		}
	}
	in.mac = o.SrcMAC
	if s.watcher != nil {
		if in.health.MAC != ([6]byte{}) {
			in.health.count(HealthMACs, 1, o.FrameNum, o.Time)
		}
		in.health.MAC = o.SrcMAC
	}
}

// countType updates counters, sequence tracking and interval statistics.
func (s *Shard) countType(in *instanceState, o *Observation) {
	t := in.types[o.Kind&0x0f]
	if t == nil {
		t = &typeStats{}
		in.types[o.Kind&0x0f] = t
	}
	t.count++
	sec := o.Time / 1e9
	switch {
	case sec == t.sec:
		t.secCount++
	case sec == t.sec+1:
		t.prevCount, t.secCount, t.sec = t.secCount, 1, sec
	default:
		t.prevCount, t.secCount, t.sec = 0, 1, sec
	}
	if t.afterGap {
		t.afterGap = false
	} else if t.lastTime != 0 {
		gap := o.Time - t.lastTime
		if gap >= 0 {
			if t.meanGap == 0 {
				t.meanGap = float64(gap)
				t.minGap, t.maxGap = gap, gap
			} else {
				t.meanGap += (float64(gap) - t.meanGap) / 16
				t.minGap = min(t.minGap, gap)
				t.maxGap = max(t.maxGap, gap)
			}
		}
	}
	t.lastTime = o.Time
	t.logIntv = o.LogInterval
	// Sequence tracking does not apply to responses, whose sequenceId
	// echoes the request's.
	k := o.Kind & 0x0f
	if k == decode.DelayResp || k == decode.PdelayResp || k == decode.PdelayRespFollowUp || k == decode.FollowUp ||
		(k == decode.Management && o.Action == decode.ActionResponse) {
		return
	}
	sq := &t.seq[0]
	if o.Flags&decode.FlagUnicast != 0 {
		sq = &t.seq[1]
	}
	// A stream that pauses for many intervals and comes back (a passive
	// master taking over, a restarted clock, a unicast grant renewed) has
	// not lost messages in between: its sequenceIds start afresh.
	elapsed := o.Time - sq.lastTime
	resumed := sq.seen && elapsed > max(int64(4*t.meanGap), 1e9)
	sq.lastTime = o.Time
	if sq.afterGap {
		// Capture did not run since the last one: what went by then
		// was not observed, not lost (as many as the time allows: a
		// stream that started afresh meanwhile numbers anew).
		sq.afterGap = false
		if d := o.Sequence - sq.last; sq.seen && d > 1 && d < 0x8000 && float64(d-1)*t.meanGap <= 2*float64(elapsed) {
			t.unobserved += uint64(d - 1)
		}
		sq.last, sq.seen = o.Sequence, true
		return
	}
	if !sq.seen || resumed {
		sq.last, sq.seen = o.Sequence, true
		return
	}
	if in.duplicateMAC != ([6]byte{}) {
		// Two clocks share this identity; their sequences interleave and
		// say nothing about loss.
		return
	}
	d := o.Sequence - sq.last
	switch {
	case d == 1:
	case d == 0:
		t.dups++
		if s.watcher != nil && seqKinds>>k&1 != 0 {
			in.health.count(HealthDups, 1, o.FrameNum, o.Time)
		}
	case d < 0x8000:
		t.gaps++
		t.lost += uint64(d - 1)
		if s.watcher != nil && seqKinds>>k&1 != 0 {
			in.health.count(HealthGaps, uint32(d-1), o.FrameNum, o.Time)
		}
		s.emit(o.Time, SequenceGap, in.scope, in.name(), fmt.Sprint(sq.last), fmt.Sprint(o.Sequence),
			fmt.Sprintf("%s: %d sequenceId(s) missing", k, d-1))
	default:
		t.reorders++
		return // keep the highest seen
	}
	sq.last = o.Sequence
}

// offset records a master's offset from the capture clock.
func (s *Shard) offset(in *instanceState, ts decode.Timestamp, corr decode.TimeInterval, captured int64, o *Observation) {
	sent := ts.UnixNano() + int64(corr)>>16
	if !o.TimeTAI && in.hasAnnounce && in.announce.Flags&decode.FlagPTPTimescale != 0 && in.announce.Flags&decode.FlagCurrentUTCOffsetValid != 0 {
		// PTP time is TAI; a UTC capture clock is behind by the UTC offset.
		sent -= int64(in.announce.CurrentUTCOffset) * 1e9
	}
	off := sent - captured
	in.offLast, in.offAt = off, captured
	if in.offN == 0 {
		in.offMin, in.offMax = off, off
	} else {
		in.offMin, in.offMax = min(in.offMin, off), max(in.offMax, off)
	}
	in.offSum += float64(off)
	in.offN++
}

// announce handles an Announce (or the grandmaster part of a PTPv1 Sync).
func (s *Shard) announce(sc *scopeState, in *instanceState, o *Observation) {
	a := o.Announce
	if a.StepsRemoved == 0 && a.GrandmasterIdentity == in.key.Port.Clock {
		s.mark(in, evAnnounceGM, o.Time)
	} else {
		s.mark(in, evAnnounceRelay, o.Time)
	}
	prev, had := in.announce, in.hasAnnounce
	in.announce, in.hasAnnounce, in.announceAt, in.logAnnounce = a, true, o.Time, o.LogInterval
	if in.silent {
		in.silent = false
		s.emit(o.Time, MasterResumed, sc, in.name(), "", "", "announces again")
	}
	s.setState(in, StateMaster, o.Time)
	if had && prev.GrandmasterIdentity == a.GrandmasterIdentity &&
		(prev.Quality != a.Quality || prev.Priority1 != a.Priority1 || prev.Priority2 != a.Priority2) {
		s.emit(o.Time, GrandmasterQualityChanged, sc, a.GrandmasterIdentity.String(), qualityText(&prev), qualityText(&a),
			"announced by "+in.name())
		if a.StepsRemoved == 0 {
			s.emit(o.Time, LocalQualityChanged, sc, in.name(), qualityText(&prev), qualityText(&a), "")
		}
	}
	s.electGrandmaster(sc, o.Time)
}

func qualityText(a *AnnounceData) string {
	return fmt.Sprintf("priority1 %d clockClass %d clockAccuracy 0x%02x offsetScaledLogVariance 0x%04x priority2 %d",
		a.Priority1, a.Quality.Class, a.Quality.Accuracy, a.Quality.OffsetScaledLogVariance, a.Priority2)
}

// electGrandmaster picks the scope's grandmaster: the best dataset announced
// by any instance that is not silent. When none is left the last one stays
// (the loss shows as Master Silent), so a failover raises exactly one
// Grandmaster Changed when the new grandmaster is heard.
func (s *Shard) electGrandmaster(sc *scopeState, now int64) {
	var best *instanceState
	for _, in := range sc.instances {
		if !in.hasAnnounce || in.silent {
			continue
		}
		if best == nil || in.announce.Better(&best.announce) {
			best = in
		}
	}
	if best == nil {
		return
	}
	gm := best.announce
	switch {
	case !sc.hasGM:
		sc.hasGM, sc.gm, sc.gmPort, sc.gmSince = true, gm, best.key.Port, now
	case sc.gm.GrandmasterIdentity != gm.GrandmasterIdentity:
		old := sc.gm.GrandmasterIdentity
		sc.gm, sc.gmPort, sc.gmSince = gm, best.key.Port, now
		sc.gmChanges++
		s.emit(now, GrandmasterChanged, sc, sc.name, old.String(), gm.GrandmasterIdentity.String(), "announced by "+best.name())
	default:
		sc.gm, sc.gmPort = gm, best.key.Port
	}
}

// Tick runs time-driven checks (silence) as of now, in capture time. Apply
// calls it once per second of capture time; a live pipeline also calls it
// when no frames arrive.
//
// Time in which capture did not run does not count: after a capture gap
// (Model.CaptureGap) silence is judged from the shard's first frame or
// tick since, as if every master had just been heard.
func (s *Shard) Tick(now int64) { s.tick(now, s.gaps.Load()) }

// TickGaps is Tick for a shard fed observations stamped with the capture
// gaps declared before them (Observation.Gaps): gaps is the model's count
// (Model.CaptureGaps) loaded before the shard took its last observations,
// so that a gap declared after frames still on their way to it is not
// taken before them.
func (s *Shard) TickGaps(now int64, gaps uint64) { s.tick(now, gaps) }

// tick is Tick with gaps capture gaps declared so far.
func (s *Shard) tick(now int64, gaps uint64) {
	if gaps > s.gapsSeen {
		s.resume(gaps, now)
	}
	if now > s.now {
		s.now = now
	}
	s.lastTick = s.now
	watched := s.watcher != nil
	for _, sc := range s.scopes {
		changed := false
		for _, in := range sc.instances {
			if watched {
				in.roll(now)
			}
			if t := in.types[decode.Sync]; t != nil && !in.syncSilent && !in.silent && now-max(t.lastTime, s.resumedAt) > syncTimeout(t.logIntv) {
				// A master that stops Sync but keeps announcing still
				// holds its followers, which then run free.
				in.syncSilent = true
				s.emit(now, MasterSilent, sc, in.name(), "", "", "no Sync for "+fmt.Sprint(time.Duration(now-max(t.lastTime, s.resumedAt)).Round(time.Millisecond)))
			}
			if !in.hasAnnounce || in.silent {
				continue
			}
			if now-max(in.announceAt, s.resumedAt) > timeout(in.logAnnounce) {
				in.silent = true
				changed = true
				switch {
				case s.betterAnnouncer(sc, in) != nil:
					// A master that falls quiet while a better one
					// announces has yielded to it (BMCA): PASSIVE.
					prev := in.effectiveState()
					in.state = StatePassive
					if cur := in.effectiveState(); cur != prev {
						s.emit(now, PortStateChanged, sc, in.name(), prev.String(), cur.String(),
							"stopped announcing while "+s.betterAnnouncer(sc, in).name()+" announces a better grandmaster")
					}
				case !in.syncSilent:
					s.emit(now, MasterSilent, sc, in.name(), "", "",
						fmt.Sprintf("no Announce for %d intervals", announceReceiptTimeout))
				}
			}
		}
		if changed {
			s.electGrandmaster(sc, now)
		}
	}
	if s.watcher != nil {
		s.watcher.Tick(s.now)
	}
}

// syncTimeout is how long a Sync sender may pause before it counts as
// silent: announceReceiptTimeout Sync intervals, but at least half a second
// so capture jitter at high rates does not trip it.
func syncTimeout(logInterval int8) int64 {
	return max(timeout(logInterval), 500e6)
}

// betterAnnouncer returns an instance of sc, other than in, that still
// announces a better dataset than in's last Announce, or nil.
func (s *Shard) betterAnnouncer(sc *scopeState, in *instanceState) *instanceState {
	for _, o := range sc.instances {
		if o != in && o.hasAnnounce && !o.silent && o.announce.Better(&in.announce) {
			return o
		}
	}
	return nil
}

// timeout is announceReceiptTimeout announce intervals, in ns.
func timeout(logInterval int8) int64 {
	if logInterval < -7 || logInterval > 7 {
		logInterval = 1 // 0x7f and nonsense: assume the default 2 s
	}
	iv := int64(1e9)
	if logInterval >= 0 {
		iv <<= uint(logInterval)
	} else {
		iv >>= uint(-logInterval)
	}
	return announceReceiptTimeout*iv + iv/2
}

func (s *Shard) emit(now int64, t EventType, sc *scopeState, subject, before, after, detail string) {
	if s.events == nil {
		return
	}
	name := ""
	if sc != nil {
		name = sc.name
	}
	s.events.Add(Event{Time: now, Type: t, Scope: name, Subject: subject, Before: before, After: after, Detail: detail})
}

// String names a scope the way the UI shows it, such as
// "seg0 v2 domain 0 UDP/IPv4 vlan 100".
func (k ScopeKey) String() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "seg%d v%d ", k.Segment, k.Version)
	if k.Version == 1 {
		fmt.Fprintf(&b, "subdomain %s", bytes.TrimRight(k.Subdomain[:], "\x00"))
	} else {
		fmt.Fprintf(&b, "domain %d", k.Domain)
		if k.MajorSdoID != 0 {
			fmt.Fprintf(&b, " sdo %d", k.MajorSdoID)
		}
	}
	fmt.Fprintf(&b, " %s", k.Transport)
	if k.VLAN != NoVLAN {
		fmt.Fprintf(&b, " vlan %d", k.VLAN)
	}
	return b.String()
}
