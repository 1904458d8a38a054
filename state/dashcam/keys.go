package dashcam

import (
	"encoding/binary"
)

// Key prefixes, one byte per kind of record. See the package doc, "Keys".
const (
	pfxArchive  = 'a' // 'a' time(8) seq(8): a chunk of the continuous archive
	pfxConfig   = 'c' // 'c' name: a configuration override
	pfxDevice   = 'd' // 'd' id: user metadata of a device
	pfxEvent    = 'e' // 'e' seq(8): one event log entry
	pfxFrames   = 'f' // 'f' id(8) seq(8): a chunk of an incident's frames
	pfxIncident = 'i' // 'i' id(8): an incident's description
	pfxMeta     = 'm' // 'm' name: the store's own bookkeeping
)

// timeKey maps a timestamp to a uint64 whose big-endian bytes sort as the
// timestamps do, negative ones included.
func timeKey(t int64) uint64 { return uint64(t) ^ 1<<63 }

// keyTime is the inverse of timeKey.
func keyTime(k uint64) int64 { return int64(k ^ 1<<63) }

// archiveKey returns the key of the archive chunk that starts at time t,
// number seq.
func archiveKey(dst []byte, t int64, seq uint64) []byte {
	dst = append(dst, pfxArchive)
	dst = binary.BigEndian.AppendUint64(dst, timeKey(t))
	return binary.BigEndian.AppendUint64(dst, seq)
}

// archiveBound returns the smallest archive key at time t, a bound for
// iterators and range deletions.
func archiveBound(t int64) []byte { return archiveKey(nil, t, 0) }

// framesKey returns the key of incident id's chunk whose first frame is
// number seq of the incident (from 0).
func framesKey(dst []byte, id, seq uint64) []byte {
	dst = append(dst, pfxFrames)
	dst = binary.BigEndian.AppendUint64(dst, id)
	return binary.BigEndian.AppendUint64(dst, seq)
}

// framesSpan returns the bounds [lo, hi) of incident id's frame chunks.
func framesSpan(id uint64) (lo, hi []byte) {
	lo = append([]byte{pfxFrames}, binary.BigEndian.AppendUint64(nil, id)...)
	hi = append([]byte{pfxFrames}, binary.BigEndian.AppendUint64(nil, id+1)...)
	if id == ^uint64(0) {
		hi = []byte{pfxFrames + 1}
	}
	return lo, hi
}

func incidentKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{pfxIncident}, id)
}

func eventKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{pfxEvent}, seq)
}

func nameKey(pfx byte, name string) []byte {
	return append([]byte{pfx}, name...)
}

// prefixSpan returns the bounds [lo, hi) of every key starting with pfx.
func prefixSpan(pfx byte) (lo, hi []byte) { return []byte{pfx}, []byte{pfx + 1} }
