package manage

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/capture"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// ErrNotCapturing is returned when a request should leave while no live
// capture is open (stopped, or between reopenings).
var ErrNotCapturing = errors.New("manage: no live capture to send from")

// liveSender sends through whatever live capture is current.
type liveSender func() *capture.Capture

func (l liveSender) Send(ifIndex int, frame []byte) (int64, error) {
	c := l()
	if c == nil {
		return 0, ErrNotCapturing
	}
	return c.Send(ifIndex, frame)
}

// InterfacePath reads the addresses of the named interface for a Path:
// its MAC, its first IPv4 address and its IPv6 address (a global or
// unique-local one before a link-local one).
func InterfacePath(index int, name string, segment uint16) (Path, error) {
	p := Path{Segment: segment, Interface: index, Name: name}
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return p, err
	}
	copy(p.MAC[:], ifc.HardwareAddr)
	addrs, err := ifc.Addrs()
	if err != nil {
		return p, err
	}
	var ll netip.Addr
	for _, a := range addrs {
		pfx, err := netip.ParsePrefix(a.String())
		if err != nil {
			continue
		}
		ip := pfx.Addr()
		switch {
		case ip.Is4() && !p.IPv4.IsValid():
			p.IPv4 = ip
		case ip.Is6() && ip.IsLinkLocalUnicast() && !ll.IsValid():
			ll = ip
		case ip.Is6() && !ip.IsLinkLocalUnicast() && !p.IPv6.IsValid():
			p.IPv6 = ip
		}
	}
	if !p.IPv6.IsValid() {
		p.IPv6 = ll
	}
	return p, nil
}

// SeenScopes lists the PTPv2 domains and PTPv1 subdomains of a snapshot
// for Env.Seen.
func SeenScopes(snap *state.Snapshot) []Scope {
	if snap == nil {
		return nil
	}
	var out []Scope
	for _, sc := range snap.Scopes {
		var s Scope
		switch {
		case sc.VersionPTP == 1 && sc.Subdomain != "":
			s = Scope{Segment: sc.Segment, VLAN: NoVLAN}
			copy(s.Subdomain[:], sc.Subdomain)
		case sc.VersionPTP == 2 && sc.DomainNumber != nil:
			s = Scope{Segment: sc.Segment, Domain: *sc.DomainNumber, VLAN: NoVLAN}
		default:
			continue
		}
		for _, t := range []decode.Transport{decode.TransportL2, decode.TransportUDPv4, decode.TransportUDPv6} {
			if t.String() == sc.Transport {
				s.Transport = t
			}
		}
		if s.Transport == decode.TransportNone {
			continue
		}
		if sc.VLAN != nil {
			s.VLAN = *sc.VLAN
		}
		out = append(out, s)
	}
	return out
}

// dropWatch reports whether the capture dropped frames since it last
// looked.
type dropWatch struct {
	mu   sync.Mutex
	last uint64
	live func() *capture.Capture
}

func (d *dropWatch) dropping() bool {
	if d.live == nil {
		return false
	}
	c := d.live()
	if c == nil {
		return false
	}
	var n uint64
	for _, st := range c.Status() {
		for _, v := range st.Drops() {
			n += v
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	grew := n > d.last
	d.last = n
	return grew
}

// Attach wires management sweeps into a running appliance whose frame
// source is src: requests leave through the live capture current at the
// time (live), replies are taken from pipe's frames (it chains
// pipe.OnFrame, which must be set before and not changed after), domains
// and transports seen come from snapshot. It starts the sweeping goroutine
// and returns the Manager and a function that stops it. The demo network
// (a *DemoSource) answers too. For another source (a replay) it returns a
// nil Manager: there is nothing to send to.
func Attach(s Settings, ms MasterSettings, src source.Source, pipe *pipeline.Pipeline, live func() *capture.Capture,
	snapshot func() *state.Snapshot, log *slog.Logger) (*Manager, func(), error) {
	demo, isDemo := src.(*DemoSource)
	if _, ok := src.(*capture.Capture); !ok && !isDemo {
		return nil, func() {}, nil
	}
	ifaces := src.Interfaces()
	dw := &dropWatch{live: live}
	dw.dropping() // start counting from now
	var pathMu sync.Mutex
	var paths []Path
	var pathsAt time.Time
	env := Env{
		Sender: liveSender(live),
		Paths: func() []Path {
			pathMu.Lock()
			defer pathMu.Unlock()
			if time.Since(pathsAt) < 10*time.Second && paths != nil {
				return paths
			}
			paths = paths[:0]
			for i, ifc := range ifaces {
				p, err := InterfacePath(i, ifc.Name, ifc.Segment)
				if err != nil {
					log.Warn("management: interface addresses", "interface", ifc.Name, "err", err)
					continue
				}
				paths = append(paths, p)
			}
			pathsAt = time.Now()
			return paths
		},
		Seen:     func() []Scope { return SeenScopes(snapshot()) },
		Dropping: dw.dropping,
	}
	if isDemo {
		paths := demoPaths(ifaces)
		env.Sender, env.Paths, env.Dropping = demo, func() []Path { return paths }, nil
	}
	if pipe.Model.Events != nil {
		env.Event = pipe.Model.Events.Add
	}
	m, err := New(s, env)
	if err != nil {
		return nil, func() {}, err
	}
	if m.Master, err = NewMasterChecker(ms, m.Self(), env); err != nil {
		return nil, func() {}, err
	}
	next := pipe.OnFrame
	pipe.OnFrame = func(f *source.Frame, d *decode.Frame, o *state.Observation, ok bool) {
		if next != nil {
			next(f, d, o, ok)
		}
		if ok {
			seg := uint16(0)
			if int(f.Interface) < len(ifaces) {
				seg = ifaces[f.Interface].Segment
			}
			m.HandleFrame(d, seg, f.Timestamp)
			m.Master.Observe(f, d, seg)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() {
		defer func() { done <- struct{}{} }()
		if err := m.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("management sweeps stopped", "err", err)
		}
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		if err := m.Master.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("master check stopped", "err", err)
		}
	}()
	log.Info("management", "enabled", s.Enabled, "interval", s.Interval, "portIdentity", m.Self().String())
	return m, func() { cancel(); <-done; <-done }, nil
}

// MasterConfigKeys lists the [master_check] keys.
func MasterConfigKeys() []ConfigKey {
	return []ConfigKey{
		{"interval", "0", "Seconds between ptpwatch's own Delay_Req to each master, 0-65535; 0 (the default) turns the master check off. Never faster than the master's logMinDelayReqInterval; live capture only."},
		{"mode", `"unicast"`, "unicast (to the master's address, as a hybrid follower does) or multicast."},
		{"masters", "[]", `Masters to check, as portIdentities "xxxxxx.xxxx.xxxxxx-N"; empty: every master seen sending Sync.`},
		{"local_ptp4l", `"/var/run/ptp4l"`, "Management socket of a ptp4l on this host, asked (GET only) for its state beside the adjtimex status master offsets are relative to; empty: do not ask. chronyc tracking is read too when chronyc is installed."},
		{"local_ptp4l_domain", "0", "domainNumber of that ptp4l, 0-255."},
	}
}

// ConfigKey documents one key of the [management] section for the
// configuration's -O and -e.
type ConfigKey struct {
	Key, Default, Doc string
}

// ConfigKeys lists the [management] keys with their defaults as TOML
// literals (equal to Defaults()).
func ConfigKeys() []ConfigKey {
	ids := "["
	for i, id := range DefaultIDs {
		if i > 0 {
			ids += ", "
		}
		ids += `"` + id + `"`
	}
	ids += "]"
	return []ConfigKey{
		{"enabled", "false", "Send management sweeps periodically (PTP management GETs to every clock, rate-limited). Off by default: ptpwatch only listens. On-demand sweeps (POST /api/v1/management/sweep) work either way; live capture only."},
		{"interval", "30", "Seconds between sweeps, 5-86400."},
		{"domains", `""`, `Domains to sweep, numbers and ranges such as "0,1-5,127"; empty: the domains seen on the wire.`},
		{"transport", `"any"`, "any, l2, udpv4 or udpv6; any asks over the transports seen in each domain (UDPv4 when none is)."},
		{"version", `"any"`, "any, v1 or v2: which PTP versions to ask. PTPv1 (IEEE 1588-2002) subdomains seen on the wire are asked over UDPv4, each at its group (_DFLT 224.0.1.129, _ALT1-3 .130-.132, other names by their CRC-32 as 1588-2002 Annex C)."},
		{"follow_ups", `"unicast"`, "Follow-up queries to each clock found: unicast to its address (default) or multicast with the clock as target."},
		{"ids", ids, "Management IDs asked of each clock after discovery; port-scoped ones are asked per port."},
		{"boundary_hops", "1", "startingBoundaryHops of every request, 1-64."},
		{"ttl", "1", "IPv4 TTL and IPv6 hop limit of multicast requests, 1-64."},
		{"ipv6_scope", "14", "Scope of the IPv6 group ff0X::181: 2 link-local, 5 site, 8 organisation, 14 global."},
		{"rate", "10", "Most frames per second sent on one segment, 1-1000."},
		{"global_rate", "50", "Most frames per second sent on all segments together, 1-10000."},
		{"retries", "2", "Times an unanswered request is sent again, 0-5; each wait doubles."},
		{"timeout_ms", "1000", "Milliseconds the first attempt waits for an answer, 100-10000."},
		{"collect_ms", "1500", "Milliseconds discovery collects replies, 1000-30000."},
		{"reply_cap", "1000", "Most replies one multicast query takes into account, 1-100000."},
		{"node_limit", "2000", "Most nodes tracked, 1-100000."},
		{"keep_partial_online", "false", "Show a node that answers some but not all IDs as online rather than partial."},
		{"drop_after_days", "30", "Forget a node that has not answered for this many days, 1-3650."},
		{"port_identity", `""`, `ptpwatch's own sourcePortIdentity ("xxxxxx.xxxx.xxxxxx-N"); empty derives one from the interface MAC that no clock can have.`},
	}
}
