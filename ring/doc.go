// Package ring moves values between goroutines without locks and keeps the
// most recent captured frames in a byte-bounded RAM capture buffer.
//
// Two pieces live here: SPSC, a lock-free queue between one producer and
// one consumer, and Buffer, the capture buffer that holds frame bytes for
// incident downloads and packet views. TimestampSource names the clock
// behind each stored frame's timestamp.
//
// # SPSC rings
//
// An SPSC hands work from one goroutine to another so that no lock is
// shared between cores on the hot path: the pipeline feeds each model
// shard's goroutine its observations through one, and a capture of several
// interfaces passes preallocated frame slots between each interface's
// reader and the pipeline through a pair of them (free and full). The
// producer owns the tail index and the consumer the
// head index; each sits on its own 128-byte block so that neither side's
// stores invalidate the other's line, and each side remembers the last value
// it saw of the other's index and reads the real one only when that cached
// view says the ring is full or empty. Indices are free-running 64-bit
// counters masked into a power-of-two array, so full and empty never look
// alike. Slot contents are published by the index store (sync/atomic stores
// are sequentially consistent, which includes release order) and read after
// the index load. Batch calls move many items for one index store. A queue
// of values that hold pointers clears each slot as it is popped, so the
// garbage collector can reclaim what the consumer has let go.
//
// # Capture buffer
//
// A Buffer stores frames in one preallocated arena used as a circular log.
// Each record is a 40-byte header (frame number, timestamp, lengths,
// interface, timestamp source and the caller's tags) followed by the frame
// bytes padded to 8. Frames are numbered 1, 2, 3, ... in append order; the
// numbering survives Reset, so a number never names two frames, and 0 is
// never a frame. The buffer holds the contiguous run First..Last: appending
// evicts from the old end, oldest first, exactly as much as the new record
// needs. A record that does not fit before the end of the arena starts over
// at its beginning; the skipped bytes stay in use until the oldest record
// moves past them.
//
// # Memory bound
//
// All memory is allocated by NewBuffer and the limit covers all of it: the
// key table (one 32-byte entry per 2 KiB of limit), the per-frame index (24
// bytes a slot: time key, arena offset, three chain links) and the arena,
// which gets the rest. The index has one slot per 104 bytes of arena, enough
// for an arena full of minimum-size Ethernet frames; smaller frames run out
// of slots first and are evicted for want of a slot rather than of bytes.
// Stats.Bytes accounts what is in use (arena from the oldest record to the
// free space, wrap gap included, plus index slots of held frames and live
// key entries) and so never exceeds the limit.
//
// # Time order
//
// Frames are appended in capture order, which is nearly but not always
// timestamp order (clocks step, queues interleave). Each frame gets an index
// time, its timestamp raised to the largest index time before it, so index
// times never decrease and a binary search over the index finds any instant
// in O(log n). The record keeps the real timestamp. Time bounds in Query and
// Search apply to index times, which equal the timestamps of frames that
// arrived in order.
//
// # Searching
//
// Besides time, Scan can select by the scope, message type and instance tags
// that the caller stores with each frame. Every frame is linked, per tag
// dimension, to the next held frame carrying the same value; the key table
// keeps each value's oldest and newest frame and count. Posting lists are
// these chains threaded through the index, so they need no memory of their
// own and are pruned as frames are evicted (the evicted frame is always the
// head of its chains). When the key table is full, new values go to one
// overflow chain per dimension, which queries for that dimension also walk
// and filter. Scan walks whichever is shorter: the frames of the time range
// or the chain of the rarest requested value. A chain walk that starts
// inside the range (a later page, a recent window) finds its first frame by
// reading headers forward from the range's start when the chain's average
// gap is shorter than the run of links it would otherwise follow from the
// chain's head.
//
// # Concurrency
//
// A Buffer has one writer: Append and Reset must not run concurrently with
// each other. Get, Search, Scan, Stats, First and Last may be called from any
// number of goroutines at any time.
//
// The writer never waits for readers. Readers follow a validation protocol
// in the spirit of a seqlock: the writer publishes an eviction (by
// advancing the first held frame number) before it reuses the space, and a
// reader copies a record and then checks that the frame is still held; a
// failed check means the frame is gone, never that a torn copy is returned.
//
// The Go memory model gives racing plain accesses no useful meaning and the
// race detector rejects them, so while a reader is inside the buffer every
// word the writer shares is stored atomically, and readers load atomically.
// Atomic stores are dear on amd64 (an exchange, about 6 ns each here, one
// per 8 bytes of record), so readers announce themselves: a reader counts
// itself in and out, and an Append that finds no reader counted in raises a
// flag and uses plain stores, which a reader arriving meanwhile waits out
// (Dekker's handshake; see Buffer.begin). Measured on this project's 2-core
// build machine, Append of a 100-byte frame into a full buffer costs about
// 60 ns with no reader inside and about 270 ns with one; an uncontended
// sync.RWMutex alone would cost about 25 ns per Append but would stall it
// behind any reader descheduled while holding the lock. A reader waits at
// most for the one Append in flight, and a Scan keeps the writer on the
// atomic path while its callback runs, so callbacks should be brief.
//
// # Allocation
//
// SPSC operations, Buffer.Append and Buffer.Get (given a Record whose Data
// has room) do not allocate. Scan takes its scratch Record from a pool and
// does not allocate either once the pool is warm.
package ring
