package remote

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/source"
	"github.com/ptpwatch/ptpwatch/xdp/source/sourcetest"
)

var testIfaces = []source.Interface{{Name: "eth1", Segment: 3}, {Name: "eth2", Segment: 65534}}

func testFrames() []source.Frame {
	var out []source.Frame
	for i, b := range sourcetest.PTPFrames() {
		out = append(out, source.Frame{Data: b, OrigLen: len(b) + i%2, Timestamp: 1_700_000_000_000_000_000 + int64(i)*997,
			TSSource: source.TimestampSource(i % 6), Link: decode.LinkEthernet, Interface: uint16(i % 2), Queue: uint16(i % 3)})
	}
	return out
}

func TestBatchRoundTrip(t *testing.T) {
	e := NewEncoder(1 << 16)
	e.SetInterfaces(testIfaces)
	e.Reset(42, Drops{Capture: 7, Queue: 9})
	want := testFrames()
	for i := range want {
		if !e.Add(&want[i]) {
			t.Fatalf("frame %d did not fit", i)
		}
	}
	var d Decoder
	if err := d.Reset(e.Bytes()); err != nil {
		t.Fatal(err)
	}
	if d.Count != uint32(len(want)) || d.FirstSeq != 42 || d.Drops != (Drops{7, 9}) || len(d.Ifaces) != 2 ||
		string(d.Ifaces[1].Name) != "eth2" || d.Ifaces[1].Segment != 65534 {
		t.Fatalf("header: count %d first %d drops %+v ifaces %v", d.Count, d.FirstSeq, d.Drops, d.Ifaces)
	}
	var f source.Frame
	for i, w := range want {
		ok, err := d.Next(&f)
		if !ok || err != nil {
			t.Fatalf("frame %d: %v %v", i, ok, err)
		}
		if !slices.Equal(f.Data, w.Data) || f.OrigLen != w.OrigLen || f.Timestamp != w.Timestamp || f.TSSource != w.TSSource ||
			f.Link != w.Link || f.Interface != w.Interface || f.Queue != w.Queue {
			t.Fatalf("frame %d:\n got %+v\nwant %+v", i, f, w)
		}
	}
	if ok, err := d.Next(&f); ok || err != nil {
		t.Fatalf("after the last frame: %v %v", ok, err)
	}
}

func TestBatchFull(t *testing.T) {
	e := NewEncoder(1024)
	e.SetInterfaces(testIfaces)
	e.Reset(1, Drops{})
	fr := testFrames()[0]
	n := 0
	for e.Add(&fr) {
		n++
	}
	if n == 0 || e.Size() > 1024+batchHeaderLen+frameHeaderLen+len(fr.Data) {
		t.Fatalf("%d frames, %d bytes", n, e.Size())
	}
	// A frame larger than the batch goes alone, cut to MaxCaptured.
	big := source.Frame{Data: make([]byte, 70000), OrigLen: 70000, Link: decode.LinkEthernet}
	e.Reset(1, Drops{})
	if !e.Add(&big) || e.Add(&fr) {
		t.Fatal("a big frame must fill an empty batch alone")
	}
	var d Decoder
	var f source.Frame
	if err := d.Reset(e.Bytes()); err != nil {
		t.Fatal(err)
	}
	if ok, err := d.Next(&f); !ok || err != nil || len(f.Data) != MaxCaptured || f.OrigLen != 70000 {
		t.Fatalf("big frame: %v %v %d %d", ok, err, len(f.Data), f.OrigLen)
	}
}

func TestBatchMalformed(t *testing.T) {
	e := NewEncoder(1 << 16)
	e.SetInterfaces(testIfaces)
	e.Reset(1, Drops{})
	fr := testFrames()
	for i := range fr {
		e.Add(&fr[i])
	}
	good := bytes.Clone(e.Bytes())
	var d Decoder
	var f source.Frame
	// Every cut of the batch is an error, never a panic, and never all
	// the frames.
	for n := range len(good) {
		err := d.Reset(good[:n])
		for err == nil {
			var ok bool
			if ok, err = d.Next(&f); !ok && err == nil {
				t.Fatalf("cut at %d decoded cleanly", n)
			}
		}
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("cut at %d: %v", n, err)
		}
	}
	bad := bytes.Clone(good)
	bad[0] = 9
	if err := d.Reset(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("version 9: %v", err)
	}
	if err := d.Reset(append(bytes.Clone(good), 0)); err != nil {
		t.Fatal(err)
	}
	for {
		ok, err := d.Next(&f)
		if err != nil {
			break
		}
		if !ok {
			t.Fatal("a trailing byte went unnoticed")
		}
	}
}

func TestBatchNoAllocs(t *testing.T) {
	e := NewEncoder(1 << 16)
	e.SetInterfaces(testIfaces)
	fr := testFrames()
	var d Decoder
	var f source.Frame
	if a := testing.AllocsPerRun(100, func() {
		e.Reset(1, Drops{})
		for i := range fr {
			e.Add(&fr[i])
		}
		d.Reset(e.Bytes())
		for ok, _ := d.Next(&f); ok; ok, _ = d.Next(&f) {
		}
	}); a != 0 {
		t.Errorf("encode and decode allocate %.1f times", a)
	}
}

func FuzzDecoder(f *testing.F) {
	e := NewEncoder(1 << 16)
	e.SetInterfaces(testIfaces)
	e.Reset(1, Drops{})
	fr := testFrames()
	for i := range fr {
		e.Add(&fr[i])
	}
	f.Add(bytes.Clone(e.Bytes()))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Decoder
		var f source.Frame
		if err := d.Reset(b); err != nil {
			return
		}
		// What decodes re-encodes to the same bytes (the reference).
		var ifaces []source.Interface
		for _, i := range d.Ifaces {
			ifaces = append(ifaces, source.Interface{Name: string(i.Name), Segment: i.Segment})
		}
		e := NewEncoder(len(b) + 1024)
		e.SetInterfaces(ifaces)
		e.Reset(d.FirstSeq, d.Drops)
		n := uint32(0)
		for {
			ok, err := d.Next(&f)
			if err != nil || !ok {
				if err == nil && n == d.Count {
					re := e.Bytes()
					re[2], re[3] = b[2], b[3] // flags are not kept
					if !bytes.Equal(re, b) {
						t.Fatalf("re-encoded\n% x\nfrom\n% x", re, b)
					}
				}
				return
			}
			n++
			if int(f.Interface) >= len(d.Ifaces) || len(f.Data) > f.OrigLen {
				t.Fatalf("frame %d: interface %d of %d, %d of %d bytes", n, f.Interface, len(d.Ifaces), len(f.Data), f.OrigLen)
			}
			e.Add(&f)
		}
	})
}

func TestKeyNeverShown(t *testing.T) {
	secret := bytes.Repeat([]byte{0xAB}, KeyLen)
	k, err := NewKey(7, secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %#v %x %s %q", k, k, k, k, k, k), fmt.Sprintf("%+v", struct{ K Key }{k})} {
		if strings.Contains(strings.ToLower(s), "abab") || strings.Contains(s, "171") {
			t.Errorf("key printed as %q", s)
		}
	}
	_, err = ParseKeys("7 " + strings.Repeat("ab", 31) + "zz\n")
	if err == nil || strings.Contains(err.Error(), "abab") {
		t.Errorf("bad key error: %v", err)
	}
}

// TestEncoderSwap: a batch handed on by Swap decodes as Bytes would have
// given it, and the encoder goes on in the buffer it took, without
// allocating.
func TestEncoderSwap(t *testing.T) {
	e := NewEncoder(1 << 16)
	e.SetInterfaces(testIfaces)
	fr := testFrames()
	spare := make([]byte, 0, 1<<16+2*MaxCaptured)
	for round := range 3 {
		e.Reset(uint64(round*100+1), Drops{})
		for i := range fr {
			e.Add(&fr[i])
		}
		want := bytes.Clone(e.Bytes())
		got := e.Swap(spare)
		if !bytes.Equal(got, want) {
			t.Fatalf("round %d: swapped batch differs", round)
		}
		spare = got // the next round takes this one back
	}
	if a := testing.AllocsPerRun(100, func() {
		e.Reset(1, Drops{})
		e.Add(&fr[0])
		spare = e.Swap(spare)
	}); a != 0 {
		t.Errorf("Swap allocates %.1f times", a)
	}
}

// fullBatch encodes frames of a realistic PTP stream into one batch of
// about n bytes.
func fullBatch(n int) []byte {
	e := NewEncoder(n)
	e.SetInterfaces(testIfaces)
	e.Reset(1, Drops{})
	for _, f := range sourcetest.PTPStream(n/100, 100) {
		if !e.Add(&f) {
			break
		}
	}
	return slices.Clone(e.Bytes())
}

func TestCompressRoundTrip(t *testing.T) {
	plain := fullBatch(256 << 10)
	comp := Compress(make([]byte, 0, CompressedLen(len(plain))), plain)
	if len(comp) >= len(plain)/2 {
		t.Errorf("a batch of a PTP stream compresses only from %d to %d bytes", len(plain), len(comp))
	}
	t.Logf("%d bytes compressed to %d (%.2f)", len(plain), len(comp), float64(len(comp))/float64(len(plain)))
	got, err := Decompress(nil, comp)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("decompressed batch differs (err %v)", err)
	}
	if same, err := Decompress(nil, plain); err != nil || &same[0] != &plain[0] {
		t.Errorf("an uncompressed batch must come back as it is (err %v)", err)
	}
	var d Decoder
	if err := d.Reset(got); err != nil || d.Count == 0 {
		t.Fatalf("decoder: %v, %d frames", err, d.Count)
	}
	dst := make([]byte, 0, CompressedLen(len(plain)))
	buf := make([]byte, len(plain))
	if a := testing.AllocsPerRun(20, func() {
		c := Compress(dst[:0], plain)
		Decompress(buf, c)
	}); a != 0 {
		t.Errorf("compress and decompress allocate %.1f times", a)
	}
	for _, bad := range [][]byte{{batchVersionS2}, {batchVersionS2, 0xff, 0xff, 0xff, 0xff, 0x7f}, append([]byte{batchVersionS2}, comp[1:len(comp)/2]...)} {
		if _, err := Decompress(nil, bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("corrupt block % x...: %v, want ErrMalformed", bad[:min(len(bad), 6)], err)
		}
	}
}

// BenchmarkCompress is the cost of compressing a 256 KiB batch of a
// realistic PTP stream, per frame (100-byte frames); decompress its
// inverse at the collector.
func BenchmarkCompress(b *testing.B) {
	plain := fullBatch(256 << 10)
	frames := len(plain) / 120
	dst := make([]byte, 0, CompressedLen(len(plain)))
	b.Run("compress", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		b.ReportAllocs()
		for range b.N {
			dst = Compress(dst[:0], plain)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*frames), "ns/frame")
		b.ReportMetric(float64(len(dst))/float64(len(plain)), "ratio")
	})
	b.Run("decompress", func(b *testing.B) {
		comp := Compress(nil, plain)
		buf := make([]byte, len(plain))
		b.SetBytes(int64(len(plain)))
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			Decompress(buf, comp)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*frames), "ns/frame")
	})
}
