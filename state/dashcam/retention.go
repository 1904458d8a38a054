package dashcam

import (
	"encoding/binary"
	"errors"
	"math"
	"sort"
	"time"

	"github.com/ptpwatch/ptpwatch/state/store"
)

// RetainStats says what one retention pass deleted.
type RetainStats struct {
	Incidents    []uint64 // incidents deleted
	ArchiveFloor int64    // archived frames captured before this are deleted (math.MinInt64: none)
}

// archiveEnd bounds every archive key from above.
var _, archiveEnd = store.Archive.Span()

// Retain applies the retention options once: incidents older than MaxAge,
// archived frames older than ArchiveMaxAge, the oldest archived frames
// beyond ArchiveMaxBytes, then the oldest of incidents and archive until
// both fit in MaxBytes. It deletes with range deletions and never touches
// an incident being recorded. The store's maintenance goroutine runs it
// every RetentionInterval. (The store trims its event log itself.)
func (s *Store) Retain() (RetainStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := RetainStats{ArchiveFloor: s.arcFloor.Load()}
	if paused, _ := s.Paused(); paused {
		return st, store.ErrPaused
	}
	var incs []Incident
	if s.opts.MaxAge > 0 || s.opts.MaxBytes > 0 {
		var err error
		if incs, err = s.Incidents(); err != nil {
			return st, err
		}
	}
	// Incidents by age (wall clock of their first trigger).
	if s.opts.MaxAge > 0 {
		cut := time.Now().Add(-s.opts.MaxAge).UnixNano()
		kept := incs[:0]
		for _, inc := range incs {
			if inc.Created < cut && !s.recording[inc.ID] && inc.State != StateRecording {
				if err := s.deleteIncidentLocked(inc.ID); err != nil {
					return st, err
				}
				st.Incidents = append(st.Incidents, inc.ID)
				continue
			}
			kept = append(kept, inc)
		}
		incs = kept
	}
	// Archive by age, against the newest archived frame.
	if s.opts.ArchiveMaxAge > 0 {
		if newest := s.arcNewest.Load(); newest != math.MinInt64 {
			if err := s.cutArchive(newest - int64(s.opts.ArchiveMaxAge)); err != nil {
				return st, err
			}
		}
	}
	// Archive by its own size.
	if s.opts.ArchiveMaxBytes > 0 {
		if use := s.archiveBytes(); use > uint64(s.opts.ArchiveMaxBytes) {
			if err := s.cutArchive(s.archiveCutFor(uint64(s.opts.ArchiveMaxBytes))); err != nil {
				return st, err
			}
		}
	}
	// Everything by total size, oldest first.
	if s.opts.MaxBytes > 0 {
		sort.Slice(incs, func(i, j int) bool { return incs[i].From < incs[j].From })
		sizes := make([]uint64, len(incs))
		total := s.archiveBytes()
		for i, inc := range incs {
			sizes[i] = s.IncidentDiskBytes(inc.ID)
			total += sizes[i]
		}
		for i := 0; total > uint64(s.opts.MaxBytes) && i < 1000; i++ {
			excess := total - uint64(s.opts.MaxBytes)
			// The oldest incident that may go, and the oldest archive.
			j := -1
			for k, inc := range incs {
				if !s.recording[inc.ID] && inc.State != StateRecording {
					j = k
					break
				}
			}
			arcFirst, hasArc := s.archiveFirst()
			if j >= 0 && (!hasArc || incs[j].From <= arcFirst) {
				if err := s.deleteIncidentLocked(incs[j].ID); err != nil {
					return st, err
				}
				st.Incidents = append(st.Incidents, incs[j].ID)
				total -= min(total, sizes[j])
				incs = append(incs[:j], incs[j+1:]...)
				sizes = append(sizes[:j], sizes[j+1:]...)
				continue
			}
			if !hasArc {
				break // only recordings in progress are left
			}
			before := s.archiveBytes()
			cut := s.archiveCutFor(before - min(before, excess))
			if j >= 0 {
				cut = min(cut, incs[j].From+1) // oldest first: not past that incident
			}
			if err := s.cutArchive(cut); err != nil {
				return st, err
			}
			after := s.archiveBytes()
			if after >= before {
				break // nothing left that the estimate can see
			}
			total -= min(total, before-after)
		}
	}
	st.ArchiveFloor = s.arcFloor.Load()
	return st, nil
}

// retain is Retain for the store's maintenance goroutine.
func (s *Store) retain() {
	if _, err := s.Retain(); err != nil && !errors.Is(err, store.ErrPaused) {
		s.log.Warn("dashcam: retention failed", "err", err)
	}
}

// archiveBytes estimates the disk space of the archive above the floor.
func (s *Store) archiveBytes() uint64 {
	n, _ := s.Estimate(archiveBound(s.arcFloor.Load()), archiveEnd)
	return n
}

// archiveFirst returns the key time of the oldest archive chunk kept.
func (s *Store) archiveFirst() (int64, bool) {
	k, ok, err := s.FirstKey(archiveBound(s.arcFloor.Load()), archiveEnd)
	if err != nil || !ok || len(k) != 17 {
		return 0, false
	}
	return store.KeyTime(binary.BigEndian.Uint64(k[1:])), true
}

// archiveCutFor returns the earliest time such that the archive from it
// on takes at most keep bytes by Pebble's estimate, found by bisection.
func (s *Store) archiveCutFor(keep uint64) int64 {
	floor := s.arcFloor.Load()
	lo, ok := s.archiveFirst()
	if !ok {
		return floor
	}
	lastKey, ok, err := s.LastKey(store.Archive)
	if err != nil || !ok {
		return floor
	}
	hi := store.KeyTime(binary.BigEndian.Uint64(lastKey[1:])) + 1
	for hi-lo > int64(time.Millisecond) {
		mid := lo + (hi-lo)/2
		n, _ := s.Estimate(archiveBound(mid), archiveEnd)
		if n <= keep {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// cutArchive deletes archive chunks whose key time is before t.
func (s *Store) cutArchive(t int64) error {
	floor := s.arcFloor.Load()
	if t <= floor {
		return nil
	}
	b := s.NewBatch()
	defer b.Close()
	if err := b.DeleteRange(archiveBound(math.MinInt64), archiveBound(t), nil); err != nil {
		return err
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(t))
	if err := b.Set(store.Meta.Name("archive-floor"), v[:], nil); err != nil {
		return err
	}
	if err := s.Write(b, true); err != nil {
		return err
	}
	s.arcFloor.Store(t)
	return nil
}

// ArchiveSpan returns the key times of the oldest and newest archive
// chunks kept; ok is false when the archive is empty.
func (s *Store) ArchiveSpan() (first, last int64, ok bool) {
	first, ok = s.archiveFirst()
	if !ok {
		return 0, 0, false
	}
	return first, s.arcNewest.Load(), true
}
