package manage

import (
	"context"
	"errors"
	"hash/fnv"
	"net/netip"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// DemoSource is the demo network as a frame source whose clocks answer
// management like real nodes, so `ptpwatch --demo` shows sweeps at work:
// each clock answers from the simulator's ground truth (its ports' states,
// parents and grandmaster), about one clock in four ignores
// USER_DESCRIPTION and CLOCK_DESCRIPTION (partial), one follower answers
// nothing at all, and every clock refuses linuxptp's _NP IDs as a
// non-linuxptp node does. It is also the Manager's Sender: requests and
// answers come out of Next as captured frames, on the reading goroutine,
// which is the only one that touches the simulator.
type DemoSource struct {
	source.Source // the paced demo network
	net           *sim.Network
	reqs          chan []byte
	out           [][]byte
	cur           []byte
	lastTS        int64
	lastIf        uint16
	silent        decode.ClockIdentity
}

// NewDemoSource wraps paced, which reads net, so that net answers
// management.
func NewDemoSource(paced source.Source, net *sim.Network) *DemoSource {
	return &DemoSource{Source: paced, net: net, reqs: make(chan []byte, 256)}
}

// CaughtUp passes the wrapped source's progress on.
func (d *DemoSource) CaughtUp() (bool, bool) { return source.CaughtUp(d.Source) }

// ErrDemoBusy is returned by Send when requests come faster than the
// demo's frames carry them away.
var ErrDemoBusy = errors.New("manage: demo network busy: request dropped")

// Send queues a request for the demo's clocks.
func (d *DemoSource) Send(_ int, frame []byte) (int64, error) {
	select {
	case d.reqs <- append([]byte(nil), frame...):
		return 0, nil
	default:
		return 0, ErrDemoBusy
	}
}

// Next returns queued requests and answers first, then the network's
// frames.
func (d *DemoSource) Next(ctx context.Context, f *source.Frame) error {
	for len(d.out) == 0 {
		select {
		case req := <-d.reqs:
			d.out = append(d.out, req)
			d.answer(req)
			continue
		default:
		}
		if err := d.Source.Next(ctx, f); err != nil {
			return err
		}
		d.lastTS, d.lastIf = f.Timestamp, f.Interface
		return nil
	}
	d.cur, d.out = d.out[0], d.out[1:]
	*f = source.Frame{Data: d.cur, OrigLen: len(d.cur), Timestamp: d.lastTS, TSSource: source.TimestampSoftware,
		Link: decode.LinkEthernet, Interface: d.lastIf}
	return nil
}

func demoState(s sim.PortState) decode.PortState {
	switch s {
	case sim.PortDisabled:
		return decode.PortStateDisabled
	case sim.PortListening:
		return decode.PortStateListening
	case sim.PortMaster:
		return decode.PortStateMaster
	case sim.PortPassive:
		return decode.PortStatePassive
	case sim.PortSlave:
		return decode.PortStateSlave
	}
	return decode.PortStateListening
}

// answer appends to d.out every answer the demo's clocks give to req.
func (d *DemoSource) answer(req []byte) {
	var f decode.Frame
	if f.Decode(decode.LinkEthernet, req) == decode.ResultOK && f.Version == 1 {
		d.answerV1(&f)
		return
	}
	if f.Result != decode.ResultOK || f.Version != 2 || f.PTP.MessageType != decode.Management ||
		f.PTP.Management.Action != decode.ActionGet {
		return
	}
	m := &f.PTP
	id := m.Management.ID
	truth := d.net.Truth()
	scopes := map[string]*sim.ScopeTruth{}
	for i := range truth.Scopes {
		scopes[truth.Scopes[i].Name] = &truth.Scopes[i]
	}
	if d.silent == (decode.ClockIdentity{}) {
		for _, c := range truth.Clocks {
			if c.Role == sim.RoleFollower && c.Enabled {
				d.silent = c.OwnIdentity // the first follower never answers
				break
			}
		}
	}
	vlan := uint16(NoVLAN)
	if f.NumVLANs > 0 {
		vlan = f.VLANs[f.NumVLANs-1].VID
	}
	for ci := range truth.Clocks {
		c := &truth.Clocks[ci]
		if !c.Enabled || c.OwnIdentity == d.silent || (m.TargetPort.Clock != decode.AllClocks && m.TargetPort.Clock != c.Identity) {
			continue
		}
		h := fnv.New32a()
		h.Write(c.OwnIdentity[:])
		partial := h.Sum32()%4 == 1
		if partial && (id == decode.MgmtIDUserDescription || id == decode.MgmtIDClockDescription) {
			continue
		}
		var inScope []sim.PortTruth
		var sc *sim.ScopeTruth
		for _, p := range c.Ports {
			s := scopes[p.Scope]
			if s == nil || s.Version != 2 || s.Domain != m.Domain || s.Transport != f.Transport || !demoVLAN(s, vlan) {
				continue
			}
			sc = s
			inScope = append(inScope, p)
		}
		for i, p := range inScope {
			portScoped := id.IsPortScoped()
			if portScoped && m.TargetPort.Port != decode.AllPorts && m.TargetPort.Port != p.Port.Port {
				continue
			}
			if !portScoped && i > 0 {
				break // a clock-scoped ID is answered once
			}
			rsp := decode.Message{Header: decode.Header{MessageType: decode.Management, Version: 2, Domain: m.Domain, Source: p.Port,
				Sequence: m.Sequence, Control: 4, LogMessageInterval: 0x7f}, TargetPort: m.Source}
			rsp.Management = decode.ManagementHeader{StartingBoundaryHops: m.Management.StartingBoundaryHops,
				BoundaryHops: m.Management.StartingBoundaryHops, Action: decode.ActionResponse, ID: id}
			var data decode.ManagementData
			data.ID = id
			ok := true
			switch id {
			case decode.MgmtIDDefaultDataSet:
				data.DefaultDataSet = decode.MgmtDefaultDataSet{TwoStepFlag: true, SlaveOnly: c.Role == sim.RoleFollower,
					NumberPorts: uint16(len(c.Ports)), Priority1: 128, ClockQuality: c.Quality, Priority2: 128, ClockIdentity: c.Identity, DomainNumber: m.Domain}
			case decode.MgmtIDCurrentDataSet:
				data.CurrentDataSet = decode.MgmtCurrentDataSet{StepsRemoved: p.StepsRemoved}
			case decode.MgmtIDParentDataSet:
				parent, gm := p.Parent, p.Grandmaster
				if parent == (decode.PortIdentity{}) {
					parent = decode.PortIdentity{Clock: c.Identity}
				}
				if gm == (decode.ClockIdentity{}) {
					gm = c.Identity
				}
				data.ParentDataSet = decode.MgmtParentDataSet{ParentPortIdentity: parent, ObservedParentOffsetScaledLogVariance: 0xffff,
					ObservedParentClockPhaseChangeRate: 0x7fffffff, GrandmasterPriority1: sc.Priority1, GrandmasterClockQuality: sc.Quality,
					GrandmasterPriority2: sc.Priority2, GrandmasterIdentity: gm}
			case decode.MgmtIDTimePropertiesDataSet:
				data.TimePropertiesDataSet = decode.MgmtTimePropertiesDataSet{CurrentUTCOffset: 37, Flags: 0x0c, TimeSource: decode.TimeSourceGNSS}
			case decode.MgmtIDPortDataSet:
				data.PortDataSet = decode.MgmtPortDataSet{PortIdentity: p.Port, PortState: demoState(p.State), LogAnnounceInterval: 1,
					AnnounceReceiptTimeout: 3, DelayMechanism: 1, VersionNumber: 2}
			case decode.MgmtIDClockDescription:
				data.ClockDescription = decode.MgmtClockDescription{ClockType: decode.ClockTypeOrdinary, PhysicalLayerProtocol: decode.PTPText("IEEE 802.3"),
					PhysicalAddress: append([]byte(nil), c.MAC[:]...), ManufacturerIdentity: c.OUI,
					ProductDescription: decode.PTPText(c.Vendor + ";demo;" + c.Name)}
			case decode.MgmtIDUserDescription:
				data.UserDescription = decode.MgmtUserDescription{UserDescription: decode.PTPText(c.Name + ";demo network")}
			default:
				ok = false
			}
			if ok {
				rsp.Management.Data = decode.AppendManagementData(nil, &data)
			} else {
				rsp.Management.TLVType, rsp.Management.ErrorID = decode.TLVManagementErrorStatus, 0x0002 // NOT_SUPPORTED
			}
			e := decode.Encapsulation{Transport: f.Transport, SrcMAC: p.MAC}
			switch f.Transport {
			case decode.TransportUDPv4:
				e.SrcIP = c.IPv4
			case decode.TransportUDPv6:
				e.SrcIP = c.IPv6
				e.DstIP = IPv6Group(0xe)
			}
			if !e.SrcIP.IsValid() && f.Transport != decode.TransportL2 {
				e.SrcIP = netip.AddrFrom4([4]byte{192, 0, 2, 1})
			}
			var tags [1]decode.VLANTag
			if vlan != NoVLAN {
				tags[0].VID = vlan
				e.VLANs = tags[:]
			}
			d.out = append(d.out, e.AppendFrame(nil, &rsp))
		}
	}
}

// answerV1 appends the answers of the demo's PTPv1 clocks to a PTPv1
// management GET, as ptpd 1.x gives them (Responder.AnswerV1): each
// enabled clock with a port in the request's subdomain answers for that
// port, but the silent follower.
func (d *DemoSource) answerV1(f *decode.Frame) {
	truth := d.net.Truth()
	scopes := map[string]*sim.ScopeTruth{}
	for i := range truth.Scopes {
		scopes[truth.Scopes[i].Name] = &truth.Scopes[i]
	}
	sub := SubdomainName(f.V1.SubdomainName)
	for ci := range truth.Clocks {
		c := &truth.Clocks[ci]
		if !c.Enabled || c.OwnIdentity == d.silent {
			continue
		}
		for _, p := range c.Ports {
			if sc := scopes[p.Scope]; sc == nil || sc.Version != 1 || sc.Subdomain != sub {
				continue
			}
			r := Responder{Clock: v1Identity(c.UUID), V1Subdomain: sub, States: []decode.PortState{demoState(p.State)},
				Parent: p.Parent, Grandmaster: p.Grandmaster, StepsRemoved: p.StepsRemoved, Description: c.Vendor + ";demo;" + c.Name}
			src := c.IPv4
			if !src.IsValid() {
				src = netip.AddrFrom4([4]byte{192, 0, 2, 1})
			}
			r.AnswerV1(&f.V1, func(msg []byte) {
				e := decode.Encapsulation{Transport: decode.TransportUDPv4, SrcMAC: p.MAC, SrcIP: src, SrcPort: decode.PortGeneral, DstPort: decode.PortGeneral}
				if g, ok := V1Group(f.V1.SubdomainName); ok {
					e.DstIP = g
				}
				d.out = append(d.out, e.AppendFrame(nil, rawV1(msg)))
			})
			break // one port answers for the clock
		}
	}
}

// rawV1 appends PTP message bytes already encoded.
type rawV1 []byte

func (r rawV1) AppendTo(b []byte) []byte { return append(b, r...) }

func demoVLAN(s *sim.ScopeTruth, vlan uint16) bool {
	if vlan == NoVLAN {
		return len(s.VLANs) == 0
	}
	for _, v := range s.VLANs {
		if v == vlan {
			return true
		}
	}
	return false
}

// demoPaths are the addresses ptpwatch "sends" from in the demo.
func demoPaths(ifaces []source.Interface) []Path {
	var ps []Path
	for i, ifc := range ifaces {
		ps = append(ps, Path{Segment: ifc.Segment, Interface: i, Name: ifc.Name, MAC: [6]byte{0x02, 0x70, 0x77, 0, 0, 1},
			IPv4: netip.AddrFrom4([4]byte{192, 0, 2, 250}), IPv6: netip.MustParseAddr("2001:db8::250")})
	}
	return ps
}
