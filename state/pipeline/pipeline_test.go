package pipeline

import (
	"context"
	"errors"
	"io"
	"reflect"
	"runtime"
	"testing"

	"ptpwatch/ring"
	"ptpwatch/state"
	"ptpwatch/xdp/replay"
	"ptpwatch/xdp/source"
)

// loadFixture reads the decode fixture into memory.
func loadFixture(t testing.TB) *source.Memory {
	t.Helper()
	r, err := replay.Open("../../decode/testdata/fixture.pcapng", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m := &source.Memory{}
	for {
		var f source.Frame
		err := r.Next(context.Background(), &f)
		if errors.Is(err, io.EOF) {
			return m
		}
		if err != nil {
			t.Fatal(err)
		}
		f.Data = append([]byte(nil), f.Data...)
		m.Frames = append(m.Frames, f)
	}
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
		if err := p.read(context.Background(), src, nil); err != nil {
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
	// the source interface call): a handful per run, none per frame.
	if allocs > 12*events+4*20 {
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
		for _, p := range InstanceSeries(buf, in.ScopeID, in.ID, in.FirstSeen, in.LastSeen) {
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
