package decode

import (
	"bytes"
	"testing"
)

// typedDecoders returns the typed decoders that apply to a TLV of type t.
// Organization extensions get the generic decoder and every typed one; the
// latter must reject what is not theirs with ErrTLVOrgMismatch.
func typedDecoders(t TLVType) []tlvCodec {
	switch t {
	case TLVManagementErrorStatus:
		return []tlvCodec{new(ManagementErrorStatusTLV)}
	case TLVOrganizationExtension, TLVOrganizationExtensionPropagate, TLVOrganizationExtensionDoNotPropagate:
		return []tlvCodec{&OrgExtensionTLV{Type: t}, new(FollowUpInfoTLV), new(MessageIntervalRequestTLV),
			new(GPTPCapableTLV), new(C37238TLV), new(SMPTETLV)}
	case TLVRequestUnicastTransmission:
		return []tlvCodec{new(RequestUnicastTLV)}
	case TLVGrantUnicastTransmission:
		return []tlvCodec{new(GrantUnicastTLV)}
	case TLVCancelUnicastTransmission:
		return []tlvCodec{new(CancelUnicastTLV)}
	case TLVAcknowledgeCancelUnicastTransmission:
		return []tlvCodec{new(AcknowledgeCancelUnicastTLV)}
	case TLVPathTrace:
		return []tlvCodec{new(PathTraceTLV)}
	case TLVAlternateTimeOffsetIndicator:
		return []tlvCodec{new(AlternateTimeOffsetTLV)}
	case TLVAuthentication:
		return []tlvCodec{new(AuthenticationTLV)}
	case TLVAuthentication2008, TLVAuthenticationChallenge2008, TLVSecurityAssociationUpdate2008, TLVCumFreqScaleFactorOffset2008:
		return []tlvCodec{&Security2008TLV{Type: t}}
	case TLVEnhancedAccuracyMetrics:
		return []tlvCodec{new(EnhancedAccuracyMetricsTLV)}
	case TLVL1Sync:
		return []tlvCodec{new(L1SyncTLV)}
	case TLVPortCommunicationAvailability:
		return []tlvCodec{new(PortCommunicationAvailabilityTLV)}
	case TLVProtocolAddress:
		return []tlvCodec{new(ProtocolAddressTLV)}
	case TLVSlaveRxSyncTimingData:
		return []tlvCodec{new(SlaveRxSyncTimingDataTLV)}
	case TLVSlaveRxSyncComputedData:
		return []tlvCodec{new(SlaveRxSyncComputedDataTLV)}
	case TLVSlaveTxEventTimestamps:
		return []tlvCodec{new(SlaveTxEventTimestampsTLV)}
	case TLVCumulativeRateRatio:
		return []tlvCodec{new(CumulativeRateRatioTLV)}
	case TLVPad:
		return []tlvCodec{new(PadTLV)}
	}
	return nil
}

// exerciseAccessors reads every record a decoded TLV offers.
func exerciseAccessors(d tlvCodec) {
	switch x := d.(type) {
	case *PathTraceTLV:
		for i := 0; i < x.Len(); i++ {
			_ = x.At(i)
		}
	case *SlaveRxSyncTimingDataTLV:
		for i := 0; i < x.Len(); i++ {
			_ = x.At(i)
		}
	case *SlaveRxSyncComputedDataTLV:
		for i := 0; i < x.Len(); i++ {
			_ = x.At(i)
		}
	case *SlaveTxEventTimestampsTLV:
		for i := 0; i < x.Len(); i++ {
			_ = x.At(i)
		}
	case *ProtocolAddressTLV:
		x.Addr()
	case *AuthenticationTLV:
		x.Split(len(x.Data)/3, 2, 1)
	}
}

// FuzzTLVs walks arbitrary bytes as a TLV area, decodes each TLV with its
// typed decoders and lists its fields. Nothing may panic; a value that
// decodes must re-encode to something that decodes to the same value, and
// the listed fields must stay inside the TLV or be marked truncated.
func FuzzTLVs(f *testing.F) {
	var all []byte
	for _, c := range tlvTestCases() {
		b := c.in.AppendTo(nil)
		f.Add(b)
		all = append(all, b...)
	}
	f.Add(all)
	f.Add([]byte{0x80, 0x01, 0x00, 0x28})                         // extended L1_SYNC header, no value
	f.Add([]byte{0x00, 0x03, 0x00, 0x06, 0, 0x80, 0xc2, 0, 0, 1}) // Follow_Up info without data
	f.Add([]byte{0x00, 0x09, 0x00, 0x11, 1, 2})                   // ATOI running past the data
	f.Fuzz(func(t *testing.T, data []byte) {
		it := TLVIter{Data: data}
		for it.Next() {
			tl := it.TLV
			for _, d := range typedDecoders(tl.Type) {
				if d.Decode(tl.Value) != nil {
					continue
				}
				exerciseAccessors(d)
				enc := d.AppendTo(nil)
				it2 := TLVIter{Data: enc}
				if !it2.Next() {
					t.Fatalf("%T: re-encoding % x is no TLV", d, enc)
				}
				d2 := typedDecoders(tl.Type)[0]
				if _, ok := d.(*OrgExtensionTLV); !ok {
					for _, c := range typedDecoders(it2.TLV.Type) {
						if sameKind(c, d) {
							d2 = c
						}
					}
				}
				if err := d2.Decode(it2.TLV.Value); err != nil {
					t.Fatalf("%T: re-encoded value % x does not decode: %v", d, enc, err)
				}
				if enc2 := d2.AppendTo(nil); !bytes.Equal(enc, enc2) {
					t.Fatalf("%T: encode/decode not stable:\n% x\n% x", d, enc, enc2)
				}
			}
			// Describe the TLV in place, inside the whole input.
			start, end := tl.Offset+4, tl.Offset+4+len(tl.Value)
			out := describeWith(data, func(w fieldWriter) { describeTLVValue(w, tl.Type, start, len(tl.Value)) })
			checkFieldsWithin(t, out, start, end)
		}
		// And the whole area as fields.go lists it.
		describeWith(data, func(w fieldWriter) { describeTLVs(w, 0, len(data), false) })
	})
}

func sameKind(a, b tlvCodec) bool {
	switch a.(type) {
	case *OrgExtensionTLV:
		_, ok := b.(*OrgExtensionTLV)
		return ok
	case *FollowUpInfoTLV:
		_, ok := b.(*FollowUpInfoTLV)
		return ok
	case *MessageIntervalRequestTLV:
		_, ok := b.(*MessageIntervalRequestTLV)
		return ok
	case *GPTPCapableTLV:
		_, ok := b.(*GPTPCapableTLV)
		return ok
	case *C37238TLV:
		_, ok := b.(*C37238TLV)
		return ok
	case *SMPTETLV:
		_, ok := b.(*SMPTETLV)
		return ok
	}
	return false
}

func checkFieldsWithin(t *testing.T, fs []Field, start, end int) {
	t.Helper()
	for _, f := range fs {
		if f.Text != "truncated" && (f.Offset < start || f.Offset+f.Length > end || f.Length < 0) {
			t.Fatalf("field %s at %d+%d outside the value %d..%d", f.Name, f.Offset, f.Length, start, end)
		}
		checkFieldsWithin(t, f.Children, start, end)
	}
}
