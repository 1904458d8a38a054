package sim

import (
	"slices"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
)

const ms = time.Millisecond

// clockInfo returns a clock's truth, failing the test when it is missing.
func clockInfo(t *testing.T, tr Truth, name string) ClockTruth {
	t.Helper()
	c, ok := tr.Clock(name)
	if !ok {
		t.Fatalf("no clock %q in truth", name)
	}
	return c
}

// hasEvent reports whether evs holds an event of kind in scope (any scope
// when empty) within [from, to) after the start.
func hasEvent(evs []Event, kind EventKind, scope string, from, to time.Duration, match func(*Event) bool) bool {
	for i := range evs {
		e := &evs[i]
		at := time.Duration(e.At - DefaultStart)
		if e.Kind == kind && (scope == "" || e.Scope == scope) && at >= from && at < to && (match == nil || match(e)) {
			return true
		}
	}
	return false
}

func TestGrandmasterFailover(t *testing.T) {
	cfg := withScript(GrandmasterFailover(10*time.Second, "gm-meinberg"))
	n0, _ := New(cfg, Options{})
	tr0 := n0.Truth()
	mein, oreg, bc := clockInfo(t, tr0, "gm-meinberg"), clockInfo(t, tr0, "gm-oregano"), clockInfo(t, tr0, "bc-arista")
	var (
		oregAnnounces, vlanFromOreg int
		dreqToMein, dreqToOreg      int
		respFromOreg, silentDreqs   int
	)
	n := each(t, cfg, Options{Duration: 25 * time.Second}, func(r *rec) {
		m := &r.d.PTP
		if r.d.Version != 2 || m.Domain != 0 {
			return
		}
		late := r.at > 10*time.Second+ms
		switch {
		case m.Source.Clock == mein.Identity && late:
			t.Fatalf("%v at %v from the failed grandmaster", m.MessageType, r.at)
		case m.MessageType == decode.Announce && r.d.Transport == decode.TransportUDPv4:
			if m.Source.Clock == oreg.Identity {
				if r.at < 13*time.Second {
					t.Fatalf("backup announces at %v, before the announce receipt timeout", r.at)
				}
				if m.Announce.GrandmasterIdentity != oreg.Identity || m.Announce.StepsRemoved != 0 {
					t.Fatalf("backup announces grandmaster %v", m.Announce.GrandmasterIdentity)
				}
				oregAnnounces++
			}
		case m.MessageType == decode.Announce && r.d.NumVLANs == 1:
			gm := m.Announce.GrandmasterIdentity
			switch {
			case r.at < 13*time.Second && gm != mein.Identity:
				t.Fatalf("VLAN 100 announces %v at %v", gm, r.at)
			case r.at > 15*time.Second+ms:
				if gm != oreg.Identity || m.Announce.StepsRemoved != 1 {
					t.Fatalf("VLAN 100 announces %v, %d steps at %v", gm, m.Announce.StepsRemoved, r.at)
				}
				vlanFromOreg++
			}
		case m.MessageType == decode.DelayReq && r.d.Transport == decode.TransportUDPv4:
			if r.at > 13*time.Second+ms && r.at < 15*time.Second {
				silentDreqs++ // slaves listen while the backup qualifies
			}
			if m.Flags.Has(decode.FlagUnicast) {
				switch r.d.DstIP {
				case mein.IPv4:
					if r.at > 13*time.Second+ms {
						t.Fatalf("Delay_Req to the failed grandmaster at %v", r.at)
					}
					dreqToMein++
				case oreg.IPv4:
					if r.at < 15*time.Second {
						t.Fatalf("Delay_Req to the backup at %v", r.at)
					}
					dreqToOreg++
				default:
					t.Fatalf("unicast Delay_Req to %v", r.d.DstIP)
				}
			}
		case m.MessageType == decode.DelayResp && m.Source.Clock == oreg.Identity:
			respFromOreg++
		}
	})
	if oregAnnounces < 10 || vlanFromOreg < 8 || dreqToMein < 40 || dreqToOreg < 40 || respFromOreg < 200 || silentDreqs != 0 {
		t.Errorf("backup announces %d, VLAN announces of it %d, unicast Delay_Req before %d after %d, Delay_Resp from backup %d, Delay_Req while listening %d",
			oregAnnounces, vlanFromOreg, dreqToMein, dreqToOreg, respFromOreg, silentDreqs)
	}
	tr := n.Truth()
	d0, _ := tr.Scope(DemoScopeD0)
	if d0.Grandmaster != oreg.Identity || d0.Master.Clock != oreg.Identity {
		t.Errorf("truth: d0 grandmaster %v master %v", d0.Grandmaster, d0.Master)
	}
	vl, _ := tr.Scope(DemoScopeVLAN)
	if vl.Grandmaster != oreg.Identity || vl.StepsRemoved != 1 || vl.Master.Clock != bc.Identity {
		t.Errorf("truth: VLAN 100 grandmaster %v steps %d master %v", vl.Grandmaster, vl.StepsRemoved, vl.Master)
	}
	srv := clockInfo(t, tr, "srv-04")
	if srv.Ports[0].Parent.Clock != oreg.Identity || srv.Ports[0].State != PortSlave {
		t.Errorf("truth: srv-04 %v following %v", srv.Ports[0].State, srv.Ports[0].Parent)
	}
	if s := clockInfo(t, tr, "gm-meinberg").Ports[0].State; s != PortDisabled {
		t.Errorf("truth: failed grandmaster %v", s)
	}
	if len(tr.Incidents) != 1 || tr.Incidents[0].Action.Kind != ActGrandmasterFailover || tr.Incidents[0].At != DefaultStart+int64(10*time.Second) {
		t.Errorf("truth: incidents %+v", tr.Incidents)
	}
	evs := n.Events()
	for _, w := range []struct {
		kind     EventKind
		scope    string
		from, to time.Duration
		match    func(*Event) bool
	}{
		{EventMasterSilent, DemoScopeD0, 10 * time.Second, 10*time.Second + 1, nil},
		{EventPortStateChanged, DemoScopeD0, 13 * time.Second, 13*time.Second + 1, func(e *Event) bool {
			return e.Clock == "gm-oregano" && e.From == PortPassive && e.To == PortMaster
		}},
		{EventGrandmasterChanged, DemoScopeD0, 15 * time.Second, 15*time.Second + 1, func(e *Event) bool {
			return e.OldGM == mein.Identity && e.NewGM == oreg.Identity
		}},
		{EventGrandmasterChanged, DemoScopeVLAN, 15 * time.Second, 15*time.Second + 1, func(e *Event) bool { return e.NewGM == oreg.Identity }},
		{EventParentChanged, DemoScopeD0, 15 * time.Second, 15*time.Second + 1, func(e *Event) bool {
			return e.Clock == "srv-04" && e.NewParent.Clock == oreg.Identity
		}},
	} {
		if !hasEvent(evs, w.kind, w.scope, w.from, w.to, w.match) {
			t.Errorf("no %v in %s at %v; events:\n%v", w.kind, w.scope, w.from, evs)
		}
	}
}

func TestClockClassChange(t *testing.T) {
	s := time.Second
	cfg := withScript(
		ClockClassChange(5*s, "master-d44", 7, 0x22),
		ClockClassChange(10*s, "master-d44", 52, 0x25),
		ClockClassChange(15*s, "master-d44", 187, 0xfe),
		ClockClassChange(20*s, "master-d44", 6, 0x21),
	)
	var classes []uint8
	var gm decode.ClockIdentity
	n := each(t, cfg, Options{Duration: 24 * s}, func(r *rec) {
		m := &r.d.PTP
		if r.d.Version != 2 || m.Domain != 44 || m.MessageType != decode.Announce {
			return
		}
		gm = m.Announce.GrandmasterIdentity
		q := m.Announce.GrandmasterClockQuality
		if len(classes) == 0 || classes[len(classes)-1] != q.Class {
			classes = append(classes, q.Class)
		}
		// Each change shows in the first Announce after it.
		want := map[int]uint8{0: 6, 1: 7, 2: 52, 3: 187}[int(r.at/(5*s))]
		if r.at >= 20*s {
			want = 6
		}
		if q.Class != want {
			t.Fatalf("Announce at %v carries class %d, want %d", r.at, q.Class, want)
		}
	})
	if !slices.Equal(classes, []uint8{6, 7, 52, 187, 6}) {
		t.Errorf("classes announced %v", classes)
	}
	var got []uint8
	for _, e := range n.Events() {
		if e.Kind == EventGrandmasterQualityChanged && e.Scope == DemoScopeD44 && e.NewGM == gm {
			got = append(got, e.Quality.Class)
		}
	}
	if !slices.Equal(got, []uint8{7, 52, 187, 6}) {
		t.Errorf("quality events %v", got)
	}
}

// TestClockClassFailover degrades the grandmaster below its backup: the
// backup, passive until then, wins BMCA and takes over.
func TestClockClassFailover(t *testing.T) {
	cfg := withScript(ClockClassChange(5*time.Second, "gm-meinberg", 7, 0x22))
	n0, _ := New(cfg, Options{})
	oreg := mustID(t, n0, "gm-oregano")
	mein := mustID(t, n0, "gm-meinberg")
	var last decode.ClockIdentity
	lastFromMein := time.Duration(0)
	n := each(t, cfg, Options{Duration: 15 * time.Second}, func(r *rec) {
		m := &r.d.PTP
		if r.d.Version == 2 && m.Domain == 0 && r.d.Transport == decode.TransportUDPv4 && m.MessageType == decode.Announce {
			last = m.Announce.GrandmasterIdentity
			if m.Source.Clock == mein {
				lastFromMein = r.at
			}
		}
	})
	if last != oreg || lastFromMein > 9*time.Second {
		t.Errorf("last announce for %v; degraded grandmaster announced until %v", last, lastFromMein)
	}
	if !hasEvent(n.Events(), EventGrandmasterChanged, DemoScopeD0, 8*time.Second, 9*time.Second, nil) {
		t.Errorf("no grandmaster change: %v", n.Events())
	}
}

func TestRogueMaster(t *testing.T) {
	cfg := withScript(RogueMaster(5*time.Second, "rogue-host", 64))
	n0, _ := New(cfg, Options{})
	tr0 := n0.Truth()
	rogue, mein := clockInfo(t, tr0, "rogue-host"), clockInfo(t, tr0, "gm-meinberg")
	var rogueAnn, toRogue int
	meinLast := time.Duration(0)
	n := each(t, cfg, Options{Duration: 20 * time.Second}, func(r *rec) {
		m := &r.d.PTP
		if r.d.Version != 2 || m.Domain != 0 || r.d.Transport != decode.TransportUDPv4 {
			return
		}
		switch {
		case m.MessageType == decode.Announce && m.Source.Clock == rogue.Identity:
			if r.at < 8*time.Second || m.Announce.GrandmasterPriority1 != 64 {
				t.Fatalf("rogue announces priority1 %d at %v", m.Announce.GrandmasterPriority1, r.at)
			}
			rogueAnn++
		case m.MessageType == decode.Announce && m.Source.Clock == mein.Identity:
			meinLast = r.at
		case m.MessageType == decode.DelayReq && r.d.DstIP == rogue.IPv4:
			if r.at < 10*time.Second {
				t.Fatalf("Delay_Req to the rogue at %v, before it qualified", r.at)
			}
			toRogue++
		}
	})
	if rogueAnn < 10 || toRogue < 40 || meinLast < 9*time.Second || meinLast > 10*time.Second+ms {
		t.Errorf("rogue announces %d, Delay_Req to rogue %d, grandmaster last announced at %v", rogueAnn, toRogue, meinLast)
	}
	tr := n.Truth()
	if d0, _ := tr.Scope(DemoScopeD0); d0.Grandmaster != rogue.Identity || d0.Priority1 != 64 {
		t.Errorf("truth: d0 grandmaster %v priority1 %d", d0.Grandmaster, d0.Priority1)
	}
	if s := clockInfo(t, tr, "gm-meinberg").Ports[0].State; s != PortPassive {
		t.Errorf("truth: outvoted grandmaster %v", s)
	}
	if !hasEvent(n.Events(), EventGrandmasterChanged, DemoScopeD0, 10*time.Second, 10*time.Second+1, func(e *Event) bool {
		return e.NewGM == rogue.Identity
	}) {
		t.Errorf("no grandmaster change to the rogue: %v", n.Events())
	}
}

func TestDuplicateClockIdentity(t *testing.T) {
	cfg := withScript(
		DuplicateClockIdentity(5*time.Second, "srv-05", "srv-04"),
		DuplicateClockIdentity(10*time.Second, "srv-05", ""),
	)
	n0, _ := New(cfg, Options{})
	tr0 := n0.Truth()
	s4, s5 := clockInfo(t, tr0, "srv-04"), clockInfo(t, tr0, "srv-05")
	macs := map[[6]byte]int{}
	var respToDup int
	n := each(t, cfg, Options{Duration: 15 * time.Second}, func(r *rec) {
		m := &r.d.PTP
		if r.d.Version != 2 {
			return
		}
		dup := r.at > 5*time.Second && r.at < 10*time.Second
		if m.MessageType == decode.DelayReq && m.Source.Clock == s4.Identity {
			if r.src == s5.MAC && !dup {
				t.Fatalf("srv-05 uses srv-04's identity at %v", r.at)
			}
			if dup {
				macs[r.src]++
			}
		}
		if m.MessageType == decode.DelayReq && r.src == s5.MAC && dup && m.Source.Clock != s4.Identity {
			t.Fatalf("srv-05 sends its own identity at %v", r.at)
		}
		if m.MessageType == decode.DelayResp && m.RequestingPort.Clock == s4.Identity && r.d.Dst == s5.MAC {
			respToDup++
		}
	})
	if len(macs) != 2 || macs[s4.MAC] < 10 || macs[s5.MAC] < 10 || respToDup < 10 {
		t.Errorf("identity %v from MACs %v; Delay_Resp to the duplicate %d", s4.Identity, macs, respToDup)
	}
	if !hasEvent(n.Events(), EventDuplicateIdentity, "", 5*time.Second, 5*time.Second+1, func(e *Event) bool {
		return e.Clock == "srv-05" && e.Identity == s4.Identity
	}) {
		t.Errorf("no duplicate identity event: %v", n.Events())
	}
	if c := clockInfo(t, n.Truth(), "srv-05"); c.Identity != c.OwnIdentity {
		t.Errorf("truth: srv-05 still uses %v", c.Identity)
	}
}

func TestSyncLoss(t *testing.T) {
	cfg := withScript(SyncLoss(5*time.Second, "master-d44"), SyncResume(10*time.Second, "master-d44"))
	var during, after, announces int
	n := each(t, cfg, Options{Duration: 15 * time.Second}, func(r *rec) {
		m := &r.d.PTP
		if r.d.Version != 2 || m.Domain != 44 {
			return
		}
		in := r.at > 5*time.Second+ms && r.at < 10*time.Second
		switch m.MessageType {
		case decode.Sync, decode.FollowUp:
			if in {
				during++
			} else if r.at > 10*time.Second {
				after++
			}
		case decode.Announce:
			if in {
				announces++
			}
		}
	})
	if during != 0 || after < 100 || announces < 2 {
		t.Errorf("Sync/Follow_Up during loss %d, after %d; Announces during %d", during, after, announces)
	}
	evs := n.Events()
	if !hasEvent(evs, EventMasterSilent, DemoScopeD44, 5*time.Second, 5*time.Second+1, func(e *Event) bool { return e.Announcing }) ||
		!hasEvent(evs, EventSyncResumed, DemoScopeD44, 10*time.Second, 10*time.Second+1, nil) {
		t.Errorf("events %v", evs)
	}
}

func TestSequenceGap(t *testing.T) {
	cfg := withScript(SequenceGap(5*time.Second, "gm-microchip", "Sync", 5))
	n0, _ := New(cfg, Options{})
	gm := mustID(t, n0, "gm-microchip")
	var last, lastFU, lastAnn = -1, -1, -1
	var gaps []int
	n := each(t, cfg, Options{Duration: 10 * time.Second}, func(r *rec) {
		if !sourceIs(r, gm) {
			return
		}
		m := &r.d.PTP
		seq := int(m.Sequence)
		switch m.MessageType {
		case decode.Sync:
			if last >= 0 && seq != last+1 {
				gaps = append(gaps, seq-last-1)
				if r.at < 5*time.Second || r.at > 5*time.Second+200*ms {
					t.Errorf("Sync gap at %v", r.at)
				}
			}
			last = seq
		case decode.FollowUp:
			if seq != last {
				t.Errorf("Follow_Up %d after Sync %d", seq, last)
			}
			lastFU = seq
		case decode.Announce:
			if lastAnn >= 0 && seq != lastAnn+1 {
				t.Errorf("Announce gap %d->%d", lastAnn, seq)
			}
			lastAnn = seq
		}
	})
	if !slices.Equal(gaps, []int{5}) || lastFU < 0 {
		t.Errorf("Sync gaps %v", gaps)
	}
	if !hasEvent(n.Events(), EventSequenceGap, DemoScopeGPTP, 5*time.Second, 5*time.Second+1, func(e *Event) bool {
		return e.Message == decode.Sync && e.Count == 5 && e.Port.Clock == gm
	}) {
		t.Errorf("events %v", n.Events())
	}
}

func TestStopStart(t *testing.T) {
	cfg := withScript(Stop(5*time.Second, "ecu-3"), Start(10*time.Second, "ecu-3"))
	n0, _ := New(cfg, Options{})
	tr0 := n0.Truth()
	ecu := clockInfo(t, tr0, "ecu-3")
	var during, after, unanswered int
	var tcPort decode.PortIdentity
	for _, c := range tr0.Clocks {
		if c.Name == "tc-hirschmann" {
			tcPort = c.Ports[len(c.Ports)-1].Port // the port facing the last neighbour, ecu-3
		}
	}
	n := each(t, cfg, Options{Duration: 15 * time.Second}, func(r *rec) {
		m := &r.d.PTP
		in := r.at > 5*time.Second+ms && r.at < 10*time.Second
		if r.src == ecu.MAC {
			if in {
				during++
			} else if r.at > 10*time.Second {
				after++
			}
		}
		if in && m.MessageType == decode.PdelayResp && m.RequestingPort == tcPort {
			unanswered++
		}
	})
	if during != 0 || after < 10 || unanswered != 0 {
		t.Errorf("frames from the stopped clock %d, after restart %d, answers to the TC while stopped %d", during, after, unanswered)
	}
	evs := n.Events()
	if !hasEvent(evs, EventClockStopped, "", 5*time.Second, 5*time.Second+1, nil) ||
		!hasEvent(evs, EventClockStarted, "", 10*time.Second, 10*time.Second+1, nil) ||
		!hasEvent(evs, EventPortStateChanged, DemoScopeGPTP, 12*time.Second, 12*time.Second+1, func(e *Event) bool {
			return e.Clock == "ecu-3" && e.To == PortSlave
		}) {
		t.Errorf("events %v", evs)
	}
}

// TestDemoScenario runs the demo script past its first repetition and
// checks each incident's main event.
func TestDemoScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("17 virtual minutes")
	}
	n := each(t, scriptedDemo(), Options{Duration: 17 * time.Minute}, func(*rec) {})
	mein, oreg := mustID(t, n, "gm-meinberg"), mustID(t, n, "gm-oregano")
	rogue, d44 := mustID(t, n, "rogue-host"), mustID(t, n, "master-d44")
	m, s := time.Minute, time.Second
	gmTo := func(id decode.ClockIdentity) func(*Event) bool {
		return func(e *Event) bool { return e.NewGM == id }
	}
	for _, w := range []struct {
		name  string
		kind  EventKind
		scope string
		at    time.Duration
		match func(*Event) bool
	}{
		{"failover", EventGrandmasterChanged, DemoScopeD0, m + 5*s, gmTo(oreg)},
		{"recovery", EventGrandmasterChanged, DemoScopeD0, 3*m + 5*s, gmTo(mein)},
		{"class 7", EventGrandmasterQualityChanged, DemoScopeD44, 4 * m, func(e *Event) bool { return e.Quality.Class == 7 && e.NewGM == d44 }},
		{"class 187", EventGrandmasterQualityChanged, DemoScopeD44, 4*m + 40*s, func(e *Event) bool { return e.Quality.Class == 187 }},
		{"rogue", EventGrandmasterChanged, DemoScopeD0, 6*m + 5*s, gmTo(rogue)},
		{"rogue gone", EventGrandmasterChanged, DemoScopeD0, 7*m + 5*s, gmTo(mein)},
		{"duplicate", EventDuplicateIdentity, "", 8 * m, nil},
		{"sync loss", EventMasterSilent, DemoScopeD44, 10 * m, nil},
		{"sync back", EventSyncResumed, DemoScopeD44, 11 * m, nil},
		{"gap", EventSequenceGap, DemoScopeGPTP, 12 * m, nil},
		{"stop", EventClockStopped, "", 13 * m, nil},
		{"start", EventClockStarted, "", 14 * m, nil},
		{"failover again", EventGrandmasterChanged, DemoScopeD0, 16*m + 5*s, gmTo(oreg)},
	} {
		if !hasEvent(n.Events(), w.kind, w.scope, w.at, w.at+1, w.match) {
			t.Errorf("%s: no %v in %q at %v", w.name, w.kind, w.scope, w.at)
		}
	}
	if got := len(n.Truth().Incidents); got != 18 {
		t.Errorf("%d incidents applied, want 17 plus the repeated failover", got)
	}
}

// TestV1MasterStop stops the PTPv1 master: its slaves keep asking for the
// delay until their timeout (three Sync intervals), then fall silent.
func TestV1MasterStop(t *testing.T) {
	cfg := withScript(Stop(5*time.Second, "v1-meinberg"))
	var lastReq time.Duration
	n := each(t, cfg, Options{Duration: 60 * time.Second}, func(r *rec) {
		if r.d.Version != 1 {
			return
		}
		if r.at > 5*time.Second+ms && r.d.V1.Control != decode.V1DelayReq {
			t.Fatalf("PTPv1 %v at %v after the master stopped", r.d.V1.Control, r.at)
		}
		if r.d.V1.Control == decode.V1DelayReq {
			lastReq = r.at
		}
	})
	if lastReq > 8*time.Second+ms {
		t.Errorf("slaves still asked at %v", lastReq)
	}
	if s := clockInfo(t, n.Truth(), "plc-1").Ports[0].State; s != PortListening {
		t.Errorf("truth: PTPv1 slave %v", s)
	}
}

func TestAppendBounded(t *testing.T) {
	var s []int
	for i := range 10 {
		s = appendBounded(s, i, 4)
	}
	// Each time it is full the older half goes.
	if !slices.Equal(s, []int{6, 7, 8, 9}) {
		t.Fatalf("%v", s)
	}
}
