package decode

import (
	"encoding/binary"
	"reflect"
	"strconv"
	"strings"
	"unsafe"
)

// PTPv1 is IEEE 1588-2002. Its messages share nothing with PTPv2 beyond the
// UDP ports: a 40-octet common header (1588-2002 §8.2) starting with a
// 16-bit versionPTP of 1, then a fixed body chosen by the control field
// (§8.3 and the clauses after it). Multi-octet values are big-endian and,
// in the UDP/IP mapping of 1588-2002 Annex D, every field smaller than four
// octets sits at the right-hand end of its own 32-bit word, so the bodies
// are full of reserved octets. The offsets below follow Annex D, as ptpd
// 1.x and Wireshark's PTPv1 dissector lay them out; the tshark comparison
// test checks each one.
//
// PTPv1 has no messageLength: a message is as long as its datagram.

// PTPv1 message lengths and other sizes (1588-2002 Annex D).
const (
	V1HeaderLength     = 40  // common header
	V1SyncLength       = 124 // Sync and Delay_Req
	V1FollowUpLength   = 52
	V1DelayRespLength  = 60
	V1ManagementLength = 60 // a Management message before its messageParameters
	V1SubdomainLength  = 16 // subdomain name, NUL padded
)

// Values the header carries for PTPv1 over UDP/IPv4.
const (
	V1VersionPTP     = 1 // versionPTP of IEEE 1588-2002
	V1VersionNetwork = 1 // versionNetwork of the Annex D UDP/IP mapping
)

// V1DefaultSubdomain is the subdomain name of a PTPv1 clock that was given
// none; "_ALT1" to "_ALT3" name the alternate subdomains.
const V1DefaultSubdomain = "_DFLT"

// V1Control is the control field of a PTPv1 header: which message follows.
type V1Control uint8

// PTPv1 control values. Others are reserved.
const (
	V1Sync       V1Control = 0 // Sync
	V1DelayReq   V1Control = 1 // Delay_Req
	V1FollowUp   V1Control = 2 // Follow_Up
	V1DelayResp  V1Control = 3 // Delay_Resp
	V1Management V1Control = 4 // Management
)

// v1MessageLength is the smallest length of each control's message.
var v1MessageLength = [...]uint8{V1SyncLength, V1SyncLength, V1FollowUpLength, V1DelayRespLength, V1ManagementLength}

// String returns the message's name, such as "Delay_Req", or Reserved(n).
func (c V1Control) String() string { return enumName(c.name(), "V1Control(", "Reserved(") }

// IsValid reports whether c names a PTPv1 message.
func (c V1Control) IsValid() bool { return c <= V1Management }

// MinLength returns the octets a message of this control needs: the whole
// message, or for Management the part before its parameters. It returns 0
// for a reserved control.
func (c V1Control) MinLength() int {
	if int(c) < len(v1MessageLength) {
		return int(v1MessageLength[c])
	}
	return 0
}

// V1MessageType is the messageType octet of a PTPv1 header: whether the
// message is timestamped (event, UDP port 319) or not (general, port 320).
type V1MessageType uint8

// PTPv1 message types: Sync and Delay_Req are event messages, Follow_Up,
// Delay_Resp and Management general ones.
const (
	V1EventMessage   V1MessageType = 1 // Event
	V1GeneralMessage V1MessageType = 2 // General
)

// String returns "Event", "General" or "Reserved(n)".
func (t V1MessageType) String() string { return enumName(t.name(), "V1MessageType(", "Reserved(") }

// V1Flags is the 16-bit flags field of a PTPv1 header. Flag n is bit n of
// the big-endian value, so all seven live in the second octet.
type V1Flags uint16

// PTPv1 flags.
const (
	V1FlagLI61          V1Flags = 1 << 0 // PTP_LI_61: the last minute of the day has 61 seconds
	V1FlagLI59          V1Flags = 1 << 1 // PTP_LI_59: the last minute of the day has 59 seconds
	V1FlagBoundaryClock V1Flags = 1 << 2 // PTP_BOUNDARY_CLOCK
	V1FlagAssist        V1Flags = 1 << 3 // PTP_ASSIST: a Follow_Up carries the precise time
	V1FlagExtSync       V1Flags = 1 << 4 // PTP_EXT_SYNC: the clock follows an external source
	V1FlagParentStats   V1Flags = 1 << 5 // PARENT_STATS: the variance and drift estimates are valid
	V1FlagSyncBurst     V1Flags = 1 << 6 // PTP_SYNC_BURST
)

// V1FlagNames lists every PTPv1 flag with its name from 1588-2002, lowest
// bit first.
var V1FlagNames = [...]struct {
	Flag V1Flags
	Name string
}{
	{V1FlagLI61, "PTP_LI_61"},
	{V1FlagLI59, "PTP_LI_59"},
	{V1FlagBoundaryClock, "PTP_BOUNDARY_CLOCK"},
	{V1FlagAssist, "PTP_ASSIST"},
	{V1FlagExtSync, "PTP_EXT_SYNC"},
	{V1FlagParentStats, "PARENT_STATS"},
	{V1FlagSyncBurst, "PTP_SYNC_BURST"},
}

// Has reports whether every bit of f2 is set.
func (f V1Flags) Has(f2 V1Flags) bool { return f&f2 == f2 }

// V1CommunicationTechnology says what kind of network a PTPv1 port is on;
// with a UUID and a port number it makes up a PTPv1 port identity.
type V1CommunicationTechnology uint8

// Communication technologies of IEEE 1588-2002. Values 2, 3 and 11 to 242
// are reserved.
const (
	V1CommClosed     V1CommunicationTechnology = 0 // closed system outside the standard
	V1CommEthernet   V1CommunicationTechnology = 1 // IEEE 802.3
	V1CommFFBus      V1CommunicationTechnology = 4 // FOUNDATION fieldbus
	V1CommProfibus   V1CommunicationTechnology = 5
	V1CommLonTalk    V1CommunicationTechnology = 6
	V1CommDeviceNet  V1CommunicationTechnology = 7
	V1CommSDS        V1CommunicationTechnology = 8 // Smart Distributed System
	V1CommControlNet V1CommunicationTechnology = 9
	V1CommCANopen    V1CommunicationTechnology = 10
	V1CommIEEE1394   V1CommunicationTechnology = 243
	V1CommIEEE80211a V1CommunicationTechnology = 244
	V1CommIEEE80211b V1CommunicationTechnology = 245 // PTP_IEEE_WIRELESS
	V1CommInfiniBand V1CommunicationTechnology = 246
	V1CommBluetooth  V1CommunicationTechnology = 247
	V1CommIEEE802151 V1CommunicationTechnology = 248 // IEEE 802.15.1
	V1CommIEEE14513  V1CommunicationTechnology = 249 // IEEE 1451.3
	V1CommIEEE14515  V1CommunicationTechnology = 250 // IEEE 1451.5
	V1CommUSB        V1CommunicationTechnology = 251
	V1CommISA        V1CommunicationTechnology = 252
	V1CommPCI        V1CommunicationTechnology = 253
	V1CommVXI        V1CommunicationTechnology = 254
	V1CommDefault    V1CommunicationTechnology = 255
)

var v1CommLowNames = [...]string{0: "PTP_CLOSED", 1: "PTP_ETHER", 4: "PTP_FFBUS", 5: "PTP_PROFIBUS", 6: "PTP_LON",
	7: "PTP_DNET", 8: "PTP_SDS", 9: "PTP_CONTROLNET", 10: "PTP_CANOPEN"}

var v1CommHighNames = [...]string{"PTP_IEEE1394", "PTP_IEEE802_11A", "PTP_IEEE_WIRELESS", "PTP_INFINIBAND",
	"PTP_BLUETOOTH", "PTP_IEEE802_15_1", "PTP_IEEE1451_3", "PTP_IEEE1451_5", "PTP_USB", "PTP_ISA", "PTP_PCI",
	"PTP_VXI", "PTP_DEFAULT"}

// String returns the 1588-2002 name, such as "PTP_ETHER".
func (c V1CommunicationTechnology) String() string {
	if int(c) < len(v1CommLowNames) && v1CommLowNames[c] != "" {
		return v1CommLowNames[c]
	}
	if c >= V1CommIEEE1394 {
		return v1CommHighNames[c-V1CommIEEE1394]
	}
	return "Reserved(" + strconv.Itoa(int(c)) + ")"
}

// V1PortState is a PTPv1 port's state, as the PORT_DATA_SET reports it.
type V1PortState uint8

// PTPv1 port states.
const (
	V1PortInitializing V1PortState = iota // PTP_INITIALIZING
	V1PortFaulty                          // PTP_FAULTY
	V1PortDisabled                        // PTP_DISABLED
	V1PortListening                       // PTP_LISTENING
	V1PortPreMaster                       // PTP_PRE_MASTER
	V1PortMaster                          // PTP_MASTER
	V1PortPassive                         // PTP_PASSIVE
	V1PortUncalibrated                    // PTP_UNCALIBRATED
	V1PortSlave                           // PTP_SLAVE
)

// String returns the 1588-2002 name, such as "PTP_SLAVE", or Reserved(n).
func (s V1PortState) String() string { return enumName(s.name(), "V1PortState(", "Reserved(") }

// V1Time is a PTPv1 TimeRepresentation: unsigned seconds and a 32-bit
// nanoseconds field whose top bit is the sign of the whole value, the
// other 31 bits the magnitude below one second (sign and magnitude, as
// ptpd 1.x writes offsets; timestamps are never negative). Nanoseconds
// holds the field as it travels, so the type round-trips every bit pattern.
type V1Time struct {
	Seconds     uint32
	Nanoseconds int32
}

// IsNegative reports whether the sign bit is set.
func (t V1Time) IsNegative() bool { return t.Nanoseconds < 0 }

// Duration returns the signed value in nanoseconds.
func (t V1Time) Duration() int64 {
	v := int64(t.Seconds)*1e9 + int64(uint32(t.Nanoseconds)&0x7fffffff)
	if t.IsNegative() {
		return -v
	}
	return v
}

// AppendTo appends the value as [-]seconds.nanoseconds with at least nine
// fractional digits. It does not allocate when b has room.
func (t V1Time) AppendTo(b []byte) []byte {
	if t.IsNegative() {
		b = append(b, '-')
	}
	b = strconv.AppendUint(b, uint64(t.Seconds), 10)
	b = append(b, '.')
	ns := uint64(uint32(t.Nanoseconds) & 0x7fffffff)
	for d := uint64(1e8); d > 1 && ns < d; d /= 10 {
		b = append(b, '0')
	}
	return strconv.AppendUint(b, ns, 10)
}

// String returns [-]seconds.nanoseconds.
func (t V1Time) String() string { return string(t.AppendTo(make([]byte, 0, 24))) }

// V1ClockIdentifier is a four-character PTPv1 clock identifier such as
// "ATOM", "GPS", "NTP", "HAND", "INIT" or "DFLT", NUL padded.
type V1ClockIdentifier [4]byte

// String returns the identifier without NUL padding.
func (c V1ClockIdentifier) String() string { return string(trimNUL(c[:])) }

// trimNUL returns b up to its first NUL octet.
func trimNUL(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// V1Header is the PTPv1 common header (1588-2002 §8.2). The reserved
// octets 33 and 36 to 39 are not kept; encoders write them as zero.
type V1Header struct {
	VersionPTP     uint16 // 1
	VersionNetwork uint16 // 1 for the UDP/IP mapping of Annex D
	// SubdomainName is the subdomain, NUL padded; Subdomain returns it
	// without the padding.
	SubdomainName                 [V1SubdomainLength]byte
	MessageType                   V1MessageType
	SourceCommunicationTechnology V1CommunicationTechnology
	SourceUUID                    [6]byte // usually the sender's MAC address
	SourcePortID                  uint16
	SequenceID                    uint16
	Control                       V1Control
	Flags                         V1Flags
}

// Subdomain returns the subdomain name without its NUL padding. The slice
// points into h; it does not allocate.
func (h *V1Header) Subdomain() []byte { return trimNUL(h.SubdomainName[:]) }

// SetSubdomain sets the subdomain name, cutting it to 16 octets and padding
// it with NULs.
func (h *V1Header) SetSubdomain(name string) {
	h.SubdomainName = [V1SubdomainLength]byte{}
	copy(h.SubdomainName[:], name)
}

// V1SyncBody is the body of a Sync or Delay_Req message (1588-2002 §8.3):
// the sender's time and everything the best master clock algorithm of
// 1588-2002 compares, since PTPv1 has no Announce message.
type V1SyncBody struct {
	OriginTimestamp                    V1Time
	EpochNumber                        uint16
	CurrentUTCOffset                   int16
	GrandmasterCommunicationTechnology V1CommunicationTechnology
	GrandmasterClockUUID               [6]byte
	GrandmasterPortID                  uint16
	GrandmasterSequenceID              uint16
	GrandmasterClockStratum            uint8
	GrandmasterClockIdentifier         V1ClockIdentifier
	GrandmasterClockVariance           int16
	GrandmasterPreferred               bool
	GrandmasterIsBoundaryClock         bool
	SyncInterval                       int8 // log2 of the Sync interval in seconds
	LocalClockVariance                 int16
	LocalStepsRemoved                  uint16
	LocalClockStratum                  uint8
	LocalClockIdentifier               V1ClockIdentifier
	ParentCommunicationTechnology      V1CommunicationTechnology
	ParentUUID                         [6]byte
	ParentPortField                    uint16
	EstimatedMasterVariance            int16
	EstimatedMasterDrift               int32
	UTCReasonable                      bool
}

// V1FollowUpBody is the body of a Follow_Up message (1588-2002 clause 8).
type V1FollowUpBody struct {
	AssociatedSequenceID   uint16 // sequenceId of the Sync it follows
	PreciseOriginTimestamp V1Time
}

// V1DelayRespBody is the body of a Delay_Resp message (1588-2002 clause 8).
type V1DelayRespBody struct {
	DelayReceiptTimestamp                   V1Time
	RequestingSourceCommunicationTechnology V1CommunicationTechnology
	RequestingSourceUUID                    [6]byte
	RequestingSourcePortID                  uint16
	RequestingSourceSequenceID              uint16
}

// V1ManagementBody is the fixed part of a Management message (1588-2002
// clause 8); the messageParameters follow it in V1Message.Parameters.
type V1ManagementBody struct {
	TargetCommunicationTechnology V1CommunicationTechnology
	TargetUUID                    [6]byte
	TargetPortID                  uint16 // ptpd 1.x takes zero for every port
	StartingBoundaryHops          int16
	BoundaryHops                  int16
	MessageKey                    V1ManagementKey
	// ParameterLength is the parameterLength field as received. AppendTo
	// writes len(Parameters) instead.
	ParameterLength uint16
}

// V1Message is one PTPv1 (IEEE 1588-2002) message: the common header and
// the body its Control selects. Decode zeroes the bodies of other controls.
// All fields but Parameters are comparable values; Equal compares two
// messages in full.
type V1Message struct {
	V1Header
	Sync       V1SyncBody // Sync and Delay_Req
	FollowUp   V1FollowUpBody
	DelayResp  V1DelayRespBody
	Management V1ManagementBody
	// Parameters holds a Management message's messageParameters. After
	// Decode it aliases the input (capacity cut to its length, so appending
	// to it copies). The V1Parameters types (see NewV1Parameters) decode
	// and build it.
	Parameters []byte
}

// Equal reports whether m and o hold the same message, comparing
// Parameters by content (nil equals empty).
func (m *V1Message) Equal(o *V1Message) bool {
	return m.V1Header == o.V1Header && m.Sync == o.Sync && m.FollowUp == o.FollowUp &&
		m.DelayResp == o.DelayResp && m.Management == o.Management && string(m.Parameters) == string(o.Parameters)
}

// v1ParentDataSetQuirk is the parameterLength ptpd 1.x writes for its
// 88-octet PARENT_DATA_SET (Wireshark's notes quote 90 as well).
const v1ParentDataSetQuirk = 90

// Decode decodes a PTPv1 message from b, which holds the whole datagram.
// It resets m, fills what it can even when the result is not OK, and
// never allocates or panics. Octets after the message (and after a
// Management message's parameters) are ignored.
//
// It reports ReasonShortPTPHeader below 40 octets, ReasonUnknownVersion
// when versionPTP is not 1, ReasonUnknownMessageType for a reserved
// control, ReasonV1BadLength (Truncated) when the datagram ends inside the
// body, ReasonLengthBeyondFrame (Truncated) when parameterLength runs past
// the datagram, and ReasonV1BadLength (Malformed) when parameterLength is
// smaller than the managementMessageKey's data set.
func (m *V1Message) Decode(b []byte) (Result, Reason) {
	*m = V1Message{}
	if len(b) < V1HeaderLength {
		return ResultTruncated, ReasonShortPTPHeader
	}
	be := binary.BigEndian
	h := &m.V1Header
	h.VersionPTP = be.Uint16(b[0:2])
	h.VersionNetwork = be.Uint16(b[2:4])
	h.SubdomainName = [V1SubdomainLength]byte(b[4:20])
	h.MessageType = V1MessageType(b[20])
	h.SourceCommunicationTechnology = V1CommunicationTechnology(b[21])
	h.SourceUUID = [6]byte(b[22:28])
	h.SourcePortID = be.Uint16(b[28:30])
	h.SequenceID = be.Uint16(b[30:32])
	h.Control = V1Control(b[32])
	h.Flags = V1Flags(be.Uint16(b[34:36]))
	if h.VersionPTP != V1VersionPTP {
		return ResultMalformed, ReasonUnknownVersion
	}
	if !h.Control.IsValid() {
		return ResultMalformed, ReasonUnknownMessageType
	}
	if len(b) < h.Control.MinLength() {
		return ResultTruncated, ReasonV1BadLength
	}
	switch h.Control {
	case V1Sync, V1DelayReq:
		s := &m.Sync
		s.OriginTimestamp = readV1Time(b[40:48])
		s.EpochNumber = be.Uint16(b[48:50])
		s.CurrentUTCOffset = int16(be.Uint16(b[50:52]))
		s.GrandmasterCommunicationTechnology = V1CommunicationTechnology(b[53])
		s.GrandmasterClockUUID = [6]byte(b[54:60])
		s.GrandmasterPortID = be.Uint16(b[60:62])
		s.GrandmasterSequenceID = be.Uint16(b[62:64])
		s.GrandmasterClockStratum = b[67]
		s.GrandmasterClockIdentifier = V1ClockIdentifier(b[68:72])
		s.GrandmasterClockVariance = int16(be.Uint16(b[74:76]))
		s.GrandmasterPreferred = b[77] != 0
		s.GrandmasterIsBoundaryClock = b[79] != 0
		s.SyncInterval = int8(b[83])
		s.LocalClockVariance = int16(be.Uint16(b[86:88]))
		s.LocalStepsRemoved = be.Uint16(b[90:92])
		s.LocalClockStratum = b[95]
		s.LocalClockIdentifier = V1ClockIdentifier(b[96:100])
		s.ParentCommunicationTechnology = V1CommunicationTechnology(b[101])
		s.ParentUUID = [6]byte(b[102:108])
		s.ParentPortField = be.Uint16(b[110:112])
		s.EstimatedMasterVariance = int16(be.Uint16(b[114:116]))
		s.EstimatedMasterDrift = int32(be.Uint32(b[116:120]))
		s.UTCReasonable = b[123] != 0
	case V1FollowUp:
		m.FollowUp.AssociatedSequenceID = be.Uint16(b[42:44])
		m.FollowUp.PreciseOriginTimestamp = readV1Time(b[44:52])
	case V1DelayResp:
		d := &m.DelayResp
		d.DelayReceiptTimestamp = readV1Time(b[40:48])
		d.RequestingSourceCommunicationTechnology = V1CommunicationTechnology(b[49])
		d.RequestingSourceUUID = [6]byte(b[50:56])
		d.RequestingSourcePortID = be.Uint16(b[56:58])
		d.RequestingSourceSequenceID = be.Uint16(b[58:60])
	case V1Management:
		g := &m.Management
		g.TargetCommunicationTechnology = V1CommunicationTechnology(b[41])
		g.TargetUUID = [6]byte(b[42:48])
		g.TargetPortID = be.Uint16(b[48:50])
		g.StartingBoundaryHops = int16(be.Uint16(b[50:52]))
		g.BoundaryHops = int16(be.Uint16(b[52:54]))
		g.MessageKey = V1ManagementKey(b[55])
		g.ParameterLength = be.Uint16(b[58:60])
		pl := int(g.ParameterLength)
		end := V1ManagementLength + pl
		if end > len(b) {
			end = len(b)
			// ptpd 1.x announces 90 octets of PARENT_DATA_SET and sends
			// the 88 the layout holds; accept that as complete.
			quirk := g.MessageKey == V1MMParentDataSet && pl == v1ParentDataSetQuirk &&
				len(b) >= V1ManagementLength+v1ParentDataSetLength
			if !quirk {
				m.Parameters = b[V1ManagementLength:end:end]
				return ResultTruncated, ReasonLengthBeyondFrame
			}
		}
		m.Parameters = b[V1ManagementLength:end:end]
		if len(m.Parameters) < g.MessageKey.ParameterLength() {
			return ResultMalformed, ReasonV1BadLength
		}
	}
	return ResultOK, ReasonNone
}

func readV1Time(p []byte) V1Time {
	return V1Time{binary.BigEndian.Uint32(p[0:4]), int32(binary.BigEndian.Uint32(p[4:8]))}
}

func appendV1Time(b []byte, t V1Time) []byte {
	b = binary.BigEndian.AppendUint32(b, t.Seconds)
	return binary.BigEndian.AppendUint32(b, uint32(t.Nanoseconds))
}

// bits returns t as its 8 octets read big-endian: seconds, then the
// nanoseconds field.
func (t V1Time) bits() uint64 { return uint64(t.Seconds)<<32 | uint64(uint32(t.Nanoseconds)) }

func v1Bool(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// EncodedLength returns the number of octets AppendTo writes for m.
func (m *V1Message) EncodedLength() int {
	n := m.Control.MinLength()
	if n == 0 {
		return V1HeaderLength
	}
	if m.Control == V1Management {
		n += len(m.Parameters)
	}
	return n
}

// AppendTo appends m in wire format to b and returns the extended buffer.
// VersionPTP and VersionNetwork are written as given (set them to
// V1VersionPTP and V1VersionNetwork), reserved octets as zero, and a
// Management message's parameterLength as len(Parameters). A reserved
// Control gets the header alone. It does not allocate when b has room.
//
// The fields are placed by the tables describeV1 lists them from, so the
// encoder and the detail view cannot disagree on an offset: v1PutMessage
// is those tables walked once and written out as code (v1_encode_gen.go,
// which a test regenerates and compares), as fast as a hand-written
// encoder; the V1Parameters types encode by walking such tables (v1Put).
func (m *V1Message) AppendTo(b []byte) []byte {
	start := len(b)
	b = append(b, make([]byte, m.EncodedLength())...)
	w := b[start:]
	v1PutMessage(w, m) // generated from v1HeaderFields and v1BodyFields
	if m.Control == V1Management {
		copy(w[V1ManagementLength:], m.Parameters)
	}
	return b
}

// v1Put writes the members fs name into w, zeroed, which starts at
// message offset -base (0 for a message, V1ManagementLength for
// parameters).
func v1Put[M any](w []byte, base int, fs []v1Member[M], m *M) {
	p := unsafe.Pointer(m)
	for i := range fs {
		f := &fs[i]
		d := w[int(f.off)+base : int(f.off)+int(f.n)+base]
		s := unsafe.Add(p, f.get.at)
		var v uint64
		switch f.get.how {
		case v1ReadOctets:
			copy(d, unsafe.Slice((*byte)(s), f.get.size))
			continue
		case v1ReadU8:
			v = uint64(*(*uint8)(s))
		case v1ReadU16:
			v = uint64(*(*uint16)(s))
		case v1ReadU32:
			v = uint64(*(*uint32)(s))
		case v1ReadU64:
			v = *(*uint64)(s)
		case v1ReadI8:
			v = uint64(*(*int8)(s))
		case v1ReadI16:
			v = uint64(*(*int16)(s))
		case v1ReadI32:
			v = uint64(*(*int32)(s))
		case v1ReadI64:
			v = uint64(*(*int64)(s))
		case v1ReadBool:
			v = uint64(v1Bool(*(*bool)(s)))
		case v1ReadTime:
			v = (*V1Time)(s).bits()
		case v1ReadLen:
			v = uint64(len(*(*[]byte)(s)))
		}
		switch len(d) {
		case 1:
			d[0] = byte(v)
		case 2:
			binary.BigEndian.PutUint16(d, uint16(v))
		case 4:
			binary.BigEndian.PutUint32(d, uint32(v))
		case 8:
			binary.BigEndian.PutUint64(d, v)
		default:
			for k := len(d) - 1; k >= 0; k-- {
				d[k] = byte(v)
				v >>= 8
			}
		}
	}
}

// v1AppendParams appends the n octets of parameters m, placed by fs.
func v1AppendParams[M any](b []byte, fs []v1Member[M], m *M, n int) []byte {
	start := len(b)
	b = append(b, make([]byte, n)...)
	v1Put(b[start:], -V1ManagementLength, fs, m)
	return b
}

// V1ManagementKey is the managementMessageKey of a PTPv1 Management
// message (1588-2002 Table 38): a request, a command, or the data set a
// response carries.
type V1ManagementKey uint8

// Management message keys of 1588-2002 Table 38. Values from 28 are
// reserved.
const (
	V1MMNull                           V1ManagementKey = 0  // PTP_MM_NULL
	V1MMObtainIdentity                 V1ManagementKey = 1  // PTP_MM_OBTAIN_IDENTITY
	V1MMClockIdentity                  V1ManagementKey = 2  // PTP_MM_CLOCK_IDENTITY
	V1MMInitializeClock                V1ManagementKey = 3  // PTP_MM_INITIALIZE_CLOCK
	V1MMSetSubdomain                   V1ManagementKey = 4  // PTP_MM_SET_SUBDOMAIN
	V1MMClearDesignatedPreferredMaster V1ManagementKey = 5  // PTP_MM_CLEAR_DESIGNATED_PREFERRED_MASTER
	V1MMSetDesignatedPreferredMaster   V1ManagementKey = 6  // PTP_MM_SET_DESIGNATED_PREFERRED_MASTER
	V1MMGetDefaultDataSet              V1ManagementKey = 7  // PTP_MM_GET_DEFAULT_DATA_SET
	V1MMDefaultDataSet                 V1ManagementKey = 8  // PTP_MM_DEFAULT_DATA_SET
	V1MMUpdateDefaultDataSet           V1ManagementKey = 9  // PTP_MM_UPDATE_DEFAULT_DATA_SET
	V1MMGetCurrentDataSet              V1ManagementKey = 10 // PTP_MM_GET_CURRENT_DATA_SET
	V1MMCurrentDataSet                 V1ManagementKey = 11 // PTP_MM_CURRENT_DATA_SET
	V1MMGetParentDataSet               V1ManagementKey = 12 // PTP_MM_GET_PARENT_DATA_SET
	V1MMParentDataSet                  V1ManagementKey = 13 // PTP_MM_PARENT_DATA_SET
	V1MMGetPortDataSet                 V1ManagementKey = 14 // PTP_MM_GET_PORT_DATA_SET
	V1MMPortDataSet                    V1ManagementKey = 15 // PTP_MM_PORT_DATA_SET
	V1MMGetGlobalTimeDataSet           V1ManagementKey = 16 // PTP_MM_GET_GLOBAL_TIME_DATA_SET
	V1MMGlobalTimeDataSet              V1ManagementKey = 17 // PTP_MM_GLOBAL_TIME_DATA_SET
	V1MMUpdateGlobalTimeProperties     V1ManagementKey = 18 // PTP_MM_UPDATE_GLOBAL_TIME_PROPERTIES
	V1MMGotoFaultyState                V1ManagementKey = 19 // PTP_MM_GOTO_FAULTY_STATE
	V1MMGetForeignDataSet              V1ManagementKey = 20 // PTP_MM_GET_FOREIGN_DATA_SET
	V1MMForeignDataSet                 V1ManagementKey = 21 // PTP_MM_FOREIGN_DATA_SET
	V1MMSetSyncInterval                V1ManagementKey = 22 // PTP_MM_SET_SYNC_INTERVAL
	V1MMDisablePort                    V1ManagementKey = 23 // PTP_MM_DISABLE_PORT
	V1MMEnablePort                     V1ManagementKey = 24 // PTP_MM_ENABLE_PORT
	V1MMDisableBurst                   V1ManagementKey = 25 // PTP_MM_DISABLE_BURST
	V1MMEnableBurst                    V1ManagementKey = 26 // PTP_MM_ENABLE_BURST
	V1MMSetTime                        V1ManagementKey = 27 // PTP_MM_SET_TIME
	v1MMCount                                          = 28
)

// Lengths of the messageParameters each key carries (1588-2002 Annex D).
const (
	v1ClockIdentityLength        = 64
	v1InitializeClockLength      = 4
	v1SetSubdomainLength         = 16
	v1DefaultDataSetLength       = 76
	v1UpdateDefaultDataSetLength = 36
	v1CurrentDataSetLength       = 20
	v1ParentDataSetLength        = 88
	v1PortDataSetLength          = 52
	v1GlobalTimeDataSetLength    = 24
	v1GlobalTimePropertiesLength = 16
	v1GetForeignDataSetLength    = 4
	v1ForeignDataSetLength       = 28
	v1SetSyncIntervalLength      = 4
	v1SetTimeLength              = 8
	v1ManufacturerIdentityLength = 48
)

var v1KeyParameterLength = [v1MMCount]uint8{
	V1MMClockIdentity:              v1ClockIdentityLength,
	V1MMInitializeClock:            v1InitializeClockLength,
	V1MMSetSubdomain:               v1SetSubdomainLength,
	V1MMDefaultDataSet:             v1DefaultDataSetLength,
	V1MMUpdateDefaultDataSet:       v1UpdateDefaultDataSetLength,
	V1MMCurrentDataSet:             v1CurrentDataSetLength,
	V1MMParentDataSet:              v1ParentDataSetLength,
	V1MMPortDataSet:                v1PortDataSetLength,
	V1MMGlobalTimeDataSet:          v1GlobalTimeDataSetLength,
	V1MMUpdateGlobalTimeProperties: v1GlobalTimePropertiesLength,
	V1MMGetForeignDataSet:          v1GetForeignDataSetLength,
	V1MMForeignDataSet:             v1ForeignDataSetLength,
	V1MMSetSyncInterval:            v1SetSyncIntervalLength,
	V1MMSetTime:                    v1SetTimeLength,
}

// String returns the 1588-2002 name, such as "PTP_MM_PARENT_DATA_SET", or
// Reserved(n).
func (k V1ManagementKey) String() string { return enumName(k.name(), "V1ManagementKey(", "Reserved(") }

// IsValid reports whether k is a key of Table 38.
func (k V1ManagementKey) IsValid() bool { return k < v1MMCount }

// ParameterLength returns the octets of messageParameters a message with
// this key carries: zero for requests and commands without parameters and
// for reserved keys. For PARENT_DATA_SET it is the 88 octets the layout
// holds; ptpd 1.x writes 90 in parameterLength, which Decode accepts.
func (k V1ManagementKey) ParameterLength() int {
	if k < v1MMCount {
		return int(v1KeyParameterLength[k])
	}
	return 0
}

// The V1*DataSet types and the other V1* parameter types below are the
// typed messageParameters of Management messages. Each is a comparable
// value; Decode reads it from V1Message.Parameters (ResultTruncated with
// ReasonV1BadLength when too short, extra octets ignored) and AppendTo
// writes it with reserved octets zero, ready to become Parameters. Key
// names the managementMessageKey that carries it. Offsets in comments
// count from the start of the parameters (the message's octet 60); a
// field smaller than four octets sits at the end of its 32-bit word.

// V1Parameters is implemented by the pointer of every typed
// messageParameters value.
type V1Parameters interface {
	Key() V1ManagementKey
	Decode(p []byte) (Result, Reason)
	AppendTo(b []byte) []byte
}

var (
	_ V1Parameters = (*V1ClockIdentityParams)(nil)
	_ V1Parameters = (*V1InitializeClockParams)(nil)
	_ V1Parameters = (*V1SetSubdomainParams)(nil)
	_ V1Parameters = (*V1DefaultDataSet)(nil)
	_ V1Parameters = (*V1UpdateDefaultDataSet)(nil)
	_ V1Parameters = (*V1CurrentDataSet)(nil)
	_ V1Parameters = (*V1ParentDataSet)(nil)
	_ V1Parameters = (*V1PortDataSet)(nil)
	_ V1Parameters = (*V1GlobalTimeDataSet)(nil)
	_ V1Parameters = (*V1GlobalTimeProperties)(nil)
	_ V1Parameters = (*V1GetForeignDataSetParams)(nil)
	_ V1Parameters = (*V1ForeignDataSet)(nil)
	_ V1Parameters = (*V1SetSyncIntervalParams)(nil)
	_ V1Parameters = (*V1SetTimeParams)(nil)
)

// NewV1Parameters returns a new zero value of the typed parameters that
// key k carries, or nil when k has none. Decode it from
// V1Message.Parameters.
func NewV1Parameters(k V1ManagementKey) V1Parameters {
	switch k {
	case V1MMClockIdentity:
		return new(V1ClockIdentityParams)
	case V1MMInitializeClock:
		return new(V1InitializeClockParams)
	case V1MMSetSubdomain:
		return new(V1SetSubdomainParams)
	case V1MMDefaultDataSet:
		return new(V1DefaultDataSet)
	case V1MMUpdateDefaultDataSet:
		return new(V1UpdateDefaultDataSet)
	case V1MMCurrentDataSet:
		return new(V1CurrentDataSet)
	case V1MMParentDataSet:
		return new(V1ParentDataSet)
	case V1MMPortDataSet:
		return new(V1PortDataSet)
	case V1MMGlobalTimeDataSet:
		return new(V1GlobalTimeDataSet)
	case V1MMUpdateGlobalTimeProperties:
		return new(V1GlobalTimeProperties)
	case V1MMGetForeignDataSet:
		return new(V1GetForeignDataSetParams)
	case V1MMForeignDataSet:
		return new(V1ForeignDataSet)
	case V1MMSetSyncInterval:
		return new(V1SetSyncIntervalParams)
	case V1MMSetTime:
		return new(V1SetTimeParams)
	}
	return nil
}

// V1ClockIdentityParams is the answer to PTP_MM_OBTAIN_IDENTITY
// (PTP_MM_CLOCK_IDENTITY).
type V1ClockIdentityParams struct {
	ClockCommunicationTechnology V1CommunicationTechnology          // 3
	ClockUUID                    [6]byte                            // 4
	ClockPortField               uint16                             // 14
	ManufacturerIdentity         [v1ManufacturerIdentityLength]byte // 16
}

// Key returns V1MMClockIdentity.
func (*V1ClockIdentityParams) Key() V1ManagementKey { return V1MMClockIdentity }

// Decode reads p. It does not allocate.
func (d *V1ClockIdentityParams) Decode(p []byte) (Result, Reason) {
	*d = V1ClockIdentityParams{}
	if len(p) < v1ClockIdentityLength {
		return ResultTruncated, ReasonV1BadLength
	}
	d.ClockCommunicationTechnology = V1CommunicationTechnology(p[3])
	d.ClockUUID = [6]byte(p[4:10])
	d.ClockPortField = binary.BigEndian.Uint16(p[14:16])
	d.ManufacturerIdentity = [v1ManufacturerIdentityLength]byte(p[16:64])
	return ResultOK, ReasonNone
}

// AppendTo appends the 64 octets of parameters.
func (d *V1ClockIdentityParams) AppendTo(b []byte) []byte {
	return v1AppendParams(b, v1ClockIdentityParamsFields, d, v1ClockIdentityLength)
}

// V1InitializeClockParams is the parameter of PTP_MM_INITIALIZE_CLOCK.
type V1InitializeClockParams struct {
	InitialisationKey uint16 // 2
}

// Key returns V1MMInitializeClock.
func (*V1InitializeClockParams) Key() V1ManagementKey { return V1MMInitializeClock }

// Decode reads p. It does not allocate.
func (d *V1InitializeClockParams) Decode(p []byte) (Result, Reason) {
	*d = V1InitializeClockParams{}
	if len(p) < v1InitializeClockLength {
		return ResultTruncated, ReasonV1BadLength
	}
	d.InitialisationKey = binary.BigEndian.Uint16(p[2:4])
	return ResultOK, ReasonNone
}

// AppendTo appends the 4 octets of parameters.
func (d *V1InitializeClockParams) AppendTo(b []byte) []byte {
	return v1AppendParams(b, v1InitializeClockParamsFields, d, v1InitializeClockLength)
}

// V1SetSubdomainParams is the parameter of PTP_MM_SET_SUBDOMAIN.
type V1SetSubdomainParams struct {
	SubdomainName [V1SubdomainLength]byte // 0, NUL padded
}

// Key returns V1MMSetSubdomain.
func (*V1SetSubdomainParams) Key() V1ManagementKey { return V1MMSetSubdomain }

// Decode reads p. It does not allocate.
func (d *V1SetSubdomainParams) Decode(p []byte) (Result, Reason) {
	*d = V1SetSubdomainParams{}
	if len(p) < v1SetSubdomainLength {
		return ResultTruncated, ReasonV1BadLength
	}
	d.SubdomainName = [V1SubdomainLength]byte(p[0:16])
	return ResultOK, ReasonNone
}

// AppendTo appends the 16 octets of parameters.
func (d *V1SetSubdomainParams) AppendTo(b []byte) []byte {
	return v1AppendParams(b, v1SetSubdomainParamsFields, d, v1SetSubdomainLength)
}

// V1DefaultDataSet is the PTP_MM_DEFAULT_DATA_SET response: the clock's
// own properties and configuration.
type V1DefaultDataSet struct {
	ClockCommunicationTechnology V1CommunicationTechnology // 3
	ClockUUID                    [6]byte                   // 4
	ClockPortField               uint16                    // 14
	ClockStratum                 uint8                     // 19
	ClockIdentifier              V1ClockIdentifier         // 20
	ClockVariance                int16                     // 26
	ClockFollowupCapable         bool                      // 31
	Preferred                    bool                      // 35
	Initializable                bool                      // 39
	ExternalTiming               bool                      // 43
	IsBoundaryClock              bool                      // 47
	SyncInterval                 int8                      // 51
	SubdomainName                [V1SubdomainLength]byte   // 52
	NumberPorts                  uint16                    // 70
	NumberForeignRecords         uint16                    // 74
}

// Key returns V1MMDefaultDataSet.
func (*V1DefaultDataSet) Key() V1ManagementKey { return V1MMDefaultDataSet }

// Decode reads p. It does not allocate.
func (d *V1DefaultDataSet) Decode(p []byte) (Result, Reason) {
	*d = V1DefaultDataSet{}
	if len(p) < v1DefaultDataSetLength {
		return ResultTruncated, ReasonV1BadLength
	}
	be := binary.BigEndian
	d.ClockCommunicationTechnology = V1CommunicationTechnology(p[3])
	d.ClockUUID = [6]byte(p[4:10])
	d.ClockPortField = be.Uint16(p[14:16])
	d.ClockStratum = p[19]
	d.ClockIdentifier = V1ClockIdentifier(p[20:24])
	d.ClockVariance = int16(be.Uint16(p[26:28]))
	d.ClockFollowupCapable = p[31] != 0
	d.Preferred = p[35] != 0
	d.Initializable = p[39] != 0
	d.ExternalTiming = p[43] != 0
	d.IsBoundaryClock = p[47] != 0
	d.SyncInterval = int8(p[51])
	d.SubdomainName = [V1SubdomainLength]byte(p[52:68])
	d.NumberPorts = be.Uint16(p[70:72])
	d.NumberForeignRecords = be.Uint16(p[74:76])
	return ResultOK, ReasonNone
}

// AppendTo appends the 76 octets of parameters.
func (d *V1DefaultDataSet) AppendTo(b []byte) []byte {
	return v1AppendParams(b, v1DefaultDataSetFields, d, v1DefaultDataSetLength)
}

// V1UpdateDefaultDataSet is the parameter of PTP_MM_UPDATE_DEFAULT_DATA_SET:
// the writable members of the default data set.
type V1UpdateDefaultDataSet struct {
	ClockStratum    uint8                   // 3
	ClockIdentifier V1ClockIdentifier       // 4
	ClockVariance   int16                   // 10
	Preferred       bool                    // 15
	SyncInterval    int8                    // 19
	SubdomainName   [V1SubdomainLength]byte // 20
}

// Key returns V1MMUpdateDefaultDataSet.
func (*V1UpdateDefaultDataSet) Key() V1ManagementKey { return V1MMUpdateDefaultDataSet }

// Decode reads p. It does not allocate.
func (d *V1UpdateDefaultDataSet) Decode(p []byte) (Result, Reason) {
	*d = V1UpdateDefaultDataSet{}
	if len(p) < v1UpdateDefaultDataSetLength {
		return ResultTruncated, ReasonV1BadLength
	}
	d.ClockStratum = p[3]
	d.ClockIdentifier = V1ClockIdentifier(p[4:8])
	d.ClockVariance = int16(binary.BigEndian.Uint16(p[10:12]))
	d.Preferred = p[15] != 0
	d.SyncInterval = int8(p[19])
	d.SubdomainName = [V1SubdomainLength]byte(p[20:36])
	return ResultOK, ReasonNone
}

// AppendTo appends the 36 octets of parameters.
func (d *V1UpdateDefaultDataSet) AppendTo(b []byte) []byte {
	return v1AppendParams(b, v1UpdateDefaultDataSetFields, d, v1UpdateDefaultDataSetLength)
}

// V1CurrentDataSet is the PTP_MM_CURRENT_DATA_SET response: how far the
// clock is from its master.
type V1CurrentDataSet struct {
	StepsRemoved     uint16 // 2
	OffsetFromMaster V1Time // 4, signed
	OneWayDelay      V1Time // 12
}

// Key returns V1MMCurrentDataSet.
func (*V1CurrentDataSet) Key() V1ManagementKey { return V1MMCurrentDataSet }

// Decode reads p. It does not allocate.
func (d *V1CurrentDataSet) Decode(p []byte) (Result, Reason) {
	*d = V1CurrentDataSet{}
	if len(p) < v1CurrentDataSetLength {
		return ResultTruncated, ReasonV1BadLength
	}
	d.StepsRemoved = binary.BigEndian.Uint16(p[2:4])
	d.OffsetFromMaster = readV1Time(p[4:12])
	d.OneWayDelay = readV1Time(p[12:20])
	return ResultOK, ReasonNone
}

// AppendTo appends the 20 octets of parameters.
func (d *V1CurrentDataSet) AppendTo(b []byte) []byte {
	return v1AppendParams(b, v1CurrentDataSetFields, d, v1CurrentDataSetLength)
}

// V1ParentDataSet is the PTP_MM_PARENT_DATA_SET response: the clock's
// parent and grandmaster as it sees them.
type V1ParentDataSet struct {
	ParentCommunicationTechnology      V1CommunicationTechnology // 3
	ParentUUID                         [6]byte                   // 4
	ParentPortID                       uint16                    // 14
	ParentLastSyncSequenceNumber       uint16                    // 18
	ParentFollowupCapable              bool                      // 23
	ParentExternalTiming               bool                      // 27
	ParentVariance                     int16                     // 30
	ParentStats                        bool                      // 35
	ObservedVariance                   int16                     // 38
	ObservedDrift                      int32                     // 40
	UTCReasonable                      bool                      // 47
	GrandmasterCommunicationTechnology V1CommunicationTechnology // 51
	GrandmasterUUID                    [6]byte                   // 52
	GrandmasterPortID                  uint16                    // 62
	GrandmasterStratum                 uint8                     // 67
	GrandmasterIdentifier              V1ClockIdentifier         // 68
	GrandmasterVariance                int16                     // 74
	GrandmasterPreferred               bool                      // 79
	GrandmasterIsBoundaryClock         bool                      // 83
	GrandmasterSequenceNumber          uint16                    // 86
}

// Key returns V1MMParentDataSet.
func (*V1ParentDataSet) Key() V1ManagementKey { return V1MMParentDataSet }

// Decode reads p. It does not allocate.
func (d *V1ParentDataSet) Decode(p []byte) (Result, Reason) {
	*d = V1ParentDataSet{}
	if len(p) < v1ParentDataSetLength {
		return ResultTruncated, ReasonV1BadLength
	}
	be := binary.BigEndian
	d.ParentCommunicationTechnology = V1CommunicationTechnology(p[3])
	d.ParentUUID = [6]byte(p[4:10])
	d.ParentPortID = be.Uint16(p[14:16])
	d.ParentLastSyncSequenceNumber = be.Uint16(p[18:20])
	d.ParentFollowupCapable = p[23] != 0
	d.ParentExternalTiming = p[27] != 0
	d.ParentVariance = int16(be.Uint16(p[30:32]))
	d.ParentStats = p[35] != 0
	d.ObservedVariance = int16(be.Uint16(p[38:40]))
	d.ObservedDrift = int32(be.Uint32(p[40:44]))
	d.UTCReasonable = p[47] != 0
	d.GrandmasterCommunicationTechnology = V1CommunicationTechnology(p[51])
	d.GrandmasterUUID = [6]byte(p[52:58])
	d.GrandmasterPortID = be.Uint16(p[62:64])
	d.GrandmasterStratum = p[67]
	d.GrandmasterIdentifier = V1ClockIdentifier(p[68:72])
	d.GrandmasterVariance = int16(be.Uint16(p[74:76]))
	d.GrandmasterPreferred = p[79] != 0
	d.GrandmasterIsBoundaryClock = p[83] != 0
	d.GrandmasterSequenceNumber = be.Uint16(p[86:88])
	return ResultOK, ReasonNone
}

// AppendTo appends the 88 octets of parameters.
func (d *V1ParentDataSet) AppendTo(b []byte) []byte {
	return v1AppendParams(b, v1ParentDataSetFields, d, v1ParentDataSetLength)
}

// V1PortDataSet is the PTP_MM_PORT_DATA_SET response: one port's state
// and addresses.
type V1PortDataSet struct {
	ReturnedPortNumber             uint16                    // 2
	PortState                      V1PortState               // 7
	LastSyncEventSequenceNumber    uint16                    // 10
	LastGeneralEventSequenceNumber uint16                    // 14
	PortCommunicationTechnology    V1CommunicationTechnology // 19
	PortUUID                       [6]byte                   // 20
	PortIDField                    uint16                    // 30
	BurstEnabled                   bool                      // 35
	SubdomainAddressOctets         uint8                     // 37
	EventPortAddressOctets         uint8                     // 38
	GeneralPortAddressOctets       uint8                     // 39
	SubdomainAddress               [4]byte                   // 40, the IPv4 multicast group
	EventPortAddress               [2]byte                   // 46, the UDP port
	GeneralPortAddress             [2]byte                   // 50
}

// Key returns V1MMPortDataSet.
func (*V1PortDataSet) Key() V1ManagementKey { return V1MMPortDataSet }

// Decode reads p. It does not allocate.
func (d *V1PortDataSet) Decode(p []byte) (Result, Reason) {
	*d = V1PortDataSet{}
	if len(p) < v1PortDataSetLength {
		return ResultTruncated, ReasonV1BadLength
	}
	be := binary.BigEndian
	d.ReturnedPortNumber = be.Uint16(p[2:4])
	d.PortState = V1PortState(p[7])
	d.LastSyncEventSequenceNumber = be.Uint16(p[10:12])
	d.LastGeneralEventSequenceNumber = be.Uint16(p[14:16])
	d.PortCommunicationTechnology = V1CommunicationTechnology(p[19])
	d.PortUUID = [6]byte(p[20:26])
	d.PortIDField = be.Uint16(p[30:32])
	d.BurstEnabled = p[35] != 0
	d.SubdomainAddressOctets = p[37]
	d.EventPortAddressOctets = p[38]
	d.GeneralPortAddressOctets = p[39]
	d.SubdomainAddress = [4]byte(p[40:44])
	d.EventPortAddress = [2]byte(p[46:48])
	d.GeneralPortAddress = [2]byte(p[50:52])
	return ResultOK, ReasonNone
}

// AppendTo appends the 52 octets of parameters.
func (d *V1PortDataSet) AppendTo(b []byte) []byte {
	return v1AppendParams(b, v1PortDataSetFields, d, v1PortDataSetLength)
}

// V1GlobalTimeDataSet is the PTP_MM_GLOBAL_TIME_DATA_SET response: the
// clock's time and UTC properties.
type V1GlobalTimeDataSet struct {
	LocalTime        V1Time // 0
	CurrentUTCOffset int16  // 10
	Leap59           bool   // 15
	Leap61           bool   // 19
	EpochNumber      uint16 // 22
}

// Key returns V1MMGlobalTimeDataSet.
func (*V1GlobalTimeDataSet) Key() V1ManagementKey { return V1MMGlobalTimeDataSet }

// Decode reads p. It does not allocate.
func (d *V1GlobalTimeDataSet) Decode(p []byte) (Result, Reason) {
	*d = V1GlobalTimeDataSet{}
	if len(p) < v1GlobalTimeDataSetLength {
		return ResultTruncated, ReasonV1BadLength
	}
	d.LocalTime = readV1Time(p[0:8])
	d.CurrentUTCOffset = int16(binary.BigEndian.Uint16(p[10:12]))
	d.Leap59 = p[15] != 0
	d.Leap61 = p[19] != 0
	d.EpochNumber = binary.BigEndian.Uint16(p[22:24])
	return ResultOK, ReasonNone
}

// AppendTo appends the 24 octets of parameters.
func (d *V1GlobalTimeDataSet) AppendTo(b []byte) []byte {
	return v1AppendParams(b, v1GlobalTimeDataSetFields, d, v1GlobalTimeDataSetLength)
}

// V1GlobalTimeProperties is the parameter of
// PTP_MM_UPDATE_GLOBAL_TIME_PROPERTIES.
type V1GlobalTimeProperties struct {
	CurrentUTCOffset int16  // 2
	Leap59           bool   // 7
	Leap61           bool   // 11
	EpochNumber      uint16 // 14
}

// Key returns V1MMUpdateGlobalTimeProperties.
func (*V1GlobalTimeProperties) Key() V1ManagementKey { return V1MMUpdateGlobalTimeProperties }

// Decode reads p. It does not allocate.
func (d *V1GlobalTimeProperties) Decode(p []byte) (Result, Reason) {
	*d = V1GlobalTimeProperties{}
	if len(p) < v1GlobalTimePropertiesLength {
		return ResultTruncated, ReasonV1BadLength
	}
	d.CurrentUTCOffset = int16(binary.BigEndian.Uint16(p[2:4]))
	d.Leap59 = p[7] != 0
	d.Leap61 = p[11] != 0
	d.EpochNumber = binary.BigEndian.Uint16(p[14:16])
	return ResultOK, ReasonNone
}

// AppendTo appends the 16 octets of parameters.
func (d *V1GlobalTimeProperties) AppendTo(b []byte) []byte {
	return v1AppendParams(b, v1GlobalTimePropertiesFields, d, v1GlobalTimePropertiesLength)
}

// V1GetForeignDataSetParams is the parameter of
// PTP_MM_GET_FOREIGN_DATA_SET: which foreign master record to return.
type V1GetForeignDataSetParams struct {
	RecordKey uint16 // 2, counting from 1
}

// Key returns V1MMGetForeignDataSet.
func (*V1GetForeignDataSetParams) Key() V1ManagementKey { return V1MMGetForeignDataSet }

// Decode reads p. It does not allocate.
func (d *V1GetForeignDataSetParams) Decode(p []byte) (Result, Reason) {
	*d = V1GetForeignDataSetParams{}
	if len(p) < v1GetForeignDataSetLength {
		return ResultTruncated, ReasonV1BadLength
	}
	d.RecordKey = binary.BigEndian.Uint16(p[2:4])
	return ResultOK, ReasonNone
}

// AppendTo appends the 4 octets of parameters.
func (d *V1GetForeignDataSetParams) AppendTo(b []byte) []byte {
	return v1AppendParams(b, v1GetForeignDataSetParamsFields, d, v1GetForeignDataSetLength)
}

// V1ForeignDataSet is the PTP_MM_FOREIGN_DATA_SET response: one foreign
// master record of a port.
type V1ForeignDataSet struct {
	ReturnedPortNumber                   uint16                    // 2
	ReturnedRecordNumber                 uint16                    // 6
	ForeignMasterCommunicationTechnology V1CommunicationTechnology // 11
	ForeignMasterUUID                    [6]byte                   // 12
	ForeignMasterPortID                  uint16                    // 22
	ForeignMasterSyncs                   uint16                    // 26
}

// Key returns V1MMForeignDataSet.
func (*V1ForeignDataSet) Key() V1ManagementKey { return V1MMForeignDataSet }

// Decode reads p. It does not allocate.
func (d *V1ForeignDataSet) Decode(p []byte) (Result, Reason) {
	*d = V1ForeignDataSet{}
	if len(p) < v1ForeignDataSetLength {
		return ResultTruncated, ReasonV1BadLength
	}
	be := binary.BigEndian
	d.ReturnedPortNumber = be.Uint16(p[2:4])
	d.ReturnedRecordNumber = be.Uint16(p[6:8])
	d.ForeignMasterCommunicationTechnology = V1CommunicationTechnology(p[11])
	d.ForeignMasterUUID = [6]byte(p[12:18])
	d.ForeignMasterPortID = be.Uint16(p[22:24])
	d.ForeignMasterSyncs = be.Uint16(p[26:28])
	return ResultOK, ReasonNone
}

// AppendTo appends the 28 octets of parameters.
func (d *V1ForeignDataSet) AppendTo(b []byte) []byte {
	return v1AppendParams(b, v1ForeignDataSetFields, d, v1ForeignDataSetLength)
}

// V1SetSyncIntervalParams is the parameter of PTP_MM_SET_SYNC_INTERVAL.
type V1SetSyncIntervalParams struct {
	SyncInterval int8 // 3
}

// Key returns V1MMSetSyncInterval.
func (*V1SetSyncIntervalParams) Key() V1ManagementKey { return V1MMSetSyncInterval }

// Decode reads p. It does not allocate.
func (d *V1SetSyncIntervalParams) Decode(p []byte) (Result, Reason) {
	*d = V1SetSyncIntervalParams{}
	if len(p) < v1SetSyncIntervalLength {
		return ResultTruncated, ReasonV1BadLength
	}
	d.SyncInterval = int8(p[3])
	return ResultOK, ReasonNone
}

// AppendTo appends the 4 octets of parameters.
func (d *V1SetSyncIntervalParams) AppendTo(b []byte) []byte {
	return v1AppendParams(b, v1SetSyncIntervalParamsFields, d, v1SetSyncIntervalLength)
}

// V1SetTimeParams is the parameter of PTP_MM_SET_TIME.
type V1SetTimeParams struct {
	LocalTime V1Time // 0
}

// Key returns V1MMSetTime.
func (*V1SetTimeParams) Key() V1ManagementKey { return V1MMSetTime }

// Decode reads p. It does not allocate.
func (d *V1SetTimeParams) Decode(p []byte) (Result, Reason) {
	*d = V1SetTimeParams{}
	if len(p) < v1SetTimeLength {
		return ResultTruncated, ReasonV1BadLength
	}
	d.LocalTime = readV1Time(p[0:8])
	return ResultOK, ReasonNone
}

// AppendTo appends the 8 octets of parameters.
func (d *V1SetTimeParams) AppendTo(b []byte) []byte {
	return v1AppendParams(b, v1SetTimeParamsFields, d, v1SetTimeLength)
}

// Located fields. describeV1 lists a PTPv1 message from tables of field
// layouts, filling the gaps between fields with "reserved" entries so the
// leaves cover every octet once.

type v1Kind uint8

const (
	v1KUint v1Kind = iota
	v1KInt
	v1KBool
	v1KUUID
	v1KText   // NUL-padded characters
	v1KOctets // opaque octets, as hex
	v1KTime   // TimeRepresentation, 8 octets
	v1KComm
	v1KPortState
	v1KKey
	v1KControl
	v1KMessageType
	v1KFlags
	// Two forms Wireshark's dissector uses inside management parameters,
	// kept so golden comparisons with tshark line up: a clock identifier
	// shown as octets (Text holds the characters) and an Integer16 shown
	// unsigned (Text holds the signed value).
	v1KCode
	v1KInt16AsUint
)

// v1Field places one field; off counts from the start of the message.
type v1Field struct {
	name string
	off  uint8
	n    uint8
	kind v1Kind
}

// v1Member is a field of a message or parameters type M: its place, and
// how the encoder reads it from M.
type v1Member[M any] struct {
	v1Field
	get v1Getter[M]
}

// v1Getter is where the encoder reads a member in M: its offset in M and
// how to read it, resolved once at start-up by reflection from the Go field
// path a table row names (v1Get), so that encoding walks the table with
// plain loads and no call per field. A number is written big-endian in the
// field's octets (a signed value sign-extended, a bool as 0 or 1, a V1Time
// as its 8 octets, a slice as its length), an array as its octets.
type v1Getter[M any] struct {
	path string // Go field path in M, as the row names it
	at   uintptr
	how  v1Read
	size uint8 // octets of an array member
}

// v1Read is how v1Put reads a member.
type v1Read uint8

const (
	v1ReadU8 v1Read = iota
	v1ReadU16
	v1ReadU32
	v1ReadU64
	v1ReadI8
	v1ReadI16
	v1ReadI32
	v1ReadI64
	v1ReadBool
	v1ReadTime
	v1ReadLen
	v1ReadOctets
)

// v1Get resolves the dotted Go field path of a member of M (promoted
// fields included). A path that names no field of a supported kind is a
// mistake in this package's tables, caught when the package loads.
func v1Get[M any](path string) v1Getter[M] {
	t := reflect.TypeFor[M]()
	var at uintptr
	for name := range strings.SplitSeq(path, ".") {
		f, ok := t.FieldByName(name)
		if !ok {
			panic("decode: PTPv1 table names no field " + path + " in " + reflect.TypeFor[M]().Name())
		}
		for _, i := range f.Index {
			sf := t.Field(i)
			at += sf.Offset
			t = sf.Type
		}
	}
	g := v1Getter[M]{path: path, at: at}
	switch k := t.Kind(); {
	case t == reflect.TypeFor[V1Time]():
		g.how = v1ReadTime
	case k == reflect.Array && t.Elem().Kind() == reflect.Uint8 && t.Len() < 256:
		g.how, g.size = v1ReadOctets, uint8(t.Len())
	case k == reflect.Slice:
		g.how = v1ReadLen
	case k == reflect.Bool:
		g.how = v1ReadBool
	case k >= reflect.Uint8 && k <= reflect.Uint64:
		g.how = v1ReadU8 + v1Read(k-reflect.Uint8)
	case k >= reflect.Int8 && k <= reflect.Int64:
		g.how = v1ReadI8 + v1Read(k-reflect.Int8)
	default:
		panic("decode: PTPv1 table field " + path + " has a type the encoder cannot write")
	}
	return g
}

// v1Layouts returns the places of fs, for describeV1.
func v1Layouts[M any](fs []v1Member[M]) []v1Field {
	out := make([]v1Field, len(fs))
	for i := range fs {
		out[i] = fs[i].v1Field
	}
	return out
}

var v1HeaderFields = []v1Member[V1Message]{
	{v1Field{"versionPTP", 0, 2, v1KUint}, v1Get[V1Message]("VersionPTP")},
	{v1Field{"versionNetwork", 2, 2, v1KUint}, v1Get[V1Message]("VersionNetwork")},
	{v1Field{"subdomain", 4, 16, v1KText}, v1Get[V1Message]("SubdomainName")},
	{v1Field{"messageType", 20, 1, v1KMessageType}, v1Get[V1Message]("MessageType")},
	{v1Field{"sourceCommunicationTechnology", 21, 1, v1KComm}, v1Get[V1Message]("SourceCommunicationTechnology")},
	{v1Field{"sourceUuid", 22, 6, v1KUUID}, v1Get[V1Message]("SourceUUID")},
	{v1Field{"sourcePortId", 28, 2, v1KUint}, v1Get[V1Message]("SourcePortID")},
	{v1Field{"sequenceId", 30, 2, v1KUint}, v1Get[V1Message]("SequenceID")},
	{v1Field{"control", 32, 1, v1KControl}, v1Get[V1Message]("Control")},
	{v1Field{"flags", 34, 2, v1KFlags}, v1Get[V1Message]("Flags")},
}

var v1SyncFields = []v1Member[V1Message]{
	{v1Field{"originTimestamp", 40, 8, v1KTime}, v1Get[V1Message]("Sync.OriginTimestamp")},
	{v1Field{"epochNumber", 48, 2, v1KUint}, v1Get[V1Message]("Sync.EpochNumber")},
	{v1Field{"currentUTCOffset", 50, 2, v1KInt}, v1Get[V1Message]("Sync.CurrentUTCOffset")},
	{v1Field{"grandmasterCommunicationTechnology", 53, 1, v1KComm}, v1Get[V1Message]("Sync.GrandmasterCommunicationTechnology")},
	{v1Field{"grandmasterClockUuid", 54, 6, v1KUUID}, v1Get[V1Message]("Sync.GrandmasterClockUUID")},
	{v1Field{"grandmasterPortId", 60, 2, v1KUint}, v1Get[V1Message]("Sync.GrandmasterPortID")},
	{v1Field{"grandmasterSequenceId", 62, 2, v1KUint}, v1Get[V1Message]("Sync.GrandmasterSequenceID")},
	{v1Field{"grandmasterClockStratum", 67, 1, v1KUint}, v1Get[V1Message]("Sync.GrandmasterClockStratum")},
	{v1Field{"grandmasterClockIdentifier", 68, 4, v1KText}, v1Get[V1Message]("Sync.GrandmasterClockIdentifier")},
	{v1Field{"grandmasterClockVariance", 74, 2, v1KInt}, v1Get[V1Message]("Sync.GrandmasterClockVariance")},
	{v1Field{"grandmasterPreferred", 77, 1, v1KBool}, v1Get[V1Message]("Sync.GrandmasterPreferred")},
	{v1Field{"grandmasterIsBoundaryClock", 79, 1, v1KBool}, v1Get[V1Message]("Sync.GrandmasterIsBoundaryClock")},
	{v1Field{"syncInterval", 83, 1, v1KInt}, v1Get[V1Message]("Sync.SyncInterval")},
	{v1Field{"localClockVariance", 86, 2, v1KInt}, v1Get[V1Message]("Sync.LocalClockVariance")},
	{v1Field{"localStepsRemoved", 90, 2, v1KUint}, v1Get[V1Message]("Sync.LocalStepsRemoved")},
	{v1Field{"localClockStratum", 95, 1, v1KUint}, v1Get[V1Message]("Sync.LocalClockStratum")},
	{v1Field{"localClockIdentifier", 96, 4, v1KText}, v1Get[V1Message]("Sync.LocalClockIdentifier")},
	{v1Field{"parentCommunicationTechnology", 101, 1, v1KComm}, v1Get[V1Message]("Sync.ParentCommunicationTechnology")},
	{v1Field{"parentUuid", 102, 6, v1KUUID}, v1Get[V1Message]("Sync.ParentUUID")},
	{v1Field{"parentPortField", 110, 2, v1KUint}, v1Get[V1Message]("Sync.ParentPortField")},
	{v1Field{"estimatedMasterVariance", 114, 2, v1KInt}, v1Get[V1Message]("Sync.EstimatedMasterVariance")},
	{v1Field{"estimatedMasterDrift", 116, 4, v1KInt}, v1Get[V1Message]("Sync.EstimatedMasterDrift")},
	{v1Field{"utcReasonable", 123, 1, v1KBool}, v1Get[V1Message]("Sync.UTCReasonable")},
}

var v1FollowUpFields = []v1Member[V1Message]{
	{v1Field{"associatedSequenceId", 42, 2, v1KUint}, v1Get[V1Message]("FollowUp.AssociatedSequenceID")},
	{v1Field{"preciseOriginTimestamp", 44, 8, v1KTime}, v1Get[V1Message]("FollowUp.PreciseOriginTimestamp")},
}

var v1DelayRespFields = []v1Member[V1Message]{
	{v1Field{"delayReceiptTimestamp", 40, 8, v1KTime}, v1Get[V1Message]("DelayResp.DelayReceiptTimestamp")},
	{v1Field{"requestingSourceCommunicationTechnology", 49, 1, v1KComm}, v1Get[V1Message]("DelayResp.RequestingSourceCommunicationTechnology")},
	{v1Field{"requestingSourceUuid", 50, 6, v1KUUID}, v1Get[V1Message]("DelayResp.RequestingSourceUUID")},
	{v1Field{"requestingSourcePortId", 56, 2, v1KUint}, v1Get[V1Message]("DelayResp.RequestingSourcePortID")},
	{v1Field{"requestingSourceSequenceId", 58, 2, v1KUint}, v1Get[V1Message]("DelayResp.RequestingSourceSequenceID")},
}

var v1ManagementFields = []v1Member[V1Message]{
	{v1Field{"targetCommunicationTechnology", 41, 1, v1KComm}, v1Get[V1Message]("Management.TargetCommunicationTechnology")},
	{v1Field{"targetUuid", 42, 6, v1KUUID}, v1Get[V1Message]("Management.TargetUUID")},
	{v1Field{"targetPortId", 48, 2, v1KUint}, v1Get[V1Message]("Management.TargetPortID")},
	{v1Field{"startingBoundaryHops", 50, 2, v1KInt}, v1Get[V1Message]("Management.StartingBoundaryHops")},
	{v1Field{"boundaryHops", 52, 2, v1KInt}, v1Get[V1Message]("Management.BoundaryHops")},
	{v1Field{"managementMessageKey", 55, 1, v1KKey}, v1Get[V1Message]("Management.MessageKey")},
	{v1Field{"parameterLength", 58, 2, v1KUint}, v1Get[V1Message]("Parameters")},
}

// v1ParameterFields lays out the messageParameters of each key, at
// message offsets (the parameters start at 60), for describeV1; the typed
// tables below it are the same rows with the member each field holds.
var v1ParameterFields = [v1MMCount][]v1Field{
	V1MMClockIdentity:              v1Layouts(v1ClockIdentityParamsFields),
	V1MMInitializeClock:            v1Layouts(v1InitializeClockParamsFields),
	V1MMSetSubdomain:               v1Layouts(v1SetSubdomainParamsFields),
	V1MMDefaultDataSet:             v1Layouts(v1DefaultDataSetFields),
	V1MMUpdateDefaultDataSet:       v1Layouts(v1UpdateDefaultDataSetFields),
	V1MMCurrentDataSet:             v1Layouts(v1CurrentDataSetFields),
	V1MMParentDataSet:              v1Layouts(v1ParentDataSetFields),
	V1MMPortDataSet:                v1Layouts(v1PortDataSetFields),
	V1MMGlobalTimeDataSet:          v1Layouts(v1GlobalTimeDataSetFields),
	V1MMUpdateGlobalTimeProperties: v1Layouts(v1GlobalTimePropertiesFields),
	V1MMGetForeignDataSet:          v1Layouts(v1GetForeignDataSetParamsFields),
	V1MMForeignDataSet:             v1Layouts(v1ForeignDataSetFields),
	V1MMSetSyncInterval:            v1Layouts(v1SetSyncIntervalParamsFields),
	V1MMSetTime:                    v1Layouts(v1SetTimeParamsFields),
}

var v1ClockIdentityParamsFields = []v1Member[V1ClockIdentityParams]{
	{v1Field{"clockCommunicationTechnology", 63, 1, v1KComm}, v1Get[V1ClockIdentityParams]("ClockCommunicationTechnology")},
	{v1Field{"clockUuidField", 64, 6, v1KUUID}, v1Get[V1ClockIdentityParams]("ClockUUID")},
	{v1Field{"clockPortField", 74, 2, v1KUint}, v1Get[V1ClockIdentityParams]("ClockPortField")},
	{v1Field{"manufacturerIdentity", 76, 48, v1KOctets}, v1Get[V1ClockIdentityParams]("ManufacturerIdentity")},
}

var v1InitializeClockParamsFields = []v1Member[V1InitializeClockParams]{
	{v1Field{"initialisationKey", 62, 2, v1KUint}, v1Get[V1InitializeClockParams]("InitialisationKey")},
}

var v1SetSubdomainParamsFields = []v1Member[V1SetSubdomainParams]{
	{v1Field{"subdomainName", 60, 16, v1KText}, v1Get[V1SetSubdomainParams]("SubdomainName")},
}

var v1DefaultDataSetFields = []v1Member[V1DefaultDataSet]{
	{v1Field{"clockCommunicationTechnology", 63, 1, v1KComm}, v1Get[V1DefaultDataSet]("ClockCommunicationTechnology")},
	{v1Field{"clockUuidField", 64, 6, v1KUUID}, v1Get[V1DefaultDataSet]("ClockUUID")},
	{v1Field{"clockPortField", 74, 2, v1KUint}, v1Get[V1DefaultDataSet]("ClockPortField")},
	{v1Field{"clockStratum", 79, 1, v1KUint}, v1Get[V1DefaultDataSet]("ClockStratum")},
	{v1Field{"clockIdentifier", 80, 4, v1KCode}, v1Get[V1DefaultDataSet]("ClockIdentifier")},
	{v1Field{"clockVariance", 86, 2, v1KInt16AsUint}, v1Get[V1DefaultDataSet]("ClockVariance")},
	{v1Field{"clockFollowupCapable", 91, 1, v1KBool}, v1Get[V1DefaultDataSet]("ClockFollowupCapable")},
	{v1Field{"preferred", 95, 1, v1KBool}, v1Get[V1DefaultDataSet]("Preferred")},
	{v1Field{"initializable", 99, 1, v1KBool}, v1Get[V1DefaultDataSet]("Initializable")},
	{v1Field{"externalTiming", 103, 1, v1KBool}, v1Get[V1DefaultDataSet]("ExternalTiming")},
	{v1Field{"isBoundaryClock", 107, 1, v1KBool}, v1Get[V1DefaultDataSet]("IsBoundaryClock")},
	{v1Field{"syncInterval", 111, 1, v1KInt}, v1Get[V1DefaultDataSet]("SyncInterval")},
	{v1Field{"subdomainName", 112, 16, v1KText}, v1Get[V1DefaultDataSet]("SubdomainName")},
	{v1Field{"numberPorts", 130, 2, v1KUint}, v1Get[V1DefaultDataSet]("NumberPorts")},
	{v1Field{"numberForeignRecords", 134, 2, v1KUint}, v1Get[V1DefaultDataSet]("NumberForeignRecords")},
}

var v1UpdateDefaultDataSetFields = []v1Member[V1UpdateDefaultDataSet]{
	{v1Field{"clockStratum", 63, 1, v1KUint}, v1Get[V1UpdateDefaultDataSet]("ClockStratum")},
	{v1Field{"clockIdentifier", 64, 4, v1KCode}, v1Get[V1UpdateDefaultDataSet]("ClockIdentifier")},
	{v1Field{"clockVariance", 70, 2, v1KInt16AsUint}, v1Get[V1UpdateDefaultDataSet]("ClockVariance")},
	{v1Field{"preferred", 75, 1, v1KBool}, v1Get[V1UpdateDefaultDataSet]("Preferred")},
	{v1Field{"syncInterval", 79, 1, v1KInt}, v1Get[V1UpdateDefaultDataSet]("SyncInterval")},
	{v1Field{"subdomainName", 80, 16, v1KText}, v1Get[V1UpdateDefaultDataSet]("SubdomainName")},
}

var v1CurrentDataSetFields = []v1Member[V1CurrentDataSet]{
	{v1Field{"stepsRemoved", 62, 2, v1KUint}, v1Get[V1CurrentDataSet]("StepsRemoved")},
	{v1Field{"offsetFromMaster", 64, 8, v1KTime}, v1Get[V1CurrentDataSet]("OffsetFromMaster")},
	{v1Field{"oneWayDelay", 72, 8, v1KTime}, v1Get[V1CurrentDataSet]("OneWayDelay")},
}

var v1ParentDataSetFields = []v1Member[V1ParentDataSet]{
	{v1Field{"parentCommunicationTechnology", 63, 1, v1KComm}, v1Get[V1ParentDataSet]("ParentCommunicationTechnology")},
	{v1Field{"parentUuid", 64, 6, v1KUUID}, v1Get[V1ParentDataSet]("ParentUUID")},
	{v1Field{"parentPortId", 74, 2, v1KUint}, v1Get[V1ParentDataSet]("ParentPortID")},
	{v1Field{"parentLastSyncSequenceNumber", 78, 2, v1KUint}, v1Get[V1ParentDataSet]("ParentLastSyncSequenceNumber")},
	{v1Field{"parentFollowupCapable", 83, 1, v1KBool}, v1Get[V1ParentDataSet]("ParentFollowupCapable")},
	{v1Field{"parentExternalTiming", 87, 1, v1KBool}, v1Get[V1ParentDataSet]("ParentExternalTiming")},
	{v1Field{"parentVariance", 90, 2, v1KInt16AsUint}, v1Get[V1ParentDataSet]("ParentVariance")},
	{v1Field{"parentStats", 95, 1, v1KBool}, v1Get[V1ParentDataSet]("ParentStats")},
	{v1Field{"observedVariance", 98, 2, v1KInt}, v1Get[V1ParentDataSet]("ObservedVariance")},
	{v1Field{"observedDrift", 100, 4, v1KInt}, v1Get[V1ParentDataSet]("ObservedDrift")},
	{v1Field{"utcReasonable", 107, 1, v1KBool}, v1Get[V1ParentDataSet]("UTCReasonable")},
	{v1Field{"grandmasterCommunicationTechnology", 111, 1, v1KComm}, v1Get[V1ParentDataSet]("GrandmasterCommunicationTechnology")},
	{v1Field{"grandmasterUuidField", 112, 6, v1KUUID}, v1Get[V1ParentDataSet]("GrandmasterUUID")},
	{v1Field{"grandmasterPortIdField", 122, 2, v1KUint}, v1Get[V1ParentDataSet]("GrandmasterPortID")},
	{v1Field{"grandmasterStratum", 127, 1, v1KUint}, v1Get[V1ParentDataSet]("GrandmasterStratum")},
	{v1Field{"grandmasterIdentifier", 128, 4, v1KCode}, v1Get[V1ParentDataSet]("GrandmasterIdentifier")},
	{v1Field{"grandmasterVariance", 134, 2, v1KInt}, v1Get[V1ParentDataSet]("GrandmasterVariance")},
	{v1Field{"grandmasterPreferred", 139, 1, v1KBool}, v1Get[V1ParentDataSet]("GrandmasterPreferred")},
	{v1Field{"grandmasterIsBoundaryClock", 143, 1, v1KBool}, v1Get[V1ParentDataSet]("GrandmasterIsBoundaryClock")},
	{v1Field{"grandmasterSequenceNumber", 146, 2, v1KUint}, v1Get[V1ParentDataSet]("GrandmasterSequenceNumber")},
}

var v1PortDataSetFields = []v1Member[V1PortDataSet]{
	{v1Field{"returnedPortNumber", 62, 2, v1KUint}, v1Get[V1PortDataSet]("ReturnedPortNumber")},
	{v1Field{"portState", 67, 1, v1KPortState}, v1Get[V1PortDataSet]("PortState")},
	{v1Field{"lastSyncEventSequenceNumber", 70, 2, v1KUint}, v1Get[V1PortDataSet]("LastSyncEventSequenceNumber")},
	{v1Field{"lastGeneralEventSequenceNumber", 74, 2, v1KUint}, v1Get[V1PortDataSet]("LastGeneralEventSequenceNumber")},
	{v1Field{"portCommunicationTechnology", 79, 1, v1KComm}, v1Get[V1PortDataSet]("PortCommunicationTechnology")},
	{v1Field{"portUuidField", 80, 6, v1KUUID}, v1Get[V1PortDataSet]("PortUUID")},
	{v1Field{"portIdField", 90, 2, v1KUint}, v1Get[V1PortDataSet]("PortIDField")},
	{v1Field{"burstEnabled", 95, 1, v1KBool}, v1Get[V1PortDataSet]("BurstEnabled")},
	{v1Field{"subdomainAddressOctets", 97, 1, v1KUint}, v1Get[V1PortDataSet]("SubdomainAddressOctets")},
	{v1Field{"eventPortAddressOctets", 98, 1, v1KUint}, v1Get[V1PortDataSet]("EventPortAddressOctets")},
	{v1Field{"generalPortAddressOctets", 99, 1, v1KUint}, v1Get[V1PortDataSet]("GeneralPortAddressOctets")},
	{v1Field{"subdomainAddress", 100, 4, v1KOctets}, v1Get[V1PortDataSet]("SubdomainAddress")},
	{v1Field{"eventPortAddress", 106, 2, v1KOctets}, v1Get[V1PortDataSet]("EventPortAddress")},
	{v1Field{"generalPortAddress", 110, 2, v1KOctets}, v1Get[V1PortDataSet]("GeneralPortAddress")},
}

var v1GlobalTimeDataSetFields = []v1Member[V1GlobalTimeDataSet]{
	{v1Field{"localTime", 60, 8, v1KTime}, v1Get[V1GlobalTimeDataSet]("LocalTime")},
	{v1Field{"currentUtcOffset", 70, 2, v1KInt}, v1Get[V1GlobalTimeDataSet]("CurrentUTCOffset")},
	{v1Field{"leap59", 75, 1, v1KBool}, v1Get[V1GlobalTimeDataSet]("Leap59")},
	{v1Field{"leap61", 79, 1, v1KBool}, v1Get[V1GlobalTimeDataSet]("Leap61")},
	{v1Field{"epochNumber", 82, 2, v1KUint}, v1Get[V1GlobalTimeDataSet]("EpochNumber")},
}

var v1GlobalTimePropertiesFields = []v1Member[V1GlobalTimeProperties]{
	{v1Field{"currentUtcOffset", 62, 2, v1KInt16AsUint}, v1Get[V1GlobalTimeProperties]("CurrentUTCOffset")},
	{v1Field{"leap59", 67, 1, v1KBool}, v1Get[V1GlobalTimeProperties]("Leap59")},
	{v1Field{"leap61", 71, 1, v1KBool}, v1Get[V1GlobalTimeProperties]("Leap61")},
	{v1Field{"epochNumber", 74, 2, v1KUint}, v1Get[V1GlobalTimeProperties]("EpochNumber")},
}

var v1GetForeignDataSetParamsFields = []v1Member[V1GetForeignDataSetParams]{
	{v1Field{"recordKey", 62, 2, v1KUint}, v1Get[V1GetForeignDataSetParams]("RecordKey")},
}

var v1ForeignDataSetFields = []v1Member[V1ForeignDataSet]{
	{v1Field{"returnedPortNumber", 62, 2, v1KUint}, v1Get[V1ForeignDataSet]("ReturnedPortNumber")},
	{v1Field{"returnedRecordNumber", 66, 2, v1KUint}, v1Get[V1ForeignDataSet]("ReturnedRecordNumber")},
	{v1Field{"foreignMasterCommunicationTechnology", 71, 1, v1KComm}, v1Get[V1ForeignDataSet]("ForeignMasterCommunicationTechnology")},
	{v1Field{"foreignMasterUuidField", 72, 6, v1KUUID}, v1Get[V1ForeignDataSet]("ForeignMasterUUID")},
	{v1Field{"foreignMasterPortIdField", 82, 2, v1KUint}, v1Get[V1ForeignDataSet]("ForeignMasterPortID")},
	{v1Field{"foreignMasterSyncs", 86, 2, v1KUint}, v1Get[V1ForeignDataSet]("ForeignMasterSyncs")},
}

var v1SetSyncIntervalParamsFields = []v1Member[V1SetSyncIntervalParams]{
	{v1Field{"syncInterval", 63, 1, v1KInt}, v1Get[V1SetSyncIntervalParams]("SyncInterval")},
}

var v1SetTimeParamsFields = []v1Member[V1SetTimeParams]{
	{v1Field{"localTime", 60, 8, v1KTime}, v1Get[V1SetTimeParams]("LocalTime")},
}

// describeV1 lists the PTPv1 message in w.b[off:off+n]: a "ptp" group
// holding a "header" group and a "body" group (with "messageParameters"
// for Management), every field at its absolute offset. It never panics:
// fields the datagram does not reach are marked truncated.
func describeV1(w fieldWriter, off, n int) {
	if off < 0 || n < 0 || off > len(w.b) {
		return
	}
	if off+n > len(w.b) {
		n = len(w.b) - off
	}
	if n < V1HeaderLength {
		w.raw("ptp", off, n)
		return
	}
	// Reads past the datagram, into a frame's trailer, count as truncated.
	w.b = w.b[:off+n]
	b := w.b[off:]
	p := w.group("ptp", off, n)
	p.setText("PTPv1")
	v1Fields(p.v1Group("header", off, 0, V1HeaderLength, n), off, v1HeaderFields, 0, V1HeaderLength)
	end := n
	switch c := V1Control(b[32]); c {
	case V1Sync, V1DelayReq, V1FollowUp, V1DelayResp:
		end = c.MinLength()
		v1Fields(p.v1Group("body", off, V1HeaderLength, end, n), off, v1BodyFields(c), V1HeaderLength, end)
	case V1Management:
		pl, key := 0, V1MMNull
		if n >= V1ManagementLength {
			pl = int(binary.BigEndian.Uint16(b[58:60]))
			key = V1ManagementKey(b[55])
		}
		have := n - V1ManagementLength
		if have > pl {
			have = pl
		}
		if key == V1MMParentDataSet && pl == v1ParentDataSetQuirk && have >= v1ParentDataSetLength {
			pl = have // as Decode: ptpd 1.x's 90 with 88 octets is complete
		}
		end = V1ManagementLength + pl
		bd := p.v1Group("body", off, V1HeaderLength, end, n)
		v1Fields(bd, off, v1ManagementFields, V1HeaderLength, V1ManagementLength)
		if pl == 0 {
			break
		}
		pg := bd.v1Group("messageParameters", off, V1ManagementLength, end, n)
		if need := key.ParameterLength(); need > 0 && have >= need {
			pg.setText(key.String())
			v1Fields(pg, off, v1ParameterFields[key], V1ManagementLength, V1ManagementLength+have)
		} else if have > 0 {
			pg.raw("parameters", off+V1ManagementLength, have)
		}
	default:
		if n > V1HeaderLength {
			p.raw("body", off+V1HeaderLength, n-V1HeaderLength)
		}
	}
	if n > end {
		p.raw("padding", off+end, n-end)
	}
}

// v1Group adds a group for message octets from to to, cut at the n octets
// present (and then marked truncated).
func (w fieldWriter) v1Group(name string, base, from, to, n int) fieldWriter {
	l := to - from
	if to > n {
		l = n - from
		if l < 0 {
			l = 0
		}
	}
	g := w.group(name, base+from, l)
	if to > n {
		g.setText("truncated")
	}
	return g
}

// v1BodyFields returns the members of the body that control c selects, or
// nil for a reserved control.
func v1BodyFields(c V1Control) []v1Member[V1Message] {
	switch c {
	case V1Sync, V1DelayReq:
		return v1SyncFields
	case V1FollowUp:
		return v1FollowUpFields
	case V1DelayResp:
		return v1DelayRespFields
	case V1Management:
		return v1ManagementFields
	}
	return nil
}

// v1Layout is a table row that places a field: v1Field, or v1Member.
type v1Layout interface{ layout() v1Field }

func (f v1Field) layout() v1Field { return f }

// v1Fields lists fs (at message offsets from base) and the reserved octets
// between them, from message offset from to to.
func v1Fields[F v1Layout](w fieldWriter, base int, fs []F, from, to int) {
	at := from
	for _, e := range fs {
		f := e.layout()
		o, l := int(f.off), int(f.n)
		if o > at {
			w.raw("reserved", base+at, o-at)
		}
		w.v1Field(f.name, base+o, l, f.kind)
		at = o + l
	}
	if to > at {
		w.raw("reserved", base+at, to-at)
	}
}

// v1Field lists one field at absolute offset off.
func (w fieldWriter) v1Field(name string, off, n int, k v1Kind) {
	if !w.ok(off, n) {
		w.truncated(name, off, n)
		return
	}
	v := w.b[off : off+n]
	switch k {
	case v1KUint:
		w.uint(name, off, n)
	case v1KInt:
		w.int(name, off, n)
	case v1KBool:
		text := "false"
		if v[0] != 0 {
			text = "true"
		}
		w.enum(name, off, n, text)
	case v1KUUID:
		w.mac(name, off)
	case v1KText:
		w.addBytes(name, off, n, trimNUL(v), "")
	case v1KOctets:
		w.hex(name, off, n)
	case v1KTime:
		g := w.group(name, off, n)
		a := w.arena()
		start := len(a)
		g.setValueArena(readV1Time(v).AppendTo(a), start)
		g.uint("seconds", off, 4)
		g.int("nanoseconds", off+4, 4)
	case v1KComm:
		w.enum(name, off, n, V1CommunicationTechnology(v[0]).String())
	case v1KPortState:
		w.enum(name, off, n, V1PortState(v[0]).String())
	case v1KKey:
		w.enum(name, off, n, V1ManagementKey(v[0]).String())
	case v1KControl:
		w.enum(name, off, n, V1Control(v[0]).String())
	case v1KMessageType:
		w.enum(name, off, n, V1MessageType(v[0]).String())
	case v1KCode:
		w.hex(name, off, n)
		a := w.arena()
		start := len(a)
		w.setLastTextArena(append(a, trimNUL(v)...), start)
	case v1KInt16AsUint:
		w.uint(name, off, n)
		a := w.arena()
		start := len(a)
		w.setLastTextArena(strconv.AppendInt(a, int64(int16(binary.BigEndian.Uint16(v))), 10), start)
	case v1KFlags:
		g := w.group(name, off, n)
		a := w.arena()
		start := len(a)
		g.setValueArena(strconv.AppendUint(append(a, "0x"...), uint64(binary.BigEndian.Uint16(v)), 16), start)
		for _, fl := range V1FlagNames {
			g.bits(fl.Name, off, n, uint64(fl.Flag), "")
		}
	}
}
