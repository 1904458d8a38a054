package decode

import "encoding/binary"

// HeaderLength is the length of the PTPv2 common header (§13.3.1).
const HeaderLength = 34

// Header is the PTPv2 common message header (§13.3, Table 35).
type Header struct {
	MajorSdoID          uint8 // transportSpecific in 1588-2008; upper nibble of octet 0
	MessageType         MessageType
	MinorVersion        uint8 // minorVersionPTP: 0 for 1588-2008, 1 for 1588-2019
	Version             uint8 // versionPTP, 2
	MessageLength       uint16
	Domain              uint8
	MinorSdoID          uint8 // reserved in 1588-2008
	Flags               Flags
	Correction          TimeInterval
	MessageTypeSpecific uint32 // reserved in 1588-2008
	Source              PortIdentity
	Sequence            uint16
	Control             uint8 // controlField, obsolete in 2019 but still sent
	LogMessageInterval  int8
}

// SdoID returns the 12-bit sdoId of 1588-2019 (§7.1.4): majorSdoId then
// minorSdoId.
func (h *Header) SdoID() uint16 { return uint16(h.MajorSdoID)<<8 | uint16(h.MinorSdoID) }

// AnnounceBody holds the fields of an Announce message after its
// originTimestamp (§13.5).
type AnnounceBody struct {
	CurrentUTCOffset        int16
	GrandmasterPriority1    uint8
	GrandmasterClockQuality ClockQuality
	GrandmasterPriority2    uint8
	GrandmasterIdentity     ClockIdentity
	StepsRemoved            uint16
	TimeSource              TimeSource
}

// TimeSource is the source of time of a grandmaster (§7.6.2.8, Table 6).
type TimeSource uint8

// Time sources.
const (
	TimeSourceAtomicClock        TimeSource = 0x10 // ATOMIC_CLOCK
	TimeSourceGNSS               TimeSource = 0x20 // GNSS
	TimeSourceTerrestrialRadio   TimeSource = 0x30 // TERRESTRIAL_RADIO
	TimeSourceSerialTimeCode     TimeSource = 0x39 // SERIAL_TIME_CODE
	TimeSourcePTP                TimeSource = 0x40 // PTP
	TimeSourceNTP                TimeSource = 0x50 // NTP
	TimeSourceHandSet            TimeSource = 0x60 // HAND_SET
	TimeSourceOther              TimeSource = 0x90 // OTHER
	TimeSourceInternalOscillator TimeSource = 0xA0 // INTERNAL_OSCILLATOR
)

// String returns the name from Table 6; values it does not name read as
// ALTERNATE_PROFILE (0xF0-0xFE) or RESERVED.
func (t TimeSource) String() string {
	switch n := t.name(); {
	case !unnamed(n, "TimeSource("):
		return n
	case t >= 0xF0 && t <= 0xFE:
		return "ALTERNATE_PROFILE"
	}
	return "RESERVED"
}

// ManagementAction is the actionField of a management message (§15.4.1.6).
type ManagementAction uint8

// Management actions.
const (
	ActionGet         ManagementAction = 0 // GET
	ActionSet         ManagementAction = 1 // SET
	ActionResponse    ManagementAction = 2 // RESPONSE
	ActionCommand     ManagementAction = 3 // COMMAND
	ActionAcknowledge ManagementAction = 4 // ACKNOWLEDGE
)

// String returns the action's name from Table 77, or RESERVED.
func (a ManagementAction) String() string {
	if n := a.name(); !unnamed(n, "ManagementAction(") {
		return n
	}
	return "RESERVED"
}

// ManagementID identifies a management TLV's data set (§15.5.2.3, Table 59).
type ManagementID uint16

// ManagementHeader is the management-specific part of a Management message
// plus its first TLV, which is a MANAGEMENT or MANAGEMENT_ERROR_STATUS TLV
// (§15.4, §15.5).
type ManagementHeader struct {
	StartingBoundaryHops uint8
	BoundaryHops         uint8
	Action               ManagementAction
	TLVType              TLVType      // TLVManagement or TLVManagementErrorStatus
	ID                   ManagementID // managementId
	ErrorID              uint16       // managementErrorId, for TLVManagementErrorStatus
	// Data is the TLV's dataField after managementId (the data set), or for
	// an error status the displayData after the reserved octets, or for an
	// organization extension sent in place of a management TLV (SMPTE ST
	// 2059-2 does so) the TLV's whole value. It aliases the decoded input.
	Data []byte
}

// Message is one PTPv2 message: the header, the fixed body of its type, and
// its TLVs. Only the body fields of the message's type are meaningful; Decode
// zeroes the rest.
type Message struct {
	Header
	// Timestamp is the message's one timestamp: originTimestamp (Sync,
	// Delay_Req, Pdelay_Req, Announce), preciseOriginTimestamp (Follow_Up),
	// receiveTimestamp (Delay_Resp), requestReceiptTimestamp (Pdelay_Resp) or
	// responseOriginTimestamp (Pdelay_Resp_Follow_Up).
	Timestamp Timestamp
	// RequestingPort is requestingPortIdentity (Delay_Resp, Pdelay_Resp,
	// Pdelay_Resp_Follow_Up).
	RequestingPort PortIdentity
	Announce       AnnounceBody
	// TargetPort is targetPortIdentity (Signaling, Management).
	TargetPort PortIdentity
	Management ManagementHeader
	// Suffix holds the TLVs after the fixed body up to messageLength (for
	// Management, those after the management TLV). It aliases the input;
	// walk it with TLVs.
	Suffix []byte
	// NumTLVs counts the TLVs in Suffix.
	NumTLVs uint16
}

// Decode decodes a PTPv2 message from b, which starts at the PTP header and
// may run past messageLength (Ethernet padding). It resets m, fills what it
// can even when the result is not OK, and never allocates.
func (m *Message) Decode(b []byte) (Result, Reason) {
	*m = Message{}
	if len(b) < HeaderLength {
		return ResultTruncated, ReasonShortPTPHeader
	}
	m.MajorSdoID = b[0] >> 4
	m.MessageType = MessageType(b[0] & 0x0f)
	m.MinorVersion = b[1] >> 4
	m.Version = b[1] & 0x0f
	m.MessageLength = binary.BigEndian.Uint16(b[2:4])
	m.Domain = b[4]
	m.MinorSdoID = b[5]
	m.Flags = Flags(binary.BigEndian.Uint16(b[6:8]))
	m.Correction = TimeInterval(binary.BigEndian.Uint64(b[8:16]))
	m.MessageTypeSpecific = binary.BigEndian.Uint32(b[16:20])
	m.Source.Clock = ClockIdentity(b[20:28])
	m.Source.Port = binary.BigEndian.Uint16(b[28:30])
	m.Sequence = binary.BigEndian.Uint16(b[30:32])
	m.Control = b[32]
	m.LogMessageInterval = int8(b[33])
	if m.Version != 2 {
		return ResultMalformed, ReasonUnknownVersion
	}
	body := int(bodyLength[m.MessageType])
	if body == 0 {
		return ResultMalformed, ReasonUnknownMessageType
	}
	end := HeaderLength + body
	if len(b) < end {
		return ResultTruncated, ReasonShortBody
	}
	ml := int(m.MessageLength)
	if ml < end {
		return ResultMalformed, ReasonLengthTooSmall
	}
	if ml > len(b) {
		return ResultTruncated, ReasonLengthBeyondFrame
	}
	p := b[HeaderLength:end]
	switch m.MessageType {
	case Sync, DelayReq, FollowUp, PdelayReq:
		m.Timestamp = readTimestamp(p)
	case DelayResp, PdelayResp, PdelayRespFollowUp:
		m.Timestamp = readTimestamp(p)
		m.RequestingPort.Clock = ClockIdentity(p[10:18])
		m.RequestingPort.Port = binary.BigEndian.Uint16(p[18:20])
	case Announce:
		m.Timestamp = readTimestamp(p)
		a := &m.Announce
		a.CurrentUTCOffset = int16(binary.BigEndian.Uint16(p[10:12]))
		a.GrandmasterPriority1 = p[13]
		a.GrandmasterClockQuality = ClockQuality{p[14], p[15], binary.BigEndian.Uint16(p[16:18])}
		a.GrandmasterPriority2 = p[18]
		a.GrandmasterIdentity = ClockIdentity(p[19:27])
		a.StepsRemoved = binary.BigEndian.Uint16(p[27:29])
		a.TimeSource = TimeSource(p[29])
	case Signaling:
		m.TargetPort.Clock = ClockIdentity(p[0:8])
		m.TargetPort.Port = binary.BigEndian.Uint16(p[8:10])
	case Management:
		m.TargetPort.Clock = ClockIdentity(p[0:8])
		m.TargetPort.Port = binary.BigEndian.Uint16(p[8:10])
		m.Management.StartingBoundaryHops = p[10]
		m.Management.BoundaryHops = p[11]
		m.Management.Action = ManagementAction(p[12] & 0x0f)
	}
	suffix := b[end:ml]
	n, why := validateTLVs(suffix)
	if m.MessageType == Management {
		r, why2 := m.Management.decodeTLV(suffix)
		if r != ResultOK {
			return r, why2
		}
		if n > 0 {
			n--
		}
		l := 4 + int(binary.BigEndian.Uint16(suffix[2:4]))
		if l > len(suffix) {
			l = len(suffix)
		}
		suffix = suffix[l:]
	}
	m.Suffix = suffix
	m.NumTLVs = n
	if why != ReasonNone {
		return ResultMalformed, why
	}
	return ResultOK, ReasonNone
}

// decodeTLV reads the management or management error status TLV that
// starts tlvs.
func (h *ManagementHeader) decodeTLV(tlvs []byte) (Result, Reason) {
	if len(tlvs) < 4 {
		return ResultMalformed, ReasonManagementTLVMissing
	}
	h.TLVType = TLVType(binary.BigEndian.Uint16(tlvs[0:2]))
	l := int(binary.BigEndian.Uint16(tlvs[2:4]))
	if 4+l > len(tlvs) {
		return ResultMalformed, ReasonTLVBeyondMessage
	}
	v := tlvs[4 : 4+l]
	switch h.TLVType {
	case TLVManagement:
		if len(v) < 2 {
			return ResultMalformed, ReasonManagementTLVShort
		}
		h.ID = ManagementID(binary.BigEndian.Uint16(v[0:2]))
		h.Data = v[2:]
	case TLVManagementErrorStatus:
		if len(v) < 8 {
			return ResultMalformed, ReasonManagementTLVShort
		}
		h.ErrorID = binary.BigEndian.Uint16(v[0:2])
		h.ID = ManagementID(binary.BigEndian.Uint16(v[2:4]))
		h.Data = v[8:]
	case TLVOrganizationExtension, TLVOrganizationExtensionPropagate, TLVOrganizationExtensionDoNotPropagate:
		// SMPTE ST 2059-2 sends its synchronization metadata as a
		// Management message whose only TLV is an organization extension.
		h.Data = v
	default:
		return ResultMalformed, ReasonManagementTLVMissing
	}
	return ResultOK, ReasonNone
}

func readTimestamp(p []byte) Timestamp {
	return Timestamp{
		Seconds:     uint64(binary.BigEndian.Uint16(p[0:2]))<<32 | uint64(binary.BigEndian.Uint32(p[2:6])),
		Nanoseconds: binary.BigEndian.Uint32(p[6:10]),
	}
}

func appendTimestamp(b []byte, t Timestamp) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(t.Seconds>>32))
	b = binary.BigEndian.AppendUint32(b, uint32(t.Seconds))
	return binary.BigEndian.AppendUint32(b, t.Nanoseconds)
}

func appendPortIdentity(b []byte, p PortIdentity) []byte {
	b = append(b, p.Clock[:]...)
	return binary.BigEndian.AppendUint16(b, p.Port)
}

// EncodedLength returns the messageLength AppendTo writes for m.
func (m *Message) EncodedLength() int {
	n := HeaderLength + int(bodyLength[m.MessageType&0xf]) + len(m.Suffix)
	if m.MessageType == Management {
		n += 4 + len(m.Management.Data)
		switch m.Management.TLVType {
		case TLVManagementErrorStatus:
			n += 8
		case TLVOrganizationExtension, TLVOrganizationExtensionPropagate, TLVOrganizationExtensionDoNotPropagate:
		default:
			n += 2
		}
	}
	return n
}

// AppendTo appends m in wire format to b and returns the extended buffer.
// messageLength is computed from the body and TLVs, not taken from m;
// Version is written as given (2 unless the caller sets it otherwise).
// Reserved octets are written as zero. For a Management message the
// management TLV is built from m.Management (TLVManagement when TLVType is
// zero) and m.Suffix follows it. It does not allocate when b has room.
func (m *Message) AppendTo(b []byte) []byte {
	mt := m.MessageType & 0x0f
	b = append(b, m.MajorSdoID<<4|uint8(mt), m.MinorVersion<<4|m.Version&0x0f)
	b = binary.BigEndian.AppendUint16(b, uint16(m.EncodedLength()))
	b = append(b, m.Domain, m.MinorSdoID)
	b = binary.BigEndian.AppendUint16(b, uint16(m.Flags))
	b = binary.BigEndian.AppendUint64(b, uint64(m.Correction))
	b = binary.BigEndian.AppendUint32(b, m.MessageTypeSpecific)
	b = appendPortIdentity(b, m.Source)
	b = binary.BigEndian.AppendUint16(b, m.Sequence)
	b = append(b, m.Control, uint8(m.LogMessageInterval))
	switch mt {
	case Sync, DelayReq, FollowUp:
		b = appendTimestamp(b, m.Timestamp)
	case PdelayReq:
		b = appendTimestamp(b, m.Timestamp)
		b = append(b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	case DelayResp, PdelayResp, PdelayRespFollowUp:
		b = appendTimestamp(b, m.Timestamp)
		b = appendPortIdentity(b, m.RequestingPort)
	case Announce:
		a := &m.Announce
		b = appendTimestamp(b, m.Timestamp)
		b = binary.BigEndian.AppendUint16(b, uint16(a.CurrentUTCOffset))
		b = append(b, 0, a.GrandmasterPriority1, a.GrandmasterClockQuality.Class, a.GrandmasterClockQuality.Accuracy)
		b = binary.BigEndian.AppendUint16(b, a.GrandmasterClockQuality.OffsetScaledLogVariance)
		b = append(b, a.GrandmasterPriority2)
		b = append(b, a.GrandmasterIdentity[:]...)
		b = binary.BigEndian.AppendUint16(b, a.StepsRemoved)
		b = append(b, uint8(a.TimeSource))
	case Signaling:
		b = appendPortIdentity(b, m.TargetPort)
	case Management:
		h := &m.Management
		b = appendPortIdentity(b, m.TargetPort)
		b = append(b, h.StartingBoundaryHops, h.BoundaryHops, uint8(h.Action)&0x0f, 0)
		switch h.TLVType {
		case TLVManagementErrorStatus:
			b = binary.BigEndian.AppendUint16(b, uint16(TLVManagementErrorStatus))
			b = binary.BigEndian.AppendUint16(b, uint16(8+len(h.Data)))
			b = binary.BigEndian.AppendUint16(b, h.ErrorID)
			b = binary.BigEndian.AppendUint16(b, uint16(h.ID))
			b = append(b, 0, 0, 0, 0)
		case TLVOrganizationExtension, TLVOrganizationExtensionPropagate, TLVOrganizationExtensionDoNotPropagate:
			b = binary.BigEndian.AppendUint16(b, uint16(h.TLVType))
			b = binary.BigEndian.AppendUint16(b, uint16(len(h.Data)))
		default:
			b = binary.BigEndian.AppendUint16(b, uint16(TLVManagement))
			b = binary.BigEndian.AppendUint16(b, uint16(2+len(h.Data)))
			b = binary.BigEndian.AppendUint16(b, uint16(h.ID))
		}
		b = append(b, h.Data...)
	}
	return append(b, m.Suffix...)
}
