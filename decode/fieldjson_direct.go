package decode

import (
	"encoding/binary"
	"net/netip"
	"strconv"
)

// The direct JSON writer: the layers of the frames a capture is mostly
// made of (an event or general PTPv2 message over Ethernet with at most
// one VLAN tag, as IEEE 802.3 or over UDP/IPv4 with a 20-octet header or
// UDP/IPv6 without extension headers) written straight from the frame's
// octets, key by key, without listing the fields; TLVs after the body
// are listed as AppendJSON lists fields, into the open "ptp" group. It
// writes what AppendMembersJSON writes from Describe's list, byte for
// byte: the describers (describeLink, describeNetwork, describeV2 and the
// fieldWriter helpers) are the definition and this file must follow
// them; TestAppendJSONMatchesList, TestAppendJSONDirect and
// FuzzAppendJSON hold it to them. Every other frame goes the listing way.

// directResult is what appendDirectJSON did with a frame.
type directResult uint8

const (
	directNo   directResult = iota // not a frame it knows: nothing written
	directDone                     // written
	directList                     // its TLVs need the list: start again from there
)

// directBody marks the message types whose body the direct writer knows.
var directBody = [16]bool{Sync: true, DelayReq: true, PdelayReq: true, PdelayResp: true,
	FollowUp: true, DelayResp: true, PdelayRespFollowUp: true, Announce: true}

// Leaf values with a meaning, written once as AppendMembersJSON writes
// them (leafJSON): messageType under each of its 16 values, clockAccuracy
// and timeSource under each of their 256.
var (
	messageTypeJSON = func() (t [16]string) {
		for i := range t {
			t[i] = leafJSON(uint64(i), MessageType(i).String())
		}
		return t
	}()
	clockAccuracyJSON = func() (t [256]string) {
		for i := range t {
			t[i] = leafJSON(uint64(i), ClockAccuracyString(uint8(i)))
		}
		return t
	}()
	timeSourceJSON = func() (t [256]string) {
		for i := range t {
			t[i] = leafJSON(uint64(i), TimeSource(i).String())
		}
		return t
	}()
)

// leafJSON is the JSON of a field of decimal value v and text text, as
// appendLeafJSON writes it.
func leafJSON(v uint64, text string) string {
	value := strconv.FormatUint(v, 10)
	if text == "" || text == value {
		return `"` + value + `"`
	}
	return string(AppendJSONString([]byte(`{"value":"`+value+`","text":`), text)) + "}"
}

// flagFieldJSON is a flagField group's children with every flag 0, as
// jsonFlags writes them, and flagDigit where each flag's digit is.
var flagFieldJSON, flagDigit = func() (s string, at [len(FlagNames)]int) {
	b := []byte{'{'}
	for k, nf := range FlagNames {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, nf.Name...)
		b = append(b, `":"`...)
		at[k] = len(b)
		b = append(b, `0"`...)
	}
	return string(b), at
}()

// appendDirectJSON appends the layers of f as AppendJSON does and reports
// directDone; or reports directNo, having appended nothing, for a frame
// it does not know; or directList for one whose TLVs only the list can
// write (the octets after len(b) are then garbage).
func (l *FieldList) appendDirectJSON(b []byte, f *Frame) ([]byte, directResult) {
	raw := f.Raw
	if f.Link != LinkEthernet || f.Result != ResultOK || f.Version != 2 || f.NumVLANs > 1 {
		return b, directNo
	}
	off, n := int(f.PTPOffset), int(f.PTPLength)
	if n < HeaderLength || off+n > len(raw) {
		return b, directNo
	}
	mt := MessageType(raw[off] & 0x0f)
	ml := min(int(binary.BigEndian.Uint16(raw[off+2:])), n)
	if !directBody[mt] || ml < HeaderLength+int(bodyLength[mt]) {
		return b, directNo // a cut body or a message of another type
	}
	et := 12 + 4*int(f.NumVLANs)
	end := max(off+ml, et+2) // where the last layer ends (describe's padding)
	no, to := int(f.NetworkOffset), int(f.TransportOffset)
	switch f.EtherType {
	case EtherTypePTP:
		if to != 0 {
			return b, directNo
		}
	case EtherTypeIPv4:
		if no+20 > len(raw) || raw[no]&0x0f != 5 || to == 0 || to+8 > len(raw) {
			return b, directNo
		}
		end = max(end, no+20, to+8)
	case EtherTypeIPv6:
		if to != no+40 || to+8 > len(raw) {
			return b, directNo
		}
		end = max(end, to+8)
	default:
		return b, directNo
	}

	b = append(b, `"eth":{"destination":"`...)
	b = appendMAC(b, raw[0:6])
	b = append(b, `","source":"`...)
	b = appendMAC(b, raw[6:12])
	b = append(b, `"},`...)
	if f.NumVLANs == 1 {
		tci := uint64(binary.BigEndian.Uint16(raw[14:]))
		b = append(b, `"vlan":{"tpid":"0x`...)
		b = appendHexOctets(b, raw[12:14])
		b = append(b, `","pcp":"`...)
		b = append(b, byte('0'+tci>>13))
		b = append(b, `","dei":"`...)
		b = append(b, byte('0'+tci>>12&1))
		b = append(b, `","vid":"`...)
		b = appendDecimal(b, tci&0x0fff)
		b = append(b, `"},`...)
	}
	b = append(b, `"etherType":"0x`...)
	b = appendHexOctets(b, raw[et:et+2])
	b = append(b, '"')

	switch f.EtherType {
	case EtherTypeIPv4:
		h := raw[no : no+20]
		b = append(b, `,"ipv4":{"version":"`...)
		b = appendDecimal(b, uint64(h[0]>>4))
		b = append(b, `","ihl":"`...)
		b = appendDecimal(b, uint64(h[0]&0x0f))
		b = append(b, `","dscp":"`...)
		b = appendDecimal(b, uint64(h[1]>>2))
		b = append(b, `","ecn":"`...)
		b = appendDecimal(b, uint64(h[1]&3))
		b = append(b, `","totalLength":"`...)
		b = appendDecimal(b, uint64(binary.BigEndian.Uint16(h[2:])))
		b = append(b, `","identification":"0x`...)
		b = appendHexOctets(b, h[4:6])
		b = append(b, `","flags":"`...)
		b = appendDecimal(b, uint64(h[6]>>5))
		b = append(b, `","fragmentOffset":"`...)
		b = appendDecimal(b, uint64(binary.BigEndian.Uint16(h[6:])&0x1fff))
		b = append(b, `","ttl":"`...)
		b = appendDecimal(b, uint64(h[8]))
		b = append(b, `","protocol":"`...)
		b = appendDecimal(b, uint64(h[9]))
		b = append(b, `","checksum":"0x`...)
		b = appendHexOctets(b, h[10:12])
		b = append(b, `","source":"`...)
		b = appendIPv4(b, h[12:16])
		b = append(b, `","destination":"`...)
		b = appendIPv4(b, h[16:20])
		b = append(b, `"}`...)
	case EtherTypeIPv6:
		h := raw[no : no+40]
		v := binary.BigEndian.Uint32(h)
		b = append(b, `,"ipv6":{"version":"`...)
		b = appendDecimal(b, uint64(v>>28))
		b = append(b, `","trafficClass":"`...)
		b = appendDecimal(b, uint64(v>>20&0xff))
		b = append(b, `","flowLabel":"`...)
		b = appendDecimal(b, uint64(v&0x000fffff))
		b = append(b, `","payloadLength":"`...)
		b = appendDecimal(b, uint64(binary.BigEndian.Uint16(h[4:])))
		b = append(b, `","nextHeader":"`...)
		b = appendDecimal(b, uint64(h[6]))
		b = append(b, `","hopLimit":"`...)
		b = appendDecimal(b, uint64(h[7]))
		b = append(b, `","source":"`...)
		b = netip.AddrFrom16([16]byte(h[8:24])).AppendTo(b)
		b = append(b, `","destination":"`...)
		b = netip.AddrFrom16([16]byte(h[24:40])).AppendTo(b)
		b = append(b, `"}`...)
	}
	if to != 0 {
		u := raw[to : to+8]
		b = append(b, `,"udp":{"srcPort":"`...)
		b = appendDecimal(b, uint64(binary.BigEndian.Uint16(u)))
		b = append(b, `","dstPort":"`...)
		b = appendDecimal(b, uint64(binary.BigEndian.Uint16(u[2:])))
		b = append(b, `","length":"`...)
		b = appendDecimal(b, uint64(binary.BigEndian.Uint16(u[4:])))
		b = append(b, `","checksum":"0x`...)
		b = appendHexOctets(b, u[6:8])
		b = append(b, `"}`...)
	}

	p := raw[off : off+ml]
	b = append(b, `,"ptp":{"header":{"majorSdoId":"`...)
	b = appendDecimal(b, uint64(p[0]>>4))
	b = append(b, `","messageType":`...)
	b = append(b, messageTypeJSON[mt]...)
	b = append(b, `,"minorVersionPTP":"`...)
	b = appendDecimal(b, uint64(p[1]>>4))
	b = append(b, `","versionPTP":"`...)
	b = appendDecimal(b, uint64(p[1]&0x0f))
	b = append(b, `","messageLength":"`...)
	b = appendDecimal(b, uint64(binary.BigEndian.Uint16(p[2:])))
	b = append(b, `","domainNumber":"`...)
	b = appendDecimal(b, uint64(p[4]))
	b = append(b, `","minorSdoId":"`...)
	b = appendDecimal(b, uint64(p[5]))
	b = append(b, `","flagField":`...)
	at := len(b)
	b = append(b, flagFieldJSON...)
	flags := Flags(binary.BigEndian.Uint16(p[6:]))
	for k := range FlagNames {
		if flags&FlagNames[k].Flag != 0 {
			b[at+flagDigit[k]] = '1'
		}
	}
	b = append(b, `,"_value":"0x`...)
	b = appendHexOctets(b, p[6:8])
	b = append(b, `"},"correctionField":{"value":"`...)
	c := int64(binary.BigEndian.Uint64(p[8:]))
	b = strconv.AppendInt(b, c, 10)
	b = append(b, `","text":"`...)
	b = appendCorrectionNs(b, c)
	b = append(b, ` ns"},"messageTypeSpecific":"0x`...)
	b = appendHexOctets(b, p[16:20])
	b = append(b, `","sourcePortIdentity":`...)
	b = appendPortIdentityJSON(b, p[20:30])
	b = append(b, `,"sequenceId":"`...)
	b = appendDecimal(b, uint64(binary.BigEndian.Uint16(p[30:])))
	b = append(b, `","controlField":"`...)
	b = appendDecimal(b, uint64(p[32]))
	b = append(b, `","logMessageInterval":"`...)
	b = strconv.AppendInt(b, int64(int8(p[33])), 10)
	b = append(b, `"},"body":{`...)

	q := p[HeaderLength:]
	switch mt {
	case Sync, DelayReq:
		b = appendTimestampJSON(b, `"originTimestamp":`, q)
	case PdelayReq:
		b = appendTimestampJSON(b, `"originTimestamp":`, q)
		b = append(b, `,"reserved":"`...)
		b = appendHexOctets(b, q[10:20])
		b = append(b, '"')
	case FollowUp:
		b = appendTimestampJSON(b, `"preciseOriginTimestamp":`, q)
	case DelayResp:
		b = appendTimestampJSON(b, `"receiveTimestamp":`, q)
		b = append(b, `,"requestingPortIdentity":`...)
		b = appendPortIdentityJSON(b, q[10:20])
	case PdelayResp:
		b = appendTimestampJSON(b, `"requestReceiptTimestamp":`, q)
		b = append(b, `,"requestingPortIdentity":`...)
		b = appendPortIdentityJSON(b, q[10:20])
	case PdelayRespFollowUp:
		b = appendTimestampJSON(b, `"responseOriginTimestamp":`, q)
		b = append(b, `,"requestingPortIdentity":`...)
		b = appendPortIdentityJSON(b, q[10:20])
	case Announce:
		b = appendTimestampJSON(b, `"originTimestamp":`, q)
		b = append(b, `,"currentUtcOffset":"`...)
		b = strconv.AppendInt(b, int64(int16(binary.BigEndian.Uint16(q[10:]))), 10)
		b = append(b, `","reserved":"`...)
		b = appendHexOctets(b, q[12:13])
		b = append(b, `","grandmasterPriority1":"`...)
		b = appendDecimal(b, uint64(q[13]))
		b = append(b, `","grandmasterClockQuality":{"clockClass":"`...)
		b = appendDecimal(b, uint64(q[14]))
		b = append(b, `","clockAccuracy":`...)
		b = append(b, clockAccuracyJSON[q[15]]...)
		b = append(b, `,"offsetScaledLogVariance":"0x`...)
		b = appendHexOctets(b, q[16:18])
		b = append(b, `"},"grandmasterPriority2":"`...)
		b = appendDecimal(b, uint64(q[18]))
		b = append(b, `","grandmasterIdentity":`...)
		b = appendClockIdentityJSON(b, q[19:27])
		b = append(b, `,"stepsRemoved":"`...)
		b = appendDecimal(b, uint64(binary.BigEndian.Uint16(q[27:])))
		b = append(b, `","timeSource":`...)
		b = append(b, timeSourceJSON[q[29]]...)
	}
	b = append(b, '}')
	if tlvs := off + HeaderLength + int(bodyLength[mt]); tlvs < off+ml {
		var ok bool
		if b, ok = l.jsonTLVs(b, f, tlvs, off+ml); !ok {
			return b, directList
		}
	}
	b = append(b, '}')
	if end < len(raw) {
		b = append(b, `,"padding":"`...)
		b = appendHexOctets(b, raw[end:])
		b = append(b, '"')
	}
	return b, directDone
}

// jsonTLVs lists the TLVs in f.Raw[off:end] as AppendJSON lists fields,
// into the "ptp" group that appendDirectJSON has written up to its body,
// and reports whether they could be written so (not when two share a
// name, as two TLVs do).
func (l *FieldList) jsonTLVs(b []byte, f *Frame, off, end int) ([]byte, bool) {
	const ptp = 1 // the group's number here: any but 0, the top level's
	l.reset(f.Raw)
	s := &l.js
	s.b = b
	s.names = append(s.names[:0], "header", "body")
	// Nothing is listed at the top level here: the "ptp" group is its
	// last member and stays open until the TLVs are written.
	s.open = append(s.open[:0], jsonGroup{kids: 1},
		jsonGroup{nd: fieldNode{sig: nameSig("header") | nameSig("body")}, i: ptp, kids: 2})
	s.next, s.topEnd, s.bad, s.leafIdx = ptp+1, 0, false, 0
	l.streaming = true
	describeTLVs(fieldWriter{b: f.Raw, l: l, g: ptp}, off, end, false)
	l.jsonLeafDone()
	for len(s.open) > 2 {
		l.jsonClose()
	}
	l.streaming = false
	b, s.b = s.b, nil
	if s.bad || len(s.open) != 2 {
		return b, false
	}
	return b, true
}

// appendTimestampJSON appends key and the Timestamp group of the ten
// octets of v (fieldWriter.timestamp).
func appendTimestampJSON(b []byte, key string, v []byte) []byte {
	b = append(b, key...)
	b = append(b, `{"secondsField":"`...)
	s := len(b)
	b = appendDecimal(b, uint64(binary.BigEndian.Uint16(v))<<32|uint64(binary.BigEndian.Uint32(v[2:])))
	e := len(b)
	b = append(b, `","nanosecondsField":"`...)
	ns := binary.BigEndian.Uint32(v[6:])
	b = appendDecimal(b, uint64(ns))
	b = append(b, `","_value":"`...)
	b = append(b, b[s:e]...)
	var frac [10]byte
	frac[0] = '.'
	for i := 9; i > 0; i-- {
		frac[i] = byte('0' + ns%10)
		ns /= 10
	}
	b = append(b, frac[:]...)
	return append(b, `"}`...)
}

// appendPortIdentityJSON appends the PortIdentity group of the ten octets
// of v (fieldWriter.portIdentity).
func appendPortIdentityJSON(b []byte, v []byte) []byte {
	b = append(b, `{"clockIdentity":`...)
	b = appendClockIdentityJSON(b, v[:8])
	b = append(b, `,"portNumber":"`...)
	s := len(b)
	b = appendDecimal(b, uint64(binary.BigEndian.Uint16(v[8:])))
	e := len(b)
	b = append(b, `","_value":"`...)
	b = ClockIdentity(v[:8]).AppendTo(b)
	b = append(b, '-')
	b = append(b, b[s:e]...)
	return append(b, `"}`...)
}

// appendClockIdentityJSON appends the clockIdentity leaf of the eight
// octets of v (fieldWriter.clockIdentity): the raw hex and the dotted text.
func appendClockIdentityJSON(b []byte, v []byte) []byte {
	b = append(b, `{"value":"`...)
	b = appendHexOctets(b, v)
	b = append(b, `","text":"`...)
	b = ClockIdentity(v).AppendTo(b)
	return append(b, `"}`...)
}

// appendMAC appends six octets as aa:bb:cc:dd:ee:ff.
func appendMAC(b []byte, v []byte) []byte {
	for j, c := range v {
		if j > 0 {
			b = append(b, ':')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return b
}

// appendIPv4 appends four octets as netip.Addr.AppendTo writes an IPv4
// address.
func appendIPv4(b []byte, v []byte) []byte {
	b = appendDecimal(b, uint64(v[0]))
	for _, c := range v[1:4] {
		b = append(b, '.')
		b = appendDecimal(b, uint64(c))
	}
	return b
}
