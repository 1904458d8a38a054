package state

import (
	"math"
	"sync"
	"testing"
	"time"
)

// fill adds n events numbered by their Time 1..n.
func fill(l *EventLog, n int) {
	for i := 1; i <= n; i++ {
		l.Add(Event{Time: int64(i), Type: SequenceGap})
	}
}

func TestEventLogKeepsTheLastSize(t *testing.T) {
	for _, tc := range []struct {
		name        string
		size, added int
	}{
		{"empty", 10, 0},
		{"under size", 10, 7},
		{"exactly size", 10, 10},
		{"wrapped small", 10, 2500},
		{"one chunk", eventChunkSize, eventChunkSize + 1},
		{"not a chunk multiple", 1500, 5000},
		{"many chunks", 3 * eventChunkSize, 10*eventChunkSize + 17},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := NewEventLog(tc.size)
			fill(l, tc.added)
			got := l.Events(0, 0)
			want := min(tc.size, tc.added)
			if len(got) != want {
				t.Fatalf("%d events kept, want %d", len(got), want)
			}
			for i, e := range got {
				if wantSeq := uint64(tc.added - want + i + 1); e.Seq != wantSeq || e.Time != int64(wantSeq) {
					t.Fatalf("event %d: seq %d time %d, want %d", i, e.Seq, e.Time, wantSeq)
				}
			}
			s := l.Snapshot()
			if s.Len() != want || s.Next() != uint64(tc.added+1) {
				t.Errorf("snapshot: %d events, next %d", s.Len(), s.Next())
			}
			// Chunks older than the window are let go.
			if v := l.view.Load(); len(v.chunks) > tc.size/eventChunkSize+2 {
				t.Errorf("%d chunks held for %d events", len(v.chunks), tc.size)
			}
		})
	}
}

// TestEventLogAfter covers every kind of after, the largest uint64 (which
// once wrapped to 0 and returned the whole log) included.
func TestEventLogAfter(t *testing.T) {
	l := NewEventLog(100)
	fill(l, 250) // keeps 151..250
	for _, tc := range []struct {
		name      string
		after     uint64
		limit     int
		wantFirst uint64
		wantN     int
	}{
		{"zero", 0, 0, 151, 100},
		{"before the kept", 100, 0, 151, 100},
		{"just before the oldest", 150, 0, 151, 100},
		{"middle", 200, 0, 201, 50},
		{"middle with limit", 200, 10, 201, 10},
		{"limit above what is left", 245, 10, 246, 5},
		{"the newest", 250, 0, 0, 0},
		{"beyond the newest", 251, 0, 0, 0},
		{"max int64", math.MaxInt64, 0, 0, 0},
		{"max uint64", math.MaxUint64, 0, 0, 0},
		{"max uint64 - 1", math.MaxUint64 - 1, 5, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := l.Events(tc.after, tc.limit)
			if len(got) != tc.wantN {
				t.Fatalf("%d events, want %d", len(got), tc.wantN)
			}
			if tc.wantN > 0 && got[0].Seq != tc.wantFirst {
				t.Errorf("first seq %d, want %d", got[0].Seq, tc.wantFirst)
			}
		})
	}
}

// TestEventLogReadersTakeNoLock reads the whole log while its writers'
// lock is held: a reader that needed the lock would block.
func TestEventLogReadersTakeNoLock(t *testing.T) {
	l := NewEventLog(0)
	fill(l, DefaultEventLogSize)
	l.mu.Lock()
	done := make(chan int)
	go func() {
		n := len(l.Events(0, 0))
		s := l.Snapshot()
		for seq := s.First(); seq < s.Next(); seq++ {
			_ = s.At(seq).Type
		}
		done <- n
	}()
	select {
	case n := <-done:
		if n != DefaultEventLogSize {
			t.Errorf("read %d events", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reading the log waited for the writers' lock")
	}
	l.mu.Unlock()
}

// TestEventLogConcurrent has writers and readers at once (run with -race):
// every snapshot is consecutive, unchanged by later writes, and complete.
func TestEventLogConcurrent(t *testing.T) {
	l := NewEventLog(3000)
	const writers, each = 4, 5000
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				l.Add(Event{Type: MasterSilent})
			}
		}()
	}
	stop := make(chan struct{})
	var rg sync.WaitGroup
	for r := 0; r < 4; r++ {
		rg.Add(1)
		go func() {
			defer rg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := l.Snapshot()
				if s.Len() > 3000 {
					t.Errorf("snapshot holds %d events", s.Len())
					return
				}
				for seq := s.First(); seq < s.Next(); seq++ {
					if e := s.At(seq); e.Seq != seq || e.Type != MasterSilent {
						t.Errorf("seq %d holds %d %q", seq, e.Seq, e.Type)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	rg.Wait()
	if s := l.Snapshot(); s.Next() != writers*each+1 || s.Len() != 3000 {
		t.Errorf("next %d, %d kept", s.Next(), s.Len())
	}
	if c := l.Counts()[MasterSilent]; c != writers*each {
		t.Errorf("counted %d", c)
	}
}

// BenchmarkEventLogAdd measures the model's cost of one event.
func BenchmarkEventLogAdd(b *testing.B) {
	l := NewEventLog(0)
	e := Event{Type: PortStateChanged, Scope: "seg0 v2 domain 0 UDP/IPv4", Subject: "ec4670.fffe.000001-1"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l.Add(e)
	}
}
