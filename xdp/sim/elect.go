package sim

import (
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
)

// The simulator does not run the full best master clock algorithm on
// every port; it runs its outcome per scope. Each scope elects the best
// live master-capable port, and the timing of changes follows what real
// ports do:
//
//   - a master that goes silent keeps its slaves until their announce
//     receipt timeout runs out (timeoutNs); only then does the next best
//     clock (a PASSIVE backup) take over;
//   - a clock that starts listens for announceReceiptTimeout announce
//     intervals before it may become master;
//   - slaves adopt a new master two announce intervals after it starts
//     announcing (foreign master qualification, §9.3.2.5), and an old
//     master that hears a better one keeps announcing until then.

// announced returns the data set port pi announces as master: its clock's
// own, or for a boundary clock's master port the one its slave port
// receives, one step further away.
func (n *Network) announced(pi int32) dataset {
	for depth := 0; ; depth++ {
		p := &n.ports[pi]
		c := &n.clocks[p.clock]
		if p.kind == pkBCMaster && c.up >= 0 && depth < 16 {
			up := &n.ports[c.up]
			if up.state == PortSlave && up.parent >= 0 {
				pi = up.parent // each boundary clock on the way is one step
				continue
			}
		}
		d := c.ds
		d.gm = c.id
		d.gmUUID = c.uuid
		d.steps = uint16(depth)
		return d
	}
}

// best returns the best live master-capable port of s, or -1.
func (n *Network) best(s *scope) int32 {
	best := int32(-1)
	var bd dataset
	for _, pi := range s.cands {
		p := &n.ports[pi]
		if !n.clocks[p.clock].enabled || n.now < p.listenUntil {
			continue
		}
		d := n.announced(pi)
		if best < 0 {
			best, bd = pi, d
			continue
		}
		c := d.compare(&bd)
		if c == 0 {
			c = comparePorts(p.id, n.ports[best].id)
		}
		if c < 0 {
			best, bd = pi, d
		}
	}
	return best
}

// comparePorts breaks ties between ports announcing the same thing by the
// sender's port identity, as §9.3.4 does.
func comparePorts(a, b decode.PortIdentity) int {
	for i := range a.Clock {
		if a.Clock[i] != b.Clock[i] {
			return int(a.Clock[i]) - int(b.Clock[i])
		}
	}
	return int(a.Port) - int(b.Port)
}

// Histories are bounded so an endless demo keeps a bounded memory: past
// the limit the older half is dropped.
const (
	maxEvents    = 1 << 16
	maxIncidents = 1 << 12
)

func (n *Network) event(e Event) {
	if !n.record {
		return
	}
	e.At = n.now
	n.events = appendBounded(n.events, e, maxEvents)
}

// appendBounded appends v to s, first dropping the older half of s when
// it holds limit elements.
func appendBounded[T any](s []T, v T, limit int) []T {
	if len(s) >= limit {
		k := copy(s, s[len(s)/2:])
		clear(s[k:])
		s = s[:k]
	}
	return append(s, v)
}

func (n *Network) setState(pi int32, st PortState) {
	p := &n.ports[pi]
	if p.state == st {
		return
	}
	n.event(Event{Kind: EventPortStateChanged, Scope: n.scopes[p.scope].name, Clock: n.clocks[p.clock].name,
		Port: p.id, From: p.state, To: st})
	p.state = st
}

func (n *Network) portID(pi int32) decode.PortIdentity {
	if pi < 0 {
		return decode.PortIdentity{}
	}
	return n.ports[pi].id
}

// attach makes slave port fi follow master port mi, or listen when mi is
// -1, and points its unicast encapsulations at the new master.
func (n *Network) attach(fi, mi int32) {
	f := &n.ports[fi]
	if !n.clocks[f.clock].enabled {
		f.parent = -1
		return
	}
	if mi >= 0 {
		n.setState(fi, PortSlave)
	} else {
		n.setState(fi, PortListening)
	}
	if f.parent == mi {
		return
	}
	n.event(Event{Kind: EventParentChanged, Scope: n.scopes[f.scope].name, Clock: n.clocks[f.clock].name,
		Port: f.id, OldParent: n.portID(f.parent), NewParent: n.portID(mi)})
	f.parent = mi
	if mi < 0 {
		return
	}
	m := &n.ports[mi]
	f.uniEnc = f.enc
	f.uniEnc.DstMAC = m.mac
	f.uniEnc.DstIP = n.portIP(mi)
	f.uniEnc.HopLimit = 64
	f.respEnc = m.enc
	f.respEnc.DstMAC = f.mac
	f.respEnc.DstIP = n.portIP(fi)
	f.respEnc.HopLimit = 64
	if f.unicast && n.record {
		// Grants come from one master; ask the new one.
		f.granted = -1
		e := n.now + int64(time.Millisecond) + n.rng.Int64N(int64(10*time.Millisecond))
		n.push(item{emit: e, at: e + f.pathDelay, idx: fi, kind: kSignalNow})
	}
}

func (n *Network) pushCtl(k kind, idx int32, at int64) {
	n.push(item{emit: at, at: at, idx: idx, kind: k})
}

// reelect runs BMCA's outcome for scope si after something changed: a
// timeout ran out, a clock finished listening, a data set changed.
func (n *Network) reelect(si int32) {
	s := &n.scopes[si]
	best := n.best(s)
	old := s.master
	for _, pi := range s.cands {
		p := &n.ports[pi]
		switch {
		case !n.clocks[p.clock].enabled:
		case pi == best:
			n.setState(pi, PortMaster)
		case pi == old && best >= 0 && n.alive(pi):
			// Yields once the slaves have qualified the new master.
		case n.now < p.listenUntil:
			n.setState(pi, PortListening)
		default:
			n.setState(pi, PortPassive)
		}
	}
	if best == old {
		if best >= 0 && s.followed != best {
			n.pushCtl(kAdopt, si, n.now+2*s.annNs)
		}
		n.noteGM(si)
		n.propagate(si)
		return
	}
	s.master = best
	if best >= 0 && n.alive(old) {
		s.yielding = old
	} else {
		// The slaves' master is gone: they listen until the new one has
		// announced often enough.
		s.followed = -1
		for _, fi := range s.slaves {
			n.attach(fi, -1)
		}
	}
	if best >= 0 {
		n.pushCtl(kAdopt, si, n.now+2*s.annNs)
	}
	n.propagate(si)
}

// adopt moves the slaves of scope si to its elected master, and retires a
// master that has been outvoted.
func (n *Network) adopt(si int32) {
	s := &n.scopes[si]
	if y := s.yielding; y >= 0 {
		s.yielding = -1
		if y != s.master && n.alive(y) {
			n.setState(y, PortPassive)
		}
	}
	m := s.master
	if !n.alive(m) {
		m = -1
	}
	s.followed = m
	for _, fi := range s.slaves {
		n.attach(fi, m)
	}
	n.noteGM(si)
	n.propagate(si)
}

// propagate re-elects the scopes that boundary clocks feed from scope si:
// what their master ports announce follows what their slave ports hear.
func (n *Network) propagate(si int32) {
	s := &n.scopes[si]
	for _, fi := range s.slaves {
		c := &n.clocks[n.ports[fi].clock]
		if c.role != RoleBoundary {
			continue
		}
		for _, pi := range c.ports {
			if n.ports[pi].kind == pkBCMaster {
				n.reelect(n.ports[pi].scope)
			}
		}
	}
}

// noteGM records a grandmaster or quality change in scope si as its
// slaves see it.
func (n *Network) noteGM(si int32) {
	s := &n.scopes[si]
	if !n.alive(s.followed) {
		return
	}
	d := n.announced(s.followed)
	switch {
	case !s.haveGM:
		s.haveGM = true
	case d.gm != s.lastGM:
		n.event(Event{Kind: EventGrandmasterChanged, Scope: s.name, Clock: n.clocks[n.ports[s.followed].clock].name,
			Port: n.ports[s.followed].id, OldGM: s.lastGM, NewGM: d.gm})
	case d.q != s.lastDS.q || d.p1 != s.lastDS.p1 || d.p2 != s.lastDS.p2:
		n.event(Event{Kind: EventGrandmasterQualityChanged, Scope: s.name, Clock: n.clocks[n.ports[s.followed].clock].name,
			Port: n.ports[s.followed].id, NewGM: d.gm, Quality: d.q, OldQuality: s.lastDS.q})
	}
	s.lastGM, s.lastDS = d.gm, d
}

func (n *Network) noteAll() {
	for si := range n.scopes {
		n.noteGM(int32(si))
	}
}
