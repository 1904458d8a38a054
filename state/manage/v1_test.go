package manage

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
)

func v1Sub(name string) (s [16]byte) { copy(s[:], name); return s }

// TestV1Request checks the PTPv1 management GET on the wire: UDP/IPv4
// from and to port 320, to the subdomain's group, PTP_DEFAULT with a zero
// UUID for all clocks, our own UUID (never the MAC a v1 daemon here uses).
func TestV1Request(t *testing.T) {
	self := SelfIdentity([6]byte{0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc})
	p := simPath()
	tests := []struct {
		name   string
		req    Request
		err    error
		dst    string
		key    decode.V1ManagementKey
		target [6]byte
		port   uint16
	}{
		{"discovery in _DFLT", Request{Subdomain: v1Sub("_DFLT"), Target: decode.PortIdentity{Clock: decode.AllClocks, Port: decode.AllPorts},
			Action: decode.ActionGet, ID: decode.MgmtIDDefaultDataSet, VLAN: NoVLAN, BoundaryHops: 1}, nil, "224.0.1.129", decode.V1MMGetDefaultDataSet, [6]byte{}, 0},
		{"port data set in _ALT2, unicast", Request{Subdomain: v1Sub("_ALT2"), Target: decode.PortIdentity{Clock: clockN(7), Port: 1},
			Action: decode.ActionGet, ID: decode.MgmtIDPortDataSet, VLAN: NoVLAN, DstIP: netip.MustParseAddr("10.9.0.7")}, nil, "10.9.0.7",
			decode.V1MMGetPortDataSet, v1UUID(clockN(7)), 1},
		{"time properties as global time", Request{Subdomain: v1Sub("_ALT3"), Target: decode.PortIdentity{Clock: decode.AllClocks, Port: decode.AllPorts},
			Action: decode.ActionGet, ID: decode.MgmtIDTimePropertiesDataSet, VLAN: 20}, nil, "224.0.1.132", decode.V1MMGetGlobalTimeDataSet, [6]byte{}, 0},
		{"other name: CRC-32 mod 3", Request{Subdomain: v1Sub("factory"), Target: decode.PortIdentity{Clock: decode.AllClocks, Port: decode.AllPorts},
			Action: decode.ActionGet, ID: decode.MgmtIDDefaultDataSet, VLAN: NoVLAN}, nil, factoryGroup(), decode.V1MMGetDefaultDataSet, [6]byte{}, 0},
		{"no v1 key", Request{Subdomain: v1Sub("_DFLT"), Action: decode.ActionGet, ID: decode.MgmtIDUserDescription, VLAN: NoVLAN}, ErrNoV1Equivalent, "", 0, [6]byte{}, 0},
		{"no SET", Request{Subdomain: v1Sub("_DFLT"), Action: decode.ActionSet, ID: decode.MgmtIDDefaultDataSet, VLAN: NoVLAN}, ErrNoV1Equivalent, "", 0, [6]byte{}, 0},
	}
	for _, tc := range tests {
		b, err := AppendRequest(nil, &p, self, &tc.req)
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		var f decode.Frame
		if f.Decode(decode.LinkEthernet, b) != decode.ResultOK || f.Version != 1 {
			t.Errorf("%s: does not decode as PTPv1: %v %v", tc.name, f.Result, f.Reason)
			continue
		}
		v := &f.V1
		wantTech := decode.V1CommDefault
		if tc.target != [6]byte{} {
			wantTech = decode.V1CommEthernet
		}
		if f.DstIP.String() != tc.dst || f.SrcPort != 320 || f.DstPort != 320 || v.Control != decode.V1Management ||
			v.Management.MessageKey != tc.key || v.Management.TargetUUID != tc.target || v.Management.TargetCommunicationTechnology != wantTech ||
			v.Management.TargetPortID != tc.port || v.SourceUUID != SelfUUID(self) || v.SourceUUID == [6]byte{0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc} ||
			SubdomainName(v.SubdomainName) != SubdomainName(tc.req.Subdomain) || len(v.Parameters) != 0 {
			t.Errorf("%s: to %v:%d from %d, key %v, target %v %x-%d, source %x, subdomain %q", tc.name, f.DstIP, f.DstPort, f.SrcPort,
				v.Management.MessageKey, v.Management.TargetCommunicationTechnology, v.Management.TargetUUID, v.Management.TargetPortID,
				v.SourceUUID, v.Subdomain())
		}
		if (tc.req.VLAN != NoVLAN) != (f.NumVLANs == 1) {
			t.Errorf("%s: %d VLAN tags", tc.name, f.NumVLANs)
		}
	}
}

// TestV1Sweep sweeps a segment where a PTPv1 subdomain (_DFLT: a master,
// a follower, a node that ignores CURRENT_DATA_SET, a silent one) lives
// beside a PTPv2 domain, with simulated nodes answering as ptpd 1.x does
// (their own sequenceIds, the requester as target). The v1 nodes appear
// as PTPv1 nodes of the subdomain with 1588-2002 names, state, parent and
// offsets; the partial one is partial; version v2 leaves them out. No real
// daemon answers PTPv1 management here: ptpd 2.3.1 implements 1588-2008
// only (its man page), linuxptp never spoke v1.
func TestV1Sweep(t *testing.T) {
	gm := clockN(1)
	gmPort := decode.PortIdentity{Clock: gm, Port: 1}
	nodes := []*Responder{
		{Clock: gm, V1Subdomain: "_DFLT", States: []decode.PortState{decode.PortStateMaster}, Parent: gmPort, Grandmaster: gm, Description: "ptpdv1"},
		{Clock: clockN(2), V1Subdomain: "_DFLT", States: []decode.PortState{decode.PortStateSlave}, Parent: gmPort, Grandmaster: gm, OffsetNs: -1500, DelayNs: 42000, StepsRemoved: 1},
		{Clock: clockN(3), V1Subdomain: "_DFLT", States: []decode.PortState{decode.PortStateSlave}, Parent: gmPort, Grandmaster: gm,
			Ignore: map[decode.ManagementID]bool{decode.MgmtIDCurrentDataSet: true}},
		{Clock: clockN(4), V1Subdomain: "_DFLT", Silent: true},
		{Clock: clockN(9), NumberPorts: 1, States: []decode.PortState{decode.PortStateMaster}, Parent: decode.PortIdentity{Clock: clockN(9), Port: 1}, Grandmaster: clockN(9)},
	}
	s := Defaults()
	s.Domains = "0"
	s.Rate, s.GlobalRate, s.TimeoutMs, s.Retries, s.CollectMs = 200, 200, 100, 0, 1000
	n := newSimNet(t, nodes)
	seen := []Scope{{Segment: 0, Transport: decode.TransportUDPv4, VLAN: NoVLAN, Subdomain: v1Sub("_DFLT")},
		{Segment: 0, Transport: decode.TransportUDPv4, VLAN: NoVLAN, Subdomain: v1Sub("factory")},
		{Segment: 0, Domain: 0, Transport: decode.TransportUDPv4, VLAN: NoVLAN}}
	m, err := New(s, Env{Sender: n, Paths: func() []Path { return []Path{simPath()} }, Seen: func() []Scope { return seen }})
	if err != nil {
		t.Fatal(err)
	}
	n.m = m
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n.capture(ctx)
	defer n.wg.Wait()
	defer cancel()

	plan := m.Plan()
	if plan.PerDomain["v1:_DFLT"] != 1 || plan.PerDomain["v1:factory"] != 1 || plan.PerDomain["0"] != 1 {
		t.Errorf("plan %+v", plan)
	}
	sum := m.Sweep(ctx)
	st := m.Status()
	by := map[string]NodeView{}
	for _, nv := range st.Nodes {
		by[nv.ClockIdentity] = nv
	}
	if len(st.Nodes) != 4 || sum.Online != 3 || sum.Partial != 1 {
		t.Fatalf("sweep %+v, nodes %d", sum, len(st.Nodes))
	}
	tests := []struct {
		clock   decode.ClockIdentity
		status  string
		state   string
		ignores []string
	}{
		{gm, Online, "MASTER", nil},
		{clockN(2), Online, "SLAVE", nil},
		{clockN(3), Partial, "SLAVE", []string{"PTP_MM_CURRENT_DATA_SET"}},
	}
	for _, tc := range tests {
		nv := by[tc.clock.String()]
		if nv.Version != 1 || nv.Subdomain != "_DFLT" || nv.Status != tc.status || nv.Reported.PortStates["1"] != tc.state ||
			nv.Reported.Grandmaster != gm.String() || nv.Reported.Parent != gmPort.String() || len(nv.Ignores) != len(tc.ignores) {
			t.Errorf("%s: %+v", tc.clock, nv)
			continue
		}
		if len(tc.ignores) > 0 && nv.Ignores[0] != tc.ignores[0] {
			t.Errorf("%s: ignores %v", tc.clock, nv.Ignores)
		}
		for _, a := range nv.Data {
			if a.Status == Answered && (len(a.Fields) == 0 || a.Fields[0].Name == "data") {
				t.Errorf("%s %s: fields %v", tc.clock, a.ID, a.Fields)
			}
		}
	}
	r := by[clockN(2).String()].Reported
	if r.OffsetFromMasterNs == nil || *r.OffsetFromMasterNs != -1500 || *r.MeanPathDelayNs != 42000 || r.TimeSinceLastSetMs == nil {
		t.Errorf("follower report %+v", r)
	}
	if v2 := by[clockN(9).String()]; v2.Version != 2 || v2.Status != Online {
		t.Errorf("the PTPv2 node beside: %+v", v2)
	}
	// Every v1 request carried our UUID, never a node's.
	n.mu.Lock()
	frames := n.frames
	n.mu.Unlock()
	v1 := 0
	for _, b := range frames {
		var f decode.Frame
		if f.Decode(decode.LinkEthernet, b) == decode.ResultOK && f.Version == 1 {
			v1++
			if f.V1.SourceUUID != SelfUUID(m.Self()) {
				t.Errorf("a v1 request from %x", f.V1.SourceUUID)
			}
		}
	}
	// Discovery in both subdomains, then per answering node the 6 IDs
	// with v1 keys (USER_DESCRIPTION and the _NP ones have none).
	if v1 != 2+3*6 {
		t.Errorf("%d v1 requests, want %d", v1, 2+3*6)
	}

	s.Version = "v2"
	m.SetSettings(s)
	if p := m.Plan(); p.PerDomain["v1:_DFLT"] != 0 || p.PerDomain["0"] == 0 {
		t.Errorf("version v2 plans %v", p.PerDomain)
	}
	s.Version = "v1"
	m.SetSettings(s)
	if p := m.Plan(); p.PerDomain["v1:_DFLT"] == 0 || p.PerDomain["0"] != 0 {
		t.Errorf("version v1 plans %v", p.PerDomain)
	}
	s.Version, s.Transport = "any", "l2"
	m.SetSettings(s)
	if p := m.Plan(); p.PerDomain["v1:_DFLT"] != 0 {
		t.Errorf("transport l2 plans PTPv1: %v", p.PerDomain)
	}
}

// factoryGroup is the group of subdomain "factory": 224.0.1.130 plus the
// CRC-32 of its 16 octets mod 3, computed here bit by bit as 1588-2002
// Annex C gives it (ptpd 1.x's crc_algorithm), not with hash/crc32.
func factoryGroup() string {
	sub := v1Sub("factory")
	crc := uint32(0xffffffff)
	for _, b := range sub {
		for i := 0; i < 8; i++ {
			if (crc^uint32(b))&1 != 0 {
				crc = crc>>1 ^ 0xedb88320
			} else {
				crc >>= 1
			}
			b >>= 1
		}
	}
	crc ^= 0xffffffff
	return netip.AddrFrom4([4]byte{224, 0, 1, 130 + byte(crc%3)}).String()
}

// v1ReplyFrame is r's PTPv1 answer to a GET of id from self, as captured.
func v1ReplyFrame(tb testing.TB, r *Responder, self decode.PortIdentity, id decode.ManagementID) []byte {
	tb.Helper()
	req := decode.V1Message{V1Header: decode.V1Header{VersionPTP: 1, VersionNetwork: 1, SubdomainName: v1Sub(r.V1Subdomain),
		MessageType: decode.V1GeneralMessage, SourceCommunicationTechnology: decode.V1CommEthernet, SourceUUID: SelfUUID(self),
		SourcePortID: self.Port, Control: decode.V1Management}}
	req.Management = decode.V1ManagementBody{TargetCommunicationTechnology: decode.V1CommDefault, MessageKey: v1Map[id][0]}
	var out []byte
	r.AnswerV1(&req, func(msg []byte) {
		e := decode.Encapsulation{Transport: decode.TransportUDPv4, SrcMAC: [6]byte{2, 0, 0, 0, 0, 9}, SrcIP: netip.MustParseAddr("10.9.0.9"),
			SrcPort: 320, DstPort: 320}
		out = e.AppendFrame(nil, rawMsg(msg))
	})
	if out == nil {
		tb.Fatalf("no v1 answer to %v", id)
	}
	return out
}

// TestV1HandleNoAllocs: PTPv1 frames that are not answers to us are
// turned away without allocating or locking.
func TestV1HandleNoAllocs(t *testing.T) {
	m := discoveryManager(t)
	r := &Responder{Clock: clockN(1), V1Subdomain: "_DFLT", States: []decode.PortState{decode.PortStateMaster}}
	other := v1ReplyFrame(t, r, decode.PortIdentity{Clock: clockN(99), Port: 1}, decode.MgmtIDDefaultDataSet)
	var f decode.Frame
	f.Decode(decode.LinkEthernet, other)
	if a := testing.AllocsPerRun(1000, func() { m.HandleFrame(&f, 0, 2) }); a != 0 {
		t.Errorf("a v1 answer to someone else: %v allocs", a)
	}
	if len(m.nodes) != 0 {
		t.Errorf("%d nodes from answers to someone else", len(m.nodes))
	}
}

// FuzzV1Reply feeds arbitrary PTPv1 messages (in a UDP/IPv4 frame) to the
// reply handling with a v1 discovery, follow-up and query outstanding,
// and to DescribeV1: no panic, and a message whose target is not our UUID
// never creates a node or reaches the query.
func FuzzV1Reply(f *testing.F) {
	self := SelfIdentity([6]byte{0x02, 0xaa, 0, 0, 0, 1})
	r := &Responder{Clock: clockN(1), V1Subdomain: "_DFLT", States: []decode.PortState{decode.PortStateSlave}, Description: "x"}
	tb := &testing.T{}
	for id := range v1Map {
		b := v1ReplyFrame(tb, r, self, id)
		f.Add(b[42:]) // the PTP message after Ethernet, IPv4 and UDP
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		s := Defaults()
		s.PortIdentity = self.String()
		m, err := New(s, Env{Sender: &simNet{t: t}})
		if err != nil {
			t.Fatal(err)
		}
		n := &node{key: NodeKey{Clock: clockN(1), Scope: Scope{VLAN: NoVLAN, Transport: decode.TransportUDPv4, Subdomain: v1Sub("_DFLT")}}, ids: map[idKey]*idStat{}}
		m.nodes[n.key] = n
		sub := v1Sub("_DFLT")
		m.pending[1] = &pending{kind: kindDiscovery, seq: 1, req: Request{Subdomain: sub}}
		m.pending[2] = &pending{kind: kindFollowUp, seq: 2, node: n, key: idKey{Port: 1, ID: decode.MgmtIDPortDataSet}, req: Request{Subdomain: sub}}
		var got []*Reply
		m.pending[3] = &pending{kind: kindQuery, seq: 3, sink: func(r *Reply) { got = append(got, r) }, req: Request{Subdomain: sub, ID: decode.MgmtIDParentDataSet}}
		e := decode.Encapsulation{Transport: decode.TransportUDPv4, SrcMAC: [6]byte{2, 0, 0, 0, 0, 9}, SrcIP: netip.MustParseAddr("10.9.0.9"), SrcPort: 320, DstPort: 320}
		var fr decode.Frame
		fr.Decode(decode.LinkEthernet, e.AppendFrame(nil, rawMsg(msg)))
		m.HandleFrame(&fr, 0, 1)
		ours := fr.Result == decode.ResultOK && fr.Version == 1 && fr.V1.Management.TargetUUID == SelfUUID(self)
		if !ours && (len(m.nodes) != 1 || len(got) != 0) {
			t.Fatalf("a v1 message to %x made %d nodes and %d query answers", fr.V1.Management.TargetUUID, len(m.nodes), len(got))
		}
		m.Status()
		for id := range v1Map {
			DescribeV1(id, msg)
		}
	})
}

// TestV1RepliesIntoModel: a PASSIVE PTPv1 node, which sends nothing of its
// own, appears in the model from its PORT_DATA_SET answer alone, in its
// subdomain, with its state marked as reported through management.
func TestV1RepliesIntoModel(t *testing.T) {
	self := SelfIdentity([6]byte{2, 0, 0, 0, 0, 1})
	passive := &Responder{Clock: clockN(2), V1Subdomain: "_ALT1", States: []decode.PortState{decode.PortStatePassive}}
	model := state.NewModel(1, state.NewEventLog(64))
	sh := model.Shard(0)
	var f decode.Frame
	var o state.Observation
	f.Decode(decode.LinkEthernet, v1ReplyFrame(t, passive, self, decode.MgmtIDPortDataSet))
	if !state.Observe(&f, 0, 1e9, false, &o) {
		t.Fatalf("v1 answer not observed: %v", f.Reason)
	}
	sh.Apply(&o)
	sh.Publish()
	snap := model.Snapshot()
	var in *state.Instance
	for i := range snap.Instances {
		if snap.Instances[i].PortIdentity == (decode.PortIdentity{Clock: clockN(2), Port: 1}).String() {
			in = &snap.Instances[i]
		}
	}
	if in == nil {
		t.Fatalf("the PASSIVE v1 port is not in the model: %+v", snap.Instances)
	}
	if in.PortState != state.StatePassive || in.StateSource != state.Management {
		t.Errorf("portState %v from %q, want PASSIVE from management", in.PortState, in.StateSource)
	}
	found := false
	for _, sc := range snap.Scopes {
		found = found || (sc.VersionPTP == 1 && sc.Subdomain == "_ALT1")
	}
	if !found {
		t.Errorf("no _ALT1 scope: %+v", snap.Scopes)
	}
}
