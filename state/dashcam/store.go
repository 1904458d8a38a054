package dashcam

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/ptpwatch/ptpwatch/state/store"
)

// Errors.
var (
	// ErrNotFound is returned for an incident id the store does not hold.
	ErrNotFound = errors.New("dashcam: no such incident")
	// ErrRecording is returned by DeleteIncident for an incident still
	// being recorded.
	ErrRecording = errors.New("dashcam: incident is still recording")
)

// Options configure a Store. The zero value is usable: every default is
// stated with its field.
type Options struct {
	// MaxBytes bounds the disk space of incidents and archive together;
	// retention deletes the oldest of either until they fit. 0: no bound.
	MaxBytes int64
	// MaxAge deletes incidents created longer ago (wall clock). 0: kept
	// until MaxBytes needs the room.
	MaxAge time.Duration
	// ArchiveMaxBytes bounds the continuous archive alone. 0: no bound of
	// its own.
	ArchiveMaxBytes int64
	// ArchiveMaxAge deletes archived frames captured longer ago than this
	// before the newest archived frame. 0: no age bound.
	ArchiveMaxAge time.Duration
	// RetentionInterval is how often retention runs. 0 means 10 s.
	RetentionInterval time.Duration
	// Store configures the database that Open opens; New, given an open
	// one, does not use it.
	Store store.Options
}

// Store keeps incidents and the continuous archive in a store.Store (its
// Archive, Frames, Incidents and Meta key families), and gives access to
// the store's general records beside them. It is safe for concurrent use.
type Store struct {
	*store.Store
	owned bool // Open opened the database, and Close closes it
	opts  Options
	log   *slog.Logger

	mu        sync.Mutex // incident descriptions, id allocation, retention
	nextID    uint64
	recording map[uint64]bool // ids a Recorder is writing

	arcSeq    atomic.Uint64 // last archive chunk sequence
	arcNewest atomic.Int64  // time of the newest archived frame (for ArchiveMaxAge)
	arcFloor  atomic.Int64  // archive keys below this time are deleted
}

// Open opens (or creates) the store in dir with opts.Store, and New on
// it; Close closes both.
func Open(dir string, opts Options) (*Store, error) {
	db, err := store.Open(dir, opts.Store)
	if err != nil {
		return nil, err
	}
	s, err := New(db, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// New starts keeping incidents and the archive in db: it recovers
// incidents that a crash left recording (they become incomplete with
// what they saved) and has db's maintenance goroutine run retention and
// check incidents against damage reports.
func New(db *store.Store, opts Options) (*Store, error) {
	if opts.RetentionInterval <= 0 {
		opts.RetentionInterval = 10 * time.Second
	}
	s := &Store{Store: db, opts: opts, log: db.Logger(), recording: map[uint64]bool{}}
	if err := s.load(); err != nil {
		return nil, fmt.Errorf("dashcam: open %s: %w", db.Dir(), s.ReadErr(err))
	}
	db.Maintain(&store.Maintenance{Every: opts.RetentionInterval, Run: s.retain, Damaged: s.damaged})
	return s, nil
}

// load reads the store's counters and recovers interrupted incidents.
func (s *Store) load() error {
	if k, ok, err := s.LastKey(store.Incidents); err != nil {
		return err
	} else if ok {
		s.nextID = binary.BigEndian.Uint64(k[1:]) + 1
	} else {
		s.nextID = 1
	}
	// Damage where the newest archive chunk is kept leaves the rest
	// readable: numbering goes on from the clock (above any counter so
	// far), so nothing stored is overwritten. The damage itself is
	// reported by the store.
	s.arcFloor.Store(math.MinInt64)
	if v, ok, err := s.Get(store.Meta.Name("archive-floor")); err != nil && !store.IsCorruption(err) {
		return err
	} else if ok && len(v) == 8 {
		s.arcFloor.Store(int64(binary.BigEndian.Uint64(v)))
	}
	s.arcNewest.Store(math.MinInt64)
	if k, ok, err := s.LastKey(store.Archive); store.IsCorruption(err) {
		s.arcSeq.Store(uint64(time.Now().UnixNano()))
	} else if err != nil {
		return err
	} else if ok && len(k) == 17 {
		s.arcSeq.Store(binary.BigEndian.Uint64(k[9:]))
		s.arcNewest.Store(store.KeyTime(binary.BigEndian.Uint64(k[1:])))
	}
	return s.recover()
}

// recover marks incidents left recording by a crash incomplete, with the
// frame and byte counts of what was actually stored.
func (s *Store) recover() error {
	incs, err := s.Incidents()
	if err != nil {
		return err
	}
	for _, inc := range incs {
		if inc.State != StateRecording {
			continue
		}
		if err := s.recount(&inc); store.IsCorruption(err) {
			inc.Damaged = "frames cannot be read back: " + s.ReadErr(err).Error()
			s.log.Error("dashcam: interrupted incident is damaged", "incident", inc.ID, "err", s.ReadErr(err))
		} else if err != nil {
			return err
		}
		inc.State = StateIncomplete
		inc.Reason = appendReason(inc.Reason, "recording interrupted: ptpwatch stopped before the window ended")
		if err := s.putIncident(&inc, true); err != nil {
			if errors.Is(err, store.ErrPaused) {
				continue // stays recording on disk; recovered at the next open
			}
			return err
		}
	}
	return nil
}

// recount sets inc's frame and byte counts and first and last frame
// times from its stored chunks.
func (s *Store) recount(inc *Incident) error {
	lo, hi := framesSpan(inc.ID)
	it, err := s.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	inc.Frames, inc.Bytes = 0, 0
	inc.First, inc.Last = 0, 0
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return err
		}
		n, first, last, err := chunkInfo(v)
		if err != nil {
			it.Close()
			return err
		}
		if inc.Frames == 0 || first < inc.First {
			inc.First = first
		}
		inc.Last = max(inc.Last, last)
		inc.Frames += uint64(n)
		inc.Bytes += uint64(len(v) - chunkHeader - n*recHeader)
	}
	return it.Close()
}

func appendReason(old, r string) string {
	if old == "" {
		return r
	}
	return old + "; " + r
}

// Close closes the database if Open opened it. Recorders using the store
// must be stopped first; a database given to New is the caller's to
// close.
func (s *Store) Close() error {
	if !s.owned {
		return nil
	}
	return s.Store.Close()
}

// --- incidents -----------------------------------------------------------

// newIncident allocates an id and stores inc as recording, durably.
func (s *Store) newIncident(inc *Incident) error {
	s.mu.Lock()
	inc.ID = s.nextID
	s.nextID++
	s.recording[inc.ID] = true
	s.mu.Unlock()
	inc.State = StateRecording
	if err := s.putIncident(inc, true); err != nil {
		s.mu.Lock()
		delete(s.recording, inc.ID)
		s.mu.Unlock()
		return err
	}
	return nil
}

// putIncident stores inc's description.
func (s *Store) putIncident(inc *Incident, sync bool) error {
	b := s.NewBatch()
	defer b.Close()
	if err := s.addIncident(b, inc); err != nil {
		return err
	}
	return s.Write(b, sync)
}

func (s *Store) addIncident(b *pebble.Batch, inc *Incident) error {
	v, err := json.Marshal(inc)
	if err != nil {
		return err
	}
	return b.Set(incidentKey(inc.ID), v, nil)
}

// addTrigger lists one more trigger in a finished incident's
// description.
func (s *Store) addTrigger(id uint64, tr Trigger) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	inc, err := s.Incident(id)
	if err != nil {
		return err
	}
	if len(inc.Triggers) < maxTriggers {
		inc.Triggers = append(inc.Triggers, tr)
	}
	return s.putIncident(&inc, true)
}

// finished forgets that id is being recorded.
func (s *Store) finished(id uint64) {
	s.mu.Lock()
	delete(s.recording, id)
	s.mu.Unlock()
}

// Incident returns the description of incident id.
func (s *Store) Incident(id uint64) (Incident, error) {
	v, ok, err := s.Get(incidentKey(id))
	if err != nil {
		return Incident{}, err
	}
	if !ok {
		return Incident{}, ErrNotFound
	}
	var inc Incident
	if err := json.Unmarshal(v, &inc); err != nil {
		return Incident{}, fmt.Errorf("dashcam: incident %d: %w", id, err)
	}
	return inc, nil
}

// Incidents returns every incident, oldest first. Incidents being recorded
// show the counts of their last progress update (about once a second).
func (s *Store) Incidents() ([]Incident, error) {
	var out []Incident
	err := s.Each(store.Incidents, func(k, v []byte) error {
		var inc Incident
		if err := json.Unmarshal(v, &inc); err != nil {
			return fmt.Errorf("dashcam: incident key %x: %w", k, err)
		}
		out = append(out, inc)
		return nil
	})
	return out, err
}

// IncidentDiskBytes estimates the disk space of incident id's frames.
func (s *Store) IncidentDiskBytes(id uint64) uint64 {
	lo, hi := framesSpan(id)
	n, _ := s.Estimate(lo, hi)
	return n
}

// DeleteIncident deletes incident id and its frames, durably. It refuses
// an incident being recorded.
func (s *Store) DeleteIncident(id uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleteIncidentLocked(id)
}

func (s *Store) deleteIncidentLocked(id uint64) error {
	if s.recording[id] {
		return ErrRecording
	}
	if _, ok, err := s.Get(incidentKey(id)); err != nil {
		return err
	} else if !ok {
		return ErrNotFound
	}
	b := s.NewBatch()
	defer b.Close()
	lo, hi := framesSpan(id)
	if err := b.DeleteRange(lo, hi, nil); err != nil {
		return err
	}
	if err := b.Delete(incidentKey(id), nil); err != nil {
		return err
	}
	return s.Write(b, true)
}

// putInterfaces stores the capture interfaces for archive exports.
func (s *Store) putInterfaces(ifs []Interface) error {
	v, err := json.Marshal(ifs)
	if err != nil {
		return err
	}
	return s.PutOrDelete(store.Meta.Name("interfaces"), v)
}

// archiveInterfaces returns the interfaces last stored by putInterfaces.
func (s *Store) archiveInterfaces() []Interface {
	v, ok, err := s.Get(store.Meta.Name("interfaces"))
	if err != nil || !ok {
		return nil
	}
	var ifs []Interface
	_ = json.Unmarshal(v, &ifs)
	return ifs
}

// isPaused reports whether disk trouble has paused writing.
func (s *Store) isPaused() bool {
	paused, _ := s.Paused()
	return paused
}
