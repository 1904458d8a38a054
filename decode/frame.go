package decode

import (
	"encoding/binary"
	"net/netip"
)

// Frame is one captured frame decoded down to its PTP message. The caller
// owns it and reuses it: Decode resets every field it describes.
//
// Raw and every byte slice reached from the Frame alias the decoded input.
type Frame struct {
	Raw    []byte   // the whole frame as captured
	Link   LinkType // link-layer type Raw was decoded as
	Result Result
	Reason Reason // why Result is not OK; ReasonNone otherwise

	// Link layer. Dst is zero for cooked captures, which carry only the
	// sender's link address (in Src when it is 6 octets long).
	Dst, Src  [6]byte
	EtherType uint16 // the innermost EtherType, after any VLAN tags
	VLANs     [MaxVLANs]VLANTag
	NumVLANs  uint8 // VLAN tags in VLANs, outermost first

	Transport Transport

	// Network and transport layers, set for the UDP transports.
	SrcIP, DstIP     netip.Addr
	HopLimit         uint8 // IPv4 TTL or IPv6 hop limit
	DSCP             uint8
	SrcPort, DstPort uint16

	// Offsets from the start of Raw; zero when the layer is absent.
	NetworkOffset   uint16
	TransportOffset uint16
	PTPOffset       uint16
	// PTPLength is the number of bytes from PTPOffset that belong to the
	// PTP datagram: the UDP payload length, or the rest of an Ethernet frame
	// (which may include padding beyond messageLength).
	PTPLength uint16

	// Version is the versionPTP of the message: 1 for IEEE 1588-2002 (see V1),
	// 2 for 1588-2008 and 2019 (see PTP); 0 when no PTP header was reached.
	Version uint8
	PTP     Message
	V1      V1Message
}

// Decode decodes data, captured with the given link type, into f and returns
// f.Result. It never allocates and never panics.
func (f *Frame) Decode(link LinkType, data []byte) Result {
	f.Raw = data
	f.Link = link
	f.Reason = ReasonNone
	f.Dst = [6]byte{}
	f.Src = [6]byte{}
	f.EtherType = 0
	f.NumVLANs = 0
	f.Transport = TransportNone
	f.SrcIP, f.DstIP = netip.Addr{}, netip.Addr{}
	f.HopLimit, f.DSCP = 0, 0
	f.SrcPort, f.DstPort = 0, 0
	f.NetworkOffset, f.TransportOffset, f.PTPOffset, f.PTPLength = 0, 0, 0, 0
	f.Version = 0

	switch link {
	case LinkEthernet:
		if len(data) < 14 {
			return f.fail(ResultTruncated, ReasonShortLink)
		}
		copy(f.Dst[:], data[0:6])
		copy(f.Src[:], data[6:12])
		return f.etherType(12)
	case LinkSLL:
		// Linux cooked v1: packet type, ARPHRD, address length, 8 octets of
		// address, protocol.
		if len(data) < 16 {
			return f.fail(ResultTruncated, ReasonShortLink)
		}
		if binary.BigEndian.Uint16(data[4:6]) == 6 {
			copy(f.Src[:], data[6:12])
		}
		return f.etherType(14)
	case LinkSLL2:
		// Linux cooked v2: protocol first, then reserved, ifindex, ARPHRD,
		// packet type, address length and 8 octets of address.
		if len(data) < 20 {
			return f.fail(ResultTruncated, ReasonShortLink)
		}
		if data[11] == 6 {
			copy(f.Src[:], data[12:18])
		}
		return f.dispatchEtherType(binary.BigEndian.Uint16(data[0:2]), 20)
	case LinkRaw, LinkIPv4, LinkIPv6:
		if len(data) < 1 {
			return f.fail(ResultTruncated, ReasonShortLink)
		}
		switch data[0] >> 4 {
		case 4:
			f.EtherType = EtherTypeIPv4
			return f.ipv4(0)
		case 6:
			f.EtherType = EtherTypeIPv6
			return f.ipv6(0)
		}
		return f.fail(ResultNotPTP, ReasonUnknownEtherType)
	case LinkNull:
		if len(data) < 4 {
			return f.fail(ResultTruncated, ReasonShortLink)
		}
		// The family is in the capturing host's byte order; accept both.
		fam := binary.LittleEndian.Uint32(data[0:4])
		if fam > 0xffff {
			fam = binary.BigEndian.Uint32(data[0:4])
		}
		switch fam {
		case 2:
			f.EtherType = EtherTypeIPv4
			return f.ipv4(4)
		case 10, 24, 28, 30:
			f.EtherType = EtherTypeIPv6
			return f.ipv6(4)
		}
		return f.fail(ResultNotPTP, ReasonUnknownEtherType)
	}
	return f.fail(ResultNotPTP, ReasonUnknownEtherType)
}

func (f *Frame) fail(r Result, why Reason) Result {
	f.Result, f.Reason = r, why
	return r
}

// etherType reads the EtherType at off, walks VLAN tags and dispatches.
func (f *Frame) etherType(off int) Result {
	data := f.Raw
	if len(data) < off+2 {
		return f.fail(ResultTruncated, ReasonShortLink)
	}
	return f.dispatchEtherType(binary.BigEndian.Uint16(data[off:]), off+2)
}

// dispatchEtherType handles et whose payload starts at off.
func (f *Frame) dispatchEtherType(et uint16, off int) Result {
	data := f.Raw
	for et == EtherType8021Q || et == EtherType8021AD || et == EtherTypeQinQ {
		if f.NumVLANs == MaxVLANs {
			return f.fail(ResultMalformed, ReasonTooManyVLANs)
		}
		if len(data) < off+4 {
			return f.fail(ResultTruncated, ReasonShortLink)
		}
		tci := binary.BigEndian.Uint16(data[off:])
		f.VLANs[f.NumVLANs] = VLANTag{TPID: et, PCP: uint8(tci >> 13), DEI: tci&0x1000 != 0, VID: tci & 0x0fff}
		f.NumVLANs++
		et = binary.BigEndian.Uint16(data[off+2:])
		off += 4
	}
	f.EtherType = et
	switch et {
	case EtherTypePTP:
		f.Transport = TransportL2
		return f.ptp(off, len(data))
	case EtherTypeIPv4:
		return f.ipv4(off)
	case EtherTypeIPv6:
		return f.ipv6(off)
	}
	return f.fail(ResultNotPTP, ReasonUnknownEtherType)
}

func (f *Frame) ipv4(off int) Result {
	data := f.Raw
	f.NetworkOffset = uint16(off)
	if len(data) < off+20 {
		return f.fail(ResultTruncated, ReasonShortIPv4)
	}
	h := data[off:]
	ihl := int(h[0]&0x0f) * 4
	if h[0]>>4 != 4 || ihl < 20 {
		return f.fail(ResultMalformed, ReasonBadIPv4Header)
	}
	total := int(binary.BigEndian.Uint16(h[2:4]))
	if total < ihl {
		return f.fail(ResultMalformed, ReasonBadIPv4Header)
	}
	if len(h) < ihl {
		return f.fail(ResultTruncated, ReasonShortIPv4)
	}
	f.DSCP = h[1] >> 2
	f.HopLimit = h[8]
	f.SrcIP = netip.AddrFrom4([4]byte(h[12:16]))
	f.DstIP = netip.AddrFrom4([4]byte(h[16:20]))
	if frag := binary.BigEndian.Uint16(h[6:8]); frag&0x3fff != 0 {
		// More-fragments set or a non-zero offset: the UDP datagram is not
		// whole in this frame.
		return f.fail(ResultNotPTP, ReasonIPv4Fragment)
	}
	if h[9] != 17 {
		return f.fail(ResultNotPTP, ReasonNotUDP)
	}
	f.Transport = TransportUDPv4
	return f.udp(off+ihl, off+total)
}

func (f *Frame) ipv6(off int) Result {
	data := f.Raw
	f.NetworkOffset = uint16(off)
	if len(data) < off+40 {
		return f.fail(ResultTruncated, ReasonShortIPv6)
	}
	h := data[off:]
	if h[0]>>4 != 6 {
		return f.fail(ResultMalformed, ReasonBadIPv6Header)
	}
	f.DSCP = (h[0]&0x0f)<<2 | h[1]>>6
	f.HopLimit = h[7]
	f.SrcIP = netip.AddrFrom16([16]byte(h[8:24]))
	f.DstIP = netip.AddrFrom16([16]byte(h[24:40]))
	end := off + 40 + int(binary.BigEndian.Uint16(h[4:6]))
	next := h[6]
	p := off + 40
	// Walk extension headers (RFC 8200 §4). Eight is more than any real
	// PTP sender uses and bounds the work on garbage.
	for i := 0; ; i++ {
		if i == 8 {
			return f.fail(ResultMalformed, ReasonBadIPv6Header)
		}
		var n int
		switch next {
		case 17:
			f.Transport = TransportUDPv6
			return f.udp(p, end)
		case 0, 43, 60, 135, 139, 140: // hop-by-hop, routing, destination, mobility, HIP, shim6
			if len(data) < p+8 {
				return f.fail(ResultTruncated, ReasonShortIPv6)
			}
			n = (int(data[p+1]) + 1) * 8
		case 44: // fragment
			if len(data) < p+8 {
				return f.fail(ResultTruncated, ReasonShortIPv6)
			}
			if binary.BigEndian.Uint16(data[p+2:])&0xfff9 != 0 {
				return f.fail(ResultNotPTP, ReasonIPv4Fragment)
			}
			n = 8
		case 51: // authentication header counts 4-octet units
			if len(data) < p+8 {
				return f.fail(ResultTruncated, ReasonShortIPv6)
			}
			n = (int(data[p+1]) + 2) * 4
		default:
			return f.fail(ResultNotPTP, ReasonNotUDP)
		}
		next = data[p]
		p += n
	}
}

// udp decodes the UDP header at off inside an IP payload ending at ipEnd.
func (f *Frame) udp(off, ipEnd int) Result {
	data := f.Raw
	f.TransportOffset = uint16(off)
	if len(data) < off+8 || ipEnd < off+8 {
		return f.fail(ResultTruncated, ReasonShortUDP)
	}
	h := data[off:]
	f.SrcPort = binary.BigEndian.Uint16(h[0:2])
	f.DstPort = binary.BigEndian.Uint16(h[2:4])
	ulen := int(binary.BigEndian.Uint16(h[4:6]))
	if ulen < 8 || off+ulen > ipEnd {
		return f.fail(ResultMalformed, ReasonBadUDPLength)
	}
	if !isPTPPort(f.DstPort) && !isPTPPort(f.SrcPort) {
		return f.fail(ResultNotPTP, ReasonNotPTPPort)
	}
	return f.ptp(off+8, off+ulen)
}

func isPTPPort(p uint16) bool { return p == PortEvent || p == PortGeneral }

// ptp decodes the PTP message in data[off:end]; end may lie beyond the
// captured bytes when the capture was cut short.
func (f *Frame) ptp(off, end int) Result {
	data := f.Raw
	f.PTPOffset = uint16(off)
	if end > len(data) {
		end = len(data)
	}
	if end < off {
		end = off
	}
	f.PTPLength = uint16(end - off)
	b := data[off:end]
	if len(b) < 2 {
		return f.fail(ResultTruncated, ReasonShortPTPHeader)
	}
	f.Version = b[1] & 0x0f
	var r Result
	switch f.Version {
	case 2:
		r, f.Reason = f.PTP.Decode(b)
	case 1:
		r, f.Reason = f.V1.Decode(b)
	default:
		r, f.Reason = ResultMalformed, ReasonUnknownVersion
	}
	f.Result = r
	return r
}
