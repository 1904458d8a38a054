package pcapng

import "encoding/binary"

// endian selects the byte order of the current pcapng section or pcap file.
// A plain bool keeps the field accessors inlinable, which an
// encoding/binary.ByteOrder interface value would not be.
type endian bool

const (
	littleEndian endian = false
	bigEndian    endian = true
)

func (e endian) u16(b []byte) uint16 {
	if e {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (e endian) u32(b []byte) uint32 {
	if e {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (e endian) u64(b []byte) uint64 {
	if e {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

func (e endian) put16(b []byte, v uint16) {
	if e {
		binary.BigEndian.PutUint16(b, v)
	} else {
		binary.LittleEndian.PutUint16(b, v)
	}
}

func (e endian) put32(b []byte, v uint32) {
	if e {
		binary.BigEndian.PutUint32(b, v)
	} else {
		binary.LittleEndian.PutUint32(b, v)
	}
}

func (e endian) append16(b []byte, v uint16) []byte {
	if e {
		return binary.BigEndian.AppendUint16(b, v)
	}
	return binary.LittleEndian.AppendUint16(b, v)
}

func (e endian) append32(b []byte, v uint32) []byte {
	if e {
		return binary.BigEndian.AppendUint32(b, v)
	}
	return binary.LittleEndian.AppendUint32(b, v)
}

func (e endian) append64(b []byte, v uint64) []byte {
	if e {
		return binary.BigEndian.AppendUint64(b, v)
	}
	return binary.LittleEndian.AppendUint64(b, v)
}

// pad4 rounds n up to a multiple of four: pcapng aligns packet data and
// option values to 32 bits.
func pad4(n int) int { return (n + 3) &^ 3 }
