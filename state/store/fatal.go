package store

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"

	"github.com/cockroachdb/pebble/v2"
)

// ErrFailed is returned by every operation of a Store whose database hit
// an error Pebble cannot continue from (a write-ahead log or manifest
// write the disk refused, reported through Logger.Fatalf). The rest of the
// process carries on without recording; what was written before is
// recovered when the store is opened again.
var ErrFailed = errors.New("store: the store failed and must be reopened (restart ptpwatch)")

// Pebble reports unrecoverable errors through its Logger's Fatalf and
// expects the process to end there. An appliance must not lose its
// capture for a disk fault, so fatalLogger ends only Pebble's part:
//
//   - in a goroutine of ours committing a batch (Store.Write, SyncWAL),
//     it panics with a pebbleFatal that the commit recovers into an error;
//   - in one of Pebble's own goroutines it parks that goroutine for good,
//     so that Pebble does not carry on in a state it did not plan for.
//
// Either way the store is marked failed first: from then on no operation
// calls into Pebble, whose locks a parked goroutine may hold, and Close
// leaves the database as a crash would.
type fatalLogger struct {
	s *Store
	l *slog.Logger
}

func (q fatalLogger) Infof(string, ...any) {}

func (q fatalLogger) Errorf(format string, args ...any) {
	q.l.Error("pebble: " + fmt.Sprintf(format, args...))
}

func (q fatalLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	// The error keeps the first line: Pebble's reports may go on with
	// stack traces, which belong in the log, not in API answers.
	err := fmt.Errorf("store: pebble: %s", firstLine(msg))
	q.l.Error("store: the store failed; writing stops until ptpwatch restarts", "err", msg)
	q.s.fail(err)
	if _, ours := q.s.committers.Load(goroutineID()); ours {
		panic(pebbleFatal{err})
	}
	select {}
}

// pebbleFatal carries a Fatalf from Pebble to the commit that caused it.
type pebbleFatal struct{ err error }

// fail marks the store failed and reports it once, as an error matching
// ErrFailed, without waiting for OnTrouble (it may run inside Pebble).
func (s *Store) fail(err error) {
	if s.failed.Swap(true) {
		return
	}
	s.pauseAsync(fmt.Errorf("%w: %v", ErrFailed, err), false, true)
}

// live returns the database, or ErrFailed.
func (s *Store) live() (*pebble.DB, error) {
	if s.failed.Load() {
		return nil, ErrFailed
	}
	return s.db, nil
}

// committing runs fn, which commits to Pebble, so that a Fatalf inside it
// comes back as an error.
func (s *Store) committing(fn func() error) (err error) {
	id := goroutineID()
	s.committers.Store(id, struct{}{})
	defer func() {
		s.committers.Delete(id)
		if p := recover(); p != nil {
			f, ok := p.(pebbleFatal)
			if !ok {
				panic(p)
			}
			err = f.err
		}
	}()
	return fn()
}

// goroutineID returns the calling goroutine's id, from the first line of
// its stack trace ("goroutine 7 [running]:"). It costs about a
// microsecond, paid once per commit, not per frame.
func goroutineID() int64 {
	var b [64]byte
	n := runtime.Stack(b[:], false)
	f := bytes.Fields(b[:n])
	if len(f) < 2 {
		return 0
	}
	id, _ := strconv.ParseInt(string(f[1]), 10, 64)
	return id
}

// NewIter returns an iterator; bound it (IterOptions.LowerBound,
// UpperBound) to the family it reads.
func (s *Store) NewIter(o *pebble.IterOptions) (*pebble.Iterator, error) {
	db, err := s.live()
	if err != nil {
		return nil, err
	}
	return db.NewIter(o)
}

// Estimate returns Pebble's estimate of the disk space of [lo, hi).
func (s *Store) Estimate(lo, hi []byte) (uint64, error) {
	db, err := s.live()
	if err != nil {
		return 0, err
	}
	return db.EstimateDiskUsage(lo, hi)
}

// Failed reports whether the store has failed: every operation returns
// ErrFailed until it is opened again.
func (s *Store) Failed() bool { return s.failed.Load() }
