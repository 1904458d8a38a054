package pipeline

import (
	"context"
	"reflect"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/xdp/rtwait"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// realtimeSource is a memory source whose reader claims a real-time
// priority, as capture.Capture's does with Options.Priority. It records
// the most Ps rtwait held reserved while frames were read.
type realtimeSource struct {
	*source.Memory
	prio     int
	reserved atomic.Int32
}

func (s *realtimeSource) ReaderPriority() int { return s.prio }

func (s *realtimeSource) Next(ctx context.Context, f *source.Frame) error {
	// Real-time workers reserve their Ps as they start: give them until
	// the first frame (10 s at most) so that the test sees it.
	for deadline := time.Now().Add(10 * time.Second); s.prio > 0 && s.reserved.Load() == 0 &&
		rtwait.Reserved() < 2 && time.Now().Before(deadline); {
		runtime.Gosched()
	}
	if n := int32(rtwait.Reserved()); n > s.reserved.Load() {
		s.reserved.Store(n)
	}
	return s.Memory.Next(ctx, f)
}

// canRealtime reports whether this process may make a thread SCHED_FIFO.
func canRealtime(prio int) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		errc <- rtwait.SetFIFO(prio)
	}()
	return <-errc
}

// TestRealtimeWorkers: behind a source whose reader runs at real-time
// priority, the shard workers run at that priority and wait on futexes
// keeping their Ps, with one P added to GOMAXPROCS each while they run;
// the model ends exactly as with normal workers, and GOMAXPROCS is back
// afterwards.
func TestRealtimeWorkers(t *testing.T) {
	const prio = 10
	if err := canRealtime(prio); err != nil {
		t.Skipf("skipping: SCHED_FIFO %d refused (%v); needs CAP_SYS_NICE", prio, err)
	}
	frames := loadFixture(t)
	run := func(rt bool) (*state.Snapshot, uint64, int32) {
		m := state.NewModel(2, nil)
		p := New(m)
		p.Live = true
		frames.Rewind()
		src := &realtimeSource{Memory: frames}
		if rt {
			src.prio = prio
		}
		if err := p.Run(context.Background(), src); err != nil {
			t.Fatalf("Run: %v", err)
		}
		return m.Snapshot(), p.Counters.Decoded.Load(), src.reserved.Load()
	}
	procs := runtime.GOMAXPROCS(0)
	want, wantDecoded, reservedNormal := run(false)
	got, decoded, reserved := run(true)
	if reservedNormal != 0 {
		t.Errorf("normal workers reserved %d Ps", reservedNormal)
	}
	if reserved != 2 {
		t.Errorf("real-time workers of 2 shards reserved %d Ps while frames were read, want 2", reserved)
	}
	if n := runtime.GOMAXPROCS(0); n != procs || rtwait.Reserved() != 0 {
		t.Errorf("after Run: GOMAXPROCS %d (was %d), %d Ps still reserved", n, procs, rtwait.Reserved())
	}
	if decoded != wantDecoded || decoded == 0 {
		t.Fatalf("decoded %d frames with real-time workers, %d without", decoded, wantDecoded)
	}
	if len(got.Instances) != len(want.Instances) || len(got.Scopes) != len(want.Scopes) {
		t.Fatalf("real-time workers: %d instances in %d scopes; normal: %d in %d",
			len(got.Instances), len(got.Scopes), len(want.Instances), len(want.Scopes))
	}
	for i := range want.Instances {
		a, b := want.Instances[i], got.Instances[i]
		if a.PortIdentity != b.PortIdentity || a.PortState != b.PortState || !reflect.DeepEqual(a.Counters, b.Counters) {
			t.Fatalf("instance %d: %s %v %v with real-time workers, %s %v %v without",
				i, b.PortIdentity, b.PortState, b.Counters, a.PortIdentity, a.PortState, a.Counters)
		}
	}
}
