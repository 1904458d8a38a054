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
	c := &SnapshotCache{Take: func() *state.Snapshot { taken++; return &state.Snapshot{} }, MaxAge: 50 * time.Millisecond}
	first := c.Snapshot()
	if c.Snapshot() != first || taken != 1 {
		t.Fatalf("a second request within MaxAge took %d snapshots", taken)
	}
	time.Sleep(60 * time.Millisecond)
	if c.Snapshot() == first || taken != 2 {
		t.Errorf("a request after MaxAge took %d snapshots, want 2", taken)
	}
}
