package state

import (
	"hash/maphash"
	"net"
	"sort"
	"sync/atomic"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
)

type snapshotPointer = atomic.Pointer[shardSnapshot]

// shardSnapshot is one shard's published state.
type shardSnapshot struct {
	time      int64
	frames    uint64
	scopes    []Scope
	instances []Instance
	// evidence per device for role inference: clock → scope name → bits.
	evidence map[decode.ClockIdentity][]instanceEvidence
	series   map[string]*Series
}

type instanceEvidence struct {
	scope string
	port  uint16
	ev    evidence
	evAt  [numEvidence]int64
	state PortState
	// For roles now and in the past (roles.go): when each kind of
	// evidence was last seen, how long it stays current, lapsed spells.
	evLast   [numEvidence]int64
	evWindow [numEvidence]int64
	past     []evidenceSpell
}

// Snapshot is a consistent copy of the whole model at one moment. It is
// immutable and safe to share between readers. Field names follow IEEE 1588.
type Snapshot struct {
	Time      int64      `json:"time"`
	Frames    uint64     `json:"frames"`
	Segments  []Segment  `json:"segments"`
	Scopes    []Scope    `json:"scopes"`
	Devices   []Device   `json:"devices"`
	Instances []Instance `json:"instances"`
	Hierarchy []TreeNode `json:"hierarchy"`
	series    map[string]*Series
}

// Segment is one network segment.
type Segment struct {
	Segment uint16   `json:"segment"`
	Scopes  []string `json:"scopes"`
}

// Provenance says where a figure came from.
type Provenance string

// Provenances.
const (
	Measured Provenance = "measured" // computed by ptpwatch from captured timestamps
	Reported Provenance = "reported" // a node said so
	// Management marks what a node reported in a management response
	// (PORT_DATA_SET, PARENT_DATA_SET) rather than in its own messages.
	Management Provenance = "management"
	Inferred   Provenance = "inferred" // deduced from traffic patterns
)

// GrandmasterInfo is a grandmaster as announced.
type GrandmasterInfo struct {
	GrandmasterIdentity     string     `json:"grandmasterIdentity"`
	Vendor                  string     `json:"vendor,omitempty"`
	AnnouncedBy             string     `json:"announcedBy"`
	Priority1               uint8      `json:"grandmasterPriority1"`
	ClockClass              uint8      `json:"clockClass"`
	ClockAccuracy           uint8      `json:"clockAccuracy"`
	OffsetScaledLogVariance uint16     `json:"offsetScaledLogVariance"`
	Priority2               uint8      `json:"grandmasterPriority2"`
	StepsRemoved            uint16     `json:"stepsRemoved"`
	TimeSource              string     `json:"timeSource"`
	CurrentUTCOffset        int16      `json:"currentUtcOffset"`
	Flags                   []string   `json:"flags,omitempty"`
	Since                   int64      `json:"since,omitempty"`
	Source                  Provenance `json:"source"`
}

func gmInfo(a *AnnounceData, by decode.PortIdentity, since int64) *GrandmasterInfo {
	g := &GrandmasterInfo{GrandmasterIdentity: a.GrandmasterIdentity.String(), Vendor: vendorOf(a.GrandmasterIdentity),
		AnnouncedBy: by.String(), Priority1: a.Priority1, ClockClass: a.Quality.Class, ClockAccuracy: a.Quality.Accuracy,
		OffsetScaledLogVariance: a.Quality.OffsetScaledLogVariance, Priority2: a.Priority2, StepsRemoved: a.StepsRemoved,
		TimeSource: a.TimeSource.String(), CurrentUTCOffset: a.CurrentUTCOffset, Since: since, Source: Reported}
	for _, f := range decode.FlagNames {
		if a.Flags.Has(f.Flag) && f.Flag < decode.FlagAlternateMaster {
			g.Flags = append(g.Flags, f.Name)
		}
	}
	return g
}

// Scope is one scope in a snapshot.
type Scope struct {
	ID           uint32            `json:"id"`
	Name         string            `json:"name"`
	Segment      uint16            `json:"segment"`
	VersionPTP   uint8             `json:"versionPTP"`
	DomainNumber *uint8            `json:"domainNumber,omitempty"`
	MajorSdoID   *uint8            `json:"majorSdoId,omitempty"`
	Subdomain    string            `json:"subdomain,omitempty"`
	Transport    string            `json:"transport"`
	VLAN         *uint16           `json:"vlan,omitempty"`
	FirstSeen    int64             `json:"firstSeen"`
	LastSeen     int64             `json:"lastSeen"`
	Grandmaster  *GrandmasterInfo  `json:"grandmaster,omitempty"`
	GMChanges    uint32            `json:"grandmasterChanges"`
	Instances    int               `json:"instances"`
	Masters      int               `json:"masters"`
	Followers    int               `json:"followers"`
	Counts       map[string]uint64 `json:"counts"`
	// Rates are messages per second over the last whole second.
	Rates map[string]uint32 `json:"rates"`
	// Problems are the scope's problems that hold now (a master silent,
	// or announcing without Sync), oldest first; they go when they end.
	Problems []Problem `json:"problems,omitempty"`
}

// Problem is a condition of a scope that holds now.
type Problem struct {
	Type    EventType `json:"type"`    // the event that raised it, such as Master Silent
	Subject string    `json:"subject"` // the instance it concerns (port identity)
	Since   int64     `json:"since"`   // capture time it began: the last message it stopped sending
	Detail  string    `json:"detail"`
}

// TypeCounters describes one message type of one instance.
type TypeCounters struct {
	Count        uint64 `json:"count"`
	PerSecond    uint32 `json:"perSecond"` // last whole second
	SequenceGaps uint64 `json:"sequenceGaps"`
	SequenceLost uint64 `json:"sequenceIdsMissing"`
	// SequenceNotObserved counts sequenceIds sent while capture was
	// stopped or losing frames (Model.CaptureGap): not seen, not lost.
	SequenceNotObserved uint64  `json:"sequenceIdsNotObserved"`
	Duplicates          uint64  `json:"duplicates"`
	Reordered           uint64  `json:"reordered"`
	LogInterval         int8    `json:"logMessageInterval"`
	ExpectedNs          int64   `json:"expectedIntervalNs,omitempty"`
	MeanIntervalNs      float64 `json:"meanIntervalNs,omitempty"`
	MinIntervalNs       int64   `json:"minIntervalNs,omitempty"`
	MaxIntervalNs       int64   `json:"maxIntervalNs,omitempty"`
	// Compliant is false when the mean observed interval is more than 30 %
	// away from the announced one.
	Compliant *bool `json:"compliant,omitempty"`
	LastSeen  int64 `json:"lastSeen"`
}

// OffsetInfo is a master's offset from ptpwatch's capture clock.
type OffsetInfo struct {
	LastNs int64      `json:"lastNs"`
	MinNs  int64      `json:"minNs"`
	MaxNs  int64      `json:"maxNs"`
	MeanNs float64    `json:"meanNs"`
	N      uint64     `json:"samples"`
	At     int64      `json:"at"`
	Source Provenance `json:"source"`
	Note   string     `json:"note"`
}

// Instance is one port's session in one scope.
type Instance struct {
	ID            uint32     `json:"id"`
	ScopeID       uint32     `json:"scopeId"`
	Scope         string     `json:"scope"`
	PortIdentity  string     `json:"portIdentity"`
	ClockIdentity string     `json:"clockIdentity"`
	PortNumber    uint16     `json:"portNumber"`
	MAC           string     `json:"mac,omitempty"`
	Address       string     `json:"address,omitempty"`
	AddrChanges   uint32     `json:"addressChanges,omitempty"`
	PortState     PortState  `json:"portState"`
	StateSource   Provenance `json:"portStateSource"`
	// Silent: the port stopped announcing (without yielding to a better
	// master), or announces without sending Sync.
	Silent       bool                    `json:"silent"`
	Announce     *GrandmasterInfo        `json:"announce,omitempty"`
	Parent       string                  `json:"parentPortIdentity,omitempty"`
	ParentSource Provenance              `json:"parentSource,omitempty"`
	Grandmaster  string                  `json:"grandmasterIdentity,omitempty"`
	Peers        []string                `json:"peerDelayPeers,omitempty"`
	Counters     map[string]TypeCounters `json:"counters"`
	Offset       *OffsetInfo             `json:"offsetFromCapture,omitempty"`
	// ReportedParent and ReportedGrandmaster are what the port itself
	// said in its last PARENT_DATA_SET response, ReportedAt when.
	ReportedParent      string `json:"reportedParentPortIdentity,omitempty"`
	ReportedGrandmaster string `json:"reportedGrandmasterIdentity,omitempty"`
	ReportedAt          int64  `json:"reportedAt,omitempty"`
	// Facts is what the instance was seen doing, as data (the API's
	// "evidence"); Evidence words the same in English for Go callers.
	Facts        []Evidence `json:"evidence"`
	Evidence     []string   `json:"-"`
	DuplicateMAC string     `json:"duplicateMac,omitempty"`
	FirstSeen    int64      `json:"firstSeen"`
	LastSeen     int64      `json:"lastSeen"`
}

// Role is an inferred device role with the evidence for it: Facts as data
// (the API's "evidence", which clients word), Evidence the same in English
// for Go callers (the command line, logs, tests). Roles describe the
// present: they rest on evidence seen within a role window (see
// roleWindow) of the snapshot's time.
type Role struct {
	Role     string     `json:"role"`
	Facts    []Evidence `json:"evidence"`
	Evidence []string   `json:"-"`
}

func newRole(name string, facts []Evidence) Role {
	return Role{Role: name, Facts: facts, Evidence: texts(facts)}
}

// RoleSpan is a role a device held in the past, from the first to the
// last capture time the evidence for it was seen (ns).
type RoleSpan struct {
	Role string `json:"role"`
	From int64  `json:"from"`
	To   int64  `json:"to"`
}

// Device is one clock.
type Device struct {
	ClockIdentity string   `json:"clockIdentity"`
	Vendor        string   `json:"vendor,omitempty"`
	Ports         []uint16 `json:"ports"`
	Roles         []Role   `json:"roles"`
	// RoleHistory lists the roles the device no longer holds (or held
	// before, in an earlier span), oldest first.
	RoleHistory []RoleSpan `json:"roleHistory"`
	Instances   []string   `json:"instances"` // "scope/portIdentity"
}

// TreeNode is one node of a grandmaster → boundary clock → follower tree.
type TreeNode struct {
	PortIdentity string     `json:"portIdentity"`
	Scope        string     `json:"scope"`
	Role         string     `json:"role"`
	PortState    PortState  `json:"portState"`
	Link         Provenance `json:"link,omitempty"` // how the link to the parent was found
	Children     []TreeNode `json:"children,omitempty"`
}

// Publish copies the shard's state into an immutable snapshot that readers
// load without touching the live maps. Only the owning goroutine calls it.
func (s *Shard) Publish() { s.publish(true) }

// PublishPeriodic is Publish for frequent refreshes: it copies each scope's
// hour of per-second counts (230 KiB) at most once a second of wall time and
// lets the snapshots in between share that immutable copy.
func (s *Shard) PublishPeriodic() { s.publish(time.Since(s.seriesCopiedAt) >= time.Second) }

func (s *Shard) publish(fresh bool) {
	snap := &shardSnapshot{time: s.now, frames: s.Frames, evidence: map[decode.ClockIdentity][]instanceEvidence{}, series: map[string]*Series{}}
	if fresh {
		s.seriesCopiedAt = time.Now()
	}
	for _, sc := range s.scopes {
		snap.scopes = append(snap.scopes, s.scopeView(sc))
		if fresh || sc.seriesCopy == nil {
			cp := *sc.series
			sc.seriesCopy = &cp
		}
		snap.series[sc.name] = sc.seriesCopy
		for _, in := range sc.instances {
			snap.instances = append(snap.instances, s.instanceView(in))
			snap.evidence[in.key.Port.Clock] = append(snap.evidence[in.key.Port.Clock],
				in.evidence())
		}
	}
	s.published.Store(snap)
}

func (s *Shard) scopeView(sc *scopeState) Scope {
	k := sc.key
	v := Scope{ID: sc.id, Name: sc.name, Segment: k.Segment, VersionPTP: k.Version, Transport: k.Transport.String(),
		FirstSeen: sc.firstSeen, LastSeen: sc.lastSeen, GMChanges: sc.gmChanges, Instances: len(sc.instances),
		Counts: map[string]uint64{}, Rates: map[string]uint32{}}
	if k.Version == 2 {
		d, sdo := k.Domain, k.MajorSdoID
		v.DomainNumber, v.MajorSdoID = &d, &sdo
	} else {
		v.Subdomain = string(trimNUL(k.Subdomain[:]))
	}
	if k.VLAN != NoVLAN {
		vl := k.VLAN
		v.VLAN = &vl
	}
	if sc.hasGM {
		v.Grandmaster = gmInfo(&sc.gm, sc.gmPort, sc.gmSince)
	}
	for t, n := range sc.counts {
		if n > 0 {
			v.Counts[Kind(t).String()] = n
		}
	}
	last := sc.series.At(s.now - 1e9)
	for t, n := range last {
		if n > 0 {
			v.Rates[Kind(t).String()] = n
		}
	}
	for _, in := range sc.instances {
		switch in.effectiveState() {
		case StateMaster:
			if !in.silent {
				v.Masters++
			}
		case StateSlave, StateUncalibrated:
			v.Followers++
		}
		if p, ok := silenceProblem(in); ok {
			v.Problems = append(v.Problems, p)
		}
	}
	sort.Slice(v.Problems, func(i, j int) bool {
		if v.Problems[i].Since != v.Problems[j].Since {
			return v.Problems[i].Since < v.Problems[j].Since
		}
		return v.Problems[i].Subject < v.Problems[j].Subject
	})
	return v
}

// silenceProblem reports a master that fell silent (no Announce, not
// having yielded to a better one) or that announces without Sync.
func silenceProblem(in *instanceState) (Problem, bool) {
	syncAt := int64(0)
	if t := in.types[decode.Sync]; t != nil {
		syncAt = t.lastTime
	}
	announceSilent := in.silent && in.effectiveState() != StatePassive
	switch {
	case announceSilent && in.syncSilent:
		return Problem{Type: MasterSilent, Subject: in.name(), Since: min(in.announceAt, syncAt), Detail: "no Announce and no Sync"}, true
	case announceSilent:
		return Problem{Type: MasterSilent, Subject: in.name(), Since: in.announceAt, Detail: "no Announce"}, true
	case in.syncSilent:
		return Problem{Type: MasterSilent, Subject: in.name(), Since: syncAt, Detail: "no Sync while still announcing: its followers run free"}, true
	}
	return Problem{}, false
}

func trimNUL(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

func (s *Shard) instanceView(in *instanceState) Instance {
	p := in.key.Port
	v := Instance{ID: in.id, ScopeID: in.scope.id, Scope: in.scope.name, PortIdentity: p.String(), ClockIdentity: p.Clock.String(), PortNumber: p.Port,
		AddrChanges: in.addrChanges, PortState: in.effectiveState(), StateSource: Inferred, Silent: in.silent || in.syncSilent,
		Counters: map[string]TypeCounters{}, FirstSeen: in.firstSeen, LastSeen: in.lastSeen}
	if in.mac != ([6]byte{}) {
		v.MAC = net.HardwareAddr(in.mac[:]).String()
	}
	if in.ip.IsValid() {
		v.Address = in.ip.String()
	}
	if in.reported != 0 && v.PortState == in.reported {
		v.StateSource = Management
	}
	if in.hasAnnounce {
		v.Announce = gmInfo(&in.announce, p, in.announceAt)
	}
	if in.hasParent {
		v.Parent, v.ParentSource = in.parent.String(), Measured
	}
	if in.scope.hasGM {
		v.Grandmaster = in.scope.gm.GrandmasterIdentity.String()
	}
	if in.repParentAt != 0 {
		v.ReportedParent, v.ReportedGrandmaster, v.ReportedAt = in.repParent.String(), in.repGM.String(), in.repParentAt
		if !in.hasParent && in.repParent != in.key.Port && in.repParent.Clock != in.key.Port.Clock {
			// A port that sends nothing (PASSIVE, a hybrid follower
			// behind a switch) has only the parent it reports.
			v.Parent, v.ParentSource = v.ReportedParent, Management
		}
		if v.Grandmaster == "" {
			v.Grandmaster = v.ReportedGrandmaster
		}
	}
	for i := 0; i < int(in.numPeers); i++ {
		v.Peers = append(v.Peers, in.peers[i].String())
	}
	sec := s.now / 1e9
	for t, ts := range in.types {
		if ts == nil || ts.count == 0 {
			continue
		}
		c := TypeCounters{Count: ts.count, SequenceGaps: ts.gaps, SequenceLost: ts.lost, SequenceNotObserved: ts.unobserved, Duplicates: ts.dups,
			Reordered: ts.reorders, LogInterval: ts.logIntv, MeanIntervalNs: ts.meanGap, MinIntervalNs: ts.minGap,
			MaxIntervalNs: ts.maxGap, LastSeen: ts.lastTime}
		switch {
		case ts.sec == sec-1:
			c.PerSecond = ts.secCount
		case ts.sec == sec:
			c.PerSecond = ts.prevCount
		}
		if exp := expectedInterval(Kind(t), ts.logIntv); exp > 0 && ts.meanGap > 0 {
			c.ExpectedNs = exp
			ok := ts.meanGap > 0.7*float64(exp) && ts.meanGap < 1.3*float64(exp)
			c.Compliant = &ok
		}
		v.Counters[Kind(t).String()] = c
	}
	if in.offN > 0 {
		v.Offset = &OffsetInfo{LastNs: in.offLast, MinNs: in.offMin, MaxNs: in.offMax, MeanNs: in.offSum / float64(in.offN),
			N: in.offN, At: in.offAt, Source: Measured,
			Note: "originTimestamp(+correction) minus capture time; not corrected for path delay"}
	}
	v.Facts = evidenceOf(in.ev, &in.evAt, in.key.Port.Port, in.scope.name)
	for i := 0; i < numEvidence; i++ {
		if in.ev&(1<<i) != 0 {
			v.Evidence = append(v.Evidence, evidenceText[i])
		}
	}
	if in.duplicateMAC != ([6]byte{}) {
		v.DuplicateMAC = net.HardwareAddr(in.duplicateMAC[:]).String()
	}
	return v
}

// expectedInterval is the interval logMessageInterval announces for message
// types sent periodically, in ns; 0 when it does not apply.
func expectedInterval(k Kind, log int8) int64 {
	switch k {
	case decode.Sync, decode.Announce, decode.PdelayReq:
	default:
		return 0
	}
	if log < -10 || log > 10 {
		return 0
	}
	if log >= 0 {
		return int64(1e9) << uint(log)
	}
	return int64(1e9) >> uint(-log)
}

// Model is the whole live model: shards, the event log and the device
// registry they share.
type Model struct {
	Events  *EventLog
	shards  []*Shard
	devices *deviceRegistry
	seed    maphash.Seed
	gaps    atomic.Uint64 // capture gaps so far (CaptureGap)
}

// CaptureGap tells the model that capture did not run, or lost frames,
// until now: the stretch is a gap in what was observed, not a silence of
// the network. Each shard re-baselines at the next frame or tick it sees
// (silence timers restart, sequenceIds that went by count as not
// observed rather than lost, roles' evidence does not age; see
// Shard.Tick). Safe to call from any goroutine; the frame path only loads
// a counter it sees change once per gap. It returns the gaps so far,
// which the reader may stamp on the observations it reads after the gap
// (Observation.Gaps) so that shards re-baseline exactly between the last
// frame before it and the first after, whatever their rings still hold.
func (m *Model) CaptureGap() uint64 { return m.gaps.Add(1) }

// CaptureGaps returns the number of capture gaps so far.
func (m *Model) CaptureGaps() uint64 { return m.gaps.Load() }

// NewModel returns a model with n shards (at least one).
func NewModel(n int, events *EventLog) *Model {
	if n < 1 {
		n = 1
	}
	if events == nil {
		events = NewEventLog(0)
	}
	m := &Model{Events: events, devices: newDeviceRegistry(), seed: maphash.MakeSeed()}
	for i := 0; i < n; i++ {
		m.shards = append(m.shards, newShard(events, m.devices, &m.gaps))
	}
	return m
}

// Shards returns the number of shards.
func (m *Model) Shards() int { return len(m.shards) }

// Shard returns shard i, for the goroutine that owns it.
func (m *Model) Shard(i int) *Shard { return m.shards[i] }

// ShardFor returns the index of the shard that owns scope k.
func (m *Model) ShardFor(k ScopeKey) int {
	if len(m.shards) == 1 {
		return 0
	}
	return int(maphash.Comparable(m.seed, k) % uint64(len(m.shards)))
}

// Snapshot merges the shards' latest published snapshots. Shards that never
// published contribute nothing.
func (m *Model) Snapshot() *Snapshot {
	out := &Snapshot{series: map[string]*Series{}}
	evidence := map[decode.ClockIdentity][]instanceEvidence{}
	for _, sh := range m.shards {
		p := sh.published.Load()
		if p == nil {
			continue
		}
		out.Time = max(out.Time, p.time)
		out.Frames += p.frames
		out.Scopes = append(out.Scopes, p.scopes...)
		out.Instances = append(out.Instances, p.instances...)
		for k, v := range p.evidence {
			evidence[k] = append(evidence[k], v...)
		}
		for k, v := range p.series {
			out.series[k] = v
		}
	}
	sort.Slice(out.Scopes, func(i, j int) bool { return out.Scopes[i].Name < out.Scopes[j].Name })
	sort.Slice(out.Instances, func(i, j int) bool {
		a, b := &out.Instances[i], &out.Instances[j]
		if a.Scope != b.Scope {
			return a.Scope < b.Scope
		}
		return a.PortIdentity < b.PortIdentity
	})
	segs := map[uint16][]string{}
	for _, sc := range out.Scopes {
		segs[sc.Segment] = append(segs[sc.Segment], sc.Name)
	}
	for id, names := range segs {
		out.Segments = append(out.Segments, Segment{Segment: id, Scopes: names})
	}
	sort.Slice(out.Segments, func(i, j int) bool { return out.Segments[i].Segment < out.Segments[j].Segment })
	out.Devices = buildDevices(evidence, out.Instances, out.Time)
	markP2PFollowers(out)
	out.Hierarchy = buildHierarchy(out)
	return out
}

// Series returns the per-second counters of a scope, or nil.
func (s *Snapshot) Series(scope string) *Series { return s.series[scope] }

// buildDevices groups instances by clock and infers each device's roles
// from what its instances were seen doing: now, and in the past.
func buildDevices(evidence map[decode.ClockIdentity][]instanceEvidence, instances []Instance, now int64) []Device {
	byClock := map[string]*Device{}
	var order []string
	for _, in := range instances {
		d := byClock[in.ClockIdentity]
		if d == nil {
			d = &Device{ClockIdentity: in.ClockIdentity, Roles: []Role{}, RoleHistory: []RoleSpan{}}
			byClock[in.ClockIdentity] = d
			order = append(order, in.ClockIdentity)
		}
		d.Instances = append(d.Instances, in.Scope+"/"+in.PortIdentity)
		found := false
		for _, p := range d.Ports {
			found = found || p == in.PortNumber
		}
		if !found {
			d.Ports = append(d.Ports, in.PortNumber)
		}
	}
	for clock, evs := range evidence {
		d := byClock[clock.String()]
		if d == nil {
			continue
		}
		d.Vendor = vendorOf(clock)
		d.Roles, d.RoleHistory = deviceRoles(evs, now)
	}
	sort.Strings(order)
	out := make([]Device, 0, len(order))
	for _, k := range order {
		d := byClock[k]
		sort.Slice(d.Ports, func(i, j int) bool { return d.Ports[i] < d.Ports[j] })
		out = append(out, *d)
	}
	return out
}

func inferRoles(evs []instanceEvidence) []Role {
	var gm, relay, master, follower, pdelay, mgmt []Evidence
	for _, e := range evs {
		at := func(b evidence) Evidence {
			for i := 0; i < numEvidence; i++ {
				if b == 1<<i {
					return Evidence{Kind: evidenceKinds[i], Port: e.port, Scope: e.scope, Since: e.evAt[i]}
				}
			}
			return Evidence{}
		}
		if e.ev&evAnnounceGM != 0 {
			gm = append(gm, at(evAnnounceGM))
		}
		if e.ev&evAnnounceRelay != 0 {
			relay = append(relay, at(evAnnounceRelay))
		}
		if e.ev&(evSync|evDelayResp) != 0 && e.ev&evAnnounceGM == 0 {
			if e.ev&evSync != 0 {
				master = append(master, at(evSync))
			} else {
				master = append(master, at(evDelayResp))
			}
		}
		if e.state == StateSlave || e.state == StateUncalibrated {
			switch {
			case e.ev&evDelayReq != 0:
				follower = append(follower, at(evDelayReq))
			case e.ev&evNamedInResp != 0:
				follower = append(follower, at(evNamedInResp))
			case e.ev&evReportedState != 0:
				follower = append(follower, at(evReportedState))
			}
		}
		if e.ev&evPdelay != 0 && e.ev&(evSync|evDelayReq|evDelayResp|evAnnounceGM|evAnnounceRelay) == 0 {
			pdelay = append(pdelay, at(evPdelay))
		}
		if e.ev&evMgmtRequest != 0 {
			mgmt = append(mgmt, at(evMgmtRequest))
		}
	}
	for _, l := range [][]Evidence{gm, relay, master, follower, pdelay, mgmt} {
		sortEvidence(l) // shards report in no particular order
	}
	var roles []Role
	switch {
	case len(gm) > 0:
		roles = append(roles, newRole("grandmaster", gm))
		if len(follower) > 0 {
			// A grandmaster-capable clock that currently follows another is
			// a backup grandmaster, not a boundary clock.
			roles = append(roles, newRole("ordinary clock (follower)", follower))
		}
	case len(relay) > 0 || (len(master) > 0 && len(follower) > 0):
		roles = append(roles, newRole("boundary clock", append(append(relay, follower...), master...)))
	case len(master) > 0:
		roles = append(roles, newRole("ordinary clock (leader)", master))
	case len(follower) > 0:
		roles = append(roles, newRole("ordinary clock (follower)", follower))
	}
	switch {
	case len(pdelay) >= 2 && len(roles) == 0:
		// Several ports that only measure peer delay: a P2P transparent
		// clock, which forwards Sync without originating any.
		roles = append(roles, newRole("transparent clock (peer-to-peer)", pdelay))
	case len(pdelay) == 1 && len(roles) == 0:
		// One such port: a follower in a peer-to-peer domain, which sends
		// nothing but Pdelay_Req.
		roles = append(roles, newRole(roleP2PFollower, pdelay))
	}
	if len(mgmt) > 0 {
		roles = append(roles, newRole("management node", mgmt))
	}
	return roles
}

const roleP2PFollower = "ordinary clock (follower, peer-to-peer)"

// markP2PFollowers gives the port of a peer-to-peer follower, which only
// sends Pdelay_Req, the inferred state SLAVE, and recounts followers.
func markP2PFollowers(s *Snapshot) {
	followers := map[string]bool{}
	for _, d := range s.Devices {
		for _, r := range d.Roles {
			if r.Role == roleP2PFollower {
				followers[d.ClockIdentity] = true
			}
		}
	}
	if len(followers) == 0 {
		return
	}
	added := map[string]int{}
	for i := range s.Instances {
		in := &s.Instances[i]
		if followers[in.ClockIdentity] && in.PortState == StateUnknown {
			in.PortState, in.StateSource = StateSlave, Inferred
			added[in.Scope]++
		}
	}
	for i := range s.Scopes {
		s.Scopes[i].Followers += added[s.Scopes[i].Name]
	}
}

// buildHierarchy draws, per scope, the grandmaster's port with the ports
// that follow it. A follower whose clock is a master in another scope (a
// boundary clock) carries that scope's tree beneath it.
func buildHierarchy(s *Snapshot) []TreeNode {
	type scopeTree struct {
		root     *Instance
		children []*Instance
	}
	trees := map[string]*scopeTree{}
	byPort := map[string]*Instance{} // scope + port → instance
	for i := range s.Instances {
		in := &s.Instances[i]
		byPort[in.Scope+"|"+in.PortIdentity] = in
	}
	for _, sc := range s.Scopes {
		t := &scopeTree{}
		if sc.Grandmaster != nil {
			t.root = byPort[sc.Name+"|"+sc.Grandmaster.AnnouncedBy]
		}
		trees[sc.Name] = t
	}
	for i := range s.Instances {
		in := &s.Instances[i]
		t := trees[in.Scope]
		if t == nil || in == t.root {
			continue
		}
		if in.PortState == StateSlave || in.PortState == StateUncalibrated || in.Parent != "" {
			t.children = append(t.children, in)
		}
	}
	// masterScopes: clock → scopes where it is the announcing master.
	masterScopes := map[string][]string{}
	for name, t := range trees {
		if t.root != nil {
			masterScopes[t.root.ClockIdentity] = append(masterScopes[t.root.ClockIdentity], name)
		}
	}
	var node func(in *Instance, link Provenance, seen map[string]bool) TreeNode
	node = func(in *Instance, link Provenance, seen map[string]bool) TreeNode {
		n := TreeNode{PortIdentity: in.PortIdentity, Scope: in.Scope, PortState: in.PortState, Link: link, Role: "follower"}
		for _, sc := range masterScopes[in.ClockIdentity] {
			if seen[sc] || sc == in.Scope {
				continue
			}
			seen[sc] = true
			t := trees[sc]
			n.Role = "boundary clock"
			sub := node(t.root, link, seen)
			sub.Role = "boundary clock master port"
			for _, c := range t.children {
				l := Inferred
				if c.Parent == t.root.PortIdentity {
					l = Measured
				}
				sub.Children = append(sub.Children, node(c, l, seen))
			}
			n.Children = append(n.Children, sub)
		}
		return n
	}
	var out []TreeNode
	names := make([]string, 0, len(trees))
	for name := range trees {
		names = append(names, name)
	}
	sort.Strings(names)
	// Grandmaster scopes first; scopes served by a boundary clock hang
	// beneath it, and those whose boundary clock was never seen following
	// anyone stand alone afterwards.
	nested := map[string]bool{}
	tree := func(name, role string) TreeNode {
		t := trees[name]
		nested[name] = true
		root := TreeNode{PortIdentity: t.root.PortIdentity, Scope: name, Role: role, PortState: t.root.PortState}
		for _, c := range t.children {
			l := Inferred
			if c.Parent == t.root.PortIdentity {
				l = Measured
			}
			root.Children = append(root.Children, node(c, l, nested))
		}
		return root
	}
	for _, name := range names {
		t := trees[name]
		if t.root != nil && t.root.Announce != nil && t.root.Announce.StepsRemoved == 0 && !nested[name] {
			out = append(out, tree(name, "grandmaster"))
		}
	}
	for _, name := range names {
		if t := trees[name]; t.root != nil && !nested[name] {
			out = append(out, tree(name, "master (grandmaster not seen)"))
		}
	}
	return out
}
