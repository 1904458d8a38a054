package afxdp

import "sync/atomic"

// desc is struct xdp_desc: one frame in the RX or TX ring, an offset into
// the UMEM and a length.
type desc struct {
	Addr    uint64
	Len     uint32
	Options uint32
}

// ring is the index arithmetic shared by the four AF_XDP rings. Producer
// and consumer are free-running 32-bit counters in memory shared with the
// kernel (the mmapped ring header); an entry's slot is its counter masked
// with size-1, and the number of entries is prod-cons in uint32 arithmetic,
// which stays right when the counters wrap. Each side writes only its own
// counter, with an atomic store after the entries it publishes, and reads
// the other's with an atomic load (sync/atomic's sequential consistency is
// stronger than the acquire/release the kernel's side needs).
//
// The cached counters save atomic loads, as libxdp does: a producer keeps
// cachedCons as the consumer's counter plus size, so cachedCons-cachedProd
// is the free room it knows of, and rereads the real counter only when
// that is not enough; a consumer rereads the producer only when it has
// consumed all it knew of.
type ring struct {
	prod, cons, flags *uint32 // in the shared ring header
	mask, size        uint32

	cachedProd, cachedCons uint32
}

func newRing(prod, cons, flags *uint32, size uint32) ring {
	return ring{prod: prod, cons: cons, flags: flags, mask: size - 1, size: size}
}

// initProducer starts the cached counters of a ring user space produces
// into (fill, TX).
func (r *ring) initProducer() {
	r.cachedProd = atomic.LoadUint32(r.prod)
	r.cachedCons = atomic.LoadUint32(r.cons) + r.size
}

// initConsumer starts the cached counters of a ring user space consumes
// from (RX, completion).
func (r *ring) initConsumer() {
	r.cachedCons = atomic.LoadUint32(r.cons)
	r.cachedProd = atomic.LoadUint32(r.prod)
}

// free returns how many entries the producer may write, rereading the
// consumer's counter only when fewer than n are known to be free.
func (r *ring) free(n uint32) uint32 {
	f := r.cachedCons - r.cachedProd
	if f >= n {
		return f
	}
	r.cachedCons = atomic.LoadUint32(r.cons) + r.size
	return r.cachedCons - r.cachedProd
}

// submit publishes the entries written since the last submit.
func (r *ring) submit() { atomic.StoreUint32(r.prod, r.cachedProd) }

// pending returns the number of entries written but not yet submitted.
func (r *ring) pending() uint32 { return r.cachedProd - atomic.LoadUint32(r.prod) }

// avail returns how many entries (at most n) the consumer may read,
// rereading the producer's counter only when it has none cached.
func (r *ring) avail(n uint32) uint32 {
	e := r.cachedProd - r.cachedCons
	if e == 0 {
		r.cachedProd = atomic.LoadUint32(r.prod)
		e = r.cachedProd - r.cachedCons
	}
	return min(e, n)
}

// release hands the entries read since the last release back to the
// producer.
func (r *ring) release() { atomic.StoreUint32(r.cons, r.cachedCons) }

// needWakeup reports whether the kernel set XDP_RING_NEED_WAKEUP on the
// ring: it will not look at the ring again until a system call kicks it.
func (r *ring) needWakeup() bool {
	return r.flags != nil && atomic.LoadUint32(r.flags)&ringNeedWakeup != 0
}

// ringNeedWakeup is XDP_RING_NEED_WAKEUP.
const ringNeedWakeup = 1

// addrRing is a fill or completion ring: entries are UMEM offsets.
type addrRing struct {
	ring
	addrs []uint64
}

// put writes addr at the producer's next slot; the caller checked free.
func (r *addrRing) put(addr uint64) {
	r.addrs[r.cachedProd&r.mask] = addr
	r.cachedProd++
}

// get reads the consumer's next entry; the caller checked avail.
func (r *addrRing) get() uint64 {
	a := r.addrs[r.cachedCons&r.mask]
	r.cachedCons++
	return a
}

// descRing is an RX or TX ring: entries are frame descriptors.
type descRing struct {
	ring
	descs []desc
}

func (r *descRing) put(d desc) {
	r.descs[r.cachedProd&r.mask] = d
	r.cachedProd++
}

func (r *descRing) get() desc {
	d := r.descs[r.cachedCons&r.mask]
	r.cachedCons++
	return d
}
