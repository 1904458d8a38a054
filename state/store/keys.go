package store

import "encoding/binary"

// A Family is the one-byte prefix of every key of one kind of record.
// Families own disjoint key ranges, so each layer reads, bounds its
// iterators by and deletes ranges within its own families only.
//
// Adding a kind of record (the alarm outbox, management data, forwarding
// state): pick an unused byte below, add it here with its layout and
// owner, and add the line to the package doc's "Keys" table.
type Family byte

// The key families. See the package doc, "Keys".
const (
	Archive   Family = 'a' // 'a' time(8) seq(8): a chunk of the continuous archive (state/dashcam)
	Config    Family = 'c' // 'c' name: a configuration record, such as the UI settings (this package)
	Devices   Family = 'd' // 'd' id 0x00 field: device metadata and images (this package)
	Events    Family = 'e' // 'e' seq(8): one event log entry (this package)
	Frames    Family = 'f' // 'f' id(8) seq(8): a chunk of an incident's frames (state/dashcam)
	Incidents Family = 'i' // 'i' id(8): an incident's description (state/dashcam)
	Meta      Family = 'm' // 'm' name: bookkeeping of the layers ("archive-floor", "interfaces")
	Outbox    Family = 'o' // 'o' channel 0x00 seq(8): a notification waiting for delivery (state/notify)
	Alarms    Family = 'l' // 'l' kind 0x00 name: an alarm definition or instance state (state/alarm)
	Managed   Family = 'g' // 'g' kind 0x00 name: management nodes, sweep summary, master-check series (state/manage)
	Topology  Family = 't' // 't' name: the expected topology set through the API (state/fault)
)

// Span returns the bounds [lo, hi) of every key of f.
func (f Family) Span() (lo, hi []byte) { return []byte{byte(f)}, []byte{byte(f) + 1} }

// Key appends f and the big-endian fields to dst: the usual key of a
// family whose keys are numbers, which then sort numerically.
func (f Family) Key(dst []byte, fields ...uint64) []byte {
	dst = append(dst, byte(f))
	for _, v := range fields {
		dst = binary.BigEndian.AppendUint64(dst, v)
	}
	return dst
}

// Name returns the key of the record called name in f.
func (f Family) Name(name string) []byte { return append([]byte{byte(f)}, name...) }

// TimeKey maps a timestamp to a uint64 whose big-endian bytes sort as the
// timestamps do, negative ones included.
func TimeKey(t int64) uint64 { return uint64(t) ^ 1<<63 }

// KeyTime is the inverse of TimeKey.
func KeyTime(k uint64) int64 { return int64(k ^ 1<<63) }
