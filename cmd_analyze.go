package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"ptpwatch/decode"
	"ptpwatch/ring"
	"ptpwatch/state"
	"ptpwatch/state/pipeline"
	"ptpwatch/xdp/replay"
	"ptpwatch/xdp/source"
)

// analysis is what `ptpwatch analyze --json` prints.
type analysis struct {
	File   string                   `json:"file"`
	Frames frameCounts              `json:"frames"`
	Model  *state.Snapshot          `json:"model"`
	Events []state.Event            `json:"events"`
	Series map[string][]state.Point `json:"perSecond,omitempty"`
	// InstanceSeries is keyed by "scope/portIdentity"; it reaches back as
	// far as the RAM buffer held the capture's frames.
	InstanceSeries map[string][]state.Point `json:"instancePerSecond,omitempty"`
}

type frameCounts struct {
	Received  uint64            `json:"received"`
	Decoded   uint64            `json:"decoded"`
	NotPTP    uint64            `json:"notPTP"`
	Truncated uint64            `json:"truncated"`
	Malformed uint64            `json:"malformed"`
	Reasons   map[string]uint64 `json:"reasons,omitempty"`
}

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
	printAnalysis(stdout, a)
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
func analyzeFile(path string, segment uint16, withSeries bool, progress io.Writer) (*analysis, error) {
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
	a := &analysis{File: path, Model: snap, Events: m.Events.Events(0, 0)}
	a.Frames = frameCounts{Received: p.Counters.Received.Load(), Decoded: p.Counters.Decoded.Load(),
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

func printAnalysis(w io.Writer, a *analysis) {
	s := a.Model
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	defer tw.Flush()
	fmt.Fprintf(tw, "%s: %d frames, %d PTP messages decoded, %d not PTP, %d truncated, %d malformed\n\n",
		a.File, a.Frames.Received, a.Frames.Decoded, a.Frames.NotPTP, a.Frames.Truncated, a.Frames.Malformed)

	fmt.Fprintln(tw, "SCOPES")
	fmt.Fprintln(tw, "scope\tgrandmaster\tclass\tmasters\tfollowers\tinstances\tmessages")
	for _, sc := range s.Scopes {
		gm, class := "-", "-"
		if sc.Grandmaster != nil {
			gm, class = sc.Grandmaster.GrandmasterIdentity, fmt.Sprint(sc.Grandmaster.ClockClass)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", sc.Name, gm, class, sc.Masters, sc.Followers, sc.Instances, countsText(sc.Counts))
	}

	fmt.Fprintln(tw, "\nDEVICES")
	fmt.Fprintln(tw, "clockIdentity\tvendor\tports\troles")
	for _, d := range s.Devices {
		var roles []string
		for _, r := range d.Roles {
			roles = append(roles, r.Role)
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", d.ClockIdentity, orDash(d.Vendor), d.Ports, orDash(strings.Join(roles, ", ")))
		for _, r := range d.Roles {
			for _, e := range r.Evidence {
				fmt.Fprintf(tw, "\t\t\t  %s: %s\n", r.Role, e)
			}
		}
	}

	fmt.Fprintln(tw, "\nINSTANCES")
	fmt.Fprintln(tw, "scope\tportIdentity\taddress\tstate\tparent\tgaps\toffset (uncorrected)")
	for _, in := range s.Instances {
		state := in.PortState.String()
		if in.Silent {
			state += " (silent)"
		}
		var gaps uint64
		for _, c := range in.Counters {
			gaps += c.SequenceLost
		}
		off := "-"
		if in.Offset != nil {
			off = time.Duration(in.Offset.LastNs).String()
		}
		addr := in.Address
		if addr == "" {
			addr = in.MAC
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", in.Scope, in.PortIdentity, orDash(addr), state, orDash(in.Parent), gaps, off)
	}

	fmt.Fprintln(tw, "\nHIERARCHY")
	tw.Flush()
	for _, root := range s.Hierarchy {
		printTree(w, root, 0)
	}

	fmt.Fprintln(w, "\nEVENTS")
	counts := map[state.EventType]int{}
	for _, e := range a.Events {
		counts[e.Type]++
		if e.Type == state.InstanceDetected || e.Type == state.PortDetected {
			continue
		}
		fmt.Fprintf(w, "%s  %-28s %s  %s", time.Unix(0, e.Time).UTC().Format("2006-01-02 15:04:05.000"), e.Type, e.Scope, e.Subject)
		if e.Before != "" || e.After != "" {
			fmt.Fprintf(w, "  %s -> %s", e.Before, e.After)
		}
		if e.Detail != "" {
			fmt.Fprintf(w, "  (%s)", e.Detail)
		}
		fmt.Fprintln(w)
	}
	var types []string
	for t, n := range counts {
		types = append(types, fmt.Sprintf("%s: %d", t, n))
	}
	sort.Strings(types)
	fmt.Fprintf(w, "\n%d events: %s\n", len(a.Events), strings.Join(types, ", "))
}

func printTree(w io.Writer, n state.TreeNode, depth int) {
	link := ""
	if n.Link != "" {
		link = " [" + string(n.Link) + "]"
	}
	fmt.Fprintf(w, "%s%s %s (%s, %s)%s\n", strings.Repeat("    ", depth), n.Role, n.PortIdentity, n.PortState, n.Scope, link)
	for _, c := range n.Children {
		printTree(w, c, depth+1)
	}
}

func countsText(c map[string]uint64) string {
	var parts []string
	for k, v := range c {
		parts = append(parts, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
