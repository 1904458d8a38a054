package manage

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
)

// Settings is the [management] section of the configuration and the body
// of GET/PUT /api/v1/management/settings. The zero value is not valid;
// start from Defaults. Ranges follow the audit server users know (see the
// seeds): Validate refuses anything outside them.
type Settings struct {
	// Enabled turns periodic sweeps on. Default false: ptpwatch only
	// listens until told to ask. On-demand sweeps (API, CLI) work either way.
	Enabled bool `toml:"enabled" json:"enabled"`
	// Interval between the starts of two sweeps, seconds, 5-86400; default 30.
	Interval int `toml:"interval" json:"interval"`
	// Domains lists the domains to sweep, as "0,1-5,127"; empty means the
	// domains seen on the wire. Default empty.
	Domains string `toml:"domains" json:"domains"`
	// Transport is any, l2, udpv4 or udpv6; any asks over the transports
	// seen on the segment (UDPv4 when none is). Default any.
	Transport string `toml:"transport" json:"transport"`
	// Version is any, v1 or v2. Default any. PTPv1 management asks the
	// subdomains seen on the wire (Domains applies to PTPv2 only).
	Version string `toml:"version" json:"version"`
	// FollowUps is unicast (default) or multicast.
	FollowUps string `toml:"follow_ups" json:"followUps"`
	// IDs lists the follow-up management IDs by name.
	IDs []string `toml:"ids" json:"ids"`
	// BoundaryHops is the startingBoundaryHops of each request, 1-64; default 1.
	BoundaryHops int `toml:"boundary_hops" json:"boundaryHops"`
	// TTL is the IPv4 TTL and IPv6 hop limit of multicast requests, 1-64;
	// default 1.
	TTL int `toml:"ttl" json:"ttl"`
	// IPv6Scope is the scope nibble of the IPv6 multicast group ff0X::181:
	// 2 (link-local), 5 (site), 8 (organisation) or 14 (global, the default).
	IPv6Scope int `toml:"ipv6_scope" json:"ipv6Scope"`
	// Rate is the most frames per second sent on one segment, 1-1000;
	// default 10.
	Rate int `toml:"rate" json:"rate"`
	// GlobalRate is the most frames per second sent on all segments
	// together, 1-10000; default 50.
	GlobalRate int `toml:"global_rate" json:"globalRate"`
	// Retries is how often an unanswered request is sent again, 0-5;
	// default 2. Each wait doubles the one before.
	Retries int `toml:"retries" json:"retries"`
	// TimeoutMs is how long the first attempt waits for an answer,
	// 100-10000 ms; default 1000.
	TimeoutMs int `toml:"timeout_ms" json:"timeoutMs"`
	// CollectMs is how long discovery collects replies, 1000-30000 ms;
	// default 1500.
	CollectMs int `toml:"collect_ms" json:"collectMs"`
	// ReplyCap is the most replies one multicast query takes into
	// account, 1-100000; default 1000.
	ReplyCap int `toml:"reply_cap" json:"replyCap"`
	// NodeLimit is the most nodes tracked, 1-100000; default 2000.
	NodeLimit int `toml:"node_limit" json:"nodeLimit"`
	// KeepPartialOnline counts a node that answers some but not all IDs
	// as online. Default false: it shows as partial.
	KeepPartialOnline bool `toml:"keep_partial_online" json:"keepPartialOnline"`
	// DropAfterDays forgets a node that has not answered for this many
	// days, 1-3650; default 30.
	DropAfterDays int `toml:"drop_after_days" json:"dropAfterDays"`
	// PortIdentity is ptpwatch's own sourcePortIdentity, as
	// "xxxxxx.xxxx.xxxxxx-N"; empty derives one from the interface's MAC
	// that no EUI-64 clock identity uses (octets 3-4 are 0x70 0x77, not
	// 0xff 0xfe).
	PortIdentity string `toml:"port_identity" json:"portIdentity"`
}

// DefaultIDs are the follow-up IDs a sweep asks each clock, in order.
var DefaultIDs = []string{
	"DEFAULT_DATA_SET", "CURRENT_DATA_SET", "PARENT_DATA_SET", "TIME_PROPERTIES_DATA_SET",
	"PORT_DATA_SET", "CLOCK_DESCRIPTION", "USER_DESCRIPTION",
	"TIME_STATUS_NP", "PORT_DATA_SET_NP", "PORT_STATS_NP", "PORT_SERVICE_STATS_NP",
}

// Defaults returns the settings used when the configuration names none.
func Defaults() Settings {
	return Settings{Interval: 30, Transport: "any", Version: "any", FollowUps: "unicast",
		IDs: append([]string(nil), DefaultIDs...), BoundaryHops: 1, TTL: 1, IPv6Scope: 14, Rate: 10,
		GlobalRate: 50, Retries: 2, TimeoutMs: 1000, CollectMs: 1500, ReplyCap: 1000, NodeLimit: 2000,
		DropAfterDays: 30}
}

// SettingError says one setting is out of range or malformed. Key is the
// configuration key (without the section), Value what was given and
// Allowed what would be accepted.
type SettingError struct {
	Key, Value, Allowed string
	// Section is the configuration section; empty means management.
	Section string
}

func (e *SettingError) Error() string {
	sec := e.Section
	if sec == "" {
		sec = "management"
	}
	return fmt.Sprintf("%s.%s = %s: allowed %s", sec, e.Key, e.Value, e.Allowed)
}

func intRange(key string, v, lo, hi int) error {
	if v < lo || v > hi {
		return &SettingError{Key: key, Value: strconv.Itoa(v), Allowed: fmt.Sprintf("%d-%d", lo, hi)}
	}
	return nil
}

func oneOf(key, v string, allowed ...string) error {
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return nil
		}
	}
	return &SettingError{Key: key, Value: strconv.Quote(v), Allowed: strings.Join(allowed, ", ")}
}

// Validate checks every setting and returns the first one out of range as
// a *SettingError.
func (s *Settings) Validate() error {
	checks := []error{
		intRange("interval", s.Interval, 5, 86400),
		oneOf("transport", s.Transport, "any", "l2", "udpv4", "udpv6"),
		oneOf("version", s.Version, "any", "v1", "v2"),
		oneOf("follow_ups", s.FollowUps, "unicast", "multicast"),
		intRange("boundary_hops", s.BoundaryHops, 1, 64),
		intRange("ttl", s.TTL, 1, 64),
		intRange("rate", s.Rate, 1, 1000),
		intRange("global_rate", s.GlobalRate, 1, 10000),
		intRange("retries", s.Retries, 0, 5),
		intRange("timeout_ms", s.TimeoutMs, 100, 10000),
		intRange("collect_ms", s.CollectMs, 1000, 30000),
		intRange("reply_cap", s.ReplyCap, 1, 100000),
		intRange("node_limit", s.NodeLimit, 1, 100000),
		intRange("drop_after_days", s.DropAfterDays, 1, 3650),
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	switch s.IPv6Scope {
	case 2, 5, 8, 14:
	default:
		return &SettingError{Key: "ipv6_scope", Value: strconv.Itoa(s.IPv6Scope), Allowed: "2 (link-local), 5 (site), 8 (organisation), 14 (global)"}
	}
	if _, err := ParseDomains(s.Domains); err != nil {
		return &SettingError{Key: "domains", Value: strconv.Quote(s.Domains), Allowed: `a list of domains 0-255 and ranges such as "0,1-5,127" (` + err.Error() + ")"}
	}
	if len(s.IDs) == 0 {
		return &SettingError{Key: "ids", Value: "[]", Allowed: "one or more management ID names such as PORT_DATA_SET"}
	}
	for _, n := range s.IDs {
		if _, ok := LookupID(n); !ok {
			return &SettingError{Key: "ids", Value: strconv.Quote(n), Allowed: "management ID names of IEEE 1588-2019 Table 59 or linuxptp's _NP IDs"}
		}
	}
	if s.PortIdentity != "" {
		if _, err := ParsePortIdentity(s.PortIdentity); err != nil {
			return &SettingError{Key: "port_identity", Value: strconv.Quote(s.PortIdentity), Allowed: `"xxxxxx.xxxx.xxxxxx-N" or empty (derived from the MAC)`}
		}
	}
	return nil
}

// Timeout returns TimeoutMs as a duration.
func (s *Settings) Timeout() time.Duration { return time.Duration(s.TimeoutMs) * time.Millisecond }

// Collect returns CollectMs as a duration.
func (s *Settings) Collect() time.Duration { return time.Duration(s.CollectMs) * time.Millisecond }

// followIDs returns the follow-up IDs; Validate has checked them.
func (s *Settings) followIDs() []decode.ManagementID {
	ids := make([]decode.ManagementID, 0, len(s.IDs))
	for _, n := range s.IDs {
		if id, ok := LookupID(n); ok {
			ids = append(ids, id)
		}
	}
	return ids
}

// DomainSet is a set of domain numbers 0-255. The zero value is empty.
type DomainSet [4]uint64

// Has reports whether d is in the set.
func (s *DomainSet) Has(d uint8) bool { return s[d>>6]&(1<<(d&63)) != 0 }

// Add puts d in the set.
func (s *DomainSet) Add(d uint8) { s[d>>6] |= 1 << (d & 63) }

// Empty reports whether the set has no domain.
func (s *DomainSet) Empty() bool { return *s == DomainSet{} }

// List returns the domains in increasing order.
func (s *DomainSet) List() []uint8 {
	var l []uint8
	for d := 0; d < 256; d++ {
		if s.Has(uint8(d)) {
			l = append(l, uint8(d))
		}
	}
	return l
}

// ParseDomains reads a domain list such as "0,1-5,127": numbers and
// inclusive ranges 0-255 separated by commas (spaces allowed). An empty
// string is the empty set.
func ParseDomains(text string) (DomainSet, error) {
	var s DomainSet
	if strings.TrimSpace(text) == "" {
		return s, nil
	}
	for _, part := range strings.Split(text, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := parseDomain(lo)
		if err != nil {
			return s, err
		}
		b := a
		if isRange {
			if b, err = parseDomain(hi); err != nil {
				return s, err
			}
			if b < a {
				return s, fmt.Errorf("range %q runs backwards", part)
			}
		}
		for d := a; d <= b; d++ {
			s.Add(uint8(d))
		}
	}
	return s, nil
}

func parseDomain(t string) (int, error) {
	t = strings.TrimSpace(t)
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 || n > 255 {
		return 0, fmt.Errorf("%q is not a domain number 0-255", t)
	}
	return n, nil
}

// ParsePortIdentity reads a portIdentity as linuxptp prints it,
// "xxxxxx.xxxx.xxxxxx-N", or as sixteen hex digits then -N.
func ParsePortIdentity(text string) (decode.PortIdentity, error) {
	var p decode.PortIdentity
	clock, port, ok := strings.Cut(strings.TrimSpace(text), "-")
	if !ok {
		return p, fmt.Errorf("portIdentity %q: want clockIdentity-portNumber", text)
	}
	c, err := ParseClockIdentity(clock)
	if err != nil {
		return p, err
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return p, fmt.Errorf("portIdentity %q: port number: %w", text, err)
	}
	return decode.PortIdentity{Clock: c, Port: uint16(n)}, nil
}

// ParseClockIdentity reads "xxxxxx.xxxx.xxxxxx" or sixteen hex digits.
func ParseClockIdentity(text string) (decode.ClockIdentity, error) {
	var c decode.ClockIdentity
	h := strings.ReplaceAll(strings.ReplaceAll(text, ".", ""), ":", "")
	if len(h) != 16 {
		return c, fmt.Errorf("clockIdentity %q: want 16 hex digits", text)
	}
	for i := range c {
		v, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		if err != nil {
			return c, fmt.Errorf("clockIdentity %q: %w", text, err)
		}
		c[i] = uint8(v)
	}
	return c, nil
}

// SelfIdentity derives ptpwatch's portIdentity from a MAC address: the
// OUI, then 0x70 0x77 where an EUI-64 derived from a MAC has 0xff 0xfe,
// then the rest of the MAC, port 1. No clock using the standard MAC to
// EUI-64 mapping can have it, and it differs from pmc's identity on the
// same host.
func SelfIdentity(mac [6]byte) decode.PortIdentity {
	return decode.PortIdentity{Clock: decode.ClockIdentity{mac[0], mac[1], mac[2], 0x70, 0x77, mac[3], mac[4], mac[5]}, Port: 1}
}

// idRanges are the ranges of Table 59 and linuxptp that decode names.
var idRanges = [][2]decode.ManagementID{{0x0000, 0x0007}, {0x2000, 0x2021}, {0x3000, 0x3003}, {0x4000, 0x4002}, {0x6000, 0x6001}, {0xC000, 0xC00D}}

// LookupID returns the management ID with the given name (case does not
// matter), as decode.ManagementID.String spells it, or a number such as
// 0x2004.
func LookupID(name string) (decode.ManagementID, bool) {
	name = strings.TrimSpace(name)
	if v, err := strconv.ParseUint(name, 0, 16); err == nil {
		return decode.ManagementID(v), true
	}
	for _, r := range idRanges {
		for id := r[0]; id <= r[1]; id++ {
			if id.IsKnown() && strings.EqualFold(id.String(), name) {
				return id, true
			}
		}
	}
	return 0, false
}
