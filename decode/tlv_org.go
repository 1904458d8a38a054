package decode

import (
	"encoding/binary"
	"encoding/hex"
	"strconv"
)

// Organization extension TLVs (§14.3): organizationId (an OUI or CID, 3
// octets), organizationSubType (3 octets) and a dataField the organization
// defines. The typed decoders here take the whole TLV value, organizationId
// included, and return ErrTLVOrgMismatch for another organization or
// subtype.

// Organization identifiers with typed decoders.
var (
	OUIIEEE8021 = [3]byte{0x00, 0x80, 0xC2} // IEEE 802.1 (802.1AS)
	OUIC37238   = [3]byte{0x1C, 0x12, 0x9D} // IEEE C37.238 power profile
	OUISMPTE    = [3]byte{0x68, 0x97, 0xE8} // SMPTE (ST 2059-2)
)

// Organization subtypes with typed decoders.
const (
	SubtypeFollowUpInfo                 uint32 = 1 // 802.1AS Follow_Up information TLV
	SubtypeMessageIntervalRequest       uint32 = 2 // 802.1AS message interval request TLV
	SubtypeGPTPCapable                  uint32 = 4 // 802.1AS-2020 gPTP-capable TLV
	SubtypeGPTPCapableIntervalRequest   uint32 = 5 // 802.1AS-2020 gPTP-capable message interval request TLV
	SubtypeC37238v2011                  uint32 = 1 // C37.238-2011 IEEE_C37_238 TLV
	SubtypeC37238v2017                  uint32 = 2 // C37.238-2017 IEEE_C37_238 TLV
	SubtypeSMPTESynchronizationMetadata uint32 = 1 // ST 2059-2 synchronization metadata TLV, version 1
)

// OrgExtensionTLV is any organization extension TLV, decoded down to its
// dataField.
type OrgExtensionTLV struct {
	// Type is ORGANIZATION_EXTENSION, _PROPAGATE or _DO_NOT_PROPAGATE.
	// Decode leaves it alone (the value does not carry it); AppendTo
	// writes ORGANIZATION_EXTENSION when it is zero.
	Type                TLVType
	OrganizationID      [3]byte
	OrganizationSubType uint32 // 24 bits
	Data                []byte // dataField, aliasing the decoded value
}

// Decode reads the TLV value v. It does not allocate.
func (x *OrgExtensionTLV) Decode(v []byte) error {
	t := x.Type
	*x = OrgExtensionTLV{Type: t}
	if len(v) < 6 {
		return ErrTLVShort
	}
	x.OrganizationID = [3]byte(v[0:3])
	x.OrganizationSubType = be24(v[3:6])
	x.Data = nilIfEmpty(v[6:])
	return nil
}

// AppendTo appends the whole TLV. An odd-length Data is padded with a zero
// octet.
func (x *OrgExtensionTLV) AppendTo(b []byte) []byte {
	t := x.Type
	if t == 0 {
		t = TLVOrganizationExtension
	}
	n := 6 + len(x.Data)
	pad := n & 1
	b = appendTLVHeader(b, t, n+pad)
	b = appendOrgHeader(b, x.OrganizationID, x.OrganizationSubType)
	b = append(b, x.Data...)
	if pad != 0 {
		b = append(b, 0)
	}
	return b
}

func be24(p []byte) uint32 { return uint32(p[0])<<16 | uint32(p[1])<<8 | uint32(p[2]) }

func appendOrgHeader(b []byte, oui [3]byte, sub uint32) []byte {
	b = append(b, oui[:]...)
	return append(b, uint8(sub>>16), uint8(sub>>8), uint8(sub))
}

// orgData checks v's organizationId and subtype and returns the dataField.
func orgData(v []byte, oui [3]byte, sub uint32, need int) ([]byte, error) {
	if len(v) < 6 {
		return nil, ErrTLVShort
	}
	if [3]byte(v[0:3]) != oui || be24(v[3:6]) != sub {
		return nil, ErrTLVOrgMismatch
	}
	if len(v)-6 < need {
		return nil, ErrTLVShort
	}
	return v[6:], nil
}

// ScaledNs is a 96-bit signed count of 2^-16 nanoseconds (IEEE 802.1AS
// §6.4.3.1), as in lastGmPhaseChange: Hi holds the upper 32 bits, Lo the
// lower 64.
type ScaledNs struct {
	Hi int32
	Lo uint64
}

// Nanoseconds returns the value in nanoseconds, rounded to a float64.
func (s ScaledNs) Nanoseconds() float64 {
	return (float64(s.Hi)*(1<<64) + float64(s.Lo)) / 65536
}

func readScaledNs(p []byte) ScaledNs {
	return ScaledNs{int32(binary.BigEndian.Uint32(p[0:4])), binary.BigEndian.Uint64(p[4:12])}
}

func appendScaledNs(b []byte, s ScaledNs) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(s.Hi))
	return binary.BigEndian.AppendUint64(b, s.Lo)
}

// FollowUpInfoTLV is the IEEE 802.1AS Follow_Up information TLV
// (802.1AS-2020 §11.4.4.3; tlvType ORGANIZATION_EXTENSION, OUI 00-80-C2,
// subtype 1), carried in Follow_Up (and one-step Sync) messages.
type FollowUpInfoTLV struct {
	CumulativeScaledRateOffset int32 // (rateRatio − 1) × 2^41
	GMTimeBaseIndicator        uint16
	LastGMPhaseChange          ScaledNs
	ScaledLastGMFreqChange     int32 // fractional frequency change × 2^41
}

const followUpInfoLen = 22

// Decode reads the TLV value v, organizationId included. It does not
// allocate.
func (x *FollowUpInfoTLV) Decode(v []byte) error {
	*x = FollowUpInfoTLV{}
	d, err := orgData(v, OUIIEEE8021, SubtypeFollowUpInfo, followUpInfoLen)
	if err != nil {
		return err
	}
	x.CumulativeScaledRateOffset = int32(binary.BigEndian.Uint32(d[0:4]))
	x.GMTimeBaseIndicator = binary.BigEndian.Uint16(d[4:6])
	x.LastGMPhaseChange = readScaledNs(d[6:18])
	x.ScaledLastGMFreqChange = int32(binary.BigEndian.Uint32(d[18:22]))
	return nil
}

// AppendTo appends the whole TLV.
func (x *FollowUpInfoTLV) AppendTo(b []byte) []byte {
	b = appendTLVHeader(b, TLVOrganizationExtension, 6+followUpInfoLen)
	b = appendOrgHeader(b, OUIIEEE8021, SubtypeFollowUpInfo)
	b = binary.BigEndian.AppendUint32(b, uint32(x.CumulativeScaledRateOffset))
	b = binary.BigEndian.AppendUint16(b, x.GMTimeBaseIndicator)
	b = appendScaledNs(b, x.LastGMPhaseChange)
	return binary.BigEndian.AppendUint32(b, uint32(x.ScaledLastGMFreqChange))
}

// Message interval request flags (802.1AS-2020 §10.6.4.3.9).
const (
	MIRComputeNeighborRateRatio uint8 = 0x02
	MIRComputeMeanLinkDelay     uint8 = 0x04
	MIROneStepReceiveCapable    uint8 = 0x08
)

// MessageIntervalRequestTLV is the IEEE 802.1AS message interval request
// TLV (802.1AS-2020 §10.6.4.3; tlvType ORGANIZATION_EXTENSION, OUI
// 00-80-C2, subtype 2), carried in Signaling messages. The log intervals
// use 127 for "stop", 126 for "initial" and -128 for "no change".
type MessageIntervalRequestTLV struct {
	LinkDelayInterval int8
	TimeSyncInterval  int8
	AnnounceInterval  int8
	Flags             uint8 // MIR* bits
}

const messageIntervalRequestLen = 6 // 3 intervals, flags, 2 reserved

// Decode reads the TLV value v, organizationId included. It does not
// allocate.
func (x *MessageIntervalRequestTLV) Decode(v []byte) error {
	*x = MessageIntervalRequestTLV{}
	d, err := orgData(v, OUIIEEE8021, SubtypeMessageIntervalRequest, 4)
	if err != nil {
		return err
	}
	x.LinkDelayInterval, x.TimeSyncInterval, x.AnnounceInterval = int8(d[0]), int8(d[1]), int8(d[2])
	x.Flags = d[3]
	return nil
}

// AppendTo appends the whole TLV.
func (x *MessageIntervalRequestTLV) AppendTo(b []byte) []byte {
	b = appendTLVHeader(b, TLVOrganizationExtension, 6+messageIntervalRequestLen)
	b = appendOrgHeader(b, OUIIEEE8021, SubtypeMessageIntervalRequest)
	return append(b, uint8(x.LinkDelayInterval), uint8(x.TimeSyncInterval), uint8(x.AnnounceInterval), x.Flags, 0, 0)
}

// GPTPCapableTLV is an IEEE 802.1AS-2020 gPTP-capable TLV (§10.6.4.4,
// subtype 4) or gPTP-capable message interval request TLV (§10.6.4.5,
// subtype 5): tlvType ORGANIZATION_EXTENSION_DO_NOT_PROPAGATE, OUI
// 00-80-C2, then a log message interval, a flags octet and 4 reserved
// octets (field positions as Wireshark's packet-ptp.c reads them).
type GPTPCapableTLV struct {
	Subtype            uint32 // SubtypeGPTPCapable or SubtypeGPTPCapableIntervalRequest
	LogMessageInterval int8   // logGptpCapableMessageInterval
	Flags              uint8
}

const gptpCapableLen = 6

// Decode reads the TLV value v, organizationId included. It does not
// allocate.
func (x *GPTPCapableTLV) Decode(v []byte) error {
	*x = GPTPCapableTLV{}
	if len(v) >= 6 {
		x.Subtype = be24(v[3:6])
	}
	if x.Subtype != SubtypeGPTPCapable && x.Subtype != SubtypeGPTPCapableIntervalRequest {
		x.Subtype = SubtypeGPTPCapable // report the mismatch below
	}
	d, err := orgData(v, OUIIEEE8021, x.Subtype, 2)
	if err != nil {
		x.Subtype = 0
		return err
	}
	x.LogMessageInterval, x.Flags = int8(d[0]), d[1]
	return nil
}

// AppendTo appends the whole TLV (subtype 4 when Subtype is zero).
func (x *GPTPCapableTLV) AppendTo(b []byte) []byte {
	sub := x.Subtype
	if sub == 0 {
		sub = SubtypeGPTPCapable
	}
	b = appendTLVHeader(b, TLVOrganizationExtensionDoNotPropagate, 6+gptpCapableLen)
	b = appendOrgHeader(b, OUIIEEE8021, sub)
	return append(b, uint8(x.LogMessageInterval), x.Flags, 0, 0, 0, 0)
}

// C37238TLV is the IEEE_C37_238 TLV of the power profile (tlvType
// ORGANIZATION_EXTENSION, OUI 1C-12-9D) carried in Announce: subtype 1
// (C37.238-2011: grandmasterID, grandmasterTimeInaccuracy,
// networkTimeInaccuracy, 2 reserved octets) or subtype 2 (C37.238-2017:
// grandmasterID, 4 reserved octets, totalTimeInaccuracy, 2 reserved
// octets). Layouts as linuxptp's tlv.h and Wireshark's packet-ptp.c.
type C37238TLV struct {
	Subtype                   uint32 // SubtypeC37238v2011 or SubtypeC37238v2017
	GrandmasterID             uint16
	GrandmasterTimeInaccuracy uint32 // ns, 2011 only
	NetworkTimeInaccuracy     uint32 // ns, 2011 only
	TotalTimeInaccuracy       uint32 // ns, 2017 only
}

const c37238Len = 12

// Decode reads the TLV value v, organizationId included. It does not
// allocate.
func (x *C37238TLV) Decode(v []byte) error {
	*x = C37238TLV{}
	sub := SubtypeC37238v2011
	if len(v) >= 6 && be24(v[3:6]) == SubtypeC37238v2017 {
		sub = SubtypeC37238v2017
	}
	d, err := orgData(v, OUIC37238, sub, c37238Len)
	if err != nil {
		return err
	}
	x.Subtype = sub
	x.GrandmasterID = binary.BigEndian.Uint16(d[0:2])
	if sub == SubtypeC37238v2011 {
		x.GrandmasterTimeInaccuracy = binary.BigEndian.Uint32(d[2:6])
		x.NetworkTimeInaccuracy = binary.BigEndian.Uint32(d[6:10])
	} else {
		x.TotalTimeInaccuracy = binary.BigEndian.Uint32(d[6:10])
	}
	return nil
}

// AppendTo appends the whole TLV (the 2011 layout unless Subtype is
// SubtypeC37238v2017).
func (x *C37238TLV) AppendTo(b []byte) []byte {
	b = appendTLVHeader(b, TLVOrganizationExtension, 6+c37238Len)
	if x.Subtype == SubtypeC37238v2017 {
		b = appendOrgHeader(b, OUIC37238, SubtypeC37238v2017)
		b = binary.BigEndian.AppendUint16(b, x.GrandmasterID)
		b = append(b, 0, 0, 0, 0)
		b = binary.BigEndian.AppendUint32(b, x.TotalTimeInaccuracy)
		return append(b, 0, 0)
	}
	b = appendOrgHeader(b, OUIC37238, SubtypeC37238v2011)
	b = binary.BigEndian.AppendUint16(b, x.GrandmasterID)
	b = binary.BigEndian.AppendUint32(b, x.GrandmasterTimeInaccuracy)
	b = binary.BigEndian.AppendUint32(b, x.NetworkTimeInaccuracy)
	return append(b, 0, 0)
}

// SMPTE ST 2059-2 masterLockingStatus values.
const (
	SMPTENotInUse    uint8 = 0
	SMPTEFreeRun     uint8 = 1
	SMPTECold        uint8 = 2 // cold locking
	SMPTEWarm        uint8 = 3 // warm locking
	SMPTELocked      uint8 = 4
	SMPTEDropFrame   uint8 = 0x01 // timeAddressFlags: drop frame
	SMPTEColorFrame  uint8 = 0x02 // timeAddressFlags: color frame identification
	SMPTEDSTCurrent  uint8 = 0x01 // daylightSaving: in effect now
	SMPTEDSTNext     uint8 = 0x02 // daylightSaving: in effect after the next jump
	SMPTEDSTPrevious uint8 = 0x04 // daylightSaving: in effect at the previous jam
	SMPTELeapJump    uint8 = 0x01 // leapSecondJump: the next jump is a leap second
)

// SMPTETLV is the SMPTE ST 2059-2 synchronization metadata TLV (tlvType
// ORGANIZATION_EXTENSION, OUI 68-97-E8, subtype 1 = version 1), sent in a
// Management message: 42 octets of dataField (lengthField 48). Layout as
// Wireshark's packet-ptp.c and libptpmgmt read it.
type SMPTETLV struct {
	DefaultSystemFrameRateNumerator   uint32
	DefaultSystemFrameRateDenominator uint32
	MasterLockingStatus               uint8
	TimeAddressFlags                  uint8 // SMPTEDropFrame, SMPTEColorFrame
	CurrentLocalOffset                int32 // seconds
	JumpSeconds                       int32
	TimeOfNextJump                    uint64 // UInteger48 PTP seconds
	TimeOfNextJam                     uint64 // UInteger48 PTP seconds
	TimeOfPreviousJam                 uint64 // UInteger48 PTP seconds
	PreviousJamLocalOffset            int32
	DaylightSaving                    uint8 // SMPTEDST* bits
	LeapSecondJump                    uint8 // SMPTELeapJump
}

const smpteLen = 42

// Decode reads the TLV value v, organizationId included. It does not
// allocate.
func (x *SMPTETLV) Decode(v []byte) error {
	*x = SMPTETLV{}
	d, err := orgData(v, OUISMPTE, SubtypeSMPTESynchronizationMetadata, smpteLen)
	if err != nil {
		return err
	}
	x.DefaultSystemFrameRateNumerator = binary.BigEndian.Uint32(d[0:4])
	x.DefaultSystemFrameRateDenominator = binary.BigEndian.Uint32(d[4:8])
	x.MasterLockingStatus, x.TimeAddressFlags = d[8], d[9]
	x.CurrentLocalOffset = int32(binary.BigEndian.Uint32(d[10:14]))
	x.JumpSeconds = int32(binary.BigEndian.Uint32(d[14:18]))
	x.TimeOfNextJump = be48(d[18:24])
	x.TimeOfNextJam = be48(d[24:30])
	x.TimeOfPreviousJam = be48(d[30:36])
	x.PreviousJamLocalOffset = int32(binary.BigEndian.Uint32(d[36:40]))
	x.DaylightSaving, x.LeapSecondJump = d[40], d[41]
	return nil
}

// AppendTo appends the whole TLV.
func (x *SMPTETLV) AppendTo(b []byte) []byte {
	b = appendTLVHeader(b, TLVOrganizationExtension, 6+smpteLen)
	b = appendOrgHeader(b, OUISMPTE, SubtypeSMPTESynchronizationMetadata)
	b = binary.BigEndian.AppendUint32(b, x.DefaultSystemFrameRateNumerator)
	b = binary.BigEndian.AppendUint32(b, x.DefaultSystemFrameRateDenominator)
	b = append(b, x.MasterLockingStatus, x.TimeAddressFlags)
	b = binary.BigEndian.AppendUint32(b, uint32(x.CurrentLocalOffset))
	b = binary.BigEndian.AppendUint32(b, uint32(x.JumpSeconds))
	b = appendBE48(b, x.TimeOfNextJump)
	b = appendBE48(b, x.TimeOfNextJam)
	b = appendBE48(b, x.TimeOfPreviousJam)
	b = binary.BigEndian.AppendUint32(b, uint32(x.PreviousJamLocalOffset))
	return append(b, x.DaylightSaving, x.LeapSecondJump)
}

func orgName(oui [3]byte) string {
	switch oui {
	case OUIIEEE8021:
		return "IEEE 802.1"
	case OUIC37238:
		return "IEEE C37.238"
	case OUISMPTE:
		return "SMPTE"
	case [3]byte{0x00, 0x19, 0xA7}:
		return "ITU-T"
	case [3]byte{0x08, 0x00, 0x30}:
		return "CERN"
	}
	return ""
}

func describeOrgExtension(w fieldWriter, off, n int) {
	if n < 6 || !w.ok(off, 6) {
		w.raw("value", off, n)
		if n < 6 && w.hasLast() {
			w.setLastText("truncated")
		}
		return
	}
	oui := [3]byte(w.b[off : off+3])
	sub := be24(w.b[off+3:])
	w.add("organizationId", off, 3, "0x"+hex.EncodeToString(oui[:]), orgName(oui))
	w.uint("organizationSubType", off+3, 3)
	d, end := off+6, off+n
	switch {
	case oui == OUIIEEE8021 && sub == SubtypeFollowUpInfo:
		w.setLastText("Follow_Up information")
		w.int("cumulativeScaledRateOffset", d, 4)
		w.uint("gmTimeBaseIndicator", d+4, 2)
		w.tlvScaledNs("lastGmPhaseChange", d+6)
		w.int("scaledLastGmFreqChange", d+18, 4)
		w.tlvRest("trailing", d+followUpInfoLen, end)
	case oui == OUIIEEE8021 && sub == SubtypeMessageIntervalRequest:
		w.setLastText("message interval request")
		w.int("linkDelayInterval", d, 1)
		w.int("timeSyncInterval", d+1, 1)
		w.int("announceInterval", d+2, 1)
		if w.ok(d+3, 1) {
			g := w.group("flags", d+3, 1)
			g.setValueLazy(valueHex, d+3, 1)
			g.bits("oneStepReceiveCapable", d+3, 1, uint64(MIROneStepReceiveCapable), "")
			g.bits("computeMeanLinkDelay", d+3, 1, uint64(MIRComputeMeanLinkDelay), "")
			g.bits("computeNeighborRateRatio", d+3, 1, uint64(MIRComputeNeighborRateRatio), "")
		} else {
			w.truncated("flags", d+3, 1)
		}
		w.raw("reserved", d+4, 2)
		w.tlvRest("trailing", d+messageIntervalRequestLen, end)
	case oui == OUIIEEE8021 && (sub == SubtypeGPTPCapable || sub == SubtypeGPTPCapableIntervalRequest):
		if sub == SubtypeGPTPCapable {
			w.setLastText("gPTP-capable")
		} else {
			w.setLastText("gPTP-capable message interval request")
		}
		w.int("logGptpCapableMessageInterval", d, 1)
		w.hex("flags", d+1, 1)
		w.raw("reserved", d+2, 4)
		w.tlvRest("trailing", d+gptpCapableLen, end)
	case oui == OUIC37238 && (sub == SubtypeC37238v2011 || sub == SubtypeC37238v2017):
		if sub == SubtypeC37238v2011 {
			w.setLastText("C37.238-2011")
		} else {
			w.setLastText("C37.238-2017")
		}
		w.uint("grandmasterID", d, 2)
		if sub == SubtypeC37238v2011 {
			w.uint("grandmasterTimeInaccuracy", d+2, 4)
			w.uint("networkTimeInaccuracy", d+6, 4)
		} else {
			w.raw("reserved", d+2, 4)
			w.uint("totalTimeInaccuracy", d+6, 4)
		}
		w.raw("reserved", d+10, 2)
		w.tlvRest("trailing", d+c37238Len, end)
	case oui == OUISMPTE && sub == SubtypeSMPTESynchronizationMetadata:
		w.setLastText("synchronization metadata version 1")
		if w.ok(d, 8) {
			g := w.group("defaultSystemFrameRate", d, 8)
			g.setValue(strconv.FormatUint(w.be(d, 4), 10) + "/" + strconv.FormatUint(w.be(d+4, 4), 10))
			g.uint("numerator", d, 4)
			g.uint("denominator", d+4, 4)
		} else {
			w.truncated("defaultSystemFrameRate", d, 8)
		}
		if w.ok(d+8, 1) {
			w.enum("masterLockingStatus", d+8, 1, smpteLockingName(w.b[d+8]))
		} else {
			w.truncated("masterLockingStatus", d+8, 1)
		}
		if w.ok(d+9, 1) {
			g := w.group("timeAddressFlags", d+9, 1)
			g.setValueLazy(valueHex, d+9, 1)
			g.bits("colorFrame", d+9, 1, uint64(SMPTEColorFrame), "")
			g.bits("dropFrame", d+9, 1, uint64(SMPTEDropFrame), "")
		} else {
			w.truncated("timeAddressFlags", d+9, 1)
		}
		w.int("currentLocalOffset", d+10, 4)
		w.int("jumpSeconds", d+14, 4)
		w.uint("timeOfNextJump", d+18, 6)
		w.uint("timeOfNextJam", d+24, 6)
		w.uint("timeOfPreviousJam", d+30, 6)
		w.int("previousJamLocalOffset", d+36, 4)
		if w.ok(d+40, 1) {
			g := w.group("daylightSaving", d+40, 1)
			g.setValueLazy(valueHex, d+40, 1)
			g.bits("previous", d+40, 1, uint64(SMPTEDSTPrevious), "")
			g.bits("next", d+40, 1, uint64(SMPTEDSTNext), "")
			g.bits("current", d+40, 1, uint64(SMPTEDSTCurrent), "")
		} else {
			w.truncated("daylightSaving", d+40, 1)
		}
		if w.ok(d+41, 1) {
			g := w.group("leapSecondJump", d+41, 1)
			g.setValueLazy(valueHex, d+41, 1)
			g.bits("change", d+41, 1, uint64(SMPTELeapJump), "")
		} else {
			w.truncated("leapSecondJump", d+41, 1)
		}
		w.tlvRest("trailing", d+smpteLen, end)
	default:
		// Organizations and subtypes without a decoder stay opaque.
		w.raw("dataField", d, end-d)
	}
}

func smpteLockingName(v uint8) string {
	switch v {
	case SMPTENotInUse:
		return "Not in use"
	case SMPTEFreeRun:
		return "Free Run"
	case SMPTECold:
		return "Cold Locking"
	case SMPTEWarm:
		return "Warm Locking"
	case SMPTELocked:
		return "Locked"
	}
	return "reserved"
}

// tlvScaledNs lists a 12-octet ScaledNs with its nanoseconds as the text.
func (w fieldWriter) tlvScaledNs(name string, off int) {
	if !w.ok(off, 12) {
		w.truncated(name, off, 12)
		return
	}
	s := readScaledNs(w.b[off:])
	w.lazy(name, off, 12, valueHex, 0, "")
	a := w.arena()
	start := len(a)
	a = strconv.AppendFloat(a, s.Nanoseconds(), 'f', -1, 64)
	w.setLastTextArena(append(a, " ns"...), start)
}
