package decode

// Result is the outcome of decoding one frame. The zero value is ResultNone,
// meaning nothing was decoded yet.
type Result uint8

// Results callers count per frame.
const (
	ResultNone      Result = iota
	ResultOK               // a complete, well-formed PTP message
	ResultNotPTP           // a valid frame that carries no PTP message
	ResultTruncated        // the frame ends before a header, body or TLV does
	ResultMalformed        // the bytes contradict themselves; Reason says how
)

var resultNames = [...]string{"none", "ok", "not-ptp", "truncated", "malformed"}

// String returns a short lower-case name.
func (r Result) String() string {
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return "invalid"
}

// Reason says why a frame was not OK. It is a small integer so counters can
// be kept in an array indexed by it.
type Reason uint8

// Reasons. ReasonNone goes with ResultOK.
const (
	ReasonNone                 Reason = iota
	ReasonShortLink                   // shorter than the link-layer header
	ReasonTooManyVLANs                // more than MaxVLANs tags
	ReasonUnknownEtherType            // EtherType is neither PTP nor IP
	ReasonShortIPv4                   // shorter than the IPv4 header or its IHL
	ReasonBadIPv4Header               // version or IHL invalid
	ReasonIPv4Fragment                // a non-first fragment or more fragments follow
	ReasonShortIPv6                   // shorter than the IPv6 header or an extension header
	ReasonBadIPv6Header               // version wrong or extension chain too long
	ReasonNotUDP                      // IP payload is not UDP
	ReasonShortUDP                    // shorter than the UDP header
	ReasonBadUDPLength                // UDP length smaller than 8 or beyond the IP payload
	ReasonNotPTPPort                  // neither port is 319 or 320
	ReasonShortPTPHeader              // fewer bytes than the common PTP header
	ReasonUnknownVersion              // versionPTP is not 1 or 2
	ReasonUnknownMessageType          // reserved PTPv2 messageType or PTPv1 control
	ReasonLengthBeyondFrame           // messageLength larger than the bytes present
	ReasonLengthTooSmall              // messageLength smaller than the header and body
	ReasonShortBody                   // the frame ends inside the message body
	ReasonTLVHeaderTruncated          // fewer than 4 bytes left for a TLV header
	ReasonTLVBeyondMessage            // a TLV's lengthField runs past messageLength
	ReasonTLVOddLength                // a TLV's lengthField is odd (§14.1.1 requires even)
	ReasonManagementTLVMissing        // a Management message without a management TLV
	ReasonManagementTLVShort          // a management TLV too short for its managementId
	ReasonV1BadLength                 // a PTPv1 message shorter than its control type needs
	reasonCount
)

var reasonNames = [reasonCount]string{
	ReasonNone:                 "",
	ReasonShortLink:            "frame shorter than link-layer header",
	ReasonTooManyVLANs:         "more than 4 VLAN tags",
	ReasonUnknownEtherType:     "EtherType is neither PTP nor IP",
	ReasonShortIPv4:            "truncated IPv4 header",
	ReasonBadIPv4Header:        "invalid IPv4 version or header length",
	ReasonIPv4Fragment:         "IPv4 fragment",
	ReasonShortIPv6:            "truncated IPv6 header or extension header",
	ReasonBadIPv6Header:        "invalid IPv6 version or extension header chain",
	ReasonNotUDP:               "IP payload is not UDP",
	ReasonShortUDP:             "truncated UDP header",
	ReasonBadUDPLength:         "UDP length field inconsistent with IP payload",
	ReasonNotPTPPort:           "UDP ports are not 319 or 320",
	ReasonShortPTPHeader:       "truncated PTP header",
	ReasonUnknownVersion:       "unknown versionPTP",
	ReasonUnknownMessageType:   "reserved messageType or control",
	ReasonLengthBeyondFrame:    "messageLength beyond end of frame",
	ReasonLengthTooSmall:       "messageLength smaller than header and body",
	ReasonShortBody:            "truncated message body",
	ReasonTLVHeaderTruncated:   "truncated TLV header",
	ReasonTLVBeyondMessage:     "TLV lengthField runs past messageLength",
	ReasonTLVOddLength:         "TLV lengthField is odd",
	ReasonManagementTLVMissing: "management message without management TLV",
	ReasonManagementTLVShort:   "management TLV shorter than managementId",
	ReasonV1BadLength:          "PTPv1 message shorter than its control type",
}

// String returns a short human-readable explanation.
func (r Reason) String() string {
	if r < reasonCount {
		return reasonNames[r]
	}
	return "invalid reason"
}

// NumReasons is one more than the largest Reason, for sizing counter arrays.
const NumReasons = int(reasonCount)
