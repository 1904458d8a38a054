package sim

import "github.com/ptpwatch/ptpwatch/decode"

// Unicast negotiation (§16.1), from the follower's side: it asks its
// master for Announce, Sync and Delay_Resp with one Signaling message, the
// master grants all three, and until the grant runs out the master sends
// those messages to the follower alone. The timers live on the follower's
// port, since each stream belongs to one follower.

// unicastOK reports whether follower fi holds a grant its master honours
// at time t.
func (n *Network) unicastOK(fi int32, t int64) bool {
	f := &n.ports[fi]
	return n.clocks[f.clock].enabled && f.granted >= 0 && f.granted == f.parent && n.alive(f.granted) && t < f.grantUntil
}

// grantedDelay returns how long the granting master's frames take to the tap.
func (n *Network) grantedDelay(f *port, s *scope) int64 {
	if f.granted < 0 {
		return 0
	}
	return n.ports[f.granted].pathDelay + n.fwd(s)
}

func (n *Network) fireSignal(it *item) int32 {
	fi := it.idx
	f := &n.ports[fi]
	s := &n.scopes[f.scope]
	e := it.emit + s.grantNs/2 + n.noise(s.grantNs)
	n.again(e, e+f.pathDelay)
	return n.sendRequest(fi, it.emit)
}

// unicastTypes are the message types a unicast follower asks for, with
// the scope interval each uses.
var unicastTypes = [...]decode.MessageType{decode.Announce, decode.Sync, decode.DelayResp}

func (s *scope) logInterval(mt decode.MessageType) int8 {
	switch mt {
	case decode.Announce:
		return s.logAnn
	case decode.Sync:
		return s.logSync
	}
	return s.logDreq
}

// sendRequest sends follower fi's REQUEST_UNICAST_TRANSMISSION to its
// master, leaving at emit, and schedules the grant.
func (n *Network) sendRequest(fi int32, emit int64) int32 {
	f := &n.ports[fi]
	s := &n.scopes[f.scope]
	mi := f.parent
	if !n.clocks[f.clock].enabled || f.state != PortSlave || mi < 0 {
		return -1
	}
	seq := f.seq[decode.Signaling]
	f.seq[decode.Signaling]++
	if n.alive(mi) {
		m := &n.ports[mi]
		re := emit + f.pathDelay + m.pathDelay + n.turnaround()
		n.push(item{emit: re, at: re + m.pathDelay + n.fwd(s), idx: fi, kind: kGrant})
	}
	b := f.sig[:0]
	for _, mt := range unicastTypes {
		x := decode.RequestUnicastTLV{MessageType: mt, LogInterMessagePeriod: s.logInterval(mt), Duration: uint32(s.grantNs / 1e9)}
		b = x.AppendTo(b)
	}
	f.sig = b
	m := n.header(f, decode.Signaling, seq, ctlOther, lmiUnicast)
	m.Flags |= decode.FlagUnicast
	m.TargetPort = n.ports[mi].id
	m.Suffix = b
	n.frame(&f.uniEnc, m)
	return fi
}

// sendGrant sends the master's GRANT_UNICAST_TRANSMISSION to follower fi.
func (n *Network) sendGrant(fi int32) int32 {
	f := &n.ports[fi]
	mi := f.parent
	if mi < 0 || !n.alive(mi) || !n.clocks[f.clock].enabled {
		return -1
	}
	m := &n.ports[mi]
	s := &n.scopes[f.scope]
	f.granted, f.grantUntil = mi, n.now+s.grantNs
	seq := m.seq[decode.Signaling]
	m.seq[decode.Signaling]++
	b := f.sig[:0]
	for _, mt := range unicastTypes {
		x := decode.GrantUnicastTLV{MessageType: mt, LogInterMessagePeriod: s.logInterval(mt),
			Duration: uint32(s.grantNs / 1e9), RenewalInvited: true}
		b = x.AppendTo(b)
	}
	f.sig = b
	msg := n.header(m, decode.Signaling, seq, ctlOther, lmiUnicast)
	msg.Flags |= decode.FlagUnicast
	msg.TargetPort = f.id
	msg.Suffix = b
	n.frame(&f.respEnc, msg)
	return mi
}

func (n *Network) fireUAnnounce(it *item) int32 {
	fi := it.idx
	f := &n.ports[fi]
	s := &n.scopes[f.scope]
	f.uAnnGrid += s.annNs
	e := f.uAnnGrid + n.noise(s.annNs)
	n.again(e, e+n.grantedDelay(f, s))
	if !n.unicastOK(fi, it.emit) {
		return -1
	}
	mi := f.granted
	n.buildAnnounce(mi, f.useq[decode.Announce], it.emit)
	f.useq[decode.Announce]++
	n.msg.Flags |= decode.FlagUnicast
	n.frame(&f.respEnc, &n.msg)
	return mi
}

func (n *Network) fireUSync(it *item) int32 {
	fi := it.idx
	f := &n.ports[fi]
	s := &n.scopes[f.scope]
	f.uSyncGrid += s.syncNs
	e := f.uSyncGrid + n.noise(s.syncNs)
	n.again(e, e+n.grantedDelay(f, s))
	if !n.unicastOK(fi, it.emit) || n.clocks[n.ports[f.granted].clock].syncLoss {
		return -1
	}
	mi := f.granted
	m := &n.ports[mi]
	seq := f.useq[decode.Sync]
	f.useq[decode.Sync]++
	precise, fuCorr := n.buildSync(mi, seq, it.emit, it.at)
	n.msg.Flags |= decode.FlagUnicast
	n.msg.LogMessageInterval = lmiUnicast
	if !n.clocks[m.clock].oneStep {
		f.usSeq, f.usPrecise, f.usFUCorr = seq, precise, fuCorr
		fe := it.emit + n.followUpDelay(s)
		n.push(item{emit: fe, at: fe + m.pathDelay + n.fwd(s), idx: fi, kind: kUFollowUp})
	}
	n.frame(&f.respEnc, &n.msg)
	return mi
}

func (n *Network) sendUFollowUp(fi int32) int32 {
	f := &n.ports[fi]
	if !n.unicastOK(fi, n.now) || n.clocks[n.ports[f.granted].clock].syncLoss {
		return -1
	}
	mi := f.granted
	n.buildFollowUp(mi, f.usSeq, f.usPrecise, f.usFUCorr)
	n.msg.Flags |= decode.FlagUnicast
	n.msg.LogMessageInterval = lmiUnicast
	n.frame(&f.respEnc, &n.msg)
	return mi
}
