package manage

import (
	"github.com/ptpwatch/ptpwatch/decode"
)

// Responder answers management GETs the way a PTP node does, for
// simulated networks (tests, the flood test, the demo): it has one
// clock with NumberPorts ports, answers what it knows, refuses the IDs in
// Refuse with NOT_SUPPORTED and stays silent for those in Ignore.
type Responder struct {
	Clock       decode.ClockIdentity
	NumberPorts uint16
	Domain      uint8
	Priority1   uint8
	Quality     decode.ClockQuality
	// States are the port states, by port number - 1.
	States      []decode.PortState
	Parent      decode.PortIdentity
	Grandmaster decode.ClockIdentity
	// Offset and path delay as the node reports them (CURRENT_DATA_SET).
	OffsetNs, DelayNs int64
	StepsRemoved      uint16
	Description       string
	Ignore            map[decode.ManagementID]bool
	Refuse            map[decode.ManagementID]bool
	// Silent nodes answer nothing at all.
	Silent bool
	// V1Subdomain, when set, makes r a PTPv1 node of that subdomain: it
	// answers AnswerV1 and not Answer.
	V1Subdomain string
	v1Seq       uint16
}

// Answer appends to b the answers of r to the request req (a decoded
// PTPv2 management message) and calls emit once per answer with the PTP
// message bytes; it reports how many it gave. A GET addressed to
// another clock, another domain or a port r does not have gets none.
func (r *Responder) Answer(req *decode.Message, emit func(msg []byte)) int {
	if r.Silent || r.V1Subdomain != "" || req.MessageType&0x0f != decode.Management || req.Management.Action != decode.ActionGet || req.Domain != r.Domain {
		return 0
	}
	t := req.TargetPort
	if t.Clock != decode.AllClocks && t.Clock != r.Clock {
		return 0
	}
	id := req.Management.ID
	if r.Ignore[id] {
		return 0
	}
	var ports []uint16
	switch {
	case !id.IsPortScoped():
		ports = []uint16{1}
	case t.Port == decode.AllPorts:
		for p := uint16(1); p <= r.NumberPorts; p++ {
			ports = append(ports, p)
		}
	case t.Port >= 1 && t.Port <= r.NumberPorts:
		ports = []uint16{t.Port}
	}
	n := 0
	for _, p := range ports {
		m := decode.Message{Header: decode.Header{MessageType: decode.Management, Version: 2, Domain: r.Domain,
			Source: decode.PortIdentity{Clock: r.Clock, Port: p}, Sequence: req.Sequence, Control: 4, LogMessageInterval: 0x7f}}
		m.TargetPort = req.Source
		m.Management = decode.ManagementHeader{StartingBoundaryHops: req.Management.StartingBoundaryHops,
			BoundaryHops: req.Management.StartingBoundaryHops, Action: decode.ActionResponse, ID: id}
		if r.Refuse[id] || !id.IsKnown() {
			m.Management.TLVType = decode.TLVManagementErrorStatus
			m.Management.ErrorID = 0x0002 // NOT_SUPPORTED
		} else {
			d := decode.ManagementData{ID: id}
			r.fill(&d, p)
			if d.Body(id) == nil {
				m.Management.TLVType = decode.TLVManagementErrorStatus
				m.Management.ErrorID = 0x0002
			} else {
				m.Management.Data = decode.AppendManagementData(nil, &d)
			}
		}
		emit(m.AppendTo(nil))
		n++
	}
	return n
}

func (r *Responder) state(p uint16) decode.PortState {
	if int(p) <= len(r.States) && p > 0 {
		return r.States[p-1]
	}
	return decode.PortStateListening
}

func (r *Responder) fill(d *decode.ManagementData, port uint16) {
	switch d.ID {
	case decode.MgmtIDDefaultDataSet:
		d.DefaultDataSet = decode.MgmtDefaultDataSet{TwoStepFlag: true, NumberPorts: r.NumberPorts, Priority1: r.Priority1,
			ClockQuality: r.Quality, Priority2: 128, ClockIdentity: r.Clock, DomainNumber: r.Domain}
	case decode.MgmtIDCurrentDataSet:
		d.CurrentDataSet = decode.MgmtCurrentDataSet{StepsRemoved: r.StepsRemoved, OffsetFromMaster: decode.TimeInterval(r.OffsetNs << 16),
			MeanPathDelay: decode.TimeInterval(r.DelayNs << 16)}
	case decode.MgmtIDParentDataSet:
		d.ParentDataSet = decode.MgmtParentDataSet{ParentPortIdentity: r.Parent, ObservedParentOffsetScaledLogVariance: 0xffff,
			ObservedParentClockPhaseChangeRate: 0x7fffffff, GrandmasterPriority1: 128,
			GrandmasterClockQuality: decode.ClockQuality{Class: 6, Accuracy: 0x21, OffsetScaledLogVariance: 0x4e5d},
			GrandmasterPriority2:    128, GrandmasterIdentity: r.Grandmaster}
	case decode.MgmtIDTimePropertiesDataSet:
		d.TimePropertiesDataSet = decode.MgmtTimePropertiesDataSet{CurrentUTCOffset: 37, Flags: 0x0c, TimeSource: decode.TimeSourceGNSS}
	case decode.MgmtIDPortDataSet:
		d.PortDataSet = decode.MgmtPortDataSet{PortIdentity: decode.PortIdentity{Clock: r.Clock, Port: port}, PortState: r.state(port),
			LogAnnounceInterval: 1, AnnounceReceiptTimeout: 3, DelayMechanism: 1, VersionNumber: 2}
	case decode.MgmtIDClockDescription:
		d.ClockDescription = decode.MgmtClockDescription{ClockType: 0x8000, PhysicalLayerProtocol: decode.PTPText("IEEE 802.3"),
			PhysicalAddress: r.Clock[:6], ProductDescription: decode.PTPText(r.Description)}
	case decode.MgmtIDUserDescription:
		d.UserDescription = decode.MgmtUserDescription{UserDescription: decode.PTPText(r.Description)}
	case decode.MgmtIDTimeStatusNP:
		d.TimeStatusNP = decode.MgmtTimeStatusNP{MasterOffset: r.OffsetNs, GmPresent: true, GmIdentity: r.Grandmaster}
	case decode.MgmtIDPortDataSetNP:
		d.PortDataSetNP = decode.MgmtPortDataSetNP{NeighborPropDelayThresh: 20000000}
	}
}

// AnswerV1 answers a PTPv1 (IEEE 1588-2002) management GET the way ptpd
// 1.x does, when r.V1Subdomain names the subdomain r runs in: addressed to
// its UUID, or to PTP_DEFAULT (or its own technology) with a zero UUID;
// the answer carries r's own sequenceId and names the requester as its
// target; PORT_DATA_SET for another port gets nothing. It emits at most
// one message and reports how many.
func (r *Responder) AnswerV1(req *decode.V1Message, emit func(msg []byte)) int {
	if r.Silent || r.V1Subdomain == "" || req.Control != decode.V1Management || SubdomainName(req.SubdomainName) != r.V1Subdomain {
		return 0
	}
	uuid := v1UUID(r.Clock)
	t := &req.Management
	mine := t.TargetCommunicationTechnology == decode.V1CommEthernet && t.TargetUUID == uuid
	all := (t.TargetCommunicationTechnology == decode.V1CommDefault || t.TargetCommunicationTechnology == decode.V1CommEthernet) &&
		t.TargetUUID == [6]byte{}
	if !mine && !all {
		return 0
	}
	var id decode.ManagementID
	found := false
	for v2, keys := range v1Map {
		if keys[0] == t.MessageKey {
			id, found = v2, true
		}
	}
	if !found || r.Ignore[id] || (id == decode.MgmtIDPortDataSet && t.TargetPortID != 0 && t.TargetPortID != 1) {
		return 0
	}
	var params decode.V1Parameters
	switch id {
	case decode.MgmtIDDefaultDataSet:
		d := &decode.V1DefaultDataSet{ClockCommunicationTechnology: decode.V1CommEthernet, ClockUUID: uuid, ClockPortField: 1,
			ClockStratum: 4, ClockIdentifier: decode.V1ClockIdentifier{'D', 'F', 'L', 'T'}, NumberPorts: 1, SyncInterval: 1}
		copy(d.SubdomainName[:], r.V1Subdomain)
		params = d
	case decode.MgmtIDCurrentDataSet:
		params = &decode.V1CurrentDataSet{StepsRemoved: r.StepsRemoved, OffsetFromMaster: v1Time(r.OffsetNs), OneWayDelay: v1Time(r.DelayNs)}
	case decode.MgmtIDParentDataSet:
		params = &decode.V1ParentDataSet{ParentCommunicationTechnology: decode.V1CommEthernet, ParentUUID: v1UUID(r.Parent.Clock),
			ParentPortID: r.Parent.Port, GrandmasterCommunicationTechnology: decode.V1CommEthernet, GrandmasterUUID: v1UUID(r.Grandmaster),
			GrandmasterPortID: 1, GrandmasterStratum: 1, GrandmasterIdentifier: decode.V1ClockIdentifier{'G', 'P', 'S'}}
	case decode.MgmtIDPortDataSet:
		var s decode.V1PortState
		if ps := r.state(1); ps >= 1 && ps <= 9 {
			s = decode.V1PortState(ps - 1)
		}
		params = &decode.V1PortDataSet{ReturnedPortNumber: 1, PortState: s, PortCommunicationTechnology: decode.V1CommEthernet,
			PortUUID: uuid, PortIDField: 1, SubdomainAddressOctets: 4, EventPortAddressOctets: 2, GeneralPortAddressOctets: 2,
			SubdomainAddress: [4]byte{224, 0, 1, 129}, EventPortAddress: [2]byte{1, 63}, GeneralPortAddress: [2]byte{1, 64}}
	case decode.MgmtIDTimePropertiesDataSet:
		params = &decode.V1GlobalTimeDataSet{CurrentUTCOffset: 37}
	case decode.MgmtIDClockDescription:
		d := &decode.V1ClockIdentityParams{ClockCommunicationTechnology: decode.V1CommEthernet, ClockUUID: uuid, ClockPortField: 1}
		copy(d.ManufacturerIdentity[:], r.Description)
		params = d
	}
	r.v1Seq++
	m := decode.V1Message{V1Header: decode.V1Header{VersionPTP: decode.V1VersionPTP, VersionNetwork: decode.V1VersionNetwork,
		SubdomainName: req.SubdomainName, MessageType: decode.V1GeneralMessage, SourceCommunicationTechnology: decode.V1CommEthernet,
		SourceUUID: uuid, SourcePortID: 1, SequenceID: r.v1Seq, Control: decode.V1Management}}
	m.Management = decode.V1ManagementBody{TargetCommunicationTechnology: req.SourceCommunicationTechnology, TargetUUID: req.SourceUUID,
		TargetPortID: req.SourcePortID, StartingBoundaryHops: t.StartingBoundaryHops, BoundaryHops: t.StartingBoundaryHops - t.BoundaryHops + 1,
		MessageKey: v1Map[id][1]}
	m.Parameters = params.AppendTo(nil)
	emit(m.AppendTo(nil))
	return 1
}

// v1Time is ns as a 1588-2002 TimeRepresentation (sign and magnitude).
func v1Time(ns int64) decode.V1Time {
	neg := ns < 0
	if neg {
		ns = -ns
	}
	t := decode.V1Time{Seconds: uint32(ns / 1e9), Nanoseconds: int32(ns % 1e9)}
	if neg {
		t.Nanoseconds = int32(uint32(t.Nanoseconds) | 1<<31)
	}
	return t
}
