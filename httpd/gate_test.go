package httpd

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
)

// countingBackend notes how many Snapshot calls run at once; each takes a
// moment, as building a large model's snapshot does.
type countingBackend struct {
	*fixtureBackend
	now, most atomic.Int32
}

func (b *countingBackend) Snapshot() *state.Snapshot {
	n := b.now.Add(1)
	defer b.now.Add(-1)
	for {
		m := b.most.Load()
		if n <= m || b.most.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(2 * time.Millisecond)
	return b.fixtureBackend.Snapshot()
}

// TestAPIWorkTakesTurns: however many clients read at once, no more than
// Config.HeavyReads requests do their CPU work at the same time, so the
// frame path keeps the other cores; none of the readers is refused.
func TestAPIWorkTakesTurns(t *testing.T) {
	for _, slots := range []int{1, 2} {
		b := &countingBackend{fixtureBackend: shared(t)}
		m := serveMem(t, Config{HeavyReads: slots}, b, memOpts{})
		var wg sync.WaitGroup
		var failed atomic.Int32
		for i := range 24 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				path := []string{"/api/v1/scopes", "/api/v1/devices", "/api/v1/instances", "/metrics"}[i%4]
				for range 5 {
					resp, err := m.client.Get(m.base + path)
					if err != nil {
						failed.Add(1)
						return
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						failed.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		if n := failed.Load(); n > 0 {
			t.Errorf("HeavyReads %d: %d requests failed", slots, n)
		}
		if got := b.most.Load(); got > int32(slots) || got < 1 {
			t.Errorf("HeavyReads %d: %d requests did their work at once", slots, got)
		}
	}
}
