package sim

import (
	"strings"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
)

// Config describes a simulated timing network: where it lives (segments),
// which PTP scopes run on it, the clocks taking part, and a script of
// incidents. It is plain data, loadable from TOML; New checks it.
//
// Zero values take the defaults documented on each field, so a config only
// states what differs from a plain IEEE 1588 default-profile network.
type Config struct {
	// Segments lists the network segments, one capture interface each.
	// Empty means one segment named "sim0" whose number is Options.Segment.
	Segments []Segment `toml:"segment"`
	Scopes   []Scope   `toml:"scope"`
	Clocks   []Clock   `toml:"clock"`
	Scenario Scenario  `toml:"scenario"`
}

// Segment is one network segment of the simulation, seen through one
// capture interface.
type Segment struct {
	Name   string `toml:"name"`   // interface name, such as "sim0"; required
	Number uint16 `toml:"number"` // segment number reported with the interface
}

// Transport names how a scope's messages travel.
type Transport string

// Transports.
const (
	L2    Transport = "l2"    // IEEE 802.3, EtherType 0x88F7 (1588 Annex E)
	UDPv4 Transport = "udpv4" // UDP over IPv4 (Annex C); the default
	UDPv6 Transport = "udpv6" // UDP over IPv6 (Annex D)
)

// DelayMechanism is how followers measure the path to their master.
type DelayMechanism string

// Delay mechanisms.
const (
	E2E DelayMechanism = "e2e" // Delay_Req/Delay_Resp with the master; the default
	P2P DelayMechanism = "p2p" // Pdelay exchanges between link neighbours
)

// VLAN is one 802.1Q or 802.1ad tag. Several tags stack outermost first.
type VLAN struct {
	ID   uint16 `toml:"id"`   // 0-4094
	PCP  uint8  `toml:"pcp"`  // priority code point, 0-7
	TPID uint16 `toml:"tpid"` // 0x8100 (the default), 0x88A8 or 0x9100
}

// Scope is one PTP communication path: a domain (PTPv2) or subdomain
// (PTPv1) over one transport and VLAN on one segment.
type Scope struct {
	Name    string `toml:"name"`    // required, unique
	Segment string `toml:"segment"` // segment name; default the first segment

	// Version is versionPTP: 2 (the default) or 1 for IEEE 1588-2002.
	Version uint8 `toml:"version"`
	// MinorVersion is minorVersionPTP for version 2: 0 for 1588-2008
	// (the default) or 1 for 1588-2019.
	MinorVersion uint8 `toml:"minor_version"`
	Domain       uint8 `toml:"domain"`
	// MajorSdoID is the header's upper nibble (transportSpecific in 2008):
	// 1 for IEEE 802.1AS. MinorSdoID is the 2019 minorSdoId.
	MajorSdoID uint8 `toml:"major_sdo_id"`
	MinorSdoID uint8 `toml:"minor_sdo_id"`
	// Subdomain is the PTPv1 subdomain name, at most 16 octets. Default
	// "_DFLT".
	Subdomain string `toml:"subdomain"`

	Transport Transport      `toml:"transport"` // default UDPv4; PTPv1 needs UDPv4
	VLANs     []VLAN         `toml:"vlan"`      // at most 4; none means untagged
	Delay     DelayMechanism `toml:"delay"`     // default E2E; PTPv1 knows only E2E

	// Message intervals as log2 seconds, -7 to 7. The zero value is one
	// second. For PTPv1, LogSyncInterval is the 1588-2002 syncInterval and
	// doubles as the announce interval, since PTPv1 announces in Sync.
	LogSyncInterval         int8 `toml:"log_sync_interval"`
	LogAnnounceInterval     int8 `toml:"log_announce_interval"`
	LogMinDelayReqInterval  int8 `toml:"log_min_delay_req_interval"`
	LogMinPdelayReqInterval int8 `toml:"log_min_pdelay_req_interval"`
	// AnnounceReceiptTimeout counts announce intervals without an Announce
	// before a port gives its master up (§8.2.15.4.5). Default 3.
	AnnounceReceiptTimeout uint8 `toml:"announce_receipt_timeout"`
	// PathTrace makes masters append a PATH_TRACE TLV to Announce (§16.2),
	// as IEEE 802.1AS requires.
	PathTrace bool `toml:"path_trace"`
	// UnicastGrant is the duration followers in Unicast delay mode request
	// and masters grant, 10 s to 1000 s. Default 300 s.
	UnicastGrant Duration `toml:"unicast_grant"`
}

// Role is what a clock is configured to be. Truth reports the same roles.
type Role string

// Roles.
const (
	// RoleGrandmaster is an ordinary clock able to be grandmaster, usually
	// with a primary reference; several in one scope back each other up,
	// the best by BMCA announcing and the others PASSIVE.
	RoleGrandmaster Role = "grandmaster"
	// RoleMaster is an ordinary clock acting as master without a primary
	// reference (an "ordinary master"); it takes part in BMCA like a
	// grandmaster.
	RoleMaster Role = "master"
	// RoleBoundary is a boundary clock: one slave port, master ports in
	// other scopes. It announces its upstream grandmaster with
	// stepsRemoved+1, or itself when it has none.
	RoleBoundary Role = "boundary"
	// RoleFollower is a slave-only ordinary clock.
	RoleFollower Role = "follower"
	// RoleTransparent is a transparent clock in one scope: end-to-end it
	// corrects the event messages crossing it; peer-to-peer it also
	// measures every link with Pdelay.
	RoleTransparent Role = "transparent"
	// RoleManagement is a management node (pmc-like) polling
	// CURRENT_DATA_SET from every clock in its scope.
	RoleManagement Role = "management"
)

// DelayMode is how a follower sends Delay_Req.
type DelayMode string

// Delay modes.
const (
	Multicast DelayMode = "multicast" // Delay_Req and Delay_Resp multicast; the default
	// Hybrid sends Delay_Req unicast to the master, which answers with a
	// unicast Delay_Resp; both carry the unicast flag. Sync and Announce
	// stay multicast.
	Hybrid DelayMode = "hybrid"
	// Unicast negotiates unicast service from the master (§16.1): a
	// Signaling message with REQUEST_UNICAST_TRANSMISSION TLVs for
	// Announce, Sync and Delay_Resp, answered with GRANT TLVs and renewed
	// at half the grant's duration. The master then sends Announce, Sync
	// and Follow_Up to the follower alone, and Delay_Req/Delay_Resp are
	// unicast as in Hybrid. After a change of master the follower asks the
	// new one.
	Unicast DelayMode = "unicast"
)

// Clock is one simulated device.
type Clock struct {
	Name string `toml:"name"` // required, unique
	Role Role   `toml:"role"` // required
	// MAC is the sender address, such as "ec:46:70:01:02:03"; required and
	// unicast. The clockIdentity is derived from it (EUI-48 to EUI-64 by
	// inserting ff:fe) unless ClockIdentity is set, so the vendor shows.
	MAC string `toml:"mac"`
	// ClockIdentity overrides the derived identity: sixteen hex digits,
	// separators ('.', ':', '-') allowed.
	ClockIdentity string `toml:"clock_identity"`
	// IPv4 and IPv6 are the clock's addresses on UDP scopes. Default
	// 10.<segment>.<n>.<n> and fd00::<segment>:<n> from the clock's index.
	IPv4 string `toml:"ipv4"`
	IPv6 string `toml:"ipv6"`
	// Disabled starts the clock silent; a Start or RogueMaster action
	// brings it up.
	Disabled bool `toml:"disabled"`

	// Scope is a shorthand for a clock with one port: Ports may then be
	// empty. Boundary clocks list Ports.
	Scope string `toml:"scope"`
	// PathDelay is the one-way delay between the clock and the network core
	// where the capture tap sits, for a single-port clock given by Scope.
	PathDelay Duration `toml:"path_delay"`
	// DelayMode applies to a follower given by Scope. Default Multicast.
	DelayMode DelayMode `toml:"delay_mode"`
	Ports     []Port    `toml:"port"`

	// The clock's own data set, announced when it is grandmaster.
	Priority1               uint8             `toml:"priority1"`                  // 0 means 128
	Priority2               uint8             `toml:"priority2"`                  // 0 means 128
	ClockClass              uint8             `toml:"clock_class"`                // 0 means 248
	ClockAccuracy           uint8             `toml:"clock_accuracy"`             // 0 means 0xFE, unknown
	OffsetScaledLogVariance uint16            `toml:"offset_scaled_log_variance"` // 0 means 0xFFFF
	TimeSource              decode.TimeSource `toml:"time_source"`                // 0 means INTERNAL_OSCILLATOR
	CurrentUTCOffset        int16             `toml:"current_utc_offset"`         // 0 means 37 s
	UTCOffsetValid          bool              `toml:"utc_offset_valid"`
	TimeTraceable           bool              `toml:"time_traceable"`
	FrequencyTraceable      bool              `toml:"frequency_traceable"`
	// ARBTimescale clears the ptpTimescale flag; the default is the PTP
	// (TAI) timescale.
	ARBTimescale bool `toml:"arb_timescale"`
	Leap61       bool `toml:"leap61"`
	Leap59       bool `toml:"leap59"`

	// OneStep makes a master put the precise time in Sync and send no
	// Follow_Up, and a P2P responder put the turnaround in Pdelay_Resp.
	// The default is two-step. For a transparent clock it puts the
	// residence time into the Sync instead of its Follow_Up.
	OneStep bool `toml:"one_step"`
	// DriftPPB is the clock's frequency error in parts per billion. A free
	// running clock (a grandmaster) accumulates it; a follower shows it as
	// a sawtooth between Syncs.
	DriftPPB float64 `toml:"drift_ppb"`
	// OffsetNS is a constant time error in nanoseconds: a grandmaster's
	// error against true time, a follower's servo offset from its master.
	OffsetNS float64 `toml:"offset_ns"`
	// JitterNS is the standard deviation of the noise on each hardware
	// timestamp the clock takes.
	JitterNS float64 `toml:"jitter_ns"`
	// Residence is a transparent clock's mean residence time; each message
	// takes between half and one and a half times it.
	Residence Duration `toml:"residence"`
	// QueryInterval is how often a management node polls. Default 16 s.
	QueryInterval Duration `toml:"query_interval"`
}

// PortRole says what a boundary clock's port does.
type PortRole string

// Port roles. Only boundary clocks set them; other clocks' ports take their
// clock's role.
const (
	PortRoleSlave  PortRole = "slave"
	PortRoleMaster PortRole = "master"
)

// Port is one PTP port of a clock.
type Port struct {
	Scope string   `toml:"scope"` // required
	Role  PortRole `toml:"role"`  // boundary clocks only
	// PathDelay is the one-way delay between this port and the network
	// core where the capture tap sits.
	PathDelay Duration  `toml:"path_delay"`
	DelayMode DelayMode `toml:"delay_mode"` // followers and boundary slave ports; default Multicast
	// MAC overrides the clock's MAC for this port.
	MAC string `toml:"mac"`
}

// Duration is a time.Duration that reads and writes as text such as
// "600ns" or "2m30s" in TOML.
type Duration time.Duration

// MarshalText returns the duration as time.Duration formats it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText parses a duration in time.ParseDuration's syntax.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// String returns the duration as time.Duration formats it.
func (d Duration) String() string { return time.Duration(d).String() }

// Options control one run of a network.
type Options struct {
	// Start is the virtual time of the first instant, nanoseconds since
	// the Unix epoch. Zero means DefaultStart, so runs are reproducible.
	Start int64
	// Seed seeds the PCG generator behind every random choice: phases,
	// Delay_Req intervals, jitter. The same config, options and seed give
	// the same frames byte for byte. Zero is a seed like any other.
	Seed uint64
	// Duration ends the run: Next returns io.EOF for frames captured at or
	// after Start+Duration. Zero runs forever.
	Duration time.Duration
	// Segment is the number of the implicit segment when Config.Segments
	// is empty.
	Segment uint16
}

// DefaultStart is the virtual start time when Options.Start is zero:
// 2025-01-01T00:00:00Z.
const DefaultStart int64 = 1735689600 * 1e9

// taiOffsetNS is TAI-UTC in force since 2017: PTP timestamps on the PTP
// timescale run this far ahead of the tap's UTC capture clock.
const taiOffsetNS = 37 * int64(time.Second)

func (t Transport) norm() Transport {
	if t == "" {
		return UDPv4
	}
	return Transport(strings.ToLower(string(t)))
}

func (d DelayMechanism) norm() DelayMechanism {
	if d == "" {
		return E2E
	}
	return DelayMechanism(strings.ToLower(string(d)))
}

func (m DelayMode) norm() DelayMode {
	if m == "" {
		return Multicast
	}
	return DelayMode(strings.ToLower(string(m)))
}

func (t Transport) decode() decode.Transport {
	switch t.norm() {
	case L2:
		return decode.TransportL2
	case UDPv4:
		return decode.TransportUDPv4
	case UDPv6:
		return decode.TransportUDPv6
	}
	return decode.TransportNone
}

// masterCapable reports whether a clock of role r competes to be master of
// its scope.
func (r Role) masterCapable() bool { return r == RoleGrandmaster || r == RoleMaster }
