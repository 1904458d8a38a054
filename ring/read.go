package ring

import (
	"encoding/binary"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// The reader side. Readers store to nothing the writer uses except the
// reader count, so any number of them run beside the writer without
// holding it up. A reader copies what it needs and then checks, by
// reloading first, that the frame was not evicted meanwhile: the writer
// publishes an eviction before it reuses the space, and while a reader is
// inside every shared word is stored and loaded atomically, so a copy that
// passes the check is exactly what was appended.

// enter counts a reader in. If an Append is storing plainly because it saw
// no reader (see Buffer.begin), enter waits for it to finish; the next
// Append sees the reader and stores atomically, so the wait is at most one
// Append, unless the writer is descheduled in the middle of it.
func (b *Buffer) enter() {
	b.readers.Add(1)
	for spin := 0; b.writing.Load() != 0; spin++ {
		if spin >= 16 {
			runtime.Gosched()
		}
	}
}

// leave counts a reader out. After it, the writer may store plainly again.
func (b *Buffer) leave() { b.readers.Add(-1) }

// First returns the number of the oldest held frame, or 0 when the buffer
// is empty.
func (b *Buffer) First() uint64 {
	b.enter()
	defer b.leave()
	f := atomic.LoadUint64(&b.first)
	if f >= atomic.LoadUint64(&b.next) {
		return 0
	}
	return f
}

// Last returns the number of the newest held frame, or 0 when the buffer
// is empty.
func (b *Buffer) Last() uint64 {
	b.enter()
	defer b.leave()
	f := atomic.LoadUint64(&b.first)
	n := atomic.LoadUint64(&b.next)
	if f >= n {
		return 0
	}
	return n - 1
}

// Get copies frame n into dst and reports whether the buffer held it; when
// it did not, dst's contents are unspecified. dst.Data is reused when its
// capacity suffices, so a reader that keeps one Record for its lookups does
// not allocate. O(1).
func (b *Buffer) Get(n uint64, dst *Record) bool {
	b.enter()
	defer b.leave()
	if n == 0 || n >= atomic.LoadUint64(&b.next) || n < atomic.LoadUint64(&b.first) {
		return false
	}
	var h [hdrWords]uint64
	off, ok := b.loadHeader(n, &h)
	return ok && b.loadRecord(n, off, &h, dst)
}

// loadHeader copies frame n's header. ok is false when the slot or the
// record no longer belongs to n (the frame was evicted while we looked).
// n must have been published.
func (b *Buffer) loadHeader(n uint64, h *[hdrWords]uint64) (off uint64, ok bool) {
	off = uint64(atomic.LoadUint32(&b.offs[n%b.nslots]))
	if off+hdrWords > uint64(len(b.arena)) {
		return 0, false
	}
	for i := range h {
		h[i] = atomic.LoadUint64(&b.arena[off+uint64(i)])
	}
	return off, h[0] == n
}

// loadRecord finishes a read begun by loadHeader: it copies the frame bytes
// into dst, then validates that n is still held, and only then fills the
// rest of dst.
func (b *Buffer) loadRecord(n, off uint64, h *[hdrWords]uint64, dst *Record) bool {
	capLen := h[2] >> 32
	start := off + hdrWords
	if start+(capLen+7)/8 > uint64(len(b.arena)) {
		return false // torn header: the record was being overwritten
	}
	if uint64(cap(dst.Data)) < capLen {
		dst.Data = make([]byte, capLen, max(capLen, 256))
	}
	dst.Data = dst.Data[:capLen]
	loadWords(dst.Data, b.arena[start:])
	if atomic.LoadUint64(&b.first) > n {
		return false
	}
	dst.Frame = n
	dst.RecordMeta = decodeMeta(h)
	return true
}

func decodeMeta(h *[hdrWords]uint64) RecordMeta {
	return RecordMeta{
		Time:        int64(h[1]),
		OrigLen:     uint32(h[2]),
		Scope:       uint32(h[3]),
		Instance:    uint32(h[3] >> 32),
		IfIndex:     uint16(h[4]),
		MessageType: uint8(h[4] >> 16),
		Version:     uint8(h[4] >> 24),
		Source:      TimestampSource(h[4] >> 32),
		Tags:        uint16(h[4] >> 48),
	}
}

// loadWords fills p from w, the mirror of pub.words.
func loadWords(p []byte, w []uint64) {
	i := 0
	for ; i+8 <= len(p); i += 8 {
		binary.LittleEndian.PutUint64(p[i:], atomic.LoadUint64(&w[i/8]))
	}
	if i < len(p) {
		var last [8]byte
		binary.LittleEndian.PutUint64(last[:], atomic.LoadUint64(&w[i/8]))
		copy(p[i:], last[:])
	}
}

// lowerBound returns the first frame in [lo, hi] whose index time is at
// least t, or hi+1. The caller validates the result (see span).
func (b *Buffer) lowerBound(t int64, lo, hi uint64) uint64 {
	for lo <= hi {
		mid := lo + (hi-lo)/2
		if int64(atomic.LoadUint64(&b.keys[mid%b.nslots])) < t {
			lo = mid + 1
		} else {
			hi = mid - 1 // mid >= 1 since frame numbers start at 1
		}
	}
	return lo
}

// span returns the frames [lo, hi] held now whose index time lies in
// [from, to] and whose number exceeds after. ok is false when there are
// none.
//
// The binary searches read index keys the writer may be overwriting. A key
// is rewritten only when its slot passes to frame n+nslots, so a search was
// sound if next did not move beyond first+nslots meanwhile and no Reset ran;
// otherwise it is repeated.
func (b *Buffer) span(from, to int64, after uint64) (lo, hi uint64, ok bool) {
	if from > to {
		return 0, 0, false
	}
	for spin := 0; ; spin++ {
		g := atomic.LoadUint64(&b.gen)
		if g&1 == 0 {
			f := atomic.LoadUint64(&b.first)
			n := atomic.LoadUint64(&b.next)
			if f >= n || after >= n-1 {
				return 0, 0, false
			}
			lo, hi = max(f, after+1), n-1
			if from != math.MinInt64 {
				lo = max(lo, b.lowerBound(from, f, n-1))
			}
			if to != math.MaxInt64 {
				hi = min(hi, b.lowerBound(to+1, f, n-1)-1)
			}
			if atomic.LoadUint64(&b.gen) == g && atomic.LoadUint64(&b.next) <= f+b.nslots {
				return lo, hi, lo <= hi
			}
		}
		if spin >= 4 {
			runtime.Gosched()
		}
	}
}

// Search returns the oldest held frame whose index time is at least t (see
// the package doc, "Time order"), and false when there is none.
func (b *Buffer) Search(t int64) (uint64, bool) {
	b.enter()
	defer b.leave()
	lo, _, ok := b.span(t, math.MaxInt64, 0)
	return lo, ok
}

// Query selects frames for Scan. All set conditions must hold.
type Query struct {
	// From and To bound the index time, inclusive; 0 leaves that end open.
	From, To int64
	// Scope, MessageType and Instance match the record's tag of the same
	// name when the matching Has field is set.
	Scope          uint32
	HasScope       bool
	MessageType    uint8
	HasMessageType bool
	Instance       uint32
	HasInstance    bool
	// AfterFrame skips frames numbered AfterFrame or lower: pass the last
	// frame of one page to get the next.
	AfterFrame uint64
	// Limit stops the scan after that many matches; 0 means no limit.
	Limit int
}

func (q *Query) has(d int) bool {
	switch d {
	case dimScope:
		return q.HasScope
	case dimType:
		return q.HasMessageType
	default:
		return q.HasInstance
	}
}

func (q *Query) value(d int) uint32 {
	switch d {
	case dimScope:
		return q.Scope
	case dimType:
		return uint32(q.MessageType)
	default:
		return q.Instance
	}
}

// matches reports whether header h satisfies the tag conditions of q.
func (q *Query) matches(h *[hdrWords]uint64) bool {
	for d := range numDims {
		if q.has(d) && headerTag(h[:], d) != q.value(d) {
			return false
		}
	}
	return true
}

var recordPool = sync.Pool{New: func() any { return &Record{Data: make([]byte, 0, 2048)} }}

// Scan calls fn for each held frame matching q, in increasing frame order,
// until fn returns false or q.Limit frames were visited. fn gets a copy
// that is valid only during the call; it may call any Buffer method except
// those reserved to the writer.
//
// Scan considers the frames held when it starts: frames appended later are
// not visited, frames evicted before Scan reaches them are skipped.
//
// Cost: a binary search over the time index, then either the frames of the
// time range or the posting chain of the rarest requested tag, whichever
// promises fewer steps (see the package doc, "Searching"), plus a copy of
// each match. The writer never waits for a Scan, but takes its slower
// atomic path while one runs, so fn should be quick: copy what slow work
// needs and return.
func (b *Buffer) Scan(q Query, fn func(r *Record) bool) {
	b.enter()
	defer b.leave()
	from, to := q.From, q.To
	if from == 0 {
		from = math.MinInt64
	}
	if to == 0 {
		to = math.MaxInt64
	}
	lo, hi, ok := b.span(from, to, q.AfterFrame)
	if !ok {
		return
	}
	// The rarest requested tag, counting its dimension's overflow chain,
	// which a walk must merge in.
	best, count := -1, uint64(math.MaxUint64)
	for d := range numDims {
		if !q.has(d) {
			continue
		}
		_, _, c, _ := b.tab.lookup(tagKey(d, q.value(d)))
		c += atomic.LoadUint64(&b.ovf[d].count)
		if c == 0 {
			return
		}
		if c < count {
			best, count = d, c
		}
	}
	r := recordPool.Get().(*Record)
	defer recordPool.Put(r)
	v := visitor{b: b, q: q, fn: fn, r: r}
	// The chain holds about its share of the range, and a chain step costs
	// about two range steps (a link, then a header elsewhere in the arena):
	// walk it when it holds less than half of the frames.
	if held := atomic.LoadUint64(&b.next) - atomic.LoadUint64(&b.first); best >= 0 && 2*count < held {
		v.scanChains(best, lo, hi)
	} else {
		v.scanRange(lo, hi)
	}
}

// visitor carries one Scan's state.
type visitor struct {
	b     *Buffer
	q     Query
	fn    func(*Record) bool
	r     *Record
	count int
}

// visit reads frame n and, if it matches, hands it to fn. It returns
// evicted when n is gone, and stop when the scan is over.
func (v *visitor) visit(n uint64) (evicted, stop bool) {
	var h [hdrWords]uint64
	off, ok := v.b.loadHeader(n, &h)
	if !ok {
		return true, false // the slot has moved on: n was evicted
	}
	if !v.q.matches(&h) {
		// A header torn by eviction may fail to match, but then the frame
		// is gone and skipping it is right.
		return false, false
	}
	if !v.b.loadRecord(n, off, &h, v.r) {
		return true, false
	}
	if !v.fn(v.r) {
		return false, true
	}
	v.count++
	return false, v.q.Limit > 0 && v.count >= v.q.Limit
}

func (v *visitor) scanRange(lo, hi uint64) {
	for n := lo; n <= hi; {
		if f := atomic.LoadUint64(&v.b.first); n < f {
			n = f
			continue
		}
		evicted, stop := v.visit(n)
		if stop {
			return
		}
		if evicted && atomic.LoadUint64(&v.b.first) > n {
			continue // jump to the new oldest frame
		}
		n++
	}
}

// scanChains walks the chain of the query's tag in dimension d merged with
// d's overflow chain; both are in frame order.
func (v *visitor) scanChains(d int, lo, hi uint64) {
	val := v.q.value(d)
	ws := [2]walker{
		{b: v.b, d: d, k: tagKey(d, val), v: val},
		{b: v.b, d: d},
	}
	for i := range ws {
		ws[i].start(lo, hi)
	}
	for {
		w := &ws[0]
		if ws[1].cur != 0 && (w.cur == 0 || ws[1].cur < w.cur) {
			w = &ws[1]
		}
		n := w.cur
		if n == 0 || n > hi {
			return
		}
		evicted, stop := v.visit(n)
		if stop {
			return
		}
		if evicted {
			w.seek(n + 1)
			continue
		}
		if !w.advance() {
			w.seek(n + 1)
		}
	}
}

// walker follows one posting chain: the table chain of key k (tag value v
// in dimension d), or d's overflow chain when k is 0. cur is the current
// frame, 0 at the end.
type walker struct {
	b    *Buffer
	d    int
	k    uint64
	v    uint32
	cur  uint64
	tail uint64 // the chain's tail when last looked up; links up to it are set
}

func (w *walker) state() (head, tail, count uint64) {
	if w.k != 0 {
		head, tail, count, _ = w.b.tab.lookup(w.k)
		return head, tail, count
	}
	e := &w.b.ovf[w.d]
	head = atomic.LoadUint64(&e.head) // stored after tail when a chain starts
	return head, atomic.LoadUint64(&e.tail), atomic.LoadUint64(&e.count)
}

// owns reports whether a frame with header h belongs to the walker's chain.
func (w *walker) owns(h *[hdrWords]uint64) bool {
	overflow := uint8(h[4]>>40)&(1<<w.d) != 0
	if w.k == 0 {
		return overflow
	}
	return !overflow && headerTag(h[:], w.d) == w.v
}

// start positions the walker on its chain's first frame at or after lo.
// Following links from the head costs a step per chain frame before lo;
// when that looks dearer than reading headers forward from lo until one
// belongs to the chain (the average gap between its frames), it probes,
// with a budget, and falls back to the links.
func (w *walker) start(lo, hi uint64) {
	head, tail, count := w.state()
	if head == 0 || head >= lo || count == 0 || tail < head {
		w.seek(lo)
		return
	}
	width := tail - head + 1
	skip := uint64(float64(count) * float64(lo-head) / float64(width))
	gap := width / count
	if skip < 16 || gap >= skip {
		w.seek(lo)
		return
	}
	end := min(hi, lo+2*skip)
	var h [hdrWords]uint64
	for n := lo; n <= end; n++ {
		if _, ok := w.b.loadHeader(n, &h); !ok || atomic.LoadUint64(&w.b.first) > n {
			break // evicted under us: let seek sort it out
		}
		if w.owns(&h) {
			w.cur = n
			_, w.tail, _ = w.state()
			return
		}
		if n == hi {
			w.cur = 0 // no frame of the chain in [lo, hi]
			return
		}
	}
	w.seek(lo)
}

// seek positions the walker on the first frame of its chain at or after
// floor, following links from the chain's current head.
func (w *walker) seek(floor uint64) {
	for {
		w.cur, w.tail, _ = w.state()
		for w.cur != 0 && w.cur < floor {
			if !w.advance() {
				break
			}
		}
		if w.cur == 0 || w.cur >= floor {
			return
		}
		// advance found the current frame evicted: start from the new head
	}
}

// advance moves to the next frame of the chain. It returns false when the
// current frame was evicted, so its link can no longer be trusted.
func (w *walker) advance() bool {
	n := w.cur
	if n >= w.tail {
		_, t, _ := w.state()
		if t <= n {
			w.cur = 0 // end of the chain as of now
			return true
		}
		w.tail = t
	}
	d := atomic.LoadUint32(&w.b.links[w.d][n%w.b.nslots])
	if atomic.LoadUint64(&w.b.first) > n || d == 0 {
		return false
	}
	w.cur = n + uint64(d)
	return true
}

// Stats describes a Buffer at one moment.
type Stats struct {
	Frames  uint64 // frames held
	Bytes   int64  // accounted bytes in use; never above Limit
	Limit   int64  // the configured limit
	Evicted uint64 // frames evicted to make room since creation or Reset
	First   uint64 // oldest held frame number, 0 when empty
	Last    uint64 // newest held frame number, 0 when empty
	Oldest  int64  // index time of First, 0 when empty
	Newest  int64  // index time of Last, 0 when empty
}

// Stats returns the buffer's figures. The fields are read without stopping
// the writer, so Bytes may be from one Append earlier or later than Frames.
func (b *Buffer) Stats() Stats {
	b.enter()
	defer b.leave()
	for spin := 0; ; spin++ {
		g := atomic.LoadUint64(&b.gen)
		if g&1 == 0 {
			f := atomic.LoadUint64(&b.first)
			n := atomic.LoadUint64(&b.next)
			s := Stats{Limit: b.limit, Bytes: int64(atomic.LoadUint64(&b.used)), Evicted: f - atomic.LoadUint64(&b.base)}
			if f < n {
				s.Frames, s.First, s.Last = n-f, f, n-1
				s.Oldest = int64(atomic.LoadUint64(&b.keys[f%b.nslots]))
				s.Newest = int64(atomic.LoadUint64(&b.keys[(n-1)%b.nslots]))
			}
			if atomic.LoadUint64(&b.gen) == g && atomic.LoadUint64(&b.next) <= f+b.nslots {
				return s
			}
		}
		if spin >= 4 {
			runtime.Gosched()
		}
	}
}
