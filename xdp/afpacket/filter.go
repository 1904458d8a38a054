package afpacket

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// Filter limits. Deeper stacks are rejected by the kernel filter; the XDP
// path (bpf/) has the same VLAN limit.
const (
	filterMaxVLANs = 4 // VLAN tags walked (0x8100, 0x88A8, 0x9100)
	filterMaxExt   = 3 // IPv6 extension headers walked (hop-by-hop, routing, fragment, destination options)
)

// PTPFilter returns the classic BPF program Open attaches: it accepts, with
// the given snap length, Ethernet frames carrying PTP (EtherType 0x88F7), or
// UDP from or to port 319 or 320 over IPv4 (any header length; not later
// fragments) or IPv6 (after up to three hop-by-hop, routing, first-fragment
// or destination-options headers), or an ICMP or ICMPv6 destination
// unreachable quoting such UDP (a refused unicast PTP message, for the
// fault detectors), behind up to four VLAN tags, and rejects everything
// else.
//
// The kernel strips a frame's outer 802.1Q/802.1ad tag before a packet
// socket's filter runs; the program classifies whatever tags remain, so a
// stripped frame is judged by its inner layers like any other (a received
// frame may so carry five tags when the first was stripped). It uses no
// ancillary loads and so runs unchanged in golang.org/x/net/bpf's VM.
func PTPFilter(snaplen uint32) []bpf.Instruction {
	a := &asm{labels: map[string]int{}}

	// X holds the offset of the EtherType (or TPID) being looked at.
	a.op(bpf.LoadConstant{Dst: bpf.RegX, Val: 12})
	for i := 0; i < filterMaxVLANs; i++ {
		tag := fmt.Sprintf("tag%d", i)
		a.op(bpf.LoadIndirect{Off: 0, Size: 2})
		a.jeq(0x8100, tag, "")
		a.jeq(0x88A8, tag, "")
		a.jeq(0x9100, tag, "")
		a.ja("ethertype")
		a.label(tag)
		a.op(bpf.TXA{})
		a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 4})
		a.op(bpf.TAX{})
	}
	a.op(bpf.LoadIndirect{Off: 0, Size: 2})

	a.label("ethertype")
	a.jeq(0x88F7, "accept", "")
	a.jeq(0x0800, "ipv4", "")
	a.jeq(0x86DD, "ipv6", "reject")

	// IPv4 starts at X+2. Later fragments carry no UDP or ICMP header.
	a.label("ipv4")
	a.op(bpf.LoadIndirect{Off: 2 + 6, Size: 2}) // flags and fragment offset
	a.jset(0x1fff, "reject", "")
	a.op(bpf.LoadIndirect{Off: 2 + 9, Size: 1}) // protocol
	a.op(bpf.StoreScratch{Src: bpf.RegA, N: 0})
	a.op(bpf.LoadIndirect{Off: 2, Size: 1}) // version and IHL
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x0f})
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 2})
	a.op(bpf.ALUOpX{Op: bpf.ALUOpAdd})
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 2})
	a.op(bpf.TAX{}) // X: the IPv4 payload
	a.op(bpf.LoadScratch{Dst: bpf.RegA, N: 0})
	a.jeq(17, "udp", "")
	a.jeq(1, "", "reject")
	// ICMP destination unreachable (type 3) quoting an IPv4 header (RFC
	// 792: at X+8) of UDP, whose ports are then judged as PTP's.
	a.op(bpf.LoadIndirect{Off: 0, Size: 1})
	a.jeq(3, "", "reject")
	a.op(bpf.LoadIndirect{Off: 8 + 9, Size: 1})
	a.jeq(17, "", "reject")
	a.op(bpf.LoadIndirect{Off: 8, Size: 1})
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xf0})
	a.jeq(0x40, "", "reject")
	a.op(bpf.LoadIndirect{Off: 8, Size: 1})
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x0f})
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 2})
	a.op(bpf.ALUOpX{Op: bpf.ALUOpAdd})
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 8})
	a.op(bpf.TAX{})
	a.ja("udp")

	// IPv6 starts at X+2. From here A holds the type of the header that
	// starts at X; M[0] and M[1] are scratch.
	a.label("ipv6")
	a.op(bpf.LoadIndirect{Off: 2 + 6, Size: 1}) // next header
	a.op(bpf.StoreScratch{Src: bpf.RegA, N: 0})
	a.op(bpf.TXA{})
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 2 + 40})
	a.op(bpf.TAX{})
	a.op(bpf.LoadScratch{Dst: bpf.RegA, N: 0})
	for i := 0; i < filterMaxExt; i++ {
		ext, frag, next := fmt.Sprintf("ext%d", i), fmt.Sprintf("frag%d", i), fmt.Sprintf("hdr%d", i+1)
		a.jeq(17, "udp", "")
		a.jeq(58, "icmp6", "")
		a.jeq(44, frag, "")
		a.jeq(0, ext, "")
		a.jeq(43, ext, "")
		a.jeq(60, ext, "reject")
		// Hop-by-hop, routing, destination options: (length+1)*8 octets.
		a.label(ext)
		a.op(bpf.LoadIndirect{Off: 1, Size: 1})
		a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 1})
		a.op(bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 3})
		a.op(bpf.StoreScratch{Src: bpf.RegA, N: 1})
		a.op(bpf.LoadIndirect{Off: 0, Size: 1})
		a.op(bpf.StoreScratch{Src: bpf.RegA, N: 0})
		a.op(bpf.LoadScratch{Dst: bpf.RegA, N: 1})
		a.op(bpf.ALUOpX{Op: bpf.ALUOpAdd})
		a.op(bpf.TAX{})
		a.op(bpf.LoadScratch{Dst: bpf.RegA, N: 0})
		a.ja(next)
		// Fragment header: eight octets; only a first fragment has UDP.
		a.label(frag)
		a.op(bpf.LoadIndirect{Off: 2, Size: 2})
		a.jset(0xfff8, "reject", "")
		a.op(bpf.LoadIndirect{Off: 0, Size: 1})
		a.op(bpf.StoreScratch{Src: bpf.RegA, N: 0})
		a.op(bpf.TXA{})
		a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 8})
		a.op(bpf.TAX{})
		a.op(bpf.LoadScratch{Dst: bpf.RegA, N: 0})
		a.label(next)
	}
	a.jeq(17, "udp", "")
	a.jeq(58, "", "reject")

	// ICMPv6 destination unreachable (type 1) quoting an IPv6 header (RFC
	// 4443: at X+8) whose next header is UDP, at X+48.
	a.label("icmp6")
	a.op(bpf.LoadIndirect{Off: 0, Size: 1})
	a.jeq(1, "", "reject")
	a.op(bpf.LoadIndirect{Off: 8 + 6, Size: 1})
	a.jeq(17, "", "reject")
	a.op(bpf.TXA{})
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 48})
	a.op(bpf.TAX{})

	// UDP starts at X.
	a.label("udp")
	a.op(bpf.LoadIndirect{Off: 0, Size: 2})
	a.jeq(319, "accept", "")
	a.jeq(320, "accept", "")
	a.op(bpf.LoadIndirect{Off: 2, Size: 2})
	a.jeq(319, "accept", "")
	a.jeq(320, "accept", "reject")

	a.label("reject")
	a.op(bpf.RetConstant{Val: 0})
	a.label("accept")
	a.op(bpf.RetConstant{Val: snaplen})
	return a.resolve()
}

// asm assembles a program with forward jumps to named labels. A jump
// target "" means the next instruction.
type asm struct {
	ins    []bpf.Instruction
	jumps  []jump
	labels map[string]int
}

type jump struct {
	at     int
	tr, fa string
}

func (a *asm) op(i bpf.Instruction) { a.ins = append(a.ins, i) }

func (a *asm) label(name string) {
	if _, dup := a.labels[name]; dup {
		panic("afpacket: duplicate filter label " + name)
	}
	a.labels[name] = len(a.ins)
}

func (a *asm) jeq(v uint32, tr, fa string) {
	a.jumps = append(a.jumps, jump{len(a.ins), tr, fa})
	a.op(bpf.JumpIf{Cond: bpf.JumpEqual, Val: v})
}

func (a *asm) jset(v uint32, tr, fa string) {
	a.jumps = append(a.jumps, jump{len(a.ins), tr, fa})
	a.op(bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: v})
}

func (a *asm) ja(to string) {
	a.jumps = append(a.jumps, jump{len(a.ins), to, ""})
	a.op(bpf.Jump{})
}

// skip returns how many instructions a jump at pc skips to reach label.
func (a *asm) skip(pc int, label string) uint32 {
	if label == "" {
		return 0
	}
	to, ok := a.labels[label]
	if !ok || to <= pc {
		panic("afpacket: filter jump to unknown or earlier label " + label)
	}
	return uint32(to - pc - 1)
}

func (a *asm) resolve() []bpf.Instruction {
	for _, j := range a.jumps {
		switch ins := a.ins[j.at].(type) {
		case bpf.JumpIf:
			t, f := a.skip(j.at, j.tr), a.skip(j.at, j.fa)
			if t > 255 || f > 255 {
				panic("afpacket: filter jump too far")
			}
			ins.SkipTrue, ins.SkipFalse = uint8(t), uint8(f)
			a.ins[j.at] = ins
		case bpf.Jump:
			ins.Skip = a.skip(j.at, j.tr)
			a.ins[j.at] = ins
		}
	}
	return a.ins
}

// assembledFilter returns PTPFilter assembled for the kernel.
func assembledFilter(snaplen uint32) ([]bpf.RawInstruction, error) {
	return bpf.Assemble(PTPFilter(snaplen))
}
