package decode

import (
	"encoding/binary"
	"encoding/hex"
	"strconv"
)

// Field is one located field of a decoded frame, for the detail view's byte
// highlighting and for text and JSON output. Offsets count from the start of
// the frame. A bit field shares its octets with its neighbours and names its
// bits with Mask (over the Length octets read big-endian).
type Field struct {
	Name     string  `json:"name"`
	Value    string  `json:"value,omitempty"`
	Text     string  `json:"text,omitempty"` // what Value means, such as an enum name
	Offset   int     `json:"offset"`
	Length   int     `json:"length"`
	Mask     uint64  `json:"mask,omitempty"`
	Children []Field `json:"children,omitempty"`
}

// Fields decodes data and returns its located field tree: one group per
// layer (link, VLAN tags, network, transport, PTP). It allocates and is
// meant for the detail view, not for every frame.
func Fields(link LinkType, data []byte) []Field {
	var f Frame
	f.Decode(link, data)
	return f.Fields()
}

// Fields returns the located field tree of a frame decoded by Decode.
func (f *Frame) Fields() []Field {
	var out []Field
	w := fieldWriter{b: f.Raw, out: &out}
	f.describeLink(w)
	if f.EtherType == EtherTypeIPv4 || f.EtherType == EtherTypeIPv6 {
		f.describeNetwork(w)
	}
	if f.TransportOffset != 0 {
		u := w.group("udp", int(f.TransportOffset), 8)
		u.uint("srcPort", int(f.TransportOffset), 2)
		u.uint("dstPort", int(f.TransportOffset)+2, 2)
		u.uint("length", int(f.TransportOffset)+4, 2)
		u.hex("checksum", int(f.TransportOffset)+6, 2)
	}
	if f.Version != 0 {
		off, n := int(f.PTPOffset), int(f.PTPLength)
		switch f.Version {
		case 2:
			describeV2(w, off, n)
		case 1:
			describeV1(w, off, n)
		}
	}
	// Whatever follows the last layer: Ethernet padding up to 60 octets, or
	// octets after messageLength inside the UDP payload.
	end := 0
	for _, x := range out {
		if e := x.Offset + x.Length; e > end {
			end = e
		}
	}
	if end < len(f.Raw) && f.Result == ResultOK {
		w.raw("padding", end, len(f.Raw)-end)
	}
	if f.Result != ResultOK {
		out = append(out, Field{Name: "result", Value: f.Result.String(), Text: f.Reason.String(), Offset: 0, Length: len(f.Raw)})
	}
	return out
}

func (f *Frame) describeLink(w fieldWriter) {
	et := 0
	switch f.Link {
	case LinkEthernet:
		g := w.group("eth", 0, 14)
		g.mac("destination", 0)
		g.mac("source", 6)
		et = 12
	case LinkSLL:
		g := w.group("sll", 0, 16)
		g.uint("packetType", 0, 2)
		g.uint("arphrdType", 2, 2)
		g.uint("addressLength", 4, 2)
		g.hex("address", 6, 8)
		et = 14
	case LinkSLL2:
		g := w.group("sll2", 0, 20)
		g.hex("protocol", 0, 2)
		g.uint("interfaceIndex", 4, 4)
		g.uint("arphrdType", 8, 2)
		g.uint("packetType", 10, 1)
		g.uint("addressLength", 11, 1)
		g.hex("address", 12, 8)
		et = -1 // the protocol field leads; tags follow the header
	default:
		return
	}
	for i := 0; i < int(f.NumVLANs); i++ {
		tci := et + 2 + 4*i
		tpid := tci - 2
		if et < 0 {
			tci = 20 + 4*i
			tpid = tci - 2
			if i == 0 {
				tpid = 0
			}
		}
		g := w.group("vlan", tci-2, 4)
		g.hex("tpid", tpid, 2)
		g.bits("pcp", tci, 2, 0xe000, "")
		g.bits("dei", tci, 2, 0x1000, "")
		g.bits("vid", tci, 2, 0x0fff, "")
	}
	if f.Link == LinkSLL2 {
		if f.NumVLANs > 0 {
			w.hex("etherType", 20+4*int(f.NumVLANs)-2, 2)
		}
		return
	}
	w.hex("etherType", et+4*int(f.NumVLANs), 2)
}

func (f *Frame) describeNetwork(w fieldWriter) {
	off := int(f.NetworkOffset)
	switch f.EtherType {
	case EtherTypeIPv4:
		if len(f.Raw) < off+20 {
			w.truncated("ipv4", off, len(f.Raw)-off)
			return
		}
		ihl := int(f.Raw[off]&0x0f) * 4
		g := w.group("ipv4", off, ihl)
		g.bits("version", off, 1, 0xf0, "")
		g.bits("ihl", off, 1, 0x0f, "")
		g.bits("dscp", off+1, 1, 0xfc, "")
		g.bits("ecn", off+1, 1, 0x03, "")
		g.uint("totalLength", off+2, 2)
		g.hex("identification", off+4, 2)
		g.bits("flags", off+6, 2, 0xe000, "")
		g.bits("fragmentOffset", off+6, 2, 0x1fff, "")
		g.uint("ttl", off+8, 1)
		g.uint("protocol", off+9, 1)
		g.hex("checksum", off+10, 2)
		g.add("source", off+12, 4, f.SrcIP.String(), "")
		g.add("destination", off+16, 4, f.DstIP.String(), "")
		if ihl > 20 {
			g.hex("options", off+20, ihl-20)
		}
	case EtherTypeIPv6:
		if len(f.Raw) < off+40 {
			w.truncated("ipv6", off, len(f.Raw)-off)
			return
		}
		end := int(f.TransportOffset)
		if end == 0 {
			end = off + 40
		}
		g := w.group("ipv6", off, end-off)
		g.bits("version", off, 4, 0xf0000000, "")
		g.bits("trafficClass", off, 4, 0x0ff00000, "")
		g.bits("flowLabel", off, 4, 0x000fffff, "")
		g.uint("payloadLength", off+4, 2)
		g.uint("nextHeader", off+6, 1)
		g.uint("hopLimit", off+7, 1)
		g.add("source", off+8, 16, f.SrcIP.String(), "")
		g.add("destination", off+24, 16, f.DstIP.String(), "")
		// Extension headers between the fixed header and UDP.
		p, next := off+40, f.Raw[off+6]
		for p < end && p+2 <= len(f.Raw) {
			var n int
			name := "extensionHeader"
			switch next {
			case 44:
				n, name = 8, "fragment"
			case 51:
				n, name = (int(f.Raw[p+1])+2)*4, "authentication"
			default:
				n = (int(f.Raw[p+1]) + 1) * 8
				switch next {
				case 0:
					name = "hopByHop"
				case 43:
					name = "routing"
				case 60:
					name = "destinationOptions"
				}
			}
			e := g.group(name, p, n)
			e.uint("nextHeader", p, 1)
			if next == 44 {
				e.raw("reserved", p+1, 1)
				e.bits("fragmentOffset", p+2, 2, 0xfff8, "")
				e.bits("moreFragments", p+2, 2, 0x0001, "")
				e.hex("identification", p+4, 4)
			} else {
				e.uint("hdrExtLen", p+1, 1)
				e.hex("data", p+2, n-2)
			}
			next = f.Raw[p]
			p += n
		}
	}
}

// describeV2 lists a PTPv2 message in b[off:off+n].
func describeV2(w fieldWriter, off, n int) {
	b := w.b
	if n < HeaderLength || off+n > len(b) {
		w.raw("ptp", off, n)
		return
	}
	ml := int(binary.BigEndian.Uint16(b[off+2:]))
	if ml > n {
		ml = n
	}
	p := w.group("ptp", off, ml)
	h := p.group("header", off, HeaderLength)
	h.bits("majorSdoId", off, 1, 0xf0, "")
	mt := MessageType(b[off] & 0x0f)
	h.bits("messageType", off, 1, 0x0f, mt.String())
	h.bits("minorVersionPTP", off+1, 1, 0xf0, "")
	h.bits("versionPTP", off+1, 1, 0x0f, "")
	h.uint("messageLength", off+2, 2)
	h.uint("domainNumber", off+4, 1)
	h.uint("minorSdoId", off+5, 1)
	fl := h.group("flagField", off+6, 2)
	fl.f.Value = "0x" + hex.EncodeToString(b[off+6:off+8])
	for _, nf := range FlagNames {
		fl.bits(nf.Name, off+6, 2, uint64(nf.Flag), "")
	}
	c := h.int("correctionField", off+8, 8)
	h.last().Text = strconv.FormatFloat(float64(c)/65536, 'f', -1, 64) + " ns"
	h.hex("messageTypeSpecific", off+16, 4)
	h.portIdentity("sourcePortIdentity", off+20)
	h.uint("sequenceId", off+30, 2)
	h.uint("controlField", off+32, 1)
	h.int("logMessageInterval", off+33, 1)

	body := int(bodyLength[mt])
	if body == 0 || ml < HeaderLength+body {
		if ml > HeaderLength {
			p.raw("body", off+HeaderLength, ml-HeaderLength)
		}
		return
	}
	q := off + HeaderLength
	bd := p.group("body", q, body)
	switch mt {
	case Sync, DelayReq:
		bd.timestamp("originTimestamp", q)
	case PdelayReq:
		bd.timestamp("originTimestamp", q)
		bd.raw("reserved", q+10, 10)
	case FollowUp:
		bd.timestamp("preciseOriginTimestamp", q)
	case DelayResp:
		bd.timestamp("receiveTimestamp", q)
		bd.portIdentity("requestingPortIdentity", q+10)
	case PdelayResp:
		bd.timestamp("requestReceiptTimestamp", q)
		bd.portIdentity("requestingPortIdentity", q+10)
	case PdelayRespFollowUp:
		bd.timestamp("responseOriginTimestamp", q)
		bd.portIdentity("requestingPortIdentity", q+10)
	case Announce:
		bd.timestamp("originTimestamp", q)
		bd.int("currentUtcOffset", q+10, 2)
		bd.raw("reserved", q+12, 1)
		bd.uint("grandmasterPriority1", q+13, 1)
		bd.clockQuality("grandmasterClockQuality", q+14)
		bd.uint("grandmasterPriority2", q+18, 1)
		bd.clockIdentity("grandmasterIdentity", q+19)
		bd.uint("stepsRemoved", q+27, 2)
		bd.enum("timeSource", q+29, 1, TimeSource(b[q+29]).String())
	case Signaling:
		bd.portIdentity("targetPortIdentity", q)
	case Management:
		bd.portIdentity("targetPortIdentity", q)
		bd.uint("startingBoundaryHops", q+10, 1)
		bd.uint("boundaryHops", q+11, 1)
		bd.bits("actionField", q+12, 1, 0x0f, ManagementAction(b[q+12]&0x0f).String())
		bd.raw("reserved", q+13, 1)
	}
	describeTLVs(p, q+body, off+ml, mt == Management)
}

// describeTLVs lists the TLVs in w.b[off:end].
func describeTLVs(w fieldWriter, off, end int, management bool) {
	first := true
	for off < end {
		if end-off < 4 {
			w.raw("trailing", off, end-off)
			return
		}
		t := TLVType(binary.BigEndian.Uint16(w.b[off:]))
		l := int(binary.BigEndian.Uint16(w.b[off+2:]))
		n := 4 + l
		if off+n > end {
			g := w.group("tlv", off, end-off)
			g.enum("tlvType", off, 2, t.String())
			g.uint("lengthField", off+2, 2)
			g.raw("valueTruncated", off+4, end-off-4)
			return
		}
		g := w.group("tlv", off, n)
		g.f.Text = t.String()
		g.enum("tlvType", off, 2, t.String())
		g.uint("lengthField", off+2, 2)
		v := off + 4
		switch {
		case management && first && t == TLVManagement && l >= 2:
			id := ManagementID(binary.BigEndian.Uint16(w.b[v:]))
			g.enum("managementId", v, 2, id.String())
			describeManagementData(g, id, v+2, l-2)
		case management && first && t == TLVManagementErrorStatus && l >= 8:
			g.enum("managementErrorId", v, 2, ManagementErrorID(binary.BigEndian.Uint16(w.b[v:])).String())
			id := ManagementID(binary.BigEndian.Uint16(w.b[v+2:]))
			g.enum("managementId", v+2, 2, id.String())
			g.raw("reserved", v+4, 4)
			if l > 8 {
				n := g.ptpText("displayData", v+8)
				if rest := l - 8 - n; rest > 0 {
					g.raw("pad", v+8+n, rest)
				}
			}
		default:
			describeTLVValue(g, t, v, l)
		}
		first = false
		off += n
	}
}

// fieldWriter appends located fields to a list, reading values from b, the
// whole frame. Reads past the end of b add a field marked truncated instead
// of panicking. A writer returned by group must be finished with before its
// parent gets another field, since it points into the parent's list.
type fieldWriter struct {
	b   []byte
	out *[]Field
	f   *Field // the group this writer fills, if any
}

func (w fieldWriter) ok(off, n int) bool { return off >= 0 && n >= 0 && off+n <= len(w.b) }

// add appends a field and returns it.
func (w fieldWriter) add(name string, off, n int, value, text string) *Field {
	*w.out = append(*w.out, Field{Name: name, Value: value, Text: text, Offset: off, Length: n})
	return &(*w.out)[len(*w.out)-1]
}

func (w fieldWriter) last() *Field { return &(*w.out)[len(*w.out)-1] }

// group appends a field whose children the returned writer fills.
// A group reaching past the end of the frame is cut to the octets present
// and marked truncated.
func (w fieldWriter) group(name string, off, n int) fieldWriter {
	text := ""
	if off+n > len(w.b) {
		n, text = max(0, len(w.b)-off), "truncated"
	}
	f := w.add(name, off, n, "", text)
	// Most groups hold a few to a few dozen fields: start with room for
	// several rather than growing one by one.
	f.Children = make([]Field, 0, 8)
	return fieldWriter{b: w.b, out: &f.Children, f: f}
}

func (w fieldWriter) truncated(name string, off, n int) {
	w.add(name, off, n, "", "truncated")
}

// be reads n ≤ 8 octets at off as a big-endian unsigned integer.
func (w fieldWriter) be(off, n int) uint64 {
	var v uint64
	for _, c := range w.b[off : off+n] {
		v = v<<8 | uint64(c)
	}
	return v
}

func (w fieldWriter) uint(name string, off, n int) uint64 {
	if !w.ok(off, n) {
		w.truncated(name, off, n)
		return 0
	}
	v := w.be(off, n)
	w.add(name, off, n, strconv.FormatUint(v, 10), "")
	return v
}

func (w fieldWriter) int(name string, off, n int) int64 {
	if !w.ok(off, n) {
		w.truncated(name, off, n)
		return 0
	}
	v := int64(w.be(off, n)<<(64-8*uint(n))) >> (64 - 8*uint(n))
	w.add(name, off, n, strconv.FormatInt(v, 10), "")
	return v
}

func (w fieldWriter) hex(name string, off, n int) {
	if !w.ok(off, n) {
		w.truncated(name, off, n)
		return
	}
	w.add(name, off, n, "0x"+hex.EncodeToString(w.b[off:off+n]), "")
}

// raw lists opaque octets as hex without a 0x prefix.
func (w fieldWriter) raw(name string, off, n int) {
	if n <= 0 {
		return
	}
	if !w.ok(off, n) {
		w.truncated(name, off, n)
		return
	}
	w.add(name, off, n, hex.EncodeToString(w.b[off:off+n]), "")
}

func (w fieldWriter) enum(name string, off, n int, text string) uint64 {
	if !w.ok(off, n) {
		w.truncated(name, off, n)
		return 0
	}
	v := w.be(off, n)
	w.add(name, off, n, strconv.FormatUint(v, 10), text)
	return v
}

// bits lists the bits of mask within the n octets at off, shifted down.
func (w fieldWriter) bits(name string, off, n int, mask uint64, text string) uint64 {
	if !w.ok(off, n) {
		w.truncated(name, off, n)
		return 0
	}
	v := w.be(off, n) & mask
	for m := mask; m != 0 && m&1 == 0; m >>= 1 {
		v >>= 1
	}
	f := w.add(name, off, n, strconv.FormatUint(v, 10), text)
	f.Mask = mask
	return v
}

func (w fieldWriter) flag(name string, off, n int, mask uint64) bool {
	return w.bits(name, off, n, mask, "") != 0
}

func (w fieldWriter) mac(name string, off int) {
	if !w.ok(off, 6) {
		w.truncated(name, off, 6)
		return
	}
	const digits = "0123456789abcdef"
	s := make([]byte, 0, 17)
	for i, c := range w.b[off : off+6] {
		if i > 0 {
			s = append(s, ':')
		}
		s = append(s, digits[c>>4], digits[c&0xf])
	}
	w.add(name, off, 6, string(s), "")
}

func (w fieldWriter) clockIdentity(name string, off int) {
	if !w.ok(off, 8) {
		w.truncated(name, off, 8)
		return
	}
	w.add(name, off, 8, hex.EncodeToString(w.b[off:off+8]), ClockIdentity(w.b[off:off+8]).String())
}

func (w fieldWriter) portIdentity(name string, off int) {
	if !w.ok(off, 10) {
		w.truncated(name, off, 10)
		return
	}
	p := PortIdentity{ClockIdentity(w.b[off : off+8]), binary.BigEndian.Uint16(w.b[off+8:])}
	g := w.group(name, off, 10)
	g.f.Value = p.String()
	g.clockIdentity("clockIdentity", off)
	g.uint("portNumber", off+8, 2)
}

func (w fieldWriter) timestamp(name string, off int) {
	if !w.ok(off, 10) {
		w.truncated(name, off, 10)
		return
	}
	g := w.group(name, off, 10)
	g.f.Value = readTimestamp(w.b[off:]).String()
	g.uint("secondsField", off, 6)
	g.uint("nanosecondsField", off+6, 4)
}

func (w fieldWriter) clockQuality(name string, off int) {
	if !w.ok(off, 4) {
		w.truncated(name, off, 4)
		return
	}
	g := w.group(name, off, 4)
	g.uint("clockClass", off, 1)
	g.enum("clockAccuracy", off+1, 1, ClockAccuracyString(w.b[off+1]))
	g.hex("offsetScaledLogVariance", off+2, 2)
}

// ptpText lists a PTPText (§5.3.9): a length octet and that many UTF-8
// octets. It returns the octets used, or the rest of b when truncated.
func (w fieldWriter) ptpText(name string, off int) int {
	if !w.ok(off, 1) {
		w.truncated(name, off, 1)
		return 0
	}
	n := int(w.b[off])
	if !w.ok(off+1, n) {
		w.truncated(name, off, len(w.b)-off)
		return len(w.b) - off
	}
	g := w.group(name, off, 1+n)
	g.f.Value = string(w.b[off+1 : off+1+n])
	g.uint("lengthField", off, 1)
	g.add("textField", off+1, n, string(w.b[off+1:off+1+n]), "")
	return 1 + n
}

// ClockAccuracyString names a clockAccuracy value (§7.6.2.6, Table 5).
func ClockAccuracyString(a uint8) string {
	switch {
	case a >= 0x17 && a <= 0x31:
		names := [...]string{"1ps", "2.5ps", "10ps", "25ps", "100ps", "250ps", "1ns", "2.5ns", "10ns", "25ns",
			"100ns", "250ns", "1us", "2.5us", "10us", "25us", "100us", "250us", "1ms", "2.5ms", "10ms", "25ms",
			"100ms", "250ms", "1s", "10s", ">10s"}
		return "within " + names[a-0x17]
	case a == 0xFE:
		return "unknown"
	case a >= 0x80 && a <= 0xFD:
		return "alternate profile"
	}
	return "reserved"
}
