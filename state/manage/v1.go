package manage

import (
	"bytes"
	"encoding/hex"
	"hash/crc32"
	"net/netip"
	"strconv"

	"github.com/ptpwatch/ptpwatch/decode"
)

// PTPv1 (IEEE 1588-2002) management. A v1 subdomain is asked as a PTPv2
// domain is, with the 1588-2002 Management message (control 4): a GET key
// per data set, answered with the data set's key. What differs:
//
//   - Discovery addresses every clock with targetCommunicationTechnology
//     PTP_DEFAULT and a zero targetUuid (ptpd 1.x answers that or its own
//     UUID).
//   - The answer carries the node's own sequenceId, not the request's, and
//     names the requester in its target fields: an answer is matched by our
//     UUID in its target, the node and the key.
//   - v1 runs over UDP/IPv4 only (Annex D), to the subdomain's group:
//     224.0.1.129 for _DFLT, .130 to .132 for _ALT1 to _ALT3, and for any
//     other name one of .130 to .132 chosen by the CRC-32 of its 16 octets
//     (1588-2002 Annex C, as ptpd 1.x computes it) modulo 3.
//   - There is no error status: an ID a node does not support goes
//     unanswered (ignored).
//
// IDs keep their PTPv2 names inside the Manager (the capability matrix
// has one vocabulary); the API shows the v1 key names for v1 nodes.

// v1Map pairs the PTPv2 IDs a sweep asks with the v1 GET key and the key
// of its answer.
var v1Map = map[decode.ManagementID][2]decode.V1ManagementKey{
	decode.MgmtIDDefaultDataSet:        {decode.V1MMGetDefaultDataSet, decode.V1MMDefaultDataSet},
	decode.MgmtIDCurrentDataSet:        {decode.V1MMGetCurrentDataSet, decode.V1MMCurrentDataSet},
	decode.MgmtIDParentDataSet:         {decode.V1MMGetParentDataSet, decode.V1MMParentDataSet},
	decode.MgmtIDPortDataSet:           {decode.V1MMGetPortDataSet, decode.V1MMPortDataSet},
	decode.MgmtIDTimePropertiesDataSet: {decode.V1MMGetGlobalTimeDataSet, decode.V1MMGlobalTimeDataSet},
	decode.MgmtIDClockDescription:      {decode.V1MMObtainIdentity, decode.V1MMClockIdentity},
}

// v1AnswerID returns the PTPv2 ID whose v1 answer key is k.
func v1AnswerID(k decode.V1ManagementKey) (decode.ManagementID, bool) {
	switch k {
	case decode.V1MMDefaultDataSet:
		return decode.MgmtIDDefaultDataSet, true
	case decode.V1MMCurrentDataSet:
		return decode.MgmtIDCurrentDataSet, true
	case decode.V1MMParentDataSet:
		return decode.MgmtIDParentDataSet, true
	case decode.V1MMPortDataSet:
		return decode.MgmtIDPortDataSet, true
	case decode.V1MMGlobalTimeDataSet:
		return decode.MgmtIDTimePropertiesDataSet, true
	case decode.V1MMClockIdentity:
		return decode.MgmtIDClockDescription, true
	}
	return 0, false
}

// v1Name returns the v1 name of the answer to id, such as
// "PTP_MM_PARENT_DATA_SET".
func v1Name(id decode.ManagementID) string {
	if k, ok := v1Map[id]; ok {
		return k[1].String()
	}
	return id.String()
}

// SelfUUID returns the PTPv1 UUID ptpwatch sends from: the MAC inside its
// portIdentity with the locally administered bit flipped, so that it is
// never the UUID of a PTPv1 daemon on the same interface (which uses the
// MAC itself).
func SelfUUID(self decode.PortIdentity) [6]byte {
	c := self.Clock
	return [6]byte{c[0] ^ 0x02, c[1], c[2], c[5], c[6], c[7]}
}

// v1Identity is the clock identity the model gives a v1 UUID.
func v1Identity(uuid [6]byte) decode.ClockIdentity {
	return decode.ClockIdentity{uuid[0], uuid[1], uuid[2], 0xff, 0xfe, uuid[3], uuid[4], uuid[5]}
}

// v1UUID is the inverse of v1Identity.
func v1UUID(c decode.ClockIdentity) [6]byte { return [6]byte{c[0], c[1], c[2], c[5], c[6], c[7]} }

// V1Group returns the IPv4 group of a PTPv1 subdomain (1588-2002 Annex
// D): 224.0.1.129 for _DFLT, .130-.132 for _ALT1-_ALT3, and for another
// name .130 plus the CRC-32 (Annex C; IEEE polynomial, reflected) of its
// 16 NUL-padded octets modulo 3. False for an empty name.
func V1Group(sub [16]byte) (netip.Addr, bool) {
	name := string(bytes.TrimRight(sub[:], "\x00"))
	switch name {
	case "":
		return netip.Addr{}, false
	case decode.V1DefaultSubdomain:
		return netip.AddrFrom4([4]byte{224, 0, 1, 129}), true
	case "_ALT1", "_ALT2", "_ALT3":
		return netip.AddrFrom4([4]byte{224, 0, 1, 129 + name[4] - '0'}), true
	}
	return netip.AddrFrom4([4]byte{224, 0, 1, 130 + byte(crc32.ChecksumIEEE(sub[:])%3)}), true
}

// SubdomainName returns sub without its NUL padding.
func SubdomainName(sub [16]byte) string { return string(bytes.TrimRight(sub[:], "\x00")) }

// appendV1Request appends the frame of a PTPv1 management GET: UDP/IPv4
// from and to port 320, to the subdomain's group or r.DstIP.
func appendV1Request(b []byte, p *Path, self decode.PortIdentity, r *Request) ([]byte, error) {
	keys, ok := v1Map[r.ID]
	if !ok || r.Action != decode.ActionGet {
		return b, ErrNoV1Equivalent
	}
	if !p.IPv4.IsValid() {
		return b, ErrNoSourceAddress
	}
	m := decode.V1Message{V1Header: decode.V1Header{VersionPTP: decode.V1VersionPTP, VersionNetwork: decode.V1VersionNetwork,
		SubdomainName: r.Subdomain, MessageType: decode.V1GeneralMessage, SourceCommunicationTechnology: decode.V1CommEthernet,
		SourceUUID: SelfUUID(self), SourcePortID: self.Port, SequenceID: r.Sequence, Control: decode.V1Management}}
	m.Management = decode.V1ManagementBody{TargetCommunicationTechnology: decode.V1CommDefault, StartingBoundaryHops: int16(r.BoundaryHops),
		BoundaryHops: int16(r.BoundaryHops), MessageKey: keys[0]}
	if r.Target.Clock != decode.AllClocks {
		m.Management.TargetCommunicationTechnology = decode.V1CommEthernet
		m.Management.TargetUUID = v1UUID(r.Target.Clock)
		if r.Target.Port != decode.AllPorts {
			m.Management.TargetPortID = r.Target.Port
		}
	}
	dst := r.DstIP
	if !dst.IsValid() {
		g, ok := V1Group(r.Subdomain)
		if !ok {
			return b, ErrNoV1Group
		}
		dst = g
	}
	var tags [1]decode.VLANTag
	e := decode.Encapsulation{Transport: decode.TransportUDPv4, SrcMAC: p.MAC, DstMAC: r.DstMAC, SrcIP: p.IPv4, DstIP: dst,
		SrcPort: decode.PortGeneral, DstPort: decode.PortGeneral, HopLimit: r.HopLimit}
	if r.VLAN != NoVLAN {
		tags[0] = decode.VLANTag{VID: r.VLAN & 0x0fff}
		e.VLANs = tags[:]
	}
	return e.AppendFrame(b, &m), nil
}

// isV1Reply reports, without locking or allocating, whether f is a PTPv1
// management answer naming uuid as its target.
func isV1Reply(f *decode.Frame, uuid [6]byte) bool {
	if f.Version != 1 || f.V1.Control != decode.V1Management || f.V1.Management.TargetUUID != uuid {
		return false
	}
	_, ok := v1AnswerID(f.V1.Management.MessageKey)
	return ok
}

// handleV1Reply matches a v1 answer to what is pending: discovery of its
// subdomain, the follow-up outstanding for its node, or a query. The
// caller holds m.mu.
func (m *Manager) handleV1Reply(f *decode.Frame, seg uint16, at int64) {
	v := &f.V1
	id, _ := v1AnswerID(v.Management.MessageKey)
	clock := v1Identity(v.SourceUUID)
	from := decode.PortIdentity{Clock: clock, Port: v.SourcePortID}
	var p *pending
	for _, q := range m.pending {
		if q.req.Subdomain != v.SubdomainName || q.done {
			continue
		}
		switch {
		case q.kind == kindDiscovery && id == decode.MgmtIDDefaultDataSet && q.path.Segment == seg,
			q.kind == kindFollowUp && q.node.key.Clock == clock && q.key.ID == id,
			q.kind == kindQuery && q.req.ID == id:
			p = q
		}
		if p != nil {
			break
		}
	}
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
	a := answer{from: from, data: v.Parameters}
	switch p.kind {
	case kindQuery:
		r := Reply{At: at, From: from, Source: from.String(), Sequence: v.SequenceID, Action: "RESPONSE", ID: id, IDName: v1Name(id),
			Data: append([]byte(nil), v.Parameters...)}
		if f.SrcIP.IsValid() {
			r.Address = f.SrcIP.String()
		}
		r.Fields = DescribeV1(id, r.Data)
		p.sink(&r)
	case kindDiscovery:
		if p.replies > m.settings.ReplyCap {
			if m.cur != nil {
				m.cur.Capped++
			}
			return
		}
		key := NodeKey{Scope: Scope{Segment: seg, Transport: decode.TransportUDPv4, VLAN: NoVLAN, Subdomain: v.SubdomainName}, Clock: clock}
		if f.NumVLANs > 0 {
			key.VLAN = f.VLANs[f.NumVLANs-1].VID
		}
		n := m.discovered(key, f, at, from)
		if n == nil {
			return
		}
		var d decode.V1DefaultDataSet
		if r, _ := d.Decode(v.Parameters); r == decode.ResultOK {
			n.numberPorts = d.NumberPorts
		}
		m.record(n, idKey{Port: decode.AllPorts, ID: id}, a, at, p.sentAt)
	case kindFollowUp:
		m.followedUp(p, f, at, a)
	}
}

// ErrNoV1Equivalent and ErrNoV1Group are why a PTPv1 request cannot be
// built: the ID has no 1588-2002 key, or the subdomain has no name.
var (
	ErrNoV1Equivalent = errorString("manage: the management ID has no PTPv1 (1588-2002) GET key")
	ErrNoV1Group      = errorString("manage: a PTPv1 request without a subdomain name")
)

type errorString string

func (e errorString) Error() string { return string(e) }

// DescribeV1 decodes the parameters of a v1 answer (named by the PTPv2 ID
// it stands for) into fields named as 1588-2002 names them.
func DescribeV1(id decode.ManagementID, p []byte) []Field {
	f := func(n, v string) Field { return Field{n, v} }
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	b := func(v bool) string { return b01(v) }
	uuid := func(x [6]byte) string { return hex.EncodeToString(x[:]) }
	switch id {
	case decode.MgmtIDDefaultDataSet:
		var d decode.V1DefaultDataSet
		if r, _ := d.Decode(p); r != decode.ResultOK {
			break
		}
		return []Field{f("clockCommunicationTechnology", d.ClockCommunicationTechnology.String()), f("clockUuidField", uuid(d.ClockUUID)),
			f("clockPortField", u(uint64(d.ClockPortField))), f("clockStratum", u(uint64(d.ClockStratum))),
			f("clockIdentifier", d.ClockIdentifier.String()), f("clockVariance", i(int64(d.ClockVariance))),
			f("clockFollowupCapable", b(d.ClockFollowupCapable)), f("preferred", b(d.Preferred)),
			f("isBoundaryClock", b(d.IsBoundaryClock)), f("syncInterval", i(int64(d.SyncInterval))),
			f("subdomainName", SubdomainName(d.SubdomainName)), f("numberPorts", u(uint64(d.NumberPorts)))}
	case decode.MgmtIDCurrentDataSet:
		var d decode.V1CurrentDataSet
		if r, _ := d.Decode(p); r != decode.ResultOK {
			break
		}
		return []Field{f("stepsRemoved", u(uint64(d.StepsRemoved))), f("offsetFromMaster", d.OffsetFromMaster.String()),
			f("oneWayDelay", d.OneWayDelay.String())}
	case decode.MgmtIDParentDataSet:
		var d decode.V1ParentDataSet
		if r, _ := d.Decode(p); r != decode.ResultOK {
			break
		}
		return []Field{f("parentUuid", uuid(d.ParentUUID)), f("parentPortId", u(uint64(d.ParentPortID))),
			f("parentStats", b(d.ParentStats)), f("observedVariance", i(int64(d.ObservedVariance))),
			f("observedDrift", i(int64(d.ObservedDrift))), f("utcReasonable", b(d.UTCReasonable)),
			f("grandmasterUuid", uuid(d.GrandmasterUUID)), f("grandmasterPortId", u(uint64(d.GrandmasterPortID))),
			f("grandmasterStratum", u(uint64(d.GrandmasterStratum))), f("grandmasterIdentifier", d.GrandmasterIdentifier.String()),
			f("grandmasterVariance", i(int64(d.GrandmasterVariance))), f("grandmasterPreferred", b(d.GrandmasterPreferred))}
	case decode.MgmtIDPortDataSet:
		var d decode.V1PortDataSet
		if r, _ := d.Decode(p); r != decode.ResultOK {
			break
		}
		return []Field{f("returnedPortNumber", u(uint64(d.ReturnedPortNumber))), f("portState", d.PortState.String()),
			f("lastSyncEventSequenceNumber", u(uint64(d.LastSyncEventSequenceNumber))),
			f("portUuidField", uuid(d.PortUUID)), f("portIdField", u(uint64(d.PortIDField))), f("burstEnabled", b(d.BurstEnabled)),
			f("subdomainAddress", netip.AddrFrom4(d.SubdomainAddress).String())}
	case decode.MgmtIDTimePropertiesDataSet:
		var d decode.V1GlobalTimeDataSet
		if r, _ := d.Decode(p); r != decode.ResultOK {
			break
		}
		return []Field{f("localTime", d.LocalTime.String()), f("currentUtcOffset", i(int64(d.CurrentUTCOffset))),
			f("leap59", b(d.Leap59)), f("leap61", b(d.Leap61)), f("epochNumber", u(uint64(d.EpochNumber)))}
	case decode.MgmtIDClockDescription:
		var d decode.V1ClockIdentityParams
		if r, _ := d.Decode(p); r != decode.ResultOK {
			break
		}
		return []Field{f("clockCommunicationTechnology", d.ClockCommunicationTechnology.String()), f("clockUuidField", uuid(d.ClockUUID)),
			f("clockPortField", u(uint64(d.ClockPortField))), f("manufacturerIdentity", string(bytes.TrimRight(d.ManufacturerIdentity[:], "\x00")))}
	}
	return []Field{f("data", hex.EncodeToString(p))}
}

// v1State maps a 1588-2002 port state to the PTPv2 state of the same name
// (PTP_MASTER to MASTER): the v2 values are the v1 ones plus one.
func v1State(s decode.V1PortState) decode.PortState {
	if s > decode.V1PortSlave {
		return 0
	}
	return decode.PortState(s + 1)
}
