package ring

// TimestampSource says which clock produced a capture timestamp. The sources
// differ in accuracy and in timescale (TAI or UTC), so every figure derived
// from a timestamp must carry its source along.
type TimestampSource uint8

// Timestamp sources. The zero value means the frame has no timestamp.
const (
	SourceNone      TimestampSource = iota // no timestamp; Time is meaningless
	SourceHardware                         // NIC hardware clock (XDP RX metadata or SO_TIMESTAMPING raw)
	SourceXDPTAI                           // bpf_ktime_get_tai_ns in the XDP program: software, TAI
	SourceSocket                           // kernel software receive stamp on the socket: UTC
	SourceFile                             // read from a capture file; the file's clock, unknown quality
	SourceSimulated                        // the network simulator's virtual clock
	numSources
)

var sourceNames = [numSources]string{"none", "hardware", "xdp-tai", "socket", "file", "simulated"}

// IsValid reports whether s is one of the defined sources.
func (s TimestampSource) IsValid() bool { return s < numSources }

// String returns the source's short lower-case name, the one the API uses.
// It does not allocate.
func (s TimestampSource) String() string {
	if s < numSources {
		return sourceNames[s]
	}
	return "invalid"
}

// Location says where the bytes of a described frame can be found.
type Location uint8

// Frame byte locations. The zero value means the bytes were not kept.
const (
	LocNone   Location = iota // bytes not kept; only the metadata travels
	LocOffset                 // Addr is a byte offset into the source's capture area (UMEM, TPACKET block ring)
	LocSlot                   // Addr is an index into the source's array of fixed-size frame slots
	LocBuffer                 // the bytes are in the capture Buffer under frame number Frame
	numLocations
)

var locationNames = [numLocations]string{"none", "offset", "slot", "buffer"}

// IsValid reports whether l is one of the defined locations.
func (l Location) IsValid() bool { return l < numLocations }

// String returns the location's short name. It does not allocate.
func (l Location) String() string {
	if l < numLocations {
		return locationNames[l]
	}
	return "invalid"
}

// Descriptor is the record a capture queue hands to its worker through an
// SPSC ring for each frame: everything the worker needs to find, order and
// account for the frame without touching the source again.
//
// It is 40 bytes, holds no pointers (so a ring of descriptors is invisible
// to the garbage collector) and is comparable. The zero value describes no
// frame.
type Descriptor struct {
	// Frame is the frame's number in the capture Buffer, or 0 when the frame
	// has not been stored (Buffer numbers start at 1).
	Frame uint64
	// Time is the capture timestamp in nanoseconds since 1970-01-01 on the
	// clock named by Source: TAI for SourceXDPTAI and usually for
	// SourceHardware, UTC for SourceSocket.
	Time int64
	// Addr locates the bytes as Loc describes; CapLen bytes start there.
	Addr uint64
	// OrigLen is the frame's length on the wire; CapLen is how many of
	// those bytes were captured (less than OrigLen when truncated).
	OrigLen uint32
	CapLen  uint32
	// IfIndex is the capture interface's index; Queue its RX queue.
	IfIndex uint16
	Queue   uint16
	Source  TimestampSource
	Loc     Location
}

// Meta returns the capture facts of d as the start of a RecordMeta for
// Buffer.Append; the caller adds the tags once the frame is decoded.
func (d Descriptor) Meta() RecordMeta {
	return RecordMeta{Time: d.Time, OrigLen: d.OrigLen, IfIndex: d.IfIndex, Source: d.Source}
}
