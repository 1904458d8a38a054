package pcapng

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func TestReadSamples(t *testing.T) {
	for _, s := range samples(t) {
		t.Run(s.name, func(t *testing.T) {
			_, got, err := readAll(t, s.data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, s.want) {
				t.Errorf("packets differ\n got %+v\nwant %+v", got, s.want)
			}
		})
	}
}

func TestHandBuiltMetadata(t *testing.T) {
	b, _ := handBuilt()
	r, err := NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r.Format() != FormatPcapNG {
		t.Errorf("Format = %v", r.Format())
	}
	wantSec := Section{Index: 0, BigEndian: true, Major: 1, Minor: 0,
		Hardware: "hw", OS: "os", UserApplication: "hand", Comment: "big section"}
	if got := r.Section(); got != wantSec {
		t.Errorf("first section = %+v, want %+v", got, wantSec)
	}
	// NewReader has already read the interfaces that follow the header.
	if n := len(r.Interfaces()); n != 2 {
		t.Errorf("after NewReader: %d interfaces, want 2", n)
	}
	var p Packet
	if err := r.Next(&p); err != nil {
		t.Fatal(err)
	}
	flags, ok := p.Option(OptEPBFlags)
	if !ok || !bytes.Equal(flags, []byte{0, 0, 0, 1}) {
		t.Errorf("epb_flags = %x, %v; want big-endian 1", flags, ok)
	}
	if _, ok := p.Option(OptEPBHash); ok {
		t.Error("found an epb_hash that is not there")
	}
	for r.Next(&p) == nil {
	}
	want := []Interface{
		{Name: "eth0", Description: "first port", LinkType: LinkTypeEthernet, SnapLen: 64,
			Resolution: BinaryResolution(20), TSOffset: 100},
		{LinkType: LinkTypeRaw, Resolution: Millisecond},
		{LinkType: LinkTypeLinuxSLL2, Resolution: Microsecond, Section: 1},
		{LinkType: LinkTypeIPv6, Resolution: DecimalResolution(12), Section: 1},
	}
	if got := r.Interfaces(); !reflect.DeepEqual(got, want) {
		t.Errorf("interfaces\n got %+v\nwant %+v", got, want)
	}
	if got := r.Section(); got.Index != 1 || got.BigEndian || got.Comment != "" {
		t.Errorf("second section = %+v", got)
	}
}

func TestPcapVariants(t *testing.T) {
	pk := []rec{{0, 1_000_000_123_456_789, "abcd", 10, "", LinkTypeRaw}}
	tests := []struct {
		name  string
		order endian
		nano  bool
		ts    int64
	}{
		{"little-endian microseconds", littleEndian, false, 1_000_000_123_456_000},
		{"big-endian microseconds", bigEndian, false, 1_000_000_123_456_000},
		{"little-endian nanoseconds", littleEndian, true, 1_000_000_123_456_789},
		{"big-endian nanoseconds", bigEndian, true, 1_000_000_123_456_789},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, got, err := readAll(t, handPcap(tc.order, tc.nano, LinkTypeRaw, pk...))
			if err != nil {
				t.Fatal(err)
			}
			want := []rec{{0, tc.ts, "abcd", 10, "", LinkTypeRaw}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
			res := Microsecond
			if tc.nano {
				res = Nanosecond
			}
			ifs := []Interface{{LinkType: LinkTypeRaw, SnapLen: 65535, Resolution: res}}
			if !reflect.DeepEqual(r.Interfaces(), ifs) {
				t.Errorf("interfaces %+v, want %+v", r.Interfaces(), ifs)
			}
			if s := r.Section(); s.BigEndian != bool(tc.order) || s.Major != 2 || s.Minor != 4 {
				t.Errorf("section %+v", s)
			}
			if r.Format() != FormatPcap {
				t.Errorf("format %v", r.Format())
			}
		})
	}
}

// TestPcapLinkTypeFCSBits checks that FCS information in the upper bits of
// the pcap link type field does not leak into the link type.
func TestPcapLinkTypeFCSBits(t *testing.T) {
	b := handPcap(littleEndian, false, LinkTypeEthernet)
	b[23] = 0x14 // bits in the FCS part of the field, above the 16-bit link type
	r, err := NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Interfaces()[0].LinkType; got != LinkTypeEthernet {
		t.Errorf("link type %v", got)
	}
}

func TestMalformed(t *testing.T) {
	g := func() *ng { return (&ng{}).shb(littleEndian) }
	withIDB := func() *ng { return g().idb(LinkTypeEthernet, 0) }
	pcapHdr := handPcap(littleEndian, false, LinkTypeEthernet)
	tests := []struct {
		name      string
		data      []byte
		truncated bool   // must wrap io.ErrUnexpectedEOF
		reason    string // part of the message
	}{
		{"empty", nil, true, "input too short"},
		{"three bytes", []byte{0xd4, 0xc3, 0xb2}, true, "input too short"},
		{"unknown magic", []byte("GIF89a and then some more bytes to be long"), false, "unknown magic"},
		{"pcap version 3", func() []byte { b := bytes.Clone(pcapHdr); b[4] = 3; return b }(), false, "unsupported pcap version"},
		{"pcap record over limit", func() []byte {
			b := littleEndian.append32(bytes.Clone(pcapHdr), 0)
			b = littleEndian.append32(b, 0)
			b = littleEndian.append32(b, MaxBlockSize)
			return littleEndian.append32(b, MaxBlockSize)
		}(), false, "pcap record longer"},
		{"pcap record cut", append(bytes.Clone(pcapHdr), make([]byte, 10)...), true, "truncated pcap record header"},
		{"bad byte-order magic", func() []byte { b := g().b; b[8] = 0; return b }(), false, "bad byte-order magic"},
		{"pcapng version 2", func() []byte { b := g().b; b[12] = 2; return b }(), false, "unsupported pcapng major"},
		{"section length not multiple of 4", func() []byte { b := g().b; b[4]++; return b }(), false, "not a multiple of 4"},
		{"section trailer mismatch", func() []byte { b := g().b; b[len(b)-4]++; return b }(), false, "trailing length"},
		{"block over limit", func() []byte {
			n := g()
			n.b = n.o.append32(n.b, 99)
			return n.o.append32(n.b, MaxBlockSize+4)
		}(), false, "longer than MaxBlockSize"},
		{"block shorter than header", func() []byte {
			n := g()
			n.b = n.o.append32(n.b, 99)
			return n.o.append32(n.b, 8)
		}(), false, "too small"},
		{"enhanced packet block too short", func() []byte {
			n := withIDB()
			n.b = n.o.append32(n.b, blockEPB)
			n.b = n.o.append32(n.b, 28)
			n.b = append(n.b, make([]byte, 16)...)
			return n.o.append32(n.b, 28)
		}(), false, "too small"},
		{"unknown block trailer mismatch", func() []byte {
			n := g().block(99, []byte("abcd"))
			n.b[len(n.b)-1] ^= 0xff
			return n.b
		}(), false, "trailing length"},
		{"packet on undeclared interface", withIDB().epb(1, 0, "x", 1).b, false, "undeclared interface"},
		{"packet before any interface", g().epb(0, 0, "x", 1).b, false, "undeclared interface"},
		{"simple packet before any interface", g().block(blockSPB, []byte{1, 0, 0, 0, 'x'}).b, false, "before any interface"},
		{"captured length beyond block", func() []byte {
			n := withIDB().epb(0, 0, "abcd", 4)
			n.b[len(n.b)-16] = 9 // caplen: before orig len, 4 data bytes, trailer
			return n.b
		}(), false, "captured length exceeds"},
		{"packet option overruns block", func() []byte {
			n := withIDB()
			return n.epb(0, 0, "abcd", 4, n.o.append16(n.o.append16(nil, 1), 200)).b
		}(), false, "malformed packet option"},
		{"interface option overruns block", func() []byte {
			n := g()
			return n.idb(LinkTypeEthernet, 0, n.o.append16(n.o.append16(nil, 2), 200)).b
		}(), false, "malformed interface option"},
		{"if_tsresol wrong size", func() []byte {
			n := g()
			return n.idb(LinkTypeEthernet, 0, n.opt(optIfTsresol, []byte{9, 9})).b
		}(), false, "if_tsresol"},
		{"if_tsoffset wrong size", func() []byte {
			n := g()
			return n.idb(LinkTypeEthernet, 0, n.opt(optIfTsoff, []byte{9, 9})).b
		}(), false, "if_tsoffset"},
		{"section option overruns block", func() []byte {
			n := &ng{}
			return n.shb(littleEndian, n.o.append16(n.o.append16(nil, 1), 200)).b
		}(), false, "malformed section header option"},
		{"block cut in header", append(withIDB().b, 6, 0, 0), true, "truncated block header"},
		{"block cut in body", withIDB().epb(0, 0, "abcdef", 6).b[:withIDBLen()+20], true, "truncated block"},
		{"unknown block cut", g().block(99, make([]byte, 40)).b[:len(g().b)+30], true, "truncated block"},
		{"unknown block cut before trailer", g().block(99, make([]byte, 40)).b[:len(g().b)+50], true, "truncated block"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(t, tc.data)
			if err == nil {
				t.Fatal("no error")
			}
			if !isFormatError(err) {
				t.Fatalf("error %v (%T) is not a *FormatError", err, err)
			}
			if got := errors.Is(err, io.ErrUnexpectedEOF); got != tc.truncated {
				t.Errorf("errors.Is(%v, io.ErrUnexpectedEOF) = %v, want %v", err, got, tc.truncated)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %q does not mention %q", err, tc.reason)
			}
		})
	}
}

func withIDBLen() int { return len((&ng{}).shb(littleEndian).idb(LinkTypeEthernet, 0).b) }

// TestErrorsAreSticky checks that Next keeps failing after an error rather
// than resynchronising somewhere in the middle of a block.
func TestErrorsAreSticky(t *testing.T) {
	n := (&ng{}).shb(littleEndian).idb(LinkTypeEthernet, 0).epb(3, 0, "x", 1).epb(0, 0, "y", 1)
	r, err := NewReader(bytes.NewReader(n.b))
	if err != nil {
		t.Fatal(err)
	}
	var p Packet
	first := r.Next(&p)
	if first == nil {
		t.Fatal("no error")
	}
	if again := r.Next(&p); again != first {
		t.Errorf("second Next = %v, want %v", again, first)
	}
}

// TestIOErrorPassedThrough checks that a failing source is reported as
// itself, not dressed up as a format problem.
func TestIOErrorPassedThrough(t *testing.T) {
	b, _ := handBuilt()
	boom := errors.New("disk on fire")
	r, err := NewReader(io.MultiReader(bytes.NewReader(b[:200]), errReader{boom}))
	if err != nil {
		t.Fatal(err)
	}
	var p Packet
	for err == nil {
		err = r.Next(&p)
	}
	if err != boom {
		t.Errorf("got %v, want %v", err, boom)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// TestTruncatedEverywhere cuts valid files at every byte offset. Cuts at a
// block boundary must read as a clean, shorter file; all others must end in
// an error wrapping io.ErrUnexpectedEOF. Nothing may panic.
func TestTruncatedEverywhere(t *testing.T) {
	for _, s := range samples(t) {
		t.Run(s.name, func(t *testing.T) {
			ends := map[int]bool{}
			for _, e := range blockEnds(s.data) {
				ends[e] = true
			}
			if !ends[len(s.data)] {
				t.Fatalf("blockEnds does not reach the end of the file: %v", blockEnds(s.data))
			}
			for cut := 0; cut < len(s.data); cut++ {
				_, got, err := readAll(t, s.data[:cut])
				if ends[cut] {
					if err != nil {
						t.Fatalf("cut at block boundary %d: %v", cut, err)
					}
					if len(got) > 0 && !reflect.DeepEqual(got, s.want[:len(got)]) {
						t.Fatalf("cut at %d: packets are not a prefix: %+v", cut, got)
					}
					continue
				}
				if !errors.Is(err, io.ErrUnexpectedEOF) || !isFormatError(err) {
					t.Fatalf("cut at %d: error %v, want a *FormatError wrapping io.ErrUnexpectedEOF", cut, err)
				}
			}
		})
	}
}

// TestLyingLength checks that a block claiming nearly MaxBlockSize bytes on
// a short input fails without allocating anything like that size.
func TestLyingLength(t *testing.T) {
	n := (&ng{}).shb(littleEndian).idb(LinkTypeEthernet, 0)
	n.b = n.o.append32(n.b, blockEPB)
	n.b = n.o.append32(n.b, MaxBlockSize-4)
	n.b = append(n.b, make([]byte, 300<<10)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := readAll(t, n.b)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("error %v, want io.ErrUnexpectedEOF", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
		t.Errorf("allocated %d bytes for a %d-byte input", got, len(n.b))
	}
}

func TestLargeBlocks(t *testing.T) {
	// Blocks bigger than the Reader's peek buffer take the copying path;
	// mix sizes so the buffer is reused and regrown.
	sizes := []int{100, 200 << 10, 70 << 10, 1 << 20, 10, 300 << 10}
	var buf bytes.Buffer
	w, err := NewNgWriter(&buf, NgWriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.AddInterface(Interface{LinkType: LinkTypeEthernet})
	var want []rec
	for i, n := range sizes {
		d := bytes.Repeat([]byte{byte(i + 1)}, n)
		if err := w.WritePacket(0, int64(i), d, 0, "big"); err != nil {
			t.Fatal(err)
		}
		want = append(want, rec{0, int64(i), string(d), n, "big", LinkTypeEthernet})
	}
	w.Flush()
	_, got, err := readAll(t, buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("large packets differ")
	}
}

func TestTooManyInterfaces(t *testing.T) {
	n := (&ng{}).shb(littleEndian)
	for range MaxInterfaces + 1 {
		n.idb(LinkTypeEthernet, 0)
	}
	_, _, err := readAll(t, n.b)
	if !isFormatError(err) || errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("error %v, want a *FormatError about interfaces", err)
	}
}

// loopReader serves head once and then body forever, to read an endless
// capture in allocation tests and benchmarks.
type loopReader struct {
	head, body []byte
	pos        int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(l.head) > 0 {
			c := copy(p[n:], l.head)
			l.head = l.head[c:]
			n += c
			continue
		}
		c := copy(p[n:], l.body[l.pos:])
		n += c
		l.pos = (l.pos + c) % len(l.body)
	}
	return n, nil
}

// endless returns a Reader over a capture of the given format whose
// 100-byte packets repeat forever; pcapng packets alternate between two
// interfaces and carry a comment.
func endless(t testing.TB, format Format) *Reader {
	t.Helper()
	var buf bytes.Buffer
	frame := make([]byte, 100)
	if format == FormatPcap {
		w, err := NewPcapWriter(&buf, LinkTypeEthernet, 0, true)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 64 {
			if err := w.WritePacket(int64(i)*1e6, frame, 0); err != nil {
				t.Fatal(err)
			}
		}
		w.Flush()
	} else {
		w, err := NewNgWriter(&buf, NgWriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		w.AddInterface(Interface{LinkType: LinkTypeEthernet})
		w.AddInterface(Interface{LinkType: LinkTypeRaw, Resolution: Microsecond})
		for i := range 64 {
			if err := w.WritePacket(i%2, int64(i)*1e6, frame, 0, "c"); err != nil {
				t.Fatal(err)
			}
		}
		w.Flush()
	}
	b := buf.Bytes()
	probe, err := NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	head := int(probe.Offset()) // file header, and for pcapng the interfaces
	r, err := NewReader(&loopReader{head: b[:head], body: b[head:]})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReaderNoAllocs(t *testing.T) {
	for _, f := range []Format{FormatPcap, FormatPcapNG} {
		t.Run(f.String(), func(t *testing.T) {
			r := endless(t, f)
			var p Packet
			allocs := testing.AllocsPerRun(5000, func() {
				if err := r.Next(&p); err != nil {
					t.Fatal(err)
				}
				if len(p.Data) != 100 {
					t.Fatalf("frame of %d bytes", len(p.Data))
				}
				p.Option(OptComment)
			})
			if allocs != 0 {
				t.Errorf("Next: %v allocations per packet, want 0", allocs)
			}
		})
	}
}
