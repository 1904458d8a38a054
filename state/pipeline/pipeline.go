// Package pipeline moves frames from a source through decode into the live
// model: the spine every frame travels. One Pipeline runs one worker
// goroutine per source; each worker decodes into its own reused
// decode.Frame and hands observations to the model's shards.
package pipeline

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"ptpwatch/decode"
	"ptpwatch/state"
	"ptpwatch/xdp/source"
)

// Counters account for every frame a pipeline received.
type Counters struct {
	Received  atomic.Uint64
	Decoded   atomic.Uint64 // OK PTP messages applied to the model
	NotPTP    atomic.Uint64
	Truncated atomic.Uint64
	Malformed atomic.Uint64
	// Reasons counts non-OK frames by decode.Reason.
	Reasons [decode.NumReasons]atomic.Uint64
}

// Pipeline feeds one model from sources.
type Pipeline struct {
	Model    *state.Model
	Counters Counters
	// PublishEvery is how often (in wall time) workers publish snapshots
	// for readers; zero means every 250 ms. Offline runs publish at the end.
	PublishEvery time.Duration
	// OnFrame, when set, sees every frame after decoding (for the RAM
	// capture buffer and tests). It runs on the worker goroutine.
	OnFrame func(f *source.Frame, d *decode.Frame, o *state.Observation, ok bool)
}

// New returns a pipeline feeding m.
func New(m *state.Model) *Pipeline { return &Pipeline{Model: m} }

// Run reads src until it ends (io.EOF, returning nil) or ctx is done, and
// applies every PTP frame to the model. A single Run drives every shard
// itself; it must be the only goroutine applying to the model.
func (p *Pipeline) Run(ctx context.Context, src source.Source) error {
	var (
		fr  source.Frame
		d   decode.Frame
		obs state.Observation
	)
	ifaces := src.Interfaces()
	every := p.PublishEvery
	if every == 0 {
		every = 250 * time.Millisecond
	}
	lastPublish := time.Now()
	defer p.publish()
	for n := 0; ; n++ {
		if err := src.Next(ctx, &fr); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		p.Counters.Received.Add(1)
		r := d.Decode(fr.Link, fr.Data)
		ok := false
		switch r {
		case decode.ResultOK:
			seg := uint16(0)
			if int(fr.Interface) < len(ifaces) {
				seg = ifaces[fr.Interface].Segment
			} else if ifaces = src.Interfaces(); int(fr.Interface) < len(ifaces) {
				seg = ifaces[fr.Interface].Segment
			}
			if state.Observe(&d, seg, fr.Timestamp, fr.TSSource == source.TimestampXDPTAI, &obs) {
				p.Model.Shard(p.Model.ShardFor(obs.Scope)).Apply(&obs)
				p.Counters.Decoded.Add(1)
				ok = true
			}
		case decode.ResultNotPTP:
			p.Counters.NotPTP.Add(1)
		case decode.ResultTruncated:
			p.Counters.Truncated.Add(1)
			p.Counters.Reasons[d.Reason].Add(1)
		default:
			p.Counters.Malformed.Add(1)
			p.Counters.Reasons[d.Reason].Add(1)
		}
		if p.OnFrame != nil {
			p.OnFrame(&fr, &d, &obs, ok)
		}
		if n&1023 == 0 && time.Since(lastPublish) >= every {
			p.publish()
			lastPublish = time.Now()
		}
	}
}

// Tick runs the model's time-driven checks on every shard at now (capture
// time); offline runs call it at the end of the capture.
func (p *Pipeline) Tick(now int64) {
	for i := 0; i < p.Model.Shards(); i++ {
		p.Model.Shard(i).Tick(now)
	}
}

func (p *Pipeline) publish() {
	for i := 0; i < p.Model.Shards(); i++ {
		p.Model.Shard(i).Publish()
	}
}
