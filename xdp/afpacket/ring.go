package afpacket

import (
	"encoding/binary"
	"sync/atomic"
	"unsafe"

	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// TPACKET_V3 layout (linux/if_packet.h). The kernel writes these in host
// byte order; the offsets are the same on every architecture.
const (
	// struct tpacket_block_desc { version, offset_to_priv, tpacket_hdr_v1 }
	bdBlockStatus   = 8  // hdr.bh1.block_status
	bdNumPkts       = 12 // hdr.bh1.num_pkts
	bdOffsetToFirst = 16 // hdr.bh1.offset_to_first_pkt
	bdBlkLen        = 20 // hdr.bh1.blk_len
	bdSize          = 48

	// struct tpacket3_hdr
	hNextOffset = 0
	hSec        = 4
	hNsec       = 8
	hSnaplen    = 12
	hLen        = 16
	hStatus     = 20
	hMac        = 24 // u16
	hVLANTCI    = 32 // hv1.tp_vlan_tci, u32
	hVLANTPID   = 36 // hv1.tp_vlan_tpid, u16
	hSize       = 48

	// tp_status and block_status bits.
	statusKernel         = 0
	statusUser           = 1 << 0
	statusVLANValid      = 1 << 4
	statusVLANTPIDValid  = 1 << 6
	statusTSSoftware     = 1 << 29
	statusTSRawHardware  = 1 << 31
	etherType8021Q       = 0x8100
	vlanRestoreHeadroom  = 4
	macHeaderAddressSize = 12
)

// ring walks the blocks of a TPACKET_V3 receive ring. It is independent of
// the socket so that tests and benchmarks can run it over memory they built.
type ring struct {
	mem       []byte // the mapped ring: numBlocks blocks of blockSize bytes
	blockSize int
	numBlocks int

	block int    // index of the block being read or awaited
	held  bool   // block is owned by user space and being read
	left  uint32 // frames not yet returned from the held block
	off   int    // offset in the held block of the next frame header

	vlanBuf      []byte // reused: a frame with its stripped VLAN tag re-inserted
	restoredLast bool   // the last frame returned went through vlanBuf
	released     uint64 // blocks released since the owner last collected the count
}

func newRing(mem []byte, blockSize, numBlocks int) ring {
	return ring{
		mem:       mem,
		blockSize: blockSize,
		numBlocks: numBlocks,
		vlanBuf:   make([]byte, blockSize+vlanRestoreHeadroom),
	}
}

// status returns a pointer to block i's block_status word, which the
// kernel and user space hand back and forth.
func (r *ring) status(i int) *uint32 {
	return (*uint32)(unsafe.Pointer(&r.mem[i*r.blockSize+bdBlockStatus]))
}

// release hands the held block back to the kernel and moves on.
func (r *ring) release() {
	atomic.StoreUint32(r.status(r.block), statusKernel)
	r.held = false
	r.released++
	r.block++
	if r.block == r.numBlocks {
		r.block = 0
	}
}

// next fills f with the next frame of the ring and reports whether there
// was one. A block whose frames have all been returned is released on the
// following call, so that the frame returned last stays valid until then.
// It does not allocate.
func (r *ring) next(f *source.Frame) bool {
	if len(r.mem) == 0 {
		return false // closed: the caller's wait reports it
	}
	for {
		if r.held && r.left == 0 {
			r.release()
		}
		if !r.held {
			if atomic.LoadUint32(r.status(r.block))&statusUser == 0 {
				return false
			}
			b := r.mem[r.block*r.blockSize : (r.block+1)*r.blockSize]
			r.held = true
			r.left = binary.NativeEndian.Uint32(b[bdNumPkts:])
			r.off = int(binary.NativeEndian.Uint32(b[bdOffsetToFirst:]))
			continue
		}
		if r.frame(f) {
			return true
		}
	}
}

// frame decodes the frame header at r.off in the held block into f and
// advances. A header that does not fit the block (which the kernel never
// writes) abandons the rest of the block and reports false.
func (r *ring) frame(f *source.Frame) bool {
	b := r.mem[r.block*r.blockSize : (r.block+1)*r.blockSize]
	if r.off < bdSize || r.off+hSize > len(b) {
		r.left = 0
		return false
	}
	h := b[r.off:]
	ne := binary.NativeEndian
	snap := int(ne.Uint32(h[hSnaplen:]))
	mac := int(ne.Uint16(h[hMac:]))
	if mac < hSize || r.off+mac+snap > len(b) {
		r.left = 0
		return false
	}
	st := ne.Uint32(h[hStatus:])
	data := h[mac : mac+snap]
	f.OrigLen = int(ne.Uint32(h[hLen:]))
	f.Timestamp = int64(ne.Uint32(h[hSec:]))*1e9 + int64(ne.Uint32(h[hNsec:]))
	if st&statusTSRawHardware != 0 {
		f.TSSource = source.TimestampHardware
	} else {
		// TP_STATUS_TS_SOFTWARE, or neither: then the kernel read
		// CLOCK_REALTIME when it copied the frame into the ring.
		f.TSSource = source.TimestampSoftware
	}
	r.restoredLast = false
	if st&statusVLANValid != 0 && len(data) >= macHeaderAddressSize {
		tpid := uint16(etherType8021Q)
		if st&statusVLANTPIDValid != 0 {
			if t := ne.Uint16(h[hVLANTPID:]); t != 0 {
				tpid = t
			}
		}
		tci := uint16(ne.Uint32(h[hVLANTCI:]))
		out := r.vlanBuf[:len(data)+vlanRestoreHeadroom]
		copy(out, data[:macHeaderAddressSize])
		binary.BigEndian.PutUint16(out[12:], tpid)
		binary.BigEndian.PutUint16(out[14:], tci)
		copy(out[16:], data[macHeaderAddressSize:])
		data = out
		f.OrigLen += vlanRestoreHeadroom
		r.restoredLast = true
	}
	f.Data = data
	r.left--
	if next := int(ne.Uint32(h[hNextOffset:])); next > 0 {
		r.off += next
	} else {
		r.left = 0 // the last frame of the block has next_offset 0
	}
	return true
}
