package dashcam

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"github.com/ptpwatch/ptpwatch/state/store"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// Delivery marks (see the package doc, "Marks"): with a frame source that
// numbers its frames per origin (source.Marked: a collector's probe sites),
// the recorder stores, in the same batch as the frames, how far it got
// with each origin, and tells the source once that is durable.

// markPrefix starts the Meta name of an origin's mark.
const markPrefix = "mark/"

// markKey returns the key of origin's mark.
func markKey(origin string) []byte { return store.Meta.Name(markPrefix + origin) }

// Marks returns the delivery mark stored for each origin: the last frame
// of it that the recorder stored (or passed over, not needing it).
func (s *Store) Marks() (map[string]source.Mark, error) {
	lo, hi := markKey(""), store.Meta.Name("mark0") // '0' follows '/'

	it, err := s.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, err
	}
	out := map[string]source.Mark{}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return nil, s.ReadErr(err)
		}
		if len(v) != 16 {
			it.Close()
			return nil, fmt.Errorf("dashcam: mark %q: %d bytes, want 16", it.Key()[len(lo):], len(v))
		}
		out[string(it.Key()[len(lo):])] = source.Mark{Run: binary.BigEndian.Uint64(v), Frame: binary.BigEndian.Uint64(v[8:])}
	}
	return out, it.Close()
}

// markSlot is the consumer's bookkeeping of one origin's mark.
type markSlot struct {
	name    string
	key     []byte
	cur     source.Mark // of the last entry taken
	written source.Mark // in the store (maybe not yet synced)
	pending source.Mark // in the batch being committed
	told    source.Mark // reported to the source as durable
	has     bool        // cur is set
}

// markSnap is an origin's mark in a chunk's snapshot.
type markSnap struct {
	m   source.Mark
	has bool
}

// markState is a Recorder's delivery-mark bookkeeping.
type markState struct {
	src source.Marked // nil: the source has no marks

	// Producer side (the goroutine calling OnStored).
	index    map[string]uint32 // origin → index + 1
	lastName string
	lastIdx  uint32

	mu    sync.Mutex // origins registered, producer to consumer
	names []string

	// Consumer side (Run's goroutine).
	slots []markSlot
	val   [16]byte
}

// UseMarks makes the recorder store delivery marks when src numbers its
// frames (source.Marked, such as a collector): it reads the marks stored
// last, hands them to src (Resume) so that frames already stored are not
// delivered again, and from then on stores the mark of every frame the
// pipeline passes (stored or not) in the same batch as what it stores,
// telling src (Stored) once the batch is synced. Sources without marks
// are left alone. Call it before Run and before frames flow.
func (r *Recorder) UseMarks(src source.Source) error {
	m, ok := src.(source.Marked)
	if !ok {
		return nil
	}
	saved, err := r.s.Marks()
	if err != nil {
		return fmt.Errorf("dashcam: reading delivery marks: %w", err)
	}
	ms := &r.marks
	ms.index = map[string]uint32{}
	for _, name := range slices.Sorted(maps.Keys(saved)) {
		ms.names = append(ms.names, name)
		ms.index[name] = uint32(len(ms.names))
		mk := saved[name]
		ms.slots = append(ms.slots, markSlot{name: name, key: markKey(name), cur: mk, written: mk, pending: mk, told: mk, has: true})
	}
	ms.src = m
	return m.Resume(saved)
}

// originOf returns the index + 1 of origin, registering it the first time
// (which allocates). Producer only.
func (ms *markState) originOf(origin string) uint32 {
	if origin == ms.lastName && ms.lastIdx != 0 {
		return ms.lastIdx
	}
	idx, ok := ms.index[origin]
	if !ok {
		ms.mu.Lock()
		ms.names = append(ms.names, origin)
		idx = uint32(len(ms.names))
		ms.mu.Unlock()
		ms.index[origin] = idx
	}
	ms.lastName, ms.lastIdx = origin, idx
	return idx
}

// slot returns the consumer's slot of origin index + 1, learning origins
// the producer registered since. Consumer only.
func (ms *markState) slot(origin uint32) *markSlot {
	if int(origin) > len(ms.slots) {
		ms.mu.Lock()
		for i := len(ms.slots); i < len(ms.names); i++ {
			ms.slots = append(ms.slots, markSlot{name: ms.names[i], key: markKey(ms.names[i])})
		}
		ms.mu.Unlock()
	}
	return &ms.slots[origin-1]
}

// snapshot records in c (the archive's chunk) the marks as they stand
// before c's first frame: until c is in the batch, no mark past them may
// be stored. Consumer only; it allocates only when origins were added.
func (ms *markState) snapshot(c *chunk) {
	if ms.src == nil {
		return
	}
	c.marks = c.marks[:0]
	for i := range ms.slots {
		c.marks = append(c.marks, markSnap{ms.slots[i].cur, ms.slots[i].has})
	}
}

// put adds to b the marks of the frames the archive holds once b is
// written: those before the first frame of arc, the archive's chunk not
// yet in the batch, or of every frame taken when arc is empty. Marks so
// follow the archive exactly. An incident's frames not yet in the batch
// do not hold them back: an incident that a crash interrupts holds a
// prefix of its window and says so, and frames delivered again after the
// restart would not join it. Consumer only.
func (ms *markState) put(b *pebble.Batch, arc *chunk) {
	if ms.src == nil {
		return
	}
	var oldest *chunk
	if !arc.empty() {
		oldest = arc
	}
	for i := range ms.slots {
		sl := &ms.slots[i]
		m, ok := sl.cur, sl.has
		if oldest != nil {
			ok = i < len(oldest.marks) && oldest.marks[i].has
			if ok {
				m = oldest.marks[i].m
			}
		}
		if !ok || m == sl.written {
			sl.pending = sl.written
			continue
		}
		sl.pending = m
		binary.BigEndian.PutUint64(ms.val[:], m.Run)
		binary.BigEndian.PutUint64(ms.val[8:], m.Frame)
		_ = b.Set(sl.key, ms.val[:], nil)
	}
}

// written notes that the batch put filled was written.
func (ms *markState) written() {
	for i := range ms.slots {
		ms.slots[i].written = ms.slots[i].pending
	}
}

// synced tells the source of every mark written that is now durable.
func (ms *markState) synced() {
	if ms.src == nil {
		return
	}
	for i := range ms.slots {
		sl := &ms.slots[i]
		if sl.written != sl.told {
			sl.told = sl.written
			ms.src.Stored(sl.name, sl.written)
		}
	}
}
