package httpd

import (
	"sync"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
)

// SnapshotMaxAge is how stale a snapshot a SnapshotCache serves may be by
// default. Building a snapshot merges every shard's published state, so a
// burst of requests (an NMS polling many wildcard paths, a UI with many
// tabs) shares one.
const SnapshotMaxAge = 250 * time.Millisecond

// SnapshotCache serves a Backend's Snapshot from the last one Take built,
// building a new one when that is older than MaxAge (SnapshotMaxAge when
// zero). It is safe for concurrent use.
type SnapshotCache struct {
	Take   func() *state.Snapshot
	MaxAge time.Duration

	mu   sync.Mutex
	snap *state.Snapshot
	at   time.Time
}

// Snapshot returns a snapshot at most MaxAge old.
func (c *SnapshotCache) Snapshot() *state.Snapshot {
	maxAge := c.MaxAge
	if maxAge == 0 {
		maxAge = SnapshotMaxAge
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap == nil || time.Since(c.at) > maxAge {
		c.snap, c.at = c.Take(), time.Now()
	}
	return c.snap
}
