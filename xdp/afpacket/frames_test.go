package afpacket

import (
	"encoding/binary"
	"net/netip"

	"github.com/ptpwatch/ptpwatch/decode"
)

// Test frames, built with decode's encoders.

var (
	testSrcMAC = [6]byte{0x02, 0x00, 0x5e, 0x10, 0x00, 0x01}
	testSrc4   = netip.MustParseAddr("10.77.0.2")
	testSrc6   = netip.MustParseAddr("fd00:77::2")
)

func ptpMsg(mt decode.MessageType, seq uint16) *decode.Message {
	m := &decode.Message{}
	m.MessageType = mt
	m.Version = 2
	m.Domain = 0
	m.Sequence = seq
	m.Source = decode.PortIdentity{Clock: decode.ClockIdentity{0x02, 0x00, 0x5e, 0xff, 0xfe, 0x10, 0x00, 0x01}, Port: 1}
	m.Timestamp = decode.Timestamp{Seconds: 1700000000, Nanoseconds: uint32(seq) * 1000}
	return m
}

func frameOf(e decode.Encapsulation, m *decode.Message) []byte {
	e.SrcMAC = testSrcMAC
	if e.Transport == decode.TransportUDPv4 && !e.SrcIP.IsValid() {
		e.SrcIP = testSrc4
	}
	if e.Transport == decode.TransportUDPv6 && !e.SrcIP.IsValid() {
		e.SrcIP = testSrc6
	}
	return e.AppendFrame(nil, m)
}

func vlans(tpids ...uint16) []decode.VLANTag {
	var v []decode.VLANTag
	for i, t := range tpids {
		v = append(v, decode.VLANTag{TPID: t, VID: uint16(100 + i), PCP: uint8(i + 3)})
	}
	return v
}

// withProto returns an IPv4 frame with its protocol octet replaced.
func withProto(f []byte, vlanTags int, proto byte) []byte {
	f = append([]byte(nil), f...)
	f[14+4*vlanTags+9] = proto
	return f
}

// refusal wraps the IP datagram of frame f (no VLAN tags beyond vl) in an
// ICMP destination unreachable (type typ) for IPv4 or ICMPv6 for IPv6, as a
// host with the port closed answers it.
func refusal(f []byte, vl int, typ byte) []byte {
	hdr, ip := f[:14+4*vl], f[14+4*vl:]
	out := append([]byte(nil), hdr...)
	if ip[0]>>4 == 4 {
		outer := append([]byte(nil), ip[:20]...)
		outer[0], outer[9] = 0x45, 1
		out = append(append(out, outer...), typ, 3, 0, 0, 0, 0, 0, 0)
	} else {
		outer := append([]byte(nil), ip[:40]...)
		outer[6] = 58
		out = append(append(out, outer...), typ, 4, 0, 0, 0, 0, 0, 0)
	}
	return append(out, ip...)
}

func arpFrame() []byte {
	f := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	f = append(f, testSrcMAC[:]...)
	f = binary.BigEndian.AppendUint16(f, 0x0806)
	f = append(f, 0, 1, 8, 0, 6, 4, 0, 1)
	f = append(f, testSrcMAC[:]...)
	f = append(f, 10, 77, 0, 2, 0, 0, 0, 0, 0, 0, 10, 77, 0, 1)
	return f
}

type testFrame struct {
	name string
	data []byte
	ptp  bool
}

// testFrames covers every verdict of the filter.
func testFrames() []testFrame {
	l2 := decode.Encapsulation{Transport: decode.TransportL2}
	v4 := decode.Encapsulation{Transport: decode.TransportUDPv4}
	v6 := decode.Encapsulation{Transport: decode.TransportUDPv6}
	with := func(e decode.Encapsulation, f func(*decode.Encapsulation)) decode.Encapsulation { f(&e); return e }

	udp4 := frameOf(v4, ptpMsg(decode.Sync, 3))
	laterFrag := append([]byte(nil), udp4...)
	binary.BigEndian.PutUint16(laterFrag[14+6:], 0x0010) // fragment offset 16×8
	icmp6HBH := frameOf(with(v6, func(e *decode.Encapsulation) {
		e.IPv6Extensions = []decode.IPv6Extension{{Type: 0, Data: []byte{0, 5, 2, 0, 0, 1, 0}}}
	}), ptpMsg(decode.Sync, 9))
	icmp6HBH[14+40] = 58 // the extension's next header: ICMPv6, not UDP

	return []testFrame{
		{"L2 Sync", frameOf(l2, ptpMsg(decode.Sync, 1)), true},
		{"L2 Announce", frameOf(l2, ptpMsg(decode.Announce, 2)), true},
		{"UDPv4 Sync to 319", udp4, true},
		{"UDPv4 Follow_Up to 320", frameOf(v4, ptpMsg(decode.FollowUp, 3)), true},
		{"UDPv4 from 319", frameOf(with(v4, func(e *decode.Encapsulation) { e.SrcPort, e.DstPort = 319, 40000 }), ptpMsg(decode.DelayReq, 4)), true},
		{"UDPv4 from 320", frameOf(with(v4, func(e *decode.Encapsulation) { e.SrcPort, e.DstPort = 320, 40001 }), ptpMsg(decode.DelayResp, 4)), true},
		{"UDPv4 options", frameOf(with(v4, func(e *decode.Encapsulation) { e.IPv4Options = []byte{0x94, 4, 0, 0, 1, 0, 0, 0} }), ptpMsg(decode.Sync, 5)), true},
		{"UDPv6 Delay_Req", frameOf(v6, ptpMsg(decode.DelayReq, 6)), true},
		{"UDPv6 Follow_Up", frameOf(v6, ptpMsg(decode.FollowUp, 6)), true},
		{"UDPv6 from 320", frameOf(with(v6, func(e *decode.Encapsulation) { e.SrcPort, e.DstPort = 320, 40002 }), ptpMsg(decode.DelayResp, 6)), true},
		{"UDPv6 hop-by-hop", frameOf(with(v6, func(e *decode.Encapsulation) {
			e.IPv6Extensions = []decode.IPv6Extension{{Type: 0, Data: []byte{0, 1, 4, 0, 0, 0, 0}}}
		}), ptpMsg(decode.Sync, 7)), true},
		{"UDPv6 hbh+dstopts+frag", frameOf(with(v6, func(e *decode.Encapsulation) {
			e.IPv6Extensions = []decode.IPv6Extension{
				{Type: 0, Data: []byte{0, 1, 4, 0, 0, 0, 0}},
				{Type: 60, Data: []byte{1, 1, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
				{Type: 44, Data: []byte{0, 0, 0, 0, 0, 0, 1}},
			}
		}), ptpMsg(decode.Sync, 8)), true},
		{"802.1Q L2", frameOf(with(l2, func(e *decode.Encapsulation) { e.VLANs = vlans(0x8100) }), ptpMsg(decode.Sync, 10)), true},
		{"802.1ad L2", frameOf(with(l2, func(e *decode.Encapsulation) { e.VLANs = vlans(0x88A8) }), ptpMsg(decode.Announce, 11)), true},
		{"QinQ UDPv4", frameOf(with(v4, func(e *decode.Encapsulation) { e.VLANs = vlans(0x88A8, 0x8100) }), ptpMsg(decode.Sync, 12)), true},
		{"QinQ UDPv6", frameOf(with(v6, func(e *decode.Encapsulation) { e.VLANs = vlans(0x8100, 0x8100) }), ptpMsg(decode.FollowUp, 13)), true},
		{"0x9100 L2", frameOf(with(l2, func(e *decode.Encapsulation) { e.VLANs = vlans(0x9100) }), ptpMsg(decode.Sync, 14)), true},
		{"4 tags UDPv4", frameOf(with(v4, func(e *decode.Encapsulation) { e.VLANs = vlans(0x88A8, 0x8100, 0x8100, 0x8100) }), ptpMsg(decode.Sync, 15)), true},

		{"5 tags L2", frameOf(with(l2, func(e *decode.Encapsulation) { e.VLANs = vlans(0x8100, 0x8100, 0x8100, 0x8100, 0x8100) }), ptpMsg(decode.Sync, 16)), false},
		{"UDPv4 port 53", frameOf(with(v4, func(e *decode.Encapsulation) { e.SrcPort, e.DstPort = 5353, 53 }), ptpMsg(decode.Sync, 17)), false},
		{"UDPv4 later fragment", laterFrag, false},
		{"TCP to 319", withProto(udp4, 0, 6), false},
		{"UDPv6 port 123", frameOf(with(v6, func(e *decode.Encapsulation) { e.SrcPort, e.DstPort = 123, 123 }), ptpMsg(decode.Sync, 18)), false},
		{"ICMPv6 behind hop-by-hop", icmp6HBH, false},
		{"802.1Q UDPv4 port 53", frameOf(with(v4, func(e *decode.Encapsulation) {
			e.VLANs = vlans(0x8100)
			e.SrcPort, e.DstPort = 5353, 53
		}), ptpMsg(decode.Sync, 19)), false},
		{"ICMP port unreachable quoting a Delay_Req", refusal(frameOf(v4, ptpMsg(decode.DelayReq, 20)), 0, 3), true},
		{"802.1Q ICMP unreachable quoting a Delay_Req", refusal(frameOf(with(v4, func(e *decode.Encapsulation) { e.VLANs = vlans(0x8100) }), ptpMsg(decode.DelayReq, 21)), 1, 3), true},
		{"ICMPv6 port unreachable quoting a Delay_Req", refusal(frameOf(v6, ptpMsg(decode.DelayReq, 22)), 0, 1), true},
		{"ICMP unreachable quoting UDP to port 53", refusal(frameOf(with(v4, func(e *decode.Encapsulation) { e.SrcPort, e.DstPort = 5353, 53 }), ptpMsg(decode.Sync, 23)), 0, 3), false},
		{"ICMP time exceeded quoting a Delay_Req", refusal(frameOf(v4, ptpMsg(decode.DelayReq, 24)), 0, 11), false},
		{"ICMPv6 unreachable quoting UDP to port 123", refusal(frameOf(with(v6, func(e *decode.Encapsulation) { e.SrcPort, e.DstPort = 123, 123 }), ptpMsg(decode.Sync, 25)), 0, 1), false},
		{"ARP", arpFrame(), false},
		{"truncated IPv4", udp4[:14+10], false},
		{"runt", udp4[:13], false},
	}
}

// stripOuter returns f with its outer VLAN tag removed, as the kernel hands
// it to a packet socket's filter.
func stripOuter(f []byte) []byte {
	out := append([]byte(nil), f[:12]...)
	return append(out, f[16:]...)
}

// outerTag returns the TPID and TCI of f's outer tag when the kernel would
// strip it (802.1Q or 802.1ad).
func outerTag(f []byte) (tpid, tci uint16, ok bool) {
	if len(f) < 18 {
		return 0, 0, false
	}
	tpid = binary.BigEndian.Uint16(f[12:])
	if tpid != 0x8100 && tpid != 0x88A8 {
		return 0, 0, false
	}
	return tpid, binary.BigEndian.Uint16(f[14:]), true
}
