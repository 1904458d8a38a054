package manage

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state/store"
)

func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(dir, store.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MinFreeBytes: -1, BallastBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// stable drops from a status what changes with the time it is read.
func stable(t *testing.T, v StatusView) string {
	t.Helper()
	for i := range v.Nodes {
		v.Nodes[i].Reported.TimeSinceLastSetMs = nil
		for j := range v.Nodes[i].Data {
			v.Nodes[i].Data[j].AgeMs = 0
		}
	}
	b, err := json.MarshalIndent(struct {
		Sweeps  uint64
		Dropped int
		Last    *Summary
		Nodes   []NodeView
	}{v.Sweeps, v.DroppedNodes, v.LastSweep, v.Nodes}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPersistAcrossRestart sweeps a simulated network (a grandmaster, a
// follower, a partial node and one that refuses an ID) with a store
// attached, "restarts" (closes the store, opens it again under a new
// Manager) and checks that the nodes, their answers, the capability
// matrix, the sweep counter and the master check's samples come back
// unchanged; then a sweep after the restart counts on from there.
func TestPersistAcrossRestart(t *testing.T) {
	gm := clockN(1)
	gmPort := decode.PortIdentity{Clock: gm, Port: 1}
	nodes := []*Responder{
		{Clock: gm, NumberPorts: 1, Priority1: 100, States: []decode.PortState{decode.PortStateMaster}, Parent: gmPort, Grandmaster: gm, Description: "gm"},
		{Clock: clockN(2), NumberPorts: 1, States: []decode.PortState{decode.PortStateSlave}, Parent: gmPort, Grandmaster: gm, OffsetNs: -42, DelayNs: 1500},
		{Clock: clockN(3), NumberPorts: 1, States: []decode.PortState{decode.PortStateSlave}, Parent: gmPort, Grandmaster: gm,
			Ignore: map[decode.ManagementID]bool{decode.MgmtIDUserDescription: true}},
		{Clock: clockN(4), NumberPorts: 1, States: []decode.PortState{decode.PortStatePassive}, Parent: gmPort, Grandmaster: gm,
			Refuse: map[decode.ManagementID]bool{decode.MgmtIDClockDescription: true}},
	}
	s := Defaults()
	s.Domains = "0"
	s.Rate, s.GlobalRate, s.TimeoutMs, s.Retries, s.CollectMs = 200, 200, 100, 0, 1000
	dir := t.TempDir()

	st := openStore(t, dir)
	_, m, ctx := startSim(t, s, nodes)
	m.Master, _ = NewMasterChecker(MasterSettings{Interval: 1, Mode: "unicast"}, m.Self(), Env{})
	if err := m.Persist(st, nil); err != nil {
		t.Fatal(err)
	}
	sum := m.Sweep(ctx)
	if sum.Nodes != 4 || sum.Partial != 2 {
		t.Fatalf("first sweep: %+v", sum)
	}
	// The master check's samples, as delayResp records them.
	mk := masterKey{Scope: Scope{Segment: 0, Domain: 0, Transport: decode.TransportUDPv4, VLAN: NoVLAN}, Port: gmPort}
	c := m.Master
	c.mu.Lock()
	ser := &masterSeries{key: mk, sent: 1000}
	for i := range keptSamples + 100 {
		ser.samples = append(ser.samples, MasterSample{At: int64(i) * 1e9, OffsetNs: int64(i), DelayNs: 5000, RX: "software", TX: "capture send timestamp"})
	}
	c.series[mk], c.dirty = ser, true
	c.mu.Unlock()
	if err := c.save(); err != nil {
		t.Fatal(err)
	}
	before := m.Status()
	if before.StoreError != "" {
		t.Fatalf("store error: %s", before.StoreError)
	}
	want := stable(t, before)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = openStore(t, dir)
	defer st.Close()
	_, m2, ctx2 := startSim(t, s, nodes)
	m2.Master, _ = NewMasterChecker(MasterSettings{Interval: 1, Mode: "unicast"}, m2.Self(), Env{})
	if err := m2.Persist(st, nil); err != nil {
		t.Fatal(err)
	}
	if got := stable(t, m2.Status()); got != want {
		t.Errorf("after the restart:\n%s\nbefore:\n%s", got, want)
	}
	m2.Master.mu.Lock()
	rs := m2.Master.series[mk]
	m2.Master.mu.Unlock()
	if rs == nil || rs.sent != 1000 || len(rs.samples) != keptSamples || rs.samples[keptSamples-1].OffsetNs != keptSamples+99 {
		t.Errorf("master series after the restart: %+v", rs)
	}
	sum = m2.Sweep(ctx2)
	if sum.Number != 2 || sum.Nodes != 4 {
		t.Errorf("sweep after the restart: %+v", sum)
	}
	for _, nv := range m2.Status().Nodes {
		if nv.FirstSeen != firstSeen(before, nv.ClockIdentity) {
			t.Errorf("%s: firstSeen %d, stored %d", nv.ClockIdentity, nv.FirstSeen, firstSeen(before, nv.ClockIdentity))
		}
	}
}

func firstSeen(v StatusView, clock string) int64 {
	for _, n := range v.Nodes {
		if n.ClockIdentity == clock {
			return n.FirstSeen
		}
	}
	return -1
}

// TestTimeSinceLastSet follows the audit server's rule: a node reporting
// MASTER or SLAVE has set its clock when it answered; one that turns
// LISTENING counts on from its last SLAVE answer; one only ever PASSIVE,
// or one offline, is unknown. Offset and path delay are given only while
// a port is SLAVE.
func TestTimeSinceLastSet(t *testing.T) {
	gm := clockN(1)
	gmPort := decode.PortIdentity{Clock: gm, Port: 1}
	fol := &Responder{Clock: clockN(2), NumberPorts: 1, States: []decode.PortState{decode.PortStateSlave}, Parent: gmPort, Grandmaster: gm, OffsetNs: -42, DelayNs: 1500}
	lost := &Responder{Clock: clockN(3), NumberPorts: 1, States: []decode.PortState{decode.PortStateSlave}, Parent: gmPort, Grandmaster: gm, OffsetNs: 7}
	passive := &Responder{Clock: clockN(4), NumberPorts: 1, States: []decode.PortState{decode.PortStatePassive}, Parent: gmPort, Grandmaster: gm}
	gone := &Responder{Clock: clockN(5), NumberPorts: 1, States: []decode.PortState{decode.PortStateMaster}, Parent: gmPort, Grandmaster: gm}
	s := Defaults()
	s.Domains = "0"
	s.Rate, s.GlobalRate, s.TimeoutMs, s.Retries, s.CollectMs = 200, 200, 100, 0, 1000
	_, m, ctx := startSim(t, s, []*Responder{fol, lost, passive, gone})
	m.Sweep(ctx)
	lost.States[0] = decode.PortStateListening
	gone.Silent = true
	second := m.Sweep(ctx)
	v := m.Status()
	by := map[string]NodeView{}
	for _, n := range v.Nodes {
		by[n.ClockIdentity] = n
	}
	r := by[clockN(2).String()].Reported
	if r.LastSetAt < second.Started || r.TimeSinceLastSetMs == nil {
		t.Errorf("follower: lastSetAt %d (second sweep started %d), since %v", r.LastSetAt, second.Started, r.TimeSinceLastSetMs)
	}
	if r.OffsetFromMasterNs == nil || *r.OffsetFromMasterNs != -42 || r.MeanPathDelayNs == nil || *r.MeanPathDelayNs != 1500 || r.OffsetNote == "" {
		t.Errorf("follower: offset %v delay %v note %q", r.OffsetFromMasterNs, r.MeanPathDelayNs, r.OffsetNote)
	}
	if r.PortStates["1"] != "SLAVE" || r.Grandmaster != gm.String() || r.TimeSource != decode.TimeSourceGNSS.String() {
		t.Errorf("follower report %+v", r)
	}
	r = by[clockN(3).String()].Reported
	if r.LastSetAt == 0 || r.LastSetAt >= second.Started || r.TimeSinceLastSetMs == nil || *r.TimeSinceLastSetMs < (second.Finished-r.LastSetAt)/1e6 {
		t.Errorf("lost its master: lastSetAt %d (second sweep started %d), since %v", r.LastSetAt, second.Started, r.TimeSinceLastSetMs)
	}
	if r.OffsetFromMasterNs != nil || r.PortStates["1"] != "LISTENING" {
		t.Errorf("lost its master: offset %v states %v", r.OffsetFromMasterNs, r.PortStates)
	}
	if r := by[clockN(4).String()].Reported; r.LastSetAt != 0 || r.TimeSinceLastSetMs != nil {
		t.Errorf("passive: %+v", r)
	}
	g := by[clockN(5).String()]
	if g.Status != Offline || g.Reported.TimeSinceLastSetMs != nil || g.Reported.LastSetAt == 0 {
		t.Errorf("offline node: status %s report %+v", g.Status, g.Reported)
	}
}
