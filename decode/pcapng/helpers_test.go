package pcapng

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// rec is a packet as the tests compare it: everything a Packet exposes,
// with Data copied.
type rec struct {
	Iface   int
	TS      int64
	Data    string
	Orig    int
	Comment string
	Link    LinkType
}

func recOf(p *Packet) rec {
	return rec{p.Interface, p.Timestamp, string(p.Data), p.OriginalLength, p.Comment(), p.LinkType}
}

// readAll reads every packet of b. err is nil when the input ended with
// io.EOF, and the first other error otherwise. It also checks invariants
// every Packet must satisfy.
func readAll(t testing.TB, b []byte) (*Reader, []rec, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, nil, err
	}
	var out []rec
	var p Packet
	for {
		err := r.Next(&p)
		if err == io.EOF {
			return r, out, nil
		}
		if err != nil {
			return r, out, err
		}
		if p.CaptureLength != len(p.Data) || cap(p.Data) != len(p.Data) {
			t.Fatalf("packet %d: CaptureLength %d, len %d, cap %d", len(out), p.CaptureLength, len(p.Data), cap(p.Data))
		}
		if p.Interface < 0 || p.Interface >= len(r.Interfaces()) {
			t.Fatalf("packet %d: interface %d of %d", len(out), p.Interface, len(r.Interfaces()))
		}
		out = append(out, recOf(&p))
	}
}

// ng builds pcapng files by hand, independently of NgWriter, so that tests
// catch mistakes the writer and reader would share.
type ng struct {
	b []byte
	o endian
}

// block appends a block with the given body, padded to 32 bits.
func (g *ng) block(typ uint32, body ...[]byte) *ng {
	var all []byte
	for _, p := range body {
		all = append(all, p...)
	}
	for len(all)%4 != 0 {
		all = append(all, 0)
	}
	total := uint32(12 + len(all))
	g.b = g.o.append32(g.b, typ)
	g.b = g.o.append32(g.b, total)
	g.b = append(g.b, all...)
	g.b = g.o.append32(g.b, total)
	return g
}

// shb starts a new section in byte order o.
func (g *ng) shb(o endian, opts ...[]byte) *ng {
	g.o = o
	body := o.append32(nil, byteOrderMagic)
	body = o.append16(body, 1)
	body = o.append16(body, 0)
	body = o.append64(body, ^uint64(0))
	for _, p := range opts {
		body = append(body, p...)
	}
	return g.block(blockSHB, body)
}

func (g *ng) idb(link LinkType, snap uint32, opts ...[]byte) *ng {
	body := g.o.append16(nil, uint16(link))
	body = g.o.append16(body, 0)
	body = g.o.append32(body, snap)
	for _, p := range opts {
		body = append(body, p...)
	}
	return g.block(blockIDB, body)
}

func (g *ng) epb(id uint32, ticks uint64, data string, orig uint32, opts ...[]byte) *ng {
	body := g.o.append32(nil, id)
	body = g.o.append32(body, uint32(ticks>>32))
	body = g.o.append32(body, uint32(ticks))
	body = g.o.append32(body, uint32(len(data)))
	body = g.o.append32(body, orig)
	body = append(body, data...)
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	for _, p := range opts {
		body = append(body, p...)
	}
	return g.block(blockEPB, body)
}

// opt encodes one option, padded; opt with code 0 and no value is
// opt_endofopt.
func (g *ng) opt(code uint16, v []byte) []byte {
	b := g.o.append16(nil, code)
	b = g.o.append16(b, uint16(len(v)))
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func (g *ng) end() []byte { return make([]byte, 4) }

// handBuilt returns a two-section file: a big-endian section exercising
// every block type and option the Reader knows, then a little-endian one,
// with the packets it must yield.
func handBuilt() ([]byte, []rec) {
	g := &ng{o: bigEndian} // set first: the SHB options below are built before shb runs
	g.shb(bigEndian, g.str(optComment, "big section"), g.str(optShbHW, "hw"),
		g.str(optShbOS, "os"), g.str(optShbApp, "hand"), g.end())
	g.idb(LinkTypeEthernet, 64,
		g.opt(optIfName, []byte("eth0")),
		g.opt(optIfDesc, []byte("first port")),
		g.opt(optIfTsresol, []byte{0x94}), // 2^-20 s
		g.opt(optIfTsoff, g.o.append64(nil, 100)),
		g.end())
	g.idb(LinkTypeRaw, 0, g.opt(optIfTsresol, []byte{3}), g.end()) // ms
	// Name resolution block: one IPv4 record, then end of records.
	nrb := g.o.append16(nil, 1)
	nrb = g.o.append16(nrb, 9)
	nrb = append(nrb, 10, 0, 0, 1, 'h', 'o', 's', 't', 0, 0, 0, 0)
	nrb = append(nrb, 0, 0, 0, 0)
	g.block(4, nrb)
	g.epb(0, 5<<20|1<<19, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09", 60,
		g.opt(OptComment, []byte("hello")),
		g.opt(OptEPBFlags, g.o.append32(nil, 1)),
		g.end())
	// Interface statistics block.
	isb := g.o.append32(nil, 0)
	isb = g.o.append32(isb, 0)
	isb = g.o.append32(isb, 7)
	g.block(5, isb)
	// Simple packet: 100 bytes on the wire, cut to interface 0's 64.
	spb := g.o.append32(nil, 100)
	spb = append(spb, bytes.Repeat([]byte{0xab}, 64)...)
	g.block(blockSPB, spb)
	// Custom block with a private enterprise number.
	g.block(0x00000bad, g.o.append32(nil, 32473), []byte("custom data"))
	// Obsolete packet block on interface 1.
	pb := g.o.append16(nil, 1)
	pb = g.o.append16(pb, 0)
	pb = g.o.append32(pb, 0)
	pb = g.o.append32(pb, 1234567)
	pb = g.o.append32(pb, 3)
	pb = g.o.append32(pb, 3)
	pb = append(pb, "abc\x00"...)
	pb = append(pb, g.opt(OptComment, []byte("old"))...)
	g.block(blockPB, pb)
	// Decryption secrets block.
	g.block(0x0a, g.o.append32(nil, 0x544c534b), g.o.append32(nil, 4), []byte("keys"))

	g.shb(littleEndian)
	g.idb(LinkTypeLinuxSLL2, 0)                                      // microseconds by default
	g.idb(LinkTypeIPv6, 0, g.opt(optIfTsresol, []byte{12}), g.end()) // picoseconds
	g.epb(0, 1_000_001, "xyz!", 4)
	g.epb(1, 2_000_000_000_123_456, "v6", 2)

	want := []rec{
		{0, 105_500_000_000, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09", 60, "hello", LinkTypeEthernet},
		{0, 0, string(bytes.Repeat([]byte{0xab}, 64)), 100, "", LinkTypeEthernet},
		{1, 1_234_567_000_000, "abc", 3, "old", LinkTypeRaw},
		{2, 1_000_001_000, "xyz!", 4, "", LinkTypeLinuxSLL2},
		{3, 2_000_000_000_123, "v6", 2, "", LinkTypeIPv6},
	}
	return g.b, want
}

func (g *ng) str(code uint16, s string) []byte { return g.opt(code, []byte(s)) }

// handPcap returns a classic pcap file in the given byte order and
// resolution, built without PcapWriter.
func handPcap(o endian, nano bool, link LinkType, pkts ...rec) []byte {
	magic := uint32(0xa1b2c3d4)
	if nano {
		magic = 0xa1b23c4d
	}
	b := o.append32(nil, magic)
	b = o.append16(b, 2)
	b = o.append16(b, 4)
	b = o.append32(b, 0)
	b = o.append32(b, 0)
	b = o.append32(b, 65535)
	b = o.append32(b, uint32(link))
	for _, p := range pkts {
		frac := p.TS % 1e9
		if !nano {
			frac /= 1000
		}
		b = o.append32(b, uint32(p.TS/1e9))
		b = o.append32(b, uint32(frac))
		b = o.append32(b, uint32(len(p.Data)))
		b = o.append32(b, uint32(p.Orig))
		b = append(b, p.Data...)
	}
	return b
}

// blockEnds walks a well-formed file and returns the offsets at which a
// block or record ends (plus the end of the file header). It is a second,
// deliberately simple reading of the framing used to judge truncations.
func blockEnds(b []byte) []int {
	var ends []int
	if len(b) >= 4 && string(b[:4]) == "\n\r\r\n" {
		var o endian
		for off := 0; off+12 <= len(b); {
			if string(b[off:off+4]) == "\n\r\r\n" {
				o = endian(string(b[off+8:off+12]) == "\x1a\x2b\x3c\x4d")
			}
			off += int(o.u32(b[off+4:]))
			ends = append(ends, off)
		}
		return ends
	}
	o := endian(string(b[:4]) == "\xa1\xb2\xc3\xd4" || string(b[:4]) == "\xa1\xb2\x3c\x4d")
	off := 24
	ends = append(ends, off)
	for off+16 <= len(b) {
		off += 16 + int(o.u32(b[off+8:]))
		ends = append(ends, off)
	}
	return ends
}

// sample is a capture file used as a table entry, a fuzz seed and a
// truncation subject.
type sample struct {
	name string
	data []byte
	want []rec
}

var ptpSync = "\x01\x1b\x19\x00\x00\x00" + "\x00\x11\x22\x33\x44\x55" + "\x88\xf7" +
	"\x10\x02\x00\x2c\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x11\x22\xff\xfe\x33\x44\x55\x00\x01\x00\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

func samples(t testing.TB) []sample {
	t.Helper()
	var out []sample

	hb, hw := handBuilt()
	out = append(out, sample{"hand-built two sections", hb, hw})

	pk := []rec{
		{0, 1_700_000_000_123_456_000, ptpSync, 60, "", LinkTypeEthernet},
		{0, 1_700_000_001_000_001_000, "\x01\x02", 2, "", LinkTypeEthernet},
	}
	out = append(out, sample{"hand pcap big-endian us", handPcap(bigEndian, false, LinkTypeEthernet, pk...), pk})
	out = append(out, sample{"hand pcap little-endian ns", handPcap(littleEndian, true, LinkTypeEthernet, pk...), pk})

	var buf bytes.Buffer
	w, err := NewNgWriter(&buf, NgWriterOptions{Comment: "written"})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := w.AddInterface(Interface{Name: "eth0", LinkType: LinkTypeEthernet})
	c, _ := w.AddInterface(Interface{Name: "raw", LinkType: LinkTypeRaw, Resolution: Microsecond, SnapLen: 8})
	ws := []rec{
		{a, 1_700_000_000_123_456_789, ptpSync, 60, "sync", LinkTypeEthernet},
		{c, 1_700_000_000_200_000_000, "\x45\x00\x00\x1c\x00\x01\x02\x03", 28, "", LinkTypeRaw},
		{a, 1_700_000_000_300_000_001, "x", 1, "abc", LinkTypeEthernet},
	}
	for _, p := range ws {
		if err := w.WritePacket(p.Iface, p.TS, []byte(p.Data), p.Orig, p.Comment); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	out = append(out, sample{"NgWriter two interfaces", buf.Bytes(), ws})
	return out
}

// isFormatError reports whether err is a *FormatError.
func isFormatError(err error) bool {
	var fe *FormatError
	return errors.As(err, &fe)
}
