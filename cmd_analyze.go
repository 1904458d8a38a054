package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/state/report"
	"github.com/ptpwatch/ptpwatch/xdp/replay"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// cmdAnalyze implements `ptpwatch analyze FILE [--json]`.
func cmdAnalyze(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the whole model as JSON")
	segment := fs.Uint("segment", 0, "segment number to assign to the capture's interfaces")
	series := fs.Bool("series", false, "with --json, include per-second counters of each scope and instance")
	files, ok := parseWithFile(fs, args, "ptpwatch analyze", stderr)
	if !ok {
		return exitUsage
	}
	a, err := analyzeFile(files[0], uint16(*segment), *series, progressWriter(stderr))
	if err != nil {
		fmt.Fprintf(stderr, "ptpwatch analyze: %v\n", err)
		return exitError
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(a); err != nil {
			fmt.Fprintf(stderr, "ptpwatch analyze: %v\n", err)
			return exitError
		}
		return exitOK
	}
	a.WriteText(stdout)
	return exitOK
}

// progressWriter returns stderr when it is a terminal, for progress lines.
func progressWriter(stderr io.Writer) io.Writer {
	f, ok := stderr.(*os.File)
	if !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return f
}

// analyzeFile runs a capture through the pipeline and returns the model.
func analyzeFile(path string, segment uint16, withSeries bool, progress io.Writer) (*report.Analysis, error) {
	src, err := replay.Open(path, segment)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	m := state.NewModel(1, nil)
	p := pipeline.New(m)
	if withSeries {
		buf, err := ring.NewBuffer(ring.DefaultBufferBytes)
		if err != nil {
			return nil, err
		}
		p.Buffer = buf
	}
	var last int64
	if progress != nil {
		size := int64(0)
		if st, err := os.Stat(path); err == nil {
			size = st.Size()
		}
		done := make(chan struct{})
		defer close(done)
		go func() {
			t := time.NewTicker(500 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-done:
					fmt.Fprint(progress, "\r\033[K")
					return
				case <-t.C:
					fmt.Fprintf(progress, "\r\033[K%s: %d frames (%d PTP) of a %d MiB file", path,
						p.Counters.Received.Load(), p.Counters.Decoded.Load(), size>>20)
				}
			}
		}()
	}
	p.OnFrame = func(f *source.Frame, _ *decode.Frame, _ *state.Observation, _ bool) { last = max(last, f.Timestamp) }
	if err := p.Run(context.Background(), src); err != nil {
		return nil, err
	}
	// Silence is judged at the end of the capture, as if time went on.
	p.Tick(last)
	for i := 0; i < m.Shards(); i++ {
		m.Shard(i).Publish()
	}
	snap := m.Snapshot()
	a := &report.Analysis{File: path, Model: snap, Events: m.Events.Events(0, 0)}
	a.Frames = report.FrameCounts{Received: p.Counters.Received.Load(), Decoded: p.Counters.Decoded.Load(),
		NotPTP: p.Counters.NotPTP.Load(), Truncated: p.Counters.Truncated.Load(), Malformed: p.Counters.Malformed.Load(),
		Reasons: map[string]uint64{}}
	for r := range p.Counters.Reasons {
		if n := p.Counters.Reasons[r].Load(); n > 0 {
			a.Frames.Reasons[reasonName(r)] = n
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
	return a, nil
}

func reasonName(r int) string { return decode.Reason(r).String() }
