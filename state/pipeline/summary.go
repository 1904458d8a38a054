package pipeline

import (
	"fmt"
	"log/slog"
	"time"
)

// LogCounters writes to log the pipeline's counters, the RAM buffer's
// state and one line per scope: what an operator reads at the end of a
// run or on the statistics interval. why says which.
func (p *Pipeline) LogCounters(log *slog.Logger, why string, uptime time.Duration) {
	// The worker publishes shard snapshots; this reads the last.
	s := p.Model.Snapshot()
	c := &p.Counters
	log.Info("counters", "why", why, "uptime", uptime.Round(time.Second).String(),
		"received", c.Received.Load(), "decoded", c.Decoded.Load(), "notPTP", c.NotPTP.Load(),
		"truncated", c.Truncated.Load(), "malformed", c.Malformed.Load(),
		"scopes", len(s.Scopes), "devices", len(s.Devices), "instances", len(s.Instances))
	if p.Buffer != nil {
		bs := p.Buffer.Stats()
		log.Info("capture buffer", "frames", bs.Frames, "bytes", bs.Bytes, "limit", bs.Limit, "evicted", bs.Evicted,
			"first", bs.First, "last", bs.Last)
	}
	for _, sc := range s.Scopes {
		gm := "-"
		if sc.Grandmaster != nil {
			gm = sc.Grandmaster.GrandmasterIdentity
		}
		log.Info("scope", "scope", sc.Name, "grandmaster", gm, "masters", sc.Masters, "followers", sc.Followers,
			"instances", sc.Instances, "rates", fmt.Sprint(sc.Rates))
	}
}
