package ring

import (
	"errors"
	"reflect"
	"sync/atomic"
)

// padBytes separates the producer's and the consumer's fields. 64 bytes is a
// cache line on the x86-64 and arm64 parts we run on; 128 also keeps the
// adjacent-line prefetcher of Intel cores from pairing the two lines again.
const padBytes = 128

// ErrCapacity is returned by NewSPSC when the capacity is not a power of two.
var ErrCapacity = errors.New("ring: capacity must be a power of two")

// SPSC is a bounded, lock-free queue for exactly one producer goroutine and
// exactly one consumer goroutine, the hand-off between a capture queue and
// its decode worker.
//
// The producer may call Push and PushBatch; the consumer may call Pop and
// PopBatch; either side, and any other goroutine, may call Len and Cap.
// Two producers or two consumers at once corrupt the queue.
//
// Every operation is wait-free, does not allocate, and touches only the
// caller's own cache line plus the other side's index when its cached copy
// says the queue looks full (producer) or empty (consumer).
type SPSC[T any] struct {
	_ [padBytes]byte

	// Read-only after NewSPSC; shared by both sides without contention.
	buf   []T
	mask  uint64
	clear bool // slots hold pointers: zero them on pop so the GC can reclaim
	_     [padBytes - 8*3 - 8]byte

	// Consumer line. head counts items ever popped; only the consumer
	// stores it. tailSeen is the consumer's last look at tail: while it is
	// ahead of head the consumer needs no access to the producer's line.
	head     atomic.Uint64
	tailSeen uint64
	_        [padBytes - 16]byte

	// Producer line, the mirror image of the consumer line.
	tail     atomic.Uint64
	headSeen uint64
	_        [padBytes - 16]byte
}

// NewSPSC returns an empty queue holding up to capacity items. The capacity
// must be a power of two (1, 2, 4, ...) so that an index maps to a slot with
// a mask instead of a division.
func NewSPSC[T any](capacity int) (*SPSC[T], error) {
	if capacity <= 0 || capacity&(capacity-1) != 0 {
		return nil, ErrCapacity
	}
	return &SPSC[T]{
		buf:   make([]T, capacity),
		mask:  uint64(capacity - 1),
		clear: hasPointers(reflect.TypeFor[T]()),
	}, nil
}

// Cap returns the number of items the queue can hold.
func (q *SPSC[T]) Cap() int { return len(q.buf) }

// Len returns the number of items in the queue at some instant during the
// call. Only the consumer sees a value that cannot shrink behind its back,
// and only the producer one that cannot grow.
func (q *SPSC[T]) Len() int {
	// Loading head before tail makes the difference non-negative: tail never
	// falls behind a head value that was current earlier.
	h := q.head.Load()
	t := q.tail.Load()
	n := t - h
	if n > uint64(len(q.buf)) {
		n = uint64(len(q.buf)) // head moved on between the loads
	}
	return int(n)
}

// Push appends v and reports whether there was room. Producer only.
func (q *SPSC[T]) Push(v T) bool {
	t := q.tail.Load()
	if t-q.headSeen >= uint64(len(q.buf)) {
		q.headSeen = q.head.Load()
		if t-q.headSeen >= uint64(len(q.buf)) {
			return false
		}
	}
	q.buf[t&q.mask] = v
	q.tail.Store(t + 1) // release: the slot write is visible before the index
	return true
}

// PushBatch appends as many leading items as fit and returns how many it
// took. One index store publishes the whole batch. Producer only.
func (q *SPSC[T]) PushBatch(items []T) int {
	t := q.tail.Load()
	size := uint64(len(q.buf))
	free := size - (t - q.headSeen)
	if free < uint64(len(items)) {
		q.headSeen = q.head.Load()
		free = size - (t - q.headSeen)
	}
	n := min(free, uint64(len(items)))
	if n == 0 {
		return 0
	}
	// The run may wrap at the end of buf: copy it in at most two pieces.
	i := t & q.mask
	c := copy(q.buf[i:], items[:n])
	copy(q.buf, items[c:n])
	q.tail.Store(t + n)
	return int(n)
}

// Pop removes the oldest item. ok is false when the queue is empty.
// Consumer only.
func (q *SPSC[T]) Pop() (v T, ok bool) {
	h := q.head.Load()
	if h == q.tailSeen {
		q.tailSeen = q.tail.Load()
		if h == q.tailSeen {
			return v, false
		}
	}
	i := h & q.mask
	v = q.buf[i]
	if q.clear {
		var zero T
		q.buf[i] = zero
	}
	q.head.Store(h + 1) // release: the slot read is done before the producer may reuse it
	return v, true
}

// PopBatch moves up to len(out) of the oldest items into out and returns
// how many it moved. Consumer only.
func (q *SPSC[T]) PopBatch(out []T) int {
	h := q.head.Load()
	avail := q.tailSeen - h
	if avail < uint64(len(out)) {
		q.tailSeen = q.tail.Load()
		avail = q.tailSeen - h
	}
	n := min(avail, uint64(len(out)))
	if n == 0 {
		return 0
	}
	i := h & q.mask
	c := copy(out[:n], q.buf[i:])
	copy(out[c:n], q.buf)
	if q.clear {
		e := min(i+n, uint64(len(q.buf)))
		clear(q.buf[i:e])
		clear(q.buf[:n-(e-i)])
	}
	q.head.Store(h + n)
	return int(n)
}

// hasPointers reports whether values of type t can refer to heap memory.
// Only NewSPSC calls it, once per queue.
func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return false
	case reflect.Array:
		return t.Len() > 0 && hasPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
		return false
	default:
		return true
	}
}
