package manage

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
)

// simNet is a segment of simulated responders behind a Sender: each frame
// the Manager sends is decoded, given to every responder, and their answers
// come back as captured frames on another goroutine, as the capture path
// would deliver them.
type simNet struct {
	t     testing.TB
	nodes []*Responder
	addrs []netip.Addr
	m     *Manager
	// replies is the capture path's queue.
	replies chan []byte
	mu      sync.Mutex
	sent    []int64 // send times (ns)
	frames  [][]byte
	handled map[uint16]int64 // reply sequenceId -> when the Manager took it
	wg      sync.WaitGroup
}

func newSimNet(t testing.TB, nodes []*Responder) *simNet {
	n := &simNet{t: t, nodes: nodes, replies: make(chan []byte, 1<<16), handled: map[uint16]int64{}}
	for i := range nodes {
		n.addrs = append(n.addrs, netip.AddrFrom4([4]byte{10, 9, byte(i >> 8), byte(i)}))
	}
	return n
}

func (n *simNet) Send(ifIndex int, frame []byte) (int64, error) {
	now := time.Now().UnixNano()
	n.mu.Lock()
	n.sent = append(n.sent, now)
	n.frames = append(n.frames, append([]byte(nil), frame...))
	n.mu.Unlock()
	var f decode.Frame
	if f.Decode(decode.LinkEthernet, frame) != decode.ResultOK {
		n.t.Errorf("sent a frame that does not decode: %v %v", f.Result, f.Reason)
		return now, nil
	}
	for i, r := range n.nodes {
		if f.Version == 1 {
			if !f.DstIP.IsMulticast() && f.DstIP != n.addrs[i] {
				continue
			}
			src, mac := n.addrs[i], [6]byte{0x02, 0, 0, 0, byte(i >> 8), byte(i)}
			r.AnswerV1(&f.V1, func(msg []byte) {
				e := decode.Encapsulation{Transport: decode.TransportUDPv4, SrcMAC: mac, SrcIP: src, SrcPort: 320, DstPort: 320}
				n.replies <- e.AppendFrame(nil, rawMsg(msg))
			})
			continue
		}
		if f.PTP.Flags&decode.FlagUnicast != 0 && f.DstIP != n.addrs[i] {
			continue
		}
		src := n.addrs[i]
		mac := [6]byte{0x02, 0, 0, 0, byte(i >> 8), byte(i)}
		r.Answer(&f.PTP, func(msg []byte) {
			e := decode.Encapsulation{Transport: decode.TransportUDPv4, SrcMAC: mac, SrcIP: src, SrcPort: 320, DstPort: 320}
			m := decode.Message{}
			if res, _ := m.Decode(msg); res != decode.ResultOK {
				n.t.Errorf("responder built a message that does not decode")
				return
			}
			n.replies <- e.AppendFrame(nil, rawMsg(msg))
		})
	}
	return now, nil
}

// rawMsg appends already-encoded PTP bytes.
type rawMsg []byte

func (r rawMsg) AppendTo(b []byte) []byte { return append(b, r...) }

// capture runs the capture path: it decodes every reply and hands it to
// the Manager, until ctx ends.
func (n *simNet) capture(ctx context.Context) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		var f decode.Frame
		for {
			select {
			case <-ctx.Done():
				return
			case b := <-n.replies:
				if f.Decode(decode.LinkEthernet, b) == decode.ResultOK {
					n.m.HandleFrame(&f, 0, time.Now().UnixNano())
					n.mu.Lock()
					n.handled[f.PTP.Sequence] = time.Now().UnixNano()
					n.mu.Unlock()
				}
			}
		}
	}()
}

func simPath() Path {
	return Path{Segment: 0, Interface: 0, Name: "sim0", MAC: [6]byte{0x02, 0xaa, 0, 0, 0, 1},
		IPv4: netip.MustParseAddr("10.9.255.1"), IPv6: netip.MustParseAddr("fd09::1")}
}

func clockN(i int) decode.ClockIdentity {
	return decode.ClockIdentity{0x00, 0x1b, 0x21, 0xff, 0xfe, 0, byte(i >> 8), byte(i)}
}

func startSim(t *testing.T, s Settings, nodes []*Responder) (*simNet, *Manager, context.Context) {
	t.Helper()
	n := newSimNet(t, nodes)
	m, err := New(s, Env{Sender: n, Paths: func() []Path { return []Path{simPath()} }})
	if err != nil {
		t.Fatal(err)
	}
	n.m = m
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	n.capture(ctx)
	t.Cleanup(func() { cancel(); n.wg.Wait() })
	return n, m, ctx
}

// TestSweepStates runs a sweep against a grandmaster, a PASSIVE backup, a
// follower, a node that ignores the _NP IDs and a node that refuses
// CLOCK_DESCRIPTION, and checks each node's status, capability matrix and
// reported data.
func TestSweepStates(t *testing.T) {
	gm := clockN(1)
	gmPort := decode.PortIdentity{Clock: gm, Port: 1}
	np := map[decode.ManagementID]bool{decode.MgmtIDTimeStatusNP: true, decode.MgmtIDPortDataSetNP: true,
		decode.MgmtIDPortStatsNP: true, decode.MgmtIDPortServiceStatsNP: true}
	noDesc := map[decode.ManagementID]bool{decode.MgmtIDUserDescription: true}
	nodes := []*Responder{
		{Clock: gm, NumberPorts: 1, Priority1: 100, States: []decode.PortState{decode.PortStateMaster}, Parent: gmPort, Grandmaster: gm},
		{Clock: clockN(2), NumberPorts: 1, Priority1: 110, States: []decode.PortState{decode.PortStatePassive}, Parent: gmPort, Grandmaster: gm},
		{Clock: clockN(3), NumberPorts: 2, Priority1: 128, States: []decode.PortState{decode.PortStateSlave, decode.PortStateMaster}, Parent: gmPort, Grandmaster: gm, OffsetNs: -42, DelayNs: 1500},
		{Clock: clockN(4), NumberPorts: 1, States: []decode.PortState{decode.PortStateSlave}, Parent: gmPort, Grandmaster: gm, Ignore: np},
		{Clock: clockN(5), NumberPorts: 1, States: []decode.PortState{decode.PortStateListening}, Parent: gmPort, Grandmaster: gm,
			Refuse: map[decode.ManagementID]bool{decode.MgmtIDClockDescription: true}},
		{Clock: clockN(6), Silent: true},
		{Clock: clockN(7), NumberPorts: 1, States: []decode.PortState{decode.PortStateSlave}, Parent: gmPort, Grandmaster: gm, Ignore: noDesc},
	}
	s := Defaults()
	s.Domains = "0"
	s.Rate, s.GlobalRate, s.TimeoutMs, s.Retries, s.CollectMs = 200, 200, 100, 1, 1000
	n, m, ctx := startSim(t, s, nodes)
	sum := m.Sweep(ctx)
	t.Logf("sweep: %+v", sum)
	st := m.Status()
	byClock := map[string]NodeView{}
	for _, nv := range st.Nodes {
		byClock[nv.ClockIdentity] = nv
	}
	tests := []struct {
		clock          decode.ClockIdentity
		status         string
		state          string // PORT_DATA_SET port 1
		ignores, refus int
	}{
		{gm, Online, "MASTER", 0, 0},
		{clockN(2), Online, "PASSIVE", 0, 0},
		{clockN(3), Online, "SLAVE", 0, 0},
		{clockN(4), Online, "SLAVE", 4, 0}, // the _NP IDs are asked where the node answers them
		{clockN(7), Partial, "SLAVE", 1, 0},
		{clockN(5), Partial, "LISTENING", 0, 1},
	}
	for _, tc := range tests {
		nv, ok := byClock[tc.clock.String()]
		if !ok {
			t.Errorf("%s: not found (nodes %v)", tc.clock, st.Nodes)
			continue
		}
		if nv.Status != tc.status {
			t.Errorf("%s: status %s, want %s (ignores %v refuses %v)", tc.clock, nv.Status, tc.status, nv.Ignores, nv.Refuses)
		}
		if len(nv.Ignores) != tc.ignores || len(nv.Refuses) != tc.refus {
			t.Errorf("%s: ignores %v refuses %v, want %d and %d", tc.clock, nv.Ignores, nv.Refuses, tc.ignores, tc.refus)
		}
		var state, gmSeen string
		for _, a := range nv.Data {
			for _, f := range a.Fields {
				switch {
				case a.ID == "PORT_DATA_SET" && a.Port == "1" && f.Name == "portState":
					state = f.Value
				case a.ID == "PARENT_DATA_SET" && f.Name == "grandmasterIdentity":
					gmSeen = f.Value
				}
			}
			if a.Status == Answered && a.Source != "management" {
				t.Errorf("%s %s: source %q", tc.clock, a.ID, a.Source)
			}
		}
		if state != tc.state {
			t.Errorf("%s: PORT_DATA_SET portState %q, want %s", tc.clock, state, tc.state)
		}
		if gmSeen != gm.String() {
			t.Errorf("%s: grandmasterIdentity %q, want %s", tc.clock, gmSeen, gm)
		}
	}
	if _, ok := byClock[clockN(6).String()]; ok {
		t.Errorf("a silent node was listed")
	}
	// The second port of clock 3 was asked and answered too.
	var second bool
	for _, a := range byClock[clockN(3).String()].Data {
		if a.ID == "PORT_DATA_SET" && a.Port == "2" && a.Status == Answered {
			second = true
		}
	}
	if !second {
		t.Errorf("port 2 of %s was not asked PORT_DATA_SET", clockN(3))
	}
	// Every follow-up was unicast to the node that answered discovery.
	for _, fr := range n.frames[1:] {
		var f decode.Frame
		f.Decode(decode.LinkEthernet, fr)
		if f.PTP.Flags&decode.FlagUnicast == 0 || f.DstIP.IsMulticast() || f.SrcPort != 320 || f.DstPort != 320 {
			t.Fatalf("follow-up not unicast from and to port 320: %v -> %v:%d flags %v", f.SrcIP, f.DstIP, f.DstPort, f.PTP.Flags)
		}
		if f.PTP.Source != m.Self() {
			t.Fatalf("request from %v, want ptpwatch's own %v", f.PTP.Source, m.Self())
		}
	}
	// A second sweep with clock 2 gone marks it offline.
	nodes[1].Silent = true
	m.Sweep(ctx)
	for _, nv := range m.Status().Nodes {
		if nv.ClockIdentity == clockN(2).String() && nv.Status != Offline {
			t.Errorf("silent node %s: status %s, want offline", nv.ClockIdentity, nv.Status)
		}
	}
}

// TestSweepRetries: a node that ignores an ID is asked 1+Retries times,
// each wait twice the one before, and then marked as ignoring it.
func TestSweepRetries(t *testing.T) {
	r := &Responder{Clock: clockN(1), NumberPorts: 1, Ignore: map[decode.ManagementID]bool{decode.MgmtIDPortDataSet: true}}
	s := Defaults()
	s.Domains, s.IDs, s.Retries, s.TimeoutMs, s.CollectMs, s.Rate, s.GlobalRate = "0", []string{"PORT_DATA_SET"}, 2, 100, 1000, 100, 100
	n, m, ctx := startSim(t, s, []*Responder{r})
	sum := m.Sweep(ctx)
	var asks []int64
	for i, fr := range n.frames {
		var f decode.Frame
		f.Decode(decode.LinkEthernet, fr)
		if f.PTP.Management.ID == decode.MgmtIDPortDataSet {
			asks = append(asks, n.sent[i])
		}
	}
	if len(asks) != 3 || sum.Retries != 2 {
		t.Fatalf("PORT_DATA_SET sent %d times (retries %d), want 3 (2 retries)", len(asks), sum.Retries)
	}
	g1, g2 := asks[1]-asks[0], asks[2]-asks[1]
	if g1 < 100e6 || g2 < 200e6 {
		t.Errorf("retry gaps %v, %v: want at least 100 ms then 200 ms", time.Duration(g1), time.Duration(g2))
	}
	nv := m.Status().Nodes[0]
	if len(nv.Ignores) != 1 || nv.Ignores[0] != "PORT_DATA_SET" || nv.Status != Partial {
		t.Errorf("node: status %s ignores %v, want partial ignoring PORT_DATA_SET", nv.Status, nv.Ignores)
	}
}

// TestFloodSafety sweeps 500 responders with a low rate and checks that no
// one-second window holds more frames than the rate, that one request per
// node is outstanding at a time, and that replies beyond the cap are not
// taken.
func TestFloodSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 10 s")
	}
	const nodesN, rate, replyCap = 500, 100, 400
	var nodes []*Responder
	for i := 0; i < nodesN; i++ {
		nodes = append(nodes, &Responder{Clock: clockN(i + 1), NumberPorts: 1, States: []decode.PortState{decode.PortStateSlave}})
	}
	s := Defaults()
	s.Domains, s.IDs, s.Rate, s.GlobalRate, s.ReplyCap, s.TimeoutMs, s.CollectMs = "0", []string{"PORT_DATA_SET", "PARENT_DATA_SET"}, rate, rate, replyCap, 1000, 1000
	n, m, ctx := startSim(t, s, nodes)
	sum := m.Sweep(ctx)
	t.Logf("sweep: sent %d, replies %d, over cap %d, nodes %d online %d, %v", sum.Sent, sum.Replies, sum.Capped, sum.Nodes, sum.Online,
		time.Duration(sum.Finished-sum.Started))
	if sum.Capped != nodesN-replyCap || sum.Nodes != replyCap {
		t.Errorf("capped %d nodes %d: want %d replies over the cap and %d nodes", sum.Capped, sum.Nodes, nodesN-replyCap, replyCap)
	}
	if want := 1 + 2*replyCap; sum.Sent != want {
		t.Errorf("sent %d frames, want %d", sum.Sent, want)
	}
	worst := maxInWindow(n.sent, 1e9)
	if worst > rate {
		t.Errorf("%d frames in one second, rate is %d", worst, rate)
	}
	t.Logf("most frames in any second: %d (rate %d)", worst, rate)
	// One request outstanding per node: the next request to a node leaves
	// only after the answer to the previous one was taken.
	lastSeq := map[netip.Addr]uint16{}
	for i, fr := range n.frames {
		var f decode.Frame
		f.Decode(decode.LinkEthernet, fr)
		if f.PTP.Flags&decode.FlagUnicast == 0 {
			continue
		}
		if prev, ok := lastSeq[f.DstIP]; ok {
			if h, ok := n.handled[prev]; !ok || h > n.sent[i] {
				t.Fatalf("request %d to %v sent before the answer to %d was taken", f.PTP.Sequence, f.DstIP, prev)
			}
		}
		lastSeq[f.DstIP] = f.PTP.Sequence
	}
}

// maxInWindow returns the most times within any window of w ns.
func maxInWindow(ts []int64, w int64) int {
	best, j := 0, 0
	for i := range ts {
		for ts[i]-ts[j] >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

// TestPauseWhileDropping: no frame leaves while the capture drops.
func TestPauseWhileDropping(t *testing.T) {
	r := &Responder{Clock: clockN(1), NumberPorts: 1}
	s := Defaults()
	s.Domains, s.IDs, s.CollectMs = "0", []string{"PORT_DATA_SET"}, 1000
	n := newSimNet(t, []*Responder{r})
	var dropping sync.Mutex
	drop := true
	m, err := New(s, Env{Sender: n, Paths: func() []Path { return []Path{simPath()} },
		Dropping: func() bool { dropping.Lock(); defer dropping.Unlock(); return drop }})
	if err != nil {
		t.Fatal(err)
	}
	n.m = m
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); n.wg.Wait() }()
	n.capture(ctx)
	done := make(chan Summary)
	go func() { done <- m.Sweep(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for !m.Status().Paused {
		if time.Now().After(deadline) {
			t.Fatal("the sweep did not pause while the capture dropped")
		}
		time.Sleep(10 * time.Millisecond)
	}
	n.mu.Lock()
	sent := len(n.sent)
	n.mu.Unlock()
	if sent != 0 {
		t.Fatalf("%d frames sent while the capture dropped", sent)
	}
	dropping.Lock()
	drop = false
	dropping.Unlock()
	sum := <-done
	if sum.Sent != 2 || sum.Online != 1 || sum.PausedMs == 0 {
		t.Errorf("after the pause: %+v", sum)
	}
}

// TestIdentityDrift: two clocks that swap addresses between sweeps raise
// Identity Drift, once for each clock at a new address and once for each
// address with a new clock.
func TestIdentityDrift(t *testing.T) {
	nodes := []*Responder{{Clock: clockN(1), NumberPorts: 1}, {Clock: clockN(2), NumberPorts: 1}}
	s := Defaults()
	s.Domains, s.IDs, s.CollectMs = "0", []string{"PORT_DATA_SET"}, 1000
	n := newSimNet(t, nodes)
	var mu sync.Mutex
	var events []state.Event
	m, err := New(s, Env{Sender: n, Paths: func() []Path { return []Path{simPath()} },
		Event: func(e state.Event) { mu.Lock(); events = append(events, e); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	n.m = m
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); n.wg.Wait() }()
	n.capture(ctx)
	m.Sweep(ctx)
	if len(events) != 0 {
		t.Fatalf("events after the first sweep: %v", events)
	}
	n.addrs[0], n.addrs[1] = n.addrs[1], n.addrs[0]
	m.Sweep(ctx)
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 4 {
		t.Fatalf("%d events, want 4: %+v", len(events), events)
	}
	for _, e := range events {
		if e.Type != state.IdentityDrift || e.Before == e.After {
			t.Errorf("event %+v", e)
		}
	}
}
