package decode

import (
	"encoding/hex"
	"strconv"
)

// ClockIdentity is the 8-octet identity of a PTP clock (§5.3.4, §7.5.2.2).
// It is comparable and may be used as a map key.
type ClockIdentity [8]byte

// AllClocks is the wildcard clockIdentity that addresses every clock in
// management messages (§15.3.1).
var AllClocks = ClockIdentity{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// AllPorts is the wildcard portNumber that addresses every port (§15.3.1).
const AllPorts uint16 = 0xffff

// AppendTo appends the identity as sixteen lower-case hex digits in the
// aa:bb:cc:ff:fe:dd:ee:ff style used by linuxptp (xxxxxx.xxxx.xxxxxx).
// It does not allocate when b has room.
func (c ClockIdentity) AppendTo(b []byte) []byte {
	const digits = "0123456789abcdef"
	for i, x := range c {
		if i == 3 || i == 5 {
			b = append(b, '.')
		}
		b = append(b, digits[x>>4], digits[x&0xf])
	}
	return b
}

// String returns the identity in linuxptp's xxxxxx.xxxx.xxxxxx form.
func (c ClockIdentity) String() string { return string(c.AppendTo(make([]byte, 0, 18))) }

// Hex returns the identity as sixteen hex digits without separators.
func (c ClockIdentity) Hex() string { return hex.EncodeToString(c[:]) }

// IsEUI64FromEUI48 reports whether the identity was built from a MAC address
// by inserting FF:FE in the middle (the 2008 edition's recommended mapping),
// in which case OUI returns the vendor prefix of that MAC.
func (c ClockIdentity) IsEUI64FromEUI48() bool { return c[3] == 0xff && c[4] == 0xfe }

// OUI returns the first three octets, the IEEE organizationally unique
// identifier when the identity is EUI-64 based.
func (c ClockIdentity) OUI() [3]byte { return [3]byte{c[0], c[1], c[2]} }

// PortIdentity names one PTP port: clockIdentity plus portNumber (§7.5.2).
// It is comparable and may be used as a map key.
type PortIdentity struct {
	Clock ClockIdentity
	Port  uint16
}

// AppendTo appends the port identity as clock-port, as linuxptp prints it.
func (p PortIdentity) AppendTo(b []byte) []byte {
	b = p.Clock.AppendTo(b)
	b = append(b, '-')
	return strconv.AppendUint(b, uint64(p.Port), 10)
}

// String returns the port identity as clock-port.
func (p PortIdentity) String() string { return string(p.AppendTo(make([]byte, 0, 24))) }

// Timestamp is a PTP timestamp: 48-bit seconds and 32-bit nanoseconds
// (§5.3.3). The zero value is the PTP epoch.
type Timestamp struct {
	Seconds     uint64 // only the low 48 bits travel on the wire
	Nanoseconds uint32
}

// UnixNano returns the timestamp as nanoseconds since the PTP epoch
// (1970-01-01 TAI for the PTP timescale). Values beyond int64 wrap.
func (t Timestamp) UnixNano() int64 { return int64(t.Seconds)*1e9 + int64(t.Nanoseconds) }

// AppendTo appends seconds.nanoseconds with nine fractional digits.
func (t Timestamp) AppendTo(b []byte) []byte {
	b = strconv.AppendUint(b, t.Seconds, 10)
	b = append(b, '.')
	var frac [9]byte
	n := t.Nanoseconds
	for i := 8; i >= 0; i-- {
		frac[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, frac[:]...)
}

// String returns seconds.nanoseconds.
func (t Timestamp) String() string { return string(t.AppendTo(make([]byte, 0, 24))) }

// TimeInterval is a PTP TimeInterval: nanoseconds multiplied by 2^16, as in
// correctionField (§5.3.2).
type TimeInterval int64

// Nanoseconds returns the interval in nanoseconds as a float, keeping the
// sub-nanosecond part.
func (t TimeInterval) Nanoseconds() float64 { return float64(t) / 65536 }

// ClockQuality is the quality triple a clock advertises (§5.3.7, §7.6.2).
type ClockQuality struct {
	Class                   uint8
	Accuracy                uint8
	OffsetScaledLogVariance uint16
}

// MessageType is the PTPv2 messageType nibble (§13.3.2.3, Table 36).
type MessageType uint8

// PTPv2 message types.
const (
	Sync               MessageType = 0x0
	DelayReq           MessageType = 0x1
	PdelayReq          MessageType = 0x2
	PdelayResp         MessageType = 0x3
	FollowUp           MessageType = 0x8
	DelayResp          MessageType = 0x9
	PdelayRespFollowUp MessageType = 0xA
	Announce           MessageType = 0xB
	Signaling          MessageType = 0xC
	Management         MessageType = 0xD
)

var messageTypeNames = [16]string{
	Sync: "Sync", DelayReq: "Delay_Req", PdelayReq: "Pdelay_Req", PdelayResp: "Pdelay_Resp",
	FollowUp: "Follow_Up", DelayResp: "Delay_Resp", PdelayRespFollowUp: "Pdelay_Resp_Follow_Up",
	Announce: "Announce", Signaling: "Signaling", Management: "Management",
	4: "Reserved(4)", 5: "Reserved(5)", 6: "Reserved(6)", 7: "Reserved(7)", 0xE: "Reserved(14)", 0xF: "Reserved(15)",
}

// String returns the name used in IEEE 1588, such as "Delay_Req".
func (t MessageType) String() string { return messageTypeNames[t&0xf] }

// IsEvent reports whether messages of this type are timestamped event
// messages (sent to UDP port 319).
func (t MessageType) IsEvent() bool { return t < 8 }

// bodyLength is the fixed part of each message after the 34-octet header.
var bodyLength = [16]uint8{
	Sync: 10, DelayReq: 10, PdelayReq: 20, PdelayResp: 20, FollowUp: 10,
	DelayResp: 20, PdelayRespFollowUp: 20, Announce: 30, Signaling: 10, Management: 14,
}

// Flags is the PTPv2 flagField (§13.3.2.8, Table 37). Bit 8 is octet 0 bit 0.
type Flags uint16

// PTPv2 flag bits, named as in Table 37.
const (
	FlagLeap61                   Flags = 1 << 0
	FlagLeap59                   Flags = 1 << 1
	FlagCurrentUTCOffsetValid    Flags = 1 << 2
	FlagPTPTimescale             Flags = 1 << 3
	FlagTimeTraceable            Flags = 1 << 4
	FlagFrequencyTraceable       Flags = 1 << 5
	FlagSynchronizationUncertain Flags = 1 << 6 // 1588-2019 only
	FlagAlternateMaster          Flags = 1 << 8
	FlagTwoStep                  Flags = 1 << 9
	FlagUnicast                  Flags = 1 << 10
	FlagProfileSpecific1         Flags = 1 << 13
	FlagProfileSpecific2         Flags = 1 << 14
	FlagSecurity                 Flags = 1 << 15
)

// FlagNames lists every named flag with its bit, in wire order.
var FlagNames = [...]struct {
	Flag Flags
	Name string
}{
	{FlagAlternateMaster, "alternateMasterFlag"},
	{FlagTwoStep, "twoStepFlag"},
	{FlagUnicast, "unicastFlag"},
	{FlagProfileSpecific1, "PTPProfileSpecific1"},
	{FlagProfileSpecific2, "PTPProfileSpecific2"},
	{FlagSecurity, "securityFlag"},
	{FlagLeap61, "leap61"},
	{FlagLeap59, "leap59"},
	{FlagCurrentUTCOffsetValid, "currentUtcOffsetValid"},
	{FlagPTPTimescale, "ptpTimescale"},
	{FlagTimeTraceable, "timeTraceable"},
	{FlagFrequencyTraceable, "frequencyTraceable"},
	{FlagSynchronizationUncertain, "synchronizationUncertain"},
}

// Has reports whether every bit of f2 is set.
func (f Flags) Has(f2 Flags) bool { return f&f2 == f2 }

// Transport is the way a PTP message travelled (§Annex C, D, E).
type Transport uint8

// Transports. The zero value means none was recognised. TransportL2 is
// IEEE 802.3 / Ethernet with EtherType 0x88F7 (Annex E), TransportUDPv4
// UDP over IPv4 (Annex C), TransportUDPv6 UDP over IPv6 (Annex D). String
// (generated) returns the short name in each comment, such as "UDP/IPv4".
const (
	TransportNone  Transport = iota // none
	TransportL2                     // IEEE 802.3
	TransportUDPv4                  // UDP/IPv4
	TransportUDPv6                  // UDP/IPv6
)

// LinkType is the capture link-layer type, numbered as pcap LINKTYPE values.
type LinkType uint16

// Link types the frame decoder understands.
const (
	LinkNull     LinkType = 0   // BSD loopback, 4-octet host-order family
	LinkEthernet LinkType = 1   // Ethernet II
	LinkRaw      LinkType = 101 // raw IPv4 or IPv6
	LinkSLL      LinkType = 113 // Linux cooked capture v1
	LinkIPv4     LinkType = 228
	LinkIPv6     LinkType = 229
	LinkSLL2     LinkType = 276 // Linux cooked capture v2
)

// Well-known PTP numbers.
const (
	EtherTypePTP    = 0x88F7
	EtherTypeIPv4   = 0x0800
	EtherTypeIPv6   = 0x86DD
	EtherType8021Q  = 0x8100
	EtherType8021AD = 0x88A8
	EtherTypeQinQ   = 0x9100 // pre-standard double tagging
	PortEvent       = 319
	PortGeneral     = 320
	MaxVLANs        = 4
)

// PTP multicast MAC addresses (Annex E).
var (
	MACPrimary = [6]byte{0x01, 0x1b, 0x19, 0x00, 0x00, 0x00} // all PTP except peer delay
	MACPdelay  = [6]byte{0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e} // peer delay and 802.1AS
)

// VLANTag is one 802.1Q/802.1ad tag.
type VLANTag struct {
	TPID uint16 // 0x8100, 0x88A8 or 0x9100
	PCP  uint8  // priority code point, 0-7
	DEI  bool   // drop eligible indicator
	VID  uint16 // VLAN identifier, 0-4095
}
