package fault

import (
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
)

// stream is a crafted network: scopes on the shards of a two-shard
// model, fed one observation at a time, with the verdicts read back.
type stream struct {
	t     *testing.T
	m     *state.Model
	e     *Engine
	frame uint64
	idle  int64
}

const t0 = int64(1735689600e9) // 2025-01-01, 37 s TAI−UTC

func newStream(t *testing.T, cfg Config) *stream {
	t.Helper()
	log := state.NewEventLog(0)
	e, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	m := state.NewModel(2, log)
	e.Attach(m)
	return &stream{t: t, m: m, e: e}
}

// apply feeds o to shard sh, and ticks the other shard as a live
// pipeline ticks idle shards.
func (s *stream) apply(sh int, o state.Observation) {
	s.frame++
	o.FrameNum = s.frame
	s.m.Shard(sh).Apply(&o)
	if o.Time-s.idle >= 1e9 {
		s.idle = o.Time
		s.m.Shard(1 - sh).Tick(o.Time)
	}
}

// announce feeds one Announce (and its two-step Sync and Follow_Up) of
// port p naming itself grandmaster, at t, in scope sc on shard sh.
func (s *stream) announce(sh int, sc state.ScopeKey, p decode.PortIdentity, mac [6]byte, t int64, seq uint16, src decode.TimeSource, logSync int8) {
	s.apply(sh, state.Observation{Time: t, Scope: sc, Source: p, SrcMAC: mac, Kind: decode.Announce, Sequence: seq, HasAnnounce: true,
		Announce: state.AnnounceData{GrandmasterIdentity: p.Clock, Priority1: 128, Priority2: 128,
			Quality: decode.ClockQuality{Class: 6, Accuracy: 0x21, OffsetScaledLogVariance: 0x4e5d}, CurrentUTCOffset: 37,
			TimeSource: src, Flags: decode.FlagPTPTimescale | decode.FlagCurrentUTCOffsetValid}})
	s.apply(sh, state.Observation{Time: t + 1e6, Scope: sc, Source: p, SrcMAC: mac, Kind: decode.Sync, Sequence: seq, Flags: decode.FlagTwoStep, LogInterval: logSync})
	s.apply(sh, state.Observation{Time: t + 2e6, Scope: sc, Source: p, SrcMAC: mac, Kind: decode.FollowUp, Sequence: seq, LogInterval: logSync})
}

func (s *stream) verdicts() []verdict {
	var got []verdict
	for _, ev := range s.m.Events.Events(0, 0) {
		if isVerdict(ev.Type) {
			got = append(got, verdict{time.Duration(ev.Time - t0), ev.Type, ev.Subject, ev.Detail})
		}
	}
	return got
}

var (
	portA = decode.PortIdentity{Clock: decode.ClockIdentity{0xec, 0x46, 0x70, 0xff, 0xfe, 0, 0, 1}, Port: 1}
	portB = decode.PortIdentity{Clock: decode.ClockIdentity{0x8c, 0xa5, 0xa1, 0xff, 0xfe, 0, 0, 2}, Port: 1}
	macA  = [6]byte{0xec, 0x46, 0x70, 0, 0, 1}
	macB  = [6]byte{0x8c, 0xa5, 0xa1, 0, 0, 2}
	udp0  = state.ScopeKey{Version: 2, Transport: decode.TransportUDPv4, VLAN: state.NoVLAN}
	udp1  = state.ScopeKey{Segment: 1, Version: 2, Transport: decode.TransportUDPv4, VLAN: state.NoVLAN}
)

// TestIntervalOutOfProfile: a grandmaster sending Sync at 8 a second
// (logMessageInterval −3) for 30 s where the default profile allows −1
// to 1 is one Interval Out Of Profile finding, closed once a minute and
// the clear time have passed without; without a profile nothing is
// judged, and a profile that allows −3 finds nothing.
func TestIntervalOutOfProfile(t *testing.T) {
	sec := time.Second
	for _, tc := range []struct {
		name string
		cfg  func(*Config)
		want []want
	}{
		{"default profile", func(c *Config) { c.Profile = "default" }, []want{
			{IntervalOutOfProfile, portA.String(), 60 * sec, 66 * sec},
			{FindingClosed, portA.String(), 215 * sec, 230 * sec}}},
		{"no profile", func(c *Config) {}, nil},
		{"sync range widened", func(c *Config) {
			c.Profile = "default"
			c.Scopes = []ScopeConfig{{Match: "*", Grandmasters: []GrandmasterConfig{{Identity: portA.Clock.String()}}, SyncInterval: []int{-4, 0}}}
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.cfg(&cfg)
			s := newStream(t, cfg)
			for i := int64(0); i < 300; i++ {
				logSync := int8(0)
				if i >= 60 && i < 90 {
					logSync = -3
				}
				s.announce(0, udp0, portA, macA, t0+i*int64(sec), uint16(i), decode.TimeSourceGNSS, logSync)
			}
			checkVerdicts(t, s.verdicts(), tc.want)
		})
	}
}

// TestMixedProfiles: a PTPv1 master in subdomain _DFLT beside a PTPv2
// domain 0 master on one segment (another shard's scope) is Mixed
// Profiles while both are heard; a PTPv2 802.1AS scope (majorSdoId 1)
// too; the same v1 master on another segment is not.
func TestMixedProfiles(t *testing.T) {
	sec := time.Second
	v1 := state.ScopeKey{Version: 1, Transport: decode.TransportUDPv4, VLAN: state.NoVLAN}
	copy(v1.Subdomain[:], "_DFLT")
	sdo := state.ScopeKey{Version: 2, MajorSdoID: 1, Transport: decode.TransportL2, VLAN: state.NoVLAN}
	v1seg1 := v1
	v1seg1.Segment = 1
	for _, tc := range []struct {
		name  string
		other state.ScopeKey
		want  []want
	}{
		// the other master stops at 120 s: its scope's Outage too
		{"v1 beside v2", v1, []want{{MixedProfiles, "seg0 domain 0", 60 * sec, 67 * sec}, {Outage, v1.String(), 126 * sec, 127 * sec},
			{FindingClosed, "seg0 domain 0", 180 * sec, 200 * sec}}},
		{"802.1AS beside 1588", sdo, []want{{MixedProfiles, "seg0 domain 0", 60 * sec, 67 * sec}, {Outage, sdo.String(), 126 * sec, 127 * sec},
			{FindingClosed, "seg0 domain 0", 180 * sec, 200 * sec}}},
		{"v1 in another segment", v1seg1, []want{{Outage, v1seg1.String(), 126 * sec, 127 * sec}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStream(t, DefaultConfig())
			for i := int64(0); i < 300; i++ {
				now := t0 + i*int64(sec)
				s.announce(0, udp0, portA, macA, now, uint16(i), decode.TimeSourceGNSS, 0)
				if i >= 60 && i < 120 {
					s.announce(1, tc.other, portB, macB, now+int64(sec)/2, uint16(i), decode.TimeSourceGNSS, 0)
				}
			}
			checkVerdicts(t, s.verdicts(), tc.want)
		})
	}
}

// TestDuplicateIdentityAcrossSegments: one port identity announcing in
// segment 0 and, from another MAC address, in segment 1 is a Duplicate
// Identity; the same frames with the same MAC (a copy relayed between
// the segments) are not.
func TestDuplicateIdentityAcrossSegments(t *testing.T) {
	sec := time.Second
	subj := portA.String() + " across segments"
	for _, tc := range []struct {
		name string
		mac  [6]byte
		want []want
	}{
		// the second sender stops at 120 s: its scope's Outage too
		{"two clocks", macB, []want{{DuplicateIdentity, subj, 60 * sec, 67 * sec}, {Outage, udp1.String(), 126 * sec, 127 * sec},
			{FindingClosed, subj, 180 * sec, 200 * sec}}},
		{"relayed copy", macA, []want{{Outage, udp1.String(), 126 * sec, 127 * sec}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStream(t, DefaultConfig())
			for i := int64(0); i < 300; i++ {
				now := t0 + i*int64(sec)
				s.announce(0, udp0, portA, macA, now, uint16(i), decode.TimeSourceGNSS, 0)
				if i >= 60 && i < 120 {
					s.announce(1, udp1, portA, tc.mac, now+int64(sec)/2, uint16(i+1000), decode.TimeSourceGNSS, 0)
				}
			}
			checkVerdicts(t, s.verdicts(), tc.want)
		})
	}
}

// TestAgreeGroups: two segments configured to agree, whose scopes follow
// different grandmasters announcing different timeSources, are one
// Grandmaster Mismatch and one Time Properties Mismatch once both
// baselines are learnt; following one grandmaster, or not configured to
// agree, they give nothing. (Closing is the same code as for Mixed
// Profiles.)
func TestAgreeGroups(t *testing.T) {
	sec := time.Second
	group := []AgreeConfig{{Name: "plant", Scopes: []string{"seg0 v2 domain 0 *", "seg1 v2 domain 0 *"}}}
	for _, tc := range []struct {
		name  string
		agree []AgreeConfig
		other decode.PortIdentity
		want  []want
	}{
		{"disagreeing", group, portB, []want{
			{GrandmasterMismatch, "plant grandmaster", 40 * sec, 52 * sec},
			{TimePropertiesMismatch, "plant time properties", 40 * sec, 52 * sec}}},
		{"agreeing", group, portA, nil},
		{"no group", nil, portB, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Agree = tc.agree
			s := newStream(t, cfg)
			src := decode.TimeSourceGNSS
			if tc.other != portA {
				src = decode.TimeSourceInternalOscillator
			}
			for i := int64(0); i < 300; i++ {
				now := t0 + i*int64(sec)
				s.announce(0, udp0, portA, macA, now, uint16(i), decode.TimeSourceGNSS, 0)
				{
					mac := macA
					if tc.other == portB {
						mac = macB
					}
					s.announce(1, udp1, tc.other, mac, now+int64(sec)/2, uint16(i), src, 0)
				}
			}
			checkVerdicts(t, s.verdicts(), tc.want)
		})
	}
}

// TestMasterSamples: master check samples that step by 200 µs and stay
// there are one Master Offset Step; a path delay that jumps by 80 µs one
// Path Delay Jump; a single outlier and jitter below the thresholds
// nothing; each closes once the clear time and a minute pass without a
// new step.
func TestMasterSamples(t *testing.T) {
	log := state.NewEventLog(0)
	e, err := New(DefaultConfig(), log)
	if err != nil {
		t.Fatal(err)
	}
	sec := int64(time.Second)
	jitter := []int64{0, 7000, -5000, 12000, -9000, 3000}
	for i := int64(0); i < 200; i++ {
		off, delay := 1500+jitter[i%6], 40000+jitter[(i+3)%6]/2
		switch {
		case i == 30:
			off = 900000 // one outlier
		case i >= 60:
			off += 200000
		}
		if i >= 100 {
			delay += 80000
		}
		e.MasterSample(udp0, portA, t0+i*2*sec, off, delay)
	}
	var got []verdict
	for _, ev := range log.Events(0, 0) {
		got = append(got, verdict{time.Duration(ev.Time - t0), ev.Type, ev.Subject, ev.Detail})
	}
	s := time.Second
	checkVerdicts(t, got, []want{
		{MasterOffsetStep, portA.String(), 124 * s, 124 * s}, // the third sample beyond
		{FindingClosed, portA.String(), 200 * s, 210 * s},
		{PathDelayJump, portA.String(), 204 * s, 204 * s},
		{FindingClosed, portA.String(), 280 * s, 290 * s},
	})
}
