package manage

import (
	"net/netip"
	"testing"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
)

// replyFrame builds a captured UDPv4 frame carrying r's answer to a GET of
// id from self with sequenceId seq.
func replyFrame(tb testing.TB, r *Responder, self decode.PortIdentity, id decode.ManagementID, seq uint16, target decode.PortIdentity) []byte {
	tb.Helper()
	req := decode.Message{Header: decode.Header{MessageType: decode.Management, Version: 2, Domain: r.Domain, Source: self, Sequence: seq},
		TargetPort: target, Management: decode.ManagementHeader{Action: decode.ActionGet, ID: id}}
	var out []byte
	r.Answer(&req, func(msg []byte) {
		e := decode.Encapsulation{Transport: decode.TransportUDPv4, SrcMAC: [6]byte{2, 0, 0, 0, 0, 9}, SrcIP: netip.MustParseAddr("10.9.0.9")}
		out = e.AppendFrame(nil, rawMsg(msg))
	})
	if out == nil {
		tb.Fatalf("responder gave no answer to %v", id)
	}
	return out
}

// discoveryManager returns a Manager with one discovery query outstanding
// as sequenceId 1.
func discoveryManager(tb testing.TB) *Manager {
	s := Defaults()
	s.ReplyCap = 100000
	m, err := New(s, Env{Sender: &simNet{t: tb}, Paths: func() []Path { return []Path{simPath()} }})
	if err != nil {
		tb.Fatal(err)
	}
	m.sweeps = 1
	m.pending[1] = &pending{kind: kindDiscovery, seq: 1, path: simPath()}
	return m
}

// TestHandleFrameNoAllocs: frames that are not our replies, and replies
// from a node already known, are handled without allocating.
func TestHandleFrameNoAllocs(t *testing.T) {
	m := discoveryManager(t)
	r := &Responder{Clock: clockN(1), NumberPorts: 1}
	all := decode.PortIdentity{Clock: decode.AllClocks, Port: decode.AllPorts}
	ours := replyFrame(t, r, m.Self(), decode.MgmtIDDefaultDataSet, 1, all)
	other := replyFrame(t, r, decode.PortIdentity{Clock: clockN(99), Port: 1}, decode.MgmtIDDefaultDataSet, 1, all)
	var f, g decode.Frame
	f.Decode(decode.LinkEthernet, ours)
	g.Decode(decode.LinkEthernet, other)
	m.HandleFrame(&f, 0, 1) // creates the node
	if a := testing.AllocsPerRun(1000, func() { m.HandleFrame(&g, 0, 2) }); a != 0 {
		t.Errorf("a reply to someone else: %v allocs", a)
	}
	if a := testing.AllocsPerRun(1000, func() { m.pending[1].replies = 0; m.HandleFrame(&f, 0, 2) }); a != 0 {
		t.Errorf("a reply from a known node: %v allocs", a)
	}
	if len(m.nodes) != 1 {
		t.Errorf("%d nodes, want 1", len(m.nodes))
	}
}

// FuzzHandleFrame feeds arbitrary frames to the reply handling, with a
// discovery and a follow-up outstanding: it must never panic, and a frame
// not addressed to ptpwatch must never create a node.
func FuzzHandleFrame(f *testing.F) {
	self := SelfIdentity([6]byte{0x02, 0xaa, 0, 0, 0, 1})
	r := &Responder{Clock: clockN(1), NumberPorts: 2, States: []decode.PortState{decode.PortStatePassive, decode.PortStateSlave}}
	all := decode.PortIdentity{Clock: decode.AllClocks, Port: decode.AllPorts}
	tb := &testing.T{}
	for _, id := range []decode.ManagementID{decode.MgmtIDDefaultDataSet, decode.MgmtIDPortDataSet, decode.MgmtIDParentDataSet, decode.MgmtIDClockDescription} {
		f.Add(replyFrame(tb, r, self, id, 1, all))
		f.Add(replyFrame(tb, r, self, id, 2, decode.PortIdentity{Clock: clockN(1), Port: 1}))
	}
	r.Refuse = map[decode.ManagementID]bool{decode.MgmtIDClockDescription: true}
	f.Add(replyFrame(tb, r, self, decode.MgmtIDClockDescription, 2, all))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := Defaults()
		s.PortIdentity = self.String()
		m, err := New(s, Env{Sender: &simNet{t: t}})
		if err != nil {
			t.Fatal(err)
		}
		n := &node{key: NodeKey{Clock: clockN(1), Scope: Scope{VLAN: NoVLAN, Transport: decode.TransportUDPv4}}, ids: map[idKey]*idStat{}}
		m.nodes[n.key] = n
		m.pending[1] = &pending{kind: kindDiscovery, seq: 1}
		m.pending[2] = &pending{kind: kindFollowUp, seq: 2, node: n, key: idKey{Port: 1, ID: decode.MgmtIDPortDataSet}}
		var got []*Reply
		m.pending[3] = &pending{kind: kindQuery, seq: 3, sink: func(r *Reply) { got = append(got, r) }}
		var fr decode.Frame
		fr.Decode(decode.LinkEthernet, b)
		m.HandleFrame(&fr, 0, 1)
		if fr.Result == decode.ResultOK && fr.PTP.TargetPort != self && len(m.nodes) != 1 {
			t.Fatalf("a frame to %v created a node", fr.PTP.TargetPort)
		}
		for _, st := range m.Status().Nodes {
			_ = st
		}
		for _, r := range got {
			if _, err := Describe(r.ID, r.Data); err != nil && r.Error == "" {
				_ = err // undecodable data is reported, never a panic
			}
		}
	})
}

// BenchmarkReply measures one management reply from the capture path into
// ptpwatch: decoding the frame, the Manager's bookkeeping, and the model
// update (state.Observe and Shard.Apply) the pipeline does for every
// frame, for a PORT_DATA_SET answer from a known node.
func BenchmarkReply(b *testing.B) {
	m := discoveryManager(b)
	r := &Responder{Clock: clockN(1), NumberPorts: 1, States: []decode.PortState{decode.PortStatePassive}}
	frame := replyFrame(b, r, m.Self(), decode.MgmtIDPortDataSet, 1, decode.PortIdentity{Clock: clockN(1), Port: 1})
	model := state.NewModel(1, state.NewEventLog(64))
	sh := model.Shard(0)
	var f decode.Frame
	var o state.Observation
	step := func(t int64) {
		f.Decode(decode.LinkEthernet, frame)
		m.pending[1].replies = 0
		m.HandleFrame(&f, 0, t)
		if state.Observe(&f, 0, t, false, &o) {
			sh.Apply(&o)
		}
	}
	step(1e9)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step(int64(2e9) + int64(i)*1e6)
	}
	b.StopTimer()
	if a := testing.AllocsPerRun(100, func() { step(5e12) }); a != 0 {
		b.Errorf("%v allocs per reply", a)
	}
}

// TestRepliesIntoModel: a PASSIVE port that sends nothing of its own
// appears in the model from its management answers alone, with its state
// and parent marked as reported through management, and a parent that
// disagrees with the wire raises an event.
func TestRepliesIntoModel(t *testing.T) {
	self := SelfIdentity([6]byte{2, 0, 0, 0, 0, 1})
	gm := decode.PortIdentity{Clock: clockN(1), Port: 1}
	passive := &Responder{Clock: clockN(2), NumberPorts: 1, States: []decode.PortState{decode.PortStatePassive}, Parent: gm, Grandmaster: gm.Clock}
	model := state.NewModel(1, state.NewEventLog(64))
	sh := model.Shard(0)
	at := int64(1e9)
	feed := func(frame []byte) {
		var f decode.Frame
		var o state.Observation
		f.Decode(decode.LinkEthernet, frame)
		if !state.Observe(&f, 0, at, false, &o) {
			t.Fatalf("reply not observed: %v", f.Reason)
		}
		sh.Apply(&o)
		at += 1e6
	}
	port1 := decode.PortIdentity{Clock: clockN(2), Port: 1}
	feed(replyFrame(t, passive, self, decode.MgmtIDPortDataSet, 1, port1))
	feed(replyFrame(t, passive, self, decode.MgmtIDParentDataSet, 2, decode.PortIdentity{Clock: clockN(2), Port: decode.AllPorts}))
	sh.Publish()
	snap := model.Snapshot()
	var in *state.Instance
	for i := range snap.Instances {
		if snap.Instances[i].PortIdentity == port1.String() {
			in = &snap.Instances[i]
		}
	}
	if in == nil {
		t.Fatalf("the PASSIVE port is not in the model: %+v", snap.Instances)
	}
	if in.PortState != state.StatePassive || in.StateSource != state.Management {
		t.Errorf("portState %v from %q, want PASSIVE from management", in.PortState, in.StateSource)
	}
	if in.Parent != gm.String() || in.ParentSource != state.Management || in.Grandmaster != gm.Clock.String() {
		t.Errorf("parent %q (%q) grandmaster %q, want %v from management and %v", in.Parent, in.ParentSource, in.Grandmaster, gm, gm.Clock)
	}
}

// TestParentDisagreement: a follower whose Delay_Req the grandmaster
// answers, but whose PARENT_DATA_SET names another parent, raises a
// Parent Disagreement event.
func TestParentDisagreement(t *testing.T) {
	self := SelfIdentity([6]byte{2, 0, 0, 0, 0, 1})
	gm := decode.PortIdentity{Clock: clockN(1), Port: 1}
	other := decode.PortIdentity{Clock: clockN(9), Port: 1}
	follower := &Responder{Clock: clockN(2), NumberPorts: 1, States: []decode.PortState{decode.PortStateSlave}, Parent: other, Grandmaster: other.Clock}
	events := state.NewEventLog(100)
	model := state.NewModel(1, events)
	sh := model.Shard(0)
	at := int64(1e9)
	feed := func(frame []byte) {
		var f decode.Frame
		var o state.Observation
		f.Decode(decode.LinkEthernet, frame)
		if state.Observe(&f, 0, at, false, &o) {
			sh.Apply(&o)
		}
		at += 1e6
	}
	e := decode.Encapsulation{Transport: decode.TransportUDPv4, SrcMAC: [6]byte{2, 0, 0, 0, 0, 7}, SrcIP: netip.MustParseAddr("10.9.0.7")}
	resp := decode.Message{Header: decode.Header{MessageType: decode.DelayResp, Version: 2, Source: gm, Sequence: 1},
		RequestingPort: decode.PortIdentity{Clock: clockN(2), Port: 1}}
	feed(e.AppendFrame(nil, &resp))
	feed(replyFrame(t, follower, self, decode.MgmtIDParentDataSet, 2, decode.PortIdentity{Clock: clockN(2), Port: 1}))
	var found bool
	for _, ev := range events.Events(0, 100) {
		if ev.Type == state.ParentDisagreement {
			found = ev.Before == gm.String() && ev.After == other.String()
			t.Logf("%+v", ev)
		}
	}
	if !found {
		t.Errorf("no Parent Disagreement event naming %v and %v: %+v", gm, other, events.Events(0, 100))
	}
}
