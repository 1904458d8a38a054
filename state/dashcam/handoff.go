package dashcam

import (
	"encoding/binary"
	"sync/atomic"

	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// handoff carries frames from the capture path (one producer: the
// pipeline's reading goroutine) to the recorder (one consumer) through a
// preallocated circular byte log, so that the producer never blocks, never
// allocates and shares no lock with the consumer. It is the byte-stream
// sibling of ring.SPSC: the producer owns tail, the consumer head, each on
// its own cache lines, and each caches its last look at the other's index.
//
// An entry is 8-byte aligned: uint32 entry length (0xffffffff marks the
// unused end of the log before a wrap), uint32 mark origin (index + 1 in
// the recorder's origins; 0: the frame has no mark), uint64 capture buffer
// frame number (0 when the frame is not in the buffer), with a mark its
// uint64 run and uint64 frame, then one frame record (see record.go), or
// none in a mark-only entry (a frame the recorder does not need, whose
// mark it must still store).
type handoff struct {
	_ [128]byte

	buf  []byte
	mask uint64
	_    [128 - 32]byte

	head     atomic.Uint64 // consumer: bytes consumed, free-running
	tailSeen uint64
	_        [128 - 16]byte

	tail     atomic.Uint64 // producer: bytes published, free-running
	headSeen uint64
	_        [128 - 16]byte
}

const (
	hoHeader = 16 // length, origin, frame number
	hoMark   = 16 // run, frame of a marked entry
	hoWrap   = ^uint32(0)
)

// newHandoff returns a log of size bytes, rounded up to a power of two of
// at least 1 MiB.
func newHandoff(size int) *handoff {
	n := 1 << 20
	for n < size {
		n <<= 1
	}
	return &handoff{buf: make([]byte, n), mask: uint64(n - 1)}
}

func align8(n int) int { return (n + 7) &^ 7 }

// push appends one frame and reports whether it fit. Producer only. It does
// not allocate.
func (h *handoff) push(n uint64, m *ring.RecordMeta, link uint16, data []byte) bool {
	return h.pushMarked(n, m, link, data, 0, source.Mark{})
}

// pushMarked is push with the frame's mark from origin (index + 1; 0: no
// mark). With m nil it pushes a mark-only entry. Producer only. It does
// not allocate.
func (h *handoff) pushMarked(n uint64, m *ring.RecordMeta, link uint16, data []byte, origin uint32, mark source.Mark) bool {
	l := hoHeader
	if origin != 0 {
		l += hoMark
	}
	if m != nil {
		l += recHeader + len(data)
	}
	need := uint64(align8(l))
	size := uint64(len(h.buf))
	t := h.tail.Load()
	off := t & h.mask
	room := size - off
	total := need
	if room < need {
		total = room + need // skip the end of the log
	}
	if total > size {
		return false
	}
	if t+total-h.headSeen > size {
		h.headSeen = h.head.Load()
		if t+total-h.headSeen > size {
			return false
		}
	}
	if room < need {
		binary.LittleEndian.PutUint32(h.buf[off:], hoWrap)
		t += room
		off = 0
	}
	e := h.buf[off : off+need]
	binary.LittleEndian.PutUint32(e, uint32(l))
	binary.LittleEndian.PutUint32(e[4:], origin)
	binary.LittleEndian.PutUint64(e[8:], n)
	r := e[hoHeader:]
	if origin != 0 {
		binary.LittleEndian.PutUint64(r, mark.Run)
		binary.LittleEndian.PutUint64(r[8:], mark.Frame)
		r = r[hoMark:]
	}
	if m != nil {
		putRecordHeader(r, m, link, len(data))
		copy(r[recHeader:], data)
	}
	h.tail.Store(t + need) // release: the entry is written before it is published
	return true
}

// peek returns the oldest entry's frame number and record without
// consuming it, and the position to pass to release; ok is false when the
// log is empty. Consumer only. The record aliases the log until release.
func (h *handoff) peek(pos uint64) (n uint64, rec []byte, next uint64, ok bool) {
	n, rec, _, _, next, ok = h.peekMarked(pos)
	return n, rec, next, ok
}

// peekMarked is peek with the entry's mark origin (0: none) and mark; rec
// is empty in a mark-only entry. Consumer only.
func (h *handoff) peekMarked(pos uint64) (n uint64, rec []byte, origin uint32, mark source.Mark, next uint64, ok bool) {
	for {
		if pos == h.tailSeen {
			h.tailSeen = h.tail.Load()
			if pos == h.tailSeen {
				return 0, nil, 0, source.Mark{}, pos, false
			}
		}
		off := pos & h.mask
		l := binary.LittleEndian.Uint32(h.buf[off:])
		if l == hoWrap {
			pos += uint64(len(h.buf)) - off
			continue
		}
		e := h.buf[off : off+uint64(l)]
		rec, origin = e[hoHeader:], binary.LittleEndian.Uint32(e[4:])
		if origin != 0 {
			mark = source.Mark{Run: binary.LittleEndian.Uint64(rec), Frame: binary.LittleEndian.Uint64(rec[8:])}
			rec = rec[hoMark:]
		}
		return binary.LittleEndian.Uint64(e[8:]), rec, origin, mark, pos + uint64(align8(int(l))), true
	}
}

// position returns where the consumer stands. Consumer only.
func (h *handoff) position() uint64 { return h.head.Load() }

// release frees everything before pos for the producer. Consumer only.
func (h *handoff) release(pos uint64) { h.head.Store(pos) }

// used returns the bytes waiting, at some instant.
func (h *handoff) used() int {
	hd := h.head.Load()
	return int(h.tail.Load() - hd)
}
