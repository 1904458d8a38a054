package pipeline

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/xdp/replay"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// loadFixture reads the decode fixture into memory.
func loadFixture(t testing.TB) *source.Memory {
	t.Helper()
	r, err := replay.Open("../../decode/testdata/fixture.pcapng", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m, err := source.Collect(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func analyze(t *testing.T, src *source.Memory, shards int, buf *ring.Buffer) (*state.Snapshot, map[state.EventType]uint64, *Pipeline) {
	t.Helper()
	src.Rewind()
	m := state.NewModel(shards, nil)
	p := New(m)
	p.Buffer = buf
	if err := p.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	p.Tick(src.Frames[len(src.Frames)-1].Timestamp)
	return m.Snapshot(), m.Events.Counts(), p
}

// TestShardedEqualsSingle checks that spreading scopes over shard goroutines
// builds the same model as one shard.
func TestShardedEqualsSingle(t *testing.T) {
	src := loadFixture(t)
	one, ev1, _ := analyze(t, src, 1, nil)
	four, ev4, _ := analyze(t, src, 4, nil)
	if len(one.Scopes) == 0 || !reflect.DeepEqual(one.Scopes, four.Scopes) {
		t.Errorf("scopes differ:\n%+v\n%+v", one.Scopes, four.Scopes)
	}
	if !reflect.DeepEqual(one.Instances, four.Instances) {
		t.Error("instances differ")
	}
	if !reflect.DeepEqual(one.Devices, four.Devices) {
		t.Error("devices differ")
	}
	if !reflect.DeepEqual(ev1, ev4) {
		t.Errorf("events differ: %v vs %v", ev1, ev4)
	}
}

// TestBufferHoldsEveryFrame checks that every frame lands in the RAM buffer,
// findable by its scope tag.
func TestBufferHoldsEveryFrame(t *testing.T) {
	src := loadFixture(t)
	buf, err := ring.NewBuffer(8 << 20)
	if err != nil {
		t.Fatal(err)
	}
	snap, _, p := analyze(t, src, 2, buf)
	if got := p.Counters.Buffered.Load(); got != uint64(len(src.Frames)) || buf.Last()-buf.First()+1 != got {
		t.Fatalf("buffered %d of %d frames (first %d last %d)", got, len(src.Frames), buf.First(), buf.Last())
	}
	for _, sc := range snap.Scopes {
		n := 0
		buf.Scan(ring.Query{Scope: sc.ID, HasScope: true}, func(r *ring.Record) bool { n++; return true })
		var want uint64
		for _, c := range sc.Counts {
			want += c
		}
		if uint64(n) != want {
			t.Errorf("scope %s: buffer finds %d frames, model counted %d", sc.Name, n, want)
		}
	}
}

// TestNoAllocsPerFrame runs the fixture through a warmed-up pipeline many
// times and checks the steady state allocates nothing per frame.
func TestNoAllocsPerFrame(t *testing.T) {
	src := loadFixture(t)
	m := state.NewModel(1, nil)
	p := New(m)
	p.PublishEvery = 1 << 62 // keep snapshot publication out of the count
	buf, _ := ring.NewBuffer(8 << 20)
	p.Buffer = buf
	run := func() {
		src.Rewind()
		if err := p.read(context.Background(), src, nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	run() // creates every scope and instance
	total := func() (n uint64) {
		for _, c := range m.Events.Counts() {
			n += c
		}
		return n
	}
	events0 := total()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < 20; i++ {
		run()
	}
	runtime.ReadMemStats(&after)
	frames := 20 * len(src.Frames)
	// Events allocate (the fixture, replayed again and again, looks like
	// clocks that restart); they are rare in real traffic. Count them out.
	events := total() - events0
	allocs := after.Mallocs - before.Mallocs
	t.Logf("%d frames, %d allocations (%.3f per frame), %d events", frames, allocs, float64(allocs)/float64(frames), events)
	// Each run allocates its reused decode targets once (they escape into
	// the source interface call): four per run, none per frame. The
	// count is the whole process's, so the runtime's own (a timer, a
	// goroutine's stack) may add a few: one per run is allowed for them,
	// far below the 242 a single allocation per frame would add.
	if allocs > 12*events+5*20 {
		t.Errorf("%d allocations for %d frames and %d events", allocs, frames, events)
	}
}

// TestInstanceSeries checks per-second counts of one instance drawn from the
// buffer against the model's totals for it.
func TestInstanceSeries(t *testing.T) {
	src := loadFixture(t)
	buf, err := ring.NewBuffer(8 << 20)
	if err != nil {
		t.Fatal(err)
	}
	snap, _, _ := analyze(t, src, 1, buf)
	checked := 0
	for _, in := range snap.Instances {
		var want uint64
		for _, c := range in.Counters {
			want += c.Count
		}
		var got uint64
		for _, p := range state.InstanceSeries(buf, in.ScopeID, in.ID, in.FirstSeen, in.LastSeen) {
			for _, n := range p.Counts {
				got += uint64(n)
			}
		}
		if got != want {
			t.Errorf("%s %s: buffer series counts %d messages, model %d", in.Scope, in.PortIdentity, got, want)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no instances")
	}
}

// TestResetBufferWhileRunning empties the buffer from another goroutine
// while frames flow: the reading goroutine carries it out, and frames
// stored afterwards are numbered on.
func TestResetBufferWhileRunning(t *testing.T) {
	m := state.NewModel(1, nil)
	p := New(m)
	buf, err := ring.NewBuffer(8 << 20)
	if err != nil {
		t.Fatal(err)
	}
	p.Buffer = buf
	p.Live = true
	src := &endlessSource{frames: loadFixture(t).Frames}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, src) }()
	for buf.Stats().Frames < 100 {
		time.Sleep(time.Millisecond)
	}
	rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
	if err := p.ResetBuffer(rctx); err != nil {
		t.Fatalf("ResetBuffer while running: %v", err)
	}
	rcancel()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	held := buf.Stats().Frames
	if uint64(held) >= p.Counters.Buffered.Load() {
		t.Fatalf("buffer holds %d frames after a reset, %d were stored in all", held, p.Counters.Buffered.Load())
	}
	// Not running: the reset is immediate.
	if err := p.ResetBuffer(context.Background()); err != nil || buf.Stats().Frames != 0 {
		t.Fatalf("ResetBuffer when stopped: err %v, %d frames left", err, buf.Stats().Frames)
	}
	// A pending request times out with ErrResetPending when no frame comes.
	src.stall.Store(true)
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { done <- p.Run(ctx2, src) }()
	time.Sleep(20 * time.Millisecond)
	short, c3 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer c3()
	if err := p.ResetBuffer(short); !errors.Is(err, ErrResetPending) {
		t.Fatalf("ResetBuffer with a stalled source: %v", err)
	}
	cancel2()
	<-done
}

// endlessSource cycles through frames, throttled to a frame per 10 µs,
// until ctx ends; with stall set it delivers nothing and waits for ctx.
type endlessSource struct {
	frames []source.Frame
	n      int
	stall  atomic.Bool
}

func (e *endlessSource) Next(ctx context.Context, f *source.Frame) error {
	if e.stall.Load() {
		<-ctx.Done()
		return ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.n%64 == 0 {
		time.Sleep(10 * time.Microsecond)
	}
	*f = e.frames[e.n%len(e.frames)]
	f.Timestamp = time.Now().UnixNano()
	e.n++
	return nil
}

func (e *endlessSource) Interfaces() []source.Interface { return []source.Interface{{Name: "endless"}} }
func (e *endlessSource) Close() error                   { return nil }
