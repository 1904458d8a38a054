package fault

import (
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
)

// TestContention feeds two ports that both keep announcing themselves as
// grandmaster (neither yields: a BMCA that does not settle, such as two
// masters that cannot hear each other's Announce) and requires one BMCA
// Contention after the announce receipt timeout, closed once one of them
// stops. The simulator's BMCA always settles, so the observations are
// made here.
func TestContention(t *testing.T) {
	log := state.NewEventLog(0)
	e, err := New(DefaultConfig(), log)
	if err != nil {
		t.Fatal(err)
	}
	m := state.NewModel(1, log)
	e.Attach(m)
	sh := m.Shard(0)
	scope := state.ScopeKey{Version: 2, Transport: decode.TransportUDPv4, VLAN: state.NoVLAN}
	a := decode.PortIdentity{Clock: decode.ClockIdentity{0xec, 0x46, 0x70, 0xff, 0xfe, 0, 0, 1}, Port: 1}
	b := decode.PortIdentity{Clock: decode.ClockIdentity{0xa0, 0x36, 0x9f, 0xff, 0xfe, 0, 0, 2}, Port: 1}
	ann := func(p decode.PortIdentity, t int64, p1 uint8) {
		o := state.Observation{Time: t, Scope: scope, Source: p, Kind: decode.Announce, HasAnnounce: true, FrameNum: uint64(t / 1e6),
			Announce: state.AnnounceData{GrandmasterIdentity: p.Clock, Priority1: p1, Priority2: 128,
				Quality: decode.ClockQuality{Class: 6, Accuracy: 0x21, OffsetScaledLogVariance: 0x4e5d}, CurrentUTCOffset: 37,
				TimeSource: decode.TimeSourceGNSS, Flags: decode.FlagPTPTimescale | decode.FlagCurrentUTCOffsetValid}}
		sh.Apply(&o)
	}
	t0 := int64(1735689600e9)
	s := int64(time.Second)
	for i := int64(0); i < 120; i++ {
		ann(a, t0+i*s, 128)
		if i >= 60 && i < 80 { // b contends from 60 s to 80 s, claiming the same quality but a worse priority1
			ann(b, t0+i*s+s/3, 129)
		}
	}
	var got []verdict
	for _, ev := range log.Events(0, 0) {
		if isVerdict(ev.Type) {
			got = append(got, verdict{time.Duration(ev.Time - t0), ev.Type, ev.Subject, ev.Detail})
		}
	}
	sec := time.Second
	checkVerdicts(t, got, []want{{BMCAContention, scope.String(), 63 * sec, 64 * sec}, {FindingClosed, scope.String(), 90 * sec, 92 * sec}})
}
