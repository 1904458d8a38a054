package bench

import (
	"bytes"
	"testing"

	fb "github.com/facebook/time/ptp/protocol"

	"github.com/ptpwatch/ptpwatch/decode"
)

// parentDataSetGet is a GET of PARENT_DATA_SET to all clocks and ports, as a
// management sweep sends it.
func parentDataSetGet() decode.Message {
	return decode.Message{
		Header: decode.Header{MessageType: decode.Management, Version: 2, Domain: 0,
			Source: decode.PortIdentity{Clock: gm, Port: 1}, Sequence: 1, Control: 4, LogMessageInterval: 0x7f},
		TargetPort: decode.PortIdentity{Clock: decode.AllClocks, Port: decode.AllPorts},
		Management: decode.ManagementHeader{StartingBoundaryHops: 1, BoundaryHops: 1, Action: decode.ActionGet,
			TLVType: decode.TLVManagement, ID: 0x2002},
	}
}

// BenchmarkEncodeManagementGet encodes a PARENT_DATA_SET GET: ptpwatch into a
// reused buffer (the PTP message alone, and the whole UDP/IPv4 frame with
// checksums), facebook/time with its MarshalBinary.
func BenchmarkEncodeManagementGet(b *testing.B) {
	m := parentDataSetGet()
	b.Run("message/ptpwatch", func(b *testing.B) {
		buf := make([]byte, 0, 128)
		b.ReportAllocs()
		b.SetBytes(int64(m.EncodedLength()))
		for b.Loop() {
			buf = m.AppendTo(buf[:0])
		}
	})
	b.Run("message/facebook-MarshalBinary", func(b *testing.B) {
		p := fb.ParentDataSetRequest()
		b.ReportAllocs()
		b.SetBytes(int64(m.EncodedLength()))
		for b.Loop() {
			if _, err := p.MarshalBinary(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("udp4-frame/ptpwatch", func(b *testing.B) {
		buf := make([]byte, 0, 256)
		b.ReportAllocs()
		for b.Loop() {
			buf = encap.AppendFrame(buf[:0], &m)
		}
		b.SetBytes(int64(len(buf)))
	})
}

// TestEncodeAgreesWithFacebook checks that both encoders produce the same
// GET apart from the fields facebook/time fills differently.
func TestEncodeAgreesWithFacebook(t *testing.T) {
	p := fb.ParentDataSetRequest()
	theirs, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var m decode.Message
	if r, why := m.Decode(theirs); r != decode.ResultOK {
		t.Fatalf("facebook's GET does not decode: %v", why)
	}
	if m.MessageType != decode.Management || m.Management.ID != 0x2002 || m.Management.Action != decode.ActionGet {
		t.Fatalf("decoded %+v", m.Management)
	}
	ours := m.AppendTo(nil)
	if !bytes.Equal(ours, theirs) {
		t.Errorf("re-encoded GET differs:\n ours   %x\n theirs %x", ours, theirs)
	}
}
