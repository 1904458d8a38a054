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
// Contention after the announce receipt timeout and two more intervals, closed once one of them
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
			Sequence: uint16(t / 1e9),
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
	checkVerdicts(t, got, []want{{BMCAContention, scope.String(), 65 * sec, 66 * sec}, {FindingClosed, scope.String(), 90 * sec, 92 * sec}})
}

// TestMessageHealth feeds crafted message streams of one port each and
// requires one finding per kind once a minute shows too many of them:
// two-step Syncs without Follow_Up, Delay_Req without Delay_Resp, repeated
// sequenceIds (a loop), and a normal stream that gives none.
func TestMessageHealth(t *testing.T) {
	log := state.NewEventLog(0)
	e, err := New(DefaultConfig(), log)
	if err != nil {
		t.Fatal(err)
	}
	m := state.NewModel(1, log)
	e.Attach(m)
	sh := m.Shard(0)
	scope := state.ScopeKey{Version: 2, Transport: decode.TransportUDPv4, VLAN: state.NoVLAN}
	gm := decode.PortIdentity{Clock: decode.ClockIdentity{0xec, 0x46, 0x70, 0xff, 0xfe, 0, 0, 1}, Port: 1}
	f1 := decode.PortIdentity{Clock: decode.ClockIdentity{0xa0, 0x36, 0x9f, 0xff, 0xfe, 0, 0, 0x11}, Port: 1}
	f2 := decode.PortIdentity{Clock: decode.ClockIdentity{0xa0, 0x36, 0x9f, 0xff, 0xfe, 0, 0, 0x12}, Port: 1}
	t0 := int64(1735689600e9)
	s := int64(time.Second)
	frame := uint64(0)
	apply := func(o state.Observation) {
		frame++
		o.FrameNum, o.Scope = frame, scope
		sh.Apply(&o)
	}
	for i := int64(0); i < 300; i++ { // 300 s, one round a second
		now := t0 + i*s
		apply(state.Observation{Time: now, Source: gm, Kind: decode.Announce, Sequence: uint16(i), HasAnnounce: true,
			Announce: state.AnnounceData{GrandmasterIdentity: gm.Clock, Priority1: 128, Priority2: 128,
				Quality: decode.ClockQuality{Class: 6, Accuracy: 0x21, OffsetScaledLogVariance: 0x4e5d}, CurrentUTCOffset: 37,
				TimeSource: decode.TimeSourceGNSS, Flags: decode.FlagPTPTimescale | decode.FlagCurrentUTCOffsetValid}})
		apply(state.Observation{Time: now + s/10, Source: gm, Kind: decode.Sync, Sequence: uint16(i), Flags: decode.FlagTwoStep})
		// From 60 s to 120 s every other Follow_Up is lost.
		if i < 60 || i >= 120 || i%2 == 0 {
			apply(state.Observation{Time: now + s/10 + 1e5, Source: gm, Kind: decode.FollowUp, Sequence: uint16(i)})
		}
		// f1 asks and is answered; f2's requests go unanswered from 100 s.
		for _, f := range []decode.PortIdentity{f1, f2} {
			seq := uint16(i)
			if f == f1 && i >= 130 { // f1 repeats one sequenceId for 20 s: duplicated frames
				seq = uint16(max(130, i-19))
			}
			apply(state.Observation{Time: now + s/2, Source: f, Kind: decode.DelayReq, Sequence: seq})
			if f == f1 || i < 100 {
				apply(state.Observation{Time: now + s/2 + 1e5, Source: gm, Kind: decode.DelayResp, Sequence: seq, Peer: f})
			}
		}
	}
	var got []verdict
	for _, ev := range log.Events(0, 0) {
		if isVerdict(ev.Type) {
			got = append(got, verdict{time.Duration(ev.Time - t0), ev.Type, ev.Subject, ev.Detail})
		}
	}
	sec := time.Second
	checkVerdicts(t, got, []want{
		// judged at the first tick after each port's minute ends
		// (ticks look every 5 s)
		{MissingFollowUp, gm.String(), 120 * sec, 126 * sec},
		{MissingDelayResp, f2.String(), 120 * sec, 126 * sec},
		{DuplicateFrames, f1.String(), 180 * sec, 186 * sec},
		// a clean minute, then the clear time
		{FindingClosed, gm.String(), 245 * sec, 260 * sec},
	})
}
