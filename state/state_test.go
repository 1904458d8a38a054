package state

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/ptpwatch/ptpwatch/decode"
)

type seqKey struct {
	p decode.PortIdentity
	t decode.MessageType
}

// net is a tiny hand-driven PTP network: it encodes frames with decode's
// encoders and feeds them through Observe into one shard.
type testNet struct {
	t     *testing.T
	m     *Model
	now   int64
	seq   map[seqKey]uint16
	frame decode.Frame
}

func newTestNet(t *testing.T) *testNet {
	return &testNet{t: t, m: NewModel(1, nil), now: 1_700_000_000e9, seq: map[seqKey]uint16{}}
}

func clock(last byte) decode.ClockIdentity {
	return decode.ClockIdentity{0xec, 0x46, 0x70, 0xff, 0xfe, 0x00, 0x00, last}
}

func port(last byte) decode.PortIdentity { return decode.PortIdentity{Clock: clock(last), Port: 1} }

// send encodes m from p in domain over UDPv4 and applies it at the current time.
func (n *testNet) send(p decode.PortIdentity, domain uint8, m decode.Message) {
	n.t.Helper()
	m.Version, m.Source, m.Domain = 2, p, domain
	if m.Sequence == 0 {
		k := seqKey{p, m.MessageType}
		m.Sequence = n.seq[k]
		n.seq[k]++
	}
	n.apply(p, &m)
}

// apply wraps msg, sent by p, in UDPv4 from p's MAC and address, and feeds
// it through Observe to the model at the current time.
func (n *testNet) apply(p decode.PortIdentity, msg decode.Appender) {
	n.t.Helper()
	e := decode.Encapsulation{Transport: decode.TransportUDPv4, SrcMAC: [6]byte{0xec, 0x46, 0x70, 0, 0, p.Clock[7]},
		SrcIP: netip.AddrFrom4([4]byte{192, 0, 2, p.Clock[7]})}
	b := e.AppendFrame(nil, msg)
	if n.frame.Decode(decode.LinkEthernet, b) != decode.ResultOK {
		n.t.Fatalf("frame does not decode: %v", n.frame.Reason)
	}
	var o Observation
	if !Observe(&n.frame, 0, n.now, false, &o) {
		n.t.Fatal("not observed")
	}
	n.m.Shard(n.m.ShardFor(o.Scope)).Apply(&o)
}

func (n *testNet) announce(p decode.PortIdentity, domain uint8, gm decode.ClockIdentity, steps uint16, class uint8) {
	n.send(p, domain, decode.Message{Header: decode.Header{MessageType: decode.Announce, LogMessageInterval: 0,
		Flags: decode.FlagPTPTimescale | decode.FlagCurrentUTCOffsetValid},
		Announce: decode.AnnounceBody{CurrentUTCOffset: 37, GrandmasterPriority1: 128, GrandmasterPriority2: 128,
			GrandmasterClockQuality: decode.ClockQuality{Class: class, Accuracy: 0x21, OffsetScaledLogVariance: 0x4e5d},
			GrandmasterIdentity:     gm, StepsRemoved: steps, TimeSource: decode.TimeSourceGNSS}})
}

// second advances time by one second: every master sends Announce and a
// two-step Sync, every follower a Delay_Req that its master answers.
func (n *testNet) second(masters map[decode.PortIdentity]func(), followers map[decode.PortIdentity]decode.PortIdentity, domain map[decode.PortIdentity]uint8) {
	for _, f := range masters {
		f()
	}
	for f, m := range followers {
		n.send(f, domain[f], decode.Message{Header: decode.Header{MessageType: decode.DelayReq, LogMessageInterval: 0x7f}})
		n.send(m, domain[f], decode.Message{Header: decode.Header{MessageType: decode.DelayResp, Sequence: n.seq[seqKey{f, decode.DelayReq}] - 1},
			RequestingPort: f, Timestamp: decode.Timestamp{Seconds: uint64(n.now / 1e9), Nanoseconds: 0}})
	}
	n.now += 1e9
}

func (n *testNet) snapshot() *Snapshot {
	for i := 0; i < n.m.Shards(); i++ {
		n.m.Shard(i).Tick(n.now)
		n.m.Shard(i).Publish()
	}
	return n.m.Snapshot()
}

func (n *testNet) events(t EventType) []Event {
	var out []Event
	for _, e := range n.m.Events.Events(0, 0) {
		if e.Type == t {
			out = append(out, e)
		}
	}
	return out
}

func TestModelRolesHierarchyAndFailover(t *testing.T) {
	n := newTestNet(t)
	gmA, gmB, bc, f1, f2, f3 := port(1), port(2), port(3), port(4), port(5), port(6)
	bcMaster := decode.PortIdentity{Clock: bc.Clock, Port: 2}
	master := func(p decode.PortIdentity, domain uint8, gm decode.ClockIdentity, steps uint16) func() {
		return func() {
			n.announce(p, domain, gm, steps, 6)
			n.send(p, domain, decode.Message{Header: decode.Header{MessageType: decode.Sync, Flags: decode.FlagTwoStep}})
			ts := decode.Timestamp{Seconds: uint64(n.now/1e9) + 37, Nanoseconds: 500}
			n.send(p, domain, decode.Message{Header: decode.Header{MessageType: decode.FollowUp, Sequence: n.seq[seqKey{p, decode.Sync}] - 1}, Timestamp: ts})
		}
	}
	masters := map[decode.PortIdentity]func(){gmA: master(gmA, 0, gmA.Clock, 0), bcMaster: master(bcMaster, 1, gmA.Clock, 1)}
	followers := map[decode.PortIdentity]decode.PortIdentity{f1: gmA, f2: gmA, gmB: gmA, bc: gmA, f3: bcMaster}
	domains := map[decode.PortIdentity]uint8{f1: 0, f2: 0, gmB: 0, bc: 0, f3: 1}
	for i := 0; i < 10; i++ {
		n.second(masters, followers, domains)
	}
	s := n.snapshot()
	if len(s.Scopes) != 2 {
		t.Fatalf("scopes: %+v", s.Scopes)
	}
	roles := map[string]string{}
	for _, d := range s.Devices {
		var r []string
		for _, x := range d.Roles {
			r = append(r, x.Role)
			if len(x.Evidence) == 0 {
				t.Errorf("%s role %s without evidence", d.ClockIdentity, x.Role)
			}
		}
		roles[d.ClockIdentity] = strings.Join(r, ",")
		if d.Vendor != "Meinberg" {
			t.Errorf("%s vendor %q", d.ClockIdentity, d.Vendor)
		}
	}
	want := map[decode.ClockIdentity]string{gmA.Clock: "grandmaster", bc.Clock: "boundary clock",
		f1.Clock: "ordinary clock (follower)", f3.Clock: "ordinary clock (follower)", gmB.Clock: "ordinary clock (follower)"}
	for c, r := range want {
		if roles[c.String()] != r {
			t.Errorf("%s: roles %q, want %q", c, roles[c.String()], r)
		}
	}
	// GM A → {f1, f2, gmB, bc → bcMaster → f3}
	if len(s.Hierarchy) != 1 || s.Hierarchy[0].PortIdentity != gmA.String() {
		t.Fatalf("hierarchy roots: %+v", s.Hierarchy)
	}
	var bcNode *TreeNode
	for i, c := range s.Hierarchy[0].Children {
		if c.Link != Measured {
			t.Errorf("%s linked %s, want measured", c.PortIdentity, c.Link)
		}
		if c.PortIdentity == bc.String() {
			bcNode = &s.Hierarchy[0].Children[i]
		}
	}
	if len(s.Hierarchy[0].Children) != 4 || bcNode == nil || len(bcNode.Children) != 1 ||
		len(bcNode.Children[0].Children) != 1 || bcNode.Children[0].Children[0].PortIdentity != f3.String() {
		t.Fatalf("hierarchy: %+v", s.Hierarchy)
	}
	for _, in := range s.Instances {
		if in.PortIdentity == gmA.String() {
			if in.Offset == nil || in.Offset.LastNs < 0 || in.Offset.LastNs > 1000 {
				t.Errorf("offset of %s: %+v", in.PortIdentity, in.Offset)
			}
			if c := in.Counters["Sync"]; c.Count != 10 || c.Compliant == nil || !*c.Compliant {
				t.Errorf("sync counters %+v", c)
			}
		}
	}

	// Failover: A goes silent, B takes over after the receipt timeout.
	delete(masters, gmA)
	delete(followers, gmB)
	for f := range followers {
		if followers[f] == gmA {
			followers[f] = gmB
		}
	}
	for i := 0; i < 4; i++ {
		n.second(masters, followers, domains)
	}
	masters[gmB] = master(gmB, 0, gmB.Clock, 0)
	for i := 0; i < 5; i++ {
		n.second(masters, followers, domains)
	}
	n.snapshot()
	if got := n.events(GrandmasterChanged); len(got) != 1 || got[0].Before != gmA.Clock.String() || got[0].After != gmB.Clock.String() {
		t.Errorf("Grandmaster Changed events: %+v", got)
	}
	if got := n.events(MasterSilent); len(got) != 1 || got[0].Subject != gmA.String() {
		t.Errorf("Master Silent events: %+v", got)
	}
	if got := n.events(PortStateChanged); len(got) != 1 || got[0].Subject != gmB.String() || got[0].After != "MASTER" {
		t.Errorf("Port State Changed events: %+v", got)
	}
	if got := n.events(SequenceGap); len(got) != 0 {
		t.Errorf("unexpected gaps: %+v", got)
	}
}

func TestModelSequenceGapQualityAndDuplicate(t *testing.T) {
	n := newTestNet(t)
	gm := port(1)
	for i := 0; i < 3; i++ {
		n.announce(gm, 0, gm.Clock, 0, 6)
		n.now += 1e9
	}
	n.seq[seqKey{gm, decode.Announce}] += 5 // five announces lost
	n.announce(gm, 0, gm.Clock, 0, 6)
	n.now += 1e9
	n.announce(gm, 0, gm.Clock, 0, 7) // holdover
	n.snapshot()
	if got := n.events(SequenceGap); len(got) != 1 || !strings.Contains(got[0].Detail, "5 sequenceId") {
		t.Errorf("gaps: %+v", got)
	}
	if got := n.events(GrandmasterQualityChanged); len(got) != 1 || !strings.Contains(got[0].After, "clockClass 7") {
		t.Errorf("quality: %+v", got)
	}
	if got := n.events(GrandmasterChanged); len(got) != 0 {
		t.Errorf("gm changed: %+v", got)
	}
}

func TestObserveNoAllocs(t *testing.T) {
	n := newTestNet(t)
	gm := port(1)
	n.announce(gm, 0, gm.Clock, 0, 6)
	sh := n.m.Shard(0)
	var o Observation
	allocs := testing.AllocsPerRun(1000, func() {
		Observe(&n.frame, 0, n.now, false, &o)
		o.Sequence++
		o.Time += 1e9
		sh.Apply(&o)
	})
	if allocs != 0 {
		t.Errorf("Observe+Apply allocate %v per frame", allocs)
	}
}
