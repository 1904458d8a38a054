package sim

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/netip"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// portKind is what a port does in its scope.
type portKind uint8

const (
	pkCandidate portKind = iota + 1 // a grandmaster's or ordinary master's port
	pkBCMaster                      // a boundary clock's master port
	pkSlave                         // a follower's port or a boundary clock's slave port
	pkTC                            // a transparent clock's port
	pkMgmt                          // a management node's port
)

// dataset is what a master port announces: the grandmaster's priorities,
// quality and identity, its time properties, and the distance to it.
type dataset struct {
	p1, p2 uint8
	q      decode.ClockQuality
	gm     decode.ClockIdentity
	gmUUID [6]byte // the grandmaster's PTPv1 UUID
	steps  uint16
	ts     decode.TimeSource
	utc    int16
	flags  decode.Flags // time property flags only
}

// compare orders data sets as the 1588 data set comparison does for
// announces from different grandmasters (§9.3.4): priority1, clockClass,
// clockAccuracy, offsetScaledLogVariance, priority2, identity; for the same
// grandmaster, fewer steps win. It returns a negative number when a is
// better.
func (a *dataset) compare(b *dataset) int {
	switch {
	case a.gm == b.gm:
		return int(a.steps) - int(b.steps)
	case a.p1 != b.p1:
		return int(a.p1) - int(b.p1)
	case a.q.Class != b.q.Class:
		return int(a.q.Class) - int(b.q.Class)
	case a.q.Accuracy != b.q.Accuracy:
		return int(a.q.Accuracy) - int(b.q.Accuracy)
	case a.q.OffsetScaledLogVariance != b.q.OffsetScaledLogVariance:
		return int(a.q.OffsetScaledLogVariance) - int(b.q.OffsetScaledLogVariance)
	case a.p2 != b.p2:
		return int(a.p2) - int(b.p2)
	}
	for i := range a.gm {
		if a.gm[i] != b.gm[i] {
			return int(a.gm[i]) - int(b.gm[i])
		}
	}
	return 0
}

type clock struct {
	name      string
	role      Role
	mac       [6]byte
	ownID, id decode.ClockIdentity
	uuid      [6]byte
	ip4, ip6  netip.Addr
	segment   uint16
	enabled   bool
	syncLoss  bool
	v1        bool
	oneStep   bool
	ds        dataset // own data set; ds.gm is unused (id is)
	drift     float64 // ppb
	offset    float64 // ns
	jitter    float64 // ns
	residence int64   // transparent clocks
	query     int64   // management nodes
	ports     []int32
	up        int32 // the slave port of a follower or boundary clock; -1 otherwise
}

type port struct {
	clock, scope int32
	number       uint16
	kind         portKind
	state        PortState
	hybrid       bool // Delay_Req and Delay_Resp unicast (hybrid and unicast modes)
	unicast      bool // negotiates unicast Announce and Sync
	mac          [6]byte
	id           decode.PortIdentity
	pathDelay    int64 // one way, port to tap
	parent       int32 // slave ports: the master port followed; -1 for none
	peer         int32 // P2P: the link partner; -1 for none
	listenUntil  int64 // a started master-capable port takes part in BMCA from here

	enc     decode.Encapsulation // multicast, from this port
	uniEnc  decode.Encapsulation // hybrid: Delay_Req from this slave port to its parent
	respEnc decode.Encapsulation // hybrid: Delay_Resp from the parent to this slave port
	tmpl    decode.Message       // header fields fixed for this port
	v1tmpl  decode.V1Message

	seq      [16]uint16 // next sequenceId per PTPv2 message type (PTPv1 uses the Sync and Delay_Req slots)
	trace    []byte     // Announce path trace TLV, rebuilt per Announce
	fuInfo   []byte     // 802.1AS Follow_Up information TLV
	mgmtData []byte     // CURRENT_DATA_SET in a management response
	sig      []byte     // unicast negotiation TLVs of a Signaling message

	// Periodic timers run on an ideal grid, so noise never accumulates.
	syncGrid, annGrid, pdGrid, mgmtGrid int64

	// The exchange in flight, kept by the port its one-shot timer names.
	syncSeq     uint16
	syncPrecise int64 // master's timestamp of the Sync's departure
	fuCorr      int64 // transparent clock residence for the Follow_Up, ns
	drSeq       uint16
	drMaster    int32
	drT2        int64 // master's timestamp of the Delay_Req's arrival
	drCorr      int64 // residence of the Delay_Req, ns
	pdSeq       uint16
	pdPeer      int32
	pdT2, pdT3  int64
	mgSeq       uint16
	mgFrom      int32

	// Unicast service of a follower in Unicast mode: the master that
	// granted it, until when, and the streams the master sends it, with
	// their own sequenceId pools (§7.3.7: one per destination).
	granted             int32
	grantUntil          int64
	uAnnGrid, uSyncGrid int64
	useq                [16]uint16
	usSeq               uint16
	usPrecise, usFUCorr int64
}

type scope struct {
	cfg       Scope
	name      string
	iface     uint16
	segment   uint16
	version   uint8
	subdomain string
	v1        bool
	p2p       bool
	gptp      bool // majorSdoId 1: 802.1AS TLVs
	transport decode.Transport
	vlans     []decode.VLANTag

	logSync, logAnn, logDreq, logPdelay int8
	syncNs, annNs, dreqNs, pdelayNs     int64
	timeoutNs                           int64
	grantNs                             int64

	cands, slaves, tcPorts, mgmts []int32
	tc                            int32 // transparent clock index; -1 for none

	// master is the port BMCA elected; followed is the one the slaves
	// follow, which lags master by the announce qualification time;
	// yielding is an old master still announcing until the slaves move.
	master, followed, yielding int32

	haveGM bool
	lastGM decode.ClockIdentity
	lastDS dataset
}

// Network is a running simulation. It implements source.Source: Next
// returns its frames in capture order. A Network is not safe for
// concurrent use.
type Network struct {
	opts   Options
	start  int64
	end    int64 // 0 for endless
	now    int64
	rng    *rand.Rand
	ifaces []source.Interface
	scopes []scope
	clocks []clock
	ports  []port

	actions     []Action
	repeat      int64
	clockByName map[string]int32
	scopeByName map[string]int32

	h   []item
	tie uint64

	msg    decode.Message
	v1     decode.V1Message
	buf    []byte
	frames uint64

	events    []Event
	incidents []Incident
	record    bool // events are recorded only after set-up
}

var _ source.Source = (*Network)(nil)

// New checks cfg and builds a network ready to run from opts.Start. Its
// error lists every problem found in cfg.
func New(cfg Config, opts Options) (*Network, error) {
	if opts.Duration < 0 {
		return nil, errors.New("sim: negative duration")
	}
	n := &Network{opts: opts}
	b := &builder{n: n, cfg: &cfg}
	b.validate()
	if len(b.errs) > 0 {
		return nil, errors.Join(b.errs...)
	}
	b.build()
	n.start = opts.Start
	if n.start == 0 {
		n.start = DefaultStart
	}
	n.now = n.start
	if opts.Duration > 0 {
		n.end = n.start + int64(opts.Duration)
	}
	n.rng = rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
	n.buf = make([]byte, 0, 1600)
	n.settle()
	n.schedule()
	n.record = true
	return n, nil
}

// settle puts every scope in its steady state, as if the network had run
// for a while before the capture began: the best master of each scope
// announces, the others are passive, every slave follows its master.
func (n *Network) settle() {
	for i := range n.ports {
		p := &n.ports[i]
		switch {
		case !n.clocks[p.clock].enabled:
			p.state = PortDisabled
		case p.kind == pkTC:
			p.state = PortTransparent
		case p.kind == pkMgmt:
			p.state = PortManagement
		default:
			p.state = PortListening
		}
	}
	// Boundary clocks make a scope's best master depend on the scopes
	// upstream; as many passes as scopes reach every chain's end.
	for range len(n.scopes) + 1 {
		for si := range n.scopes {
			s := &n.scopes[si]
			best := n.best(s)
			s.master, s.followed = best, best
			for _, pi := range s.cands {
				p := &n.ports[pi]
				if p.state == PortDisabled {
					continue
				}
				if pi == best {
					p.state = PortMaster
				} else {
					p.state = PortPassive
				}
			}
			for _, pi := range s.slaves {
				n.attach(pi, best)
			}
		}
	}
	for si := range n.scopes {
		n.noteGM(int32(si))
	}
}

// schedule puts every periodic timer and the scenario in the heap, each
// timer at a random phase so clocks do not fire in lockstep.
func (n *Network) schedule() {
	n.h = make([]item, 0, 8*len(n.ports)+2*len(n.actions)+4*len(n.scopes)+16)
	for i := range n.ports {
		pi := int32(i)
		p := &n.ports[i]
		s := &n.scopes[p.scope]
		switch p.kind {
		case pkCandidate, pkBCMaster:
			if !s.v1 { // PTPv1 announces in its Sync messages
				p.annGrid = n.start + n.rng.Int64N(s.annNs)
				n.push(item{emit: p.annGrid, at: p.annGrid + p.pathDelay + n.fwd(s), idx: pi, kind: kAnnounce})
			}
			p.syncGrid = n.start + n.rng.Int64N(s.syncNs)
			n.push(item{emit: p.syncGrid, at: p.syncGrid + p.pathDelay + n.fwd(s), idx: pi, kind: kSync})
		case pkSlave:
			if !s.p2p {
				e := n.start + n.rng.Int64N(2*s.dreqNs)
				n.push(item{emit: e, at: e + p.pathDelay, idx: pi, kind: kDelayReq})
			}
			if p.unicast {
				// In steady state the grant is in force and the renewal
				// falls somewhere in its second half.
				p.granted, p.grantUntil = p.parent, n.start+s.grantNs/2+n.rng.Int64N(s.grantNs/2)
				e := p.grantUntil - s.grantNs/2
				n.push(item{emit: e, at: e + p.pathDelay, idx: pi, kind: kSignal})
				p.uAnnGrid = n.start + n.rng.Int64N(s.annNs)
				n.push(item{emit: p.uAnnGrid, at: p.uAnnGrid, idx: pi, kind: kUAnnounce})
				p.uSyncGrid = n.start + n.rng.Int64N(s.syncNs)
				n.push(item{emit: p.uSyncGrid, at: p.uSyncGrid, idx: pi, kind: kUSync})
			}
		case pkMgmt:
			c := &n.clocks[p.clock]
			p.mgmtGrid = n.start + n.rng.Int64N(c.query)
			n.push(item{emit: p.mgmtGrid, at: p.mgmtGrid + p.pathDelay, idx: pi, kind: kMgmtReq})
		}
		if s.p2p && p.peer >= 0 {
			p.pdGrid = n.start + n.rng.Int64N(s.pdelayNs)
			n.push(item{emit: p.pdGrid, at: p.pdGrid + n.tap(pi), idx: pi, kind: kPdelayReq})
		}
	}
	for i, a := range n.actions {
		t := n.start + int64(a.At)
		n.push(item{emit: t, at: t, idx: int32(i), kind: kAction})
	}
}

// Interfaces lists one capture interface per segment.
func (n *Network) Interfaces() []source.Interface { return n.ifaces }

// Close does nothing; a Network holds no resources beyond memory.
func (n *Network) Close() error { return nil }

// Now returns the virtual time of the last frame or action, ns since the
// Unix epoch.
func (n *Network) Now() int64 { return n.now }

// Frames counts the frames Next has returned.
func (n *Network) Frames() uint64 { return n.frames }

// Next fills f with the next frame in capture order. f.Data aliases the
// network's buffer until the next call. It returns io.EOF once the next
// frame would be captured at or after Start+Duration, and ctx's error when
// ctx has ended. It does not allocate in steady state.
func (n *Network) Next(ctx context.Context, f *source.Frame) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for idle := 1; len(n.h) > 0; idle++ {
		it := n.h[0]
		if n.end != 0 && it.at >= n.end {
			return io.EOF
		}
		n.now = it.at
		p := n.fire(&it)
		if p < 0 {
			// Timers of silent ports fire without sending; a network
			// with every clock stopped would spin here for ever, so
			// look at ctx now and then.
			if idle%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			continue
		}
		n.frames++
		*f = source.Frame{
			Data:      n.buf,
			OrigLen:   len(n.buf),
			Timestamp: it.at,
			TSSource:  source.TimestampSimulated,
			Link:      decode.LinkEthernet,
			Interface: n.scopes[n.ports[p].scope].iface,
		}
		return nil
	}
	return io.EOF
}

// fire runs the first timer, it (a copy of the heap's first item). It
// reschedules or removes that item, builds a frame in n.buf when the
// timer sends one, and returns the index of the sending port, or -1 when
// nothing was sent.
func (n *Network) fire(it *item) int32 {
	switch it.kind {
	case kAnnounce:
		return n.fireAnnounce(it)
	case kSync:
		return n.fireSync(it)
	case kDelayReq:
		return n.fireDelayReq(it)
	case kPdelayReq:
		return n.firePdelayReq(it)
	case kMgmtReq:
		return n.fireMgmtReq(it)
	case kSignal:
		return n.fireSignal(it)
	case kUAnnounce:
		return n.fireUAnnounce(it)
	case kUSync:
		return n.fireUSync(it)
	case kSignalNow:
		n.pop()
		return n.sendRequest(it.idx, it.emit)
	case kGrant:
		n.pop()
		return n.sendGrant(it.idx)
	case kUFollowUp:
		n.pop()
		return n.sendUFollowUp(it.idx)
	case kFollowUp:
		n.pop()
		return n.sendFollowUp(it.idx)
	case kDelayResp:
		n.pop()
		return n.sendDelayResp(it.idx)
	case kPdelayResp:
		n.pop()
		return n.sendPdelayResp(it.idx)
	case kPdelayRespFU:
		n.pop()
		return n.sendPdelayRespFU(it.idx)
	case kMgmtResp:
		n.pop()
		return n.sendMgmtResp(it.idx)
	case kAction:
		a := n.actions[it.idx]
		if n.repeat > 0 {
			t := it.emit + n.repeat
			n.again(t, t)
		} else {
			n.pop()
		}
		n.apply(&a)
	case kReelect:
		n.pop()
		n.reelect(it.idx)
	case kAdopt:
		n.pop()
		n.adopt(it.idx)
	}
	return -1
}

// portIP returns the source address of a port on its scope's transport.
func (n *Network) portIP(pi int32) netip.Addr {
	p := &n.ports[pi]
	c := &n.clocks[p.clock]
	switch n.scopes[p.scope].transport {
	case decode.TransportUDPv4:
		return c.ip4
	case decode.TransportUDPv6:
		return c.ip6
	}
	return netip.Addr{}
}

// tap returns how long a port's frames take to reach the capture tap: its
// path delay, except for a transparent clock's ports, where the tap sits.
func (n *Network) tap(pi int32) int64 {
	p := &n.ports[pi]
	if p.kind == pkTC {
		return 0
	}
	return p.pathDelay
}

// alive reports whether a port is sending as master.
func (n *Network) alive(pi int32) bool {
	if pi < 0 {
		return false
	}
	p := &n.ports[pi]
	return p.state == PortMaster && n.clocks[p.clock].enabled
}
