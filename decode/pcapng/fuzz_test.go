package pcapng

import (
	"bytes"
	"io"
	"math"
	"math/big"
	"testing"
)

// FuzzReader feeds arbitrary bytes to the Reader: it must never panic,
// report only *FormatError for an in-memory input, hand out packets that
// keep their invariants and keep its buffer in proportion to the input.
func FuzzReader(f *testing.F) {
	for _, s := range samples(f) {
		f.Add(s.data)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b))
		if err != nil {
			if !isFormatError(err) {
				t.Fatalf("NewReader: %v (%T) is not a *FormatError", err, err)
			}
			return
		}
		var p Packet
		for n := 0; ; n++ {
			// Every packet consumes at least a 16-byte header.
			if n > len(b)/16 {
				t.Fatalf("%d packets from %d bytes", n, len(b))
			}
			err := r.Next(&p)
			if err == io.EOF {
				break
			}
			if err != nil {
				if !isFormatError(err) {
					t.Fatalf("Next: %v (%T) is not a *FormatError", err, err)
				}
				break
			}
			ifs := r.Interfaces()
			if p.Interface < 0 || p.Interface >= len(ifs) || ifs[p.Interface].LinkType != p.LinkType {
				t.Fatalf("packet on interface %d of %d", p.Interface, len(ifs))
			}
			if len(p.Data) != p.CaptureLength || cap(p.Data) != len(p.Data) {
				t.Fatalf("Data len %d cap %d, CaptureLength %d", len(p.Data), cap(p.Data), p.CaptureLength)
			}
			for code := range uint16(8) {
				p.Option(code)
			}
			_ = p.Comment()
		}
		if lim := 4*len(b) + 4*readBufSize; cap(r.big) > lim {
			t.Fatalf("buffer of %d bytes for %d bytes of input", cap(r.big), len(b))
		}
	})
}

// refTicks is the exact tick count NgWriter must store for ns, or nil when
// it does not fit in 64 bits.
func refTicks(r Resolution, ns uint64) *big.Int {
	q, m := new(big.Int).QuoRem(new(big.Int).Mul(new(big.Int).SetUint64(ns), unitsPerSecond(r)), big.NewInt(1e9), new(big.Int))
	if r.IsBinary() && r.Exponent() >= 30 && m.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	if q.Cmp(two64) >= 0 {
		return nil
	}
	return q
}

// FuzzRoundTrip writes packets with fuzzed parameters in one of the four
// output flavours and checks that reading gives back what was written, up
// to what the format can represent.
func FuzzRoundTrip(f *testing.F) {
	f.Add(uint8(0), uint8(9), uint16(0), int32(0), int64(1_700_000_000_123_456_789), int64(1000), []byte(ptpSync), "hello")
	f.Add(uint8(1), uint8(6), uint16(20), int32(0), int64(0), int64(1), []byte("abcdefghij"), "")
	f.Add(uint8(2), uint8(0x94), uint16(5), int32(-100), int64(1e9), int64(123_456_789), []byte(ptpSync), "x")
	f.Add(uint8(3), uint8(12), uint16(0), int32(1_700_000_000), int64(1_700_000_000_123_456_789), int64(7), []byte{1, 2, 3}, "abc")
	f.Add(uint8(7), uint8(0xa0), uint16(64), int32(3), int64(math.MaxInt64), int64(-1), []byte{}, "\x00")
	f.Fuzz(func(t *testing.T, kind, resOpt uint8, snap uint16, offset int32, ts0, step int64, payload []byte, comment string) {
		var buf bytes.Buffer
		format := kind % 4
		var want []rec
		var ng *NgWriter
		var pw *PcapWriter
		res := ResolutionFromOption(resOpt)
		link := LinkType(kind) // arbitrary link type numbers must survive
		switch format {
		case 0, 1:
			var err error
			pw, err = NewPcapWriter(&buf, link, int(snap), format == 1)
			if err != nil {
				t.Fatal(err)
			}
		default:
			var err error
			ng, err = NewNgWriter(&buf, NgWriterOptions{BigEndian: format == 3, Comment: comment})
			if err == ErrOptionTooLong && len(comment) > math.MaxUint16 {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = ng.AddInterface(Interface{Name: "if0", LinkType: link, SnapLen: int(snap), Resolution: res, TSOffset: int64(offset)})
			if err == ErrResolution && !newTickConv(res).writable() {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ng.AddInterface(Interface{LinkType: LinkTypeEthernet}); err != nil {
				t.Fatal(err)
			}
		}
		third := len(payload) / 3
		parts := [][]byte{payload[:third], payload[third : 2*third], payload[2*third:]}
		for i, data := range parts {
			ts := ts0 + int64(i)*step // may wrap; the writer must then refuse it
			orig := 0
			if i == 1 {
				orig = len(data) + int(kind)
			}
			c := comment
			if i == 1 {
				c = ""
			}
			iface := i % 2
			if pw != nil {
				iface = 0
			}
			var err error
			if pw != nil {
				err = pw.WritePacket(ts, data, orig)
			} else {
				err = ng.WritePacket(iface, ts, data, orig, c)
			}

			// Work out what the file can hold, independently of the writer.
			cut := len(data)
			if pw != nil {
				s := int(snap)
				if s == 0 {
					s = DefaultSnapLen
				}
				cut = min(cut, s)
			} else if iface == 0 && snap > 0 {
				cut = min(cut, int(snap))
			}
			wantTS, fits := ts, true
			switch {
			case pw != nil:
				fits = ts >= 0 && ts/1e9 <= math.MaxUint32
				if format == 0 {
					wantTS -= ts % 1000
				}
			case iface == 0:
				rel := new(big.Int).Sub(big.NewInt(ts), big.NewInt(int64(offset)*1e9))
				fits = rel.Sign() >= 0 && rel.IsInt64() && refTicks(res, rel.Uint64()) != nil
			default:
				fits = ts >= 0
			}
			if pw == nil && len(c) > math.MaxUint16 {
				if err != ErrOptionTooLong {
					t.Fatalf("long comment: %v", err)
				}
				continue
			}
			if !fits {
				if err != ErrTimestampRange {
					t.Fatalf("packet %d at %d on interface %d: got %v, want ErrTimestampRange", i, ts, iface, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("packet %d: %v", i, err)
			}
			l := link
			if iface == 1 {
				l = LinkTypeEthernet
			}
			if pw != nil {
				c = ""
			}
			want = append(want, rec{iface, wantTS, string(data[:cut]), max(orig, len(data)), c, l})
		}
		var err error
		if pw != nil {
			err = pw.Flush()
		} else {
			err = ng.Flush()
		}
		if err != nil {
			t.Fatal(err)
		}

		_, got, err := readAll(t, buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("read %d packets, wrote %d", len(got), len(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			if ng != nil && w.Iface == 0 {
				// Timestamps come back rounded down to the tick.
				// tick is the tick length rounded up to a nanosecond.
				ups := unitsPerSecond(res)
				tick := new(big.Int).Add(big.NewInt(1e9), ups)
				tick.Sub(tick, big.NewInt(1)).Div(tick, ups)
				if g.TS > w.TS || w.TS-g.TS > tick.Int64() || (tick.Int64() <= 1 && g.TS != w.TS) {
					t.Errorf("packet %d: time %d read back as %d (%v ticks)", i, w.TS, g.TS, res)
				}
				g.TS = w.TS
			}
			if g != w {
				t.Errorf("packet %d\n got %+v\nwant %+v", i, g, w)
			}
		}
	})
}
