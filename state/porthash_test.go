package state

import (
	"testing"

	"github.com/ptpwatch/ptpwatch/decode"
)

// TestPortHashCollision makes two ports of one scope whose portHash
// collides and checks that each finds its own instance, before and after
// a third port joins the chain.
func TestPortHashCollision(t *testing.T) {
	m := NewModel(1, nil)
	s := m.Shard(0)
	sc := s.newScope(&Observation{Scope: ScopeKey{Version: 2, VLAN: NoVLAN}, Time: 1})
	a := decode.PortIdentity{Clock: decode.ClockIdentity{0x00, 0x1b, 0x19, 0xff, 0xfe, 0, 0, 1}, Port: 1}
	b := a
	b.Port = 2
	b.Clock[2] ^= 1 ^ 2 // the port's bits land on the clock's third octet
	if portHash(a) != portHash(b) {
		t.Fatalf("the test's ports do not collide: %x %x", portHash(a), portHash(b))
	}
	c := a
	c.Port = 3
	c.Clock[2] ^= 1 ^ 3
	ia, ib := s.instance(sc, a, 1), s.instance(sc, b, 2)
	if ia == ib || ia.key.Port != a || ib.key.Port != b {
		t.Fatalf("colliding ports share or swap instances: %v %v", ia.key.Port, ib.key.Port)
	}
	ic := s.instance(sc, c, 3)
	for _, want := range []struct {
		p  decode.PortIdentity
		in *instanceState
	}{{a, ia}, {b, ib}, {c, ic}} {
		if got := s.instance(sc, want.p, 4); got != want.in {
			t.Errorf("%v found %v", want.p, got.key.Port)
		}
	}
	if len(sc.instances) != 3 {
		t.Errorf("%d instances, want 3", len(sc.instances))
	}
}
