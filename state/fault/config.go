package fault

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
)

// Config is the expected topology and the detectors' tuning: the [fault]
// section of the appliance's configuration. The zero value is not usable;
// start from DefaultConfig.
type Config struct {
	// Enabled runs the detectors. Default true.
	Enabled bool `toml:"enabled"`
	// SettleSeconds is how long a scope without a Scopes entry is
	// watched, from when it is first seen, to learn its baseline before
	// anything in it is judged. Default 30.
	SettleSeconds int `toml:"settle_seconds"`
	// ClearSeconds is how long a condition must be gone before its
	// finding closes. Default 10.
	ClearSeconds int `toml:"clear_seconds"`
	// FlapChanges and FlapMinutes: more than FlapChanges grandmaster
	// changes within FlapMinutes in one scope is Grandmaster Flapping.
	// Defaults 3 and 10.
	FlapChanges int `toml:"flap_changes"`
	FlapMinutes int `toml:"flap_minutes"`
	// UTCOffset is the currentUtcOffset grandmasters must announce (when
	// they flag it valid). Zero: the value the leap-second table gives for
	// the capture time.
	UTCOffset int `toml:"utc_offset"`
	// LeapWindowHours is how long before a scheduled leap second a
	// grandmaster may announce leap59 or leap61. Default 24.
	LeapWindowHours int `toml:"leap_window_hours"`
	// LeapSeconds is the leap-second table: "YYYY-MM-DD OFFSET", the UTC
	// day from whose start TAI−UTC is OFFSET seconds (the leap second was
	// the last second of the day before). Default: every leap second up
	// to 2017-01-01 (37 s); add a line when IERS Bulletin C announces one.
	LeapSeconds []string `toml:"leap_seconds"`
	// GapThreshold: more sequenceIds than this skipped by one port within
	// a minute is Sequence Gaps. Default 10.
	GapThreshold int `toml:"gap_threshold"`
	// DuplicateThreshold: more repeated sequenceIds than this from one
	// port within a minute is Duplicate Frames. Default 5.
	DuplicateThreshold int `toml:"duplicate_threshold"`
	// MissingThreshold: more two-step Sync without Follow_Up (or Follow_Up
	// without Sync), or Delay_Req without Delay_Resp, than this for one
	// port within a minute is Missing Follow_Up or Missing Delay_Resp.
	// Default 5.
	MissingThreshold int `toml:"missing_threshold"`
	// Domains lists the PTP domains expected to exist (v2); a scope in
	// another domain is an Unexpected Scope. Empty: any.
	Domains []int `toml:"domains"`
	// Profile names the PTP profile whose message intervals every scope
	// is held to (a scope entry may name another): "default" (IEEE
	// 1588-2019 Annex I.3), "g8275.1", "g8275.2", "smpte2059-2". Empty:
	// intervals are not judged.
	Profile string `toml:"profile"`
	// OffsetStepNs and DelayJumpNs: a master check sample (state/manage)
	// whose offset differs from the median of the samples before it by
	// more than OffsetStepNs, three samples in a row, is a Master Offset
	// Step; the same for the mean path delay and DelayJumpNs is a Path
	// Delay Jump. 0 turns the detector off. Defaults 100000 and 50000
	// (software timestamps jitter by tens of microseconds).
	OffsetStepNs int64 `toml:"offset_step_ns"`
	DelayJumpNs  int64 `toml:"delay_jump_ns"`
	// Scopes lists the expected grandmasters per scope.
	Scopes []ScopeConfig `toml:"scope"`
	// Agree lists groups of scopes that should share one grandmaster and
	// its time properties (the same timing network seen on two segments,
	// or behind a boundary clock).
	Agree []AgreeConfig `toml:"agree"`
}

// AgreeConfig is one [[fault.agree]]: every scope whose name matches one
// of Scopes ('*' matches any run of characters) should announce the same
// grandmaster and time properties as the others of the group.
type AgreeConfig struct {
	Name   string   `toml:"name" json:"name,omitempty"`
	Scopes []string `toml:"scopes" json:"scopes"`
}

// ScopeConfig is one [[fault.scope]]: the scopes whose name (as the UI
// shows it, such as "seg0 v2 domain 0 UDP/IPv4") matches Match, where '*'
// matches any run of characters, and the clocks allowed to be their
// grandmaster. The first matching entry applies.
type ScopeConfig struct {
	Match        string              `toml:"match" json:"match"`
	Grandmasters []GrandmasterConfig `toml:"grandmaster" json:"grandmasters"`
	// Profile overrides the [fault] profile for these scopes.
	Profile string `toml:"profile" json:"profile,omitempty"`
	// AnnounceInterval, SyncInterval and DelayReqInterval override the
	// profile's allowed range of logMessageInterval (log2 seconds) as
	// [min, max]: Announce, multicast Sync and the logMinDelayReqInterval
	// Delay_Resp carries.
	AnnounceInterval []int `toml:"announce_interval" json:"announceInterval,omitempty"`
	SyncInterval     []int `toml:"sync_interval" json:"syncInterval,omitempty"`
	DelayReqInterval []int `toml:"delay_req_interval" json:"delayReqInterval,omitempty"`
}

// GrandmasterConfig is one expected grandmaster: its clockIdentity
// (sixteen hex digits, separators allowed) and optionally the priority1
// and clockClass it should announce. A clock announcing a better
// priority1 or clockClass than configured claims more than it should (a
// Rogue Master); a worse clockClass is a Degradation.
type GrandmasterConfig struct {
	Identity   string `toml:"identity" json:"identity"`
	Priority1  *uint8 `toml:"priority1" json:"priority1,omitempty"`
	ClockClass *uint8 `toml:"clock_class" json:"clockClass,omitempty"`
}

// DefaultLeapSeconds is the leap-second table ptpwatch ships: the dates
// from which TAI−UTC took each value, 1972 to the last leap second.
var DefaultLeapSeconds = []string{
	"1972-01-01 10", "1972-07-01 11", "1973-01-01 12", "1974-01-01 13", "1975-01-01 14",
	"1976-01-01 15", "1977-01-01 16", "1978-01-01 17", "1979-01-01 18", "1980-01-01 19",
	"1981-07-01 20", "1982-07-01 21", "1983-07-01 22", "1985-07-01 23", "1988-01-01 24",
	"1990-01-01 25", "1991-01-01 26", "1992-07-01 27", "1993-07-01 28", "1994-07-01 29",
	"1996-01-01 30", "1997-07-01 31", "1999-01-01 32", "2006-01-01 33", "2009-01-01 34",
	"2012-07-01 35", "2015-07-01 36", "2017-01-01 37",
}

// DefaultConfig returns the defaults: detectors on, learnt baselines.
func DefaultConfig() Config {
	return Config{Enabled: true, SettleSeconds: 30, ClearSeconds: 10, FlapChanges: 3, FlapMinutes: 10,
		LeapWindowHours: 24, GapThreshold: 10, DuplicateThreshold: 5, MissingThreshold: 5, LeapSeconds: append([]string(nil), DefaultLeapSeconds...),
		OffsetStepNs: 100000, DelayJumpNs: 50000}
}

// leap is one row of the leap-second table: from At (ns since 1970, UTC)
// TAI−UTC is Offset.
type leap struct {
	At     int64
	Offset int
}

// compiled is a Config made ready for the detectors.
type compiled struct {
	cfg     Config
	settle  int64
	clear   int64
	flapWin int64
	leapWin int64
	leaps   []leap
	scopes  []compiledScope
	domains map[int]bool
	profile *profile // the [fault] profile, nil: none
	agree   []compiledAgree
}

type compiledScope struct {
	match   string
	gms     []expectedGM
	profile *profile
}

type compiledAgree struct {
	name     string
	patterns []string
}

// profile is the allowed logMessageInterval range of Announce, Sync and
// Delay_Resp (logMinDelayReqInterval) in a PTP profile.
type profile struct {
	name string
	ival [3][2]int8 // ivAnnounce, ivSync, ivDelay: min, max
}

const (
	ivAnnounce = state.HealthAnnounce
	ivSync     = state.HealthSync
	ivDelay    = state.HealthDelay
)

var ivNames = [3]string{"Announce", "Sync", "Delay_Resp (logMinDelayReqInterval)"}

// Profiles are the message interval ranges of the profiles ptpwatch
// knows, as log2 seconds.
var profiles = map[string]profile{
	// IEEE 1588-2019 Annex I.3, delay request-response default profile
	"default": {name: "default", ival: [3][2]int8{{0, 4}, {-1, 1}, {0, 5}}},
	// ITU-T G.8275.1: 8 Announce, 16 Sync and 16 Delay_Req a second
	"g8275.1": {name: "g8275.1", ival: [3][2]int8{{-3, -3}, {-4, -4}, {-4, -4}}},
	// ITU-T G.8275.2 (unicast): Announce 1 to 8, Sync and Delay_Req 1 to 128 a second
	"g8275.2": {name: "g8275.2", ival: [3][2]int8{{-3, 0}, {-7, 0}, {-7, 0}}},
	// SMPTE ST 2059-2: Announce -3..1, Sync -7..-1, Delay_Req up to
	// logSyncInterval+5
	"smpte2059-2": {name: "smpte2059-2", ival: [3][2]int8{{-3, 1}, {-7, -1}, {-7, 4}}},
}

// ProfileNames lists the profiles a configuration may name.
func ProfileNames() []string {
	var out []string
	for n := range profiles {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// makeProfile builds the profile named name (empty: base) with the
// ranges given overriding it; nil when there is nothing to judge by.
func makeProfile(name string, base *profile, ranges [3][]int) (*profile, error) {
	var p *profile
	switch {
	case name != "":
		q, ok := profiles[name]
		if !ok {
			return nil, fmt.Errorf("profile %q: want one of %s", name, strings.Join(ProfileNames(), ", "))
		}
		p = &q
	case base != nil:
		q := *base
		p = &q
	}
	for i, r := range ranges {
		if r == nil {
			continue
		}
		if len(r) != 2 || r[0] > r[1] || r[0] < -7 || r[1] > 7 {
			return nil, fmt.Errorf("%s interval %v: want [min, max], log2 seconds from -7 to 7", ivNames[i], r)
		}
		if p == nil {
			p = &profile{name: "custom", ival: [3][2]int8{{-128, 127}, {-128, 127}, {-128, 127}}}
		} else if p.name != "custom" {
			p.name += " (adjusted)"
		}
		p.ival[i] = [2]int8{int8(r[0]), int8(r[1])}
	}
	return p, nil
}

type expectedGM struct {
	id        decode.ClockIdentity
	priority1 int // −1: any
	class     int // −1: any
}

// Validate reports what is wrong with c, all of it.
func (c *Config) Validate() error {
	_, err := c.compile()
	return err
}

func (c *Config) compile() (*compiled, error) {
	var errs []error
	k := &compiled{cfg: *c, settle: int64(c.SettleSeconds) * 1e9, clear: int64(c.ClearSeconds) * 1e9,
		flapWin: int64(c.FlapMinutes) * int64(time.Minute), leapWin: int64(c.LeapWindowHours) * int64(time.Hour)}
	if c.SettleSeconds < 0 || c.ClearSeconds < 0 || c.LeapWindowHours < 0 {
		errs = append(errs, errors.New("fault: settle_seconds, clear_seconds and leap_window_hours must not be negative"))
	}
	if c.FlapChanges < 1 || c.FlapMinutes < 1 {
		errs = append(errs, fmt.Errorf("fault: flap_changes %d and flap_minutes %d: want at least 1", c.FlapChanges, c.FlapMinutes))
	}
	if c.GapThreshold < 0 || c.DuplicateThreshold < 0 || c.MissingThreshold < 0 {
		errs = append(errs, errors.New("fault: gap_threshold, duplicate_threshold and missing_threshold must not be negative"))
	}
	if c.UTCOffset < 0 || c.UTCOffset > 1000 {
		errs = append(errs, fmt.Errorf("fault: utc_offset %d: want 0 (from the leap-second table) to 1000", c.UTCOffset))
	}
	for _, l := range c.LeapSeconds {
		f := strings.Fields(l)
		var t time.Time
		var off int
		var err error
		if len(f) == 2 {
			if t, err = time.Parse("2006-01-02", f[0]); err == nil {
				off, err = strconv.Atoi(f[1])
			}
		} else {
			err = errors.New("want \"YYYY-MM-DD OFFSET\"")
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("fault: leap_seconds %q: %v", l, err))
			continue
		}
		k.leaps = append(k.leaps, leap{t.UnixNano(), off})
	}
	sort.Slice(k.leaps, func(i, j int) bool { return k.leaps[i].At < k.leaps[j].At })
	if len(c.Domains) > 0 {
		k.domains = map[int]bool{}
		for _, d := range c.Domains {
			if d < 0 || d > 255 {
				errs = append(errs, fmt.Errorf("fault: domains: %d is not a domain number", d))
			}
			k.domains[d] = true
		}
	}
	if c.OffsetStepNs < 0 || c.DelayJumpNs < 0 {
		errs = append(errs, errors.New("fault: offset_step_ns and delay_jump_ns must not be negative"))
	}
	var err error
	if k.profile, err = makeProfile(c.Profile, nil, [3][]int{}); err != nil {
		errs = append(errs, fmt.Errorf("fault: %v", err))
	}
	for i, a := range c.Agree {
		if len(a.Scopes) < 1 {
			errs = append(errs, fmt.Errorf("fault: agree %d: no scopes listed", i+1))
		}
		name := a.Name
		if name == "" {
			name = "group " + strconv.Itoa(i+1)
		}
		k.agree = append(k.agree, compiledAgree{name: name, patterns: a.Scopes})
	}
	for i, s := range c.Scopes {
		if s.Match == "" {
			errs = append(errs, fmt.Errorf("fault: scope %d: match is empty", i+1))
		}
		cs := compiledScope{match: s.Match}
		if cs.profile, err = makeProfile(s.Profile, k.profile, [3][]int{s.AnnounceInterval, s.SyncInterval, s.DelayReqInterval}); err != nil {
			errs = append(errs, fmt.Errorf("fault: scope %q: %v", s.Match, err))
		}
		for _, g := range s.Grandmasters {
			id, err := parseIdentity(g.Identity)
			if err != nil {
				errs = append(errs, fmt.Errorf("fault: scope %q: grandmaster %q: %v", s.Match, g.Identity, err))
				continue
			}
			e := expectedGM{id: id, priority1: -1, class: -1}
			if g.Priority1 != nil {
				e.priority1 = int(*g.Priority1)
			}
			if g.ClockClass != nil {
				e.class = int(*g.ClockClass)
			}
			cs.gms = append(cs.gms, e)
		}
		if len(cs.gms) == 0 {
			errs = append(errs, fmt.Errorf("fault: scope %q: no grandmaster listed", s.Match))
		}
		k.scopes = append(k.scopes, cs)
	}
	return k, errors.Join(errs...)
}

// parseIdentity reads a clockIdentity written as sixteen hex digits, with
// '.', ':' or '-' anywhere between them.
func parseIdentity(s string) (decode.ClockIdentity, error) {
	var id decode.ClockIdentity
	h := strings.NewReplacer(".", "", ":", "", "-", "").Replace(s)
	if len(h) != 16 {
		return id, errors.New("want sixteen hex digits")
	}
	for i := 0; i < 8; i++ {
		v, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		if err != nil {
			return id, errors.New("want sixteen hex digits")
		}
		id[i] = byte(v)
	}
	return id, nil
}

// scopeFor returns the configured entry for a scope name, or nil.
func (k *compiled) scopeFor(name string) *compiledScope {
	for i := range k.scopes {
		if glob(k.scopes[i].match, name) {
			return &k.scopes[i]
		}
	}
	return nil
}

// utcOffsetAt is TAI−UTC at t by the table (0 before its first row).
func (k *compiled) utcOffsetAt(t int64) int {
	off := 0
	for _, l := range k.leaps {
		if l.At > t {
			break
		}
		off = l.Offset
	}
	return off
}

// leapSpan is utcOffsetAt(t) with the span of capture time [from, to)
// it holds for.
func (k *compiled) leapSpan(t int64) (off int, from, to int64) {
	from, to = math.MinInt64, math.MaxInt64
	for _, l := range k.leaps {
		if l.At > t {
			to = l.At
			break
		}
		off, from = l.Offset, l.At
	}
	return off, from, to
}

// leapAhead reports the change of TAI−UTC scheduled within the leap
// window after t: +1 for a leap second inserted (leap61), −1 for one
// removed (leap59), 0 for none.
func (k *compiled) leapAhead(t int64) int {
	prev := k.utcOffsetAt(t)
	for _, l := range k.leaps {
		if l.At > t && l.At-t <= k.leapWin {
			if l.Offset > prev {
				return 1
			}
			return -1
		}
	}
	return 0
}

// glob matches name against pattern, where '*' matches any run of
// characters and everything else itself.
func glob(pattern, name string) bool {
	for {
		i := strings.IndexByte(pattern, '*')
		if i < 0 {
			return pattern == name
		}
		if !strings.HasPrefix(name, pattern[:i]) {
			return false
		}
		name, pattern = name[i:], pattern[i+1:]
		if pattern == "" {
			return true
		}
		for j := 0; j <= len(name); j++ {
			if glob(pattern, name[j:]) {
				return true
			}
		}
		return false
	}
}
