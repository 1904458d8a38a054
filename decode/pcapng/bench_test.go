package pcapng

import (
	"io"
	"testing"
)

func BenchmarkReaderNext(b *testing.B) {
	for _, f := range []Format{FormatPcap, FormatPcapNG} {
		b.Run(f.String(), func(b *testing.B) {
			r := endless(b, f)
			var p Packet
			b.ReportAllocs()
			b.SetBytes(100)
			for b.Loop() {
				if err := r.Next(&p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkWriterWritePacket(b *testing.B) {
	frame := make([]byte, 100)
	b.Run("pcap", func(b *testing.B) {
		w, err := NewPcapWriter(io.Discard, LinkTypeEthernet, 0, true)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.SetBytes(100)
		ts := int64(1_700_000_000_000_000_000)
		for b.Loop() {
			ts += 1000
			if err := w.WritePacket(ts, frame, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, comment := range []string{"", "sync"} {
		name := "pcapng"
		if comment != "" {
			name += "-comment"
		}
		b.Run(name, func(b *testing.B) {
			w, err := NewNgWriter(io.Discard, NgWriterOptions{})
			if err != nil {
				b.Fatal(err)
			}
			w.AddInterface(Interface{LinkType: LinkTypeEthernet})
			b.ReportAllocs()
			b.SetBytes(100)
			ts := int64(1_700_000_000_000_000_000)
			for b.Loop() {
				ts += 1000
				if err := w.WritePacket(0, ts, frame, 0, comment); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
