package ring

import (
	"errors"
	"runtime"
	"testing"
	"unsafe"
)

// item is what the tests and benchmarks move through a queue: a pointer-free
// 40-byte value, like the records production queues carry, numbered so that
// order and loss show.
type item struct {
	Frame  uint64
	Time   int64
	CapLen uint32
	_      [20]byte
}

func TestNewSPSCCapacity(t *testing.T) {
	for _, c := range []int{-4, 0, 3, 6, 100, 1000} {
		if _, err := NewSPSC[int](c); !errors.Is(err, ErrCapacity) {
			t.Errorf("NewSPSC(%d): err = %v, want ErrCapacity", c, err)
		}
	}
	for _, c := range []int{1, 2, 64, 1 << 16} {
		q, err := NewSPSC[int](c)
		if err != nil {
			t.Fatalf("NewSPSC(%d): %v", c, err)
		}
		if q.Cap() != c || q.Len() != 0 {
			t.Errorf("NewSPSC(%d): Cap %d Len %d", c, q.Cap(), q.Len())
		}
	}
}

// TestSPSCLayout checks that the two indices and the shared read-only
// fields sit on different 128-byte blocks.
func TestSPSCLayout(t *testing.T) {
	var q SPSC[item]
	buf := unsafe.Offsetof(q.buf)
	head := unsafe.Offsetof(q.head)
	tail := unsafe.Offsetof(q.tail)
	if head-buf < padBytes || tail-head < padBytes || unsafe.Sizeof(q)-tail < padBytes {
		t.Errorf("offsets buf %d head %d tail %d size %d: want %d bytes between", buf, head, tail, unsafe.Sizeof(q), padBytes)
	}
	if buf < padBytes {
		t.Errorf("buf at %d shares a block with whatever precedes the queue", buf)
	}
}

func TestSPSCSequential(t *testing.T) {
	q, _ := NewSPSC[int](8)
	if _, ok := q.Pop(); ok {
		t.Fatal("Pop on empty queue succeeded")
	}
	for i := range 8 {
		if !q.Push(i) {
			t.Fatalf("Push %d failed with Len %d", i, q.Len())
		}
	}
	if q.Push(8) {
		t.Fatal("Push on full queue succeeded")
	}
	if n := q.PushBatch([]int{1, 2}); n != 0 {
		t.Fatalf("PushBatch on full queue took %d", n)
	}
	out := make([]int, 5)
	if n := q.PopBatch(out); n != 5 || out[0] != 0 || out[4] != 4 {
		t.Fatalf("PopBatch = %d %v", n, out)
	}
	// Wrap around the end of the array in both directions.
	if n := q.PushBatch([]int{8, 9, 10, 11, 12, 13}); n != 5 {
		t.Fatalf("PushBatch into 5 free slots took %d", n)
	}
	if q.Len() != 8 {
		t.Fatalf("Len = %d, want 8", q.Len())
	}
	var got []int
	for {
		v, ok := q.Pop()
		if !ok {
			break
		}
		got = append(got, v)
	}
	want := []int{5, 6, 7, 8, 9, 10, 11, 12}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestSPSCClearsPointers(t *testing.T) {
	q, _ := NewSPSC[*int](4)
	if !q.clear {
		t.Fatal("queue of pointers does not clear slots")
	}
	x := 1
	q.Push(&x)
	q.Push(&x)
	q.Pop()
	out := make([]*int, 1)
	q.PopBatch(out)
	for i, p := range q.buf {
		if p != nil {
			t.Errorf("slot %d still holds a pointer after pop", i)
		}
	}
	if d, _ := NewSPSC[item](4); d.clear {
		t.Error("queue of Descriptors clears slots it need not")
	}
	if s, _ := NewSPSC[struct {
		a [2]int
		b []byte
	}](4); !s.clear {
		t.Error("struct with a slice not detected as holding pointers")
	}
}

// TestSPSCConcurrent runs one producer and one consumer over millions of
// sequenced items, mixing single and batch calls of varying sizes,
// and checks that every item arrives once and in order. Run it with -race.
func TestSPSCConcurrent(t *testing.T) {
	total := uint64(4_000_000)
	if raceEnabled || testing.Short() {
		total = 1_000_000
	}
	q, _ := NewSPSC[item](256)
	done := make(chan struct{})
	go func() {
		defer close(done)
		batch := make([]item, 64)
		for seq := uint64(0); seq < total; {
			k := int(seq%64) + 1 // batch sizes cycle through 1..64
			if seq%7 == 0 {
				if q.Push(item{Frame: seq, CapLen: uint32(seq)}) {
					seq++
				} else {
					runtime.Gosched()
				}
				continue
			}
			k = int(min(uint64(k), total-seq))
			for i := range k {
				batch[i] = item{Frame: seq + uint64(i), CapLen: uint32(seq + uint64(i))}
			}
			n := q.PushBatch(batch[:k])
			if n == 0 {
				runtime.Gosched()
			}
			seq += uint64(n)
		}
	}()
	out := make([]item, 48)
	for want := uint64(0); want < total; {
		var n int
		if want%5 == 0 {
			if d, ok := q.Pop(); ok {
				out[0], n = d, 1
			}
		} else {
			n = q.PopBatch(out[:int(want%48)+1])
		}
		if n == 0 {
			runtime.Gosched()
			continue
		}
		for _, d := range out[:n] {
			if d.Frame != want || d.CapLen != uint32(want) {
				t.Fatalf("got item %d (caplen %d), want %d", d.Frame, d.CapLen, want)
			}
			want++
		}
		if l := q.Len(); l < 0 || l > q.Cap() {
			t.Fatalf("Len = %d outside [0, %d]", l, q.Cap())
		}
	}
	<-done
	if q.Len() != 0 {
		t.Fatalf("Len = %d after draining", q.Len())
	}
}

func TestSPSCNoAllocs(t *testing.T) {
	q, _ := NewSPSC[item](64)
	batch := make([]item, 16)
	out := make([]item, 16)
	allocs := testing.AllocsPerRun(1000, func() {
		q.Push(item{Frame: 1})
		q.Pop()
		q.PushBatch(batch)
		q.PopBatch(out)
		_ = q.Len()
	})
	if allocs != 0 {
		t.Fatalf("SPSC operations allocate %.1f times per run", allocs)
	}
}
