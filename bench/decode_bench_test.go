package bench

import (
	"net/netip"
	"testing"

	fb "github.com/facebook/time/ptp/protocol"

	"github.com/ptpwatch/ptpwatch/decode"
)

// benchCase is one message type as a whole UDP/IPv4 Ethernet frame for
// ptpwatch, and the PTP bytes of the same frame for facebook/time, whose
// decoders start at the PTP header.
type benchCase struct {
	name  string
	frame []byte
	ptp   []byte
	fbNew func() interface{ UnmarshalBinary([]byte) error }
}

var (
	gm    = decode.ClockIdentity{0x00, 0x1b, 0x21, 0xff, 0xfe, 0x12, 0x34, 0x56}
	peer  = decode.ClockIdentity{0xa0, 0x36, 0x9f, 0xff, 0xfe, 0x01, 0x02, 0x03}
	encap = decode.Encapsulation{Transport: decode.TransportUDPv4,
		SrcMAC: [6]byte{0x00, 0x1b, 0x21, 0x12, 0x34, 0x56}, SrcIP: netip.MustParseAddr("192.0.2.10")}
)

func header(t decode.MessageType) decode.Header {
	return decode.Header{MessageType: t, Version: 2, Domain: 0, Flags: decode.FlagTwoStep,
		Source: decode.PortIdentity{Clock: gm, Port: 1}, Sequence: 777, LogMessageInterval: -3}
}

func cases() []benchCase {
	ts := decode.Timestamp{Seconds: 1_700_000_000, Nanoseconds: 123_456_789}
	msgs := []struct {
		m  decode.Message
		fb func() interface{ UnmarshalBinary([]byte) error }
	}{
		{decode.Message{Header: header(decode.Sync), Timestamp: ts}, func() interface{ UnmarshalBinary([]byte) error } { return &fb.SyncDelayReq{} }},
		{decode.Message{Header: header(decode.FollowUp), Timestamp: ts}, func() interface{ UnmarshalBinary([]byte) error } { return &fb.FollowUp{} }},
		{decode.Message{Header: header(decode.DelayReq), Timestamp: ts}, func() interface{ UnmarshalBinary([]byte) error } { return &fb.SyncDelayReq{} }},
		{decode.Message{Header: header(decode.DelayResp), Timestamp: ts, RequestingPort: decode.PortIdentity{Clock: peer, Port: 1}},
			func() interface{ UnmarshalBinary([]byte) error } { return &fb.DelayResp{} }},
		{decode.Message{Header: header(decode.Announce), Timestamp: ts, Announce: decode.AnnounceBody{CurrentUTCOffset: 37,
			GrandmasterPriority1: 128, GrandmasterClockQuality: decode.ClockQuality{Class: 6, Accuracy: 0x21, OffsetScaledLogVariance: 0x4e5d},
			GrandmasterPriority2: 128, GrandmasterIdentity: gm, TimeSource: decode.TimeSourceGNSS}},
			func() interface{ UnmarshalBinary([]byte) error } { return &fb.Announce{} }},
	}
	var out []benchCase
	for _, x := range msgs {
		frame := encap.AppendFrame(nil, &x.m)
		var f decode.Frame
		f.Decode(decode.LinkEthernet, frame)
		out = append(out, benchCase{name: x.m.MessageType.String(), frame: frame, ptp: frame[f.PTPOffset:], fbNew: x.fb})
	}
	return out
}

// BenchmarkDecode decodes each message type: ptpwatch from the Ethernet
// header to the end of PTP (and, for a like-for-like row, the PTP message
// alone), facebook/time from the PTP header, both with the typed decoder and
// with its generic DecodePacket.
func BenchmarkDecode(b *testing.B) {
	for _, c := range cases() {
		b.Run(c.name+"/ptpwatch", func(b *testing.B) {
			var f decode.Frame
			b.SetBytes(int64(len(c.frame)))
			b.ReportAllocs()
			for b.Loop() {
				if f.Decode(decode.LinkEthernet, c.frame) != decode.ResultOK {
					b.Fatal(f.Reason)
				}
			}
		})
		b.Run(c.name+"/ptpwatch-ptp-only", func(b *testing.B) {
			// The same work as facebook/time's typed decoders: the PTP
			// message alone, no link, IP or UDP layers.
			var m decode.Message
			b.SetBytes(int64(len(c.ptp)))
			b.ReportAllocs()
			for b.Loop() {
				if r, why := m.Decode(c.ptp); r != decode.ResultOK {
					b.Fatal(why)
				}
			}
		})
		b.Run(c.name+"/facebook-Unmarshal", func(b *testing.B) {
			p := c.fbNew()
			b.SetBytes(int64(len(c.ptp)))
			b.ReportAllocs()
			for b.Loop() {
				if err := p.UnmarshalBinary(c.ptp); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/facebook-DecodePacket", func(b *testing.B) {
			b.SetBytes(int64(len(c.ptp)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := fb.DecodePacket(c.ptp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestAgreesWithFacebook cross-checks decoded values with the peer, so the
// benchmark compares decoders that do the same work.
func TestAgreesWithFacebook(t *testing.T) {
	for _, c := range cases() {
		var f decode.Frame
		if f.Decode(decode.LinkEthernet, c.frame) != decode.ResultOK {
			t.Fatalf("%s: %v", c.name, f.Reason)
		}
		p, err := fb.DecodePacket(c.ptp)
		if err != nil {
			t.Fatalf("%s: facebook: %v", c.name, err)
		}
		m := &f.PTP
		var seq uint16
		var src uint64
		switch x := p.(type) {
		case *fb.SyncDelayReq:
			seq, src = x.SequenceID, uint64(x.SourcePortIdentity.ClockIdentity)
			if x.OriginTimestamp.Seconds.Seconds() != m.Timestamp.Seconds || x.OriginTimestamp.Nanoseconds != m.Timestamp.Nanoseconds {
				t.Errorf("%s: timestamp %v vs %v", c.name, x.OriginTimestamp, m.Timestamp)
			}
		case *fb.FollowUp:
			seq, src = x.SequenceID, uint64(x.SourcePortIdentity.ClockIdentity)
			if x.PreciseOriginTimestamp.Nanoseconds != m.Timestamp.Nanoseconds {
				t.Errorf("%s: timestamp mismatch", c.name)
			}
		case *fb.DelayResp:
			seq, src = x.SequenceID, uint64(x.SourcePortIdentity.ClockIdentity)
			if uint64(x.RequestingPortIdentity.ClockIdentity) != be64(m.RequestingPort.Clock) {
				t.Errorf("%s: requesting port mismatch", c.name)
			}
		case *fb.Announce:
			seq, src = x.SequenceID, uint64(x.SourcePortIdentity.ClockIdentity)
			if x.GrandmasterPriority1 != m.Announce.GrandmasterPriority1 || uint8(x.GrandmasterClockQuality.ClockClass) != m.Announce.GrandmasterClockQuality.Class ||
				uint64(x.GrandmasterIdentity) != be64(m.Announce.GrandmasterIdentity) || x.CurrentUTCOffset != m.Announce.CurrentUTCOffset {
				t.Errorf("%s: announce body mismatch", c.name)
			}
		default:
			t.Fatalf("%s: unexpected %T", c.name, p)
		}
		if seq != m.Sequence || src != be64(m.Source.Clock) {
			t.Errorf("%s: header mismatch seq %d/%d", c.name, seq, m.Sequence)
		}
	}
}

func be64(c decode.ClockIdentity) uint64 {
	var v uint64
	for _, x := range c {
		v = v<<8 | uint64(x)
	}
	return v
}
