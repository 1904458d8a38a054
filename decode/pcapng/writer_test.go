package pcapng

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
)

// pkt is one WritePacket call.
type pkt struct {
	iface   int
	ts      int64
	data    string
	orig    int
	comment string
}

func TestRoundTrip(t *testing.T) {
	eth := []byte(ptpSync)
	tests := []struct {
		name string
		// Exactly one of pcap or ng is used.
		pcap *struct {
			nano bool
			snap int
		}
		ng     *NgWriterOptions
		ifaces []Interface
		pkts   []pkt
		want   []rec
	}{
		{
			name: "pcap microseconds truncates sub-microsecond time",
			pcap: &struct {
				nano bool
				snap int
			}{false, 0},
			pkts: []pkt{{0, 1_700_000_000_123_456_789, ptpSync, 0, ""}, {0, 0, "", 0, ""}},
			want: []rec{{0, 1_700_000_000_123_456_000, ptpSync, len(eth), "", LinkTypeEthernet}, {0, 0, "", 0, "", LinkTypeEthernet}},
		},
		{
			name: "pcap nanoseconds",
			pcap: &struct {
				nano bool
				snap int
			}{true, 0},
			pkts: []pkt{{0, 1_700_000_000_123_456_789, ptpSync, 1514, ""}, {0, 4_294_967_295_999_999_999, "z", 0, ""}},
			want: []rec{{0, 1_700_000_000_123_456_789, ptpSync, 1514, "", LinkTypeEthernet}, {0, 4_294_967_295_999_999_999, "z", 1, "", LinkTypeEthernet}},
		},
		{
			name: "pcap snap length cuts data",
			pcap: &struct {
				nano bool
				snap int
			}{true, 14},
			pkts: []pkt{{0, 5, ptpSync, 0, ""}},
			want: []rec{{0, 5, ptpSync[:14], len(eth), "", LinkTypeEthernet}},
		},
		{
			name: "pcapng two interfaces, different link types and resolutions",
			ng:   &NgWriterOptions{Comment: "two ports"},
			ifaces: []Interface{
				{Name: "eth0", Description: "PTP port", LinkType: LinkTypeEthernet},
				{Name: "tun0", LinkType: LinkTypeRaw, Resolution: Microsecond, SnapLen: 4},
			},
			pkts: []pkt{
				{0, 1_700_000_000_123_456_789, ptpSync, 0, "sync"},
				{1, 1_700_000_000_123_456_789, "\x45\x00\x00\x54\x99", 84, ""},
				{0, 1_700_000_000_999_999_999, "", 0, "empty frame"},
			},
			want: []rec{
				{0, 1_700_000_000_123_456_789, ptpSync, len(eth), "sync", LinkTypeEthernet},
				{1, 1_700_000_000_123_456_000, "\x45\x00\x00\x54", 84, "", LinkTypeRaw},
				{0, 1_700_000_000_999_999_999, "", 0, "empty frame", LinkTypeEthernet},
			},
		},
		{
			name:   "pcapng big-endian",
			ng:     &NgWriterOptions{BigEndian: true, Hardware: "x86", OS: "Linux"},
			ifaces: []Interface{{Name: "eth1", LinkType: LinkTypeLinuxSLL2}},
			pkts:   []pkt{{0, 42, "abcdefg", 100, "c"}},
			want:   []rec{{0, 42, "abcdefg", 100, "c", LinkTypeLinuxSLL2}},
		},
		{
			name:   "pcapng comment padding",
			ng:     &NgWriterOptions{},
			ifaces: []Interface{{LinkType: LinkTypeIPv4}},
			pkts:   []pkt{{0, 1, "a", 0, "1"}, {0, 2, "ab", 0, "12"}, {0, 3, "abc", 0, "123"}, {0, 4, "abcd", 0, "1234"}, {0, 5, "abcde", 0, "12345"}},
			want: []rec{
				{0, 1, "a", 1, "1", LinkTypeIPv4}, {0, 2, "ab", 2, "12", LinkTypeIPv4}, {0, 3, "abc", 3, "123", LinkTypeIPv4},
				{0, 4, "abcd", 4, "1234", LinkTypeIPv4}, {0, 5, "abcde", 5, "12345", LinkTypeIPv4},
			},
		},
		{
			name: "pcapng binary and sub-nanosecond resolutions with offset",
			ng:   &NgWriterOptions{},
			ifaces: []Interface{
				{LinkType: LinkTypeIPv6, Resolution: BinaryResolution(32)},
				// Picosecond ticks overflow 64 bits after 213 days, so an
				// offset is what makes them usable for wall-clock time.
				{LinkType: LinkTypeIPv6, Resolution: DecimalResolution(12), TSOffset: 1_700_000_000},
				{LinkType: LinkTypeNull, Resolution: BinaryResolution(10), TSOffset: -5},
			},
			pkts: []pkt{
				{0, 1_700_000_000_123_456_789, "b", 0, ""},
				{1, 1_700_000_000_123_456_789, "d", 0, ""},
				{2, 1_000_000_000, "n", 0, ""}, // 1 s + 5 s offset = 6144 ticks of 2^-10 s
				{2, 1_000_000_001, "n", 0, ""}, // rounds down to the tick
			},
			want: []rec{
				{0, 1_700_000_000_123_456_789, "b", 1, "", LinkTypeIPv6},
				{1, 1_700_000_000_123_456_789, "d", 1, "", LinkTypeIPv6},
				{2, 1_000_000_000, "n", 1, "", LinkTypeNull},
				{2, 1_000_000_000, "n", 1, "", LinkTypeNull},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if tc.pcap != nil {
				w, err := NewPcapWriter(&buf, LinkTypeEthernet, tc.pcap.snap, tc.pcap.nano)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range tc.pkts {
					if err := w.WritePacket(p.ts, []byte(p.data), p.orig); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			} else {
				w, err := NewNgWriter(&buf, *tc.ng)
				if err != nil {
					t.Fatal(err)
				}
				for i, ifc := range tc.ifaces {
					if id, err := w.AddInterface(ifc); err != nil || id != i {
						t.Fatalf("AddInterface = %d, %v", id, err)
					}
				}
				for _, p := range tc.pkts {
					if err := w.WritePacket(p.iface, p.ts, []byte(p.data), p.orig, p.comment); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			r, got, err := readAll(t, buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("packets\n got %+v\nwant %+v", got, tc.want)
			}
			if tc.ng == nil {
				return
			}
			sec := r.Section()
			wantSec := Section{BigEndian: tc.ng.BigEndian, Major: 1, Hardware: tc.ng.Hardware, OS: tc.ng.OS,
				UserApplication: "ptpwatch", Comment: tc.ng.Comment}
			if sec != wantSec {
				t.Errorf("section %+v, want %+v", sec, wantSec)
			}
			var wantIfs []Interface
			for _, ifc := range tc.ifaces {
				if ifc.Resolution == 0 {
					ifc.Resolution = Nanosecond
				}
				wantIfs = append(wantIfs, ifc)
			}
			if !reflect.DeepEqual(r.Interfaces(), wantIfs) {
				t.Errorf("interfaces\n got %+v\nwant %+v", r.Interfaces(), wantIfs)
			}
		})
	}
}

// TestGoldenBytes pins the exact encoding so that the reader and writer
// cannot agree on a mistake.
func TestGoldenBytes(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewNgWriter(&buf, NgWriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.AddInterface(Interface{Name: "e", LinkType: LinkTypeEthernet, SnapLen: 65535})
	w.WritePacket(0, 0x0102030405, []byte{0xaa, 0xbb, 0xcc, 0xdd, 0xee}, 60, "hi")
	w.Flush()
	want := "" +
		// SHB: type, length 40, BOM, version 1.0, section length -1,
		// shb_userappl "ptpwatch", opt_endofopt, length.
		"0a0d0d0a" + "2c000000" + "4d3c2b1a" + "0100" + "0000" + "ffffffffffffffff" +
		"0400" + "0800" + hex.EncodeToString([]byte("ptpwatch")) + "00000000" + "2c000000" +
		// IDB: type 1, length 40, Ethernet, reserved, snaplen 65535,
		// if_name "e" padded, if_tsresol 9 padded, opt_endofopt, length.
		"01000000" + "28000000" + "0100" + "0000" + "ffff0000" +
		"0200" + "0100" + "65000000" + "0900" + "0100" + "09000000" + "00000000" + "28000000" +
		// EPB: type 6, length 52, interface 0, ts high, ts low, caplen 5,
		// orig 60, data padded to 8, opt_comment "hi" padded,
		// opt_endofopt, length.
		"06000000" + "34000000" + "00000000" + "01000000" + "05040302" + "05000000" + "3c000000" +
		"aabbccddee000000" + "0100" + "0200" + "68690000" + "00000000" + "34000000"
	if got := hex.EncodeToString(buf.Bytes()); got != want {
		t.Errorf("pcapng bytes\n got %s\nwant %s", got, want)
	}

	buf.Reset()
	pw, _ := NewPcapWriter(&buf, LinkTypeEthernet, 0, false)
	pw.WritePacket(1_500_000_000_123_456_789, []byte{1, 2}, 0)
	pw.Flush()
	want = "d4c3b2a1" + "0200" + "0400" + "00000000" + "00000000" + "00000400" + "01000000" +
		"002f6859" + "40e20100" + "02000000" + "02000000" + "0102"
	if got := hex.EncodeToString(buf.Bytes()); got != want {
		t.Errorf("pcap bytes\n got %s\nwant %s", got, want)
	}
}

func TestWriterErrors(t *testing.T) {
	newNG := func(t *testing.T) *NgWriter {
		w, err := NewNgWriter(io.Discard, NgWriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.AddInterface(Interface{LinkType: LinkTypeEthernet, TSOffset: 10}); err != nil {
			t.Fatal(err)
		}
		return w
	}
	newPcap := func(t *testing.T) *PcapWriter {
		w, err := NewPcapWriter(io.Discard, LinkTypeEthernet, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	long := strings.Repeat("x", 70000)
	tests := []struct {
		name string
		do   func(t *testing.T) error
		want error
	}{
		{"unknown interface", func(t *testing.T) error { return newNG(t).WritePacket(1, 20e9, nil, 0, "") }, ErrUnknownInterface},
		{"negative interface", func(t *testing.T) error { return newNG(t).WritePacket(-1, 20e9, nil, 0, "") }, ErrUnknownInterface},
		{"time before offset", func(t *testing.T) error { return newNG(t).WritePacket(0, 9e9, nil, 0, "") }, ErrTimestampRange},
		{"comment too long", func(t *testing.T) error { return newNG(t).WritePacket(0, 20e9, nil, 0, long) }, ErrOptionTooLong},
		{"packet over MaxBlockSize", func(t *testing.T) error {
			return newNG(t).WritePacket(0, 20e9, make([]byte, MaxBlockSize), 0, "")
		}, ErrPacketTooLarge},
		{"name too long", func(t *testing.T) error { _, err := newNG(t).AddInterface(Interface{Name: long}); return err }, ErrOptionTooLong},
		{"resolution too fine", func(t *testing.T) error {
			_, err := newNG(t).AddInterface(Interface{Resolution: DecimalResolution(29)})
			return err
		}, ErrResolution},
		{"binary resolution too fine", func(t *testing.T) error {
			_, err := newNG(t).AddInterface(Interface{Resolution: BinaryResolution(64)})
			return err
		}, ErrResolution},
		{"invalid resolution", func(t *testing.T) error { _, err := newNG(t).AddInterface(Interface{Resolution: 9}); return err }, ErrResolution},
		{"negative snap length", func(t *testing.T) error { _, err := newNG(t).AddInterface(Interface{SnapLen: -1}); return err }, ErrSnapLen},
		{"offset too large", func(t *testing.T) error { _, err := newNG(t).AddInterface(Interface{TSOffset: 1 << 40}); return err }, ErrTimestampRange},
		{"section comment too long", func(t *testing.T) error {
			_, err := NewNgWriter(io.Discard, NgWriterOptions{Comment: long})
			return err
		}, ErrOptionTooLong},
		{"pcap before 1970", func(t *testing.T) error { return newPcap(t).WritePacket(-1, nil, 0) }, ErrTimestampRange},
		{"pcap after 2106", func(t *testing.T) error { return newPcap(t).WritePacket(1<<32*1e9, nil, 0) }, ErrTimestampRange},
		{"pcap original length", func(t *testing.T) error {
			if math.MaxInt == math.MaxInt32 {
				t.Skip("int cannot hold a length above 4 GiB")
			}
			big := uint64(1) << 32
			return newPcap(t).WritePacket(0, nil, int(big))
		}, ErrPacketTooLarge},
		{"pcap snap length", func(t *testing.T) error { _, err := NewPcapWriter(io.Discard, 0, MaxBlockSize, true); return err }, ErrSnapLen},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(t); err != tc.want {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// failWriter accepts n bytes, then fails.
type failWriter struct{ n int }

var errFull = errors.New("disk full")

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, errFull
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriteErrorsAreSticky(t *testing.T) {
	frame := make([]byte, 1000)
	ng, err := NewNgWriter(&failWriter{n: 100 << 10}, NgWriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ng.AddInterface(Interface{})
	pc, err := NewPcapWriter(&failWriter{n: 100 << 10}, LinkTypeEthernet, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	writers := map[string]func() error{
		"pcapng": func() error { return ng.WritePacket(0, 0, frame, 0, "") },
		"pcap":   func() error { return pc.WritePacket(0, frame, 0) },
	}
	flush := map[string]func() error{"pcapng": ng.Flush, "pcap": pc.Flush}
	for name, write := range writers {
		var err error
		for i := 0; i < 1000 && err == nil; i++ {
			err = write()
		}
		if err != errFull {
			t.Errorf("%s: got %v, want %v", name, err, errFull)
		}
		if err := write(); err != errFull {
			t.Errorf("%s: write after failure = %v", name, err)
		}
		if err := flush[name](); err != errFull {
			t.Errorf("%s: Flush after failure = %v", name, err)
		}
	}
}

func TestWriterNoAllocs(t *testing.T) {
	frame := make([]byte, 100)
	ng, _ := NewNgWriter(io.Discard, NgWriterOptions{})
	ng.AddInterface(Interface{LinkType: LinkTypeEthernet})
	ng.AddInterface(Interface{LinkType: LinkTypeEthernet, Resolution: BinaryResolution(32), TSOffset: 1})
	pc, _ := NewPcapWriter(io.Discard, LinkTypeEthernet, 0, false)
	comment := strings.Repeat("c", 33)
	ts := int64(1_700_000_000_000_000_000)
	tests := map[string]func(){
		"pcapng":              func() { ng.WritePacket(0, ts, frame, 0, "") },
		"pcapng with comment": func() { ng.WritePacket(1, ts, frame, 1500, comment) },
		"pcap":                func() { pc.WritePacket(ts, frame, 0) },
	}
	for name, f := range tests {
		if n := testing.AllocsPerRun(5000, f); n != 0 {
			t.Errorf("%s: %v allocations per packet, want 0", name, n)
		}
	}
}
