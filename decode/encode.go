package decode

import (
	"encoding/binary"
	"net/netip"
)

// PTP multicast destinations for the UDP transports (Annex C, D).
var (
	IPv4Primary = netip.AddrFrom4([4]byte{224, 0, 1, 129})
	IPv4Pdelay  = netip.AddrFrom4([4]byte{224, 0, 0, 107})
	IPv6Primary = netip.AddrFrom16([16]byte{0xff, 0x0e, 15: 0x81, 14: 0x01}) // ff0e::181
	IPv6Pdelay  = netip.AddrFrom16([16]byte{0xff, 0x02, 15: 0x6b})           // ff02::6b
)

// Appender is a PTP message that appends its wire form to a buffer, such as
// *Message or *V1Message.
type Appender interface {
	AppendTo(b []byte) []byte
}

// Encapsulation says how AppendFrame wraps a PTP message for the wire. Zero
// fields take the PTP defaults for the message being wrapped: the multicast
// destination (the peer-delay address for Pdelay messages), port 319 for
// event and 320 for general messages, and a hop limit of 1.
type Encapsulation struct {
	Transport        Transport // TransportL2, TransportUDPv4 or TransportUDPv6
	SrcMAC, DstMAC   [6]byte
	VLANs            []VLANTag // outermost first; TPID 0 means 0x8100
	SrcIP, DstIP     netip.Addr
	SrcPort, DstPort uint16
	HopLimit         uint8
	DSCP             uint8
	// IPv4Options are appended to the IPv4 header; their length must be a
	// multiple of four (pad with End of Options List, zero).
	IPv4Options []byte
	// IPv6Extensions are chained between the IPv6 header and UDP in order.
	IPv6Extensions []IPv6Extension
}

// IPv6Extension is one IPv6 extension header for Encapsulation. Data is what
// follows the next-header octet: for hop-by-hop, routing and destination
// options it starts with the length octet and must make the whole header a
// multiple of eight octets; for a fragment header it is the seven octets
// after next-header.
type IPv6Extension struct {
	Type uint8 // 0 hop-by-hop, 43 routing, 44 fragment, 60 destination options
	Data []byte
}

// AppendFrame appends an Ethernet frame carrying msg to b: the Ethernet
// header, VLAN tags, then for the UDP transports an IPv4 or IPv6 header and
// a UDP header with correct lengths and checksums. It does not allocate
// when b has room (and msg's AppendTo does not).
func (e *Encapsulation) AppendFrame(b []byte, msg Appender) []byte {
	start := len(b)
	b = append(b, e.DstMAC[:]...)
	b = append(b, e.SrcMAC[:]...)
	for _, t := range e.VLANs {
		tpid := t.TPID
		if tpid == 0 {
			tpid = EtherType8021Q
		}
		b = binary.BigEndian.AppendUint16(b, tpid)
		tci := uint16(t.PCP&7)<<13 | t.VID&0x0fff
		if t.DEI {
			tci |= 0x1000
		}
		b = binary.BigEndian.AppendUint16(b, tci)
	}
	etOff := len(b)
	b = append(b, 0, 0)
	var ipOff, udpOff int
	switch e.Transport {
	case TransportUDPv4:
		binary.BigEndian.PutUint16(b[etOff:], EtherTypeIPv4)
		ipOff = len(b)
		b = append(b, 0x45+uint8(len(e.IPv4Options)/4), e.DSCP<<2, 0, 0, 0, 0, 0x40, 0, e.hopLimit(), 17, 0, 0)
		b = append(b, make([]byte, 8)...) // addresses, filled below
		b = append(b, e.IPv4Options...)
		udpOff = len(b)
		b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	case TransportUDPv6:
		binary.BigEndian.PutUint16(b[etOff:], EtherTypeIPv6)
		ipOff = len(b)
		next := uint8(17)
		if len(e.IPv6Extensions) > 0 {
			next = e.IPv6Extensions[0].Type
		}
		b = append(b, 0x60|e.DSCP>>2, e.DSCP<<6, 0, 0, 0, 0, next, e.hopLimit())
		b = append(b, make([]byte, 32)...)
		for i, x := range e.IPv6Extensions {
			next = 17
			if i+1 < len(e.IPv6Extensions) {
				next = e.IPv6Extensions[i+1].Type
			}
			b = append(b, next)
			b = append(b, x.Data...)
		}
		udpOff = len(b)
		b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	default:
		binary.BigEndian.PutUint16(b[etOff:], EtherTypePTP)
	}
	ptpOff := len(b)
	b = msg.AppendTo(b)
	event, pdelay := classify(b[ptpOff:])
	frame := b[start:]
	ptpLen := len(b) - ptpOff

	if e.DstMAC == ([6]byte{}) {
		mac := e.defaultDstMAC(pdelay)
		copy(frame[0:6], mac[:])
	}
	if e.Transport != TransportUDPv4 && e.Transport != TransportUDPv6 {
		return b
	}
	src, dst := e.SrcPort, e.DstPort
	if dst == 0 {
		dst = PortGeneral
		if event {
			dst = PortEvent
		}
	}
	if src == 0 {
		src = dst
	}
	u := b[udpOff:]
	binary.BigEndian.PutUint16(u[0:], src)
	binary.BigEndian.PutUint16(u[2:], dst)
	binary.BigEndian.PutUint16(u[4:], uint16(8+ptpLen))
	var sum uint32
	if e.Transport == TransportUDPv4 {
		ip := b[ipOff:]
		s4, d4 := e.SrcIP, e.dstIP(pdelay)
		if s4.Is4() {
			a := s4.As4()
			copy(ip[12:16], a[:])
		}
		if d4.Is4() {
			a := d4.As4()
			copy(ip[16:20], a[:])
		}
		ihl := udpOff - ipOff
		binary.BigEndian.PutUint16(ip[2:], uint16(ihl+8+ptpLen))
		binary.BigEndian.PutUint16(ip[10:], ^fold(addBytes(0, ip[:ihl])))
		sum = addBytes(0, ip[12:20])
	} else {
		ip := b[ipOff:]
		if e.SrcIP.Is6() {
			a := e.SrcIP.As16()
			copy(ip[8:24], a[:])
		}
		if d := e.dstIP(pdelay); d.Is6() {
			a := d.As16()
			copy(ip[24:40], a[:])
		}
		binary.BigEndian.PutUint16(ip[4:], uint16(udpOff-ipOff-40+8+ptpLen))
		sum = addBytes(0, ip[8:40])
	}
	sum += 17 + uint32(8+ptpLen)
	sum = addBytes(sum, u[:8+ptpLen])
	c := ^fold(sum)
	if c == 0 {
		c = 0xffff // zero means "no checksum" in UDP (RFC 768)
	}
	binary.BigEndian.PutUint16(u[6:], c)
	return b
}

func (e *Encapsulation) hopLimit() uint8 {
	if e.HopLimit == 0 {
		return 1
	}
	return e.HopLimit
}

func (e *Encapsulation) dstIP(pdelay bool) netip.Addr {
	if e.DstIP.IsValid() {
		return e.DstIP
	}
	switch {
	case e.Transport == TransportUDPv4 && pdelay:
		return IPv4Pdelay
	case e.Transport == TransportUDPv4:
		return IPv4Primary
	case pdelay:
		return IPv6Pdelay
	}
	return IPv6Primary
}

// defaultDstMAC returns the destination MAC for a zero DstMAC: the PTP
// multicast MAC for L2, the IP multicast mapping (RFC 1112, RFC 2464) for
// multicast IP, and zero for unicast IP, whose MAC only the caller knows.
func (e *Encapsulation) defaultDstMAC(pdelay bool) [6]byte {
	switch e.Transport {
	case TransportUDPv4:
		d := e.dstIP(pdelay)
		if !d.IsMulticast() {
			return [6]byte{}
		}
		a := d.As4()
		return [6]byte{0x01, 0x00, 0x5e, a[1] & 0x7f, a[2], a[3]}
	case TransportUDPv6:
		d := e.dstIP(pdelay)
		if !d.IsMulticast() {
			return [6]byte{}
		}
		a := d.As16()
		return [6]byte{0x33, 0x33, a[12], a[13], a[14], a[15]}
	}
	if pdelay {
		return MACPdelay
	}
	return MACPrimary
}

// classify tells from a message's first octets whether it is an event
// message and whether it belongs to the peer-delay mechanism.
func classify(p []byte) (event, pdelay bool) {
	if len(p) < 2 {
		return false, false
	}
	if p[1]&0x0f == 1 { // PTPv1: messageType octet 20 is 1 for event
		return len(p) > 20 && p[20] == 1, false
	}
	mt := MessageType(p[0] & 0x0f)
	return mt.IsEvent(), mt == PdelayReq || mt == PdelayResp || mt == PdelayRespFollowUp
}

// addBytes adds b to a ones'-complement sum as big-endian 16-bit words.
// It reads eight octets at a time into a 64-bit accumulator, whose carries
// fold back in at the end (RFC 1071 §2(C)). The result is folded to 16
// bits so callers can keep adding to it.
func addBytes(sum uint32, b []byte) uint32 {
	acc := uint64(sum)
	for len(b) >= 8 {
		v := binary.BigEndian.Uint64(b)
		acc += v >> 32
		acc += v & 0xffffffff
		b = b[8:]
	}
	for len(b) >= 2 {
		acc += uint64(b[0])<<8 | uint64(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint64(b[0]) << 8
	}
	for acc > 0xffff {
		acc = acc&0xffff + acc>>16
	}
	return uint32(acc)
}

func fold(sum uint32) uint16 {
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return uint16(sum)
}
