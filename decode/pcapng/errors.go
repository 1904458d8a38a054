package pcapng

import (
	"errors"
	"strconv"
)

// MaxBlockSize is the largest pcapng block or pcap record (header included)
// the Reader accepts and the writers produce. Real captures stay far below
// it (a jumbo frame is 9 KiB, the usual snap length 256 KiB), so anything
// larger is taken as corruption rather than buffered.
const MaxBlockSize = 16 << 20

// MaxInterfaces is the most Interface Description Blocks a Reader accepts
// over all sections of one file, and the most interfaces an NgWriter will
// declare. It keeps a file made of nothing but interface blocks from growing
// the Reader's interface table without bound.
const MaxInterfaces = 1 << 16

// maxMetadata bounds the bytes of interface names and descriptions a Reader
// keeps, for the same reason as MaxInterfaces.
const maxMetadata = 8 << 20

// FormatError reports input that is not a well-formed pcap or pcapng file.
// Input that simply stops inside a block is reported as a FormatError whose
// Err is io.ErrUnexpectedEOF, so errors.Is(err, io.ErrUnexpectedEOF) tells
// truncation (a capture still being written, a cut download) from garbage.
type FormatError struct {
	Offset int64  // byte offset of the block or record at fault
	Reason string // what is wrong, in a few words
	Err    error  // underlying cause, if any
}

// Error returns "pcapng: <reason> at offset <n>", followed by the cause.
func (e *FormatError) Error() string {
	b := make([]byte, 0, 64+len(e.Reason))
	b = append(b, "pcapng: "...)
	b = append(b, e.Reason...)
	b = append(b, " at offset "...)
	b = strconv.AppendInt(b, e.Offset, 10)
	if e.Err != nil {
		b = append(b, ": "...)
		b = append(b, e.Err.Error()...)
	}
	return string(b)
}

// Unwrap returns the underlying cause.
func (e *FormatError) Unwrap() error { return e.Err }

// Errors the writers return for arguments they cannot encode. They are
// sentinels so that the per-packet path reports them without allocating.
var (
	ErrTimestampRange   = errors.New("pcapng: timestamp cannot be represented in the file")
	ErrPacketTooLarge   = errors.New("pcapng: packet exceeds the format's size limits")
	ErrOptionTooLong    = errors.New("pcapng: option value longer than 65535 bytes")
	ErrUnknownInterface = errors.New("pcapng: packet names an interface that was not added")
	ErrResolution       = errors.New("pcapng: unsupported timestamp resolution")
	ErrTooManyIfaces    = errors.New("pcapng: too many interfaces")
	ErrSnapLen          = errors.New("pcapng: snap length out of range")
)
