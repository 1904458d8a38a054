package afxdp

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/bpf"
	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// fakeKernel plays the kernel's side of one socket's fill and RX rings
// over memory: it takes chunks from the fill ring and delivers frames into
// them the way AF_XDP copy mode does, the metadata block just before the
// frame, 256 bytes into the chunk.
type fakeKernel struct {
	s     *xsk
	fill  addrRing
	rx    descRing
	chunk uint64
}

const memHeadroom = 256 // XDP_PACKET_HEADROOM

// newMemSocket returns a socket with frames chunks of chunk bytes whose
// ring counters start at start, its fill ring full, and its kernel side.
func newMemSocket(queue, frames, chunk int, start uint32) (xsk, *fakeKernel) {
	var s xsk
	s.queue, s.fd = queue, -1
	s.umem = make([]byte, frames*chunk)
	ctr := new([6]uint32)
	for i := range 2 {
		ctr[3*i], ctr[3*i+1] = start, start
	}
	addrs := make([]uint64, frames)
	descs := make([]desc, frames)
	s.fill = addrRing{newRing(&ctr[0], &ctr[1], &ctr[2], uint32(frames)), addrs}
	s.rx = descRing{newRing(&ctr[3], &ctr[4], &ctr[5], uint32(frames)), descs}
	s.fill.initProducer()
	s.rx.initConsumer()
	for i := range frames {
		s.fill.put(uint64(i * chunk))
	}
	s.fill.submit()
	k := &fakeKernel{chunk: uint64(chunk)}
	k.fill = addrRing{newRing(&ctr[0], &ctr[1], &ctr[2], uint32(frames)), addrs}
	k.rx = descRing{newRing(&ctr[3], &ctr[4], &ctr[5], uint32(frames)), descs}
	k.fill.initConsumer()
	k.rx.initProducer()
	return s, k
}

// deliver copies frame with a metadata block into a chunk from the fill
// ring and posts it on the RX ring; it reports false when the fill ring is
// empty (the kernel would count rx_fill_ring_empty_descs).
func (k *fakeKernel) deliver(frame []byte, m bpf.Meta) bool {
	if k.fill.avail(1) == 0 || k.rx.free(1) == 0 {
		return false
	}
	addr := k.fill.get() + memHeadroom
	k.fill.release()
	meta := k.s.umem[addr-bpf.MetaLen : addr]
	clear(meta)
	binary.NativeEndian.PutUint64(meta[0:], m.TAI)
	binary.NativeEndian.PutUint64(meta[8:], m.HW)
	binary.NativeEndian.PutUint32(meta[16:], m.Flags)
	copy(k.s.umem[addr:], frame)
	k.rx.put(desc{Addr: addr, Len: uint32(len(frame))})
	k.rx.submit()
	return true
}

// inFill returns the number of chunks the kernel could take now.
func (k *fakeKernel) inFill() uint32 {
	k.fill.cachedProd = k.fill.cachedCons // force a reread
	return k.fill.avail(^uint32(0))
}

const memTAIOffset = 37 * int64(time.Second)

// newMemCapture returns a Capture over sockets in memory.
func newMemCapture(socks []xsk, ks []*fakeKernel, chunk int) *Capture {
	c := &Capture{
		ifname:    "memory",
		ifaces:    []source.Interface{{Name: "memory"}},
		opts:      Options{ChunkSize: chunk},
		socks:     socks,
		chunkMask: uint64(chunk - 1),
		taiOffset: memTAIOffset,
	}
	for i, k := range ks {
		k.s = &c.socks[i]
	}
	return c
}

func taiMeta(tai int64) bpf.Meta { return bpf.Meta{TAI: uint64(tai), Flags: bpf.MetaTAIValid} }

// TestMemNext runs Next over rings in memory whose counters wrap: frames
// come out in order, byte-identical, with converted timestamps, and every
// chunk goes back to the fill ring once Next is called again.
func TestMemNext(t *testing.T) {
	const frames, chunk = 64, 2048
	s, k := newMemSocket(3, frames, chunk, 1<<32-70)
	c := newMemCapture([]xsk{s}, []*fakeKernel{k}, chunk)
	tai := time.Now().UnixNano() + memTAIOffset
	c.taiAt = tai // no adjtimex rereading in this test

	fr := testFrames()
	ctx := context.Background()
	var f source.Frame
	sent := 0
	for wave := range 40 {
		n := 1 + wave%frames/2 // waves of up to 32 frames
		for i := range n {
			if !k.deliver(fr[(sent+i)%len(fr)].data, taiMeta(tai+int64(sent+i))) {
				t.Fatalf("wave %d: fill ring empty after %d of %d; %d in fill", wave, i, n, k.inFill())
			}
		}
		for i := range n {
			if err := c.Next(ctx, &f); err != nil {
				t.Fatal(err)
			}
			want := fr[(sent+i)%len(fr)].data
			if !bytes.Equal(f.Data, want) || f.OrigLen != len(want) || f.Queue != 3 || f.Link != decode.LinkEthernet {
				t.Fatalf("frame %d: queue %d len %d\n got % x\nwant % x", sent+i, f.Queue, f.OrigLen, f.Data, want)
			}
			if wantTS := tai + int64(sent+i) - memTAIOffset; f.Timestamp != wantTS || f.TSSource != source.TimestampXDPTAI {
				t.Fatalf("frame %d: timestamp %d (%v), want %d", sent+i, f.Timestamp, f.TSSource, wantTS)
			}
		}
		sent += n
	}
	// The last frame's chunk is still held; an empty Next returns it.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.Next(cctx, &f); err != context.Canceled {
		t.Fatalf("Next on empty rings with a cancelled context = %v", err)
	}
	if n := k.inFill(); n != frames {
		t.Errorf("%d chunks in the fill ring after all were returned, want %d", n, frames)
	}
	if st, _ := c.Stats(); st.Received != uint64(sent) || st.NoMeta != 0 || st.BadDescs != 0 || st.EmptyPolls != 1 {
		t.Errorf("stats %+v after %d frames", st, sent)
	}
}

// TestMemTimestamps checks the three timestamp sources and a bad
// descriptor.
func TestMemTimestamps(t *testing.T) {
	s, k := newMemSocket(0, 64, 4096, 0)
	c := newMemCapture([]xsk{s}, []*fakeKernel{k}, 4096)
	now := time.Now().UnixNano()
	c.taiAt = now + memTAIOffset
	frame := testFrames()[0].data
	k.deliver(frame, bpf.Meta{TAI: uint64(now + memTAIOffset), HW: 12345, Flags: bpf.MetaTAIValid | bpf.MetaHWValid})
	k.deliver(frame, bpf.Meta{}) // no metadata block
	// A descriptor past the UMEM's end.
	k.rx.put(desc{Addr: uint64(len(k.s.umem)) - 10, Len: 100})
	k.rx.submit()
	k.deliver(frame, taiMeta(now+memTAIOffset))

	var f source.Frame
	ctx := context.Background()
	if err := c.Next(ctx, &f); err != nil || f.Timestamp != 12345 || f.TSSource != source.TimestampHardware {
		t.Errorf("hardware: %v %d %v", err, f.Timestamp, f.TSSource)
	}
	before := time.Now().UnixNano()
	if err := c.Next(ctx, &f); err != nil || f.Timestamp < before || f.Timestamp > time.Now().UnixNano() || f.TSSource != source.TimestampSoftware {
		t.Errorf("no metadata: %v %d %v", err, f.Timestamp, f.TSSource)
	}
	if err := c.Next(ctx, &f); err != nil || f.Timestamp != now || f.TSSource != source.TimestampXDPTAI || !bytes.Equal(f.Data, frame) {
		t.Errorf("after the bad descriptor: %v %d %v", err, f.Timestamp, f.TSSource)
	}
	// Next counts a batch's frames when the batch is done or it waits.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.Next(cctx, &f); err != context.Canceled {
		t.Fatalf("Next on empty rings with a cancelled context = %v", err)
	}
	if st, _ := c.Stats(); st.Received != 3 || st.HWStamped != 1 || st.NoMeta != 1 || st.BadDescs != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestMemQueues checks that Next serves every queue, batch by batch.
func TestMemQueues(t *testing.T) {
	var socks []xsk
	var ks []*fakeKernel
	for q := range 3 {
		s, k := newMemSocket(q, 512, 2048, uint32(q)*1000)
		socks, ks = append(socks, s), append(ks, k)
	}
	c := newMemCapture(socks, ks, 2048)
	tai := time.Now().UnixNano()
	c.taiAt = tai
	frame := testFrames()[2].data
	for q, k := range ks {
		for range 100 * (q + 1) {
			if !k.deliver(frame, taiMeta(tai)) {
				t.Fatal("fill ring empty")
			}
		}
	}
	var f source.Frame
	var got [3]int
	var order []uint16
	for range 600 {
		if err := c.Next(context.Background(), &f); err != nil {
			t.Fatal(err)
		}
		got[f.Queue]++
		if len(order) == 0 || order[len(order)-1] != f.Queue {
			order = append(order, f.Queue)
		}
	}
	if got != [3]int{100, 200, 300} {
		t.Errorf("frames per queue %v", got)
	}
	// Batches of 64: queue 0 gives 64, queue 1 64, queue 2 64, queue 0 the
	// rest of its 100, and so on.
	if len(order) < 6 || order[0] != 0 || order[1] != 1 || order[2] != 2 || order[3] != 0 {
		t.Errorf("queue order %v, want round robin by batch", order)
	}
}

// TestMemNoAllocs checks that Next over memory rings does not allocate.
func TestMemNoAllocs(t *testing.T) {
	s, k := newMemSocket(0, 256, 2048, 1<<32-10)
	c := newMemCapture([]xsk{s}, []*fakeKernel{k}, 2048)
	tai := time.Now().UnixNano()
	c.taiAt = tai
	frame := testFrames()[0].data
	var f source.Frame
	ctx := context.Background()
	if a := testing.AllocsPerRun(1000, func() {
		k.deliver(frame, taiMeta(tai))
		if err := c.Next(ctx, &f); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Next allocates %.2f times per frame", a)
	}
}

// BenchmarkMemNext measures Next alone, over memory rings kept full by the
// fake kernel.
func BenchmarkMemNext(b *testing.B) {
	s, k := newMemSocket(0, 2048, 2048, 0)
	c := newMemCapture([]xsk{s}, []*fakeKernel{k}, 2048)
	tai := time.Now().UnixNano()
	c.taiAt = tai
	frame := testFrames()[2].data
	var f source.Frame
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if k.rx.cachedProd == k.rx.cachedCons || !k.deliver(frame, taiMeta(tai)) {
			for k.deliver(frame, taiMeta(tai)) {
			}
		}
		if err := c.Next(ctx, &f); err != nil {
			b.Fatal(err)
		}
	}
}
