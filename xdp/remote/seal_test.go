package remote

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ptpwatch/ptpwatch/xdp/source"
)

func testKey(t testing.TB, id uint32, fill byte) Key {
	k, err := NewKey(id, bytes.Repeat([]byte{fill}, KeyLen))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sealedBatch(t testing.TB, s *Sealer) []byte {
	e := NewEncoder(1 << 16)
	e.SetInterfaces(testIfaces)
	e.Reset(s.Seq()*100+1, Drops{})
	fr := testFrames()
	for i := range fr {
		e.Add(&fr[i])
	}
	env, _ := s.Seal(nil, e.Bytes(), e.FirstSeq(), uint32(e.Len()))
	return env
}

func TestSealOpen(t *testing.T) {
	s, err := NewSealer(testKey(t, 5, 1), "paris", 1234)
	if err != nil {
		t.Fatal(err)
	}
	o, err := NewOpener([]Key{testKey(t, 4, 2), testKey(t, 5, 1)})
	if err != nil {
		t.Fatal(err)
	}
	env := sealedBatch(t, s)
	env2 := sealedBatch(t, s)
	if bytes.Contains(env, testFrames()[0].Data[14:]) {
		t.Fatal("a frame's bytes show through the seal")
	}
	h, batch, err := o.Open(bytes.Clone(env2))
	if err != nil {
		t.Fatal(err)
	}
	if h.KeyID != 5 || h.Run != 1234 || h.Seq != 2 || string(h.Site) != "paris" || h.Frames != uint32(len(testFrames())) || h.FirstSeq != 101 {
		t.Fatalf("header %+v", h)
	}
	var d Decoder
	var f source.Frame
	if err := d.Reset(batch); err != nil {
		t.Fatal(err)
	}
	if ok, err := d.Next(&f); !ok || err != nil || !bytes.Equal(f.Data, testFrames()[0].Data) {
		t.Fatalf("first frame: %v %v", ok, err)
	}

	// Every cut is refused as truncated or forged; every flipped bit as
	// forged (or, in the magic and key ID, as not sealed or unknown).
	for n := range len(env) {
		if _, _, err := o.Open(bytes.Clone(env[:n])); !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrForged) && !errors.Is(err, ErrNotSealed) {
			t.Fatalf("cut at %d: %v", n, err)
		}
	}
	for bit := range 8 * len(env) {
		b := bytes.Clone(env)
		b[bit/8] ^= 1 << (bit % 8)
		_, _, err := o.Open(b)
		switch {
		case bit/8 < 4 && errors.Is(err, ErrNotSealed), bit/8 >= 4 && bit/8 < 8 && errors.Is(err, ErrUnknownKey),
			bit/8 == 44 && errors.Is(err, ErrTruncated), errors.Is(err, ErrForged):
		default:
			t.Fatalf("bit %d flipped: %v", bit, err)
		}
	}
	wrong, _ := NewSealer(testKey(t, 5, 9), "paris", 1234)
	if _, _, err := o.Open(sealedBatch(t, wrong)); !errors.Is(err, ErrForged) {
		t.Errorf("wrong key: %v", err)
	}
	other, _ := NewSealer(testKey(t, 6, 1), "paris", 1234)
	if _, _, err := o.Open(sealedBatch(t, other)); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown key ID: %v", err)
	}
}

func TestSealNoAllocs(t *testing.T) {
	s, _ := NewSealer(testKey(t, 5, 1), "paris", 1)
	o, _ := NewOpener([]Key{testKey(t, 5, 1)})
	e := NewEncoder(1 << 16)
	e.SetInterfaces(testIfaces)
	fr := testFrames()
	dst := make([]byte, 0, 1<<17)
	if a := testing.AllocsPerRun(100, func() {
		e.Reset(1, Drops{})
		for i := range fr {
			e.Add(&fr[i])
		}
		env, _ := s.Seal(dst[:0], e.Bytes(), 1, uint32(e.Len()))
		if _, _, err := o.Open(env); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("seal and open allocate %.1f times", a)
	}
}

// TestOpenTo: opening into a buffer of the caller's gives what opening in
// place gives, leaves the envelope untouched, refuses what Open refuses
// and does not allocate.
func TestOpenTo(t *testing.T) {
	s, _ := NewSealer(testKey(t, 5, 1), "paris", 1)
	o, _ := NewOpener([]Key{testKey(t, 5, 1)})
	env := sealedBatch(t, s)
	keep := bytes.Clone(env)
	dst := make([]byte, 0, len(env))
	h, batch, err := o.OpenTo(dst, env)
	if err != nil || string(h.Site) != "paris" {
		t.Fatalf("OpenTo: %v %+v", err, h)
	}
	_, want, err := o.Open(bytes.Clone(env))
	if err != nil || !bytes.Equal(batch, want) || &batch[0] != &dst[:1][0] || !bytes.Equal(env, keep) {
		t.Fatalf("OpenTo differs from Open, missed dst or changed the envelope (%v)", err)
	}
	flipped := bytes.Clone(env)
	flipped[len(flipped)-1] ^= 1
	if _, _, err := o.OpenTo(dst, flipped); !errors.Is(err, ErrForged) {
		t.Errorf("bit flip: %v", err)
	}
	if _, _, err := o.OpenTo(dst, env[:20]); !errors.Is(err, ErrTruncated) {
		t.Errorf("truncated: %v", err)
	}
	if a := testing.AllocsPerRun(100, func() { o.OpenTo(dst, env) }); a != 0 {
		t.Errorf("OpenTo allocates %.1f times", a)
	}
}

func FuzzOpen(f *testing.F) {
	s, _ := NewSealer(testKey(f, 5, 1), "paris", 1)
	f.Add(sealedBatch(f, s))
	f.Add([]byte("PWF1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, _ := NewOpener([]Key{testKey(t, 5, 1)})
		// OpenTo (into another buffer) agrees with Open (in place).
		h2, batch2, err2 := o.OpenTo(nil, b)
		h, batch, err := o.Open(bytes.Clone(b))
		if (err == nil) != (err2 == nil) || err == nil && (h.Seq != h2.Seq || !bytes.Equal(batch, batch2)) {
			t.Fatalf("Open: %v %+v; OpenTo: %v %+v", err, h, err2, h2)
		}
		if err != nil {
			return
		}
		// Only the sealer's own output opens.
		if h.Run != 1 || string(h.Site) != "paris" {
			t.Fatalf("opened a forgery: %+v", h)
		}
		var d Decoder
		d.Reset(batch)
	})
}

// BenchmarkEncodeSeal encodes 100-byte frames into 64 KiB batches and
// seals each full batch: the probe's per-frame work before the local
// queue. ns/op and allocs/op are per frame.
func BenchmarkEncodeSeal(b *testing.B) {
	s, _ := NewSealer(testKey(b, 5, 1), "paris", 1)
	e := NewEncoder(64 << 10)
	e.SetInterfaces(testIfaces)
	f := testFrames()[0]
	f.Data = make([]byte, 100)
	f.OrigLen = 100
	env := make([]byte, 0, 80<<10)
	var seq uint64
	e.Reset(0, Drops{})
	b.SetBytes(100)
	b.ReportAllocs()
	for b.Loop() {
		if !e.Add(&f) {
			env, _ = s.Seal(env[:0], e.Bytes(), e.FirstSeq(), uint32(e.Len()))
			e.Reset(seq, Drops{})
			e.Add(&f)
		}
		seq++
	}
}

// BenchmarkOpenDecode opens sealed 64 KiB batches of 100-byte frames and
// decodes every frame: the collector's per-frame work. Per frame.
func BenchmarkOpenDecode(b *testing.B) {
	s, _ := NewSealer(testKey(b, 5, 1), "paris", 1)
	o, _ := NewOpener([]Key{testKey(b, 5, 1)})
	e := NewEncoder(64 << 10)
	e.SetInterfaces(testIfaces)
	f := testFrames()[0]
	f.Data = make([]byte, 100)
	e.Reset(0, Drops{})
	for e.Add(&f) {
	}
	env, _ := s.Seal(nil, e.Bytes(), 0, uint32(e.Len()))
	work := make([]byte, len(env))
	var d Decoder
	var g source.Frame
	b.SetBytes(100)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if n == 0 {
			copy(work, env)
			_, batch, err := o.Open(work)
			if err != nil {
				b.Fatal(err)
			}
			d.Reset(batch)
			n = e.Len()
		}
		d.Next(&g)
		n--
	}
}
