package httpd

import (
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
)

// TestSnapshotCache: requests within MaxAge share one snapshot; a later one
// takes a new snapshot.
func TestSnapshotCache(t *testing.T) {
	taken := 0
	take := func() *state.Snapshot { taken++; return &state.Snapshot{} }
	// Within MaxAge (an hour: a loaded machine cannot outlast it).
	c := &SnapshotCache{Take: take, MaxAge: time.Hour}
	first := c.Snapshot()
	if c.Snapshot() != first || taken != 1 {
		t.Fatalf("a second request within MaxAge took %d snapshots", taken)
	}
	// After MaxAge (a nanosecond: any later request comes after it).
	taken = 0
	c = &SnapshotCache{Take: take, MaxAge: time.Nanosecond}
	first = c.Snapshot()
	for deadline := time.Now().Add(5 * time.Second); c.Snapshot() == first && time.Now().Before(deadline); {
		// the clock may not have moved on yet
	}
	if taken < 2 {
		t.Errorf("a request after MaxAge took %d snapshots, want a second", taken)
	}
}
