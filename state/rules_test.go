package state

import (
	"slices"
	"strings"
	"testing"

	"github.com/ptpwatch/ptpwatch/decode"
)

// The tests in this file check the model's rules one at a time: each case
// plays a few seconds of one pattern of traffic and compares what the model
// concludes (a device's roles, a port's state, the hierarchy and how each of
// its links was found) with what the rule says.

// Messages the rule tests send, one call each.

func (n *testNet) sync(p decode.PortIdentity, domain uint8) {
	n.send(p, domain, decode.Message{Header: decode.Header{MessageType: decode.Sync}})
}

func (n *testNet) delayReq(f decode.PortIdentity, domain uint8) {
	n.send(f, domain, decode.Message{Header: decode.Header{MessageType: decode.DelayReq, LogMessageInterval: 0x7f}})
}

// delayResp answers f's last Delay_Req from m.
func (n *testNet) delayResp(m, f decode.PortIdentity, domain uint8) {
	n.send(m, domain, decode.Message{Header: decode.Header{MessageType: decode.DelayResp,
		Sequence: n.seq[seqKey{f, decode.DelayReq}] - 1}, RequestingPort: f})
}

// follow sends f's Delay_Req and m's Delay_Resp to it.
func (n *testNet) follow(f, m decode.PortIdentity, domain uint8) {
	n.delayReq(f, domain)
	n.delayResp(m, f, domain)
}

func (n *testNet) pdelay(p, peer decode.PortIdentity, domain uint8) {
	n.send(p, domain, decode.Message{Header: decode.Header{MessageType: decode.PdelayReq}})
	n.send(peer, domain, decode.Message{Header: decode.Header{MessageType: decode.PdelayResp}, RequestingPort: p})
}

func (n *testNet) management(p decode.PortIdentity, domain uint8, action decode.ManagementAction, id decode.ManagementID, data []byte) {
	n.send(p, domain, decode.Message{Header: decode.Header{MessageType: decode.Management},
		TargetPort: decode.PortIdentity{Clock: decode.AllClocks, Port: decode.AllPorts},
		Management: decode.ManagementHeader{Action: action, TLVType: decode.TLVManagement, ID: id, Data: data}})
}

// v1 sends a PTPv1 message of control c from p in the default subdomain,
// with p's MAC as its UUID, so that p's v2 and v1 instances belong to one
// clock. A Sync names p's own clock as grandmaster; a Delay_Resp answers
// peer.
func (n *testNet) v1(p decode.PortIdentity, c decode.V1Control, peer decode.PortIdentity) {
	n.t.Helper()
	uuid := func(p decode.PortIdentity) [6]byte {
		return [6]byte{p.Clock[0], p.Clock[1], p.Clock[2], p.Clock[5], p.Clock[6], p.Clock[7]}
	}
	var m decode.V1Message
	m.VersionPTP, m.VersionNetwork = decode.V1VersionPTP, decode.V1VersionNetwork
	m.SetSubdomain(decode.V1DefaultSubdomain)
	m.MessageType = decode.V1GeneralMessage
	if c == decode.V1Sync || c == decode.V1DelayReq {
		m.MessageType = decode.V1EventMessage
	}
	m.SourceCommunicationTechnology, m.SourceUUID, m.SourcePortID = 1, uuid(p), p.Port
	k := seqKey{p, decode.MessageType(16 + c)} // apart from the v2 streams
	m.SequenceID = n.seq[k]
	n.seq[k]++
	m.Control = c
	switch c {
	case decode.V1Sync:
		m.Sync = decode.V1SyncBody{GrandmasterClockUUID: uuid(p), GrandmasterPortID: p.Port, GrandmasterClockStratum: 4}
	case decode.V1DelayResp:
		m.DelayResp = decode.V1DelayRespBody{RequestingSourceUUID: uuid(peer), RequestingSourcePortID: peer.Port,
			RequestingSourceSequenceID: n.seq[seqKey{peer, decode.MessageType(16 + decode.V1DelayReq)}] - 1}
	}
	n.apply(p, &m)
}

// play runs traffic for ten seconds, one call of second for each, and
// returns the snapshot.
func (n *testNet) play(second func(n *testNet, s int)) *Snapshot {
	for s := 0; s < 10; s++ {
		second(n, s)
		n.now += 1e9
	}
	return n.snapshot()
}

func (s *Snapshot) device(c decode.ClockIdentity) *Device {
	for i := range s.Devices {
		if s.Devices[i].ClockIdentity == c.String() {
			return &s.Devices[i]
		}
	}
	return nil
}

func (s *Snapshot) instance(scope string, p decode.PortIdentity) *Instance {
	for i := range s.Instances {
		if s.Instances[i].PortIdentity == p.String() && strings.Contains(s.Instances[i].Scope, scope) {
			return &s.Instances[i]
		}
	}
	return nil
}

const (
	v2Domain0 = "v2 domain 0 "
	v2Domain1 = "v2 domain 1 "
	v1Default = "v1 subdomain _DFLT"
)

// lead sends p's Announce (for grandmaster gm, stepsRemoved steps, clockClass
// class) and a Sync.
func (n *testNet) lead(p decode.PortIdentity, domain uint8, gm decode.ClockIdentity, steps uint16, class uint8) {
	n.announce(p, domain, gm, steps, class)
	n.sync(p, domain)
}

// gmSecond is a grandmaster's second in domain 0; most cases add the device
// under test around one.
func gmSecond(n *testNet, gm decode.PortIdentity) { n.lead(gm, 0, gm.Clock, 0, 6) }

// roleCase is one case of TestRoleRules.
type roleCase struct {
	name   string
	second func(n *testNet, s int)
	device decode.ClockIdentity
	roles  []string
	// evidence is a phrase the first role's evidence must hold.
	evidence string
	// states are port states the model must infer or report, keyed
	// "scope|port" with the names TestRoleRules gives.
	states map[string]PortState
}

func TestRoleRules(t *testing.T) {
	gm, a, b, c := port(1), port(2), port(3), port(4)
	a2 := decode.PortIdentity{Clock: a.Clock, Port: 2}
	portDataSet := func(p decode.PortIdentity, st decode.PortState) []byte {
		return (&decode.MgmtPortDataSet{PortIdentity: p, PortState: st, VersionNumber: 2}).AppendTo(nil)
	}
	// follower is a case of b following gm, found by the traffic b adds to
	// gm's.
	follower := func(name, evidence string, traffic func(n *testNet)) roleCase {
		return roleCase{name: name, second: func(n *testNet, _ int) { gmSecond(n, gm); traffic(n) },
			device: b.Clock, roles: []string{"ordinary clock (follower)"}, evidence: evidence,
			states: map[string]PortState{v2Domain0 + "|b": StateSlave}}
	}
	cases := []roleCase{{
		name:   "grandmaster: Announce with stepsRemoved 0 naming itself",
		second: func(n *testNet, s int) { gmSecond(n, gm) },
		device: gm.Clock, roles: []string{"grandmaster"}, evidence: "stepsRemoved 0",
		states: map[string]PortState{v2Domain0 + "|gm": StateMaster},
	}, {
		name: "boundary clock: relays a grandmaster's Announce",
		second: func(n *testNet, s int) {
			gmSecond(n, gm)
			n.lead(a, 0, gm.Clock, 1, 6)
		},
		device: a.Clock, roles: []string{"boundary clock"}, evidence: "stepsRemoved ≥ 1",
	}, {
		name: "boundary clock: follows in one domain and leads in another",
		second: func(n *testNet, s int) {
			gmSecond(n, gm)
			n.follow(a, gm, 0)
			n.sync(a2, 1)
			n.follow(b, a2, 1)
		},
		device: a.Clock, roles: []string{"boundary clock"}, evidence: "Delay_Req",
		states: map[string]PortState{v2Domain0 + "|a": StateSlave, v2Domain1 + "|a2": StateMaster},
	}, {
		name: "ordinary clock (leader): Sync and Delay_Resp without Announce",
		second: func(n *testNet, s int) {
			n.sync(a, 0)
			n.follow(b, a, 0)
		},
		device: a.Clock, roles: []string{"ordinary clock (leader)"}, evidence: "sends Sync",
		states: map[string]PortState{v2Domain0 + "|a": StateMaster},
	},
		follower("ordinary clock (follower): Delay_Req answered", "sends Delay_Req",
			func(n *testNet) { n.follow(b, gm, 0) }),
		follower("follower with no Delay_Resp: Delay_Req alone makes it a follower", "sends Delay_Req",
			func(n *testNet) { n.delayReq(b, 0) }),
		follower("follower seen only as the requester named in a Delay_Resp", "named as requester",
			func(n *testNet) {
				n.send(gm, 0, decode.Message{Header: decode.Header{MessageType: decode.DelayResp}, RequestingPort: b})
			}),
		follower("follower by its PORT_DATA_SET: reported SLAVE, silent otherwise", "reported by PORT_DATA_SET",
			func(n *testNet) {
				n.management(b, 0, decode.ActionResponse, decode.MgmtIDPortDataSet, portDataSet(b, decode.PortStateSlave))
			}),
		{
			name: "backup grandmaster: announced itself, fell silent, now follows",
			second: func(n *testNet, s int) {
				gmSecond(n, gm)
				if s < 2 {
					n.announce(a, 0, a.Clock, 0, 7)
					return
				}
				if s >= 6 { // past the announce receipt timeout: PASSIVE, then follows
					n.follow(a, gm, 0)
				}
			},
			device: a.Clock, roles: []string{"grandmaster", "ordinary clock (follower)"}, evidence: "stepsRemoved 0",
			states: map[string]PortState{v2Domain0 + "|a": StateSlave},
		}, {
			name: "a master that falls silent with no better one about, then sends Delay_Req, follows",
			second: func(n *testNet, s int) {
				n.sync(b, 0) // a leader without Announce
				if s < 2 {
					n.announce(a, 0, a.Clock, 0, 6)
					return
				}
				if s >= 6 {
					n.follow(a, b, 0)
				}
			},
			device: a.Clock, roles: []string{"grandmaster", "ordinary clock (follower)"}, evidence: "stepsRemoved 0",
			states: map[string]PortState{v2Domain0 + "|a": StateSlave},
		}, {
			name: "transparent clock (peer-to-peer): two ports that only measure peer delay",
			second: func(n *testNet, s int) {
				n.pdelay(a, b, 0)
				n.pdelay(a2, c, 0)
			},
			device: a.Clock, roles: []string{"transparent clock (peer-to-peer)"}, evidence: "peer-delay",
		}, {
			name:   "follower in a peer-to-peer domain: one port, only peer delay",
			second: func(n *testNet, s int) { n.pdelay(b, a, 0) },
			device: b.Clock, roles: []string{roleP2PFollower}, evidence: "peer-delay",
			states: map[string]PortState{v2Domain0 + "|b": StateSlave},
		}, {
			name: "management node: sends GET",
			second: func(n *testNet, s int) {
				gmSecond(n, gm)
				n.management(c, 0, decode.ActionGet, decode.MgmtIDPortDataSet, nil)
			},
			device: c.Clock, roles: []string{"management node"}, evidence: "GET/SET/COMMAND",
		}, {
			name: "management node beside another role: a follower that also queries",
			second: func(n *testNet, s int) {
				gmSecond(n, gm)
				n.follow(b, gm, 0)
				n.management(b, 0, decode.ActionGet, decode.MgmtIDParentDataSet, nil)
			},
			device: b.Clock, roles: []string{"ordinary clock (follower)", "management node"}, evidence: "Delay_Req",
		}, {
			name: "two masters in one domain: both announce themselves",
			second: func(n *testNet, s int) {
				gmSecond(n, gm)
				n.lead(a, 0, a.Clock, 0, 7)
			},
			device: a.Clock, roles: []string{"grandmaster"}, evidence: "stepsRemoved 0",
			states: map[string]PortState{v2Domain0 + "|a": StateMaster, v2Domain0 + "|gm": StateMaster},
		}, {
			name: "v1 and v2 instance on one port: a v1 master that follows in v2 is one device",
			second: func(n *testNet, s int) {
				gmSecond(n, gm)
				n.follow(a, gm, 0)
				n.v1(a, decode.V1Sync, decode.PortIdentity{})
			},
			device: a.Clock, roles: []string{"grandmaster", "ordinary clock (follower)"}, evidence: v1Default,
			states: map[string]PortState{v2Domain0 + "|a": StateSlave, v1Default + "|a": StateMaster},
		}}
	names := map[string]decode.PortIdentity{"gm": gm, "a": a, "a2": a2, "b": b, "c": c}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestNet(t).play(tc.second)
			d := s.device(tc.device)
			if d == nil {
				t.Fatalf("no device %s among %d", tc.device, len(s.Devices))
			}
			var got []string
			for _, r := range d.Roles {
				got = append(got, r.Role)
			}
			if !slices.Equal(got, tc.roles) {
				t.Errorf("roles %q, want %q", got, tc.roles)
			}
			if len(d.Roles) > 0 && !strings.Contains(strings.Join(d.Roles[0].Evidence, "; "), tc.evidence) {
				t.Errorf("evidence for %s %q, want it to mention %q", d.Roles[0].Role, d.Roles[0].Evidence, tc.evidence)
			}
			for where, want := range tc.states {
				scope, name, _ := strings.Cut(where, "|")
				in := s.instance(scope, names[name])
				if in == nil {
					t.Errorf("no instance of %s in %q", name, scope)
				} else if in.PortState != want {
					t.Errorf("%s in %s: state %v, want %v", name, in.Scope, in.PortState, want)
				}
			}
		})
	}
}

// TestOneDevicePerClock checks that a clock's v1 and v2 instances on the
// same port make one device with one port and both instances.
func TestOneDevicePerClock(t *testing.T) {
	a, b := port(2), port(3)
	s := newTestNet(t).play(func(n *testNet, _ int) {
		n.v1(a, decode.V1Sync, decode.PortIdentity{})
		n.v1(b, decode.V1DelayReq, decode.PortIdentity{})
		n.v1(a, decode.V1DelayResp, b)
		n.announce(a, 0, a.Clock, 0, 6)
	})
	d := s.device(a.Clock)
	if d == nil || len(d.Instances) != 2 || !slices.Equal(d.Ports, []uint16{1}) {
		t.Fatalf("device %+v, want one port and two instances", d)
	}
	if len(s.Scopes) != 2 {
		t.Errorf("%d scopes, want v1 and v2", len(s.Scopes))
	}
	if in := s.instance(v1Default, b); in == nil || in.PortState != StateSlave || in.Parent != a.String() {
		t.Errorf("v1 follower %+v: want SLAVE with parent %s", in, a)
	}
}

// render draws a hierarchy as indented lines "role port link", naming ports
// by the short names of names.
func render(nodes []TreeNode, names map[decode.PortIdentity]string) string {
	short := map[string]string{}
	for p, n := range names {
		short[p.String()] = n
	}
	var b strings.Builder
	var walk func(ns []TreeNode, depth int)
	walk = func(ns []TreeNode, depth int) {
		for _, n := range ns {
			b.WriteString(strings.Repeat("  ", depth) + n.Role + " " + short[n.PortIdentity])
			if n.Link != "" {
				b.WriteString(" " + string(n.Link))
			}
			b.WriteByte('\n')
			walk(n.Children, depth+1)
		}
	}
	walk(nodes, 0)
	return b.String()
}

func TestHierarchyRules(t *testing.T) {
	gm, a, b, f := port(1), port(2), port(3), port(4)
	a2 := decode.PortIdentity{Clock: a.Clock, Port: 2}
	names := map[decode.PortIdentity]string{gm: "gm", a: "a", a2: "a2", b: "b", f: "f"}
	reportsSlave := func(n *testNet) {
		ds := decode.MgmtPortDataSet{PortIdentity: f, PortState: decode.PortStateSlave}
		n.management(f, 0, decode.ActionResponse, decode.MgmtIDPortDataSet, ds.AppendTo(nil))
	}
	boundary := func(n *testNet) {
		n.follow(a, gm, 0)
		n.lead(a2, 1, gm.Clock, 1, 6)
		n.follow(f, a2, 1)
		n.delayReq(b, 1) // unanswered
	}
	v1Master := func(n *testNet) {
		n.follow(a, gm, 0)
		n.v1(a, decode.V1Sync, decode.PortIdentity{})
		n.v1(f, decode.V1DelayReq, decode.PortIdentity{})
		n.v1(a, decode.V1DelayResp, f)
	}
	cases := []struct {
		name string
		gm   bool // gm leads domain 0 as well
		add  func(n *testNet)
		want string
	}{
		{"measured: the grandmaster answers the follower's Delay_Req", true,
			func(n *testNet) { n.follow(f, gm, 0) }, "grandmaster gm\n  follower f measured\n"},
		{"inferred: a follower whose Delay_Req gets no Delay_Resp", true,
			func(n *testNet) { n.delayReq(f, 0) }, "grandmaster gm\n  follower f inferred\n"},
		{"inferred: a follower known only from its PORT_DATA_SET", true,
			reportsSlave, "grandmaster gm\n  follower f inferred\n"},
		{"boundary clock: its master port's tree hangs beneath its slave port", true, boundary,
			"grandmaster gm\n  boundary clock a measured\n    boundary clock master port a2 measured\n" +
				"      follower b inferred\n      follower f measured\n"},
		{"master whose grandmaster is not seen stands alone", false,
			func(n *testNet) { n.lead(a, 0, gm.Clock, 1, 6); n.follow(f, a, 0) },
			"master (grandmaster not seen) a\n  follower f measured\n"},
		{"two masters: the better one is the root; the other's follower links by inference", true,
			func(n *testNet) { n.lead(a, 0, a.Clock, 0, 7); n.follow(f, a, 0) },
			"grandmaster gm\n  follower f inferred\n"},
		// A v1 Sync names its sender's grandmaster: with a stratum of its
		// own and stepsRemoved 0, the v1 instance is a grandmaster, so its
		// tree stands beside the v2 one instead of beneath the v2 follower.
		{"v1 and v2 on one port: a v2 follower that is a v1 grandmaster roots its own tree", true, v1Master,
			"grandmaster a\n  follower f measured\ngrandmaster gm\n  follower a measured\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestNet(t).play(func(n *testNet, _ int) {
				if tc.gm {
					gmSecond(n, gm)
				}
				tc.add(n)
			})
			if got := render(s.Hierarchy, names); got != tc.want {
				t.Errorf("hierarchy:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestTwoMastersElectTheBetter checks the scope's grandmaster when two
// clocks announce themselves at once, and that the worse one yields
// (PASSIVE) once it stops announcing while the better one goes on.
func TestTwoMastersElectTheBetter(t *testing.T) {
	gm, a := port(1), port(2)
	n := newTestNet(t)
	s := n.play(func(n *testNet, s int) {
		gmSecond(n, gm)
		if s < 5 {
			n.announce(a, 0, a.Clock, 0, 7)
		}
	})
	if len(s.Scopes) != 1 || s.Scopes[0].Grandmaster == nil || s.Scopes[0].Grandmaster.GrandmasterIdentity != gm.Clock.String() {
		t.Fatalf("scope grandmaster %+v, want %s", s.Scopes[0].Grandmaster, gm.Clock)
	}
	if in := s.instance(v2Domain0, a); in == nil || in.PortState != StatePassive || !in.Silent {
		t.Errorf("worse master %+v: want PASSIVE and silent", in)
	}
	if got := n.events(GrandmasterChanged); len(got) != 0 {
		t.Errorf("Grandmaster Changed %+v: the better clock held the scope throughout", got)
	}
	if got := n.events(MasterSilent); len(got) != 0 {
		t.Errorf("Master Silent %+v: yielding to a better master is not silence", got)
	}
}

// roleExpiryCase is one case of TestRoleExpiry.
type roleExpiryCase struct {
	name    string
	seconds int
	second  func(n *testNet, s int)
	device  decode.ClockIdentity
	roles   []string // now
	history []string // roles of RoleHistory, oldest first
}

// TestRoleExpiry checks that roles describe the present: evidence that
// stopped more than the role window ago no longer makes a role, and the
// role moves to the device's history with its time range.
func TestRoleExpiry(t *testing.T) {
	gm, a, b, c := port(1), port(2), port(3), port(4)
	a2 := decode.PortIdentity{Clock: a.Clock, Port: 2}
	cases := []roleExpiryCase{{
		name:    "a boundary clock that announced itself grandmaster for two seconds is a boundary clock again",
		seconds: 60,
		second: func(n *testNet, s int) {
			gmSecond(n, gm)
			n.follow(a, gm, 0)
			if s >= 10 && s < 12 { // failover: its master port announces itself
				n.lead(a2, 1, a.Clock, 0, 248)
			} else {
				n.lead(a2, 1, gm.Clock, 1, 6)
			}
		},
		device: a.Clock, roles: []string{"boundary clock"},
		history: []string{"boundary clock", "grandmaster", "ordinary clock (follower)"},
	}, {
		name:    "a grandmaster that stopped holds no role; it was grandmaster",
		seconds: 40,
		second: func(n *testNet, s int) {
			if s < 10 {
				gmSecond(n, gm)
			}
		},
		device: gm.Clock, roles: nil, history: []string{"grandmaster"},
	}, {
		name:    "still grandmaster within the window after its last Announce",
		seconds: 25,
		second: func(n *testNet, s int) {
			if s < 10 {
				gmSecond(n, gm)
			}
		},
		device: gm.Clock, roles: []string{"grandmaster"}, history: nil,
	}, {
		name:    "a backup grandmaster that has followed for a minute is a follower",
		seconds: 80,
		second: func(n *testNet, s int) {
			gmSecond(n, gm)
			if s < 2 {
				n.announce(a, 0, a.Clock, 0, 7)
				return
			}
			if s >= 6 {
				n.follow(a, gm, 0)
			}
		},
		device: a.Clock, roles: []string{"ordinary clock (follower)"}, history: []string{"grandmaster"},
	}, {
		name:    "a management node polling every 16 s stays one between its queries",
		seconds: 90,
		second: func(n *testNet, s int) {
			gmSecond(n, gm)
			if s%16 == 0 {
				n.management(c, 0, decode.ActionGet, decode.MgmtIDPortDataSet, nil)
			}
		},
		device: c.Clock, roles: []string{"management node"}, history: nil,
	}, {
		name:    "a follower that stopped is no longer a follower",
		seconds: 40,
		second: func(n *testNet, s int) {
			gmSecond(n, gm)
			if s < 10 {
				n.follow(b, gm, 0)
			}
		},
		device: b.Clock, roles: nil, history: []string{"ordinary clock (follower)"},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := newTestNet(t)
			start := n.now
			for s := 0; s < tc.seconds; s++ {
				tc.second(n, s)
				n.now += 1e9
			}
			snap := n.snapshot()
			d := snap.device(tc.device)
			if d == nil {
				t.Fatalf("no device %s", tc.device)
			}
			var got, past []string
			for _, r := range d.Roles {
				got = append(got, r.Role)
			}
			for _, h := range d.RoleHistory {
				past = append(past, h.Role)
				if h.From < start || h.From > h.To || h.To > snap.Time {
					t.Errorf("history span %+v out of order or range [%d, %d]", h, start, snap.Time)
				}
			}
			t.Logf("roles %q, history %+v (from %d s)", got, d.RoleHistory, start/1e9)
			if !slices.Equal(got, tc.roles) {
				t.Errorf("roles %q, want %q", got, tc.roles)
			}
			if !slices.Equal(past, tc.history) {
				t.Errorf("history %+v, want roles %q", d.RoleHistory, tc.history)
			}
		})
	}
}
