package ring

import (
	"runtime"
	"sync/atomic"
)

// Tag dimensions a Buffer keeps posting chains for.
const (
	dimScope = iota
	dimType
	dimInstance
	numDims
)

// tagKey packs a dimension and a tag value into one non-zero word, so the
// three dimensions share one table and 0 can mark an empty slot.
func tagKey(dim int, v uint32) uint64 { return uint64(dim+1)<<32 | uint64(v) }

// keyEntry is the state of one posting chain: the oldest and newest held
// frame carrying the tag, and how many held frames carry it. head is 0 when
// the chain is empty (frame numbers start at 1).
// Readers load the fields atomically; the writer stores through pub.
type keyEntry struct {
	key, head, tail, count uint64
}

// keyTable maps tag keys to chain states: open addressing with linear
// probing in a fixed array, so neither the writer nor a reader allocates.
//
// Only the Buffer's writer changes it. Filling an empty slot needs no
// coordination: the entry's fields are stored before its key, so a reader
// either misses the key or sees it complete. Deleting moves later entries
// back (no tombstones, so probe runs stay short forever); that is bracketed
// by seq, odd while entries move, and a reader whose lookup straddled a
// change of seq repeats it.
type keyTable struct {
	seq     atomic.Uint64
	ents    []keyEntry
	mask    uint64
	shift   uint8
	live    int // writer only
	maxLive int
}

func newKeyTable(size int) keyTable {
	shift := uint8(64)
	for n := size; n > 1; n >>= 1 {
		shift--
	}
	// Three quarters full keeps linear probe runs short and leaves empty
	// slots that end every probe, even in the middle of a deletion.
	return keyTable{ents: make([]keyEntry, size), mask: uint64(size - 1), shift: shift, maxLive: size * 3 / 4}
}

// home returns the slot a key hashes to (Fibonacci hashing: the key's
// bits are spread by a multiply and the top bits taken).
func (t *keyTable) home(k uint64) uint64 { return (k * 0x9e3779b97f4a7c15) >> t.shift }

// find returns the slot holding k, or -1. Writer only: readers use lookup.
func (t *keyTable) find(k uint64) int {
	for i := t.home(k); ; i = (i + 1) & t.mask {
		switch t.ents[i].key {
		case k:
			return int(i)
		case 0:
			return -1
		}
	}
}

// insert adds k with a chain holding only frame n. The caller has checked
// that k is absent and that live < maxLive.
func (t *keyTable) insert(w pub, k, n uint64) {
	i := t.home(k)
	for t.ents[i].key != 0 {
		i = (i + 1) & t.mask
	}
	e := &t.ents[i]
	w.u64(&e.head, n)
	w.u64(&e.tail, n)
	w.u64(&e.count, 1)
	w.u64(&e.key, k) // publish last
	t.live++
}

// remove deletes the entry in slot i and closes the gap by moving back
// the entries of the probe run behind it that may sit earlier (Knuth's
// algorithm R for linear probing).
func (t *keyTable) remove(w pub, i int) {
	t.seq.Add(1)
	hole := uint64(i)
	for j := (hole + 1) & t.mask; ; j = (j + 1) & t.mask {
		k := t.ents[j].key
		if k == 0 {
			break
		}
		h := t.home(k)
		// The entry at j may move to hole unless its home lies cyclically
		// in (hole, j]: then moving it before its home would hide it.
		if hole <= j {
			if hole < h && h <= j {
				continue
			}
		} else if hole < h || h <= j {
			continue
		}
		src, dst := &t.ents[j], &t.ents[hole]
		w.u64(&dst.head, src.head)
		w.u64(&dst.tail, src.tail)
		w.u64(&dst.count, src.count)
		w.u64(&dst.key, k)
		hole = j
	}
	w.u64(&t.ents[hole].key, 0)
	t.seq.Add(1)
	t.live--
}

// reset empties the table.
func (t *keyTable) reset(w pub) {
	t.seq.Add(1)
	for i := range t.ents {
		if t.ents[i].key != 0 {
			w.u64(&t.ents[i].key, 0)
		}
	}
	t.seq.Add(1)
	t.live = 0
}

// lookup returns the chain state of k for a reader: head, tail and count
// as they were at one instant, ok false when k has no entry. It never
// blocks the writer; it repeats when a deletion moved entries meanwhile.
func (t *keyTable) lookup(k uint64) (head, tail, count uint64, ok bool) {
	for spin := 0; ; spin++ {
		s := t.seq.Load()
		if s&1 == 0 {
			head, tail, count, ok = 0, 0, 0, false
			i := t.home(k)
			for range t.ents { // bounded: a torn view might lack an empty slot
				kk := atomic.LoadUint64(&t.ents[i].key)
				if kk == k {
					e := &t.ents[i]
					head, tail, count = atomic.LoadUint64(&e.head), atomic.LoadUint64(&e.tail), atomic.LoadUint64(&e.count)
					ok = true
					break
				}
				if kk == 0 {
					break
				}
				i = (i + 1) & t.mask
			}
			if t.seq.Load() == s {
				return head, tail, count, ok
			}
		}
		if spin >= 4 {
			runtime.Gosched()
		}
	}
}
