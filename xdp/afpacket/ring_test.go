package afpacket

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// synthFrame is one frame as the kernel would place it in the ring.
type synthFrame struct {
	wire   []byte // the frame on the wire
	status uint32 // extra tp_status bits
	sec    uint32
	nsec   uint32
}

// fillBlock writes frames into block i of mem as the kernel does for
// TPACKET_V3 (outer 802.1Q/802.1ad tag moved into metadata) and marks the
// block as owned by user space. It returns how many frames fitted.
func fillBlock(mem []byte, blockSize, i int, frames []synthFrame) int {
	b := mem[i*blockSize : (i+1)*blockSize]
	clear(b)
	ne := binary.NativeEndian
	const first = bdSize // offset_to_first_pkt, 8-aligned
	off, n, prev := first, 0, -1
	for _, sf := range frames {
		data, st := sf.wire, sf.status|statusTSSoftware|statusUser
		var tci uint32
		var tpid uint16
		if t, c, ok := outerTag(data); ok {
			data = stripOuter(data)
			tci, tpid = uint32(c), t
			st |= statusVLANValid | statusVLANTPIDValid
		}
		const mac = 64 // TPACKET_ALIGN(hdr + sockaddr_ll) + padding, roughly as the kernel does
		total := (mac + len(data) + 15) &^ 15
		if off+total > blockSize {
			break
		}
		h := b[off:]
		ne.PutUint32(h[hSec:], sf.sec)
		ne.PutUint32(h[hNsec:], sf.nsec)
		ne.PutUint32(h[hSnaplen:], uint32(len(data)))
		ne.PutUint32(h[hLen:], uint32(len(data)))
		ne.PutUint32(h[hStatus:], st)
		ne.PutUint16(h[hMac:], mac)
		ne.PutUint32(h[hVLANTCI:], tci)
		ne.PutUint16(h[hVLANTPID:], tpid)
		copy(h[mac:], data)
		if prev >= 0 {
			ne.PutUint32(b[prev+hNextOffset:], uint32(off-prev))
		}
		prev = off
		off += total
		n++
	}
	ne.PutUint32(b[bdNumPkts:], uint32(n))
	ne.PutUint32(b[bdOffsetToFirst:], first)
	ne.PutUint32(b[bdBlkLen:], uint32(off))
	ne.PutUint32(b[bdBlockStatus:], statusUser)
	return n
}

func ptpSynth(n int) []synthFrame {
	var out []synthFrame
	tf := testFrames()
	for i := 0; len(out) < n; i++ {
		f := tf[i%len(tf)]
		if !f.ptp {
			continue
		}
		out = append(out, synthFrame{wire: f.data, sec: 1700000000, nsec: uint32(i)})
	}
	return out
}

func TestRingWalk(t *testing.T) {
	const bs, nb = 4096, 3
	mem := make([]byte, bs*nb)
	r := newRing(mem, bs, nb)
	c := newMemCapture(r, Options{Queue: 7})

	frames := ptpSynth(100)
	var want []synthFrame
	rest := frames
	for i := 0; i < nb && len(rest) > 0; i++ {
		n := fillBlock(mem, bs, i, rest)
		want = append(want, rest[:n]...)
		rest = rest[n:]
	}
	if len(rest) == 0 {
		t.Fatal("the frames fitted one pass; make them more")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var f source.Frame
	var restored int
	for i, w := range want {
		if err := c.Next(ctx, &f); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(f.Data, w.wire) {
			t.Fatalf("frame %d:\n got % x\nwant % x", i, f.Data, w.wire)
		}
		if f.OrigLen != len(w.wire) || f.Timestamp != 1700000000e9+int64(w.nsec) ||
			f.TSSource != source.TimestampSoftware || f.Link != decode.LinkEthernet || f.Queue != 7 {
			t.Fatalf("frame %d: %+v", i, f)
		}
		if _, _, ok := outerTag(w.wire); ok {
			restored++
		}
		// The block of the frame just returned stays ours.
		if s := *r.status(c.r.block); s&statusUser == 0 {
			t.Fatalf("frame %d: its block was released early", i)
		}
	}
	if err := c.Next(ctx, &f); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next on an empty ring = %v, want context.Canceled", err)
	}
	for i := 0; i < nb; i++ {
		if s := *c.r.status(i); s != statusKernel {
			t.Errorf("block %d status %#x after reading it", i, s)
		}
	}
	st, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Received != uint64(len(want)) || st.Restored != uint64(restored) || st.Blocks != nb || st.EmptyPolls != 1 {
		t.Errorf("stats %+v; want %d received, %d restored", st, len(want), restored)
	}

	// Wrap around: the kernel refills block 0.
	fillBlock(mem, bs, 0, rest[:1])
	if err := c.Next(ctx, &f); err != nil || !bytes.Equal(f.Data, rest[0].wire) {
		t.Fatalf("after wrap: %v % x", err, f.Data)
	}
}

func TestRingStatusBits(t *testing.T) {
	const bs = 4096
	mem := make([]byte, bs)
	l2 := testFrames()[0].data
	fillBlock(mem, bs, 0, []synthFrame{{wire: l2}, {wire: l2}, {wire: l2}})
	ne := binary.NativeEndian
	// Frame 2: hardware stamp and a tag without TPID (802.1Q assumed).
	// Frame 3: a VID-0 priority tag from 802.1ad.
	off := bdSize
	h := mem[off:]
	off += int(ne.Uint32(h[hNextOffset:]))
	h = mem[off:]
	ne.PutUint32(h[hStatus:], statusUser|statusTSRawHardware|statusVLANValid)
	ne.PutUint32(h[hVLANTCI:], 0xa123)
	off += int(ne.Uint32(h[hNextOffset:]))
	h = mem[off:]
	ne.PutUint32(h[hStatus:], statusUser|statusTSSoftware|statusVLANValid|statusVLANTPIDValid)
	ne.PutUint32(h[hVLANTCI:], 0x2000)
	ne.PutUint16(h[hVLANTPID:], 0x88a8)

	r := newRing(mem, bs, 1)
	var f source.Frame
	if !r.next(&f) || !bytes.Equal(f.Data, l2) || f.TSSource != source.TimestampSoftware {
		t.Fatalf("frame 1: %+v", f)
	}
	if !r.next(&f) || f.TSSource != source.TimestampHardware || f.OrigLen != len(l2)+4 ||
		!bytes.Equal(f.Data[12:16], []byte{0x81, 0x00, 0xa1, 0x23}) || !bytes.Equal(f.Data[16:], l2[12:]) {
		t.Fatalf("frame 2: %+v", f)
	}
	if !r.next(&f) || !bytes.Equal(f.Data[12:16], []byte{0x88, 0xa8, 0x20, 0x00}) {
		t.Fatalf("frame 3: % x", f.Data)
	}
	if r.next(&f) {
		t.Fatal("a fourth frame")
	}
}

func TestRingCorruptHeader(t *testing.T) {
	const bs = 4096
	mem := make([]byte, 2*bs)
	frames := ptpSynth(2)
	fillBlock(mem, bs, 0, frames)
	fillBlock(mem, bs, 1, frames[:1])
	binary.NativeEndian.PutUint32(mem[bdSize+hSnaplen:], bs) // runs past the block
	r := newRing(mem, bs, 2)
	var f source.Frame
	// The bad block is abandoned; the next one is read.
	if !r.next(&f) || !bytes.Equal(f.Data, frames[0].wire) || r.block != 1 {
		t.Fatalf("got % x from block %d", f.Data, r.block)
	}
}

func TestNextDeadline(t *testing.T) {
	c := newMemCapture(newRing(make([]byte, 4096), 4096, 1), Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	var f source.Frame
	err := c.Next(ctx, &f)
	// With no socket the wait fails at once (ErrClosed on Linux,
	// ErrUnsupported elsewhere); a live Capture polls until the deadline,
	// which TestIntegration checks.
	if err == nil {
		t.Fatal("Next on an empty ring without a socket returned a frame")
	}
}

// refiller plays the kernel for benchmarks: it hands every block the
// reader releases straight back, full again.
type refiller struct {
	c    *Capture
	last int
}

func (rf *refiller) after() {
	if b := rf.c.r.block; b != rf.last {
		*rf.c.r.status(rf.last) = statusUser
		rf.last = b
	}
}

func newBenchCapture(tb testing.TB) (*Capture, *refiller, int) {
	const bs, nb = 64 << 10, 4
	mem := make([]byte, bs*nb)
	frames := ptpSynth(4096)
	total := 0
	for i := 0; i < nb; i++ {
		total += fillBlock(mem, bs, i, frames)
	}
	c := newMemCapture(newRing(mem, bs, nb), Options{})
	return c, &refiller{c: c}, total
}

func TestNextNoAllocs(t *testing.T) {
	c, rf, total := newBenchCapture(t)
	ctx := context.Background()
	var f source.Frame
	allocs := testing.AllocsPerRun(3*total, func() {
		if err := c.Next(ctx, &f); err != nil {
			t.Fatal(err)
		}
		rf.after()
	})
	if allocs != 0 {
		t.Fatalf("Next allocates %.2f times per frame", allocs)
	}
}

func BenchmarkNext(b *testing.B) {
	c, rf, total := newBenchCapture(b)
	ctx := context.Background()
	var f source.Frame
	var bytes int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.Next(ctx, &f); err != nil {
			b.Fatal(err)
		}
		bytes += int64(len(f.Data))
		rf.after()
	}
	b.StopTimer()
	b.ReportMetric(float64(bytes)/float64(b.N), "B/frame")
	b.ReportMetric(float64(total), "frames/ring")
}
