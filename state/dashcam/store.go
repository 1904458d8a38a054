package dashcam

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Errors.
var (
	// ErrNotFound is returned for an incident id the store does not hold.
	ErrNotFound = errors.New("dashcam: no such incident")
	// ErrRecording is returned by DeleteIncident for an incident still
	// being recorded.
	ErrRecording = errors.New("dashcam: incident is still recording")
	// ErrPaused is returned by writes while disk trouble has paused the
	// store (see Options.OnTrouble); nothing stored is affected.
	ErrPaused = errors.New("dashcam: storage paused by disk trouble")
	// ErrNoStore is returned by Open with Options.MustExist for a
	// directory that holds no store.
	ErrNoStore = errors.New("dashcam: no store in that directory")
	// ErrInUse is returned by Open for a store another Store holds, in
	// this process or another (a running appliance).
	ErrInUse = errors.New("dashcam: the store is in use")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("dashcam: store closed")
)

// DiskFullError reports that the data directory's file system has less
// free space than Options.MinFreeBytes, or refused a write for want of
// space.
type DiskFullError struct {
	Dir   string
	Avail uint64 // bytes free when it was noticed
	Want  uint64 // Options.MinFreeBytes
	Err   error  // the refused write, when that is how it was noticed
}

func (e *DiskFullError) Error() string {
	s := fmt.Sprintf("dashcam: disk nearly full under %s: %d MiB free, recording needs %d MiB", e.Dir, e.Avail>>20, e.Want>>20)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *DiskFullError) Unwrap() error { return e.Err }

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
	// EventsKept is how many event log entries are kept. 0 means 1,000,000.
	EventsKept int
	// MinFreeBytes is the free space below which recording pauses (and
	// above which, plus BallastBytes, it resumes). 0 means 256 MiB;
	// negative means no check.
	MinFreeBytes int64
	// BallastBytes is the size of a ballast file kept in the directory and
	// deleted when a write nevertheless finds the disk full, so that the
	// store can finish the write and pause cleanly. 0 means 32 MiB;
	// negative means none.
	BallastBytes int64
	// CheckInterval is how often free space is checked and paused writing
	// retried. 0 means 1 s.
	CheckInterval time.Duration
	// RetentionInterval is how often retention runs. 0 means 10 s.
	RetentionInterval time.Duration
	// MemTableBytes is Pebble's memtable size. 0 means 64 MiB.
	MemTableBytes int64
	// OnTrouble, when set, is called (from a store goroutine) when writing
	// pauses: the disk is nearly full or a write failed. The appliance
	// turns it into an event. Recording resumes by itself.
	OnTrouble func(err error)
	// OnRecovered, when set, is called when writing resumes.
	OnRecovered func()
	// OnDamage, when set, is called (from a store goroutine, or from Open)
	// once for each damaged file found: a write-ahead log whose records
	// after the damage were not recovered, or a table that a read or a
	// compaction could not read. The error is a *CorruptionError. Writing
	// goes on; only what the damaged part held is lost.
	OnDamage func(err error)
	// MustExist makes Open fail with ErrNoStore when dir holds no store
	// (for the export CLI), instead of creating one.
	MustExist bool
	// Logger receives Pebble's and the store's messages. nil: slog.Default,
	// with Pebble's informational messages dropped.
	Logger *slog.Logger

	fs vfs.FS // tests: the file system under the store; nil means vfs.Default
}

func (o *Options) defaults() {
	if o.EventsKept <= 0 {
		o.EventsKept = 1_000_000
	}
	if o.MinFreeBytes == 0 {
		o.MinFreeBytes = 256 << 20
	}
	if o.BallastBytes == 0 {
		o.BallastBytes = 32 << 20
	}
	if o.CheckInterval <= 0 {
		o.CheckInterval = time.Second
	}
	if o.RetentionInterval <= 0 {
		o.RetentionInterval = 10 * time.Second
	}
	if o.MemTableBytes <= 0 {
		o.MemTableBytes = 64 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.fs == nil {
		o.fs = vfs.Default
	}
}

// Store is the persistent store under --data: incidents, the continuous
// archive, device metadata, the event log and configuration overrides.
// It is safe for concurrent use.
type Store struct {
	db   *pebble.DB
	dir  string
	opts Options
	fs   vfs.FS // the file system without the disk-full wrapper

	paused    atomic.Bool
	troubleMu sync.Mutex
	trouble   error // why writing is paused
	diskFull  bool  // the pause waits for free space, not a retry

	mu        sync.Mutex // incident descriptions, id allocation, retention
	nextID    uint64
	recording map[uint64]bool // ids a Recorder is writing

	eventSeq  atomic.Uint64 // last stored event
	arcSeq    atomic.Uint64 // last archive chunk sequence
	arcNewest atomic.Int64  // time of the newest archived frame (for ArchiveMaxAge)
	arcFloor  atomic.Int64  // archive keys below this time are deleted

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	// closeMu orders commits before Close: a commit holds it shared and
	// checks closed, Close takes it to set closed, so a late writer (a
	// recorder still running) gets ErrClosed instead of Pebble's panic.
	closeMu sync.RWMutex
	closed  bool

	failed     atomic.Bool // see fatalLogger
	committers sync.Map    // goroutine ids inside a commit, see committing

	damage damageLog // see corrupt.go
}

const ballastName = "dashcam.ballast"

// Open opens (or creates) the store in dir, recovers incidents that a
// crash left recording (they become incomplete with what they saved) and
// starts the store's maintenance goroutine (free space checks, retention).
func Open(dir string, opts Options) (*Store, error) {
	opts.defaults()
	s := &Store{dir: dir, opts: opts, fs: opts.fs, recording: map[uint64]bool{},
		stop: make(chan struct{}), done: make(chan struct{}),
		damage: damageLog{files: map[string]bool{}, queue: make(chan damageReport, 64)}}
	if opts.MustExist {
		if _, err := s.fs.Stat(dir); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNoStore, err)
		}
	} else if err := s.fs.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	po := &pebble.Options{
		FS:                          vfs.OnDiskFull(s.fs, s.onDiskFull),
		Logger:                      fatalLogger{s, opts.Logger},
		MemTableSize:                uint64(opts.MemTableBytes),
		MemTableStopWritesThreshold: 4,
		FlushDelayDeleteRange:       10 * time.Second,
		ErrorIfNotExists:            opts.MustExist,
		EventListener: &pebble.EventListener{
			BackgroundError: func(err error) {
				if isCorruption(err) {
					// A compaction read a damaged table: reported once by
					// DataCorruption; not a reason to stop writing.
					return
				}
				s.pause(fmt.Errorf("dashcam: background write failed: %w", err), isNoSpace(err))
			},
			DataCorruption: s.onCorruption,
		},
	}
	// Damage in the newest write-ahead log is taken by Pebble for the torn
	// end of a crash; find it first, so that it is not silently lost.
	walDamage := checkWALs(s.fs, dir)
	db, err := s.openPebble(dir, po)
	if errors.Is(err, pebble.ErrDBDoesNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoStore, dir)
	}
	if err != nil && (errors.Is(err, syscall.EWOULDBLOCK) || strings.Contains(err.Error(), "lock held")) {
		// Pebble's LOCK file: flock(2) refuses another process, and
		// pebble itself another open in this one.
		return nil, fmt.Errorf("%w: %s: %v", ErrInUse, dir, err)
	}
	if isCorruption(err) {
		return nil, fmt.Errorf("dashcam: open %s: %w", dir, s.readErr(err))
	}
	if err != nil && optionsError(err) {
		// Pebble's complaints about its OPTIONS file do not name it.
		return nil, fmt.Errorf("dashcam: open %s: %w", dir, &CorruptionError{Dir: dir, File: newestOptions(s.fs, dir), Err: err})
	}
	if err != nil {
		return nil, fmt.Errorf("dashcam: open %s: %w", dir, err)
	}
	s.db = db
	for _, err := range walDamage {
		var ce *CorruptionError
		if errors.As(err, &ce) {
			s.damage.mu.Lock()
			s.damage.files[ce.File] = true
			s.damage.mu.Unlock()
		}
		s.opts.Logger.Error("dashcam: the store is damaged; what the damaged part held cannot be read", "err", err)
		if fn := opts.OnDamage; fn != nil {
			fn(err)
		}
	}
	if err := s.checkSpace(); err != nil {
		s.pause(err, true)
	} else if err := s.ensureBallast(); err != nil {
		opts.Logger.Warn("dashcam: cannot create the ballast file", "err", err)
	}
	if err := s.load(); err != nil {
		s.closeDB()
		return nil, fmt.Errorf("dashcam: open %s: %w", dir, s.readErr(err))
	}
	go s.maintain()
	return s, nil
}

// load reads the store's counters and recovers interrupted incidents.
func (s *Store) load() error {
	if k, ok, err := s.lastKey(pfxIncident); err != nil {
		return err
	} else if ok {
		s.nextID = binary.BigEndian.Uint64(k[1:]) + 1
	} else {
		s.nextID = 1
	}
	// Damage where the newest event or archive chunk is kept leaves the
	// rest readable: numbering goes on from the clock (above any counter
	// so far), so nothing stored is overwritten. The damage itself is
	// reported by onCorruption.
	if k, ok, err := s.lastKey(pfxEvent); isCorruption(err) {
		s.eventSeq.Store(uint64(time.Now().UnixNano()))
	} else if err != nil {
		return err
	} else if ok {
		s.eventSeq.Store(binary.BigEndian.Uint64(k[1:]))
	}
	s.arcFloor.Store(math.MinInt64)
	if v, ok, err := s.get(nameKey(pfxMeta, "archive-floor")); err != nil && !isCorruption(err) {
		return err
	} else if ok && len(v) == 8 {
		s.arcFloor.Store(int64(binary.BigEndian.Uint64(v)))
	}
	s.arcNewest.Store(math.MinInt64)
	if k, ok, err := s.lastKey(pfxArchive); isCorruption(err) {
		s.arcSeq.Store(uint64(time.Now().UnixNano()))
	} else if err != nil {
		return err
	} else if ok && len(k) == 17 {
		s.arcSeq.Store(binary.BigEndian.Uint64(k[9:]))
		s.arcNewest.Store(keyTime(binary.BigEndian.Uint64(k[1:])))
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
		if err := s.recount(&inc); isCorruption(err) {
			inc.Damaged = "frames cannot be read back: " + s.readErr(err).Error()
			s.opts.Logger.Error("dashcam: interrupted incident is damaged", "incident", inc.ID, "err", s.readErr(err))
		} else if err != nil {
			return err
		}
		inc.State = StateIncomplete
		inc.Reason = appendReason(inc.Reason, "recording interrupted: ptpwatch stopped before the window ended")
		if err := s.putIncident(&inc, true); err != nil {
			if errors.Is(err, ErrPaused) {
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
	it, err := s.newIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
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

// Close stops maintenance and closes the database. Recorders using the
// store must be stopped first.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.done
		s.closeMu.Lock()
		s.closed = true
		s.closeMu.Unlock()
		if s.failed.Load() {
			s.closeDB()
			err = ErrFailed
			return
		}
		err = s.db.Close()
	})
	return err
}

// closeDB closes a database that failed or that Open gives up on.
// Closing a failed database may wait on a parked Pebble goroutine, or
// panic: try, to release the directory's lock, but only for a while.
func (s *Store) closeDB() {
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		defer func() { _ = recover() }()
		_ = s.db.Close()
	}()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		s.opts.Logger.Warn("dashcam: the failed store did not close; its directory stays locked until ptpwatch exits", "dir", s.dir)
	}
}

// openPebble is pebble.Open with its Fatalf calls and panics on this
// goroutine (a damaged MANIFEST, for example) returned as errors.
func (s *Store) openPebble(dir string, po *pebble.Options) (db *pebble.DB, err error) {
	id := goroutineID()
	s.committers.Store(id, struct{}{})
	defer func() {
		s.committers.Delete(id)
		if p := recover(); p != nil {
			if f, ok := p.(pebbleFatal); ok {
				err = f.err
			} else {
				// Pebble panics on what its files should never hold.
				err = fmt.Errorf("%w: pebble: %v", ErrCorrupt, p)
			}
		}
	}()
	return pebble.Open(dir, po)
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Paused reports whether disk trouble has paused writing, and why.
func (s *Store) Paused() (bool, error) {
	if !s.paused.Load() {
		return false, nil
	}
	s.troubleMu.Lock()
	defer s.troubleMu.Unlock()
	return true, s.trouble
}

// Trouble reports whether writing is paused and why: diskFull says the
// pause waits for free space (it ends by itself once the disk has room);
// otherwise a write failed and is retried after a while, or, when err
// matches ErrFailed, the store stays off until it is reopened.
func (s *Store) Trouble() (paused, diskFull bool, err error) {
	if !s.paused.Load() {
		return false, false, nil
	}
	s.troubleMu.Lock()
	defer s.troubleMu.Unlock()
	return true, s.diskFull, s.trouble
}

// pause stops writing because of err. diskFull says the pause ends when
// free space returns rather than after a retry interval.
func (s *Store) pause(err error, diskFull bool) { s.pauseAsync(err, diskFull, false) }

// pauseAsync is pause; async calls OnTrouble on a new goroutine, for
// callers inside Pebble's file system that must not wait for it.
func (s *Store) pauseAsync(err error, diskFull, async bool) {
	s.troubleMu.Lock()
	first := !s.paused.Load()
	s.trouble = err
	s.diskFull = s.diskFull || diskFull
	s.paused.Store(true)
	s.troubleMu.Unlock()
	if first {
		s.opts.Logger.Warn("dashcam: recording paused", "err", err)
		if fn := s.opts.OnTrouble; fn != nil {
			if async {
				go fn(err)
			} else {
				fn(err)
			}
		}
	}
}

func (s *Store) resume() {
	if s.failed.Load() {
		return // for good: see fatalLogger
	}
	s.troubleMu.Lock()
	was := s.paused.Load()
	s.paused.Store(false)
	s.trouble = nil
	s.diskFull = false
	s.troubleMu.Unlock()
	if was {
		s.opts.Logger.Info("dashcam: recording resumed")
		if s.opts.OnRecovered != nil {
			s.opts.OnRecovered()
		}
	}
}

// onDiskFull runs inside Pebble's file system when a write fails with
// ENOSPC: it frees the ballast so that the write can be retried and
// succeed, and pauses the store.
func (s *Store) onDiskFull() {
	_ = s.fs.Remove(s.fs.PathJoin(s.dir, ballastName))
	var avail uint64
	if u, err := s.fs.GetDiskUsage(s.dir); err == nil {
		avail = u.AvailBytes
	}
	s.pauseAsync(&DiskFullError{Dir: s.dir, Avail: avail, Want: uint64(max(s.opts.MinFreeBytes, 0)), Err: syscall.ENOSPC}, true, true)
}

func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// checkSpace returns a *DiskFullError when free space is below the
// minimum.
func (s *Store) checkSpace() error {
	if s.opts.MinFreeBytes < 0 {
		return nil
	}
	u, err := s.fs.GetDiskUsage(s.dir)
	if err != nil {
		return nil // unknown: do not stop recording for it
	}
	if u.AvailBytes < uint64(s.opts.MinFreeBytes) {
		return &DiskFullError{Dir: s.dir, Avail: u.AvailBytes, Want: uint64(s.opts.MinFreeBytes)}
	}
	return nil
}

// ensureBallast creates the ballast file if it is missing.
func (s *Store) ensureBallast() error {
	if s.opts.BallastBytes <= 0 {
		return nil
	}
	name := s.fs.PathJoin(s.dir, ballastName)
	if st, err := s.fs.Stat(name); err == nil && st.Size() == s.opts.BallastBytes {
		return nil
	}
	f, err := s.fs.Create(name, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	zero := make([]byte, 1<<20)
	for left := s.opts.BallastBytes; left > 0 && err == nil; left -= int64(len(zero)) {
		_, err = f.Write(zero[:min(left, int64(len(zero)))])
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = s.fs.Remove(name)
	}
	return err
}

// maintain checks free space, resumes paused writing and runs retention.
func (s *Store) maintain() {
	defer close(s.done)
	check := time.NewTicker(s.opts.CheckInterval)
	defer check.Stop()
	lastRetain := time.Now()
	pausedAt := time.Time{}
	for {
		select {
		case <-s.stop:
			return
		case r := <-s.damage.queue:
			s.handleDamage(r)
			continue
		case <-check.C:
		}
		if s.failed.Load() {
			continue // nothing to check or retain until a restart
		}
		err := s.checkSpace()
		switch {
		case err != nil && !s.paused.Load():
			s.pause(err, true)
			pausedAt = time.Now()
		case err == nil && s.paused.Load():
			s.troubleMu.Lock()
			diskFull := s.diskFull
			s.troubleMu.Unlock()
			if pausedAt.IsZero() {
				pausedAt = time.Now()
			}
			if diskFull {
				// Resume once the ballast is back and the minimum is
				// still free beside it.
				if s.ensureBallast() != nil || s.checkSpace() != nil {
					continue
				}
			} else if time.Since(pausedAt) < 5*s.opts.CheckInterval {
				continue
			}
			pausedAt = time.Time{}
			s.resume()
		}
		if time.Since(lastRetain) >= s.opts.RetentionInterval {
			lastRetain = time.Now()
			if _, err := s.Retain(); err != nil && !errors.Is(err, ErrPaused) {
				s.opts.Logger.Warn("dashcam: retention failed", "err", err)
			}
		}
	}
}

// write commits b unless writing is paused. A failed commit pauses
// writing. sync makes the commit durable before it returns.
func (s *Store) write(b *pebble.Batch, sync bool) error {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	if s.failed.Load() {
		return ErrFailed
	}
	if s.paused.Load() {
		return ErrPaused
	}
	o := pebble.NoSync
	if sync {
		o = pebble.Sync
	}
	if err := s.committing(func() error { return b.Commit(o) }); err != nil {
		if s.failed.Load() {
			return err
		}
		s.pause(fmt.Errorf("dashcam: write failed: %w", err), isNoSpace(err))
		return err
	}
	return nil
}

func (s *Store) get(key []byte) ([]byte, bool, error) {
	db, err := s.live()
	if err != nil {
		return nil, false, err
	}
	v, c, err := db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, s.readErr(err)
	}
	out := append([]byte(nil), v...)
	c.Close()
	return out, true, nil
}

// lastKey returns a copy of the largest key with prefix pfx.
func (s *Store) lastKey(pfx byte) ([]byte, bool, error) {
	lo, hi := prefixSpan(pfx)
	it, err := s.newIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, false, err
	}
	defer it.Close()
	if !it.Last() {
		return nil, false, it.Error()
	}
	return append([]byte(nil), it.Key()...), true, nil
}

// firstKey returns a copy of the smallest key in [lo, hi).
func (s *Store) firstKey(lo, hi []byte) ([]byte, bool, error) {
	it, err := s.newIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, false, err
	}
	defer it.Close()
	if !it.First() {
		return nil, false, it.Error()
	}
	return append([]byte(nil), it.Key()...), true, nil
}

// each calls fn with every key and value with prefix pfx, in key order.
// The slices are valid only during the call.
func (s *Store) each(pfx byte, fn func(k, v []byte) error) error {
	lo, hi := prefixSpan(pfx)
	it, err := s.newIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err == nil {
			err = fn(it.Key(), v)
		}
		if err != nil {
			it.Close()
			return s.readErr(err)
		}
	}
	return s.readErr(it.Close())
}

// DiskBytes returns Pebble's estimate of the disk space the store uses.
func (s *Store) DiskBytes() uint64 {
	db, err := s.live()
	if err != nil {
		return 0
	}
	return db.Metrics().DiskSpaceUsage()
}

// Flush writes Pebble's memtables to disk (for tests and size reports).
func (s *Store) Flush() error {
	db, err := s.live()
	if err != nil {
		return err
	}
	return db.Flush()
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
	b := s.db.NewBatch()
	defer b.Close()
	if err := s.addIncident(b, inc); err != nil {
		return err
	}
	return s.write(b, sync)
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
	v, ok, err := s.get(incidentKey(id))
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
	err := s.each(pfxIncident, func(k, v []byte) error {
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
	n, _ := s.estimate(lo, hi)
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
	if _, ok, err := s.get(incidentKey(id)); err != nil {
		return err
	} else if !ok {
		return ErrNotFound
	}
	b := s.db.NewBatch()
	defer b.Close()
	lo, hi := framesSpan(id)
	if err := b.DeleteRange(lo, hi, nil); err != nil {
		return err
	}
	if err := b.Delete(incidentKey(id), nil); err != nil {
		return err
	}
	return s.write(b, true)
}

// syncWAL makes everything written so far durable.
func (s *Store) syncWAL() error {
	if s.failed.Load() {
		return ErrFailed
	}
	if s.paused.Load() {
		return ErrPaused
	}
	if err := s.committing(func() error { return s.db.LogData([]byte("sync"), pebble.Sync) }); err != nil {
		if s.failed.Load() {
			return err
		}
		s.pause(fmt.Errorf("dashcam: sync failed: %w", err), isNoSpace(err))
		return err
	}
	return nil
}

// putInterfaces stores the capture interfaces for archive exports.
func (s *Store) putInterfaces(ifs []Interface) error {
	v, err := json.Marshal(ifs)
	if err != nil {
		return err
	}
	return s.putOrDelete(nameKey(pfxMeta, "interfaces"), v)
}

// archiveInterfaces returns the interfaces last stored by putInterfaces.
func (s *Store) archiveInterfaces() []Interface {
	v, ok, err := s.get(nameKey(pfxMeta, "interfaces"))
	if err != nil || !ok {
		return nil
	}
	var ifs []Interface
	_ = json.Unmarshal(v, &ifs)
	return ifs
}
