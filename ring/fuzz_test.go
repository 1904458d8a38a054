package ring

import (
	"encoding/binary"
	"testing"
)

// fuzzInput hands out the fuzzer's bytes as operation arguments, zeros once
// they run out.
type fuzzInput []byte

func (in *fuzzInput) byte() byte {
	if len(*in) == 0 {
		return 0
	}
	c := (*in)[0]
	*in = (*in)[1:]
	return c
}

func (in *fuzzInput) u16() uint16 { return uint16(in.byte()) | uint16(in.byte())<<8 }

func (in *fuzzInput) u32() uint32 { return uint32(in.u16()) | uint32(in.u16())<<16 }

// tag returns a value from a small set most of the time, so chains form,
// and an arbitrary one otherwise, so the key table fills and overflows.
func (in *fuzzInput) tag(small int) uint32 {
	c := in.byte()
	if c >= 240 {
		return in.u32()
	}
	return uint32(int(c) % small)
}

// FuzzBuffer drives a small Buffer with a random sequence of appends (any
// size, clocks stepping either way), Gets, Scans, Searches and Resets, and
// compares every answer with the brute-force model, whose checks also hold
// the buffer to its limit and its eviction rule after each step.
func FuzzBuffer(f *testing.F) {
	f.Add([]byte{0, 0, 10, 1, 2, 3, 1, 50, 1, 1, 1, 6, 0, 0, 0, 0})
	f.Add([]byte{20, 0x80, 200, 5, 0, 0, 0, 0x81, 255, 0, 1, 2, 3, 5, 3, 6, 1, 1, 1, 1, 1, 8, 0x80, 9, 0, 0, 0, 0, 9})
	f.Add(binary.LittleEndian.AppendUint64([]byte{3, 4, 0xff, 0x3f, 7, 250, 1, 2, 3, 4, 7, 7, 2, 6, 6, 6}, 0x0102030405060708))
	f.Fuzz(fuzzBuffer)
}

func fuzzBuffer(t *testing.T, data []byte) {
	in := fuzzInput(data)
	m := newModel(t, MinBufferBytes+int64(in.byte())*256)
	var clock int64
	var r Record
	frame := make([]byte, m.b.MaxFrame()+64)
	for ops := 0; len(in) > 0 && ops < 400; ops++ {
		op := in.byte()
		switch op % 10 {
		case 0, 1, 2, 3, 4:
			size := int(in.byte())
			if op&0x80 != 0 {
				size = int(in.u16()) % len(frame) // large frames, a few too large
			}
			clock += int64(int8(in.byte())) * 100
			meta := RecordMeta{
				Time:        clock,
				Scope:       in.tag(4),
				MessageType: uint8(in.tag(16)),
				Instance:    in.tag(20),
				Tags:        uint16(ops),
			}
			p := frame[:size]
			for i := range p {
				p[i] = byte(ops + i)
			}
			m.append(meta, p)
		case 5:
			m.checkGet(&r, m.b.First()+uint64(int64(int8(in.byte()))))
		case 6:
			q := Query{AfterFrame: uint64(in.byte())}
			if c := in.byte(); c&1 != 0 {
				q.From = clock - int64(in.byte())*100
			}
			if c := in.byte(); c&1 != 0 {
				q.To = clock - int64(in.byte())*50
			}
			c := in.byte()
			q.Scope, q.HasScope = in.tag(4), c&1 != 0
			q.MessageType, q.HasMessageType = uint8(in.tag(16)), c&2 != 0
			q.Instance, q.HasInstance = in.tag(20), c&4 != 0
			q.Limit = int(c >> 4)
			m.checkScan(q)
		case 7:
			m.checkSearch(clock - int64(in.byte())*100)
		case 8:
			m.reset()
		case 9:
			m.checkChains()
		}
	}
	m.checkChains()
}
