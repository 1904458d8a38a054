package sim

import (
	"testing"

	"github.com/ptpwatch/ptpwatch/decode"
)

// TestDemoTruth checks the demo's ground truth before anything happens.
func TestDemoTruth(t *testing.T) {
	n, err := New(quietDemo(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr := n.Truth()
	if tr.At != DefaultStart || len(tr.Incidents) != 0 || len(n.Events()) != 0 {
		t.Fatalf("truth at %d with %d incidents, %d events", tr.At, len(tr.Incidents), len(n.Events()))
	}
	mein := clockInfo(t, tr, "gm-meinberg")
	bc := clockInfo(t, tr, "bc-arista")
	for _, w := range []struct {
		clock  string
		role   Role
		vendor string
		states []PortState
		parent string // clock whose port 1 the first port follows
	}{
		{"gm-meinberg", RoleGrandmaster, "Meinberg Funkuhren", []PortState{PortMaster}, ""},
		{"gm-oregano", RoleGrandmaster, "Oregano Systems", []PortState{PortPassive}, ""},
		{"rogue-host", RoleGrandmaster, "Intel", []PortState{PortDisabled}, ""},
		{"tc-cisco", RoleTransparent, "Cisco Systems", []PortState{PortTransparent}, ""},
		{"bc-arista", RoleBoundary, "Arista Networks", []PortState{PortSlave, PortMaster}, "gm-meinberg"},
		{"srv-04", RoleFollower, "Mellanox (NVIDIA)", []PortState{PortSlave}, "gm-meinberg"},
		{"mx-01", RoleFollower, "Mellanox (NVIDIA)", []PortState{PortSlave}, "bc-arista"},
		{"pmc-monitor", RoleManagement, "Intel", []PortState{PortManagement}, ""},
		{"gm-microchip", RoleGrandmaster, "Symmetricom (Microchip)", []PortState{PortMaster}, ""},
		{"tc-hirschmann", RoleTransparent, "Hirschmann", []PortState{PortTransparent, PortTransparent, PortTransparent, PortTransparent}, ""},
		{"ecu-1", RoleFollower, "Intel", []PortState{PortSlave}, "gm-microchip"},
		{"master-d44", RoleMaster, "Microsemi (Microchip)", []PortState{PortMaster}, ""},
		{"v1-meinberg", RoleGrandmaster, "Meinberg Funkuhren", []PortState{PortMaster}, ""},
		{"plc-1", RoleFollower, "Siemens", []PortState{PortSlave}, "v1-meinberg"},
	} {
		c := clockInfo(t, tr, w.clock)
		if c.Role != w.role || c.Vendor != w.vendor || c.Identity != IdentityFromMAC(c.MAC) || !c.Identity.IsEUI64FromEUI48() {
			t.Errorf("%s: role %s vendor %q identity %v", w.clock, c.Role, c.Vendor, c.Identity)
		}
		if len(c.Ports) != len(w.states) {
			t.Errorf("%s: %d ports, want %d", w.clock, len(c.Ports), len(w.states))
			continue
		}
		for i, p := range c.Ports {
			if p.State != w.states[i] || p.Port.Port != uint16(i+1) || p.Port.Clock != c.Identity {
				t.Errorf("%s port %d: %v %v", w.clock, i+1, p.Port, p.State)
			}
		}
		if w.parent != "" {
			want := decode.PortIdentity{Clock: clockInfo(t, tr, w.parent).Identity, Port: 1}
			if w.parent == "bc-arista" {
				want.Port = 2
			}
			if c.Ports[0].Parent != want {
				t.Errorf("%s follows %v, want %v", w.clock, c.Ports[0].Parent, want)
			}
		}
	}
	if p := bc.Ports[1]; p.Grandmaster != mein.Identity || p.StepsRemoved != 1 {
		t.Errorf("boundary master port announces %v at %d steps", p.Grandmaster, p.StepsRemoved)
	}
	if p := clockInfo(t, tr, "mx-01").Ports[0]; p.Grandmaster != mein.Identity || p.StepsRemoved != 2 {
		t.Errorf("mx-01 follows grandmaster %v at %d steps", p.Grandmaster, p.StepsRemoved)
	}
	if p := clockInfo(t, tr, "srv-05").Ports[0]; p.DelayMode != Hybrid {
		t.Errorf("srv-05 delay mode %q", p.DelayMode)
	}
	if c := clockInfo(t, tr, "plc-1"); c.UUID != c.MAC {
		t.Errorf("plc-1 UUID %x", c.UUID)
	}
	for _, w := range []struct {
		scope     string
		transport decode.Transport
		vlans     int
		gm        string
	}{
		{DemoScopeD0, decode.TransportUDPv4, 0, "gm-meinberg"},
		{DemoScopeVLAN, decode.TransportL2, 1, "gm-meinberg"},
		{DemoScopeGPTP, decode.TransportL2, 0, "gm-microchip"},
		{DemoScopeD44, decode.TransportUDPv6, 0, "master-d44"},
		{DemoScopeV1DFLT, decode.TransportUDPv4, 0, "v1-meinberg"},
	} {
		s, ok := tr.Scope(w.scope)
		if !ok || s.Transport != w.transport || len(s.VLANs) != w.vlans || s.Grandmaster != clockInfo(t, tr, w.gm).Identity {
			t.Errorf("scope %s: %+v", w.scope, s)
		}
	}
	if s, _ := tr.Scope(DemoScopeV1DFLT); s.Version != 1 || s.Subdomain != "_DFLT" {
		t.Errorf("v1 scope %+v", s)
	}
}

func TestPortStateString(t *testing.T) {
	for s, want := range map[PortState]string{PortMaster: "MASTER", PortSlave: "SLAVE", PortPassive: "PASSIVE",
		PortListening: "LISTENING", PortDisabled: "DISABLED", PortState(99): "PortState(99)"} {
		if s.String() != want {
			t.Errorf("%d: %q", s, s.String())
		}
	}
	if EventGrandmasterChanged.String() != "Grandmaster Changed" {
		t.Error(EventGrandmasterChanged.String())
	}
}
