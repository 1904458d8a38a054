package sim

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// builder checks a Config and turns it into a Network's tables. It
// collects every problem it finds, so one run of New lists them all.
type builder struct {
	n    *Network
	cfg  *Config
	errs []error

	segIdx   map[string]int
	scopeIdx map[string]int
	clockIdx map[string]int
}

func (b *builder) errorf(format string, args ...any) {
	b.errs = append(b.errs, fmt.Errorf("sim: "+format, args...))
}

// clockPorts returns the ports of a clock, expanding the single-port
// shorthand.
func clockPorts(c *Clock) []Port {
	if len(c.Ports) > 0 || c.Scope == "" {
		return c.Ports
	}
	return []Port{{Scope: c.Scope, PathDelay: c.PathDelay, DelayMode: c.DelayMode}}
}

func parseMAC(s string) ([6]byte, error) {
	hw, err := net.ParseMAC(s)
	if err != nil {
		return [6]byte{}, err
	}
	if len(hw) != 6 {
		return [6]byte{}, errors.New("not a 48-bit MAC address")
	}
	if hw[0]&1 != 0 {
		return [6]byte{}, errors.New("multicast MAC address")
	}
	return [6]byte(hw), nil
}

func parseIdentity(s string) (decode.ClockIdentity, error) {
	h := strings.NewReplacer(".", "", ":", "", "-", "").Replace(s)
	if len(h) != 16 {
		return decode.ClockIdentity{}, errors.New("want 16 hex digits")
	}
	var id decode.ClockIdentity
	if _, err := hex.Decode(id[:], []byte(h)); err != nil {
		return id, err
	}
	return id, nil
}

func checkLogInterval(v int8) bool { return v >= -7 && v <= 7 }

// validate checks cfg and fills the name indexes. Construction runs only
// on a config that passed, so it need not check again.
func (b *builder) validate() {
	cfg := b.cfg
	b.segIdx = map[string]int{}
	for i, s := range cfg.Segments {
		switch {
		case s.Name == "":
			b.errorf("segment %d has no name", i)
		case b.segIdx[s.Name] != 0:
			b.errorf("segment %q defined twice", s.Name)
		default:
			b.segIdx[s.Name] = i + 1
		}
	}
	b.validateScopes()
	b.validateClocks()
	b.validateScenario()
}

// scopeKey identifies what a monitor would take for one scope; two config
// scopes with the same key would be indistinguishable.
type scopeKey struct {
	seg       int
	version   uint8
	domain    uint8
	subdomain string
	transport Transport
	vlans     string
}

func (b *builder) validateScopes() {
	b.scopeIdx = map[string]int{}
	keys := map[scopeKey]string{}
	for i := range b.cfg.Scopes {
		s := &b.cfg.Scopes[i]
		name := s.Name
		if name == "" {
			b.errorf("scope %d has no name", i)
			name = fmt.Sprintf("#%d", i)
		} else if b.scopeIdx[name] != 0 {
			b.errorf("scope %q defined twice", name)
		} else {
			b.scopeIdx[name] = i + 1
		}
		seg := 0
		if s.Segment != "" {
			if len(b.cfg.Segments) == 0 && s.Segment == "sim0" {
				// the implicit segment
			} else if k := b.segIdx[s.Segment]; k == 0 {
				b.errorf("scope %q: unknown segment %q", name, s.Segment)
			} else {
				seg = k - 1
			}
		}
		ver := s.Version
		if ver == 0 {
			ver = 2
		}
		switch ver {
		case 1:
			if s.Transport.norm() != UDPv4 {
				b.errorf("scope %q: PTPv1 runs over UDPv4 only, not %q", name, s.Transport)
			}
			if s.Delay.norm() != E2E {
				b.errorf("scope %q: PTPv1 has no peer delay mechanism", name)
			}
			if len(s.Subdomain) > decode.V1SubdomainLength {
				b.errorf("scope %q: subdomain %q longer than %d octets", name, s.Subdomain, decode.V1SubdomainLength)
			}
			if s.MinorVersion != 0 || s.MajorSdoID != 0 || s.MinorSdoID != 0 || s.Domain != 0 {
				b.errorf("scope %q: domain, minor version and sdoId belong to PTPv2 scopes", name)
			}
		case 2:
			if s.MinorVersion > 1 {
				b.errorf("scope %q: minor version %d, want 0 (1588-2008) or 1 (1588-2019)", name, s.MinorVersion)
			}
			if s.MajorSdoID > 15 {
				b.errorf("scope %q: majorSdoId %d does not fit in four bits", name, s.MajorSdoID)
			}
			if s.Subdomain != "" {
				b.errorf("scope %q: subdomain names belong to PTPv1 scopes; PTPv2 uses domain", name)
			}
		default:
			b.errorf("scope %q: PTP version %d, want 1 or 2", name, s.Version)
		}
		if s.Transport.decode() == decode.TransportNone {
			b.errorf("scope %q: unknown transport %q (want l2, udpv4 or udpv6)", name, s.Transport)
		}
		if d := s.Delay.norm(); d != E2E && d != P2P {
			b.errorf("scope %q: unknown delay mechanism %q (want e2e or p2p)", name, s.Delay)
		}
		if len(s.VLANs) > decode.MaxVLANs {
			b.errorf("scope %q: %d VLAN tags, at most %d", name, len(s.VLANs), decode.MaxVLANs)
		}
		var vl strings.Builder
		for _, v := range s.VLANs {
			if v.ID > 4094 {
				b.errorf("scope %q: VLAN ID %d out of range 0-4094", name, v.ID)
			}
			if v.PCP > 7 {
				b.errorf("scope %q: VLAN %d priority %d out of range 0-7", name, v.ID, v.PCP)
			}
			switch v.TPID {
			case 0, decode.EtherType8021Q, decode.EtherType8021AD, decode.EtherTypeQinQ:
			default:
				b.errorf("scope %q: VLAN %d TPID %#04x, want 0x8100, 0x88a8 or 0x9100", name, v.ID, v.TPID)
			}
			fmt.Fprintf(&vl, "%d/", v.ID)
		}
		for _, iv := range []struct {
			what string
			v    int8
		}{
			{"log_sync_interval", s.LogSyncInterval},
			{"log_announce_interval", s.LogAnnounceInterval},
			{"log_min_delay_req_interval", s.LogMinDelayReqInterval},
			{"log_min_pdelay_req_interval", s.LogMinPdelayReqInterval},
		} {
			if !checkLogInterval(iv.v) {
				b.errorf("scope %q: %s %d out of range -7 to 7", name, iv.what, iv.v)
			}
		}
		if g := time.Duration(s.UnicastGrant); g != 0 && (g < 10*time.Second || g > 1000*time.Second) {
			b.errorf("scope %q: unicast grant %v outside 10s-1000s", name, g)
		}
		if s.AnnounceReceiptTimeout == 1 {
			b.errorf("scope %q: announce_receipt_timeout 1, want at least 2 (§7.7.3.1)", name)
		}
		sub := ""
		if ver == 1 {
			sub = s.Subdomain
			if sub == "" {
				sub = decode.V1DefaultSubdomain
			}
		}
		k := scopeKey{seg, ver, s.Domain, sub, s.Transport.norm(), vl.String()}
		if prev, ok := keys[k]; ok {
			b.errorf("scopes %q and %q are the same scope (segment, version, domain, transport and VLANs all equal)", prev, name)
		} else {
			keys[k] = name
		}
	}
}

func (b *builder) scopeOf(name string) (*Scope, bool) {
	k := b.scopeIdx[name]
	if k == 0 {
		return nil, false
	}
	return &b.cfg.Scopes[k-1], true
}

func (b *builder) validateClocks() {
	b.clockIdx = map[string]int{}
	macs := map[[6]byte]string{}
	ids := map[decode.ClockIdentity]string{}
	tcs := map[string]string{}       // scope -> transparent clock
	candidates := map[string]bool{}  // scopes with a master-capable port
	followers := map[string]string{} // scope -> a follower in it
	for i := range b.cfg.Clocks {
		c := &b.cfg.Clocks[i]
		name := c.Name
		if name == "" {
			b.errorf("clock %d has no name", i)
			name = fmt.Sprintf("#%d", i)
		} else if b.clockIdx[name] != 0 {
			b.errorf("clock %q defined twice", name)
		} else {
			b.clockIdx[name] = i + 1
		}
		switch c.Role {
		case RoleGrandmaster, RoleMaster, RoleBoundary, RoleFollower, RoleTransparent, RoleManagement:
		case "":
			b.errorf("clock %q has no role", name)
		default:
			b.errorf("clock %q: unknown role %q", name, c.Role)
		}
		mac, err := parseMAC(c.MAC)
		if err != nil {
			b.errorf("clock %q: MAC %q: %v", name, c.MAC, err)
		} else if prev, ok := macs[mac]; ok {
			b.errorf("clocks %q and %q share MAC %s", prev, name, c.MAC)
		} else {
			macs[mac] = name
		}
		id := IdentityFromMAC(mac)
		if c.ClockIdentity != "" {
			if id, err = parseIdentity(c.ClockIdentity); err != nil {
				b.errorf("clock %q: clock identity %q: %v", name, c.ClockIdentity, err)
			}
		}
		if prev, ok := ids[id]; ok && err == nil && c.ClockIdentity == "" {
			b.errorf("clocks %q and %q share clockIdentity %s", prev, name, id)
		}
		ids[id] = name
		if c.IPv4 != "" {
			if a, err := netip.ParseAddr(c.IPv4); err != nil || !a.Is4() {
				b.errorf("clock %q: %q is not an IPv4 address", name, c.IPv4)
			}
		}
		if c.IPv6 != "" {
			if a, err := netip.ParseAddr(c.IPv6); err != nil || !a.Is6() || a.Is4In6() {
				b.errorf("clock %q: %q is not an IPv6 address", name, c.IPv6)
			}
		}
		if c.JitterNS < 0 || c.Residence < 0 || c.QueryInterval < 0 {
			b.errorf("clock %q: negative jitter, residence or query interval", name)
		}
		if c.QueryInterval != 0 && time.Duration(c.QueryInterval) < 10*time.Millisecond {
			b.errorf("clock %q: query interval %v below 10ms", name, c.QueryInterval)
		}
		if time.Duration(c.Residence) > 100*time.Microsecond {
			b.errorf("clock %q: residence %v above 100µs", name, c.Residence)
		}
		if len(c.Ports) > 0 && c.Scope != "" {
			b.errorf("clock %q: give either scope or ports, not both", name)
		}
		ports := clockPorts(c)
		if len(ports) == 0 {
			b.errorf("clock %q has no port (set scope or ports)", name)
			continue
		}
		if c.Role != RoleBoundary && len(ports) != 1 {
			b.errorf("clock %q: a %s has exactly one port, not %d", name, c.Role, len(ports))
		}
		slaves := 0
		seen := map[string]bool{}
		for j, p := range ports {
			s, ok := b.scopeOf(p.Scope)
			if !ok {
				b.errorf("clock %q port %d: unknown scope %q", name, j+1, p.Scope)
				continue
			}
			if seen[p.Scope] {
				b.errorf("clock %q: two ports in scope %q", name, p.Scope)
			}
			seen[p.Scope] = true
			if p.PathDelay < 0 || time.Duration(p.PathDelay) > time.Millisecond {
				b.errorf("clock %q port %d: path delay %v outside 0-1ms", name, j+1, p.PathDelay)
			}
			if p.MAC != "" {
				if _, err := parseMAC(p.MAC); err != nil {
					b.errorf("clock %q port %d: MAC %q: %v", name, j+1, p.MAC, err)
				}
			}
			v1 := s.Version == 1
			mode := p.DelayMode.norm()
			if mode != Multicast && mode != Hybrid && mode != Unicast {
				b.errorf("clock %q port %d: unknown delay mode %q (want multicast, hybrid or unicast)", name, j+1, p.DelayMode)
			}
			if mode != Multicast && (v1 || s.Delay.norm() != E2E) {
				b.errorf("clock %q port %d: %s delay mode needs a PTPv2 E2E scope, not %q", name, j+1, mode, p.Scope)
			}
			if mode != Multicast && c.Role != RoleFollower && !(c.Role == RoleBoundary && p.Role == PortRoleSlave) {
				b.errorf("clock %q port %d: only followers and boundary slave ports send Delay_Req", name, j+1)
			}
			if p.Role != "" && c.Role != RoleBoundary {
				b.errorf("clock %q port %d: port roles are for boundary clocks", name, j+1)
			}
			switch c.Role {
			case RoleGrandmaster, RoleMaster:
				candidates[p.Scope] = true
			case RoleFollower:
				followers[p.Scope] = name
			case RoleBoundary:
				if v1 {
					b.errorf("clock %q: boundary clocks are PTPv2 only; scope %q is PTPv1", name, p.Scope)
				}
				switch p.Role {
				case PortRoleSlave:
					slaves++
					followers[p.Scope] = name
				case PortRoleMaster:
					candidates[p.Scope] = true
				default:
					b.errorf("clock %q port %d: boundary port role %q, want slave or master", name, j+1, p.Role)
				}
			case RoleTransparent:
				if v1 {
					b.errorf("clock %q: transparent clocks are PTPv2 only; scope %q is PTPv1", name, p.Scope)
				}
				if prev, ok := tcs[p.Scope]; ok {
					b.errorf("clocks %q and %q: one transparent clock per scope", prev, name)
				}
				tcs[p.Scope] = name
			case RoleManagement:
				if v1 {
					b.errorf("clock %q: management nodes are PTPv2 only; scope %q is PTPv1", name, p.Scope)
				}
			}
		}
		if c.Role == RoleBoundary && (slaves != 1 || len(ports) < 2) {
			b.errorf("clock %q: a boundary clock needs one slave port and at least one master port", name)
		}
	}
	for _, s := range b.cfg.Scopes {
		if f, ok := followers[s.Name]; ok && !candidates[s.Name] {
			b.errorf("scope %q: follower %q has no clock that can be master", s.Name, f)
		}
	}
	b.checkBoundaryLoops()
}

// checkBoundaryLoops rejects boundary clocks feeding each other in a
// circle: each would announce the other's grandmaster for ever.
func (b *builder) checkBoundaryLoops() {
	next := map[string][]string{} // slave scope -> master scopes
	for i := range b.cfg.Clocks {
		c := &b.cfg.Clocks[i]
		if c.Role != RoleBoundary {
			continue
		}
		var from string
		for _, p := range c.Ports {
			if p.Role == PortRoleSlave {
				from = p.Scope
			}
		}
		for _, p := range c.Ports {
			if p.Role == PortRoleMaster {
				next[from] = append(next[from], p.Scope)
			}
		}
	}
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(s string) bool
	visit = func(s string) bool {
		switch state[s] {
		case 1:
			return false
		case 2:
			return true
		}
		state[s] = 1
		for _, t := range next[s] {
			if !visit(t) {
				return false
			}
		}
		state[s] = 2
		return true
	}
	for _, s := range b.cfg.Scopes {
		if !visit(s.Name) {
			b.errorf("boundary clocks form a loop through scope %q", s.Name)
			return
		}
	}
}

// gapMessages maps the message names ActSequenceGap accepts to the type
// whose sequence counter they advance.
var gapMessages = map[string]decode.MessageType{
	"sync": decode.Sync, "delay_req": decode.DelayReq, "pdelay_req": decode.PdelayReq,
	"announce": decode.Announce, "management": decode.Management,
}

func (b *builder) validateScenario() {
	sc := &b.cfg.Scenario
	var last Duration
	for i, a := range sc.Actions {
		what := fmt.Sprintf("scenario action %d (%s)", i+1, a.Kind)
		if a.At < 0 {
			b.errorf("%s: negative time %v", what, a.At)
		}
		last = max(last, a.At)
		var c *Clock
		if a.Clock != "" {
			if k := b.clockIdx[a.Clock]; k == 0 {
				b.errorf("%s: unknown clock %q", what, a.Clock)
			} else {
				c = &b.cfg.Clocks[k-1]
			}
		}
		if a.Scope != "" {
			if _, ok := b.scopeOf(a.Scope); !ok {
				b.errorf("%s: unknown scope %q", what, a.Scope)
			}
		}
		needClock := func() bool {
			if a.Clock == "" {
				b.errorf("%s: needs a clock", what)
				return false
			}
			return c != nil
		}
		switch a.Kind {
		case ActGrandmasterFailover:
			if a.Clock == "" && a.Scope == "" {
				b.errorf("%s: needs a clock or a scope", what)
			}
			if c != nil && !c.Role.masterCapable() {
				b.errorf("%s: clock %q is a %s, not a grandmaster", what, a.Clock, c.Role)
			}
		case ActClockClassChange:
			if needClock() && !c.Role.masterCapable() && c.Role != RoleBoundary {
				b.errorf("%s: clock %q is a %s and announces no quality", what, a.Clock, c.Role)
			}
			if a.ClockClass == 0 {
				b.errorf("%s: needs a clock class", what)
			}
		case ActRogueMaster:
			if needClock() && !c.Role.masterCapable() {
				b.errorf("%s: clock %q is a %s; a rogue master must be a grandmaster or master", what, a.Clock, c.Role)
			}
		case ActDuplicateClockIdentity:
			if needClock() && a.Identity != "" {
				if b.clockIdx[a.Identity] == 0 {
					b.errorf("%s: unknown clock %q to copy the identity of", what, a.Identity)
				} else if a.Identity == a.Clock {
					b.errorf("%s: clock %q cannot duplicate itself", what, a.Clock)
				}
			}
		case ActSyncLoss, ActSyncResume:
			if needClock() && !c.Role.masterCapable() && c.Role != RoleBoundary {
				b.errorf("%s: clock %q is a %s and sends no Sync", what, a.Clock, c.Role)
			}
		case ActSequenceGap:
			needClock()
			if _, ok := gapMessages[strings.ToLower(a.Message)]; !ok {
				b.errorf("%s: message %q does not start a sequence (want Sync, Delay_Req, Pdelay_Req, Announce or Management)", what, a.Message)
			}
			if a.Count < 1 || a.Count > 0xffff {
				b.errorf("%s: count %d outside 1-65535", what, a.Count)
			}
		case ActStop, ActStart:
			needClock()
		case ActTimeProperties:
			if needClock() && !c.Role.masterCapable() && c.Role != RoleBoundary {
				b.errorf("%s: clock %q is a %s and announces no time properties", what, a.Clock, c.Role)
			}
			if a.Leap61 && a.Leap59 {
				b.errorf("%s: leap61 and leap59 together", what)
			}
		case "":
			b.errorf("scenario action %d has no kind", i+1)
		default:
			b.errorf("%s: unknown action kind", what)
		}
	}
	if sc.Repeat < 0 || (sc.Repeat > 0 && sc.Repeat <= last) {
		b.errorf("scenario repeat %v must be zero or later than the last action (%v)", sc.Repeat, last)
	}
}

// build constructs the network's tables from a validated config.
func (b *builder) build() {
	n := b.n
	cfg := b.cfg
	if len(cfg.Segments) == 0 {
		n.ifaces = []source.Interface{{Name: "sim0", Segment: n.opts.Segment}}
	} else {
		for _, s := range cfg.Segments {
			n.ifaces = append(n.ifaces, source.Interface{Name: s.Name, Segment: s.Number})
		}
	}
	n.scopes = make([]scope, len(cfg.Scopes))
	for i := range cfg.Scopes {
		b.buildScope(int32(i))
	}
	n.clocks = make([]clock, len(cfg.Clocks))
	for i := range cfg.Clocks {
		b.buildClock(int32(i))
	}
	for i := range n.ports {
		b.wirePort(int32(i))
	}
	b.pairPeers()
	n.actions = append([]Action(nil), cfg.Scenario.Actions...)
	n.repeat = int64(cfg.Scenario.Repeat)
	n.clockByName = make(map[string]int32, len(n.clocks))
	for i := range n.clocks {
		n.clockByName[n.clocks[i].name] = int32(i)
	}
	n.scopeByName = make(map[string]int32, len(n.scopes))
	for i := range n.scopes {
		n.scopeByName[n.scopes[i].name] = int32(i)
	}
}

func logNs(l int8) int64 {
	if l >= 0 {
		return int64(time.Second) << l
	}
	return int64(time.Second) >> -l
}

func (b *builder) buildScope(i int32) {
	n := b.n
	c := &b.cfg.Scopes[i]
	s := &n.scopes[i]
	s.cfg = *c
	s.name = c.Name
	if c.Segment != "" && len(b.cfg.Segments) > 0 {
		s.iface = uint16(b.segIdx[c.Segment] - 1)
	}
	s.segment = n.ifaces[s.iface].Segment
	s.version = c.Version
	if s.version == 0 {
		s.version = 2
	}
	s.v1 = s.version == 1
	s.p2p = c.Delay.norm() == P2P
	s.gptp = c.MajorSdoID == 1
	s.transport = c.Transport.decode()
	for _, v := range c.VLANs {
		s.vlans = append(s.vlans, decode.VLANTag{TPID: v.TPID, PCP: v.PCP, VID: v.ID})
	}
	s.logSync, s.logAnn = c.LogSyncInterval, c.LogAnnounceInterval
	s.logDreq, s.logPdelay = c.LogMinDelayReqInterval, c.LogMinPdelayReqInterval
	if s.v1 {
		s.logAnn = s.logSync
	}
	s.syncNs, s.annNs = logNs(s.logSync), logNs(s.logAnn)
	s.dreqNs, s.pdelayNs = logNs(s.logDreq), logNs(s.logPdelay)
	to := c.AnnounceReceiptTimeout
	if to == 0 {
		to = 3
	}
	s.timeoutNs = int64(to) * s.annNs
	s.grantNs = int64(c.UnicastGrant)
	if s.grantNs == 0 {
		s.grantNs = int64(300 * time.Second)
	}
	s.subdomain = c.Subdomain
	if s.v1 && s.subdomain == "" {
		s.subdomain = decode.V1DefaultSubdomain
	}
	s.tc = -1
	s.master, s.followed, s.yielding = -1, -1, -1
}

func (b *builder) buildClock(i int32) {
	n := b.n
	cfgc := &b.cfg.Clocks[i]
	c := &n.clocks[i]
	c.name = cfgc.Name
	c.role = cfgc.Role
	c.mac, _ = parseMAC(cfgc.MAC)
	c.ownID = IdentityFromMAC(c.mac)
	if cfgc.ClockIdentity != "" {
		c.ownID, _ = parseIdentity(cfgc.ClockIdentity)
	}
	c.id = c.ownID
	c.uuid = c.mac
	c.enabled = !cfgc.Disabled
	c.oneStep = cfgc.OneStep
	c.drift, c.offset, c.jitter = cfgc.DriftPPB, cfgc.OffsetNS, cfgc.JitterNS
	c.residence = int64(cfgc.Residence)
	c.query = int64(cfgc.QueryInterval)
	if c.query == 0 {
		c.query = int64(16 * time.Second)
	}
	c.up = -1
	c.ds = dataset{
		p1: orDefault(cfgc.Priority1, 128), p2: orDefault(cfgc.Priority2, 128),
		q: decode.ClockQuality{
			Class:                   orDefault(cfgc.ClockClass, 248),
			Accuracy:                orDefault(cfgc.ClockAccuracy, 0xfe),
			OffsetScaledLogVariance: orDefault(cfgc.OffsetScaledLogVariance, 0xffff),
		},
		ts:  orDefault(cfgc.TimeSource, decode.TimeSourceInternalOscillator),
		utc: orDefault(cfgc.CurrentUTCOffset, 37),
	}
	f := decode.Flags(0)
	if !cfgc.ARBTimescale {
		f |= decode.FlagPTPTimescale
	}
	if cfgc.UTCOffsetValid {
		f |= decode.FlagCurrentUTCOffsetValid
	}
	if cfgc.TimeTraceable {
		f |= decode.FlagTimeTraceable
	}
	if cfgc.FrequencyTraceable {
		f |= decode.FlagFrequencyTraceable
	}
	if cfgc.Leap61 {
		f |= decode.FlagLeap61
	}
	if cfgc.Leap59 {
		f |= decode.FlagLeap59
	}
	c.ds.flags = f

	ports := clockPorts(cfgc)
	for j, pc := range ports {
		si := int32(b.scopeIdx[pc.Scope] - 1)
		s := &n.scopes[si]
		pi := int32(len(n.ports))
		n.ports = append(n.ports, port{})
		p := &n.ports[pi]
		p.clock, p.scope = i, si
		p.number = uint16(j + 1)
		p.mac = c.mac
		if pc.MAC != "" {
			p.mac, _ = parseMAC(pc.MAC)
		}
		p.pathDelay = int64(pc.PathDelay)
		p.unicast = pc.DelayMode.norm() == Unicast
		p.hybrid = pc.DelayMode.norm() == Hybrid || p.unicast
		p.parent, p.peer, p.granted = -1, -1, -1
		switch c.role {
		case RoleGrandmaster, RoleMaster:
			p.kind = pkCandidate
			s.cands = append(s.cands, pi)
		case RoleFollower:
			p.kind = pkSlave
			s.slaves = append(s.slaves, pi)
			c.up = pi
		case RoleBoundary:
			if pc.Role == PortRoleSlave {
				p.kind = pkSlave
				s.slaves = append(s.slaves, pi)
				c.up = pi
			} else {
				p.kind = pkBCMaster
				s.cands = append(s.cands, pi)
			}
		case RoleTransparent:
			// The clock's own port stands for the whole device; a P2P
			// transparent clock gets one more port per neighbour in
			// pairPeers.
			p.kind = pkTC
			s.tc = i
		case RoleManagement:
			p.kind = pkMgmt
			s.mgmts = append(s.mgmts, pi)
		}
		if s.v1 {
			c.v1 = true
		}
		if j == 0 {
			c.segment = s.segment
		}
		c.ports = append(c.ports, pi)
	}
	// Addresses: configured, or derived from the clock's index so every
	// clock has distinct ones.
	k := int(i) + 1
	c.ip4 = netip.AddrFrom4([4]byte{10, byte(c.segment), byte(k >> 8), byte(k)})
	if cfgc.IPv4 != "" {
		c.ip4, _ = netip.ParseAddr(cfgc.IPv4)
	}
	c.ip6 = netip.AddrFrom16([16]byte{0xfd, 0x00, 12: byte(c.segment >> 8), 13: byte(c.segment), 14: byte(k >> 8), 15: byte(k)})
	if cfgc.IPv6 != "" {
		c.ip6, _ = netip.ParseAddr(cfgc.IPv6)
	}
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// wirePort builds a port's message template and multicast encapsulation.
func (b *builder) wirePort(pi int32) {
	n := b.n
	p := &n.ports[pi]
	s := &n.scopes[p.scope]
	c := &n.clocks[p.clock]
	p.id = decode.PortIdentity{Clock: c.id, Port: p.number}
	p.enc = decode.Encapsulation{Transport: s.transport, SrcMAC: p.mac, VLANs: s.vlans}
	p.enc.SrcIP = n.portIP(pi)
	p.tmpl = decode.Message{Header: decode.Header{
		MajorSdoID: s.cfg.MajorSdoID, MinorVersion: s.cfg.MinorVersion, Version: 2,
		Domain: s.cfg.Domain, MinorSdoID: s.cfg.MinorSdoID, Source: p.id,
	}}
	if s.v1 {
		h := &p.v1tmpl.V1Header
		h.VersionPTP, h.VersionNetwork = decode.V1VersionPTP, decode.V1VersionNetwork
		h.SetSubdomain(s.subdomain)
		h.SourceCommunicationTechnology = decode.V1CommEthernet
		h.SourceUUID = c.uuid
		h.SourcePortID = p.number
	}
	// Room for a path trace of a few hops without growing on the hot path.
	p.trace = make([]byte, 0, 4+8*8)
	if s.gptp {
		fu := decode.FollowUpInfoTLV{}
		p.fuInfo = fu.AppendTo(nil)
	}
	p.mgmtData = make([]byte, 0, 18)
	p.sig = make([]byte, 0, 3*12)
}

// pairPeers gives every port of a P2P scope its Pdelay partner: with a
// transparent clock, a new TC port per neighbour; without one, the
// scope's first master-capable port answers every follower.
func (b *builder) pairPeers() {
	n := b.n
	for si := range n.scopes {
		s := &n.scopes[si]
		if !s.p2p {
			continue
		}
		var nbrs []int32
		nbrs = append(nbrs, s.cands...)
		nbrs = append(nbrs, s.slaves...)
		if s.tc >= 0 {
			tc := &n.clocks[s.tc]
			num := uint16(len(tc.ports))
			for k, q := range nbrs {
				var pi int32
				if k == 0 {
					// The TC's configured port faces the first neighbour.
					pi = tc.ports[0]
					for _, tp := range tc.ports {
						if n.ports[tp].scope == int32(si) {
							pi = tp
						}
					}
				} else {
					num++
					pi = int32(len(n.ports))
					n.ports = append(n.ports, port{})
					np := &n.ports[pi]
					np.clock, np.scope, np.number, np.kind = s.tc, int32(si), num, pkTC
					np.mac = tc.mac
					np.parent, np.peer, np.granted = -1, -1, -1
					tc.ports = append(tc.ports, pi)
					b.wirePort(pi)
				}
				n.ports[pi].peer = q
				n.ports[q].peer = pi
				s.tcPorts = append(s.tcPorts, pi)
			}
			continue
		}
		if len(s.cands) == 0 {
			continue
		}
		m := s.cands[0]
		for _, q := range s.slaves {
			n.ports[q].peer = m
		}
	}
}
