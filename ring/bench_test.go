package ring

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"unsafe"
)

const benchCap = 1024

// BenchmarkSPSC moves b.N 40-byte items from a producer goroutine to the
// benchmark goroutine, through the ring and, as the peer measured in the
// same run, through a buffered channel of the same capacity. A channel has
// no batch operation, so its batch=k variant sends and receives one at a
// time, the best a channel can do.
func BenchmarkSPSC(b *testing.B) {
	for _, k := range []int{1, 16, 64} {
		name := "batch=" + strconv.Itoa(k)
		b.Run(name+"/ring", func(b *testing.B) { benchRing(b, k) })
		b.Run(name+"/chan", func(b *testing.B) { benchChan(b, k) })
	}
}

func benchRing(b *testing.B, k int) {
	q, _ := NewSPSC[item](benchCap)
	b.SetBytes(int64(unsafe.Sizeof(item{})))
	b.ReportAllocs()
	n := b.N
	go func() {
		if k == 1 {
			for i := 0; i < n; {
				if q.Push(item{Frame: uint64(i)}) {
					i++
				} else {
					runtime.Gosched()
				}
			}
			return
		}
		batch := make([]item, k)
		for i := 0; i < n; {
			m := min(k, n-i)
			for j := range m {
				batch[j].Frame = uint64(i + j)
			}
			for sent := 0; sent < m; {
				c := q.PushBatch(batch[sent:m])
				if c == 0 {
					runtime.Gosched()
				}
				sent += c
			}
			i += m
		}
	}()
	out := make([]item, k)
	b.ResetTimer()
	for got := 0; got < n; {
		var c int
		if k == 1 {
			if d, ok := q.Pop(); ok {
				out[0], c = d, 1
			}
		} else {
			c = q.PopBatch(out)
		}
		if c == 0 {
			runtime.Gosched()
			continue
		}
		if out[c-1].Frame != uint64(got+c-1) {
			b.Fatalf("got frame %d, want %d", out[c-1].Frame, got+c-1)
		}
		got += c
	}
}

func benchChan(b *testing.B, k int) {
	ch := make(chan item, benchCap)
	b.SetBytes(int64(unsafe.Sizeof(item{})))
	b.ReportAllocs()
	n := b.N
	go func() {
		for i := range n {
			ch <- item{Frame: uint64(i)}
		}
	}()
	out := make([]item, k)
	b.ResetTimer()
	for got := 0; got < n; {
		c := min(k, n-got)
		for j := range c {
			out[j] = <-ch
		}
		if out[c-1].Frame != uint64(got+c-1) {
			b.Fatalf("got frame %d, want %d", out[c-1].Frame, got+c-1)
		}
		got += c
	}
}

// benchBuffer returns a full buffer of 100-byte frames, 1 µs apart, with
// 4 scopes, 16 message types and 200 instances, 1 in 1000 frames carrying
// the rare instance 9999.
func benchBuffer(b *testing.B, limit int64) (*Buffer, []byte) {
	buf, err := NewBuffer(limit)
	if err != nil {
		b.Fatal(err)
	}
	frame := make([]byte, 100)
	for i := range frame {
		frame[i] = byte(i)
	}
	for buf.Stats().Evicted == 0 {
		benchAppend(buf, frame)
	}
	return buf, frame
}

var benchSeq uint64

func benchAppend(buf *Buffer, frame []byte) {
	benchSeq++
	n := benchSeq
	m := RecordMeta{
		Time:        int64(n) * 1000,
		Source:      SourceXDPTAI,
		Scope:       uint32(n % 4),
		MessageType: uint8(n % 16),
		Version:     2,
		Instance:    uint32(n % 200),
	}
	if n%1000 == 0 {
		m.Instance = 9999
	}
	if _, err := buf.Append(m, frame); err != nil {
		panic(err)
	}
}

// BenchmarkBufferAppend appends 100-byte frames to a full 16 MiB buffer, so
// every Append also evicts: with no reader inside (plain stores), and with
// one inside (every shared word stored atomically).
func BenchmarkBufferAppend(b *testing.B) {
	for _, reader := range []bool{false, true} {
		name := "idle"
		if reader {
			name = "reader-inside"
		}
		b.Run(name, func(b *testing.B) {
			buf, frame := benchBuffer(b, 16<<20)
			if reader {
				buf.enter() // as a Scan whose callback is busy would
				defer buf.leave()
			}
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				benchAppend(buf, frame)
			}
		})
	}
}

func BenchmarkBufferGet(b *testing.B) {
	buf, _ := benchBuffer(b, 16<<20)
	rng := rand.New(rand.NewPCG(1, 1))
	first, last := buf.First(), buf.Last()
	r := Record{Data: make([]byte, 0, 128)}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if !buf.Get(first+rng.Uint64N(last-first+1), &r) {
			b.Fatal("Get failed")
		}
	}
}

// BenchmarkBufferSearch finds random instants in a full 64 MiB buffer
// (about 450 000 frames).
func BenchmarkBufferSearch(b *testing.B) {
	buf, _ := benchBuffer(b, 64<<20)
	s := buf.Stats()
	rng := rand.New(rand.NewPCG(2, 2))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, ok := buf.Search(s.Oldest + rng.Int64N(s.Newest-s.Oldest)); !ok {
			b.Fatal("Search failed")
		}
	}
}

// BenchmarkBufferScan runs the queries a UI page would: the 100 frames of
// a time window, the first 100 frames of a scope or message type after a
// random instant, and every frame of a rare instance (one in a thousand)
// in the whole 64 MiB buffer.
func BenchmarkBufferScan(b *testing.B) {
	buf, _ := benchBuffer(b, 64<<20)
	s := buf.Stats()
	cases := []struct {
		name string
		q    func(t int64) Query
	}{
		{"time", func(t int64) Query { return Query{From: t, To: t + 99_000} }},
		{"scope", func(t int64) Query { return Query{From: t, Scope: 1, HasScope: true, Limit: 100} }},
		{"type", func(t int64) Query { return Query{From: t, MessageType: 11, HasMessageType: true, Limit: 100} }},
		{"instance", func(t int64) Query { return Query{From: t, Instance: 7, HasInstance: true, Limit: 100} }},
		{"rare", func(int64) Query { return Query{Instance: 9999, HasInstance: true} }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 3))
			visits := 0
			fn := func(*Record) bool { visits++; return true }
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				buf.Scan(c.q(s.Oldest+rng.Int64N((s.Newest-s.Oldest)/2)), fn)
			}
			b.ReportMetric(float64(visits)/float64(b.N), "records/op")
		})
	}
}
