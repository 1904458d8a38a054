package sim

import (
	"encoding/binary"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
)

// Everything here runs per frame: no allocation, no fmt. Messages are
// built in n.msg / n.v1 from the sending port's template and wrapped by
// the port's prebuilt encapsulation into n.buf.

// Control field values of §13.3.2.13 (Table 42 of 1588-2008): obsolete in
// 2019 but still sent, and checked by old receivers.
const (
	ctlSync      = 0
	ctlDelayReq  = 1
	ctlFollowUp  = 2
	ctlDelayResp = 3
	ctlMgmt      = 4
	ctlOther     = 5
)

// lmiUnicast is the logMessageInterval of messages that have no interval
// or are sent unicast (§13.3.2.14).
const lmiUnicast = 0x7f

// minFrame is the shortest Ethernet frame without FCS; shorter PTP frames
// are padded as a NIC would pad them.
const minFrame = 60

var zeros [minFrame]byte

// Exchange timing: how long a master takes to send Follow_Up after Sync,
// and a responder to answer a request. Hardware-timestamping devices
// answer within tens of microseconds.
const (
	followUpMin   = 10 * int64(time.Microsecond)
	followUpSpan  = 50 * int64(time.Microsecond)
	turnaroundMin = 20 * int64(time.Microsecond)
	turnaroundMax = 200 * int64(time.Microsecond)
	mgmtRespMin   = 200 * int64(time.Microsecond)
	mgmtRespSpan  = 5 * int64(time.Millisecond)
	maxSchedNoise = 20 * int64(time.Microsecond)
	// minDelayReqGap is the shortest gap between two Delay_Req of one
	// port, longer than any request-response round trip here.
	minDelayReqGap = int64(time.Millisecond)
)

func ts(ns int64) decode.Timestamp {
	if ns < 0 {
		ns = 0
	}
	return decode.Timestamp{Seconds: uint64(ns / 1e9), Nanoseconds: uint32(ns % 1e9)}
}

func v1ts(ns int64) decode.V1Time {
	if ns < 0 {
		ns = 0
	}
	return decode.V1Time{Seconds: uint32(ns / 1e9), Nanoseconds: int32(ns % 1e9)}
}

func scaled(ns int64) decode.TimeInterval { return decode.TimeInterval(ns << 16) }

// errNs returns clock ci's time error at true time t: a free-running clock
// accumulates its drift; a synchronised one carries its master's error
// plus its own offset and the drift since the last Sync interval began.
func (n *Network) errNs(ci int32, t int64) float64 {
	var e float64
	for depth := 0; depth < 16; depth++ {
		c := &n.clocks[ci]
		if c.up >= 0 {
			up := &n.ports[c.up]
			if up.state == PortSlave && up.parent >= 0 {
				since := (t - n.start) % n.scopes[up.scope].syncNs
				e += c.offset + c.drift*float64(since)/1e9
				ci = n.ports[up.parent].clock
				continue
			}
		}
		return e + c.offset + c.drift*float64(t-n.start)/1e9
	}
	return e
}

// clockTime returns clock ci's reading at true time t: TAI for PTPv2
// clocks, UTC (as PTPv1 implementations kept it) for PTPv1 ones.
func (n *Network) clockTime(ci int32, t int64) int64 {
	v := t + int64(n.errNs(ci, t))
	if !n.clocks[ci].v1 {
		v += taiOffsetNS
	}
	return v
}

// stamp is clockTime plus the clock's timestamping noise.
func (n *Network) stamp(ci int32, t int64) int64 {
	v := n.clockTime(ci, t)
	if j := n.clocks[ci].jitter; j > 0 {
		v += int64(n.rng.NormFloat64() * j)
	}
	return v
}

// noise returns the scheduling error of a periodic message: a small
// fraction of the interval, at most maxSchedNoise either way.
func (n *Network) noise(interval int64) int64 {
	j := min(interval/64, maxSchedNoise)
	return n.rng.Int64N(2*j+1) - j
}

// tcOn reports whether scope s has a working transparent clock.
func (n *Network) tcOn(s *scope) bool { return s.tc >= 0 && n.clocks[s.tc].enabled }

// residence draws a transparent clock's residence time for one message.
func (n *Network) residence(s *scope) int64 {
	r := n.clocks[s.tc].residence
	return r/2 + n.rng.Int64N(r+1)
}

// fwd returns the extra delay of a master's message that a transparent
// clock forwards on its way to the tap.
func (n *Network) fwd(s *scope) int64 {
	if !n.tcOn(s) {
		return 0
	}
	return n.residence(s)
}

// followUpDelay returns how long after its Sync a Follow_Up leaves. It
// always exceeds the spread of transparent clock residence times, so a
// Follow_Up is never captured before its Sync.
func (n *Network) followUpDelay(s *scope) int64 {
	d := followUpMin + n.rng.Int64N(followUpSpan)
	if s.tc >= 0 {
		d += 2 * n.clocks[s.tc].residence
	}
	return d
}

func (n *Network) turnaround() int64 {
	return turnaroundMin + n.rng.Int64N(turnaroundMax-turnaroundMin)
}

// header starts a PTPv2 message from port p's template.
func (n *Network) header(p *port, mt decode.MessageType, seq uint16, ctl uint8, lmi int8) *decode.Message {
	m := &n.msg
	*m = p.tmpl
	m.MessageType = mt
	m.Sequence = seq
	m.Control = ctl
	m.LogMessageInterval = lmi
	return m
}

// frame wraps msg into n.buf.
func (n *Network) frame(enc *decode.Encapsulation, msg decode.Appender) {
	b := enc.AppendFrame(n.buf[:0], msg)
	if len(b) < minFrame {
		b = append(b, zeros[:minFrame-len(b)]...)
	}
	n.buf = b
}

func (n *Network) fireAnnounce(it *item) int32 {
	pi := it.idx
	p := &n.ports[pi]
	s := &n.scopes[p.scope]
	p.annGrid += s.annNs
	e := p.annGrid + n.noise(s.annNs)
	n.again(e, e+p.pathDelay+n.fwd(s))
	if !n.alive(pi) {
		return -1
	}
	n.buildAnnounce(pi, p.seq[decode.Announce], it.emit)
	p.seq[decode.Announce]++
	n.frame(&p.enc, &n.msg)
	return pi
}

// buildAnnounce fills n.msg with an Announce from master port pi.
func (n *Network) buildAnnounce(pi int32, seq uint16, emit int64) {
	p := &n.ports[pi]
	s := &n.scopes[p.scope]
	d := n.announced(pi)
	m := n.header(p, decode.Announce, seq, ctlOther, s.logAnn)
	m.Flags = d.flags
	m.Timestamp = ts(n.clockTime(p.clock, emit))
	m.Announce = decode.AnnounceBody{
		CurrentUTCOffset: d.utc, GrandmasterPriority1: d.p1, GrandmasterClockQuality: d.q,
		GrandmasterPriority2: d.p2, GrandmasterIdentity: d.gm, StepsRemoved: d.steps, TimeSource: d.ts,
	}
	if s.cfg.PathTrace {
		p.trace = n.appendTrace(append(p.trace[:0], 0, byte(decode.TLVPathTrace), 0, 0), pi)
		binary.BigEndian.PutUint16(p.trace[2:], uint16(len(p.trace)-4))
		m.Suffix = p.trace
	}
}

// appendTrace appends the path trace of master port pi (§16.2.3): the
// grandmaster first, then each boundary clock down to pi's clock.
func (n *Network) appendTrace(b []byte, pi int32) []byte {
	var chain [16]int32
	k := 0
	for k < len(chain) {
		chain[k] = pi
		k++
		p := &n.ports[pi]
		c := &n.clocks[p.clock]
		if p.kind != pkBCMaster || c.up < 0 {
			break
		}
		up := &n.ports[c.up]
		if up.state != PortSlave || up.parent < 0 {
			break
		}
		pi = up.parent
	}
	for k > 0 {
		k--
		id := n.clocks[n.ports[chain[k]].clock].id
		b = append(b, id[:]...)
	}
	return b
}

func (n *Network) fireSync(it *item) int32 {
	pi := it.idx
	p := &n.ports[pi]
	s := &n.scopes[p.scope]
	c := &n.clocks[p.clock]
	p.syncGrid += s.syncNs
	e := p.syncGrid + n.noise(s.syncNs)
	n.again(e, e+p.pathDelay+n.fwd(s))
	if !n.alive(pi) || c.syncLoss {
		return -1
	}
	seq := p.seq[decode.Sync]
	p.seq[decode.Sync]++
	if s.v1 {
		precise := n.stamp(p.clock, it.emit)
		if !c.oneStep {
			p.syncSeq, p.syncPrecise = seq, precise
			fe := it.emit + n.followUpDelay(s)
			n.push(item{emit: fe, at: fe + p.pathDelay, idx: pi, kind: kFollowUp})
		}
		n.v1Sync(pi, seq, precise, it.emit)
		return pi
	}
	precise, fuCorr := n.buildSync(pi, seq, it.emit, it.at)
	if !c.oneStep {
		p.syncSeq, p.syncPrecise, p.fuCorr = seq, precise, fuCorr
		fe := it.emit + n.followUpDelay(s)
		n.push(item{emit: fe, at: fe + p.pathDelay + n.fwd(s), idx: pi, kind: kFollowUp})
	}
	n.frame(&p.enc, &n.msg)
	return pi
}

// buildSync fills n.msg with a Sync from master port pi that leaves at
// emit and reaches the tap at at. It returns the precise departure time and,
// for a two-step master, the correction its Follow_Up must carry.
func (n *Network) buildSync(pi int32, seq uint16, emit, at int64) (precise, fuCorr int64) {
	p := &n.ports[pi]
	s := &n.scopes[p.scope]
	c := &n.clocks[p.clock]
	precise = n.stamp(p.clock, emit)
	// A transparent clock between master and tap adds its residence (and,
	// peer-to-peer, the upstream link delay it measured) to the Sync when
	// it or the master is one-step, else to the Follow_Up.
	var corr int64
	if n.tcOn(s) {
		tc := max(at-emit-p.pathDelay, 0)
		if s.p2p {
			tc += p.pathDelay
		}
		if c.oneStep || n.clocks[s.tc].oneStep {
			corr = tc
		} else {
			fuCorr = tc
		}
	}
	m := n.header(p, decode.Sync, seq, ctlSync, s.logSync)
	m.Correction = scaled(corr)
	if c.oneStep {
		m.Timestamp = ts(precise)
		if s.gptp {
			m.Suffix = p.fuInfo
		}
	} else {
		m.Flags |= decode.FlagTwoStep
		// Two-step masters send a rough origin time; the precise one
		// follows.
		m.Timestamp = ts(n.clockTime(p.clock, emit) / 1000 * 1000)
	}
	return precise, fuCorr
}

func (n *Network) sendFollowUp(pi int32) int32 {
	p := &n.ports[pi]
	s := &n.scopes[p.scope]
	if !n.alive(pi) || n.clocks[p.clock].syncLoss {
		return -1
	}
	if s.v1 {
		n.v1FollowUp(pi)
		return pi
	}
	n.buildFollowUp(pi, p.syncSeq, p.syncPrecise, p.fuCorr)
	n.frame(&p.enc, &n.msg)
	return pi
}

func (n *Network) buildFollowUp(pi int32, seq uint16, precise, corr int64) {
	p := &n.ports[pi]
	s := &n.scopes[p.scope]
	m := n.header(p, decode.FollowUp, seq, ctlFollowUp, s.logSync)
	m.Timestamp = ts(precise)
	m.Correction = scaled(corr)
	if s.gptp {
		m.Suffix = p.fuInfo
	}
}

func (n *Network) fireDelayReq(it *item) int32 {
	fi := it.idx
	f := &n.ports[fi]
	s := &n.scopes[f.scope]
	// §9.5.11.2 draws the gap uniformly from [0, 2^(logMinDelayReqInterval+1)];
	// the floor keeps one request's answer from being overtaken by the
	// next, which a port's single exchange slot could not represent.
	e := it.emit + minDelayReqGap + n.rng.Int64N(2*s.dreqNs-minDelayReqGap)
	n.again(e, e+f.pathDelay)
	if !n.clocks[f.clock].enabled || f.state != PortSlave || f.parent < 0 {
		return -1
	}
	seq := f.seq[decode.DelayReq]
	f.seq[decode.DelayReq]++
	t3 := n.stamp(f.clock, it.emit)
	if mi := f.parent; n.alive(mi) {
		// The master stamps the arrival and answers after its turnaround.
		m := &n.ports[mi]
		var res int64
		if n.tcOn(s) {
			res = n.residence(s)
		}
		arrive := it.emit + f.pathDelay + res + m.pathDelay
		f.drSeq, f.drMaster, f.drT2, f.drCorr = seq, mi, n.stamp(m.clock, arrive), res
		re := arrive + n.turnaround()
		n.push(item{emit: re, at: re + m.pathDelay + n.fwd(s), idx: fi, kind: kDelayResp})
	}
	if s.v1 {
		n.v1DelayReq(fi, seq, t3)
		return fi
	}
	m := n.header(f, decode.DelayReq, seq, ctlDelayReq, lmiUnicast)
	m.Timestamp = ts(t3)
	enc := &f.enc
	if f.hybrid {
		m.Flags |= decode.FlagUnicast
		enc = &f.uniEnc
	}
	n.frame(enc, m)
	return fi
}

func (n *Network) sendDelayResp(fi int32) int32 {
	f := &n.ports[fi]
	mi := f.drMaster
	if !n.alive(mi) || (f.hybrid && mi != f.parent) {
		return -1
	}
	m := &n.ports[mi]
	s := &n.scopes[m.scope]
	if s.v1 {
		n.v1DelayResp(mi, fi)
		return mi
	}
	msg := n.header(m, decode.DelayResp, f.drSeq, ctlDelayResp, s.logDreq)
	msg.Timestamp = ts(f.drT2)
	// The residence of the Delay_Req travels back in the Delay_Resp,
	// whichever kind of transparent clock measured it.
	msg.Correction = scaled(f.drCorr)
	msg.RequestingPort = f.id
	enc := &m.enc
	if f.hybrid {
		msg.Flags |= decode.FlagUnicast
		msg.LogMessageInterval = lmiUnicast
		enc = &f.respEnc
	}
	n.frame(enc, msg)
	return mi
}

// linkDelay returns the one-way delay of the link between P2P neighbours
// a and b: the path delay of the one that is not the transparent clock.
func (n *Network) linkDelay(a, b int32) int64 {
	if n.ports[a].kind == pkTC {
		return n.ports[b].pathDelay
	}
	return n.ports[a].pathDelay
}

func (n *Network) firePdelayReq(it *item) int32 {
	pi := it.idx
	p := &n.ports[pi]
	s := &n.scopes[p.scope]
	p.pdGrid += s.pdelayNs
	e := p.pdGrid + n.noise(s.pdelayNs)
	n.again(e, e+n.tap(pi))
	if !n.clocks[p.clock].enabled {
		return -1
	}
	seq := p.seq[decode.PdelayReq]
	p.seq[decode.PdelayReq]++
	q := p.peer
	qp := &n.ports[q]
	if qc := &n.clocks[qp.clock]; qc.enabled {
		arrive := it.emit + n.linkDelay(pi, q)
		re := arrive + n.turnaround()
		p.pdSeq, p.pdPeer = seq, q
		p.pdT2, p.pdT3 = n.stamp(qp.clock, arrive), n.stamp(qp.clock, re)
		n.push(item{emit: re, at: re + n.tap(q), idx: pi, kind: kPdelayResp})
		if !qc.oneStep {
			fe := re + followUpMin + n.rng.Int64N(followUpSpan)
			n.push(item{emit: fe, at: fe + n.tap(q), idx: pi, kind: kPdelayRespFU})
		}
	}
	lmi := int8(lmiUnicast)
	if s.gptp {
		lmi = s.logPdelay // 802.1AS carries the interval here
	}
	m := n.header(p, decode.PdelayReq, seq, ctlOther, lmi)
	if !s.gptp {
		m.Timestamp = ts(n.clockTime(p.clock, it.emit) / 1000 * 1000)
	}
	n.frame(&p.enc, m)
	return pi
}

func (n *Network) sendPdelayResp(pi int32) int32 {
	p := &n.ports[pi]
	q := p.pdPeer
	qp := &n.ports[q]
	qc := &n.clocks[qp.clock]
	if !qc.enabled {
		return -1
	}
	m := n.header(qp, decode.PdelayResp, p.pdSeq, ctlOther, lmiUnicast)
	m.RequestingPort = p.id
	if qc.oneStep {
		m.Correction = scaled(p.pdT3 - p.pdT2) // turnaround, §11.4.3
	} else {
		m.Flags |= decode.FlagTwoStep
		m.Timestamp = ts(p.pdT2)
	}
	n.frame(&qp.enc, m)
	return q
}

func (n *Network) sendPdelayRespFU(pi int32) int32 {
	p := &n.ports[pi]
	q := p.pdPeer
	qp := &n.ports[q]
	if !n.clocks[qp.clock].enabled {
		return -1
	}
	m := n.header(qp, decode.PdelayRespFollowUp, p.pdSeq, ctlOther, lmiUnicast)
	m.RequestingPort = p.id
	m.Timestamp = ts(p.pdT3)
	n.frame(&qp.enc, m)
	return q
}

func (n *Network) fireMgmtReq(it *item) int32 {
	pi := it.idx
	p := &n.ports[pi]
	s := &n.scopes[p.scope]
	c := &n.clocks[p.clock]
	p.mgmtGrid += c.query
	e := p.mgmtGrid + n.noise(c.query)
	n.again(e, e+p.pathDelay)
	if !c.enabled {
		return -1
	}
	seq := p.seq[decode.Management]
	p.seq[decode.Management]++
	n.askAll(s.cands, pi, seq, it.emit)
	n.askAll(s.slaves, pi, seq, it.emit)
	m := n.header(p, decode.Management, seq, ctlMgmt, lmiUnicast)
	m.TargetPort = decode.PortIdentity{Clock: decode.AllClocks, Port: decode.AllPorts}
	m.Management = decode.ManagementHeader{StartingBoundaryHops: 1, BoundaryHops: 1, Action: decode.ActionGet,
		ID: decode.MgmtIDCurrentDataSet}
	n.frame(&p.enc, m)
	return pi
}

// askAll schedules the answers of ports to a management GET sent at emit
// by management port from.
func (n *Network) askAll(ports []int32, from int32, seq uint16, emit int64) {
	for _, ri := range ports {
		r := &n.ports[ri]
		if !n.clocks[r.clock].enabled || r.state == PortDisabled {
			continue
		}
		s := &n.scopes[r.scope]
		r.mgSeq, r.mgFrom = seq, from
		re := emit + n.ports[from].pathDelay + r.pathDelay + mgmtRespMin + n.rng.Int64N(mgmtRespSpan)
		at := re + r.pathDelay
		if r.kind != pkSlave {
			at += n.fwd(s)
		}
		n.push(item{emit: re, at: at, idx: ri, kind: kMgmtResp})
	}
}

func (n *Network) sendMgmtResp(ri int32) int32 {
	r := &n.ports[ri]
	if !n.clocks[r.clock].enabled || r.state == PortDisabled {
		return -1
	}
	var cur decode.MgmtCurrentDataSet
	switch {
	case r.kind == pkSlave && r.state == PortSlave && r.parent >= 0:
		m := &n.ports[r.parent]
		cur.StepsRemoved = n.announced(r.parent).steps + 1
		cur.OffsetFromMaster = decode.TimeInterval((n.errNs(r.clock, n.now) - n.errNs(m.clock, n.now)) * 65536)
		cur.MeanPathDelay = scaled(r.pathDelay + m.pathDelay)
	case r.state == PortMaster:
		cur.StepsRemoved = n.announced(ri).steps
	}
	r.mgmtData = cur.AppendTo(r.mgmtData[:0])
	m := n.header(r, decode.Management, r.mgSeq, ctlMgmt, lmiUnicast)
	m.TargetPort = n.ports[r.mgFrom].id
	m.Management = decode.ManagementHeader{StartingBoundaryHops: 1, BoundaryHops: 1, Action: decode.ActionResponse,
		ID: decode.MgmtIDCurrentDataSet, Data: r.mgmtData}
	n.frame(&r.enc, m)
	return ri
}

// PTPv1 messages. 1588-2002 has no Announce: Sync and Delay_Req carry the
// grandmaster's and the sender's data sets.

// v1Stratum maps a PTPv2 clockClass to the nearest 1588-2002 stratum.
func v1Stratum(class uint8) uint8 {
	switch {
	case class <= 6:
		return 1
	case class <= 13:
		return 2
	case class <= 187:
		return 3
	}
	return 4
}

// v1Identifier maps a time source to a 1588-2002 clock identifier.
func v1Identifier(t decode.TimeSource) decode.V1ClockIdentifier {
	switch t {
	case decode.TimeSourceGNSS:
		return decode.V1ClockIdentifier{'G', 'P', 'S'}
	case decode.TimeSourceAtomicClock:
		return decode.V1ClockIdentifier{'A', 'T', 'O', 'M'}
	case decode.TimeSourceNTP:
		return decode.V1ClockIdentifier{'N', 'T', 'P'}
	case decode.TimeSourceHandSet:
		return decode.V1ClockIdentifier{'H', 'A', 'N', 'D'}
	}
	return decode.V1ClockIdentifier{'D', 'F', 'L', 'T'}
}

// v1Variance maps offsetScaledLogVariance onto the signed PTPv1 variance.
func v1Variance(v uint16) int16 { return int16(int32(v) - 0x8000) }

// v1Body fills the data set part shared by Sync and Delay_Req: the
// grandmaster's (from master port gmPort's announcement), then the
// sender's own.
func (n *Network) v1Body(b *decode.V1SyncBody, gmPort, sender int32, steps uint16, origin int64) {
	d := n.announced(gmPort)
	s := &n.scopes[n.ports[sender].scope]
	own := &n.clocks[n.ports[sender].clock]
	b.OriginTimestamp = v1ts(origin)
	b.CurrentUTCOffset = d.utc
	b.GrandmasterCommunicationTechnology = decode.V1CommEthernet
	b.GrandmasterClockUUID = d.gmUUID
	b.GrandmasterPortID = 1
	b.GrandmasterClockStratum = v1Stratum(d.q.Class)
	b.GrandmasterClockIdentifier = v1Identifier(d.ts)
	b.GrandmasterClockVariance = v1Variance(d.q.OffsetScaledLogVariance)
	b.GrandmasterPreferred = d.p1 < 128
	b.SyncInterval = s.logSync
	b.LocalClockVariance = v1Variance(own.ds.q.OffsetScaledLogVariance)
	b.LocalStepsRemoved = steps
	b.LocalClockStratum = v1Stratum(own.ds.q.Class)
	b.LocalClockIdentifier = v1Identifier(own.ds.ts)
	b.ParentCommunicationTechnology = decode.V1CommEthernet
	gp := &n.ports[gmPort]
	b.ParentUUID = n.clocks[gp.clock].uuid
	b.ParentPortField = gp.number
	b.UTCReasonable = d.flags.Has(decode.FlagCurrentUTCOffsetValid)
}

func (n *Network) v1Sync(pi int32, seq uint16, precise, emit int64) {
	p := &n.ports[pi]
	c := &n.clocks[p.clock]
	m := &n.v1
	*m = p.v1tmpl
	m.MessageType = decode.V1EventMessage
	m.Control = decode.V1Sync
	m.SequenceID = seq
	origin := precise
	if !c.oneStep {
		m.Flags = decode.V1FlagAssist
		origin = n.clockTime(p.clock, emit) / 1000 * 1000
	}
	n.v1Body(&m.Sync, pi, pi, 0, origin)
	m.Sync.GrandmasterSequenceID = seq
	n.frame(&p.enc, m)
}

func (n *Network) v1FollowUp(pi int32) {
	p := &n.ports[pi]
	m := &n.v1
	*m = p.v1tmpl
	m.MessageType = decode.V1GeneralMessage
	m.Control = decode.V1FollowUp
	m.SequenceID = p.syncSeq
	m.FollowUp = decode.V1FollowUpBody{AssociatedSequenceID: p.syncSeq, PreciseOriginTimestamp: v1ts(p.syncPrecise)}
	n.frame(&p.enc, m)
}

func (n *Network) v1DelayReq(fi int32, seq uint16, t3 int64) {
	f := &n.ports[fi]
	m := &n.v1
	*m = f.v1tmpl
	m.MessageType = decode.V1EventMessage
	m.Control = decode.V1DelayReq
	m.SequenceID = seq
	n.v1Body(&m.Sync, f.parent, fi, 1, t3)
	n.frame(&f.enc, m)
}

func (n *Network) v1DelayResp(mi, fi int32) {
	mp := &n.ports[mi]
	f := &n.ports[fi]
	m := &n.v1
	*m = mp.v1tmpl
	m.MessageType = decode.V1GeneralMessage
	m.Control = decode.V1DelayResp
	m.SequenceID = f.drSeq
	m.DelayResp = decode.V1DelayRespBody{
		DelayReceiptTimestamp:                   v1ts(f.drT2),
		RequestingSourceCommunicationTechnology: decode.V1CommEthernet,
		RequestingSourceUUID:                    n.clocks[f.clock].uuid,
		RequestingSourcePortID:                  f.number,
		RequestingSourceSequenceID:              f.drSeq,
	}
	n.frame(&mp.enc, m)
}
