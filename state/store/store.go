package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
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
	// ErrPaused is returned by writes while disk trouble has paused the
	// store (see Options.OnTrouble); nothing stored is affected.
	ErrPaused = errors.New("store: writing paused by disk trouble")
	// ErrNoStore is returned by Open with Options.MustExist for a
	// directory that holds no store.
	ErrNoStore = errors.New("store: no store in that directory")
	// ErrInUse is returned by Open for a store another Store holds, in
	// this process or another (a running appliance).
	ErrInUse = errors.New("store: the store is in use")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("store: store closed")
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
	s := fmt.Sprintf("store: disk nearly full under %s: %d MiB free, recording needs %d MiB", e.Dir, e.Avail>>20, e.Want>>20)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *DiskFullError) Unwrap() error { return e.Err }

// Options configure a Store. The zero value is usable: every default is
// stated with its field.
type Options struct {
	// EventsKept is how many event log entries are kept. 0 means 1,000,000.
	EventsKept int
	// MinFreeBytes is the free space below which writing pauses (and
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
	// TrimInterval is how often the event log is cut to EventsKept. 0
	// means 10 s.
	TrimInterval time.Duration
	// MemTableBytes is Pebble's memtable size. 0 means 64 MiB.
	MemTableBytes int64
	// OnTrouble, when set, is called (from a store goroutine) when writing
	// pauses: the disk is nearly full or a write failed. The appliance
	// turns it into an event. Writing resumes by itself.
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
	// FS is the file system under the store. nil means vfs.Default; tests
	// give one that fails writes or reports a full disk.
	FS vfs.FS
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
	if o.TrimInterval <= 0 {
		o.TrimInterval = 10 * time.Second
	}
	if o.MemTableBytes <= 0 {
		o.MemTableBytes = 64 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.FS == nil {
		o.FS = vfs.Default
	}
}

// Store is the Pebble database under --data: the general records (device
// metadata, settings, the event log) and the key families of the layers
// above it (dashcam's incidents and archive). It is safe for concurrent
// use.
type Store struct {
	db   *pebble.DB
	dir  string
	opts Options
	fs   vfs.FS // the file system without the disk-full wrapper

	paused    atomic.Bool
	troubleMu sync.Mutex
	trouble   error // why writing is paused
	diskFull  bool  // the pause waits for free space, not a retry

	eventSeq atomic.Uint64 // last stored event

	jobsMu sync.Mutex
	jobs   []*Maintenance // see Maintain

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	// writeMu is held for reading by every commit and for writing by
	// Close, which sets closed: a layer still writing after Close (a
	// recorder not yet stopped) gets ErrClosed, not Pebble's panic.
	writeMu sync.RWMutex
	closed  bool

	failed     atomic.Bool // see fatalLogger
	committers sync.Map    // goroutine ids inside a commit, see committing

	damage damageLog // see corrupt.go
}

// Maintenance is work a layer above the store runs on the store's
// maintenance goroutine, which also checks free space and handles damage
// reports: retention of its records, and its answer to damage.
type Maintenance struct {
	// Every is how often Run runs; 0: never.
	Every time.Duration
	// Run does the periodic work. It is not called while the store has
	// failed.
	Run func()
	// Damaged, when set, is told of every damaged file reported, after
	// Options.OnDamage, with the key range [lo, hi] the file holds (nil
	// when unknown), while the store has not failed.
	Damaged func(lo, hi []byte)

	last time.Time
}

// Maintain adds m to the work of the maintenance goroutine, until Close.
func (s *Store) Maintain(m *Maintenance) {
	m.last = time.Now()
	s.jobsMu.Lock()
	s.jobs = append(s.jobs, m)
	s.jobsMu.Unlock()
}

func (s *Store) maintenance() []*Maintenance {
	s.jobsMu.Lock()
	defer s.jobsMu.Unlock()
	return append([]*Maintenance(nil), s.jobs...)
}

// ballastName keeps the name it had when the store was dashcam's, so that
// data directories made then find their ballast.
const ballastName = "dashcam.ballast"

// Open opens (or creates) the store in dir and starts its maintenance
// goroutine (free space checks, event log trimming, the work layers add
// with Maintain).
func Open(dir string, opts Options) (*Store, error) {
	opts.defaults()
	s := &Store{dir: dir, opts: opts, fs: opts.FS,
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
				if IsCorruption(err) {
					// A compaction read a damaged table: reported once by
					// DataCorruption; not a reason to stop writing.
					return
				}
				s.pause(fmt.Errorf("store: background write failed: %w", err), isNoSpace(err))
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
	if IsCorruption(err) {
		return nil, fmt.Errorf("store: open %s: %w", dir, s.ReadErr(err))
	}
	if err != nil && optionsError(err) {
		// Pebble's complaints about its OPTIONS file do not name it.
		return nil, fmt.Errorf("store: open %s: %w", dir, &CorruptionError{Dir: dir, File: newestOptions(s.fs, dir), Err: err})
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	s.db = db
	for _, err := range walDamage {
		var ce *CorruptionError
		if errors.As(err, &ce) {
			s.damage.mu.Lock()
			s.damage.files[ce.File] = true
			s.damage.mu.Unlock()
		}
		s.opts.Logger.Error("store: the store is damaged; what the damaged part held cannot be read", "err", err)
		if fn := opts.OnDamage; fn != nil {
			fn(err)
		}
	}
	if err := s.checkSpace(); err != nil {
		s.pause(err, true)
	} else if err := s.ensureBallast(); err != nil {
		opts.Logger.Warn("store: cannot create the ballast file", "err", err)
	}
	if err := s.load(); err != nil {
		s.closeDB()
		return nil, fmt.Errorf("store: open %s: %w", dir, s.ReadErr(err))
	}
	go s.maintain()
	return s, nil
}

// load reads the store's counters.
func (s *Store) load() error {
	// Damage where the newest event is kept leaves the rest readable:
	// numbering goes on from the clock (above any counter so far), so
	// nothing stored is overwritten. The damage itself is reported by
	// onCorruption.
	if k, ok, err := s.LastKey(Events); IsCorruption(err) {
		s.eventSeq.Store(uint64(time.Now().UnixNano()))
	} else if err != nil {
		return err
	} else if ok {
		s.eventSeq.Store(binary.BigEndian.Uint64(k[1:]))
	}
	return nil
}

// Close stops maintenance and closes the database. The layers using the
// store (dashcam's recorder) must be stopped first.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.done
		s.writeMu.Lock()
		s.closed = true
		s.writeMu.Unlock()
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
		s.opts.Logger.Warn("store: the failed store did not close; its directory stays locked until ptpwatch exits", "dir", s.dir)
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
		s.opts.Logger.Warn("store: writing paused", "err", err)
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
		s.opts.Logger.Info("store: writing resumed")
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

// maintain checks free space, resumes paused writing, trims the event
// log and runs the layers' Maintenance.
func (s *Store) maintain() {
	defer close(s.done)
	check := time.NewTicker(s.opts.CheckInterval)
	defer check.Stop()
	lastTrim := time.Now()
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
		if time.Since(lastTrim) >= s.opts.TrimInterval {
			lastTrim = time.Now()
			if _, err := s.TrimEvents(); err != nil && !errors.Is(err, ErrPaused) {
				s.opts.Logger.Warn("store: trimming the event log failed", "err", err)
			}
		}
		for _, m := range s.maintenance() {
			if m.Run != nil && m.Every > 0 && time.Since(m.last) >= m.Every {
				m.last = time.Now()
				m.Run()
			}
		}
	}
}

// Write commits b unless writing is paused. A failed commit pauses
// writing. sync makes the commit durable before it returns. It returns
// ErrFailed or ErrPaused without committing while the store has failed
// or writing is paused, and ErrClosed after Close.
func (s *Store) Write(b *pebble.Batch, sync bool) error {
	o := pebble.NoSync
	if sync {
		o = pebble.Sync
	}
	return s.commit("write", func() error { return b.Commit(o) })
}

// commit runs fn, which commits to Pebble, unless the store is closed,
// has failed or is paused; a failed commit pauses writing (what says why).
func (s *Store) commit(what string, fn func() error) error {
	s.writeMu.RLock()
	defer s.writeMu.RUnlock()
	switch {
	case s.closed:
		return ErrClosed
	case s.failed.Load():
		return ErrFailed
	case s.paused.Load():
		return ErrPaused
	}
	if err := s.committing(fn); err != nil {
		if s.failed.Load() {
			return err
		}
		s.pause(fmt.Errorf("store: %s failed: %w", what, err), isNoSpace(err))
		return err
	}
	return nil
}

// Get returns a copy of the value stored under key.
func (s *Store) Get(key []byte) ([]byte, bool, error) {
	db, err := s.live()
	if err != nil {
		return nil, false, err
	}
	v, c, err := db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, s.ReadErr(err)
	}
	out := append([]byte(nil), v...)
	c.Close()
	return out, true, nil
}

// LastKey returns a copy of the largest key of family f.
func (s *Store) LastKey(f Family) ([]byte, bool, error) {
	lo, hi := f.Span()
	return s.edgeKey(lo, hi, true)
}

// FirstKey returns a copy of the smallest key in [lo, hi).
func (s *Store) FirstKey(lo, hi []byte) ([]byte, bool, error) { return s.edgeKey(lo, hi, false) }

// edgeKey returns a copy of the largest (last) or smallest key in [lo, hi).
func (s *Store) edgeKey(lo, hi []byte, last bool) ([]byte, bool, error) {
	it, err := s.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, false, err
	}
	defer it.Close()
	ok := false
	if last {
		ok = it.Last()
	} else {
		ok = it.First()
	}
	if !ok {
		return nil, false, it.Error()
	}
	return append([]byte(nil), it.Key()...), true, nil
}

// Each calls fn with every key and value of family f, in key order.
// The slices are valid only during the call.
func (s *Store) Each(f Family, fn func(k, v []byte) error) error {
	lo, hi := f.Span()
	it, err := s.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
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
			return s.ReadErr(err)
		}
	}
	return s.ReadErr(it.Close())
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

// NewBatch returns a batch to fill and Write.
func (s *Store) NewBatch() *pebble.Batch { return s.db.NewBatch() }

// SyncWAL makes everything written so far durable.
func (s *Store) SyncWAL() error {
	return s.commit("sync", func() error { return s.db.LogData([]byte("sync"), pebble.Sync) })
}

// NewBatchWithSize returns a batch whose buffer starts at size bytes, for
// a writer that fills and reuses one large batch.
func (s *Store) NewBatchWithSize(size int) *pebble.Batch { return s.db.NewBatchWithSize(size) }

// Logger returns the logger the store reports to (Options.Logger).
func (s *Store) Logger() *slog.Logger { return s.opts.Logger }

// Compact compacts the keys in [lo, hi) (for tests and size reports).
func (s *Store) Compact(lo, hi []byte) error {
	db, err := s.live()
	if err != nil {
		return err
	}
	return db.Compact(context.Background(), lo, hi, false)
}
