// Package report words what the model found for people: the tables
// `ptpwatch analyze` prints for a capture.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
)

// Analysis is what `ptpwatch analyze` found in a capture: the frames the
// pipeline counted, the model it built, and the events it raised;
// `ptpwatch analyze --json` prints it as JSON, WriteText as tables.
type Analysis struct {
	File   string                   `json:"file"`
	Frames FrameCounts              `json:"frames"`
	Model  *state.Snapshot          `json:"model"`
	Events []state.Event            `json:"events"`
	Series map[string][]state.Point `json:"perSecond,omitempty"`
	// InstanceSeries is keyed by "scope/portIdentity"; it reaches back as
	// far as the RAM buffer held the capture's frames.
	InstanceSeries map[string][]state.Point `json:"instancePerSecond,omitempty"`
}

// FrameCounts are the pipeline's counters after the capture.
type FrameCounts struct {
	Received  uint64            `json:"received"`
	Decoded   uint64            `json:"decoded"`
	NotPTP    uint64            `json:"notPTP"`
	Truncated uint64            `json:"truncated"`
	Malformed uint64            `json:"malformed"`
	Reasons   map[string]uint64 `json:"reasons,omitempty"`
}

// WriteText writes a as tables: scopes, devices with their role evidence,
// instances, the hierarchy and the events.
func (a *Analysis) WriteText(w io.Writer) {
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
