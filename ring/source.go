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
