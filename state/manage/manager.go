package manage

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
)

// Sender transmits a complete Ethernet frame on a capture interface (the
// index is Path.Interface). *capture.Capture is one.
type Sender interface {
	Send(ifIndex int, frame []byte) (sentAt int64, err error)
}

// Scope is one place a sweep asks: a segment, domain, transport and VLAN.
type Scope struct {
	Segment   uint16
	Domain    uint8
	Transport decode.Transport
	VLAN      uint16 // NoVLAN for untagged
	// Subdomain is the PTPv1 subdomain name, NUL padded; zero for a
	// PTPv2 scope (whose Domain counts).
	Subdomain [16]byte
}

// V1 reports whether sc is a PTPv1 subdomain.
func (sc Scope) V1() bool { return sc.Subdomain != [16]byte{} }

// Env is what a Manager needs from the appliance. Every func is called
// from the sweeping goroutine and must be safe to call from it.
type Env struct {
	Sender Sender
	// Paths lists the interfaces requests may leave from.
	Paths func() []Path
	// Seen lists the scopes seen on the wire (PTPv2 only), for the default
	// domain list and for the transports and VLANs to ask over.
	Seen func() []Scope
	// Dropping reports whether the capture is dropping frames now; a sweep
	// waits while it does. Nil means never.
	Dropping func() bool
	// Now returns the time in ns since the Unix epoch; nil means the
	// system clock. Tests set it.
	Now func() int64
	// Event, when set, receives the events sweeps raise (Identity Drift).
	// It is called with the Manager's mutex held and must not call back.
	Event func(state.Event)
}

// Status is the answer state of one ID asked of one node.
type Status string

// Answer states.
const (
	Answered Status = "answered" // a RESPONSE came
	Refused  Status = "refused"  // a MANAGEMENT_ERROR_STATUS came (such as NOT_SUPPORTED)
	Ignored  Status = "ignored"  // nothing came after every retry
)

// Node states.
const (
	Online  = "online"  // answered every ID asked in the last sweep
	Partial = "partial" // answered some, ignored or refused others
	Offline = "offline" // did not answer the last sweep
	Dropped = "dropped" // forgotten after DropAfterDays without an answer
)

// NodeKey identifies a node: one clock as seen in one scope.
type NodeKey struct {
	Scope
	Clock decode.ClockIdentity
}

type addrKey struct {
	Segment uint16
	Addr    netip.Addr
}

type idKey struct {
	Port uint16 // decode.AllPorts for clock-scoped IDs
	ID   decode.ManagementID
}

type idStat struct {
	status     Status
	errID      uint16
	errText    []byte
	sweep      uint64
	askedAt    int64
	answeredAt int64
	tries      int
	from       decode.PortIdentity
	data       []byte // copy of the last answer's data field, reused
}

type node struct {
	key         NodeKey
	addr        netip.Addr
	mac         [6]byte
	numberPorts uint16
	// port is the portNumber that answered discovery: clock-scoped
	// follow-ups target it, as pmc's TARGET does (ptpd 2.3.1 ignores a
	// GET naming its clock with the all-ports wildcard).
	port       uint16
	firstSeen  int64
	lastAnswer int64
	// lastSet is when the node last reported a port MASTER or SLAVE: the
	// audit server's "time since last set" counts from it.
	lastSet int64
	sweep   uint64 // last sweep whose discovery it answered
	status  string
	ids     map[idKey]*idStat
}

type pendingKind uint8

const (
	kindDiscovery pendingKind = iota + 1
	kindFollowUp
	kindQuery
)

type pending struct {
	kind     pendingKind
	seq      uint16
	req      Request
	path     Path
	node     *node
	key      idKey
	sentAt   int64
	deadline int64
	tries    int
	replies  int
	done     bool
	sink     func(r *Reply) // kindQuery
}

// Reply is one decoded management answer, as Query returns it. Data is a
// copy owned by the Reply.
type Reply struct {
	At        int64               `json:"at"`
	From      decode.PortIdentity `json:"-"`
	Source    string              `json:"from"`
	Address   string              `json:"address,omitempty"`
	Sequence  uint16              `json:"sequence"`
	Action    string              `json:"action"`
	ID        decode.ManagementID `json:"-"`
	IDName    string              `json:"id"`
	ErrorID   uint16              `json:"errorId,omitempty"`
	Error     string              `json:"error,omitempty"`
	ErrorText string              `json:"errorText,omitempty"`
	Data      []byte              `json:"-"`
	Fields    []Field             `json:"fields,omitempty"`
}

// Summary describes one sweep.
type Summary struct {
	Number    uint64   `json:"number"`
	Started   int64    `json:"started"`
	Finished  int64    `json:"finished,omitempty"`
	Scopes    int      `json:"scopes"`
	Sent      int      `json:"framesSent"`
	Retries   int      `json:"retries"`
	Replies   int      `json:"replies"`
	Capped    int      `json:"repliesOverCap"`
	Unmatched int      `json:"repliesUnmatched"`
	OverLimit int      `json:"nodesOverLimit"`
	PausedMs  int64    `json:"pausedMs"`
	Nodes     int      `json:"nodes"`
	Online    int      `json:"online"`
	Partial   int      `json:"partial"`
	Offline   int      `json:"offline"`
	Dropped   int      `json:"dropped"`
	Errors    []string `json:"errors,omitempty"`
}

// Manager runs management sweeps and keeps what nodes answered. Its
// methods are safe for concurrent use.
type Manager struct {
	// Master is the master check sharing this Manager's identity and
	// paths, when Attach made one.
	Master *MasterChecker

	env  Env
	self atomic.Pointer[decode.PortIdentity]

	mu       sync.Mutex
	settings Settings
	lim      *limiter
	seq      uint16
	pending  map[uint16]*pending
	nodes    map[NodeKey]*node
	byAddr   map[addrKey]decode.ClockIdentity // who answered from each address
	sweeps   uint64
	sweeping bool
	paused   bool
	cur      *Summary
	last     *Summary
	dropped  int

	wake     chan struct{}
	trigger  chan struct{}
	changed  chan struct{}
	frameBuf []byte

	store    Persister // nil until Persist
	storeErr string
}

// New returns a Manager with the given settings, which must be valid.
func New(s Settings, env Env) (*Manager, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if env.Now == nil {
		env.Now = func() int64 { return time.Now().UnixNano() }
	}
	m := &Manager{env: env, settings: s, lim: newLimiter(s.Rate, s.GlobalRate), pending: map[uint16]*pending{},
		nodes: map[NodeKey]*node{}, byAddr: map[addrKey]decode.ClockIdentity{}, wake: make(chan struct{}, 1), trigger: make(chan struct{}, 1), changed: make(chan struct{}, 1)}
	m.setSelf(s)
	return m, nil
}

func (m *Manager) setSelf(s Settings) {
	if s.PortIdentity != "" {
		p, _ := ParsePortIdentity(s.PortIdentity)
		m.self.Store(&p)
		return
	}
	if m.env.Paths != nil {
		for _, p := range m.env.Paths() {
			id := SelfIdentity(p.MAC)
			m.self.Store(&id)
			return
		}
	}
	id := SelfIdentity([6]byte{0x02, 0x70, 0x77, 0, 0, 1})
	m.self.Store(&id)
}

// Self returns ptpwatch's own portIdentity, the source of its requests.
func (m *Manager) Self() decode.PortIdentity { return *m.self.Load() }

// Settings returns the current settings.
func (m *Manager) Settings() Settings {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.settings
	s.IDs = append([]string(nil), s.IDs...)
	return s
}

// SetSettings validates s and makes it current; a sweep in progress
// finishes with the settings it started with.
func (m *Manager) SetSettings(s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	m.mu.Lock()
	old := m.settings
	m.settings = s
	if old.Rate != s.Rate || old.GlobalRate != s.GlobalRate {
		m.lim = newLimiter(s.Rate, s.GlobalRate)
	}
	m.mu.Unlock()
	m.setSelf(s)
	select {
	case m.changed <- struct{}{}:
	default:
	}
	return nil
}

// ErrSweepRunning is returned by SweepNow while a sweep is in progress.
var ErrSweepRunning = errors.New("manage: a sweep is already running")

// SweepNow asks Run to start a sweep at once, whether or not periodic
// sweeps are enabled.
func (m *Manager) SweepNow() error {
	m.mu.Lock()
	running := m.sweeping
	m.mu.Unlock()
	if running {
		return ErrSweepRunning
	}
	select {
	case m.trigger <- struct{}{}:
	default:
	}
	return nil
}

// Run sweeps every Interval while Enabled, and whenever SweepNow asks,
// until ctx ends.
func (m *Manager) Run(ctx context.Context) error {
	var next time.Time
	for {
		s := m.Settings()
		var tick <-chan time.Time
		var t *time.Timer
		if s.Enabled {
			if next.IsZero() {
				next = time.Now()
			}
			t = time.NewTimer(time.Until(next))
			tick = t.C
		} else {
			next = time.Time{}
		}
		var stop, changed bool
		select {
		case <-ctx.Done():
			stop = true
		case <-m.changed:
			changed = true
		case <-m.trigger:
		case <-tick:
		}
		if t != nil {
			t.Stop()
		}
		if stop {
			return ctx.Err()
		}
		if changed {
			continue
		}
		started := time.Now()
		m.Sweep(ctx)
		next = started.Add(time.Duration(s.Interval) * time.Second)
	}
}

// HandleFrame takes a captured frame that may be a reply to one of our
// requests; seg is the segment it was captured on and at its capture time.
// Frames that are not management RESPONSE or ACKNOWLEDGE messages
// addressed to our portIdentity return at once without locking or
// allocating, so it can sit in the per-frame path.
func (m *Manager) HandleFrame(f *decode.Frame, seg uint16, at int64) {
	if f.Result == decode.ResultOK && f.Version == 1 {
		if self := m.self.Load(); self != nil && isV1Reply(f, SelfUUID(*self)) {
			m.mu.Lock()
			m.handleV1Reply(f, seg, at)
			m.mu.Unlock()
		}
		return
	}
	if f.Result != decode.ResultOK || f.Version != 2 || f.PTP.MessageType&0x0f != decode.Management {
		return
	}
	h := &f.PTP.Management
	if h.Action != decode.ActionResponse && h.Action != decode.ActionAcknowledge {
		return
	}
	if self := m.self.Load(); self == nil || f.PTP.TargetPort != *self {
		return
	}
	m.mu.Lock()
	m.handleReply(f, seg, at)
	m.mu.Unlock()
}

func (m *Manager) handleReply(f *decode.Frame, seg uint16, at int64) {
	msg := &f.PTP
	h := &msg.Management
	p := m.pending[msg.Sequence]
	if p == nil {
		if m.cur != nil {
			m.cur.Unmatched++
		}
		return
	}
	p.replies++
	if m.cur != nil {
		m.cur.Replies++
	}
	switch p.kind {
	case kindQuery:
		r := Reply{At: at, From: msg.Source, Source: msg.Source.String(), Sequence: msg.Sequence, Action: h.Action.String(),
			ID: h.ID, IDName: h.ID.String(), Data: append([]byte(nil), h.Data...)}
		if f.SrcIP.IsValid() {
			r.Address = f.SrcIP.String()
		}
		if h.TLVType == decode.TLVManagementErrorStatus {
			r.ErrorID, r.Error, r.ErrorText = h.ErrorID, decode.ManagementErrorID(h.ErrorID).String(), string(errorText(h.Data))
		} else {
			r.Fields, _ = Describe(h.ID, r.Data)
		}
		p.sink(&r)
	case kindDiscovery:
		if p.replies > m.settings.ReplyCap {
			if m.cur != nil {
				m.cur.Capped++
			}
			return
		}
		key := NodeKey{Scope: Scope{Segment: p.path.Segment, Domain: msg.Domain, Transport: f.Transport, VLAN: NoVLAN}, Clock: msg.Source.Clock}
		if f.NumVLANs > 0 {
			key.VLAN = f.VLANs[f.NumVLANs-1].VID
		}
		n := m.discovered(key, f, at, msg.Source)
		if n == nil {
			return
		}
		if h.TLVType == decode.TLVManagement && h.ID == decode.MgmtIDDefaultDataSet && len(h.Data) >= 4 {
			n.numberPorts = uint16(h.Data[2])<<8 | uint16(h.Data[3])
		}
		m.record(n, idKey{Port: decode.AllPorts, ID: h.ID}, v2Answer(msg), at, p.sentAt)
	case kindFollowUp:
		if msg.Source.Clock != p.node.key.Clock {
			return
		}
		m.followedUp(p, f, at, v2Answer(msg))
	}
}

// answer is one reply's content, whichever PTP version carried it.
type answer struct {
	from    decode.PortIdentity
	refused bool // MANAGEMENT_ERROR_STATUS
	errID   uint16
	data    []byte // the data field (v2) or messageParameters (v1); the error's text when refused
}

func v2Answer(msg *decode.Message) answer {
	h := &msg.Management
	return answer{from: msg.Source, refused: h.TLVType == decode.TLVManagementErrorStatus, errID: h.ErrorID, data: h.Data}
}

// discovered returns the node key answering discovery (made when new,
// unless the node limit is reached: then nil) with its address noted.
func (m *Manager) discovered(key NodeKey, f *decode.Frame, at int64, from decode.PortIdentity) *node {
	n := m.nodes[key]
	if n == nil {
		if len(m.nodes) >= m.settings.NodeLimit {
			if m.cur != nil {
				m.cur.OverLimit++
			}
			return nil
		}
		n = &node{key: key, firstSeen: at, ids: map[idKey]*idStat{}}
		m.nodes[key] = n
	}
	m.drift(n, f.SrcIP, at)
	n.addr, n.mac, n.lastAnswer, n.sweep, n.port = f.SrcIP, f.Src, at, m.sweeps, from.Port
	return n
}

// followedUp records the answer to follow-up p and wakes the sweep.
func (m *Manager) followedUp(p *pending, f *decode.Frame, at int64, a answer) {
	if p.done {
		return
	}
	n := p.node
	n.lastAnswer = at
	if f.SrcIP.IsValid() {
		n.addr = f.SrcIP
	}
	st := m.record(n, p.key, a, at, p.sentAt)
	st.tries = p.tries
	p.done = true
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// drift raises Identity Drift when node n answers from another address
// than before, or its address answered before with another clock
// identity. It allocates only then.
func (m *Manager) drift(n *node, addr netip.Addr, at int64) {
	if !addr.IsValid() {
		return
	}
	k := addrKey{n.key.Segment, addr}
	old, known := m.byAddr[k]
	if m.env.Event != nil && ((n.addr.IsValid() && n.addr != addr) || (known && old != n.key.Clock)) {
		scope := fmt.Sprintf("seg%d domain %d %s", n.key.Segment, n.key.Domain, n.key.Transport)
		if n.addr.IsValid() && n.addr != addr {
			m.env.Event(state.Event{Time: at, Type: state.IdentityDrift, Scope: scope, Subject: n.key.Clock.String(),
				Before: n.addr.String(), After: addr.String(), Detail: "a known clock answers management from a new address"})
		}
		if known && old != n.key.Clock {
			m.env.Event(state.Event{Time: at, Type: state.IdentityDrift, Scope: scope, Subject: addr.String(),
				Before: old.String(), After: n.key.Clock.String(), Detail: "a known address answers management with a new clock identity"})
		}
	}
	if !known || old != n.key.Clock {
		m.byAddr[k] = n.key.Clock
	}
}

func errorText(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	n := int(b[0])
	if 1+n > len(b) {
		n = len(b) - 1
	}
	return b[1 : 1+n]
}

// record stores an answer for k in n. It allocates only the first time n
// answers k, or when the data grows.
func (m *Manager) record(n *node, k idKey, a answer, at, asked int64) *idStat {
	st := n.ids[k]
	if st == nil {
		st = &idStat{}
		n.ids[k] = st
	}
	st.sweep, st.askedAt, st.answeredAt, st.from = m.sweeps, asked, at, a.from
	if a.refused {
		st.status, st.errID = Refused, a.errID
		st.errText = append(st.errText[:0], errorText(a.data)...)
		return st
	}
	st.status, st.errID = Answered, 0
	st.errText = st.errText[:0]
	st.data = append(st.data[:0], a.data...)
	if k.ID == decode.MgmtIDPortDataSet {
		var s decode.PortState
		switch {
		case n.key.V1() && len(a.data) > 7:
			s = v1State(decode.V1PortState(a.data[7]))
		case !n.key.V1() && len(a.data) > 10:
			s = decode.PortState(a.data[10])
		}
		if s == decode.PortStateMaster || s == decode.PortStateSlave || s == decode.PortStateGrandMaster {
			n.lastSet = at
		}
	}
	return st
}

// nextSeq returns a sequenceId no pending request uses.
func (m *Manager) nextSeq() uint16 {
	for {
		m.seq++
		if _, busy := m.pending[m.seq]; !busy {
			return m.seq
		}
	}
}

// trySend sends p's request now if the rate limits and the capture allow,
// and reports whether it did; otherwise it returns how long to wait. The
// caller holds m.mu.
func (m *Manager) trySend(p *pending) (bool, int64) {
	now := m.env.Now()
	if m.env.Dropping != nil && m.env.Dropping() {
		m.paused = true
		if m.cur != nil {
			m.cur.PausedMs += 200
		}
		return false, 200e6
	}
	m.paused = false
	if w := m.lim.wait(p.path.Segment, now); w > 0 {
		return false, w
	}
	var err error
	m.frameBuf, err = AppendRequest(m.frameBuf[:0], &p.path, m.Self(), &p.req)
	if err == nil {
		_, err = m.env.Sender.Send(p.path.Interface, m.frameBuf)
	}
	// The window records when Send returned, not when it was called: the
	// frame left in between, so the next one a second later is surely
	// more than a second after it.
	m.lim.take(p.path.Segment, m.env.Now())
	if m.cur != nil {
		m.cur.Sent++
		if p.tries > 0 {
			m.cur.Retries++
		}
		if err != nil && len(m.cur.Errors) < 20 {
			m.cur.Errors = append(m.cur.Errors, err.Error())
		}
	}
	p.tries++
	p.sentAt = now
	return true, 0
}

// sleep waits d or until ctx ends or a reply wakes it.
func (m *Manager) sleep(ctx context.Context, d int64) bool {
	t := time.NewTimer(time.Duration(d))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-m.wake:
	case <-t.C:
	}
	return true
}

// sendWhenAllowed sends p, waiting for the rate limits and the capture.
func (m *Manager) sendWhenAllowed(ctx context.Context, p *pending) bool {
	for {
		m.mu.Lock()
		ok, wait := m.trySend(p)
		m.mu.Unlock()
		if ok {
			return true
		}
		if !m.sleep(ctx, wait) {
			return false
		}
	}
}

// Scopes returns the scopes the next sweep asks, and notes on what it
// leaves out.
func (m *Manager) Scopes(s *Settings) ([]Scope, []Path, []string) {
	var paths []Path
	if m.env.Paths != nil {
		paths = m.env.Paths()
	}
	var seen []Scope
	if m.env.Seen != nil {
		seen = m.env.Seen()
	}
	conf, _ := ParseDomains(s.Domains)
	var notes []string
	var out []Scope
	done := map[Scope]bool{}
	for _, p := range paths {
		domains := conf
		if domains.Empty() {
			for _, sc := range seen {
				if sc.Segment == p.Segment && !sc.V1() {
					domains.Add(sc.Domain)
				}
			}
		}
		for _, d := range domains.List() {
			var ts []decode.Transport
			switch s.Transport {
			case "l2":
				ts = []decode.Transport{decode.TransportL2}
			case "udpv4":
				ts = []decode.Transport{decode.TransportUDPv4}
			case "udpv6":
				ts = []decode.Transport{decode.TransportUDPv6}
			default:
				have := map[decode.Transport]bool{}
				for _, sc := range seen {
					if sc.Segment == p.Segment && !sc.V1() && sc.Domain == d && !have[sc.Transport] {
						have[sc.Transport] = true
						ts = append(ts, sc.Transport)
					}
				}
				if len(ts) == 0 {
					ts = []decode.Transport{decode.TransportUDPv4}
				}
			}
			for _, t := range ts {
				if (t == decode.TransportUDPv4 && !p.IPv4.IsValid()) || (t == decode.TransportUDPv6 && !p.IPv6.IsValid()) {
					notes = append(notes, fmt.Sprintf("%s: no %s address, domain %d not asked over %s", p.Name, t, d, t))
					continue
				}
				vlans := map[uint16]bool{}
				for _, sc := range seen {
					if sc.Segment == p.Segment && !sc.V1() && sc.Domain == d && sc.Transport == t {
						vlans[sc.VLAN] = true
					}
				}
				if len(vlans) == 0 {
					vlans[NoVLAN] = true
				}
				for v := range vlans {
					sc := Scope{Segment: p.Segment, Domain: d, Transport: t, VLAN: v}
					if !done[sc] {
						done[sc] = true
						out = append(out, sc)
					}
				}
			}
		}
	}
	if s.Version == "v1" {
		out = out[:0] // PTPv1 only: the PTPv2 scopes found above are not asked
	}
	if s.Version != "v2" && (s.Transport == "any" || s.Transport == "udpv4") { // PTPv1 runs over UDPv4 only
		for _, p := range paths {
			for _, sc := range seen {
				if sc.Segment != p.Segment || !sc.V1() || done[sc] {
					continue
				}
				done[sc] = true
				if !p.IPv4.IsValid() {
					notes = append(notes, fmt.Sprintf("%s: no IPv4 address, PTPv1 subdomain %s not asked", p.Name, SubdomainName(sc.Subdomain)))
					continue
				}
				out = append(out, sc)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Segment != b.Segment {
			return a.Segment < b.Segment
		}
		if a.Subdomain != b.Subdomain {
			return string(a.Subdomain[:]) < string(b.Subdomain[:])
		}
		if a.Domain != b.Domain {
			return a.Domain < b.Domain
		}
		if a.Transport != b.Transport {
			return a.Transport < b.Transport
		}
		return a.VLAN < b.VLAN
	})
	return out, paths, notes
}

func pathFor(paths []Path, seg uint16) (Path, bool) {
	for _, p := range paths {
		if p.Segment == seg {
			return p, true
		}
	}
	return Path{}, false
}

// followQueue lists what to ask node n: clock-scoped IDs once (all ports),
// port-scoped ones per port (at most 64 ports).
func followQueue(ids []decode.ManagementID, ports uint16, v1 bool) []idKey {
	if ports == 0 {
		ports = 1
	}
	ports = min(ports, 64)
	var q []idKey
	for _, id := range ids {
		if _, ok := v1Map[id]; v1 && !ok {
			continue // no 1588-2002 equivalent
		}
		if id.IsPortScoped() {
			for p := uint16(1); p <= ports; p++ {
				q = append(q, idKey{Port: p, ID: id})
			}
		} else {
			q = append(q, idKey{Port: decode.AllPorts, ID: id})
		}
	}
	return q
}

// Sweep runs one sweep now and returns its summary.
func (m *Manager) Sweep(ctx context.Context) Summary {
	s := m.Settings()
	scopes, paths, notes := m.Scopes(&s)
	m.mu.Lock()
	m.sweeps++
	m.sweeping = true
	sweep := m.sweeps
	cur := &Summary{Number: sweep, Started: m.env.Now(), Scopes: len(scopes)}
	m.cur = cur
	m.mu.Unlock()
	_ = notes

	// Discovery: one multicast GET DEFAULT_DATA_SET per scope.
	var disc []*pending
	for _, sc := range scopes {
		path, ok := pathFor(paths, sc.Segment)
		if !ok {
			continue
		}
		m.mu.Lock()
		p := &pending{kind: kindDiscovery, seq: m.nextSeq(), path: path}
		p.req = Request{Domain: sc.Domain, Transport: sc.Transport, VLAN: sc.VLAN, Target: decode.PortIdentity{Clock: decode.AllClocks, Port: decode.AllPorts},
			Action: decode.ActionGet, ID: decode.MgmtIDDefaultDataSet, Sequence: m.seq, BoundaryHops: uint8(s.BoundaryHops),
			HopLimit: uint8(s.TTL), IPv6Scope: uint8(s.IPv6Scope), Subdomain: sc.Subdomain}
		m.pending[p.seq] = p
		m.mu.Unlock()
		disc = append(disc, p)
		if !m.sendWhenAllowed(ctx, p) {
			break
		}
	}
	collectUntil := m.env.Now() + int64(s.Collect())
	for ctx.Err() == nil {
		d := collectUntil - m.env.Now()
		if d <= 0 {
			break
		}
		m.sleep(ctx, d)
	}
	m.mu.Lock()
	for _, p := range disc {
		delete(m.pending, p.seq)
	}
	var jobs []*job
	ids := s.followIDs()
	for _, n := range m.nodes {
		if n.sweep != sweep {
			continue
		}
		path, ok := pathFor(paths, n.key.Segment)
		if !ok {
			continue
		}
		jobs = append(jobs, &job{node: n, path: path, queue: followQueue(ids, n.numberPorts, n.key.V1())})
	}
	sort.Slice(jobs, func(i, j int) bool { return string(jobs[i].node.key.Clock[:]) < string(jobs[j].node.key.Clock[:]) })
	m.mu.Unlock()

	m.runJobs(ctx, jobs, &s)

	m.mu.Lock()
	m.finish(cur, sweep, &s)
	m.sweeping, m.paused = false, false
	m.last, m.cur = cur, nil
	sum := *cur
	nodes, sweeps := m.saveLocked()
	m.mu.Unlock()
	m.save(nodes, sweeps)
	return sum
}

// finish sets each node's status from what it answered in sweep and drops
// nodes silent for longer than DropAfterDays.
func (m *Manager) finish(cur *Summary, sweep uint64, s *Settings) {
	now := m.env.Now()
	dropAfter := int64(s.DropAfterDays) * 86400e9
	for k, n := range m.nodes {
		if n.sweep != sweep {
			if now-n.lastAnswer > dropAfter {
				delete(m.nodes, k)
				m.dropped++
				cur.Dropped++
				continue
			}
			n.status = Offline
			cur.Offline++
			continue
		}
		var answered, other int
		for k, st := range n.ids {
			switch {
			case st.sweep != sweep:
			case st.status == Answered:
				answered++
			case !k.ID.IsImplementationSpecific():
				// Implementation-specific IDs (linuxptp's _NP ones) are
				// asked where the node answers them: not answering
				// them does not make a node partial.
				other++
			}
		}
		switch {
		case other == 0 || (s.KeepPartialOnline && answered > 0):
			n.status = Online
			cur.Online++
		default:
			n.status = Partial
			cur.Partial++
		}
	}
	cur.Nodes = len(m.nodes)
	cur.Finished = now
}

// job is the follow-up work for one node: at most one request of it is
// outstanding at any time.
type job struct {
	node  *node
	path  Path
	queue []idKey
	next  int
	p     *pending
	retry bool
}

// runJobs sends every job's queue, one request per node at a time, round
// robin across nodes, within the rate limits, retrying with backoff.
func (m *Manager) runJobs(ctx context.Context, jobs []*job, s *Settings) {
	timeout := int64(s.Timeout())
	rr := 0
	for ctx.Err() == nil {
		m.mu.Lock()
		now := m.env.Now()
		wait := int64(time.Second)
		active := 0
		for _, j := range jobs {
			p := j.p
			if p != nil && !j.retry {
				switch {
				case p.done:
					delete(m.pending, p.seq)
					j.p = nil
					j.next++
				case now >= p.deadline && p.tries <= s.Retries:
					j.retry = true
				case now >= p.deadline:
					st := j.node.ids[p.key]
					if st == nil {
						st = &idStat{}
						j.node.ids[p.key] = st
					}
					st.status, st.sweep, st.askedAt, st.tries = Ignored, m.sweeps, p.sentAt, p.tries
					delete(m.pending, p.seq)
					j.p = nil
					j.next++
				default:
					wait = min(wait, p.deadline-now)
				}
			}
			if j.p != nil || j.next < len(j.queue) {
				active++
			}
		}
		if active == 0 {
			m.mu.Unlock()
			return
		}
		for k := range jobs {
			j := jobs[(rr+k)%len(jobs)]
			if (j.p != nil && !j.retry) || (j.p == nil && j.next >= len(j.queue)) {
				continue
			}
			p := j.p
			if p == nil {
				key := j.queue[j.next]
				p = &pending{kind: kindFollowUp, seq: m.nextSeq(), path: j.path, node: j.node, key: key}
				tport := key.Port
				if tport == decode.AllPorts && j.node.port != 0 {
					tport = j.node.port
				}
				p.req = Request{Domain: j.node.key.Domain, Transport: j.node.key.Transport, VLAN: j.node.key.VLAN,
					Target: decode.PortIdentity{Clock: j.node.key.Clock, Port: tport}, Action: decode.ActionGet, ID: key.ID,
					Sequence: p.seq, BoundaryHops: uint8(s.BoundaryHops), HopLimit: uint8(s.TTL), IPv6Scope: uint8(s.IPv6Scope),
					Subdomain: j.node.key.Subdomain}
				if s.FollowUps == "unicast" {
					p.req.DstMAC = j.node.mac
					if j.node.key.Transport != decode.TransportL2 {
						p.req.DstIP = j.node.addr
					}
					if p.req.DstMAC == ([6]byte{}) || (j.node.key.Transport != decode.TransportL2 && !p.req.DstIP.IsValid()) {
						p.req.DstMAC, p.req.DstIP = [6]byte{}, netip.Addr{}
					}
				}
			}
			ok, w := m.trySend(p)
			if !ok {
				wait = min(wait, w)
				if w >= 200e6 { // paused: the capture is dropping
					break
				}
				continue
			}
			if j.p == nil {
				j.p = p
				m.pending[p.seq] = p
			}
			j.retry = false
			p.deadline = p.sentAt + timeout<<(p.tries-1)
			wait = min(wait, p.deadline-p.sentAt)
			rr = (rr + k + 1) % len(jobs)
		}
		m.mu.Unlock()
		if wait < int64(time.Millisecond) {
			wait = int64(time.Millisecond)
		}
		m.sleep(ctx, wait)
	}
}

// Query sends one request on path and hands every reply that arrives
// within wait to sink (on the capture goroutine; sink must not block).
// Unicast requests are sent as given. It waits for the rate limit.
func (m *Manager) Query(ctx context.Context, path Path, req Request, wait time.Duration, sink func(*Reply)) error {
	m.mu.Lock()
	p := &pending{kind: kindQuery, seq: m.nextSeq(), path: path, sink: sink}
	req.Sequence = p.seq
	p.req = req
	m.pending[p.seq] = p
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.pending, p.seq)
		m.mu.Unlock()
	}()
	var sendErr error
	for {
		m.mu.Lock()
		var err error
		m.frameBuf, err = AppendRequest(m.frameBuf[:0], &path, m.Self(), &p.req)
		if err != nil {
			m.mu.Unlock()
			return err
		}
		w := m.lim.wait(path.Segment, m.env.Now())
		if w == 0 {
			_, sendErr = m.env.Sender.Send(path.Interface, m.frameBuf)
			m.lim.take(path.Segment, m.env.Now())
		}
		m.mu.Unlock()
		if w == 0 {
			break
		}
		if !m.sleep(ctx, w) {
			return ctx.Err()
		}
	}
	if sendErr != nil {
		return fmt.Errorf("manage: send %s: %w", req.ID, sendErr)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
	return nil
}
