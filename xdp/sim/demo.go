package sim

import (
	"fmt"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
)

// Demo scope names, for tests and documentation.
const (
	DemoScopeD0     = "d0-udp4"    // domain 0, UDP/IPv4, E2E, behind a transparent clock
	DemoScopeVLAN   = "d0-vlan100" // domain 0, L2 on VLAN 100, fed by a boundary clock
	DemoScopeGPTP   = "d24-gptp"   // domain 24, L2, P2P, majorSdoId 1
	DemoScopeD44    = "d44-udp6"   // domain 44, UDP/IPv6, 1588-2019
	DemoScopeV1DFLT = "v1-dflt"    // PTPv1 subdomain _DFLT
)

const (
	nsec = time.Nanosecond
	usec = time.Microsecond
)

// DefaultDemo returns the network `ptpwatch --demo` shows, without a
// script; set Scenario to DemoScenario() for the demo's incidents.
//
//   - d0-udp4: domain 0 over UDP/IPv4, E2E, Sync 8/s, Announce 1/s,
//     Delay_Req 4/s. A Meinberg GNSS grandmaster and an Oregano backup
//     (priority2 decides), a Cisco E2E transparent clock between them and
//     the followers, six servers (three multicast, two hybrid unicast
//     Delay_Req, one negotiating unicast service with 60 s grants), the
//     slave port of an Arista boundary clock, a pmc-like
//     management node polling CURRENT_DATA_SET every 16 s, and a
//     disabled Intel host that the script turns into a rogue master.
//   - d0-vlan100: domain 0 over L2 on VLAN 100, E2E, Sync 16/s, Announce
//     1/s, Delay_Req 8/s: the boundary clock's one-step master port and
//     three Mellanox followers.
//   - d24-gptp: domain 24 over L2, P2P, majorSdoId 1 (802.1AS-like),
//     Sync 8/s, Announce 1/s, Pdelay 1/s, path trace: a Microchip
//     grandmaster, a Hirschmann P2P transparent clock, three Intel
//     followers.
//   - d44-udp6: domain 44 over UDP/IPv6, 1588-2019, Sync 16/s, Announce
//     0.5/s, Delay_Req 1/s: a Microsemi master and two followers.
//   - v1-dflt: PTPv1 subdomain _DFLT over UDP/IPv4, Sync 1/s, Delay_Req
//     every 4 s: a Meinberg v1 master and two Siemens slaves.
func DefaultDemo() Config {
	gnss := Clock{
		Role: RoleGrandmaster, ClockClass: 6, ClockAccuracy: 0x21, OffsetScaledLogVariance: 0x4e5d,
		TimeSource: decode.TimeSourceGNSS, CurrentUTCOffset: 37,
		UTCOffsetValid: true, TimeTraceable: true, FrequencyTraceable: true,
	}
	follower := func(name, mac, scope string, delay time.Duration, mode DelayMode, drift, offset, jitter float64) Clock {
		return Clock{Name: name, Role: RoleFollower, MAC: mac, Scope: scope, PathDelay: Duration(delay),
			DelayMode: mode, DriftPPB: drift, OffsetNS: offset, JitterNS: jitter}
	}
	gm1 := gnss
	gm1.Name, gm1.MAC, gm1.Scope, gm1.PathDelay = "gm-meinberg", "ec:46:70:00:a1:01", DemoScopeD0, Duration(600*nsec)
	gm1.Priority2, gm1.DriftPPB, gm1.OffsetNS, gm1.JitterNS = 100, 0.2, 3, 4
	gm2 := gnss
	gm2.Name, gm2.MAC, gm2.Scope, gm2.PathDelay = "gm-oregano", "8c:a5:a1:00:b2:02", DemoScopeD0, Duration(750*nsec)
	gm2.Priority2, gm2.DriftPPB, gm2.OffsetNS, gm2.JitterNS = 110, -0.3, -12, 6
	gptp := gnss
	gptp.Name, gptp.MAC, gptp.Scope, gptp.PathDelay = "gm-microchip", "00:b0:ae:00:24:01", DemoScopeGPTP, Duration(400*nsec)
	gptp.Priority1, gptp.Priority2, gptp.JitterNS = 246, 248, 8
	d44 := gnss
	d44.Name, d44.Role, d44.MAC, d44.Scope, d44.PathDelay = "master-d44", RoleMaster, "00:a0:87:00:44:01", DemoScopeD44, Duration(900*nsec)
	d44.DriftPPB, d44.JitterNS = 1.5, 10
	v1m := gnss
	v1m.Name, v1m.MAC, v1m.Scope, v1m.PathDelay = "v1-meinberg", "ec:46:70:00:01:01", DemoScopeV1DFLT, Duration(1200*nsec)
	v1m.Priority1, v1m.JitterNS = 100, 40

	cfg := Config{
		Scopes: []Scope{
			{Name: DemoScopeD0, Domain: 0, Transport: UDPv4, LogSyncInterval: -3, LogAnnounceInterval: 0,
				LogMinDelayReqInterval: -2, UnicastGrant: Duration(60 * time.Second)},
			{Name: DemoScopeVLAN, Domain: 0, Transport: L2, VLANs: []VLAN{{ID: 100, PCP: 4}},
				LogSyncInterval: -4, LogAnnounceInterval: 0, LogMinDelayReqInterval: -3},
			{Name: DemoScopeGPTP, Domain: 24, Transport: L2, Delay: P2P, MajorSdoID: 1, MinorVersion: 1,
				LogSyncInterval: -3, LogAnnounceInterval: 0, LogMinPdelayReqInterval: 0, PathTrace: true},
			{Name: DemoScopeD44, Domain: 44, Transport: UDPv6, MinorVersion: 1,
				LogSyncInterval: -4, LogAnnounceInterval: 1, LogMinDelayReqInterval: 0},
			{Name: DemoScopeV1DFLT, Version: 1, Subdomain: decode.V1DefaultSubdomain, Transport: UDPv4,
				LogSyncInterval: 0, LogMinDelayReqInterval: 2},
		},
		Clocks: []Clock{
			gm1, gm2,
			{Name: "tc-cisco", Role: RoleTransparent, MAC: "00:1b:0d:00:c3:03", Scope: DemoScopeD0,
				Residence: Duration(4 * usec)},
			{Name: "bc-arista", Role: RoleBoundary, MAC: "28:99:3a:00:d4:04", OneStep: true,
				DriftPPB: 3, OffsetNS: 8, JitterNS: 6,
				Ports: []Port{
					{Scope: DemoScopeD0, Role: PortRoleSlave, PathDelay: Duration(1200 * nsec)},
					{Scope: DemoScopeVLAN, Role: PortRoleMaster, PathDelay: Duration(300 * nsec)},
				}},
			follower("srv-01", "a0:36:9f:00:01:01", DemoScopeD0, 800*nsec, Multicast, 12, 5, 25),
			follower("srv-02", "a0:36:9f:00:01:02", DemoScopeD0, 950*nsec, Multicast, -8, -3, 30),
			follower("srv-03", "0c:42:a1:00:01:03", DemoScopeD0, 1100*nsec, Multicast, 4, 2, 15),
			follower("srv-04", "0c:42:a1:00:01:04", DemoScopeD0, 1300*nsec, Hybrid, -15, 9, 20),
			follower("srv-05", "a0:36:9f:00:01:05", DemoScopeD0, 1700*nsec, Hybrid, 20, -6, 40),
			follower("srv-06", "a0:36:9f:00:01:06", DemoScopeD0, 1400*nsec, Unicast, -4, 4, 20),
			{Name: "pmc-monitor", Role: RoleManagement, MAC: "a0:36:9f:00:77:77", Scope: DemoScopeD0,
				PathDelay: Duration(500 * nsec), QueryInterval: Duration(16 * time.Second)},
			{Name: "rogue-host", Role: RoleGrandmaster, MAC: "a0:36:9f:00:99:99", Scope: DemoScopeD0,
				PathDelay: Duration(1500 * nsec), Disabled: true, DriftPPB: 40, JitterNS: 200},
			follower("mx-01", "0c:42:a1:00:64:01", DemoScopeVLAN, 400*nsec, Multicast, 6, 4, 10),
			follower("mx-02", "0c:42:a1:00:64:02", DemoScopeVLAN, 450*nsec, Multicast, -5, -2, 10),
			follower("mx-03", "0c:42:a1:00:64:03", DemoScopeVLAN, 520*nsec, Multicast, 9, 1, 12),
			gptp,
			{Name: "tc-hirschmann", Role: RoleTransparent, MAC: "00:80:63:00:18:01", Scope: DemoScopeGPTP,
				Residence: Duration(2 * usec), JitterNS: 8},
			follower("ecu-1", "a0:36:9f:00:18:01", DemoScopeGPTP, 150*nsec, Multicast, 25, 3, 8),
			follower("ecu-2", "a0:36:9f:00:18:02", DemoScopeGPTP, 180*nsec, Multicast, -18, -4, 8),
			follower("ecu-3", "a0:36:9f:00:18:03", DemoScopeGPTP, 210*nsec, Multicast, 7, 2, 8),
			d44,
			follower("lab-01", "0c:42:a1:00:2c:01", DemoScopeD44, 700*nsec, Multicast, 10, 6, 30),
			follower("lab-02", "a0:36:9f:00:2c:02", DemoScopeD44, 850*nsec, Multicast, -12, -9, 30),
			v1m,
			follower("plc-1", "00:0e:8c:00:01:11", DemoScopeV1DFLT, 2*usec, Multicast, 30, 50, 200),
			follower("plc-2", "00:0e:8c:00:01:12", DemoScopeV1DFLT, 2500*nsec, Multicast, -25, -40, 200),
		},
	}
	return cfg
}

// MaxDemoFollowers bounds AddDemoFollowers: their MAC addresses are
// numbered within one 23-bit block.
const MaxDemoFollowers = 1 << 23

// AddDemoFollowers adds n followers to the demo's domain-0 scope, for
// trying the UI and API at scale: multicast E2E servers with Mellanox
// MACs 0c:42:a1:80:00:00 upwards (the demo's own clocks use lower ones),
// spread path delays, drifts and offsets, each sending Delay_Req at the
// scope's rate (4/s).
func AddDemoFollowers(cfg *Config, n int) error {
	if n < 0 || n > MaxDemoFollowers {
		return fmt.Errorf("sim: %d demo followers, want 0 to %d", n, MaxDemoFollowers)
	}
	for i := range n {
		cfg.Clocks = append(cfg.Clocks, Clock{
			Name:      fmt.Sprintf("rack-%05d", i+1),
			Role:      RoleFollower,
			MAC:       fmt.Sprintf("0c:42:a1:%02x:%02x:%02x", 0x80|i>>16, i>>8&0xff, i&0xff),
			Scope:     DemoScopeD0,
			PathDelay: Duration(time.Duration(600+i*37%1400) * time.Nanosecond),
			DelayMode: Multicast,
			DriftPPB:  float64(i*7%41 - 20),
			OffsetNS:  float64(i*13%21 - 10),
			JitterNS:  float64(10 + i%30),
		})
	}
	return nil
}

// DemoScenario returns the demo's looping script, one incident every
// minute or two over a 15-minute cycle, each undone before the cycle
// repeats:
//
//	 1:00 grandmaster failover in d0-udp4 (gm-meinberg stops; gm-oregano takes over)
//	 3:00 gm-meinberg starts again and wins back (better priority2)
//	 4:00 master-d44 clockClass 6 → 7 → 52 (4:20) → 187 (4:40), back to 6 at 5:30
//	 6:00 rogue master: rogue-host starts with priority1 64 in d0-udp4; stops at 7:00
//	 8:00 srv-05 starts using srv-04's clockIdentity; restored at 9:00
//	10:00 sync loss at master-d44 (Announce continues); resumed at 11:00
//	11:30 gm-microchip announces leap61 with no leap second scheduled; cleared at 11:50
//	12:00 gm-microchip skips 5 Sync sequenceIds
//	13:00 follower ecu-3 stops; starts again at 14:00
func DemoScenario() Scenario {
	m := time.Minute
	s := time.Second
	return Scenario{
		Repeat: Duration(15 * m),
		Actions: []Action{
			GrandmasterFailover(1*m, "gm-meinberg"),
			Start(3*m, "gm-meinberg"),
			ClockClassChange(4*m, "master-d44", 7, 0x22),
			ClockClassChange(4*m+20*s, "master-d44", 52, 0x25),
			ClockClassChange(4*m+40*s, "master-d44", 187, 0xfe),
			ClockClassChange(5*m+30*s, "master-d44", 6, 0x21),
			RogueMaster(6*m, "rogue-host", 64),
			Stop(7*m, "rogue-host"),
			DuplicateClockIdentity(8*m, "srv-05", "srv-04"),
			DuplicateClockIdentity(9*m, "srv-05", ""),
			SyncLoss(10*m, "master-d44"),
			SyncResume(11*m, "master-d44"),
			TimeProperties(11*m+30*s, "gm-microchip", 0, true, false),
			TimeProperties(11*m+50*s, "gm-microchip", 0, false, false),
			SequenceGap(12*m, "gm-microchip", "Sync", 5),
			Stop(13*m, "ecu-3"),
			Start(14*m, "ecu-3"),
		},
	}
}
