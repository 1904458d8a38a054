package dashcam

import (
	"encoding/binary"

	"github.com/ptpwatch/ptpwatch/state/store"
)

// Dashcam's records live in the store's Archive, Frames, Incidents and
// Meta key families; see the store's package doc, "Keys".

// archiveKey returns the key of the archive chunk that starts at time t,
// number seq.
func archiveKey(dst []byte, t int64, seq uint64) []byte {
	dst = append(dst, byte(store.Archive))
	dst = binary.BigEndian.AppendUint64(dst, store.TimeKey(t))
	return binary.BigEndian.AppendUint64(dst, seq)
}

// archiveBound returns the smallest archive key at time t, a bound for
// iterators and range deletions.
func archiveBound(t int64) []byte { return archiveKey(nil, t, 0) }

// framesKey returns the key of incident id's chunk whose first frame is
// number seq of the incident (from 0).
func framesKey(dst []byte, id, seq uint64) []byte {
	dst = append(dst, byte(store.Frames))
	dst = binary.BigEndian.AppendUint64(dst, id)
	return binary.BigEndian.AppendUint64(dst, seq)
}

// framesSpan returns the bounds [lo, hi) of incident id's frame chunks.
func framesSpan(id uint64) (lo, hi []byte) {
	lo = store.Frames.Key(nil, id)
	hi = store.Frames.Key(nil, id+1)
	if id == ^uint64(0) {
		_, hi = store.Frames.Span()
	}
	return lo, hi
}

func incidentKey(id uint64) []byte { return store.Incidents.Key(nil, id) }
