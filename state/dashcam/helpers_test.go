package dashcam

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// simFrames returns the first n frames of the demo network running its
// scenario (grandmaster failover at 1:00 and so on), copied. The same n
// gives the same frames in every process.
func simFrames(t testing.TB, n int) ([]source.Frame, []source.Interface) {
	t.Helper()
	cfg := sim.DefaultDemo()
	cfg.Scenario = sim.DemoScenario()
	nw, err := sim.New(cfg, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]source.Frame, 0, n)
	arena := make([]byte, 0, n*100)
	var f source.Frame
	for len(out) < n {
		if err := nw.Next(context.Background(), &f); err != nil {
			t.Fatal(err)
		}
		if len(arena)+len(f.Data) > cap(arena) {
			arena = make([]byte, 0, max(len(f.Data), 1<<20))
		}
		off := len(arena)
		arena = append(arena, f.Data...)
		g := f
		g.Data = arena[off:len(arena):len(arena)]
		out = append(out, g)
	}
	return out, nw.Interfaces()
}

// tagged is a source frame with the scope tag and PTP facts the pipeline
// gives it.
type tagged struct {
	source.Frame
	scope   uint32
	msgType uint8
	version uint8
	name    string // scope name
}

// tagFrames decodes frames as the pipeline does.
func tagFrames(frames []source.Frame) []tagged {
	out := make([]tagged, len(frames))
	names := map[uint32]string{}
	var d decode.Frame
	var o state.Observation
	for i := range frames {
		f := &frames[i]
		out[i].Frame = *f
		if d.Decode(f.Link, f.Data) == decode.ResultOK && state.Observe(&d, 0, f.Timestamp, false, &o) {
			tag := o.Scope.Tag()
			out[i].scope, out[i].msgType, out[i].version = tag, uint8(o.Kind), d.Version
			if _, ok := names[tag]; !ok {
				names[tag] = o.Scope.String()
			}
			out[i].name = names[tag]
		}
	}
	return out
}

// feeder runs frames through a real pipeline into a RAM buffer and a
// recorder, calling at[i] (when set) after frame i was handed over.
type feeder struct {
	buf    *ring.Buffer
	log    *state.EventLog
	model  *state.Model
	pipe   *pipeline.Pipeline
	at     map[int]func()
	frames []source.Frame
	ifaces []source.Interface
}

func newFeeder(t testing.TB, frames []source.Frame, ifaces []source.Interface, bufBytes int64) *feeder {
	buf, err := ring.NewBuffer(bufBytes)
	if err != nil {
		t.Fatal(err)
	}
	log := state.NewEventLog(0)
	m := state.NewModel(1, log)
	p := pipeline.New(m)
	p.Buffer = buf
	return &feeder{buf: buf, log: log, model: m, pipe: p, at: map[int]func(){}, frames: frames, ifaces: ifaces}
}

func (fd *feeder) run(t testing.TB, rec *Recorder) {
	i := 0
	fd.pipe.OnStored = func(n uint64, m *ring.RecordMeta, link decode.LinkType, data []byte, o *state.Observation) {
		rec.OnStored(n, m, link, data, o)
		if fn := fd.at[i]; fn != nil {
			fn()
		}
		i++
	}
	src := &source.Memory{Frames: fd.frames, Ifaces: fd.ifaces}
	if err := fd.pipe.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
}

// startRecorder runs rec until the test ends.
func startRecorder(t testing.TB, rec *Recorder) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// waitIdle syncs rec until no incident is recording.
func waitIdle(t testing.TB, rec *Recorder, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		err := rec.Sync(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Stats().Recording) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("incidents %v still recording after %v", rec.Stats().Recording, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// storedFrame is a copy of a stored frame.
type storedFrame struct {
	Time    int64
	OrigLen uint32
	Scope   uint32
	IfIndex uint16
	Data    string
}

func readIncident(t testing.TB, s *Store, id uint64) []storedFrame {
	t.Helper()
	var out []storedFrame
	err := s.ReadIncident(id, func(f *Frame) bool {
		out = append(out, storedFrame{f.Time, f.OrigLen, f.Scope, f.IfIndex, string(f.Data)})
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// expected returns the frames of src in [from, to] that keep selects.
func expected(src []tagged, from, to int64, keep func(*tagged) bool) []storedFrame {
	var out []storedFrame
	for i := range src {
		f := &src[i]
		if f.Timestamp < from || f.Timestamp > to || (keep != nil && !keep(f)) {
			continue
		}
		out = append(out, storedFrame{f.Timestamp, uint32(f.OrigLen), f.scope, f.Interface, string(f.Data)})
	}
	return out
}

// quotaFS is a file system with a capacity: writes that would take it
// over fail with ENOSPC, and GetDiskUsage reports what is left. Raise
// Capacity to give the space back.
type quotaFS struct {
	vfs.FS
	Capacity atomic.Int64
	used     atomic.Int64
	mu       sync.Mutex
	sizes    map[string]int64
	failed   atomic.Int64 // writes refused
	// eio makes writes and syncs of write-ahead log files fail with EIO,
	// as a failing disk does.
	eio atomic.Bool
}

func (q *quotaFS) fault(name string) error {
	if q.eio.Load() && strings.HasSuffix(name, ".log") {
		return &os.PathError{Op: "write", Path: name, Err: syscall.EIO}
	}
	return nil
}

func newQuotaFS(capacity int64) *quotaFS {
	q := &quotaFS{FS: vfs.Default, sizes: map[string]int64{}}
	q.Capacity.Store(capacity)
	return q
}

func (q *quotaFS) grow(name string, end int64) error {
	if err := q.fault(name); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	old := q.sizes[name]
	if end <= old {
		return nil
	}
	if q.used.Load()+end-old > q.Capacity.Load() {
		q.failed.Add(1)
		return &os.PathError{Op: "write", Path: name, Err: syscall.ENOSPC}
	}
	q.used.Add(end - old)
	q.sizes[name] = end
	return nil
}

func (q *quotaFS) forget(name string) {
	q.mu.Lock()
	q.used.Add(-q.sizes[name])
	delete(q.sizes, name)
	q.mu.Unlock()
}

func (q *quotaFS) track(name string, f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	q.mu.Lock()
	if _, ok := q.sizes[name]; !ok {
		q.sizes[name] = size
		q.used.Add(size)
	}
	q.mu.Unlock()
	return &quotaFile{File: f, q: q, name: name}, nil
}

func (q *quotaFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	q.forget(name)
	f, err := q.FS.Create(name, c)
	return q.track(name, f, err)
}

func (q *quotaFS) OpenReadWrite(name string, c vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	f, err := q.FS.OpenReadWrite(name, c, opts...)
	return q.track(name, f, err)
}

func (q *quotaFS) ReuseForWrite(oldname, newname string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := q.FS.ReuseForWrite(oldname, newname, c)
	if err == nil {
		q.mu.Lock()
		q.sizes[newname] = q.sizes[oldname]
		delete(q.sizes, oldname)
		q.mu.Unlock()
	}
	return q.track(newname, f, err)
}

func (q *quotaFS) Remove(name string) error {
	err := q.FS.Remove(name)
	if err == nil {
		q.forget(name)
	}
	return err
}

func (q *quotaFS) Rename(oldname, newname string) error {
	err := q.FS.Rename(oldname, newname)
	if err == nil {
		q.forget(newname)
		q.mu.Lock()
		q.sizes[newname] = q.sizes[oldname]
		delete(q.sizes, oldname)
		q.mu.Unlock()
	}
	return err
}

func (q *quotaFS) GetDiskUsage(string) (vfs.DiskUsage, error) {
	c, u := q.Capacity.Load(), q.used.Load()
	return vfs.DiskUsage{AvailBytes: uint64(max(c-u, 0)), TotalBytes: uint64(c), UsedBytes: uint64(u)}, nil
}

func (q *quotaFS) Unwrap() vfs.FS { return q.FS }

type quotaFile struct {
	vfs.File
	q    *quotaFS
	name string
	off  int64
}

func (f *quotaFile) Write(p []byte) (int, error) {
	if err := f.q.grow(f.name, f.off+int64(len(p))); err != nil {
		return 0, err
	}
	n, err := f.File.Write(p)
	f.off += int64(n)
	return n, err
}

func (f *quotaFile) Sync() error {
	if err := f.q.fault(f.name); err != nil {
		return err
	}
	return f.File.Sync()
}

func (f *quotaFile) SyncData() error {
	if err := f.q.fault(f.name); err != nil {
		return err
	}
	return f.File.SyncData()
}

func (f *quotaFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.q.grow(f.name, off+int64(len(p))); err != nil {
		return 0, err
	}
	return f.File.WriteAt(p, off)
}

var errNoTshark = errors.New("tshark not installed")
