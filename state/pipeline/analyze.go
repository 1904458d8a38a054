package pipeline

import (
	"context"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/report"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// Analyze runs a finite source (a capture file, named name) through a
// one-shard model and returns the model as `ptpwatch analyze` prints it.
// withSeries adds per-second series of each scope and instance (this keeps
// the frames in a RAM buffer). progress, when not nil, is called twice a
// second with the frames received and decoded so far. A source that fails
// part way (a capture cut short) still gives the analysis of the frames
// before, with the error.
func Analyze(ctx context.Context, src source.Source, name string, withSeries bool, progress func(received, decoded uint64)) (*report.Analysis, error) {
	m := state.NewModel(1, nil)
	p := New(m)
	if withSeries {
		buf, err := ring.NewBuffer(ring.DefaultBufferBytes)
		if err != nil {
			return nil, err
		}
		p.Buffer = buf
	}
	if progress != nil {
		done := make(chan struct{})
		defer close(done)
		go func() {
			t := time.NewTicker(500 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					progress(p.Counters.Received.Load(), p.Counters.Decoded.Load())
				}
			}
		}()
	}
	var last int64
	p.OnFrame = func(f *source.Frame, _ *decode.Frame, _ *state.Observation, _ bool) { last = max(last, f.Timestamp) }
	runErr := p.Run(ctx, src)
	if runErr != nil && ctx.Err() != nil {
		return nil, runErr
	}
	// Silence is judged at the end of the capture, as if time went on.
	p.Tick(last)
	for i := 0; i < m.Shards(); i++ {
		m.Shard(i).Publish()
	}
	snap := m.Snapshot()
	a := &report.Analysis{File: name, Model: snap, Events: m.Events.Events(0, 0)}
	a.Frames = report.FrameCounts{Received: p.Counters.Received.Load(), Decoded: p.Counters.Decoded.Load(),
		NotPTP: p.Counters.NotPTP.Load(), Truncated: p.Counters.Truncated.Load(), Malformed: p.Counters.Malformed.Load(),
		Reasons: map[string]uint64{}}
	for r := range p.Counters.Reasons {
		if n := p.Counters.Reasons[r].Load(); n > 0 {
			a.Frames.Reasons[decode.Reason(r).String()] = n
		}
	}
	if withSeries {
		a.Series = map[string][]state.Point{}
		for _, sc := range snap.Scopes {
			a.Series[sc.Name] = snap.Series(sc.Name).Range(sc.FirstSeen/1e9, sc.LastSeen/1e9)
		}
		a.InstanceSeries = map[string][]state.Point{}
		for _, in := range snap.Instances {
			if pts := state.InstanceSeries(p.Buffer, in.ScopeID, in.ID, in.FirstSeen, in.LastSeen); len(pts) > 0 {
				a.InstanceSeries[in.Scope+"/"+in.PortIdentity] = pts
			}
		}
	}
	return a, runErr
}
