package ring_test

import (
	"fmt"

	"github.com/ptpwatch/ptpwatch/ring"
)

// A decoder hands what it saw to a shard's goroutine in batches; the
// queue carries plain values, so it holds nothing the garbage collector
// must scan.
func ExampleSPSC() {
	type observation struct {
		Frame uint64
		Time  int64
		Type  uint8
	}
	q, err := ring.NewSPSC[observation](1024)
	if err != nil {
		panic(err)
	}
	in := []observation{{Frame: 1, Time: 1000, Type: 0}, {Frame: 2, Time: 2000, Type: 11}}
	fmt.Println("pushed", q.PushBatch(in))

	out := make([]observation, 64)
	n := q.PopBatch(out)
	for _, o := range out[:n] {
		fmt.Println(o.Frame, o.Time, o.Type)
	}
	// Output:
	// pushed 2
	// 1 1000 0
	// 2 2000 11
}

// The worker stores each decoded frame with its tags and later finds the
// Announce messages (type 11) of one scope within a time window.
func ExampleBuffer() {
	b, err := ring.NewBuffer(1 << 20)
	if err != nil {
		panic(err)
	}
	frame := make([]byte, 90)
	for i := range 10 {
		m := ring.RecordMeta{Time: int64(i) * 1e9, OrigLen: 90, Source: ring.SourceHardware}
		m.Scope = uint32(i % 2)
		m.MessageType = []uint8{0, 8, 11}[i%3]
		if _, err := b.Append(m, frame); err != nil {
			panic(err)
		}
	}
	q := ring.Query{
		From: 2e9, To: 9e9,
		Scope: 1, HasScope: true,
		MessageType: 11, HasMessageType: true,
	}
	b.Scan(q, func(r *ring.Record) bool {
		fmt.Println("frame", r.Frame, "at", r.Time/1e9, "s,", len(r.Data), "bytes")
		return true
	})
	s := b.Stats()
	fmt.Println(s.Frames, "frames,", s.Bytes <= s.Limit)
	// Output:
	// frame 6 at 5 s, 90 bytes
	// 10 frames, true
}
