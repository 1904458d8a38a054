package afxdp

import (
	"math/rand/v2"
	"testing"
)

// ringPair returns the two sides of one ring over shared counters starting
// at start: user space producing into kernel space, as with the fill ring.
func ringPair(size, start uint32) (prod, cons *addrRing) {
	ctr := new([3]uint32)
	ctr[0], ctr[1] = start, start
	addrs := make([]uint64, size)
	prod = &addrRing{newRing(&ctr[0], &ctr[1], &ctr[2], size), addrs}
	cons = &addrRing{newRing(&ctr[0], &ctr[1], &ctr[2], size), addrs}
	prod.initProducer()
	cons.initConsumer()
	return prod, cons
}

// TestRingWrap pushes entries through rings whose counters start just
// below 2^32, in random batches, and checks order, counts and bounds.
func TestRingWrap(t *testing.T) {
	for _, start := range []uint32{0, 1<<32 - 1, 1<<32 - 5, 1<<32 - 100, 1 << 31} {
		for _, size := range []uint32{8, 64, 1024} {
			p, c := ringPair(size, start)
			if f := p.free(size); f != size {
				t.Fatalf("start %#x size %d: empty ring has %d free", start, size, f)
			}
			if a := c.avail(size); a != 0 {
				t.Fatalf("start %#x size %d: empty ring has %d available", start, size, a)
			}
			rng := rand.New(rand.NewPCG(uint64(start), uint64(size)))
			var next, want uint64
			for range 5000 {
				// Produce up to the free room, in a random batch.
				n := rng.Uint32N(size + 1)
				f := p.free(n)
				if f > size {
					t.Fatalf("start %#x: free %d exceeds size %d", start, f, size)
				}
				n = min(n, f)
				for range n {
					p.put(next)
					next++
				}
				if p.pending() != n {
					t.Fatalf("pending %d after %d puts", p.pending(), n)
				}
				p.submit()
				// Consume a random part of what is there.
				m := c.avail(rng.Uint32N(size + 1))
				if m > size {
					t.Fatalf("start %#x: avail %d exceeds size %d", start, m, size)
				}
				for range m {
					if got := c.get(); got != want {
						t.Fatalf("start %#x size %d: got entry %d, want %d", start, size, got, want)
					}
					want++
				}
				c.release()
				if in := next - want; in > uint64(size) {
					t.Fatalf("%d entries in a ring of %d", in, size)
				}
			}
			if next < 5*uint64(size) {
				t.Errorf("start %#x size %d: only %d entries went through", start, size, next)
			}
			// Drain: every entry comes out once, in order.
			for a := c.avail(size); a > 0; a = c.avail(size) {
				for range a {
					if got := c.get(); got != want {
						t.Fatalf("drain: got %d, want %d", got, want)
					}
					want++
				}
				c.release()
			}
			if want != next {
				t.Errorf("start %#x size %d: %d produced, %d consumed", start, size, next, want)
			}
			if f := p.free(size); f != size {
				t.Errorf("start %#x size %d: drained ring has %d free", start, size, f)
			}
		}
	}
}

// TestRingFull checks that a full ring admits nothing until the consumer
// releases, across the wrap.
func TestRingFull(t *testing.T) {
	p, c := ringPair(8, 1<<32-3)
	for i := range 8 {
		p.put(uint64(i))
	}
	p.submit()
	if f := p.free(1); f != 0 {
		t.Fatalf("full ring has %d free", f)
	}
	if a := c.avail(100); a != 8 {
		t.Fatalf("full ring has %d available", a)
	}
	c.get()
	c.get()
	if f := p.free(1); f != 0 {
		t.Fatalf("%d free before the consumer released", f)
	}
	c.release()
	if f := p.free(1); f != 2 {
		t.Fatalf("%d free after two were released, want 2", f)
	}
	if *p.prod != 5 || *p.cons != 0xffffffff {
		t.Fatalf("counters prod %#x cons %#x, want 5 and 0xffffffff", *p.prod, *p.cons)
	}
}

func TestNeedWakeup(t *testing.T) {
	p, _ := ringPair(8, 0)
	if p.needWakeup() {
		t.Fatal("needWakeup with flags 0")
	}
	*p.flags = ringNeedWakeup
	if !p.needWakeup() {
		t.Fatal("no needWakeup with XDP_RING_NEED_WAKEUP set")
	}
	var r ring
	if r.needWakeup() {
		t.Fatal("needWakeup on a ring without flags")
	}
}
