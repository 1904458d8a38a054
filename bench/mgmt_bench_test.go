package bench

import (
	"testing"

	fb "github.com/facebook/time/ptp/protocol"

	"github.com/ptpwatch/ptpwatch/decode"
)

// parentDataSetResponse is a management RESPONSE carrying PARENT_DATA_SET
// as a whole UDP/IPv4 frame, and its PTP bytes.
func parentDataSetResponse() (frame, ptp []byte) {
	ds := decode.MgmtParentDataSet{ParentPortIdentity: decode.PortIdentity{Clock: gm, Port: 1},
		ObservedParentOffsetScaledLogVariance: 0xffff, ObservedParentClockPhaseChangeRate: 0x7fffffff,
		GrandmasterPriority1: 128, GrandmasterClockQuality: decode.ClockQuality{Class: 6, Accuracy: 0x21, OffsetScaledLogVariance: 0x4e5d},
		GrandmasterPriority2: 128, GrandmasterIdentity: gm}
	m := parentDataSetGet()
	m.Source = decode.PortIdentity{Clock: peer, Port: 1}
	m.TargetPort = decode.PortIdentity{Clock: gm, Port: 1}
	m.Management.Action = decode.ActionResponse
	m.Management.Data = ds.AppendTo(nil)
	frame = encap.AppendFrame(nil, &m)
	var f decode.Frame
	f.Decode(decode.LinkEthernet, frame)
	return frame, frame[f.PTPOffset:]
}

// BenchmarkDecodeManagement decodes a PARENT_DATA_SET response down to the
// data set's fields: ptpwatch from the Ethernet header, facebook/time from
// the PTP header with DecodePacket (its Management decoder).
func BenchmarkDecodeManagement(b *testing.B) {
	frame, ptp := parentDataSetResponse()
	b.Run("PARENT_DATA_SET/ptpwatch", func(b *testing.B) {
		var f decode.Frame
		var md decode.ManagementData
		b.SetBytes(int64(len(frame)))
		b.ReportAllocs()
		for b.Loop() {
			if f.Decode(decode.LinkEthernet, frame) != decode.ResultOK {
				b.Fatal(f.Reason)
			}
			if err := decode.DecodeManagementData(f.PTP.Management.ID, f.PTP.Management.Data, &md); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("PARENT_DATA_SET/facebook-DecodePacket", func(b *testing.B) {
		b.SetBytes(int64(len(ptp)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := fb.DecodePacket(ptp); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestManagementAgreesWithFacebook checks both decoders read the same
// PARENT_DATA_SET.
func TestManagementAgreesWithFacebook(t *testing.T) {
	frame, ptp := parentDataSetResponse()
	var f decode.Frame
	var md decode.ManagementData
	if f.Decode(decode.LinkEthernet, frame) != decode.ResultOK {
		t.Fatal(f.Reason)
	}
	if err := decode.DecodeManagementData(f.PTP.Management.ID, f.PTP.Management.Data, &md); err != nil {
		t.Fatal(err)
	}
	p, err := fb.DecodePacket(ptp)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := p.(*fb.Management)
	if !ok {
		t.Fatalf("facebook decoded %T", p)
	}
	theirs, ok := m.TLV.(*fb.ParentDataSetTLV)
	if !ok {
		t.Fatalf("facebook TLV %T", m.TLV)
	}
	ours := md.ParentDataSet
	if uint64(theirs.GrandmasterIdentity) != be64(ours.GrandmasterIdentity) || theirs.GrandmasterPriority1 != ours.GrandmasterPriority1 ||
		uint8(theirs.GrandmasterClockQuality.ClockClass) != ours.GrandmasterClockQuality.Class ||
		uint64(theirs.ParentPortIdentity.ClockIdentity) != be64(ours.ParentPortIdentity.Clock) {
		t.Errorf("disagree: facebook %+v ours %+v", theirs, ours)
	}
}
