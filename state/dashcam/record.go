package dashcam

import (
	"encoding/binary"

	"github.com/ptpwatch/ptpwatch/ring"
)

// Frame record layout, little-endian. See the package doc, "Values".
const (
	recHeader = 28 // bytes before the frame's data

	recTime    = 0  // int64 capture timestamp, ns since 1970-01-01
	recCapLen  = 8  // uint32 captured length: the bytes that follow
	recOrigLen = 12 // uint32 length on the wire
	recScope   = 16 // uint32 scope tag (ring.RecordMeta.Scope)
	recIfIndex = 20 // uint16 capture interface
	recLink    = 22 // uint16 link type (pcap LINKTYPE_*)
	recSource  = 24 // uint8 ring.TimestampSource
	recMsgType = 25 // uint8 PTP messageType (meaningful when recVersion is set)
	recVersion = 26 // uint8 PTP versionPTP, 0 for frames that are not PTP
	recFlags   = 27 // uint8 reserved, 0
)

// Chunk layout: a header, then frame records back to back.
const (
	chunkHeader  = 24
	chunkVersion = 1

	chkVersion = 0  // uint8 chunkVersion
	chkCount   = 4  // uint32 records
	chkFirst   = 8  // int64 smallest record time
	chkLast    = 16 // int64 largest record time
)

// Frame is one stored frame as export and tests read it back.
type Frame struct {
	Time        int64                // capture timestamp, ns since 1970-01-01
	OrigLen     uint32               // length on the wire
	Scope       uint32               // scope tag the pipeline gave it; a hash seeded per process, so meaningless after a restart
	IfIndex     uint16               // capture interface
	Link        uint16               // link type (1 = Ethernet)
	Source      ring.TimestampSource // clock behind Time
	MessageType uint8                // PTP messageType when Version is not 0
	Version     uint8                // PTP versionPTP, 0 when not PTP
	Data        []byte               // captured bytes; aliases the chunk
}

// putRecordHeader writes a frame record header for m into h[:recHeader].
func putRecordHeader(h []byte, m *ring.RecordMeta, link uint16, capLen int) {
	orig := m.OrigLen
	if orig == 0 {
		orig = uint32(capLen)
	}
	binary.LittleEndian.PutUint64(h[recTime:], uint64(m.Time))
	binary.LittleEndian.PutUint32(h[recCapLen:], uint32(capLen))
	binary.LittleEndian.PutUint32(h[recOrigLen:], orig)
	binary.LittleEndian.PutUint32(h[recScope:], m.Scope)
	binary.LittleEndian.PutUint16(h[recIfIndex:], m.IfIndex)
	binary.LittleEndian.PutUint16(h[recLink:], link)
	h[recSource] = uint8(m.Source)
	h[recMsgType] = m.MessageType
	h[recVersion] = m.Version
	h[recFlags] = 0
}

func recordTime(r []byte) int64   { return int64(binary.LittleEndian.Uint64(r[recTime:])) }
func recordScope(r []byte) uint32 { return binary.LittleEndian.Uint32(r[recScope:]) }
func recordLen(r []byte) int      { return recHeader + int(binary.LittleEndian.Uint32(r[recCapLen:])) }

// decodeRecord fills f from the record at the start of b and returns the
// record's length, or -1 when b is too short for it.
func decodeRecord(b []byte, f *Frame) int {
	if len(b) < recHeader {
		return -1
	}
	n := recordLen(b)
	if n > len(b) || n < recHeader {
		return -1
	}
	f.Time = recordTime(b)
	f.OrigLen = binary.LittleEndian.Uint32(b[recOrigLen:])
	f.Scope = recordScope(b)
	f.IfIndex = binary.LittleEndian.Uint16(b[recIfIndex:])
	f.Link = binary.LittleEndian.Uint16(b[recLink:])
	f.Source = ring.TimestampSource(b[recSource])
	f.MessageType = b[recMsgType]
	f.Version = b[recVersion]
	f.Data = b[recHeader:n:n]
	return n
}

// chunk accumulates frame records into one stored value.
type chunk struct {
	buf         []byte // header then records
	count       int
	first, last int64
	seq         uint64 // archive: key sequence; incident: index of the first frame
	key         int64  // archive: the time in the chunk's key
	opened      int64  // wall clock (ns) of the first record, for flushing idle chunks
	// Delivery marks as they stood before the first record (marks.go;
	// the archive's chunk only).
	marks []markSnap
}

func (c *chunk) reset() {
	if cap(c.buf) == 0 {
		c.buf = make([]byte, chunkHeader, 64<<10+chunkHeader)
	}
	c.buf = c.buf[:chunkHeader]
	c.count = 0
}

func (c *chunk) empty() bool { return c.count == 0 }

// size returns the bytes the chunk's value would have.
func (c *chunk) size() int { return len(c.buf) }

// add appends one encoded frame record.
func (c *chunk) add(rec []byte, wall int64) {
	t := recordTime(rec)
	if c.count == 0 {
		if len(c.buf) < chunkHeader {
			c.reset()
		}
		c.first, c.last, c.opened = t, t, wall
	} else {
		c.first = min(c.first, t)
		c.last = max(c.last, t)
	}
	c.buf = append(c.buf, rec...)
	c.count++
}

// value finishes the header and returns the chunk's bytes, valid until
// the next reset or add.
func (c *chunk) value() []byte {
	h := c.buf[:chunkHeader]
	clear(h)
	h[chkVersion] = chunkVersion
	binary.LittleEndian.PutUint32(h[chkCount:], uint32(c.count))
	binary.LittleEndian.PutUint64(h[chkFirst:], uint64(c.first))
	binary.LittleEndian.PutUint64(h[chkLast:], uint64(c.last))
	return c.buf
}

// chunkInfo reads a stored chunk's header.
func chunkInfo(v []byte) (count int, first, last int64, err error) {
	if len(v) < chunkHeader || v[chkVersion] != chunkVersion {
		return 0, 0, 0, errCorrupt
	}
	return int(binary.LittleEndian.Uint32(v[chkCount:])),
		int64(binary.LittleEndian.Uint64(v[chkFirst:])),
		int64(binary.LittleEndian.Uint64(v[chkLast:])), nil
}

// chunkFrames calls fn for each frame of a stored chunk, in order, until
// fn returns false. The Frame and its Data are reused between calls.
func chunkFrames(v []byte, fn func(f *Frame) bool) error {
	count, _, _, err := chunkInfo(v)
	if err != nil {
		return err
	}
	b := v[chunkHeader:]
	var f Frame
	for i := 0; i < count; i++ {
		n := decodeRecord(b, &f)
		if n < 0 {
			return errCorrupt
		}
		if !fn(&f) {
			return nil
		}
		b = b[n:]
	}
	if len(b) != 0 {
		return errCorrupt
	}
	return nil
}
