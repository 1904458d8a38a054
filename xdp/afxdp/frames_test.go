package afxdp

import (
	"encoding/binary"
	"net/netip"

	"github.com/ptpwatch/ptpwatch/decode"
)

// Test frames, built with decode's encoders.

var (
	farMAC = [6]byte{0x02, 0xa7, 0x00, 0x00, 0x00, 0x02}
	farIP4 = netip.MustParseAddr("10.78.0.2")
	farIP6 = netip.MustParseAddr("fd00:78::2")
)

func ptpMessage(mt decode.MessageType, seq uint16) *decode.Message {
	m := &decode.Message{}
	m.MessageType = mt
	m.Version = 2
	m.Sequence = seq
	m.Source = decode.PortIdentity{Clock: decode.ClockIdentity{0x02, 0xa7, 0x00, 0xff, 0xfe, 0x00, 0x00, 0x02}, Port: 1}
	m.Timestamp = decode.Timestamp{Seconds: 1700000000, Nanoseconds: uint32(seq) * 1000}
	return m
}

func ptpFrame(e decode.Encapsulation, m *decode.Message) []byte {
	e.SrcMAC = farMAC
	switch e.Transport {
	case decode.TransportUDPv4:
		e.SrcIP = farIP4
	case decode.TransportUDPv6:
		e.SrcIP = farIP6
	}
	return e.AppendFrame(nil, m)
}

func tags(tpids ...uint16) []decode.VLANTag {
	var v []decode.VLANTag
	for i, t := range tpids {
		v = append(v, decode.VLANTag{TPID: t, VID: uint16(200 + i), PCP: uint8(i + 1)})
	}
	return v
}

type testFrame struct {
	name string
	data []byte
	ptp  bool
}

// testFrames returns PTP frames over every transport, with and without
// VLAN tags, and frames the program must let through to the stack.
func testFrames() []testFrame {
	l2 := decode.Encapsulation{Transport: decode.TransportL2}
	v4 := decode.Encapsulation{Transport: decode.TransportUDPv4}
	v6 := decode.Encapsulation{Transport: decode.TransportUDPv6}
	with := func(e decode.Encapsulation, f func(*decode.Encapsulation)) decode.Encapsulation { f(&e); return e }

	udp4 := ptpFrame(v4, ptpMessage(decode.Sync, 3))
	tcp := append([]byte(nil), udp4...)
	tcp[14+9] = 6 // IPv4 protocol: TCP
	arp := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	arp = append(arp, farMAC[:]...)
	arp = binary.BigEndian.AppendUint16(arp, 0x0806)
	arp = append(arp, 0, 1, 8, 0, 6, 4, 0, 1)
	arp = append(arp, farMAC[:]...)
	arp = append(arp, 10, 78, 0, 2, 0, 0, 0, 0, 0, 0, 10, 78, 0, 99)

	return []testFrame{
		{"L2 Sync", ptpFrame(l2, ptpMessage(decode.Sync, 1)), true},
		{"L2 Announce", ptpFrame(l2, ptpMessage(decode.Announce, 2)), true},
		{"UDPv4 Sync", udp4, true},
		{"UDPv4 Follow_Up", ptpFrame(v4, ptpMessage(decode.FollowUp, 3)), true},
		{"UDPv4 Delay_Resp from 320", ptpFrame(with(v4, func(e *decode.Encapsulation) { e.SrcPort, e.DstPort = 320, 40001 }), ptpMessage(decode.DelayResp, 4)), true},
		{"UDPv6 Delay_Req", ptpFrame(v6, ptpMessage(decode.DelayReq, 5)), true},
		{"UDPv6 Follow_Up", ptpFrame(v6, ptpMessage(decode.FollowUp, 6)), true},
		{"UDPv6 hop-by-hop", ptpFrame(with(v6, func(e *decode.Encapsulation) {
			e.IPv6Extensions = []decode.IPv6Extension{{Type: 0, Data: []byte{0, 1, 4, 0, 0, 0, 0}}}
		}), ptpMessage(decode.Sync, 7)), true},
		{"802.1Q L2", ptpFrame(with(l2, func(e *decode.Encapsulation) { e.VLANs = tags(0x8100) }), ptpMessage(decode.Sync, 10)), true},
		{"802.1ad L2", ptpFrame(with(l2, func(e *decode.Encapsulation) { e.VLANs = tags(0x88A8) }), ptpMessage(decode.Announce, 11)), true},
		{"802.1Q UDPv4", ptpFrame(with(v4, func(e *decode.Encapsulation) { e.VLANs = tags(0x8100) }), ptpMessage(decode.Sync, 12)), true},
		{"QinQ UDPv4", ptpFrame(with(v4, func(e *decode.Encapsulation) { e.VLANs = tags(0x88A8, 0x8100) }), ptpMessage(decode.FollowUp, 13)), true},
		{"QinQ UDPv6", ptpFrame(with(v6, func(e *decode.Encapsulation) { e.VLANs = tags(0x8100, 0x8100) }), ptpMessage(decode.DelayReq, 14)), true},
		{"4 tags L2", ptpFrame(with(l2, func(e *decode.Encapsulation) { e.VLANs = tags(0x88A8, 0x8100, 0x9100, 0x8100) }), ptpMessage(decode.Sync, 15)), true},

		{"5 tags L2", ptpFrame(with(l2, func(e *decode.Encapsulation) { e.VLANs = tags(0x8100, 0x8100, 0x8100, 0x8100, 0x8100) }), ptpMessage(decode.Sync, 16)), false},
		{"UDPv4 port 53", ptpFrame(with(v4, func(e *decode.Encapsulation) { e.SrcPort, e.DstPort = 5353, 53 }), ptpMessage(decode.Sync, 17)), false},
		{"TCP to 319", tcp, false},
		{"UDPv6 port 123", ptpFrame(with(v6, func(e *decode.Encapsulation) { e.SrcPort, e.DstPort = 123, 123 }), ptpMessage(decode.Sync, 18)), false},
		{"802.1Q UDPv4 port 53", ptpFrame(with(v4, func(e *decode.Encapsulation) {
			e.VLANs = tags(0x8100)
			e.SrcPort, e.DstPort = 5353, 53
		}), ptpMessage(decode.Sync, 19)), false},
		{"ARP", arp, false},
	}
}
