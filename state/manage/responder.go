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
}

// Answer appends to b the answers of r to the request req (a decoded
// PTPv2 management message) and calls emit once per answer with the PTP
// message bytes; it reports how many it gave. A GET addressed to
// another clock, another domain or a port r does not have gets none.
func (r *Responder) Answer(req *decode.Message, emit func(msg []byte)) int {
	if r.Silent || req.MessageType&0x0f != decode.Management || req.Management.Action != decode.ActionGet || req.Domain != r.Domain {
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
