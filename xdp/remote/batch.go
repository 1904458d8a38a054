package remote

import (
	"encoding/binary"
	"errors"
	"strconv"

	"github.com/klauspost/compress/s2"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// BatchVersion is the version of the batch layout Encoder writes.
const BatchVersion = 1

// Sizes of the batch layout.
const (
	batchHeaderLen = 32 // version, interfaces, flags, count, first sequence, two drop counters
	frameHeaderLen = 20 // timestamp, original length, captured length, link, queue, interface, timestamp source
	// MaxCaptured is the most bytes of one frame a batch carries; longer
	// frames are cut (their original length travels unchanged).
	MaxCaptured = 65535
	// MaxBatchBytes is the largest batch a probe builds: sealed, even
	// when it does not compress, it stays within the 8 MiB a NATS
	// message may carry here.
	MaxBatchBytes = 4 << 20
	// MaxInterfaces is the most interfaces a batch can name.
	MaxInterfaces = 255
	maxNameLen    = 255
)

// Drops are a probe's loss counters, cumulative since it started, carried
// in every batch so a collector can show them.
type Drops struct {
	Capture uint64 // frames its capture lost (kernel or ring overruns)
	Queue   uint64 // frames the probe dropped before forwarding (publisher behind)
}

// Encoder builds one batch at a time in a buffer it owns. The zero value is
// not usable; call NewEncoder.
type Encoder struct {
	buf      []byte
	max      int
	count    uint32
	firstSeq uint64
	ifaces   []source.Interface
}

// NewEncoder returns an encoder whose batches hold at most maxBytes of
// encoded frames and interface table (at least 1 KiB is used).
func NewEncoder(maxBytes int) *Encoder {
	maxBytes = max(maxBytes, 1024)
	return &Encoder{buf: make([]byte, 0, maxBytes+batchHeaderLen+frameHeaderLen+MaxCaptured), max: maxBytes}
}

// SetInterfaces sets the interface table the next batch (from the next
// Reset on) carries; names longer than 255 bytes are cut, and only the
// first MaxInterfaces interfaces are named.
func (e *Encoder) SetInterfaces(ifaces []source.Interface) {
	e.ifaces = append(e.ifaces[:0], ifaces[:min(len(ifaces), MaxInterfaces)]...)
}

// Interfaces returns the interface table set last.
func (e *Encoder) Interfaces() []source.Interface { return e.ifaces }

// Reset starts a new, empty batch whose first frame has the per-probe
// sequence firstSeq. It does not allocate.
func (e *Encoder) Reset(firstSeq uint64, d Drops) {
	b := e.buf[:batchHeaderLen]
	b[0] = BatchVersion
	b[1] = byte(len(e.ifaces))
	b[2], b[3] = 0, 0
	binary.BigEndian.PutUint32(b[4:], 0)
	binary.BigEndian.PutUint64(b[8:], firstSeq)
	binary.BigEndian.PutUint64(b[16:], d.Capture)
	binary.BigEndian.PutUint64(b[24:], d.Queue)
	for _, i := range e.ifaces {
		name := i.Name[:min(len(i.Name), maxNameLen)]
		b = binary.BigEndian.AppendUint16(b, i.Segment)
		b = append(b, byte(len(name)))
		b = append(b, name...)
	}
	e.buf, e.count, e.firstSeq = b, 0, firstSeq
}

// Add appends f to the batch and reports whether it fitted; a frame that
// does not fit an empty batch is cut to the room there is. It does not
// allocate.
func (e *Encoder) Add(f *source.Frame) bool {
	data := f.Data
	if len(data) > MaxCaptured {
		data = data[:MaxCaptured]
	}
	if len(e.buf)+frameHeaderLen+len(data) > e.max+batchHeaderLen && e.count > 0 {
		return false
	}
	n := len(e.buf)
	b := e.buf[:n+frameHeaderLen]
	binary.BigEndian.PutUint64(b[n:], uint64(f.Timestamp))
	binary.BigEndian.PutUint32(b[n+8:], uint32(max(f.OrigLen, len(f.Data))))
	binary.BigEndian.PutUint16(b[n+12:], uint16(len(data)))
	binary.BigEndian.PutUint16(b[n+14:], uint16(f.Link))
	binary.BigEndian.PutUint16(b[n+16:], f.Queue)
	b[n+18] = byte(f.Interface)
	b[n+19] = byte(f.TSSource)
	e.buf = append(b, data...)
	e.count++
	return true
}

// Len returns the number of frames in the batch.
func (e *Encoder) Len() int { return int(e.count) }

// Size returns the batch's encoded size so far.
func (e *Encoder) Size() int { return len(e.buf) }

// FirstSeq returns the per-probe sequence of the batch's first frame.
func (e *Encoder) FirstSeq() uint64 { return e.firstSeq }

// Bytes finishes the batch and returns it; it aliases the encoder's buffer
// and stays valid until the next Reset.
func (e *Encoder) Bytes() []byte {
	binary.BigEndian.PutUint32(e.buf[4:], e.count)
	return e.buf
}

// Swap finishes the batch and returns it, taking buf (emptied) as the
// buffer of the next, so a caller hands the batch on without copying it.
// A buf with less room than the encoder needs is replaced by a new one.
// Call Reset before adding to the next batch.
func (e *Encoder) Swap(buf []byte) []byte {
	out := e.Bytes()
	if need := e.max + batchHeaderLen + frameHeaderLen + MaxCaptured; cap(buf) < need {
		buf = make([]byte, 0, need)
	}
	e.buf = buf[:0]
	return out
}

// BatchError says why a batch could not be decoded.
type BatchError struct {
	Reason string
	Offset int // byte offset in the batch where decoding stopped
}

func (e *BatchError) Error() string {
	return "remote: malformed batch at byte " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

// ErrMalformed matches every *BatchError (errors.Is).
var ErrMalformed = errors.New("remote: malformed batch")

// Is makes errors.Is(err, ErrMalformed) hold for every BatchError.
func (e *BatchError) Is(target error) bool { return target == ErrMalformed }

// Prebuilt errors, so that refusing a batch does not allocate.
var (
	errShortHeader  = &BatchError{Reason: "shorter than its header"}
	errVersion      = &BatchError{Reason: "unknown version"}
	errIfaceTable   = &BatchError{Reason: "interface table cut short"}
	errFrameHeader  = &BatchError{Reason: "frame record cut short"}
	errFrameData    = &BatchError{Reason: "frame bytes cut short"}
	errFrameIface   = &BatchError{Reason: "frame names an interface the table lacks"}
	errFrameOrigLen = &BatchError{Reason: "original length shorter than the captured bytes"}
	errTrailing     = &BatchError{Reason: "bytes after the last frame"}
	errCount        = &BatchError{Reason: "fewer frames than the header counts"}
	errCompressed   = &BatchError{Reason: "compressed block corrupt or too large"}
)

// BatchIface is one entry of a decoded batch's interface table; Name
// aliases the batch.
type BatchIface struct {
	Name    []byte
	Segment uint16
}

// Decoder reads one batch's frames in order. Data of the frames it returns
// and the interface names alias the batch given to Reset.
type Decoder struct {
	b        []byte
	off      int
	left     uint32
	Count    uint32 // frames in the batch
	FirstSeq uint64 // per-probe sequence of its first frame
	Drops    Drops  // the probe's drop counters when it sealed the batch
	Ifaces   []BatchIface
	ifaceBuf [MaxInterfaces]BatchIface
}

// Reset checks b's header and interface table and prepares to read its
// frames. It does not allocate.
func (d *Decoder) Reset(b []byte) error {
	d.b, d.off, d.left, d.Count = nil, 0, 0, 0
	d.Ifaces = d.ifaceBuf[:0]
	if len(b) < batchHeaderLen {
		return errShortHeader
	}
	if b[0] != BatchVersion {
		return errVersion
	}
	n := int(b[1])
	d.Count = binary.BigEndian.Uint32(b[4:])
	d.FirstSeq = binary.BigEndian.Uint64(b[8:])
	d.Drops = Drops{Capture: binary.BigEndian.Uint64(b[16:]), Queue: binary.BigEndian.Uint64(b[24:])}
	off := batchHeaderLen
	for range n {
		if off+3 > len(b) {
			return errIfaceTable
		}
		seg, l := binary.BigEndian.Uint16(b[off:]), int(b[off+2])
		off += 3
		if off+l > len(b) {
			return errIfaceTable
		}
		d.Ifaces = append(d.Ifaces, BatchIface{Name: b[off : off+l : off+l], Segment: seg})
		off += l
	}
	d.b, d.off, d.left = b, off, d.Count
	return nil
}

// Next fills f with the batch's next frame (Interface indexes Ifaces) and
// reports whether there was one; err is set when the batch is malformed.
// At the end it also checks no bytes are left over. It does not allocate.
func (d *Decoder) Next(f *source.Frame) (ok bool, err error) {
	if d.left == 0 {
		if d.b != nil && d.off != len(d.b) {
			return false, errTrailing
		}
		return false, nil
	}
	b, off := d.b, d.off
	if off+frameHeaderLen > len(b) {
		d.left = 0
		if off == len(b) {
			return false, errCount
		}
		return false, errFrameHeader
	}
	ts := int64(binary.BigEndian.Uint64(b[off:]))
	orig := int(binary.BigEndian.Uint32(b[off+8:]))
	capLen := int(binary.BigEndian.Uint16(b[off+12:]))
	link := decode.LinkType(binary.BigEndian.Uint16(b[off+14:]))
	queue := binary.BigEndian.Uint16(b[off+16:])
	iface := b[off+18]
	tss := source.TimestampSource(b[off+19])
	off += frameHeaderLen
	switch {
	case off+capLen > len(b):
		d.left = 0
		return false, errFrameData
	case int(iface) >= len(d.Ifaces):
		d.left = 0
		return false, errFrameIface
	case orig < capLen:
		d.left = 0
		return false, errFrameOrigLen
	}
	*f = source.Frame{Data: b[off : off+capLen : off+capLen], OrigLen: orig, Timestamp: ts, TSSource: tss,
		Link: link, Interface: uint16(iface), Queue: queue}
	d.off = off + capLen
	d.left--
	return true, nil
}

// batchVersionS2 marks a compressed batch: this byte, then a whole
// version-1 batch as one S2 block.
const batchVersionS2 = 2

// maxPlainBatch bounds the size a compressed batch may claim to expand
// to, so an authentic but hostile batch cannot ask for a huge buffer.
const maxPlainBatch = 16 << 20

// Compress appends batch (an Encoder's) to dst as a compressed batch,
// one S2 block, and returns it. Captured PTP frames repeat most of their
// bytes (addresses, ports, header fields), so a batch shrinks to a third
// or less, and every later copy (the local queue, the links, the stores)
// moves that much less. It does not allocate when dst has room for
// CompressedLen(len(batch)).
func Compress(dst, batch []byte) []byte {
	dst = append(dst, batchVersionS2)
	n := len(dst)
	need := n + s2.MaxEncodedLen(len(batch))
	if cap(dst) < need {
		dst = append(dst[:cap(dst)], make([]byte, need-cap(dst))...)
	}
	out := s2.Encode(dst[n:need], batch)
	return dst[:n+len(out)]
}

// CompressedLen is the most bytes Compress appends for a batch of n bytes.
func CompressedLen(n int) int { return 1 + s2.MaxEncodedLen(n) }

func compressed(b []byte) bool { return len(b) > 0 && b[0] == batchVersionS2 }

// Decompress returns b's version-1 batch: b itself when it is not
// compressed, else b expanded into dst (grown when short). It allocates
// only to grow dst.
func Decompress(dst, b []byte) ([]byte, error) {
	if !compressed(b) {
		return b, nil
	}
	n, err := s2.DecodedLen(b[1:])
	if err != nil || n > maxPlainBatch {
		return nil, errCompressed
	}
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	out, err := s2.Decode(dst[:n], b[1:])
	if err != nil {
		return nil, errCompressed
	}
	return out, nil
}
