package decode

import (
	"encoding/binary"
	"math"
	"net/netip"
	"strconv"
)

// Typed decoders for the TLVs that IEEE 1588-2019 itself defines. Layouts
// follow the clauses cited on each type; where the standard's text was not
// at hand the cross-checks are named (linuxptp tlv.h, libptpmgmt sig.cpp,
// sfptpd def/optional/*.def, Wireshark packet-ptp.c and tshark 4.0).

// ManagementErrorStatusTLV is a MANAGEMENT_ERROR_STATUS TLV (§15.5.4,
// Table 108): managementErrorId, managementId, 4 reserved octets and an
// optional displayData PTPText.
type ManagementErrorStatusTLV struct {
	ErrorID ManagementErrorID
	ID      ManagementID
	// DisplayData is the text of displayData, aliasing the decoded value;
	// nil when absent or empty. AppendTo omits it when empty.
	DisplayData []byte
}

// Decode reads the TLV value v. It does not allocate.
func (x *ManagementErrorStatusTLV) Decode(v []byte) error {
	*x = ManagementErrorStatusTLV{}
	if len(v) < 8 {
		return ErrTLVShort
	}
	x.ErrorID = ManagementErrorID(binary.BigEndian.Uint16(v[0:2]))
	x.ID = ManagementID(binary.BigEndian.Uint16(v[2:4]))
	if len(v) > 8 {
		t, ok := readPTPText(v[8:])
		if !ok {
			return ErrTLVLayout
		}
		x.DisplayData = t
	}
	return nil
}

// AppendTo appends the whole TLV, padded to an even length.
func (x *ManagementErrorStatusTLV) AppendTo(b []byte) []byte {
	n := 8
	if len(x.DisplayData) > 0 {
		n += ptpTextLen(x.DisplayData)
	}
	pad := n & 1
	b = appendTLVHeader(b, TLVManagementErrorStatus, n+pad)
	b = binary.BigEndian.AppendUint16(b, uint16(x.ErrorID))
	b = binary.BigEndian.AppendUint16(b, uint16(x.ID))
	b = append(b, 0, 0, 0, 0)
	if len(x.DisplayData) > 0 {
		b = appendPTPText(b, x.DisplayData)
	}
	if pad != 0 {
		b = append(b, 0)
	}
	return b
}

func describeManagementErrorStatus(w fieldWriter, off, n int) {
	end := off + n
	if w.ok(off, 2) {
		w.enum("managementErrorId", off, 2, ManagementErrorID(binary.BigEndian.Uint16(w.b[off:])).String())
	} else {
		w.truncated("managementErrorId", off, 2)
	}
	if w.ok(off+2, 2) {
		w.enum("managementId", off+2, 2, ManagementID(binary.BigEndian.Uint16(w.b[off+2:])).String())
	} else {
		w.truncated("managementId", off+2, 2)
	}
	w.raw("reserved", off+4, 4)
	if n < 8 {
		return
	}
	p := off + 8
	if p < end {
		p += w.ptpText("displayData", p)
	}
	w.tlvRest("pad", p, end)
}

// RequestUnicastTLV is a REQUEST_UNICAST_TRANSMISSION TLV (§16.1.4.1,
// Table 110): the requested messageType in the upper nibble of the first
// octet, logInterMessagePeriod and durationField.
type RequestUnicastTLV struct {
	MessageType           MessageType
	LogInterMessagePeriod int8
	Duration              uint32 // durationField, seconds
}

// Decode reads the TLV value v. It does not allocate.
func (x *RequestUnicastTLV) Decode(v []byte) error {
	*x = RequestUnicastTLV{}
	if len(v) < 6 {
		return ErrTLVShort
	}
	x.MessageType = MessageType(v[0] >> 4)
	x.LogInterMessagePeriod = int8(v[1])
	x.Duration = binary.BigEndian.Uint32(v[2:6])
	return nil
}

// AppendTo appends the whole TLV.
func (x *RequestUnicastTLV) AppendTo(b []byte) []byte {
	b = appendTLVHeader(b, TLVRequestUnicastTransmission, 6)
	b = append(b, uint8(x.MessageType&0xf)<<4, uint8(x.LogInterMessagePeriod))
	return binary.BigEndian.AppendUint32(b, x.Duration)
}

func describeRequestUnicast(w fieldWriter, off, n int) {
	w.tlvMessageType("messageType", off, 0xf0)
	w.int("logInterMessagePeriod", off+1, 1)
	w.uint("durationField", off+2, 4)
	w.tlvRest("trailing", off+6, off+n)
}

// GrantUnicastTLV is a GRANT_UNICAST_TRANSMISSION TLV (§16.1.4.2,
// Table 111): as the request, plus a reserved octet and an octet whose bit
// 0 is R, renewalInvited.
type GrantUnicastTLV struct {
	MessageType           MessageType
	LogInterMessagePeriod int8
	Duration              uint32 // durationField, seconds; 0 denies the request
	RenewalInvited        bool
}

// Decode reads the TLV value v. It does not allocate.
func (x *GrantUnicastTLV) Decode(v []byte) error {
	*x = GrantUnicastTLV{}
	if len(v) < 8 {
		return ErrTLVShort
	}
	x.MessageType = MessageType(v[0] >> 4)
	x.LogInterMessagePeriod = int8(v[1])
	x.Duration = binary.BigEndian.Uint32(v[2:6])
	x.RenewalInvited = v[7]&1 != 0
	return nil
}

// AppendTo appends the whole TLV.
func (x *GrantUnicastTLV) AppendTo(b []byte) []byte {
	b = appendTLVHeader(b, TLVGrantUnicastTransmission, 8)
	b = append(b, uint8(x.MessageType&0xf)<<4, uint8(x.LogInterMessagePeriod))
	b = binary.BigEndian.AppendUint32(b, x.Duration)
	r := uint8(0)
	if x.RenewalInvited {
		r = 1
	}
	return append(b, 0, r)
}

func describeGrantUnicast(w fieldWriter, off, n int) {
	w.tlvMessageType("messageType", off, 0xf0)
	w.int("logInterMessagePeriod", off+1, 1)
	w.uint("durationField", off+2, 4)
	w.raw("reserved", off+6, 1)
	w.bits("renewalInvited", off+7, 1, 0x01, "")
	w.tlvRest("trailing", off+8, off+n)
}

// CancelUnicastTLV is a CANCEL_UNICAST_TRANSMISSION TLV (§16.1.4.3,
// Table 112): messageType in the upper nibble of the first octet, the
// 1588-2019 flags maintainRequest (bit 0) and maintainGrant (bit 1) in its
// lower nibble (as linuxptp's tlv.h names them), and a reserved octet.
type CancelUnicastTLV struct {
	MessageType     MessageType
	MaintainRequest bool
	MaintainGrant   bool
}

// AcknowledgeCancelUnicastTLV is an ACKNOWLEDGE_CANCEL_UNICAST_TRANSMISSION
// TLV (§16.1.4.4, Table 113), laid out as CancelUnicastTLV.
type AcknowledgeCancelUnicastTLV CancelUnicastTLV

// Decode reads the TLV value v. It does not allocate.
func (x *CancelUnicastTLV) Decode(v []byte) error {
	*x = CancelUnicastTLV{}
	if len(v) < 2 {
		return ErrTLVShort
	}
	x.MessageType = MessageType(v[0] >> 4)
	x.MaintainRequest = v[0]&1 != 0
	x.MaintainGrant = v[0]&2 != 0
	return nil
}

// AppendTo appends the whole TLV.
func (x *CancelUnicastTLV) AppendTo(b []byte) []byte {
	return x.appendAs(b, TLVCancelUnicastTransmission)
}

func (x *CancelUnicastTLV) appendAs(b []byte, t TLVType) []byte {
	b = appendTLVHeader(b, t, 2)
	c := uint8(x.MessageType&0xf) << 4
	if x.MaintainRequest {
		c |= 1
	}
	if x.MaintainGrant {
		c |= 2
	}
	return append(b, c, 0)
}

// Decode reads the TLV value v. It does not allocate.
func (x *AcknowledgeCancelUnicastTLV) Decode(v []byte) error {
	return (*CancelUnicastTLV)(x).Decode(v)
}

// AppendTo appends the whole TLV.
func (x *AcknowledgeCancelUnicastTLV) AppendTo(b []byte) []byte {
	return (*CancelUnicastTLV)(x).appendAs(b, TLVAcknowledgeCancelUnicastTransmission)
}

func describeCancelUnicast(w fieldWriter, off, n int) {
	w.tlvMessageType("messageType", off, 0xf0)
	w.bits("maintainGrant", off, 1, 0x02, "")
	w.bits("maintainRequest", off, 1, 0x01, "")
	w.raw("reserved", off+1, 1)
	w.tlvRest("trailing", off+2, off+n)
}

// PathTraceTLV is a PATH_TRACE TLV (§16.2.5, Table 115): the pathSequence,
// one ClockIdentity per PTP Instance the Announce passed.
type PathTraceTLV struct {
	// Sequence holds the identities back to back, aliasing the decoded
	// value. Read it with Len and At.
	Sequence []byte
}

// Len returns the number of identities in the path.
func (x *PathTraceTLV) Len() int { return len(x.Sequence) / 8 }

// At returns the i-th identity, counting from the grandmaster's side. It
// panics when i is out of range, like a slice index.
func (x *PathTraceTLV) At(i int) ClockIdentity { return ClockIdentity(x.Sequence[8*i : 8*i+8]) }

// Decode reads the TLV value v. It does not allocate. A value that is not a
// whole number of identities keeps the whole ones and returns ErrTLVLayout.
func (x *PathTraceTLV) Decode(v []byte) error {
	whole := len(v) &^ 7
	x.Sequence = nilIfEmpty(v[:whole])
	if whole != len(v) {
		return ErrTLVLayout
	}
	return nil
}

// AppendTo appends the whole TLV.
func (x *PathTraceTLV) AppendTo(b []byte) []byte {
	n := len(x.Sequence) &^ 7
	b = appendTLVHeader(b, TLVPathTrace, n)
	return append(b, x.Sequence[:n]...)
}

// AppendPathTrace appends a PATH_TRACE TLV listing ids.
func AppendPathTrace(b []byte, ids ...ClockIdentity) []byte {
	b = appendTLVHeader(b, TLVPathTrace, 8*len(ids))
	for i := range ids {
		b = append(b, ids[i][:]...)
	}
	return b
}

func describePathTrace(w fieldWriter, off, n int) {
	g := w.group("pathSequence", off, n)
	g.setValue(strconv.Itoa(n/8) + " clockIdentity")
	p := off
	for ; p+8 <= off+n; p += 8 {
		g.clockIdentity("clockIdentity", p)
	}
	g.tlvRest("trailing", p, off+n)
}

// AlternateTimeOffsetTLV is an ALTERNATE_TIME_OFFSET_INDICATOR TLV
// (§16.3.3, Table 116).
type AlternateTimeOffsetTLV struct {
	KeyField       uint8
	CurrentOffset  int32  // seconds, alternate time minus PTP time
	JumpSeconds    int32  // size of the next discontinuity
	TimeOfNextJump uint64 // UInteger48, PTP seconds of the next jump
	// DisplayName is the text of displayName, aliasing the decoded value.
	DisplayName []byte
}

// Decode reads the TLV value v. It does not allocate.
func (x *AlternateTimeOffsetTLV) Decode(v []byte) error {
	*x = AlternateTimeOffsetTLV{}
	if len(v) < 16 {
		return ErrTLVShort
	}
	x.KeyField = v[0]
	x.CurrentOffset = int32(binary.BigEndian.Uint32(v[1:5]))
	x.JumpSeconds = int32(binary.BigEndian.Uint32(v[5:9]))
	x.TimeOfNextJump = be48(v[9:15])
	t, ok := readPTPText(v[15:])
	x.DisplayName = t
	if !ok {
		return ErrTLVLayout
	}
	return nil
}

// AppendTo appends the whole TLV, padded to an even length.
func (x *AlternateTimeOffsetTLV) AppendTo(b []byte) []byte {
	n := 15 + ptpTextLen(x.DisplayName)
	pad := n & 1
	b = appendTLVHeader(b, TLVAlternateTimeOffsetIndicator, n+pad)
	b = append(b, x.KeyField)
	b = binary.BigEndian.AppendUint32(b, uint32(x.CurrentOffset))
	b = binary.BigEndian.AppendUint32(b, uint32(x.JumpSeconds))
	b = appendBE48(b, x.TimeOfNextJump)
	b = appendPTPText(b, x.DisplayName)
	if pad != 0 {
		b = append(b, 0)
	}
	return b
}

func describeAlternateTimeOffset(w fieldWriter, off, n int) {
	w.uint("keyField", off, 1)
	w.int("currentOffset", off+1, 4)
	w.int("jumpSeconds", off+5, 4)
	w.uint("timeOfNextJump", off+9, 6)
	if n < 16 {
		w.truncated("displayName", off+15, 1)
		return
	}
	p := off + 15
	p += w.ptpText("displayName", p)
	w.tlvRest("pad", p, off+n)
}

// AUTHENTICATION TLV secParamIndicator bits. IEEE 1588-2019 §16.14.3
// (Table 131) makes the disclosedKey, sequenceNo and RES fields optional and
// flags their presence here; the bit positions follow linuxptp's sad.c
// (RES 0x1, sequenceNo 0x2, delayed processing with disclosedKey 0x4), the
// shipped implementation, as the clause text was not at hand.
const (
	SecParamRESPresent          uint8 = 0x01
	SecParamSequenceNoPresent   uint8 = 0x02
	SecParamDisclosedKeyPresent uint8 = 0x04
)

// AuthenticationTLV is an AUTHENTICATION TLV (§16.14.3): the security
// parameter pointer, secParamIndicator, keyID, then the optional
// disclosedKey, sequenceNo and RES fields and the ICV. Their lengths are
// properties of the security association named by SPP and do not travel on
// the wire, so Data keeps them together; Split separates them given those
// lengths.
type AuthenticationTLV struct {
	SPP               uint8
	SecParamIndicator uint8
	KeyID             uint32
	// Data is everything after keyID (optional fields, then ICV),
	// aliasing the decoded value.
	Data []byte
}

// Decode reads the TLV value v. It does not allocate.
func (x *AuthenticationTLV) Decode(v []byte) error {
	*x = AuthenticationTLV{}
	if len(v) < 6 {
		return ErrTLVShort
	}
	x.SPP = v[0]
	x.SecParamIndicator = v[1]
	x.KeyID = binary.BigEndian.Uint32(v[2:6])
	x.Data = nilIfEmpty(v[6:])
	return nil
}

// Split cuts Data into its optional fields and the ICV, given the lengths
// the security association defines for each optional field; a field whose
// presence bit is clear takes no octets. It reports false when Data is too
// short for the fields present.
func (x *AuthenticationTLV) Split(disclosedKeyLen, sequenceNoLen, resLen int) (disclosedKey, sequenceNo, res, icv []byte, ok bool) {
	p := x.Data
	take := func(bit uint8, n int) []byte {
		if x.SecParamIndicator&bit == 0 || n <= 0 {
			return nil
		}
		if n > len(p) {
			ok = false
			return nil
		}
		f := p[:n]
		p = p[n:]
		return f
	}
	ok = true
	disclosedKey = take(SecParamDisclosedKeyPresent, disclosedKeyLen)
	sequenceNo = take(SecParamSequenceNoPresent, sequenceNoLen)
	res = take(SecParamRESPresent, resLen)
	if !ok {
		return nil, nil, nil, nil, false
	}
	return disclosedKey, sequenceNo, res, p, true
}

// AppendTo appends the whole TLV. An odd-length Data is padded with a zero
// octet, which a receiver counts into the ICV; keep Data even.
func (x *AuthenticationTLV) AppendTo(b []byte) []byte {
	n := 6 + len(x.Data)
	pad := n & 1
	b = appendTLVHeader(b, TLVAuthentication, n+pad)
	b = append(b, x.SPP, x.SecParamIndicator)
	b = binary.BigEndian.AppendUint32(b, x.KeyID)
	b = append(b, x.Data...)
	if pad != 0 {
		b = append(b, 0)
	}
	return b
}

func describeAuthentication(w fieldWriter, off, n int) {
	w.uint("spp", off, 1)
	if w.ok(off+1, 1) {
		g := w.group("secParamIndicator", off+1, 1)
		g.setValueLazy(valueHex, off+1, 1)
		g.bits("disclosedKeyPresent", off+1, 1, uint64(SecParamDisclosedKeyPresent), "")
		g.bits("sequenceNoPresent", off+1, 1, uint64(SecParamSequenceNoPresent), "")
		g.bits("resPresent", off+1, 1, uint64(SecParamRESPresent), "")
	} else {
		w.truncated("secParamIndicator", off+1, 1)
	}
	w.uint("keyID", off+2, 4)
	if n <= 6 || !w.ok(off+1, 1) {
		return
	}
	name := "icv"
	if w.b[off+1]&(SecParamDisclosedKeyPresent|SecParamSequenceNoPresent|SecParamRESPresent) != 0 {
		// The split between the optional fields and the ICV depends on
		// the security association, which a capture does not know.
		name = "optionalFieldsAndIcv"
	}
	w.raw(name, off+6, n-6)
}

func appendHex8(b []byte, v uint8) []byte {
	const digits = "0123456789abcdef"
	return append(b, digits[v>>4], digits[v&0xf])
}

// Security2008TLV is one of the experimental security TLVs of IEEE
// 1588-2008 Annex K (AUTHENTICATION 0x2000, AUTHENTICATION_CHALLENGE
// 0x2001, SECURITY_ASSOCIATION_UPDATE 0x2002) or Annex L
// (CUM_FREQ_SCALE_FACTOR_OFFSET 0x2003), which 1588-2019 withdrew. Their
// layouts are kept opaque: no public text of those annexes was available to
// check field positions against, and tshark 4.0 also shows them as data.
type Security2008TLV struct {
	Type  TLVType
	Value []byte // aliases the decoded value
}

// Decode reads the TLV value v; Type is left for the caller, who knows it
// from the TLV header. It does not allocate.
func (x *Security2008TLV) Decode(v []byte) error {
	x.Value = nilIfEmpty(v)
	return nil
}

// AppendTo appends the whole TLV.
func (x *Security2008TLV) AppendTo(b []byte) []byte {
	return AppendTLV(b, x.Type, x.Value)
}

// EnhancedAccuracyMetricsTLV is an ENHANCED_ACCURACY_METRICS TLV (§16.12):
// hop counts, two reserved octets, then for five sources of inaccuracy the
// maximum (TimeInterval) and the variance (Float64, s²). Layout as decoded
// by libptpmgmt's sig.cpp and its tests (84 octets of value).
type EnhancedAccuracyMetricsTLV struct {
	BCHopCount                  uint8
	TCHopCount                  uint8
	MaxGMInaccuracy             TimeInterval
	VarGMInaccuracy             float64
	MaxTransientInaccuracy      TimeInterval
	VarTransientInaccuracy      float64
	MaxDynamicInaccuracy        TimeInterval
	VarDynamicInaccuracy        float64
	MaxStaticInstanceInaccuracy TimeInterval
	VarStaticInstanceInaccuracy float64
	MaxStaticMediumInaccuracy   TimeInterval
	VarStaticMediumInaccuracy   float64
}

const enhancedAccuracyLen = 84

// Decode reads the TLV value v. It does not allocate.
func (x *EnhancedAccuracyMetricsTLV) Decode(v []byte) error {
	*x = EnhancedAccuracyMetricsTLV{}
	if len(v) < enhancedAccuracyLen {
		return ErrTLVShort
	}
	x.BCHopCount, x.TCHopCount = v[0], v[1]
	ti := func(p int) TimeInterval { return TimeInterval(binary.BigEndian.Uint64(v[p:])) }
	fl := func(p int) float64 { return math.Float64frombits(binary.BigEndian.Uint64(v[p:])) }
	x.MaxGMInaccuracy, x.VarGMInaccuracy = ti(4), fl(12)
	x.MaxTransientInaccuracy, x.VarTransientInaccuracy = ti(20), fl(28)
	x.MaxDynamicInaccuracy, x.VarDynamicInaccuracy = ti(36), fl(44)
	x.MaxStaticInstanceInaccuracy, x.VarStaticInstanceInaccuracy = ti(52), fl(60)
	x.MaxStaticMediumInaccuracy, x.VarStaticMediumInaccuracy = ti(68), fl(76)
	return nil
}

// AppendTo appends the whole TLV.
func (x *EnhancedAccuracyMetricsTLV) AppendTo(b []byte) []byte {
	b = appendTLVHeader(b, TLVEnhancedAccuracyMetrics, enhancedAccuracyLen)
	b = append(b, x.BCHopCount, x.TCHopCount, 0, 0)
	for _, p := range [...]struct {
		max TimeInterval
		v   float64
	}{
		{x.MaxGMInaccuracy, x.VarGMInaccuracy},
		{x.MaxTransientInaccuracy, x.VarTransientInaccuracy},
		{x.MaxDynamicInaccuracy, x.VarDynamicInaccuracy},
		{x.MaxStaticInstanceInaccuracy, x.VarStaticInstanceInaccuracy},
		{x.MaxStaticMediumInaccuracy, x.VarStaticMediumInaccuracy},
	} {
		b = binary.BigEndian.AppendUint64(b, uint64(p.max))
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(p.v))
	}
	return b
}

var enhancedAccuracyNames = [...]string{"GmInaccuracy", "TransientInaccuracy", "DynamicInaccuracy",
	"StaticInstanceInaccuracy", "StaticMediumInaccuracy"}

func describeEnhancedAccuracyMetrics(w fieldWriter, off, n int) {
	w.uint("bcHopCount", off, 1)
	w.uint("tcHopCount", off+1, 1)
	w.raw("reserved", off+2, 2)
	for i, name := range enhancedAccuracyNames {
		p := off + 4 + 16*i
		if p >= off+n {
			w.truncated("max"+name, p, 8)
			return
		}
		w.tlvTimeInterval("max"+name, p)
		w.tlvFloat64("var"+name, p+8)
	}
	w.tlvRest("trailing", off+enhancedAccuracyLen, off+n)
}

// L1SyncTLV is an L1_SYNC TLV (IEEE 1588-2019 Annex L.6.4, Table L.3;
// extended format L.8.5, Table L.6). The basic format is 2 octets; the
// extended format (lengthField 40) adds the TCT/POV/FOV flags and the
// transmission phase and frequency offsets with their timestamps.
type L1SyncTLV struct {
	TCR, RCR, CR, OPE bool // txCoherentIsRequired, rxCoherentIsRequired, congruentIsRequired, optParamsEnabled
	ITC, IRC, IC      bool // isTxCoherent, isRxCoherent, isCongruent
	// Extended marks the extended format; the fields below are zero
	// otherwise.
	Extended               bool
	TCT, POV, FOV          bool // timestampsCorrectedTx, phaseOffsetTxValid, frequencyOffsetTxValid
	PhaseOffsetTx          TimeInterval
	PhaseOffsetTxTimestamp Timestamp
	FreqOffsetTx           TimeInterval
	FreqOffsetTxTimestamp  Timestamp
}

// l1SyncExtendedLen is the extended format's lengthField (L.8.5.2).
const l1SyncExtendedLen = 40

// Decode reads the TLV value v. A value of 40 octets or more is read in the
// extended format whatever OPE says, since the length is what the receiver
// can trust to stay within the value. It does not allocate.
func (x *L1SyncTLV) Decode(v []byte) error {
	*x = L1SyncTLV{}
	if len(v) < 2 {
		return ErrTLVShort
	}
	x.TCR, x.RCR, x.CR, x.OPE = v[0]&1 != 0, v[0]&2 != 0, v[0]&4 != 0, v[0]&8 != 0
	x.ITC, x.IRC, x.IC = v[1]&1 != 0, v[1]&2 != 0, v[1]&4 != 0
	if len(v) < l1SyncExtendedLen {
		if x.OPE && len(v) > 2 {
			return ErrTLVShort
		}
		return nil
	}
	x.Extended = true
	x.TCT, x.POV, x.FOV = v[2]&1 != 0, v[2]&2 != 0, v[2]&4 != 0
	x.PhaseOffsetTx = TimeInterval(binary.BigEndian.Uint64(v[3:11]))
	x.PhaseOffsetTxTimestamp = readTimestamp(v[11:21])
	x.FreqOffsetTx = TimeInterval(binary.BigEndian.Uint64(v[21:29]))
	x.FreqOffsetTxTimestamp = readTimestamp(v[29:39])
	return nil
}

func flagBits(bits ...bool) uint8 {
	var v uint8
	for i, b := range bits {
		if b {
			v |= 1 << i
		}
	}
	return v
}

// AppendTo appends the whole TLV in the basic format, or the extended one
// when Extended is set.
func (x *L1SyncTLV) AppendTo(b []byte) []byte {
	n := 2
	if x.Extended {
		n = l1SyncExtendedLen
	}
	b = appendTLVHeader(b, TLVL1Sync, n)
	b = append(b, flagBits(x.TCR, x.RCR, x.CR, x.OPE), flagBits(x.ITC, x.IRC, x.IC))
	if !x.Extended {
		return b
	}
	b = append(b, flagBits(x.TCT, x.POV, x.FOV))
	b = binary.BigEndian.AppendUint64(b, uint64(x.PhaseOffsetTx))
	b = appendTimestamp(b, x.PhaseOffsetTxTimestamp)
	b = binary.BigEndian.AppendUint64(b, uint64(x.FreqOffsetTx))
	b = appendTimestamp(b, x.FreqOffsetTxTimestamp)
	return append(b, 0)
}

func describeL1Sync(w fieldWriter, off, n int) {
	w.bits("OPE", off, 1, 0x08, "optParamsEnabled")
	w.bits("CR", off, 1, 0x04, "congruentIsRequired")
	w.bits("RCR", off, 1, 0x02, "rxCoherentIsRequired")
	w.bits("TCR", off, 1, 0x01, "txCoherentIsRequired")
	w.bits("IC", off+1, 1, 0x04, "isCongruent")
	w.bits("IRC", off+1, 1, 0x02, "isRxCoherent")
	w.bits("ITC", off+1, 1, 0x01, "isTxCoherent")
	if n < l1SyncExtendedLen {
		w.tlvRest("trailing", off+2, off+n)
		return
	}
	w.bits("FOV", off+2, 1, 0x04, "frequencyOffsetTxValid")
	w.bits("POV", off+2, 1, 0x02, "phaseOffsetTxValid")
	w.bits("TCT", off+2, 1, 0x01, "timestampsCorrectedTx")
	w.tlvTimeInterval("phaseOffsetTx", off+3)
	w.timestamp("phaseOffsetTxTimestamp", off+11)
	w.tlvTimeInterval("freqOffsetTx", off+21)
	w.timestamp("freqOffsetTxTimestamp", off+29)
	w.raw("reserved", off+39, 1)
	w.tlvRest("trailing", off+40, off+n)
}

// Communication availability bits of PORT_COMMUNICATION_AVAILABILITY
// (§16.10.3): the same four bits describe Sync and Delay_Resp delivery.
// Bit meanings as libptpmgmt's sig.h lists them.
const (
	CommMulticastCapable                 uint8 = 0x01
	CommUnicastCapable                   uint8 = 0x02
	CommUnicastNegotiationCapableEnabled uint8 = 0x04 // capable and unicastNegotiationPortDS.enable
	CommUnicastNegotiationCapable        uint8 = 0x08
)

// PortCommunicationAvailabilityTLV is a PORT_COMMUNICATION_AVAILABILITY TLV
// (§16.10.3): syncMessageAvailability and delayRespMessageAvailability,
// four flag bits each (the Comm* constants).
type PortCommunicationAvailabilityTLV struct {
	SyncMessageAvailability      uint8
	DelayRespMessageAvailability uint8
}

// Decode reads the TLV value v. It does not allocate.
func (x *PortCommunicationAvailabilityTLV) Decode(v []byte) error {
	*x = PortCommunicationAvailabilityTLV{}
	if len(v) < 2 {
		return ErrTLVShort
	}
	x.SyncMessageAvailability = v[0] & 0x0f
	x.DelayRespMessageAvailability = v[1] & 0x0f
	return nil
}

// AppendTo appends the whole TLV.
func (x *PortCommunicationAvailabilityTLV) AppendTo(b []byte) []byte {
	b = appendTLVHeader(b, TLVPortCommunicationAvailability, 2)
	return append(b, x.SyncMessageAvailability&0x0f, x.DelayRespMessageAvailability&0x0f)
}

func describeCommAvailability(w fieldWriter, name string, off int) {
	if !w.ok(off, 1) {
		w.truncated(name, off, 1)
		return
	}
	g := w.group(name, off, 1)
	g.setValueBytes(appendHex8([]byte("0x"), w.b[off]&0x0f))
	g.bits("unicastNegotiationCapable", off, 1, uint64(CommUnicastNegotiationCapable), "")
	g.bits("unicastNegotiationCapableEnabled", off, 1, uint64(CommUnicastNegotiationCapableEnabled), "")
	g.bits("unicastCapable", off, 1, uint64(CommUnicastCapable), "")
	g.bits("multicastCapable", off, 1, uint64(CommMulticastCapable), "")
}

func describePortCommunicationAvailability(w fieldWriter, off, n int) {
	describeCommAvailability(w, "syncMessageAvailability", off)
	describeCommAvailability(w, "delayRespMessageAvailability", off+1)
	w.tlvRest("trailing", off+2, off+n)
}

// networkProtocol values of a PortAddress (§7.4.1, Table 3).
const (
	ProtocolAddressUDPIPv4    uint16 = 1
	ProtocolAddressUDPIPv6    uint16 = 2
	ProtocolAddressIEEE8023   uint16 = 3
	ProtocolAddressDeviceNet  uint16 = 4
	ProtocolAddressControlNet uint16 = 5
	ProtocolAddressPROFINET   uint16 = 6
	ProtocolAddressUnknown    uint16 = 0xFFFE
)

func tlvNetworkProtocolName(p uint16) string {
	switch p {
	case ProtocolAddressUDPIPv4:
		return "UDP/IPv4"
	case ProtocolAddressUDPIPv6:
		return "UDP/IPv6"
	case ProtocolAddressIEEE8023:
		return "IEEE 802.3"
	case ProtocolAddressDeviceNet:
		return "DeviceNet"
	case ProtocolAddressControlNet:
		return "ControlNet"
	case ProtocolAddressPROFINET:
		return "PROFINET"
	case ProtocolAddressUnknown:
		return "UNKNOWN"
	}
	return "RESERVED"
}

// ProtocolAddressTLV is a PROTOCOL_ADDRESS TLV (§16.9): one PortAddress
// (§5.3.6): networkProtocol, addressLength and addressField.
type ProtocolAddressTLV struct {
	NetworkProtocol uint16 // ProtocolAddress* constants
	Address         []byte // addressField, aliasing the decoded value
}

// Addr returns the address as a netip.Addr for UDP/IPv4 (4 octets) and
// UDP/IPv6 (16 octets), and false for other protocols.
func (x *ProtocolAddressTLV) Addr() (netip.Addr, bool) {
	switch {
	case x.NetworkProtocol == ProtocolAddressUDPIPv4 && len(x.Address) == 4:
		return netip.AddrFrom4([4]byte(x.Address)), true
	case x.NetworkProtocol == ProtocolAddressUDPIPv6 && len(x.Address) == 16:
		return netip.AddrFrom16([16]byte(x.Address)), true
	}
	return netip.Addr{}, false
}

// Decode reads the TLV value v. It does not allocate.
func (x *ProtocolAddressTLV) Decode(v []byte) error {
	*x = ProtocolAddressTLV{}
	if len(v) < 4 {
		return ErrTLVShort
	}
	x.NetworkProtocol = binary.BigEndian.Uint16(v[0:2])
	l := int(binary.BigEndian.Uint16(v[2:4]))
	if 4+l > len(v) {
		x.Address = v[4:]
		return ErrTLVLayout
	}
	x.Address = nilIfEmpty(v[4 : 4+l])
	return nil
}

// AppendTo appends the whole TLV, padded to an even length.
func (x *ProtocolAddressTLV) AppendTo(b []byte) []byte {
	n := 4 + len(x.Address)
	pad := n & 1
	b = appendTLVHeader(b, TLVProtocolAddress, n+pad)
	b = binary.BigEndian.AppendUint16(b, x.NetworkProtocol)
	b = binary.BigEndian.AppendUint16(b, uint16(len(x.Address)))
	b = append(b, x.Address...)
	if pad != 0 {
		b = append(b, 0)
	}
	return b
}

func describeProtocolAddress(w fieldWriter, off, n int) {
	if !w.ok(off, 4) {
		w.truncated("portProtocolAddress", off, n)
		return
	}
	proto := binary.BigEndian.Uint16(w.b[off:])
	l := int(binary.BigEndian.Uint16(w.b[off+2:]))
	g := w.group("portProtocolAddress", off, min(4+l, n))
	g.enum("networkProtocol", off, 2, tlvNetworkProtocolName(proto))
	g.uint("addressLength", off+2, 2)
	if w.ok(off+4, l) {
		x := ProtocolAddressTLV{NetworkProtocol: proto, Address: w.b[off+4 : off+4+l]}
		g.hex("addressField", off+4, l)
		if a, ok := x.Addr(); ok {
			g.setLastText(a.String())
		} else if proto == ProtocolAddressIEEE8023 && l == 6 {
			g.setLastText(macString(x.Address))
		}
		g.copyLast()
	} else {
		g.truncated("addressField", off+4, l)
	}
	w.tlvRest("pad", off+4+l, off+n)
}

func macString(m []byte) string {
	const digits = "0123456789abcdef"
	s := make([]byte, 0, 17)
	for i, c := range m {
		if i > 0 {
			s = append(s, ':')
		}
		s = append(s, digits[c>>4], digits[c&0xf])
	}
	return string(s)
}

// SlaveRxSyncTimingRecord is one record of a SLAVE_RX_SYNC_TIMING_DATA TLV
// (§16.11.4.1): what a slave saw of one Sync.
type SlaveRxSyncTimingRecord struct {
	SequenceID                 uint16
	SyncOriginTimestamp        Timestamp
	TotalCorrectionField       TimeInterval
	ScaledCumulativeRateOffset int32
	SyncEventIngressTimestamp  Timestamp
}

// slaveRxSyncTimingRecordLen is the octets of one record: 2+10+8+4+10.
const slaveRxSyncTimingRecordLen = 34

// AppendTo appends the record in wire format.
func (r SlaveRxSyncTimingRecord) AppendTo(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, r.SequenceID)
	b = appendTimestamp(b, r.SyncOriginTimestamp)
	b = binary.BigEndian.AppendUint64(b, uint64(r.TotalCorrectionField))
	b = binary.BigEndian.AppendUint32(b, uint32(r.ScaledCumulativeRateOffset))
	return appendTimestamp(b, r.SyncEventIngressTimestamp)
}

// SlaveRxSyncTimingDataTLV is a SLAVE_RX_SYNC_TIMING_DATA TLV (§16.11.4.1):
// the syncSourcePortIdentity and one record per Sync received.
type SlaveRxSyncTimingDataTLV struct {
	SyncSourcePortIdentity PortIdentity
	// Records holds the records back to back, aliasing the decoded value;
	// read them with Len and At, build them with
	// SlaveRxSyncTimingRecord.AppendTo.
	Records []byte
}

// Len returns the number of records.
func (x *SlaveRxSyncTimingDataTLV) Len() int { return len(x.Records) / slaveRxSyncTimingRecordLen }

// At returns record i. It panics when i is out of range.
func (x *SlaveRxSyncTimingDataTLV) At(i int) SlaveRxSyncTimingRecord {
	p := x.Records[i*slaveRxSyncTimingRecordLen : (i+1)*slaveRxSyncTimingRecordLen]
	return SlaveRxSyncTimingRecord{
		SequenceID:                 binary.BigEndian.Uint16(p[0:2]),
		SyncOriginTimestamp:        readTimestamp(p[2:12]),
		TotalCorrectionField:       TimeInterval(binary.BigEndian.Uint64(p[12:20])),
		ScaledCumulativeRateOffset: int32(binary.BigEndian.Uint32(p[20:24])),
		SyncEventIngressTimestamp:  readTimestamp(p[24:34]),
	}
}

func readPortIdentity(p []byte) PortIdentity {
	return PortIdentity{ClockIdentity(p[0:8]), binary.BigEndian.Uint16(p[8:10])}
}

// wholeRecords splits v into the records that fit and reports whether
// nothing was left over.
func wholeRecords(v []byte, size int) ([]byte, bool) {
	n := len(v) / size * size
	return v[:n], n == len(v)
}

// Decode reads the TLV value v. A partial trailing record is dropped and
// reported with ErrTLVLayout. It does not allocate.
func (x *SlaveRxSyncTimingDataTLV) Decode(v []byte) error {
	*x = SlaveRxSyncTimingDataTLV{}
	if len(v) < 10 {
		return ErrTLVShort
	}
	x.SyncSourcePortIdentity = readPortIdentity(v)
	var ok bool
	if x.Records, ok = wholeRecords(v[10:], slaveRxSyncTimingRecordLen); !ok {
		return ErrTLVLayout
	}
	return nil
}

// AppendTo appends the whole TLV.
func (x *SlaveRxSyncTimingDataTLV) AppendTo(b []byte) []byte {
	r, _ := wholeRecords(x.Records, slaveRxSyncTimingRecordLen)
	b = appendTLVHeader(b, TLVSlaveRxSyncTimingData, 10+len(r))
	b = appendPortIdentity(b, x.SyncSourcePortIdentity)
	return append(b, r...)
}

// describeRecords lists the records of size octets from p to end, each
// described by one.
func describeRecords(w fieldWriter, p, end, size int, one func(g fieldWriter, p int)) {
	for ; p+size <= end; p += size {
		g := w.group("record", p, size)
		g.setValueLazy(valueUint, p, 2) // its sequenceId
		one(g, p)
	}
	w.tlvRest("trailing", p, end)
}

func describeSlaveRxSyncTimingData(w fieldWriter, off, n int) {
	w.portIdentity("syncSourcePortIdentity", off)
	describeRecords(w, off+10, off+n, slaveRxSyncTimingRecordLen, func(g fieldWriter, p int) {
		g.uint("sequenceId", p, 2)
		g.timestamp("syncOriginTimestamp", p+2)
		g.tlvTimeInterval("totalCorrectionField", p+12)
		g.int("scaledCumulativeRateOffset", p+20, 4)
		g.timestamp("syncEventIngressTimestamp", p+24)
	})
}

// computedFlags bits of SLAVE_RX_SYNC_COMPUTED_DATA (§16.11.4.2), as
// libptpmgmt's sig.h lists them.
const (
	ComputedScaledNeighborRateRatioValid uint8 = 0x01
	ComputedMeanPathDelayValid           uint8 = 0x02
	ComputedOffsetFromMasterValid        uint8 = 0x04
)

// SlaveRxSyncComputedRecord is one record of a SLAVE_RX_SYNC_COMPUTED_DATA
// TLV (§16.11.4.2).
type SlaveRxSyncComputedRecord struct {
	SequenceID              uint16
	OffsetFromMaster        TimeInterval
	MeanPathDelay           TimeInterval
	ScaledNeighborRateRatio int32
}

const slaveRxSyncComputedRecordLen = 22 // 2+8+8+4

// AppendTo appends the record in wire format.
func (r SlaveRxSyncComputedRecord) AppendTo(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, r.SequenceID)
	b = binary.BigEndian.AppendUint64(b, uint64(r.OffsetFromMaster))
	b = binary.BigEndian.AppendUint64(b, uint64(r.MeanPathDelay))
	return binary.BigEndian.AppendUint32(b, uint32(r.ScaledNeighborRateRatio))
}

// SlaveRxSyncComputedDataTLV is a SLAVE_RX_SYNC_COMPUTED_DATA TLV
// (§16.11.4.2): sourcePortIdentity, computedFlags (Computed* bits), a
// reserved octet, then one record per Sync (layout cross-checked with
// sfptpd's slave_rx_sync_computed_data.def).
type SlaveRxSyncComputedDataTLV struct {
	SourcePortIdentity PortIdentity
	ComputedFlags      uint8
	// Records holds the records back to back, aliasing the decoded value;
	// read them with Len and At.
	Records []byte
}

// Len returns the number of records.
func (x *SlaveRxSyncComputedDataTLV) Len() int { return len(x.Records) / slaveRxSyncComputedRecordLen }

// At returns record i. It panics when i is out of range.
func (x *SlaveRxSyncComputedDataTLV) At(i int) SlaveRxSyncComputedRecord {
	p := x.Records[i*slaveRxSyncComputedRecordLen : (i+1)*slaveRxSyncComputedRecordLen]
	return SlaveRxSyncComputedRecord{
		SequenceID:              binary.BigEndian.Uint16(p[0:2]),
		OffsetFromMaster:        TimeInterval(binary.BigEndian.Uint64(p[2:10])),
		MeanPathDelay:           TimeInterval(binary.BigEndian.Uint64(p[10:18])),
		ScaledNeighborRateRatio: int32(binary.BigEndian.Uint32(p[18:22])),
	}
}

// Decode reads the TLV value v. A partial trailing record is dropped and
// reported with ErrTLVLayout. It does not allocate.
func (x *SlaveRxSyncComputedDataTLV) Decode(v []byte) error {
	*x = SlaveRxSyncComputedDataTLV{}
	if len(v) < 12 {
		return ErrTLVShort
	}
	x.SourcePortIdentity = readPortIdentity(v)
	x.ComputedFlags = v[10]
	var ok bool
	if x.Records, ok = wholeRecords(v[12:], slaveRxSyncComputedRecordLen); !ok {
		return ErrTLVLayout
	}
	return nil
}

// AppendTo appends the whole TLV.
func (x *SlaveRxSyncComputedDataTLV) AppendTo(b []byte) []byte {
	r, _ := wholeRecords(x.Records, slaveRxSyncComputedRecordLen)
	b = appendTLVHeader(b, TLVSlaveRxSyncComputedData, 12+len(r))
	b = appendPortIdentity(b, x.SourcePortIdentity)
	b = append(b, x.ComputedFlags, 0)
	return append(b, r...)
}

func describeSlaveRxSyncComputedData(w fieldWriter, off, n int) {
	w.portIdentity("sourcePortIdentity", off)
	if w.ok(off+10, 1) && n > 10 {
		g := w.group("computedFlags", off+10, 1)
		g.setValueLazy(valueHex, off+10, 1)
		g.bits("offsetFromMasterValid", off+10, 1, uint64(ComputedOffsetFromMasterValid), "")
		g.bits("meanPathDelayValid", off+10, 1, uint64(ComputedMeanPathDelayValid), "")
		g.bits("scaledNeighborRateRatioValid", off+10, 1, uint64(ComputedScaledNeighborRateRatioValid), "")
	} else {
		w.truncated("computedFlags", off+10, 1)
	}
	w.raw("reserved", off+11, 1)
	if n < 12 {
		return
	}
	describeRecords(w, off+12, off+n, slaveRxSyncComputedRecordLen, func(g fieldWriter, p int) {
		g.uint("sequenceId", p, 2)
		g.tlvTimeInterval("offsetFromMaster", p+2)
		g.tlvTimeInterval("meanPathDelay", p+10)
		g.int("scaledNeighborRateRatio", p+18, 4)
	})
}

// SlaveTxEventRecord is one record of a SLAVE_TX_EVENT_TIMESTAMPS TLV
// (§16.11.5.1).
type SlaveTxEventRecord struct {
	SequenceID           uint16
	EventEgressTimestamp Timestamp
}

const slaveTxEventRecordLen = 12

// AppendTo appends the record in wire format.
func (r SlaveTxEventRecord) AppendTo(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, r.SequenceID)
	return appendTimestamp(b, r.EventEgressTimestamp)
}

// SlaveTxEventTimestampsTLV is a SLAVE_TX_EVENT_TIMESTAMPS TLV
// (§16.11.5.1): sourcePortIdentity, eventMessageType in the lower nibble
// of the next octet (upper nibble reserved, as in sfptpd's
// slave_tx_event_timestamps.def and libptpmgmt's tests), a reserved octet,
// then one record per event message sent.
type SlaveTxEventTimestampsTLV struct {
	SourcePortIdentity PortIdentity
	EventMessageType   MessageType
	// Records holds the records back to back, aliasing the decoded value;
	// read them with Len and At.
	Records []byte
}

// Len returns the number of records.
func (x *SlaveTxEventTimestampsTLV) Len() int { return len(x.Records) / slaveTxEventRecordLen }

// At returns record i. It panics when i is out of range.
func (x *SlaveTxEventTimestampsTLV) At(i int) SlaveTxEventRecord {
	p := x.Records[i*slaveTxEventRecordLen : (i+1)*slaveTxEventRecordLen]
	return SlaveTxEventRecord{binary.BigEndian.Uint16(p[0:2]), readTimestamp(p[2:12])}
}

// Decode reads the TLV value v. A partial trailing record is dropped and
// reported with ErrTLVLayout. It does not allocate.
func (x *SlaveTxEventTimestampsTLV) Decode(v []byte) error {
	*x = SlaveTxEventTimestampsTLV{}
	if len(v) < 12 {
		return ErrTLVShort
	}
	x.SourcePortIdentity = readPortIdentity(v)
	x.EventMessageType = MessageType(v[10] & 0x0f)
	var ok bool
	if x.Records, ok = wholeRecords(v[12:], slaveTxEventRecordLen); !ok {
		return ErrTLVLayout
	}
	return nil
}

// AppendTo appends the whole TLV.
func (x *SlaveTxEventTimestampsTLV) AppendTo(b []byte) []byte {
	r, _ := wholeRecords(x.Records, slaveTxEventRecordLen)
	b = appendTLVHeader(b, TLVSlaveTxEventTimestamps, 12+len(r))
	b = appendPortIdentity(b, x.SourcePortIdentity)
	b = append(b, uint8(x.EventMessageType&0x0f), 0)
	return append(b, r...)
}

func describeSlaveTxEventTimestamps(w fieldWriter, off, n int) {
	w.portIdentity("sourcePortIdentity", off)
	if n > 10 {
		w.tlvMessageType("eventMessageType", off+10, 0x0f)
	} else {
		w.truncated("eventMessageType", off+10, 1)
	}
	w.raw("reserved", off+11, 1)
	if n < 12 {
		return
	}
	describeRecords(w, off+12, off+n, slaveTxEventRecordLen, func(g fieldWriter, p int) {
		g.uint("sequenceId", p, 2)
		g.timestamp("eventEgressTimestamp", p+2)
	})
}

// CumulativeRateRatioTLV is a CUMULATIVE_RATE_RATIO TLV (§16.10):
// scaledCumulativeRateRatio, (rate ratio − 1) × 2^41.
type CumulativeRateRatioTLV struct {
	ScaledCumulativeRateRatio int32
}

// Ratio returns the cumulative rate ratio the field encodes.
func (x *CumulativeRateRatioTLV) Ratio() float64 {
	return 1 + float64(x.ScaledCumulativeRateRatio)/(1<<41)
}

// Decode reads the TLV value v. It does not allocate.
func (x *CumulativeRateRatioTLV) Decode(v []byte) error {
	*x = CumulativeRateRatioTLV{}
	if len(v) < 4 {
		return ErrTLVShort
	}
	x.ScaledCumulativeRateRatio = int32(binary.BigEndian.Uint32(v[0:4]))
	return nil
}

// AppendTo appends the whole TLV.
func (x *CumulativeRateRatioTLV) AppendTo(b []byte) []byte {
	b = appendTLVHeader(b, TLVCumulativeRateRatio, 4)
	return binary.BigEndian.AppendUint32(b, uint32(x.ScaledCumulativeRateRatio))
}

func describeCumulativeRateRatio(w fieldWriter, off, n int) {
	v := w.int("scaledCumulativeRateRatio", off, 4)
	if w.ok(off, 4) {
		w.setLastText("rate ratio " + formatFloat(1+float64(v)/(1<<41)))
	}
	w.tlvRest("trailing", off+4, off+n)
}

// PadTLV is a PAD TLV (§14.4): Length octets of zero that make room.
type PadTLV struct {
	Length int
}

// Decode reads the TLV value v. A non-zero octet is reported with
// ErrTLVLayout. It does not allocate.
func (x *PadTLV) Decode(v []byte) error {
	x.Length = len(v)
	for _, c := range v {
		if c != 0 {
			return ErrTLVLayout
		}
	}
	return nil
}

// AppendTo appends the whole TLV.
func (x *PadTLV) AppendTo(b []byte) []byte {
	b = appendTLVHeader(b, TLVPad, x.Length)
	for range x.Length {
		b = append(b, 0)
	}
	return b
}
