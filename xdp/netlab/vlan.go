//go:build linux

package netlab

import (
	"encoding/binary"
	"fmt"
	"net"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
)

// Offsets in struct __sk_buff (linux/bpf.h).
const (
	skbVLANPresent = 20
	skbVLANTCI     = 24
)

// VLAN makes interface ifname of namespace ns behave as a VLAN
// sub-interface on VLAN vid would, which this kernel cannot build (no
// 802.1Q module, no tc vlan action): a tc program on its egress tags every
// frame with vid, one on its ingress takes the tag off frames of vid and
// drops every other frame, tagged or not. Daemons on ifname then see only
// VLAN vid, and everything they send leaves tagged. The programs go when
// the test ends.
func (l *Lab) VLAN(ns, ifname string, vid uint16) {
	l.t.Helper()
	if vid == 0 || vid > 4094 {
		l.t.Fatalf("netlab: VLAN ID %d out of 1-4094", vid)
	}
	// bpf_skb_vlan_push takes the TPID in network order.
	tpid := int32(binary.NativeEndian.Uint16([]byte{0x81, 0x00}))
	ingress := asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1),
		asm.LoadMem(asm.R0, asm.R6, skbVLANPresent, asm.Word),
		asm.JEq.Imm(asm.R0, 0, "drop"),
		asm.LoadMem(asm.R0, asm.R6, skbVLANTCI, asm.Word),
		asm.And.Imm(asm.R0, 0x0fff),
		asm.JNE.Imm(asm.R0, int32(vid), "drop"),
		asm.Mov.Reg(asm.R1, asm.R6),
		asm.FnSkbVlanPop.Call(),
		asm.Mov.Imm(asm.R0, 0), // TCX_PASS
		asm.Return(),
		asm.Mov.Imm(asm.R0, 2).WithSymbol("drop"), // TCX_DROP
		asm.Return(),
	}
	egress := asm.Instructions{
		asm.Mov.Imm(asm.R2, tpid),
		asm.Mov.Imm(asm.R3, int32(vid)),
		asm.FnSkbVlanPush.Call(),
		asm.Mov.Imm(asm.R0, 0),
		asm.Return(),
	}
	err := InNetns(ns, func() error {
		ifc, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		for _, p := range []struct {
			name   string
			insns  asm.Instructions
			attach ebpf.AttachType
		}{{"vlan_pop", ingress, ebpf.AttachTCXIngress}, {"vlan_push", egress, ebpf.AttachTCXEgress}} {
			prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Name: p.name, Type: ebpf.SchedCLS, Instructions: p.insns, License: "GPL"})
			if err != nil {
				return fmt.Errorf("load %s: %w", p.name, err)
			}
			lk, err := link.AttachTCX(link.TCXOptions{Interface: ifc.Index, Program: prog, Attach: p.attach})
			if err != nil {
				prog.Close()
				return fmt.Errorf("attach %s to %s: %w", p.name, ifname, err)
			}
			l.t.Cleanup(func() { lk.Close(); prog.Close() })
		}
		return nil
	})
	if err != nil {
		l.t.Fatalf("netlab: VLAN %d on %s in %s: %v", vid, ifname, ns, err)
	}
}
