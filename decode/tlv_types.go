package decode

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
)

// Typed TLV decoders (this file and tlv_std.go, tlv_org.go).
//
// Every TLV of IEEE 1588-2019 Table 52 has a small value type with
//
//	Decode(v []byte) error      // v is the TLV's value (after tlvType and lengthField)
//	AppendTo(b []byte) []byte   // appends the whole TLV: tlvType, lengthField, value
//
// Decode resets the receiver, never allocates and never panics; byte-slice
// fields alias v. It returns one of the sentinel errors below when v does not
// fit the layout, after filling in what it could. AppendTo writes reserved
// octets as zero and pads the value to an even length where the value can be
// odd (§14.1.1 requires an even lengthField); it does not allocate when b has
// room. Repeated records (PATH_TRACE, SLAVE_*) stay in an aliased byte slice
// read with Len and At.

// Errors returned by the typed TLV decoders. They are values, so returning
// one does not allocate.
var (
	// ErrTLVShort means the value ends before the TLV's fixed fields do.
	ErrTLVShort = errors.New("decode: TLV value shorter than its fixed fields")
	// ErrTLVLayout means the value's length contradicts its own contents,
	// such as a PTPText running past the end or a partial trailing record.
	ErrTLVLayout = errors.New("decode: TLV value length does not match its layout")
	// ErrTLVOrgMismatch means an organization extension carries another
	// organizationId or organizationSubType than the decoder handles.
	ErrTLVOrgMismatch = errors.New("decode: organization extension is of another organization or subtype")
)

var tlvTypeNames = map[TLVType]string{
	0x0000:                                  "RESERVED",
	TLVManagement:                           "MANAGEMENT",
	TLVManagementErrorStatus:                "MANAGEMENT_ERROR_STATUS",
	TLVOrganizationExtension:                "ORGANIZATION_EXTENSION",
	TLVRequestUnicastTransmission:           "REQUEST_UNICAST_TRANSMISSION",
	TLVGrantUnicastTransmission:             "GRANT_UNICAST_TRANSMISSION",
	TLVCancelUnicastTransmission:            "CANCEL_UNICAST_TRANSMISSION",
	TLVAcknowledgeCancelUnicastTransmission: "ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION",
	TLVPathTrace:                            "PATH_TRACE",
	TLVAlternateTimeOffsetIndicator:         "ALTERNATE_TIME_OFFSET_INDICATOR",
	TLVAuthentication2008:                   "AUTHENTICATION_2008",
	TLVAuthenticationChallenge2008:          "AUTHENTICATION_CHALLENGE",
	TLVSecurityAssociationUpdate2008:        "SECURITY_ASSOCIATION_UPDATE",
	TLVCumFreqScaleFactorOffset2008:         "CUM_FREQ_SCALE_FACTOR_OFFSET",
	TLVOrganizationExtensionPropagate:       "ORGANIZATION_EXTENSION_PROPAGATE",
	TLVEnhancedAccuracyMetrics:              "ENHANCED_ACCURACY_METRICS",
	TLVOrganizationExtensionDoNotPropagate:  "ORGANIZATION_EXTENSION_DO_NOT_PROPAGATE",
	TLVL1Sync:                               "L1_SYNC",
	TLVPortCommunicationAvailability:        "PORT_COMMUNICATION_AVAILABILITY",
	TLVProtocolAddress:                      "PROTOCOL_ADDRESS",
	TLVSlaveRxSyncTimingData:                "SLAVE_RX_SYNC_TIMING_DATA",
	TLVSlaveRxSyncComputedData:              "SLAVE_RX_SYNC_COMPUTED_DATA",
	TLVSlaveTxEventTimestamps:               "SLAVE_TX_EVENT_TIMESTAMPS",
	TLVCumulativeRateRatio:                  "CUMULATIVE_RATE_RATIO",
	TLVPad:                                  "PAD",
	TLVAuthentication:                       "AUTHENTICATION",
}

// String returns the TLV type's name from IEEE 1588-2019 Table 52 (for
// 0x2000-0x2003 the 1588-2008 Annex K/L names, AUTHENTICATION_2008 for
// 0x2000 so it differs from the 2019 AUTHENTICATION), or TLV(0x....) for a
// value the table reserves.
func (t TLVType) String() string {
	if s, ok := tlvTypeNames[t]; ok {
		return s
	}
	return string(appendHex16(append(make([]byte, 0, 11), "TLV(0x"...), uint16(t))) + ")"
}

// IsOrganizationExtension reports whether t is one of the three
// organization extension types (§14.3).
func (t TLVType) IsOrganizationExtension() bool {
	return t == TLVOrganizationExtension || t == TLVOrganizationExtensionPropagate ||
		t == TLVOrganizationExtensionDoNotPropagate
}

func appendHex16(b []byte, v uint16) []byte {
	const digits = "0123456789abcdef"
	return append(b, digits[v>>12], digits[v>>8&0xf], digits[v>>4&0xf], digits[v&0xf])
}

// appendTLVHeader appends tlvType and a lengthField of n.
func appendTLVHeader(b []byte, t TLVType, n int) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(t))
	return binary.BigEndian.AppendUint16(b, uint16(n))
}

func appendBE48(b []byte, v uint64) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(v>>32))
	return binary.BigEndian.AppendUint32(b, uint32(v))
}

func be48(p []byte) uint64 {
	return uint64(binary.BigEndian.Uint16(p[0:2]))<<32 | uint64(binary.BigEndian.Uint32(p[2:6]))
}

// appendPTPText appends a PTPText (§5.3.9): a length octet and up to 255
// octets of text.
func appendPTPText(b, text []byte) []byte {
	if len(text) > 255 {
		text = text[:255]
	}
	b = append(b, uint8(len(text)))
	return append(b, text...)
}

func ptpTextLen(text []byte) int {
	if len(text) > 255 {
		return 256
	}
	return 1 + len(text)
}

// readPTPText reads a PTPText at the start of p. It returns the text
// (aliasing p) and false when the text runs past p.
func readPTPText(p []byte) ([]byte, bool) {
	if len(p) < 1 {
		return nil, false
	}
	n := int(p[0])
	if 1+n > len(p) {
		return nil, false
	}
	if n == 0 {
		return nil, true
	}
	return p[1 : 1+n], true
}

// describeTLVValue lists the value of one TLV at w.b[off:off+n]. The TLV's
// tlvType and lengthField are already listed. Fields never reach past the
// value: a value too short for its layout ends in a field marked truncated.
func describeTLVValue(w fieldWriter, t TLVType, off, n int) {
	if n <= 0 {
		return
	}
	end := off + n
	if off < 0 || off > len(w.b) {
		w.truncated("value", off, n)
		return
	}
	if end <= len(w.b) {
		w.b = w.b[:end] // a short value must not read the next TLV's octets
	}
	switch t {
	case TLVManagement:
		// A MANAGEMENT TLV outside a Management message (a Signaling
		// message may carry one, §16.5): managementId then the data set.
		if !w.ok(off, 2) {
			w.raw("value", off, n)
			return
		}
		id := ManagementID(binary.BigEndian.Uint16(w.b[off:]))
		w.enum("managementId", off, 2, id.String())
		describeManagementData(w, id, off+2, n-2)
	case TLVManagementErrorStatus:
		describeManagementErrorStatus(w, off, n)
	case TLVOrganizationExtension, TLVOrganizationExtensionPropagate, TLVOrganizationExtensionDoNotPropagate:
		describeOrgExtension(w, off, n)
	case TLVRequestUnicastTransmission:
		describeRequestUnicast(w, off, n)
	case TLVGrantUnicastTransmission:
		describeGrantUnicast(w, off, n)
	case TLVCancelUnicastTransmission, TLVAcknowledgeCancelUnicastTransmission:
		describeCancelUnicast(w, off, n)
	case TLVPathTrace:
		describePathTrace(w, off, n)
	case TLVAlternateTimeOffsetIndicator:
		describeAlternateTimeOffset(w, off, n)
	case TLVAuthentication:
		describeAuthentication(w, off, n)
	case TLVEnhancedAccuracyMetrics:
		describeEnhancedAccuracyMetrics(w, off, n)
	case TLVL1Sync:
		describeL1Sync(w, off, n)
	case TLVPortCommunicationAvailability:
		describePortCommunicationAvailability(w, off, n)
	case TLVProtocolAddress:
		describeProtocolAddress(w, off, n)
	case TLVSlaveRxSyncTimingData:
		describeSlaveRxSyncTimingData(w, off, n)
	case TLVSlaveRxSyncComputedData:
		describeSlaveRxSyncComputedData(w, off, n)
	case TLVSlaveTxEventTimestamps:
		describeSlaveTxEventTimestamps(w, off, n)
	case TLVCumulativeRateRatio:
		describeCumulativeRateRatio(w, off, n)
	case TLVPad:
		w.raw("pad", off, n)
	default:
		// Unknown and reserved types, and the 1588-2008 experimental
		// security TLVs 0x2000-0x2003 (see Security2008TLV), stay opaque.
		w.raw("value", off, n)
	}
}

// tlvRest lists the octets of a value after its defined fields.
func (w fieldWriter) tlvRest(name string, from, end int) {
	if end > from {
		w.raw(name, from, end-from)
	}
}

// tlvTimeInterval lists a TimeInterval (§5.3.2) with its value in
// nanoseconds as the text.
func (w fieldWriter) tlvTimeInterval(name string, off int) {
	v := w.int(name, off, 8)
	if w.ok(off, 8) {
		a := w.arena()
		start := len(a)
		a = strconv.AppendFloat(a, float64(v)/65536, 'f', -1, 64)
		w.setLastTextArena(append(a, " ns"...), start)
	}
}

// tlvFloat64 lists an IEEE 754 binary64 (Float64, §5.3.1).
func (w fieldWriter) tlvFloat64(name string, off int) {
	if !w.ok(off, 8) {
		w.truncated(name, off, 8)
		return
	}
	f := math.Float64frombits(binary.BigEndian.Uint64(w.b[off:]))
	w.add(name, off, 8, strconv.FormatFloat(f, 'g', -1, 64), "")
}

// tlvMessageType lists a messageType kept in the upper (mask 0xf0) or lower
// (mask 0x0f) half of an octet, with its name as the text.
func (w fieldWriter) tlvMessageType(name string, off int, mask uint64) {
	if !w.ok(off, 1) {
		w.truncated(name, off, 1)
		return
	}
	v := w.be(off, 1) & mask
	if mask == 0xf0 {
		v >>= 4
	}
	w.bits(name, off, 1, mask, MessageType(v).String())
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// nilIfEmpty keeps decoded byte fields nil when there is nothing in them,
// so a decoded value compares equal to one built without them.
func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
