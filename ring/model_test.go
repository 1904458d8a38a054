package ring

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

// model is a slow, obviously correct reference for a Buffer: every held
// frame in a slice, searched by brute force. It drives a real Buffer in
// lock step and checks after every operation that the two agree and that
// the buffer's invariants hold.
type model struct {
	t       testing.TB
	b       *Buffer
	held    []refFrame // oldest first
	next    uint64
	lastKey int64
	evicted uint64

	// Coverage, so tests can insist the interesting paths ran.
	wraps     int // records placed at word 0 behind a wrap gap
	overflows int // appends that used an overflow chain
	rejected  int // frames refused as too large
	slotBound int // evictions caused by running out of index slots
}

type refFrame struct {
	n    uint64
	meta RecordMeta
	key  int64
	data []byte
}

func newModel(t testing.TB, limit int64) *model {
	b, err := NewBuffer(limit)
	if err != nil {
		t.Fatalf("NewBuffer(%d): %v", limit, err)
	}
	m := &model{t: t, b: b, next: 1, lastKey: math.MinInt64}
	// The three regions together stay within the limit: this is what makes
	// the accounted size unable to exceed it.
	total := int64(len(b.arena))*8 + int64(b.nslots)*slotBytes + int64(len(b.tab.ents))*entryBytes
	if total > limit {
		t.Fatalf("limit %d: arena+index+table = %d bytes", limit, total)
	}
	return m
}

func recordWords(n int) uint64 { return uint64(hdrWords + (n+7)/8) }

func (m *model) append(meta RecordMeta, data []byte) {
	m.t.Helper()
	b := m.b
	r := recordWords(len(data))
	_, fits := b.fit(r)
	slotFull := b.wNext-b.wFirst >= b.nslots
	prevTail := b.tailOff
	ovfBefore := b.ovf[0].count + b.ovf[1].count + b.ovf[2].count

	n, err := b.Append(meta, data)
	if len(data) > b.MaxFrame() {
		var tl *FrameTooLargeError
		if !errors.As(err, &tl) || tl.Len != len(data) || tl.Max != b.MaxFrame() {
			m.t.Fatalf("Append of %d bytes (max %d): err = %v", len(data), b.MaxFrame(), err)
		}
		m.rejected++
		m.check()
		return
	}
	if err != nil || n != m.next {
		m.t.Fatalf("Append = %d, %v; want frame %d", n, err, m.next)
	}
	m.next++
	if meta.OrigLen == 0 {
		meta.OrigLen = uint32(len(data))
	}
	m.lastKey = max(m.lastKey, meta.Time)
	m.held = append(m.held, refFrame{n: n, meta: meta, key: m.lastKey, data: bytes.Clone(data)})

	first := b.First()
	dropped := 0
	for len(m.held) > 0 && m.held[0].n < first {
		m.held = m.held[1:]
		dropped++
	}
	if fits && dropped > 0 {
		m.t.Fatalf("frame %d: evicted %d frames although a %d-word record fit", n, dropped, r)
	}
	if !fits && dropped == 0 {
		m.t.Fatalf("frame %d: record of %d words did not fit yet nothing was evicted", n, r)
	}
	m.evicted += uint64(dropped)
	if slotFull {
		m.slotBound++
	}
	if off := uint64(b.offs[n%b.nslots]); off == 0 && prevTail != 0 && len(m.held) > 1 {
		m.wraps++
	}
	if b.ovf[0].count+b.ovf[1].count+b.ovf[2].count > ovfBefore {
		m.overflows++
	}
	m.check()
}

func (m *model) reset() {
	m.b.Reset()
	m.held = m.held[:0]
	m.lastKey = math.MinInt64
	m.evicted = 0
	m.check()
}

// check compares the buffer's figures with the model's and recomputes the
// accounted size from the records themselves.
func (m *model) check() {
	m.t.Helper()
	b := m.b
	s := b.Stats()
	if s.Bytes > s.Limit || s.Limit != b.limit {
		m.t.Fatalf("Stats.Bytes %d exceeds limit %d", s.Bytes, s.Limit)
	}
	if s.Bytes != b.accounted() {
		m.t.Fatalf("Stats.Bytes %d, accounted %d", s.Bytes, b.accounted())
	}
	if s.Frames != uint64(len(m.held)) || s.Evicted != m.evicted {
		m.t.Fatalf("Stats %+v; model holds %d frames, evicted %d", s, len(m.held), m.evicted)
	}
	// Arena bytes in use are the held records plus at most one wrap gap,
	// which is shorter than the record that did not fit.
	var recs uint64
	for _, f := range m.held {
		recs += recordWords(len(f.data)) * 8
	}
	arena := uint64(s.Bytes) - s.Frames*slotBytes - uint64(b.tab.live)*entryBytes
	if arena < recs || arena >= recs+uint64(b.maxLen)+hdrWords*8+8 {
		m.t.Fatalf("arena in use %d bytes for %d bytes of records", arena, recs)
	}
	if len(m.held) == 0 {
		if s.First != 0 || s.Last != 0 || b.First() != 0 || b.Last() != 0 || arena != 0 {
			m.t.Fatalf("empty buffer: %+v First %d Last %d", s, b.First(), b.Last())
		}
		return
	}
	oldest, newest := m.held[0], m.held[len(m.held)-1]
	if s.First != oldest.n || s.Last != newest.n || b.First() != oldest.n || b.Last() != newest.n {
		m.t.Fatalf("Stats %+v First %d Last %d; model holds %d..%d", s, b.First(), b.Last(), oldest.n, newest.n)
	}
	if s.Oldest != oldest.key || s.Newest != newest.key {
		m.t.Fatalf("Stats times %d..%d, want %d..%d", s.Oldest, s.Newest, oldest.key, newest.key)
	}
}

// checkGet compares Get for held frames and for numbers outside the held
// range.
func (m *model) checkGet(r *Record, n uint64) {
	m.t.Helper()
	ok := m.b.Get(n, r)
	f, held := m.find(n)
	if ok != held {
		m.t.Fatalf("Get(%d) = %v, model holds it: %v (held %d..%d)", n, ok, held, m.b.First(), m.b.Last())
	}
	if ok {
		m.same(r, f)
	}
}

func (m *model) find(n uint64) (refFrame, bool) {
	if len(m.held) == 0 || n < m.held[0].n || n > m.held[len(m.held)-1].n {
		return refFrame{}, false
	}
	return m.held[n-m.held[0].n], true
}

func (m *model) same(r *Record, f refFrame) {
	m.t.Helper()
	if r.Frame != f.n || r.RecordMeta != f.meta || !bytes.Equal(r.Data, f.data) {
		m.t.Fatalf("record %d: got %+v (%d bytes), want %+v (%d bytes)", f.n, r.RecordMeta, len(r.Data), f.meta, len(f.data))
	}
}

// query is the brute-force Scan.
func (m *model) query(q Query) []uint64 {
	var out []uint64
	for _, f := range m.held {
		switch {
		case f.n <= q.AfterFrame,
			q.From != 0 && f.key < q.From,
			q.To != 0 && f.key > q.To,
			q.HasScope && f.meta.Scope != q.Scope,
			q.HasMessageType && f.meta.MessageType != q.MessageType,
			q.HasInstance && f.meta.Instance != q.Instance:
			continue
		}
		out = append(out, f.n)
		if q.Limit > 0 && len(out) == q.Limit {
			break
		}
	}
	return out
}

func (m *model) checkScan(q Query) {
	m.t.Helper()
	want := m.query(q)
	var got []uint64
	m.b.Scan(q, func(r *Record) bool {
		f, ok := m.find(r.Frame)
		if !ok {
			m.t.Fatalf("Scan %+v visited frame %d, which is not held", q, r.Frame)
		}
		m.same(r, f)
		got = append(got, r.Frame)
		return true
	})
	if !equalFrames(got, want) {
		m.t.Fatalf("Scan %+v:\n got %v\nwant %v", q, got, want)
	}
	// Stopping early from fn visits a prefix.
	if len(want) > 1 {
		stop := len(want) / 2
		got = got[:0]
		m.b.Scan(q, func(r *Record) bool {
			got = append(got, r.Frame)
			return len(got) < stop
		})
		if !equalFrames(got, want[:stop]) {
			m.t.Fatalf("Scan %+v stopped after %d: got %v", q, stop, got)
		}
	}
}

func (m *model) checkSearch(t int64) {
	m.t.Helper()
	var want uint64
	for _, f := range m.held {
		if f.key >= t {
			want = f.n
			break
		}
	}
	got, ok := m.b.Search(t)
	if ok != (want != 0) || (ok && got != want) {
		m.t.Fatalf("Search(%d) = %d, %v; want %d", t, got, ok, want)
	}
}

// checkChains verifies the posting chains against the held frames: per
// dimension, the table chains and the overflow chain partition the held
// frames, each in frame order with the right tag, and the counts agree.
func (m *model) checkChains() {
	m.t.Helper()
	b := m.b
	for d := range numDims {
		seen := make(map[uint64]bool)
		walk := func(e *keyEntry, value uint32, overflow bool) {
			head, tail, count := e.head, e.tail, e.count
			var c uint64
			prev := uint64(0)
			for n := head; ; {
				f, ok := m.find(n)
				if !ok || n <= prev {
					m.t.Fatalf("dim %d chain %d: frame %d not held or out of order", d, value, n)
				}
				if !overflow && tagValue(&f.meta, d) != value {
					m.t.Fatalf("dim %d chain %d holds frame %d tagged %d", d, value, n, tagValue(&f.meta, d))
				}
				seen[n] = true
				c++
				if n == tail {
					break
				}
				prev, n = n, n+uint64(b.links[d][n%b.nslots])
			}
			if c != count {
				m.t.Fatalf("dim %d chain %d: %d frames, count says %d", d, value, c, count)
			}
		}
		for i := range b.tab.ents {
			e := &b.tab.ents[i]
			if k := e.key; k>>32 == uint64(d+1) {
				walk(e, uint32(k), false)
			}
		}
		if b.ovf[d].head != 0 {
			walk(&b.ovf[d], 0, true)
		}
		if len(seen) != len(m.held) {
			m.t.Fatalf("dim %d: chains hold %d frames, buffer %d", d, len(seen), len(m.held))
		}
	}
	live := 0
	for i := range b.tab.ents {
		if b.tab.ents[i].key != 0 {
			live++
		}
	}
	if live != b.tab.live || live > b.tab.maxLive {
		m.t.Fatalf("key table: %d entries, live says %d, max %d", live, b.tab.live, b.tab.maxLive)
	}
}

func equalFrames(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
