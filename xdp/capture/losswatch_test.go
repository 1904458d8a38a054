package capture

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// lossyConn is a capture connection whose drop counters the test sets.
type lossyConn struct {
	counters atomic.Pointer[map[string]uint64]
}

func (c *lossyConn) Next(ctx context.Context, f *source.Frame) error {
	<-ctx.Done()
	return ctx.Err()
}
func (c *lossyConn) Interfaces() []source.Interface { return []source.Interface{{Name: "lossy0"}} }
func (c *lossyConn) Close() error                   { return nil }
func (c *lossyConn) Send([]byte) (int64, error)     { return 0, nil }
func (c *lossyConn) Counters() map[string]uint64    { return *c.counters.Load() }
func (c *lossyConn) Queues() []int                  { return []int{0} }

// TestLossWatch checks that frames lost for any cause the capture counts,
// among them AF_XDP's empty fill ring, are reported with the number lost
// since the last look, and that nothing is reported when nothing more was
// lost.
func TestLossWatch(t *testing.T) {
	conn := &lossyConn{}
	set := func(m map[string]uint64) { conn.counters.Store(&m) }
	set(map[string]uint64{"received": 10})
	live, err := Open([]Spec{{Name: "lossy0", Method: AFXDP}}, Options{
		Openers:     map[Method]Opener{AFXDP: func(string) (Conn, error) { return conn, nil }},
		SharedCheck: func(string) (string, bool) { return "", false },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	var w LossWatch
	var losses []Loss
	troubles := func() []Loss { return losses }
	check := func() { w.Check(live, func(l Loss) { losses = append(losses, l) }) }

	check()
	if got := troubles(); len(got) != 0 {
		t.Fatalf("Capture Trouble without losses: %+v", got)
	}
	for _, step := range []struct {
		counters map[string]uint64
		lost     string // the event's detail starts with it; "" for no event
		causes   []string
	}{
		{map[string]uint64{"fillRingEmpty": 7}, "7 frames lost", []string{"no_buffer +7 (the AF_XDP fill ring was empty", "counters fillRingEmpty=7"}},
		{map[string]uint64{"fillRingEmpty": 7}, "", nil},
		{map[string]uint64{"fillRingEmpty": 7, "rxRingFull": 2, "rxDropped": 1}, "3 frames lost",
			[]string{"other +1 (", "ring_full +2 (the kernel's ring to the reader was full", "fillRingEmpty=7 rxDropped=1 rxRingFull=2"}},
		{map[string]uint64{"fillRingEmpty": 7, "rxRingFull": 2, "rxDropped": 1, "badDescs": 4}, "4 frames lost", []string{"invalid +4"}},
	} {
		before := len(troubles())
		set(step.counters)
		// The pipeline learns of the kernel's drops through source.Lossy,
		// as the counters were last read: by its watch's RefreshLost, or
		// by this watch's look.
		var want uint64
		for _, n := range (Status{Counters: step.counters}).Drops() {
			want += n
		}
		source.RefreshLost(live)
		if lost := source.Lost(live); lost != want {
			t.Errorf("counters %v: Lost after RefreshLost = %d, want %d", step.counters, lost, want)
		}
		check()
		got := troubles()[before:]
		if lost := source.Lost(live); lost != want {
			t.Errorf("counters %v: Lost = %d, want %d", step.counters, lost, want)
		}
		switch {
		case step.lost == "" && len(got) != 0:
			t.Errorf("counters %v: unexpected %+v", step.counters, got)
		case step.lost != "" && (len(got) != 1 || !strings.HasPrefix(got[0].Detail, step.lost)):
			t.Errorf("counters %v: events %+v, want one saying %q", step.counters, got, step.lost)
		case step.lost != "":
			for _, c := range step.causes {
				if !strings.Contains(got[0].Detail, c) {
					t.Errorf("counters %v: detail %q does not say %q", step.counters, got[0].Detail, c)
				}
			}
			if strings.Contains(got[0].Detail, "no_buffer +") && step.lost != "7 frames lost" {
				t.Errorf("counters %v: detail %q names a cause that lost nothing new", step.counters, got[0].Detail)
			}
		}
	}
}
