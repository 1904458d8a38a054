package sim

import (
	"strings"

	"github.com/ptpwatch/ptpwatch/decode"
)

// apply carries out one scenario action at the current virtual time.
func (n *Network) apply(a *Action) {
	n.incidents = appendBounded(n.incidents, Incident{At: n.now, Action: *a}, maxIncidents)
	ci := int32(-1)
	if a.Clock != "" {
		ci = n.clockByName[a.Clock]
	}
	switch a.Kind {
	case ActGrandmasterFailover:
		if ci < 0 {
			si := n.scopeByName[a.Scope]
			if m := n.scopes[si].master; m >= 0 {
				ci = n.ports[m].clock
			}
		}
		if ci >= 0 {
			n.stop(ci)
		}
	case ActClockClassChange:
		c := &n.clocks[ci]
		c.ds.q.Class = a.ClockClass
		if a.ClockAccuracy != 0 {
			c.ds.q.Accuracy = a.ClockAccuracy
		}
		if a.OffsetScaledLogVariance != 0 {
			c.ds.q.OffsetScaledLogVariance = a.OffsetScaledLogVariance
		}
		// Announces carry the new quality at once; a backup that is now
		// better notices at its next Announce.
		n.noteAll()
		for _, pi := range c.ports {
			if k := n.ports[pi].kind; k == pkCandidate || k == pkBCMaster {
				n.pushCtl(kReelect, n.ports[pi].scope, n.now+n.scopes[n.ports[pi].scope].annNs)
			}
		}
	case ActRogueMaster:
		if a.Priority1 != 0 {
			n.clocks[ci].ds.p1 = a.Priority1
		}
		n.startClock(ci)
	case ActDuplicateClockIdentity:
		c := &n.clocks[ci]
		id, uuid := c.ownID, c.mac
		if a.Identity != "" {
			o := &n.clocks[n.clockByName[a.Identity]]
			id, uuid = o.ownID, o.mac
			n.event(Event{Kind: EventDuplicateIdentity, Clock: c.name, Identity: id})
		}
		c.id, c.uuid = id, uuid
		for _, pi := range c.ports {
			p := &n.ports[pi]
			p.id.Clock = id
			p.tmpl.Source = p.id
			p.v1tmpl.SourceUUID = uuid
		}
		n.noteAll()
	case ActSyncLoss, ActSyncResume:
		c := &n.clocks[ci]
		lose := a.Kind == ActSyncLoss
		if c.syncLoss == lose {
			break
		}
		c.syncLoss = lose
		for _, pi := range c.ports {
			p := &n.ports[pi]
			if p.state != PortMaster || !c.enabled {
				continue
			}
			e := Event{Kind: EventSyncResumed, Scope: n.scopes[p.scope].name, Clock: c.name, Port: p.id}
			if lose {
				e.Kind, e.Announcing = EventMasterSilent, true
			}
			n.event(e)
		}
	case ActSequenceGap:
		c := &n.clocks[ci]
		mt := gapMessages[strings.ToLower(a.Message)]
		for _, pi := range c.ports {
			p := &n.ports[pi]
			if a.Scope != "" && n.scopes[p.scope].name != a.Scope {
				continue
			}
			p.seq[mt] += uint16(a.Count)
			n.event(Event{Kind: EventSequenceGap, Scope: n.scopes[p.scope].name, Clock: c.name, Port: p.id,
				Message: mt, Count: a.Count})
		}
	case ActTimeProperties:
		c := &n.clocks[ci]
		if a.UTCOffset != 0 {
			c.ds.utc = a.UTCOffset
		}
		c.ds.flags &^= decode.FlagLeap61 | decode.FlagLeap59
		if a.Leap61 {
			c.ds.flags |= decode.FlagLeap61
		}
		if a.Leap59 {
			c.ds.flags |= decode.FlagLeap59
		}
		n.noteAll()
	case ActStop:
		n.stop(ci)
	case ActStart:
		n.startClock(ci)
	}
}

// stop silences every port of clock ci. Slaves of a stopped master keep it
// until their announce receipt timeout runs out.
func (n *Network) stop(ci int32) {
	c := &n.clocks[ci]
	if !c.enabled {
		return
	}
	n.event(Event{Kind: EventClockStopped, Clock: c.name})
	for _, pi := range c.ports {
		p := &n.ports[pi]
		s := &n.scopes[p.scope]
		if p.state == PortMaster && !c.syncLoss {
			n.event(Event{Kind: EventMasterSilent, Scope: s.name, Clock: c.name, Port: p.id})
		}
		n.setState(pi, PortDisabled)
		p.parent = -1
		if pi == s.yielding {
			s.yielding = -1
		}
		if pi == s.master || pi == s.followed {
			n.pushCtl(kReelect, p.scope, n.now+s.timeoutNs)
		}
	}
	c.enabled = false
}

// startClock brings clock ci up: master-capable ports listen before they
// compete, slave ports adopt the scope's master once it qualifies.
func (n *Network) startClock(ci int32) {
	c := &n.clocks[ci]
	if c.enabled {
		return
	}
	c.enabled = true
	n.event(Event{Kind: EventClockStarted, Clock: c.name})
	for _, pi := range c.ports {
		p := &n.ports[pi]
		s := &n.scopes[p.scope]
		switch p.kind {
		case pkCandidate, pkBCMaster:
			p.listenUntil = n.now + s.timeoutNs
			n.setState(pi, PortListening)
			n.pushCtl(kReelect, p.scope, p.listenUntil)
		case pkSlave:
			n.setState(pi, PortListening)
			n.pushCtl(kAdopt, p.scope, n.now+2*s.annNs)
		case pkTC:
			n.setState(pi, PortTransparent)
		case pkMgmt:
			n.setState(pi, PortManagement)
		}
	}
}

// Events returns the changes made so far, oldest first: what a live model
// watching the frames should come to report. The slice is the network's
// own and is only valid until the next call to Next. An endless run keeps
// the most recent tens of thousands.
func (n *Network) Events() []Event { return n.events }

// Truth returns the ground truth at the current virtual time.
func (n *Network) Truth() Truth {
	t := Truth{At: n.now, Incidents: append([]Incident(nil), n.incidents...)}
	for si := range n.scopes {
		s := &n.scopes[si]
		st := ScopeTruth{
			Name: s.name, Segment: s.segment, Version: s.version, Domain: s.cfg.Domain,
			Transport: s.transport, Delay: s.cfg.Delay.norm(),
		}
		if s.v1 {
			st.Subdomain = s.subdomain
		}
		for _, v := range s.vlans {
			st.VLANs = append(st.VLANs, v.VID)
		}
		if n.alive(s.followed) {
			d := n.announced(s.followed)
			st.Master = n.ports[s.followed].id
			st.Grandmaster, st.Priority1, st.Quality, st.Priority2, st.StepsRemoved = d.gm, d.p1, d.q, d.p2, d.steps
		}
		t.Scopes = append(t.Scopes, st)
	}
	for ci := range n.clocks {
		c := &n.clocks[ci]
		ct := ClockTruth{
			Name: c.name, Role: c.role, Identity: c.id, OwnIdentity: c.ownID, MAC: c.mac, IPv4: c.ip4, IPv6: c.ip6,
			OUI: [3]byte(c.mac[:3]), Vendor: Vendor([3]byte(c.mac[:3])),
			Enabled: c.enabled, SyncLoss: c.syncLoss, Quality: c.ds.q,
		}
		if c.v1 {
			ct.UUID = c.uuid
		}
		for _, pi := range c.ports {
			p := &n.ports[pi]
			pt := PortTruth{Scope: n.scopes[p.scope].name, Port: p.id, MAC: p.mac, State: p.state}
			switch {
			case p.kind == pkSlave && p.state == PortSlave && p.parent >= 0:
				d := n.announced(p.parent)
				pt.Parent = n.ports[p.parent].id
				pt.Grandmaster, pt.StepsRemoved = d.gm, d.steps+1
			case p.state == PortMaster:
				d := n.announced(pi)
				pt.Grandmaster, pt.StepsRemoved = d.gm, d.steps
			}
			if p.kind == pkSlave && !n.scopes[p.scope].p2p {
				pt.DelayMode = Multicast
				if p.hybrid {
					pt.DelayMode = Hybrid
				}
			}
			ct.Ports = append(ct.Ports, pt)
		}
		t.Clocks = append(t.Clocks, ct)
	}
	return t
}

// Clock returns the truth about the clock named name.
func (t *Truth) Clock(name string) (ClockTruth, bool) {
	for _, c := range t.Clocks {
		if c.Name == name {
			return c, true
		}
	}
	return ClockTruth{}, false
}

// Scope returns the truth about the scope named name.
func (t *Truth) Scope(name string) (ScopeTruth, bool) {
	for _, s := range t.Scopes {
		if s.Name == name {
			return s, true
		}
	}
	return ScopeTruth{}, false
}

// Identity returns the configured clockIdentity of the clock named name,
// and whether such a clock exists.
func (n *Network) Identity(name string) (decode.ClockIdentity, bool) {
	ci, ok := n.clockByName[name]
	if !ok {
		return decode.ClockIdentity{}, false
	}
	return n.clocks[ci].ownID, true
}
