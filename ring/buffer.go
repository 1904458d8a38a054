package ring

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"sync/atomic"
)

// Buffer size bounds, in bytes.
const (
	DefaultBufferBytes = 256 << 20 // what NewBuffer(0) uses
	MinBufferBytes     = 4 << 10
	MaxBufferBytes     = 32 << 30 // arena offsets are 32-bit word numbers
)

// Layout of the budget. See the package doc, "Memory bound".
const (
	hdrWords   = 5                      // record header: 40 bytes
	slotBytes  = 8 + 4 + numDims*4      // per-frame index: time key, arena offset, three chain links
	entryBytes = 32                     // one keyTable entry
	planFrame  = 64                     // a minimum Ethernet frame (60 bytes) rounded up to words
	planRecord = hdrWords*8 + planFrame // the record size the index is sized for
)

// ErrLimit is returned by NewBuffer for a limit outside
// [MinBufferBytes, MaxBufferBytes].
var ErrLimit = errors.New("ring: buffer limit out of range")

// FrameTooLargeError is returned by Append for a frame that cannot fit in
// the buffer even when it holds nothing else.
type FrameTooLargeError struct {
	Len int // the frame's length
	Max int // the largest length the buffer accepts
}

func (e *FrameTooLargeError) Error() string {
	b := append([]byte("ring: frame of "), strconv.Itoa(e.Len)...)
	b = append(b, " bytes exceeds the buffer's maximum of "...)
	b = strconv.AppendInt(b, int64(e.Max), 10)
	return string(b)
}

// RecordMeta is what a caller tells the buffer about a frame besides its
// bytes. The tag fields (Scope, MessageType, Version, Instance, Tags) are the
// caller's: the buffer stores them verbatim and indexes Scope, MessageType
// and Instance for Scan.
type RecordMeta struct {
	Time        int64           // capture timestamp, ns since 1970-01-01 on Source's clock
	OrigLen     uint32          // length on the wire; 0 means the captured length
	IfIndex     uint16          // capture interface
	Source      TimestampSource // clock that produced Time
	MessageType uint8           // e.g. the PTP messageType
	Version     uint8           // e.g. the PTP versionPTP
	Tags        uint16          // free for the caller
	Scope       uint32          // caller's scope identifier
	Instance    uint32          // caller's instance identifier
}

// Record is one frame as a reader sees it: a copy, so it stays valid after
// the buffer evicts the frame.
type Record struct {
	Frame uint64 // frame number
	RecordMeta
	Data []byte // captured bytes; len(Data) is the captured length
}

// Buffer is the byte-bounded RAM capture buffer: a circular log of frames
// numbered from 1 upwards that evicts the oldest frames to make room. See
// the package documentation for its invariants and concurrency rules.
type Buffer struct {
	// Published state, written by the writer on every Append and loaded
	// atomically by readers. It has a block to itself so that those stores
	// do not also evict the read-only fields below from every reader's cache.
	first uint64 // oldest held frame number; equals next when empty
	next  uint64 // the number the next Append assigns
	used  uint64 // accounted bytes, see Stats.Bytes
	base  uint64 // first frame number after the latest Reset
	gen   uint64 // odd while Reset runs; counts Resets otherwise
	_     [padBytes - 5*8]byte

	// Reader presence (see begin and enter): readers change it, the writer
	// loads it once or twice per Append.
	readers atomic.Int64
	writing atomic.Uint32
	_       [padBytes - 16]byte

	// Fixed at NewBuffer.
	limit  int64
	maxLen int // largest frame Append accepts

	arena  []uint64 // records: header words then frame words, little-endian
	nslots uint64
	keys   []uint64          // per slot: index time (monotonic), an int64
	offs   []uint32          // per slot: arena word offset of the record
	links  [numDims][]uint32 // per slot and dimension: distance to the next frame with the same tag
	_      [padBytes]byte

	// Posting chain states, updated by the writer as tags come and go.
	tab keyTable
	ovf [numDims]keyEntry // chains of frames whose tag found no room in tab
	_   [padBytes]byte

	// Writer only.
	w                pub // how this Append or Reset stores shared words
	wFirst, wNext    uint64
	headOff, tailOff uint64 // arena words: oldest record, next free word
	lastKey          int64
}

// pub stores the words readers load. While no reader is inside the buffer
// the writer may use plain stores; otherwise every store must be atomic so
// that a reader racing with it reads whole, defined values.
type pub struct{ plain bool }

func (p pub) u64(a *uint64, v uint64) {
	if p.plain {
		*a = v
	} else {
		atomic.StoreUint64(a, v)
	}
}

func (p pub) u32(a *uint32, v uint32) {
	if p.plain {
		*a = v
	} else {
		atomic.StoreUint32(a, v)
	}
}

// begin decides how the writer stores during one Append or Reset: plainly
// when no reader is inside, atomically otherwise. It never waits.
//
// This is Dekker's handshake with enter: the writer raises writing and then
// looks for readers, a reader counts itself in and then looks at writing.
// With sequentially consistent atomics at least one of them sees the
// other, so a reader never reads while plain stores are under way, and the
// handshake's loads and stores order those plain stores before the reader's
// loads (and a departed reader's loads before later plain stores).
func (b *Buffer) begin() {
	b.w.plain = false
	if b.readers.Load() != 0 {
		return
	}
	b.writing.Store(1)
	if b.readers.Load() != 0 {
		b.writing.Store(0)
		return
	}
	b.w.plain = true
}

// end closes what begin opened.
func (b *Buffer) end() {
	if b.w.plain {
		b.writing.Store(0)
	}
}

// NewBuffer returns an empty buffer bounded by limit bytes, or by
// DefaultBufferBytes when limit is 0. All of its memory is allocated here.
func NewBuffer(limit int64) (*Buffer, error) {
	if limit == 0 {
		limit = DefaultBufferBytes
	}
	if limit < MinBufferBytes || limit > MaxBufferBytes {
		return nil, ErrLimit
	}
	slots, words, entries := plan(limit)
	b := &Buffer{
		limit:  limit,
		maxLen: int(words-hdrWords) * 8,
		arena:  make([]uint64, words),
		nslots: slots,
		keys:   make([]uint64, slots),
		offs:   make([]uint32, slots),
		tab:    newKeyTable(int(entries)),
	}
	for d := range b.links {
		b.links[d] = make([]uint32, slots)
	}
	b.maxLen = min(b.maxLen, math.MaxUint32)
	b.first, b.next, b.base = 1, 1, 1
	b.wFirst, b.wNext = 1, 1
	b.lastKey = math.MinInt64
	return b, nil
}

// plan splits limit bytes between the key table, the per-frame index and
// the arena so that the three together never exceed it. The index gets
// enough slots for an arena full of minimum-size Ethernet frames; the key
// table one entry per 2 KiB, at least 16.
func plan(limit int64) (slots, words, entries uint64) {
	entries = 16
	for entries*2 <= uint64(limit)/2048 && entries < 1<<20 {
		entries *= 2
	}
	rest := uint64(limit) - entries*entryBytes
	slots = rest / (planRecord + slotBytes)
	words = (rest - slots*slotBytes) / 8
	return slots, words, entries
}

// MaxFrame returns the largest frame length Append accepts.
func (b *Buffer) MaxFrame() int { return b.maxLen }

// Limit returns the buffer's byte limit.
func (b *Buffer) Limit() int64 { return b.limit }

// Append stores a copy of frame as the newest record and returns its frame
// number, evicting the oldest records as needed to stay within the limit.
// It fails only with a *FrameTooLargeError. Writer only.
//
// It does not allocate, and it never waits for readers.
func (b *Buffer) Append(m RecordMeta, frame []byte) (uint64, error) {
	if len(frame) > b.maxLen {
		return 0, &FrameTooLargeError{Len: len(frame), Max: b.maxLen}
	}
	b.begin()
	w := b.w
	r := uint64(hdrWords + (len(frame)+7)/8)
	var off uint64
	evicted := false
	for {
		var ok bool
		if off, ok = b.fit(r); ok {
			break
		}
		b.evictOldest()
		evicted = true
	}
	if evicted {
		// Publish the evictions before touching their space: a reader that
		// copied a record and then sees first still at or below it knows
		// the copy is intact.
		w.u64(&b.first, b.wFirst)
	}

	n := b.wNext
	slot := n % b.nslots
	flags := b.link(n, &m)

	orig := m.OrigLen
	if orig == 0 {
		orig = uint32(len(frame))
	}
	a := b.arena[off : off+r]
	w.u64(&a[0], n)
	w.u64(&a[1], uint64(m.Time))
	w.u64(&a[2], uint64(orig)|uint64(len(frame))<<32)
	w.u64(&a[3], uint64(m.Scope)|uint64(m.Instance)<<32)
	w.u64(&a[4], uint64(m.IfIndex)|uint64(m.MessageType)<<16|uint64(m.Version)<<24|
		uint64(m.Source)<<32|uint64(flags)<<40|uint64(m.Tags)<<48)
	w.words(a[hdrWords:], frame)

	key := max(m.Time, b.lastKey)
	b.lastKey = key
	w.u64(&b.keys[slot], uint64(key))
	w.u32(&b.offs[slot], uint32(off))

	b.tailOff = off + r
	if b.tailOff == uint64(len(b.arena)) {
		b.tailOff = 0
	}
	b.wNext = n + 1
	w.u64(&b.used, uint64(b.accounted()))
	w.u64(&b.next, n+1) // publish the record
	b.end()
	return n, nil
}

// words copies p into w eight bytes at a time, zero-padding the last word.
func (p pub) words(w []uint64, b []byte) {
	i := 0
	if p.plain {
		for ; i+8 <= len(b); i += 8 {
			w[i/8] = binary.LittleEndian.Uint64(b[i:])
		}
	} else {
		for ; i+8 <= len(b); i += 8 {
			atomic.StoreUint64(&w[i/8], binary.LittleEndian.Uint64(b[i:]))
		}
	}
	if i < len(b) {
		var last [8]byte
		copy(last[:], b[i:])
		p.u64(&w[i/8], binary.LittleEndian.Uint64(last[:]))
	}
}

// fit returns where a record of r words can go without evicting anything.
// It changes nothing. Records are contiguous: when the space before the arena's end is too
// short, the record starts over at word 0 and the skipped tail counts as in
// use until the oldest record moves past it.
func (b *Buffer) fit(r uint64) (uint64, bool) {
	held := b.wNext - b.wFirst
	if held == 0 {
		return 0, r <= uint64(len(b.arena)) // an empty arena starts at word 0
	}
	if held >= b.nslots {
		return 0, false
	}
	h, t := b.headOff, b.tailOff
	if t > h {
		if uint64(len(b.arena))-t >= r {
			return t, true
		}
		return 0, h >= r
	}
	// Wrapped (t < h), or full (t == h with records held).
	return t, h-t >= r
}

// evictOldest drops the oldest record from the writer's view. The caller
// publishes the new first frame once it has made enough room.
func (b *Buffer) evictOldest() {
	f := b.wFirst
	off := uint64(b.offs[f%b.nslots])
	b.unlink(f, b.arena[off:off+hdrWords])
	b.wFirst = f + 1
	if b.wFirst == b.wNext {
		b.headOff, b.tailOff = 0, 0
	} else {
		b.headOff = uint64(b.offs[b.wFirst%b.nslots])
	}
}

// tagValue returns the frame's value in dimension d.
func tagValue(m *RecordMeta, d int) uint32 {
	switch d {
	case dimScope:
		return m.Scope
	case dimType:
		return uint32(m.MessageType)
	default:
		return m.Instance
	}
}

// headerTag returns dimension d's value from a record header.
func headerTag(h []uint64, d int) uint32 {
	switch d {
	case dimScope:
		return uint32(h[3])
	case dimType:
		return uint32(h[4]>>16) & 0xff
	default:
		return uint32(h[3] >> 32)
	}
}

// link appends frame n to the chain of each of its tags and returns a bit
// per dimension whose chain was the overflow chain.
func (b *Buffer) link(n uint64, m *RecordMeta) (flags uint8) {
	w := b.w
	for d := range numDims {
		k := tagKey(d, tagValue(m, d))
		var e *keyEntry
		if i := b.tab.find(k); i >= 0 {
			e = &b.tab.ents[i]
		} else if b.tab.live < b.tab.maxLive {
			b.tab.insert(w, k, n)
			continue
		} else {
			// The table is full: the frame joins its dimension's overflow
			// chain, which queries for any value of d also walk.
			e = &b.ovf[d]
			flags |= 1 << d
			if e.head == 0 {
				w.u64(&e.tail, n)
				w.u64(&e.count, 1)
				w.u64(&e.head, n) // readers load head first
				continue
			}
		}
		t := e.tail
		// The link goes in before the new tail, so a reader that sees the
		// tail past t finds the link from t.
		w.u32(&b.links[d][t%b.nslots], uint32(n-t))
		w.u64(&e.tail, n)
		w.u64(&e.count, e.count+1)
	}
	return flags
}

// unlink removes frame f, the oldest held frame and hence the head of each
// of its chains, from those chains.
func (b *Buffer) unlink(f uint64, h []uint64) {
	w := b.w
	flags := uint8(h[4] >> 40)
	for d := range numDims {
		var e *keyEntry
		i := -1
		if flags&(1<<d) != 0 {
			e = &b.ovf[d]
		} else if i = b.tab.find(tagKey(d, headerTag(h, d))); i >= 0 {
			e = &b.tab.ents[i]
		} else {
			continue // cannot happen: every held frame is in a chain
		}
		if e.tail == f {
			if i >= 0 {
				b.tab.remove(w, i)
			} else {
				w.u64(&e.head, 0)
				w.u64(&e.tail, 0)
				w.u64(&e.count, 0)
			}
			continue
		}
		w.u64(&e.head, f+uint64(b.links[d][f%b.nslots]))
		w.u64(&e.count, e.count-1)
	}
}

// accounted returns the bytes in use: arena words from the oldest record
// to the free space (wrap gap included), index slots of held frames and
// live key table entries.
func (b *Buffer) accounted() int64 {
	held := b.wNext - b.wFirst
	if held == 0 {
		return int64(b.tab.live) * entryBytes
	}
	var words uint64
	if b.tailOff > b.headOff {
		words = b.tailOff - b.headOff
	} else {
		words = uint64(len(b.arena)) - b.headOff + b.tailOff
	}
	return int64(words*8+held*slotBytes) + int64(b.tab.live)*entryBytes
}

// Reset drops every record and zeroes the eviction count. Frame numbers
// keep counting up, so a number never names two different frames. Writer
// only: it must not run concurrently with Append.
func (b *Buffer) Reset() {
	b.begin()
	w := b.w
	w.u64(&b.gen, b.gen+1)
	n := b.wNext
	b.wFirst = n
	w.u64(&b.first, n)
	w.u64(&b.base, n)
	b.tab.reset(w)
	for d := range b.ovf {
		w.u64(&b.ovf[d].head, 0)
		w.u64(&b.ovf[d].tail, 0)
		w.u64(&b.ovf[d].count, 0)
	}
	b.headOff, b.tailOff = 0, 0
	b.lastKey = math.MinInt64
	w.u64(&b.used, 0)
	w.u64(&b.gen, b.gen+1)
	b.end()
}
