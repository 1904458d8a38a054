package store

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/record"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Damage on disk (a flipped bit, an overwritten block) is found when
// Pebble reads it: opening the store (MANIFEST, OPTIONS, CURRENT, older
// write-ahead logs), reading a value, or compacting a table in the
// background. Pebble's default is to call Logger.Fatalf, which the store
// turns into parking the goroutine (see fatalLogger): a read or a
// compaction that never ends, and an Open that waits for that compaction
// for ever. So the store sets Pebble's DataCorruption listener itself:
// the damage is reported (log, Options.OnDamage) and the read returns a
// *CorruptionError. Damage is a read error, not a write error: it does not
// pause or fail the store, and only what lies in the damaged block is
// lost.

// ErrCorrupt matches every *CorruptionError (errors.Is).
var ErrCorrupt = errors.New("store: damaged data in the store")

// ErrMalformed reports a stored value that does not parse. Pebble
// checksums blocks, so a malformed value means damage Pebble could not
// see; the layers above wrap it for their own records. IsCorruption
// reports it.
var ErrMalformed = errors.New("store: malformed value")

// CorruptionError reports data of the store that cannot be read back
// because a file of it is damaged.
type CorruptionError struct {
	Dir    string // the store's directory
	File   string // the damaged file's name in Dir, when known
	Record string // what was being read, when a layer says ("incident 7")
	Err    error  // what Pebble (or the store's own checks) found
}

func (e *CorruptionError) Error() string {
	var b strings.Builder
	b.WriteString("store: the store in " + e.Dir + " is damaged")
	if e.File != "" {
		b.WriteString(": file " + e.File)
	}
	if e.Record != "" {
		b.WriteString(" (reading " + e.Record + ")")
	}
	if e.Err != nil {
		b.WriteString(": " + firstLine(e.Err.Error()))
	}
	return b.String()
}

func (e *CorruptionError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptionError) Is(target error) bool { return target == ErrCorrupt }

// firstLine returns s up to its first line break: Pebble's detailed
// reports carry stack traces on the lines after.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// IsCorruption reports whether err says stored data is damaged.
func IsCorruption(err error) bool {
	return err != nil && (pebble.IsCorruptionError(err) || errors.Is(err, ErrMalformed) || errors.Is(err, ErrCorrupt))
}

// ReadErr turns a corruption found while reading into a *CorruptionError
// naming the file, and passes other errors through.
func (s *Store) ReadErr(err error) error {
	if !IsCorruption(err) {
		return err
	}
	var ce *CorruptionError
	if errors.As(err, &ce) {
		return err
	}
	ce = &CorruptionError{Dir: s.dir, Err: err}
	if info := pebble.ExtractDataCorruptionInfo(err); info != nil {
		ce.File = filepath.Base(info.Path)
	} else if f := corruptFileIn(err.Error()); f != "" {
		ce.File = f
	}
	return ce
}

// corruptFileIn finds the name of a store file in an error message.
func corruptFileIn(msg string) string {
	for _, w := range strings.FieldsFunc(firstLine(msg), func(r rune) bool { return r == ' ' || r == ':' || r == ',' || r == '"' || r == ';' }) {
		w = filepath.Base(w)
		switch {
		case strings.HasSuffix(w, ".sst"), strings.HasSuffix(w, ".log"), strings.HasSuffix(w, ".blob"),
			strings.HasPrefix(w, "MANIFEST-"), strings.HasPrefix(w, "OPTIONS-"), w == "CURRENT":
			return w
		}
	}
	return ""
}

// damageLog remembers the damaged files reported, so each is reported
// once, and hands reports to the maintenance goroutine.
type damageLog struct {
	mu    sync.Mutex
	files map[string]bool
	queue chan damageReport
}

type damageReport struct {
	err    error
	lo, hi []byte // the key range the damaged file holds, when known
}

// onCorruption is Pebble's DataCorruption listener. It runs inside reads
// and compactions, so it must not block: it queues the report.
func (s *Store) onCorruption(info pebble.DataCorruptionInfo) {
	name := filepath.Base(info.Path)
	s.damage.mu.Lock()
	seen := s.damage.files[name]
	s.damage.files[name] = true
	s.damage.mu.Unlock()
	if seen {
		return
	}
	r := damageReport{err: &CorruptionError{Dir: s.dir, File: name, Err: info.Details}}
	if info.Bounds.Start != nil {
		r.lo = slices.Clone(info.Bounds.Start)
		if info.Bounds.End.Kind != 0 || info.Bounds.End.Key != nil {
			r.hi = slices.Clone(info.Bounds.End.Key)
		}
	}
	s.reportDamage(r)
}

// reportDamage logs r and queues it for Options.OnDamage and the check
// of the incidents it touches; it never blocks.
func (s *Store) reportDamage(r damageReport) {
	s.opts.Logger.Error("store: the store is damaged; what the damaged part held cannot be read", "err", r.err)
	select {
	case s.damage.queue <- r:
	default: // the maintenance goroutine is behind; the log has it
	}
}

// DamagedFiles returns the names of the store's files found damaged since
// it was opened.
func (s *Store) DamagedFiles() []string {
	s.damage.mu.Lock()
	defer s.damage.mu.Unlock()
	out := make([]string, 0, len(s.damage.files))
	for f := range s.damage.files {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// handleDamage runs on the maintenance goroutine: it tells OnDamage and
// the layers, which check the records they keep in the damaged range.
func (s *Store) handleDamage(r damageReport) {
	if fn := s.opts.OnDamage; fn != nil {
		fn(r.err)
	}
	if s.failed.Load() {
		return
	}
	for _, m := range s.maintenance() {
		if m.Damaged != nil {
			m.Damaged(r.lo, r.hi)
		}
	}
}

// checkWALs reads the newest write-ahead log in dir before Pebble replays
// it. Pebble stops replaying the newest log at the first damaged record
// and takes it for the torn end of a crash, silently dropping the records
// after it. A crash leaves nothing valid after its torn end, so a valid
// record of the same log further on proves damage: that is reported.
// Damage in an older log that still holds unflushed writes makes Pebble's
// Open fail, which is reported there; older logs already flushed are kept
// only for reuse, and their damage harms nothing.
func checkWALs(fs vfs.FS, dir string) []error {
	names, err := fs.List(dir)
	if err != nil {
		return nil
	}
	newest, path := uint64(0), ""
	for _, name := range names {
		var num uint64
		if !strings.HasSuffix(name, ".log") {
			continue
		}
		if _, err := fmt.Sscanf(name, "%06d.log", &num); err != nil {
			continue
		}
		if num > newest {
			newest, path = num, fs.PathJoin(dir, name)
		}
	}
	if path == "" {
		return nil
	}
	if err := checkWAL(fs, path, newest); err != nil {
		return []error{err}
	}
	return nil
}

// walBlock is the write-ahead log's block size: every block starts with a
// record chunk header.
const walBlock = 32 << 10

func checkWAL(fs vfs.FS, path string, num uint64) error {
	f, err := fs.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil
	}
	size := st.Size()
	ra, ok := f.(io.ReaderAt)
	if !ok {
		return nil
	}
	rr := newWALReader(record.NewReader, io.NewSectionReader(ra, 0, size), num)
	records, good := 0, int64(0)
	var bad error
	for {
		r, err := rr.Next()
		if err == nil {
			_, err = io.Copy(io.Discard, r)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			bad = err
			break
		}
		records++
		good = rr.Offset()
	}
	// A crash leaves nothing valid of this log after its torn end: look
	// for a valid first chunk of it in any later block, reading one block
	// per probe.
	for blk := good/walBlock + 1; blk*walBlock < size; blk++ {
		pr := newWALReader(record.NewReader, io.NewSectionReader(ra, blk*walBlock, walBlock), num)
		if _, err := pr.Next(); err == nil {
			return &CorruptionError{Dir: filepath.Dir(path), File: filepath.Base(path),
				Err: fmt.Errorf("write-ahead log damaged after its record %d (byte %d of %d): the valid records after the damage are not replayed, so writes not yet flushed to a table are lost (%v)",
					records, good, size, firstLine(bad.Error()))}
		}
	}
	return nil
}

// newWALReader calls record.NewReader, whose log number type lives in an
// internal package of Pebble and cannot be named here.
func newWALReader[N ~uint64](newReader func(io.Reader, N) *record.Reader, r io.Reader, num uint64) *record.Reader {
	return newReader(r, N(num))
}

// optionsError reports whether an error of pebble.Open is about its
// OPTIONS file (which Pebble checks against the options given, without
// naming the file).
func optionsError(err error) bool {
	m := strings.ToLower(firstLine(err.Error()))
	return strings.Contains(m, "option") || strings.Contains(m, "from file") || strings.Contains(m, "comparer") || strings.Contains(m, "merger")
}

// newestOptions returns the name of the newest OPTIONS file in dir, the
// one Pebble reads.
func newestOptions(fs vfs.FS, dir string) string {
	names, _ := fs.List(dir)
	best := ""
	for _, n := range names {
		if strings.HasPrefix(n, "OPTIONS-") && n > best {
			best = n
		}
	}
	if best == "" {
		return "OPTIONS"
	}
	return best
}
