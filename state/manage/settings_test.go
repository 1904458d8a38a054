package manage

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
)

func TestParseDomains(t *testing.T) {
	tests := []struct {
		in   string
		want []uint8
		bad  bool
	}{
		{"", nil, false},
		{"0", []uint8{0}, false},
		{"0,1-5,127", []uint8{0, 1, 2, 3, 4, 5, 127}, false},
		{" 4 , 2-3 ", []uint8{2, 3, 4}, false},
		{"255", []uint8{255}, false},
		{"5-1", nil, true},
		{"256", nil, true},
		{"-1", nil, true},
		{"a", nil, true},
		{"1,,2", nil, true},
	}
	for _, tc := range tests {
		s, err := ParseDomains(tc.in)
		if (err != nil) != tc.bad {
			t.Errorf("ParseDomains(%q): error %v, want error %v", tc.in, err, tc.bad)
			continue
		}
		if got := s.List(); !tc.bad && !equalBytes(got, tc.want) {
			t.Errorf("ParseDomains(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func equalBytes(a, b []uint8) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		change  func(s *Settings)
		key     string // "" means valid
		allowed string
	}{
		{"defaults", func(*Settings) {}, "", ""},
		{"interval low", func(s *Settings) { s.Interval = 4 }, "interval", "5-86400"},
		{"interval high", func(s *Settings) { s.Interval = 86401 }, "interval", "5-86400"},
		{"interval max", func(s *Settings) { s.Interval = 86400 }, "", ""},
		{"hops", func(s *Settings) { s.BoundaryHops = 0 }, "boundary_hops", "1-64"},
		{"hops high", func(s *Settings) { s.BoundaryHops = 65 }, "boundary_hops", "1-64"},
		{"ttl", func(s *Settings) { s.TTL = 65 }, "ttl", "1-64"},
		{"drop", func(s *Settings) { s.DropAfterDays = 3651 }, "drop_after_days", "1-3650"},
		{"rate", func(s *Settings) { s.Rate = 0 }, "rate", "1-1000"},
		{"node limit", func(s *Settings) { s.NodeLimit = 0 }, "node_limit", "1-100000"},
		{"scope", func(s *Settings) { s.IPv6Scope = 3 }, "ipv6_scope", ""},
		{"scope ok", func(s *Settings) { s.IPv6Scope = 5 }, "", ""},
		{"domains", func(s *Settings) { s.Domains = "0,300" }, "domains", ""},
		{"domains ok", func(s *Settings) { s.Domains = "0,1-5,127" }, "", ""},
		{"transport", func(s *Settings) { s.Transport = "udp" }, "transport", ""},
		{"version v1", func(s *Settings) { s.Version = "v1" }, "", ""},
		{"version v3", func(s *Settings) { s.Version = "v3" }, "version", ""},
		{"follow", func(s *Settings) { s.FollowUps = "broadcast" }, "follow_ups", ""},
		{"ids", func(s *Settings) { s.IDs = []string{"PORT_DATA_SET", "NOPE"} }, "ids", ""},
		{"no ids", func(s *Settings) { s.IDs = nil }, "ids", ""},
		{"identity", func(s *Settings) { s.PortIdentity = "zz" }, "port_identity", ""},
		{"identity ok", func(s *Settings) { s.PortIdentity = "001122.7077.334455-1" }, "", ""},
	}
	for _, tc := range tests {
		s := Defaults()
		tc.change(&s)
		err := s.Validate()
		var se *SettingError
		switch {
		case tc.key == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.key != "" && !errors.As(err, &se):
			t.Errorf("%s: error %v, want a *SettingError", tc.name, err)
		case tc.key != "" && (se.Key != tc.key || (tc.allowed != "" && se.Allowed != tc.allowed)):
			t.Errorf("%s: key %q allowed %q, want %q %q (%v)", tc.name, se.Key, se.Allowed, tc.key, tc.allowed, err)
		}
	}
}

func TestLookupID(t *testing.T) {
	for name, want := range map[string]decode.ManagementID{"PARENT_DATA_SET": 0x2002, "parent_data_set": 0x2002,
		"TIME_STATUS_NP": 0xC000, "0x2004": 0x2004, "PORT_SERVICE_STATS_NP": 0xC007} {
		if got, ok := LookupID(name); !ok || got != want {
			t.Errorf("LookupID(%q) = %v, %v; want %v", name, got, ok, want)
		}
	}
	if _, ok := LookupID("NOT_AN_ID"); ok {
		t.Error("LookupID accepted NOT_AN_ID")
	}
}

func TestSelfIdentity(t *testing.T) {
	p := SelfIdentity([6]byte{0x00, 0x1b, 0x21, 0x12, 0x34, 0x56})
	if p.Clock.IsEUI64FromEUI48() || p.String() != "001b21.7077.123456-1" {
		t.Errorf("SelfIdentity = %v", p)
	}
	q, err := ParsePortIdentity(p.String())
	if err != nil || q != p {
		t.Errorf("ParsePortIdentity(%v) = %v, %v", p, q, err)
	}
}

// TestAppendRequest builds a request per transport and checks what
// decodes from it.
func TestAppendRequest(t *testing.T) {
	self := SelfIdentity([6]byte{2, 0, 0, 0, 0, 1})
	path := simPath()
	target := decode.PortIdentity{Clock: clockN(7), Port: 1}
	tests := []struct {
		name   string
		req    Request
		dstIP  string
		dstMAC [6]byte
		vlan   int
	}{
		{"udpv4 multicast", Request{Transport: decode.TransportUDPv4, VLAN: NoVLAN, HopLimit: 3}, "224.0.1.129", [6]byte{1, 0, 0x5e, 0, 1, 0x81}, -1},
		{"udpv4 unicast", Request{Transport: decode.TransportUDPv4, VLAN: NoVLAN, DstIP: netip.MustParseAddr("10.9.0.7"), DstMAC: [6]byte{2, 1, 2, 3, 4, 5}}, "10.9.0.7", [6]byte{2, 1, 2, 3, 4, 5}, -1},
		{"udpv6 site", Request{Transport: decode.TransportUDPv6, VLAN: NoVLAN, IPv6Scope: 5}, "ff05::181", [6]byte{0x33, 0x33, 0, 0, 1, 0x81}, -1},
		{"udpv6 global", Request{Transport: decode.TransportUDPv6, VLAN: NoVLAN}, "ff0e::181", [6]byte{0x33, 0x33, 0, 0, 1, 0x81}, -1},
		{"l2 vlan", Request{Transport: decode.TransportL2, VLAN: 42}, "", decode.MACPrimary, 42},
	}
	for _, tc := range tests {
		r := tc.req
		r.Domain, r.Target, r.Action, r.ID, r.Sequence, r.BoundaryHops = 5, target, decode.ActionGet, decode.MgmtIDParentDataSet, 77, 2
		b, err := AppendRequest(nil, &path, self, &r)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var f decode.Frame
		if res := f.Decode(decode.LinkEthernet, b); res != decode.ResultOK {
			t.Fatalf("%s: decodes as %v %v", tc.name, res, f.Reason)
		}
		m := &f.PTP
		if m.MessageType != decode.Management || m.Domain != 5 || m.Source != self || m.TargetPort != target || m.Sequence != 77 ||
			m.Management.Action != decode.ActionGet || m.Management.ID != decode.MgmtIDParentDataSet || m.Management.StartingBoundaryHops != 2 {
			t.Errorf("%s: message %+v", tc.name, m)
		}
		if len(m.Management.Data) != 32 {
			t.Errorf("%s: GET data field %d octets, want PARENT_DATA_SET zero-filled (32)", tc.name, len(m.Management.Data))
		}
		if f.Dst != tc.dstMAC {
			t.Errorf("%s: dst MAC %x, want %x", tc.name, f.Dst, tc.dstMAC)
		}
		if tc.dstIP != "" {
			if f.DstIP.String() != tc.dstIP || f.SrcPort != 320 || f.DstPort != 320 {
				t.Errorf("%s: to %v:%d from port %d, want %s:320 from 320", tc.name, f.DstIP, f.DstPort, f.SrcPort, tc.dstIP)
			}
		}
		if tc.req.HopLimit != 0 && f.HopLimit != tc.req.HopLimit {
			t.Errorf("%s: hop limit %d", tc.name, f.HopLimit)
		}
		if (m.Flags&decode.FlagUnicast != 0) == tc.req.Multicast() {
			t.Errorf("%s: unicast flag %v", tc.name, m.Flags)
		}
		if tc.vlan >= 0 && (f.NumVLANs != 1 || int(f.VLANs[0].VID) != tc.vlan) {
			t.Errorf("%s: VLAN tags %d %v", tc.name, f.NumVLANs, f.VLANs[0])
		}
	}
	noV6 := path
	noV6.IPv6 = netip.Addr{}
	_, err := AppendRequest(nil, &noV6, self, &Request{Transport: decode.TransportUDPv6, VLAN: NoVLAN})
	if !errors.Is(err, ErrNoSourceAddress) {
		t.Errorf("UDPv6 without an address: %v", err)
	}
}

// TestPlan: the plan counts one discovery frame per scope and the
// follow-ups to the nodes known from the last sweep.
func TestPlan(t *testing.T) {
	r := &Responder{Clock: clockN(1), NumberPorts: 2, States: []decode.PortState{decode.PortStateMaster, decode.PortStatePassive}}
	s := Defaults()
	s.Domains, s.IDs, s.CollectMs = "0,3", []string{"PARENT_DATA_SET", "PORT_DATA_SET"}, 1000
	_, m, ctx := startSim(t, s, []*Responder{r})
	p := m.Plan()
	if p.Frames != 2 || len(p.Scopes) != 2 || p.PerDomain["3"] != 1 {
		t.Fatalf("plan before any sweep: %+v", p)
	}
	m.Sweep(ctx)
	p = m.Plan()
	// Domain 0: discovery + PARENT_DATA_SET + PORT_DATA_SET for 2 ports.
	if p.PerDomain["0"] != 4 || p.Frames != 5 || p.MaxFrames != 1+3*3+1 || p.PerSecond != 10 {
		t.Errorf("plan after a sweep: %+v", p)
	}
	if p.Seconds < 1.4 {
		t.Errorf("plan says %v s", p.Seconds)
	}
	_ = time.Second
}
