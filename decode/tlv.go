package decode

import "encoding/binary"

// TLVType is a TLV's tlvType (§14.1.1, Table 52).
type TLVType uint16

// TLV types of IEEE 1588-2019 Table 52, with the 2008 edition's experimental
// security types that the 2019 edition reserves.
const (
	TLVManagement                           TLVType = 0x0001
	TLVManagementErrorStatus                TLVType = 0x0002
	TLVOrganizationExtension                TLVType = 0x0003
	TLVRequestUnicastTransmission           TLVType = 0x0004
	TLVGrantUnicastTransmission             TLVType = 0x0005
	TLVCancelUnicastTransmission            TLVType = 0x0006
	TLVAcknowledgeCancelUnicastTransmission TLVType = 0x0007
	TLVPathTrace                            TLVType = 0x0008
	TLVAlternateTimeOffsetIndicator         TLVType = 0x0009
	TLVAuthentication2008                   TLVType = 0x2000 // 1588-2008 Annex K
	TLVAuthenticationChallenge2008          TLVType = 0x2001 // 1588-2008 Annex K
	TLVSecurityAssociationUpdate2008        TLVType = 0x2002 // 1588-2008 Annex K
	TLVCumFreqScaleFactorOffset2008         TLVType = 0x2003 // 1588-2008 Annex L
	TLVOrganizationExtensionPropagate       TLVType = 0x4000
	TLVEnhancedAccuracyMetrics              TLVType = 0x4001
	TLVOrganizationExtensionDoNotPropagate  TLVType = 0x8000
	TLVL1Sync                               TLVType = 0x8001
	TLVPortCommunicationAvailability        TLVType = 0x8002
	TLVProtocolAddress                      TLVType = 0x8003
	TLVSlaveRxSyncTimingData                TLVType = 0x8004
	TLVSlaveRxSyncComputedData              TLVType = 0x8005
	TLVSlaveTxEventTimestamps               TLVType = 0x8006
	TLVCumulativeRateRatio                  TLVType = 0x8007
	TLVPad                                  TLVType = 0x8008
	TLVAuthentication                       TLVType = 0x8009
)

// TLV is one type-length-value element. Value aliases the decoded input.
type TLV struct {
	Type   TLVType
	Value  []byte
	Offset int // of the tlvType field, from the start of the slice walked
}

// TLVIter walks a TLV area such as Message.Suffix. The zero value is empty.
//
//	it := decode.TLVIter{Data: m.Suffix}
//	for it.Next() { use(it.TLV) }
//	if it.Err != ReasonNone { ... }
type TLVIter struct {
	Data []byte
	TLV  TLV
	Err  Reason // set when the walk stopped on a malformed TLV
	off  int
}

// Next advances to the next TLV and reports whether there is one. A TLV
// whose length runs past the data stops the walk with Err set. It does not
// allocate.
func (it *TLVIter) Next() bool {
	rest := len(it.Data) - it.off
	if rest <= 0 || it.Err != ReasonNone {
		return false
	}
	if rest < 4 {
		it.Err = ReasonTLVHeaderTruncated
		return false
	}
	p := it.Data[it.off:]
	l := int(binary.BigEndian.Uint16(p[2:4]))
	if 4+l > rest {
		it.Err = ReasonTLVBeyondMessage
		return false
	}
	it.TLV = TLV{Type: TLVType(binary.BigEndian.Uint16(p[0:2])), Value: p[4 : 4+l], Offset: it.off}
	it.off += 4 + l
	return true
}

// validateTLVs counts the TLVs in b and reports the first defect found.
func validateTLVs(b []byte) (uint16, Reason) {
	var n uint16
	why := ReasonNone
	for len(b) > 0 {
		if len(b) < 4 {
			return n, ReasonTLVHeaderTruncated
		}
		l := int(binary.BigEndian.Uint16(b[2:4]))
		if 4+l > len(b) {
			return n, ReasonTLVBeyondMessage
		}
		if l&1 != 0 && why == ReasonNone {
			why = ReasonTLVOddLength
		}
		n++
		b = b[4+l:]
	}
	return n, why
}

// AppendTLV appends one TLV with the given type and value.
func AppendTLV(b []byte, t TLVType, value []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(t))
	b = binary.BigEndian.AppendUint16(b, uint16(len(value)))
	return append(b, value...)
}
