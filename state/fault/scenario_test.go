package fault

import (
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
)

// smallNet is one UDP/IPv4 scope (Announce 1/s): grandmaster gm-a, backup
// gm-b (worse priority2), three followers and a disabled host that
// scripts may start as a rogue.
func smallNet(actions ...sim.Action) sim.Config {
	gm := func(name, mac string, p2 uint8) sim.Clock {
		return sim.Clock{Name: name, Role: sim.RoleGrandmaster, MAC: mac, Scope: "d0", Priority2: p2, ClockClass: 6,
			ClockAccuracy: 0x21, OffsetScaledLogVariance: 0x4e5d, TimeSource: decode.TimeSourceGNSS, CurrentUTCOffset: 37,
			UTCOffsetValid: true, TimeTraceable: true, FrequencyTraceable: true, PathDelay: sim.Duration(500 * time.Nanosecond)}
	}
	f := func(name, mac string) sim.Clock {
		return sim.Clock{Name: name, Role: sim.RoleFollower, MAC: mac, Scope: "d0", PathDelay: sim.Duration(800 * time.Nanosecond)}
	}
	return sim.Config{
		Scopes: []sim.Scope{{Name: "d0", Domain: 0, Transport: sim.UDPv4, LogSyncInterval: -2, LogAnnounceInterval: 0, LogMinDelayReqInterval: -1}},
		Clocks: []sim.Clock{gm("gm-a", "ec:46:70:00:00:01", 100), gm("gm-b", "8c:a5:a1:00:00:02", 110),
			f("f-1", "a0:36:9f:00:00:11"), f("f-2", "a0:36:9f:00:00:12"), f("f-3", "a0:36:9f:00:00:13"),
			// a monitoring host polling every second keeps frames (and so
			// the detectors' clock) going when every master is silent
			{Name: "mon", Role: sim.RoleManagement, MAC: "a0:36:9f:00:77:77", Scope: "d0", QueryInterval: sim.Duration(time.Second)},
			{Name: "rogue", Role: sim.RoleGrandmaster, MAC: "a0:36:9f:00:99:99", Scope: "d0", Disabled: true,
				PathDelay: sim.Duration(900 * time.Nanosecond)}},
		Scenario: sim.Scenario{Actions: actions},
	}
}

const scopeD0 = "seg0 v2 domain 0 UDP/IPv4"

func u8(v uint8) *uint8 { return &v }

// TestScenarioVerdicts runs one scripted incident per detector through
// the simulator and requires exactly its verdicts.
func TestScenarioVerdicts(t *testing.T) {
	s, m := time.Second, time.Minute
	configured := func(n *sim.Network) Config {
		c := DefaultConfig()
		c.Scopes = []ScopeConfig{{Match: "seg0 v2 domain 0 *", Grandmasters: []GrandmasterConfig{
			{Identity: id(t, n, "gm-a"), Priority1: u8(128), ClockClass: u8(6)}, {Identity: id(t, n, "gm-b")}}}}
		return c
	}
	learnt := func(*sim.Network) Config { return DefaultConfig() }
	for _, tc := range []struct {
		name    string
		actions []sim.Action
		cfg     func(*sim.Network) Config
		want    func(id func(string) string) []want
	}{
		{"steady network", nil, learnt, func(func(string) string) []want { return nil }},
		{"rogue master (learnt baseline)", []sim.Action{sim.RogueMaster(60*s, "rogue", 1), sim.Stop(120*s, "rogue")}, learnt,
			func(id func(string) string) []want {
				// The rogue listens for three announce intervals, then
				// announces: the verdict comes with its first Announce.
				return []want{{RogueMaster, id("rogue"), 63 * s, 64500 * time.Millisecond}, {FindingClosed, id("rogue"), 123 * s, 136 * s}}
			}},
		{"rogue master (configured)", []sim.Action{sim.RogueMaster(60*s, "rogue", 64)}, configured,
			func(id func(string) string) []want {
				return []want{{RogueMaster, id("rogue"), 63 * s, 64500 * time.Millisecond}}
			}},
		{"listed grandmaster with any priority1 winning", []sim.Action{sim.RogueMaster(60*s, "gm-b", 64)}, configured,
			func(id func(string) string) []want {
				// gm-b is listed with any priority1, gm-a with 128: gm-b
				// announcing priority1 64 wins, but is allowed to.
				return nil
			}},
		{"configured grandmaster claiming a better priority1", []sim.Action{sim.RogueMaster(60*s, "gm-a", 64)}, configured,
			func(id func(string) string) []want {
				return []want{{RogueMaster, id("gm-a"), 60 * s, 61500 * time.Millisecond}}
			}},
		{"failover", []sim.Action{sim.GrandmasterFailover(60*s, "gm-a")}, learnt,
			func(id func(string) string) []want {
				return []want{{Failover, id("gm-a") + " → " + id("gm-b"), 63 * s, 70 * s}}
			}},
		{"failover (configured backup) and recovery", []sim.Action{sim.GrandmasterFailover(60*s, "gm-a"), sim.Start(150*s, "gm-a")}, configured,
			func(id func(string) string) []want {
				return []want{{Failover, id("gm-a") + " → " + id("gm-b"), 63 * s, 70 * s},
					{Recovered, id("gm-a") + " → " + id("gm-b"), 153 * s, 160 * s}}
			}},
		{"outage and recovery", []sim.Action{sim.Stop(60*s, "gm-b"), sim.GrandmasterFailover(60*s, "gm-a"), sim.Start(120*s, "gm-b")}, learnt,
			func(id func(string) string) []want {
				return []want{{Outage, scopeD0, 65 * s, 68 * s}, {Recovered, scopeD0, 123 * s, 130 * s}}
			}},
		{"degradation", []sim.Action{sim.ClockClassChange(60*s, "gm-a", 7, 0), sim.ClockClassChange(70*s, "gm-a", 52, 0x31),
			sim.ClockClassChange(90*s, "gm-a", 6, 0x21)}, learnt,
			func(id func(string) string) []want {
				// gm-b is better than class 52 and preempts gm-a at 70 s
				// (no verdict for a preemption); gm-a, silent as a
				// passive port, no longer degrades the network, and its
				// finding closes after the clear time.
				return []want{{Degradation, id("gm-a"), 60 * s, 61 * s}, {FindingClosed, id("gm-a"), 74 * s, 85 * s}}
			}},
		{"UTC offset", []sim.Action{sim.TimeProperties(60*s, "gm-a", 36, false, false), sim.TimeProperties(90*s, "gm-a", 37, false, false)}, learnt,
			func(id func(string) string) []want {
				return []want{{TimePropertiesMismatch, id("gm-a") + " currentUtcOffset", 60 * s, 61 * s},
					{FindingClosed, id("gm-a") + " currentUtcOffset", 100 * s, 102 * s}}
			}},
		{"leap59", []sim.Action{sim.TimeProperties(60*s, "gm-a", 0, false, true)}, learnt,
			func(id func(string) string) []want {
				return []want{{TimePropertiesMismatch, id("gm-a") + " leap59", 60 * s, 61 * s}}
			}},
		{"sequence gaps", []sim.Action{sim.SequenceGap(50*s, "gm-a", "Sync", 5), sim.SequenceGap(52*s, "gm-a", "Sync", 5),
			sim.SequenceGap(54*s, "gm-a", "Sync", 5)}, learnt,
			func(id func(string) string) []want {
				// 15 Syncs lost within gm-a's first minute (from its first
				// frame at about 0.5 s): judged when the minute ends.
				return []want{{SequenceGaps, id("gm-a") + "-1", 60 * s, 66 * s}, {FindingClosed, id("gm-a") + "-1", 180 * s, 200 * s}}
			}},
		{"one sequence gap is normal life", []sim.Action{sim.SequenceGap(50*s, "gm-a", "Sync", 5)}, learnt,
			func(func(string) string) []want { return nil }},
		{"flapping", []sim.Action{
			sim.GrandmasterFailover(1*m, "gm-a"), sim.Start(2*m, "gm-a"), sim.GrandmasterFailover(3*m, "gm-a"),
			sim.Start(4*m, "gm-a")}, learnt,
			func(id func(string) string) []want {
				fo := id("gm-a") + " → " + id("gm-b")
				return []want{{Failover, fo, 63 * s, 70 * s}, {Recovered, fo, 123 * s, 130 * s},
					{Failover, fo, 183 * s, 190 * s}, {Recovered, fo, 243 * s, 250 * s}, {GrandmasterFlapping, scopeD0, 243 * s, 250 * s},
					// closes once the first change is ten minutes old
					{FindingClosed, scopeD0, 663 * s, 685 * s}}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := smallNet(tc.actions...)
			n0, err := sim.New(cfg, sim.Options{Seed: 1, Duration: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			d := 5 * m
			if tc.name == "flapping" {
				d = 15 * m
			}
			_, mod, n := runSim(t, cfg, tc.cfg(n0), d, 1)
			checkVerdicts(t, verdicts(mod), tc.want(func(c string) string { return id(t, n, c) }))
		})
	}
}
