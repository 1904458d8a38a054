package decode

import (
	"encoding/binary"
	"math/bits"
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

// Fields returns the located field tree of a frame decoded by Decode. It
// allocates; FieldList.Describe lists the same fields without allocating.
func (f *Frame) Fields() []Field {
	var l FieldList
	l.Describe(f)
	return l.Tree()
}

// Describe lists the located fields of a frame decoded by Decode into l,
// replacing what l held. It reuses l's buffers: once they have grown to a
// frame's size it does not allocate for the common messages. l refers to
// f.Raw until the next Describe, so f.Raw must not change meanwhile.
func (l *FieldList) Describe(f *Frame) {
	l.describe(f)
}

// describe lists f's fields, into the list or, while AppendJSON runs, as
// JSON.
func (l *FieldList) describe(f *Frame) {
	l.reset(f.Raw)
	w := fieldWriter{b: f.Raw, l: l}
	f.describeLink(w)
	if f.EtherType == EtherTypeIPv4 || f.EtherType == EtherTypeIPv6 {
		f.describeNetwork(w)
	}
	if f.TransportOffset != 0 {
		w.group("udp", int(f.TransportOffset), 8).run(udpRun, int(f.TransportOffset))
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
	end := l.js.topEnd
	if !l.streaming {
		end = 0
		for i := l.First(0); i > 0; i = l.Next(i) {
			if e := l.Offset(i) + l.Length(i); e > end {
				end = e
			}
		}
	}
	if end < len(f.Raw) && f.Result == ResultOK {
		w.raw("padding", end, len(f.Raw)-end)
	}
	if f.Result != ResultOK {
		w.add("result", 0, len(f.Raw), f.Result.String(), f.Reason.String())
	}
}

func (f *Frame) describeLink(w fieldWriter) {
	et := 0
	switch f.Link {
	case LinkEthernet:
		w.group("eth", 0, 14).run(ethRun, 0)
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
		g.run(ipv4Run, off)
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
		g.run(ipv6Run, off)
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

// Runs of fields listed in one go (fieldWriter.run), at offsets from the
// start of their header.
var (
	ethRun = newFieldRun(
		runField{name: "destination", off: 0, n: 6, kind: valueMAC},
		runField{name: "source", off: 6, n: 6, kind: valueMAC})
	ipv4Run = newFieldRun(
		runField{name: "version", off: 0, n: 1, kind: valueUint, mask: 0xf0},
		runField{name: "ihl", off: 0, n: 1, kind: valueUint, mask: 0x0f},
		runField{name: "dscp", off: 1, n: 1, kind: valueUint, mask: 0xfc},
		runField{name: "ecn", off: 1, n: 1, kind: valueUint, mask: 0x03},
		runField{name: "totalLength", off: 2, n: 2, kind: valueUint},
		runField{name: "identification", off: 4, n: 2, kind: valueHex},
		runField{name: "flags", off: 6, n: 2, kind: valueUint, mask: 0xe000},
		runField{name: "fragmentOffset", off: 6, n: 2, kind: valueUint, mask: 0x1fff},
		runField{name: "ttl", off: 8, n: 1, kind: valueUint},
		runField{name: "protocol", off: 9, n: 1, kind: valueUint},
		runField{name: "checksum", off: 10, n: 2, kind: valueHex},
		runField{name: "source", off: 12, n: 4, kind: valueIP},
		runField{name: "destination", off: 16, n: 4, kind: valueIP})
	ipv6Run = newFieldRun(
		runField{name: "version", off: 0, n: 4, kind: valueUint, mask: 0xf0000000},
		runField{name: "trafficClass", off: 0, n: 4, kind: valueUint, mask: 0x0ff00000},
		runField{name: "flowLabel", off: 0, n: 4, kind: valueUint, mask: 0x000fffff},
		runField{name: "payloadLength", off: 4, n: 2, kind: valueUint},
		runField{name: "nextHeader", off: 6, n: 1, kind: valueUint},
		runField{name: "hopLimit", off: 7, n: 1, kind: valueUint},
		runField{name: "source", off: 8, n: 16, kind: valueIP},
		runField{name: "destination", off: 24, n: 16, kind: valueIP})
	udpRun = newFieldRun(
		runField{name: "srcPort", off: 0, n: 2, kind: valueUint},
		runField{name: "dstPort", off: 2, n: 2, kind: valueUint},
		runField{name: "length", off: 4, n: 2, kind: valueUint},
		runField{name: "checksum", off: 6, n: 2, kind: valueHex})
	v2HeaderRun1 = newFieldRun(
		runField{name: "minorVersionPTP", off: 1, n: 1, kind: valueUint, mask: 0xf0},
		runField{name: "versionPTP", off: 1, n: 1, kind: valueUint, mask: 0x0f},
		runField{name: "messageLength", off: 2, n: 2, kind: valueUint},
		runField{name: "domainNumber", off: 4, n: 1, kind: valueUint},
		runField{name: "minorSdoId", off: 5, n: 1, kind: valueUint})
	v2HeaderRun2 = newFieldRun(
		runField{name: "sequenceId", off: 30, n: 2, kind: valueUint},
		runField{name: "controlField", off: 32, n: 1, kind: valueUint},
		runField{name: "logMessageInterval", off: 33, n: 1, kind: valueInt})
	timestampRun = newFieldRun(
		runField{name: "secondsField", off: 0, n: 6, kind: valueUint},
		runField{name: "nanosecondsField", off: 6, n: 4, kind: valueUint})
)

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
	h.run(v2HeaderRun1, off)
	fl := h.group("flagField", off+6, 2)
	fl.setValueLazy(valueHex, off+6, 2)
	fl.flags(off + 6)
	c := h.int("correctionField", off+8, 8)
	a := h.arena()
	start := len(a)
	a = appendCorrectionNs(a, c)
	h.setLastTextArena(append(a, " ns"...), start)
	h.hex("messageTypeSpecific", off+16, 4)
	h.portIdentity("sourcePortIdentity", off+20)
	h.run(v2HeaderRun2, off)

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
		g.setText(t.String())
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

// fieldWriter appends located fields to a FieldList, reading values from
// b, the frame (or the frame cut where reads must stop: b always starts at
// the frame's first octet). Reads past the end of b add a field marked
// truncated instead of panicking. g is the group the writer fills (0: the
// top level).
type fieldWriter struct {
	b []byte
	l *FieldList
	g int32
}

func (w fieldWriter) ok(off, n int) bool { return off >= 0 && n >= 0 && off+n <= len(w.b) }

// node adds a field without a value to w's group and returns its index.
func (w fieldWriter) node(name string, off, n int, text string) int32 {
	return w.l.add(w.g, name, off, n, text)
}

// add appends a field whose value is the string value and returns its
// index. The value is copied; callers on the common paths use the typed
// writers below, which format nothing until the list is written out.
func (w fieldWriter) add(name string, off, n int, value, text string) int32 {
	i := w.node(name, off, n, text)
	w.l.setValueString(i, value)
	return i
}

// addBytes is add with the value given as octets, copied.
func (w fieldWriter) addBytes(name string, off, n int, value []byte, text string) int32 {
	i := w.node(name, off, n, text)
	w.l.setValueBytes(i, value)
	return i
}

// lazy adds a field whose value is formatted from the frame's octets at
// off, n in the given way when it is read.
func (w fieldWriter) lazy(name string, off, n int, k valueKind, mask uint64, text string) int32 {
	return w.l.addLazy(w.g, name, off, n, k, mask, text)
}

// hasLast reports whether w's group has a field yet.
func (w fieldWriter) hasLast() bool { return w.l.last(w.g) != 0 }

// lastIndex is the index of the newest field of w's group.
func (w fieldWriter) lastIndex() int32 { return w.l.last(w.g) }

// setLastText sets the text of w's newest field.
func (w fieldWriter) setLastText(text string) { w.l.setText(w.lastIndex(), text) }

// setValue sets the value of the group w fills (copied).
func (w fieldWriter) setValue(v string) { w.l.setValueString(w.g, v) }

// setValueBytes sets the value of the group w fills (copied).
func (w fieldWriter) setValueBytes(v []byte) { w.l.setValueBytes(w.g, v) }

// setValueLazy sets the value of the group w fills, formatted from the
// octets at off, n when it is read.
func (w fieldWriter) setValueLazy(k valueKind, off, n int) {
	nd := w.l.node(w.g)
	nd.kind, nd.voff, nd.vn, nd.mask = k, int32(off), int32(n), 0
}

// setText sets the text of the group w fills.
func (w fieldWriter) setText(text string) { w.l.setText(w.g, text) }

// arena returns the list's spare octets for a caller to append a value or
// text to, finished with setLastValueArena or setLastTextArena.
func (w fieldWriter) arena() []byte { return w.l.arena }

// setLastTextArena sets the text of w's newest field to the octets the
// caller appended to arena() since it took it (whose length was start).
func (w fieldWriter) setLastTextArena(b []byte, start int) {
	w.l.arena = b
	w.l.setTextSpan(w.lastIndex(), start, len(b))
}

// setValueArena sets the value of the group w fills to the octets the
// caller appended to arena() since it took it (whose length was start).
func (w fieldWriter) setValueArena(b []byte, start int) {
	w.l.arena = b
	nd := w.l.node(w.g)
	nd.kind, nd.voff, nd.vn, nd.mask = valueArena, int32(start), int32(len(b)-start), 0
}

// setValueArenaOf sets the value of field i to the octets the caller
// appended to arena() since it took it (whose length was start).
func (w fieldWriter) setValueArenaOf(i int32, b []byte, start int) {
	w.l.arena = b
	nd := w.l.node(i)
	nd.kind, nd.voff, nd.vn, nd.mask = valueArena, int32(start), int32(len(b)-start), 0
}

// appendText adds s to the text of the group w fills.
func (w fieldWriter) appendText(s string) {
	start := len(w.l.arena)
	a := w.l.appendTextOf(w.l.arena, w.l.node(w.g))
	w.l.arena = append(a, s...)
	w.l.setTextSpan(w.g, start, len(w.l.arena))
}

// copyLast gives the group w fills the value and text of its newest field.
func (w fieldWriter) copyLast() {
	last := *w.l.node(w.lastIndex())
	nd := w.l.node(w.g)
	nd.kind, nd.voff, nd.vn, nd.mask = last.kind, last.voff, last.vn, last.mask
	nd.text, nd.ts, nd.tn = last.text, last.ts, last.tn
	nd.flags = nd.flags&^(textArena|textClockIdentity) | last.flags&(textArena|textClockIdentity)
}

// group appends a field whose children the returned writer fills.
// A group reaching past the end of the frame is cut to the octets present
// and marked truncated.
func (w fieldWriter) group(name string, off, n int) fieldWriter {
	text := ""
	if off+n > len(w.b) {
		n, text = max(0, len(w.b)-off), "truncated"
	}
	return fieldWriter{b: w.b, l: w.l, g: w.l.addGroup(w.g, name, off, n, text)}
}

func (w fieldWriter) truncated(name string, off, n int) {
	w.node(name, off, n, "truncated")
}

// be reads n ≤ 8 octets at off as a big-endian unsigned integer.
func (w fieldWriter) be(off, n int) uint64 { return readBE(w.b[off : off+n]) }

func readBE(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

func (w fieldWriter) uint(name string, off, n int) uint64 {
	if !w.ok(off, n) {
		w.truncated(name, off, n)
		return 0
	}
	w.lazy(name, off, n, valueUint, 0, "")
	return w.be(off, n)
}

func (w fieldWriter) int(name string, off, n int) int64 {
	if !w.ok(off, n) {
		w.truncated(name, off, n)
		return 0
	}
	w.lazy(name, off, n, valueInt, 0, "")
	return readInt(w.b[off : off+n])
}

func readInt(b []byte) int64 {
	n := uint(len(b))
	return int64(readBE(b)<<(64-8*n)) >> (64 - 8*n)
}

func (w fieldWriter) hex(name string, off, n int) {
	if !w.ok(off, n) {
		w.truncated(name, off, n)
		return
	}
	w.lazy(name, off, n, valueHex, 0, "")
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
	w.lazy(name, off, n, valueRaw, 0, "")
}

func (w fieldWriter) enum(name string, off, n int, text string) uint64 {
	if !w.ok(off, n) {
		w.truncated(name, off, n)
		return 0
	}
	w.lazy(name, off, n, valueUint, 0, text)
	return w.be(off, n)
}

// bits lists the bits of mask within the n octets at off, shifted down.
func (w fieldWriter) bits(name string, off, n int, mask uint64, text string) uint64 {
	if !w.ok(off, n) {
		w.truncated(name, off, n)
		return 0
	}
	w.lazy(name, off, n, valueUint, mask, text)
	return maskBits(readBE(w.b[off:off+n]), mask)
}

// appendCorrectionNs appends v/65536 (a correction in 2^-16 ns) as
// strconv.AppendFloat(b, float64(v)/65536, 'f', -1, 64) writes it; a
// whole number of nanoseconds, the usual case, is written as an integer
// without the float's shortest-digits search (the same digits: |v>>16| is
// below 2^47, where every integer is a float64).
func appendCorrectionNs(b []byte, v int64) []byte {
	if v&0xffff == 0 {
		return strconv.AppendInt(b, v>>16, 10)
	}
	return strconv.AppendFloat(b, float64(v)/65536, 'f', -1, 64)
}

// maskBits returns the bits of mask in v, shifted down.
func maskBits(v, mask uint64) uint64 {
	return (v & mask) >> (uint(bits.TrailingZeros64(mask)) & 63)
}

// flags lists the bits of a PTPv2 flagField at off by name (FlagNames),
// the group w fills holding nothing else. While AppendJSON runs they are
// written in one go from keys made once.
func (w fieldWriter) flags(off int) {
	if w.l.streaming && w.ok(off, 2) && w.l.jsonFlags(w.g, off) {
		return
	}
	for _, nf := range FlagNames {
		w.bits(nf.Name, off, 2, uint64(nf.Flag), "")
	}
}

// run lists the fields of r at base as uint, int, hex and bits do,
// written in one go while AppendJSON runs.
func (w fieldWriter) run(r *fieldRun, base int) {
	if w.l.streaming && base >= 0 && base+r.end <= len(w.b) && w.l.jsonRun(w.g, r, base) {
		return
	}
	for _, f := range r.fields {
		if !w.ok(base+f.off, f.n) {
			w.truncated(f.name, base+f.off, f.n)
			continue
		}
		w.lazy(f.name, base+f.off, f.n, f.kind, f.mask, "")
	}
}

func (w fieldWriter) flag(name string, off, n int, mask uint64) bool {
	return w.bits(name, off, n, mask, "") != 0
}

func (w fieldWriter) mac(name string, off int) {
	if !w.ok(off, 6) {
		w.truncated(name, off, 6)
		return
	}
	w.lazy(name, off, 6, valueMAC, 0, "")
}

func (w fieldWriter) clockIdentity(name string, off int) {
	if !w.ok(off, 8) {
		w.truncated(name, off, 8)
		return
	}
	i := w.lazy(name, off, 8, valueRaw, 0, "")
	w.l.node(i).flags |= textClockIdentity
}

func (w fieldWriter) portIdentity(name string, off int) {
	if !w.ok(off, 10) {
		w.truncated(name, off, 10)
		return
	}
	g := w.group(name, off, 10)
	g.setValueLazy(valuePortIdentity, off, 10)
	g.clockIdentity("clockIdentity", off)
	g.uint("portNumber", off+8, 2)
}

func (w fieldWriter) timestamp(name string, off int) {
	if !w.ok(off, 10) {
		w.truncated(name, off, 10)
		return
	}
	g := w.group(name, off, 10)
	g.setValueLazy(valueTimestamp, off, 10)
	g.run(timestampRun, off)
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
	g.setValueBytes(w.b[off+1 : off+1+n])
	g.uint("lengthField", off, 1)
	g.addBytes("textField", off+1, n, w.b[off+1:off+1+n], "")
	return 1 + n
}

// ClockAccuracyString names a clockAccuracy value (§7.6.2.6, Table 5).
func ClockAccuracyString(a uint8) string { return clockAccuracyNames[a] }

var clockAccuracyNames = func() (t [256]string) {
	for i := range t {
		t[i] = clockAccuracyString(uint8(i))
	}
	return t
}()

func clockAccuracyString(a uint8) string {
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
