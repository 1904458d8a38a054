// Package dump writes decoded frames as text or JSON, as
// `ptpwatch decode` prints them: a packet-list line per frame, the field
// tree with offsets, or one JSON object per frame, and a summary.
package dump

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/decode/pcapng"
)

// Summary counts what a capture held; the JSON form ends with it as
// {"summary": ...}.
type Summary struct {
	Frames   int            `json:"frames"`
	PTP      int            `json:"ptp"`
	Types    map[string]int `json:"types"`
	Results  map[string]int `json:"results"`
	Problems map[string]int `json:"problems,omitempty"`
	// Truncated says where and why the capture ended early (a file cut
	// short, damage): the frames before it are all listed and counted.
	Truncated string `json:"truncated,omitempty"`
}

// Capture decodes every frame of the pcap or pcapng capture in and writes
// each to out, then a summary: one line per frame (verbose: with its field
// tree, offsets and lengths), or with asJSON one Frame object per line.
// A capture that ends inside a frame is read up to there and summarised
// (Summary.Truncated) before Capture returns the error.
func Capture(in io.Reader, out *bufio.Writer, asJSON, verbose bool) error {
	r, err := pcapng.NewReader(in)
	if err != nil {
		return fmt.Errorf("read capture: %w", err)
	}
	sum := Summary{Types: map[string]int{}, Results: map[string]int{}, Problems: map[string]int{}}
	var p pcapng.Packet
	var fr decode.Frame
	enc := json.NewEncoder(out)
	var line []byte // a frame's JSON or field tree, reused
	var fj frameJSON
	var readErr error // a capture that ends early: summarised, then returned
	for n := 1; ; n++ {
		err := r.Next(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			readErr = fmt.Errorf("frame %d: %w", n, err)
			sum.Truncated = readErr.Error()
			break
		}
		sum.Frames++
		fr.Decode(decode.LinkType(p.LinkType), p.Data)
		sum.Results[fr.Result.String()]++
		if fr.Result != decode.ResultOK && fr.Result != decode.ResultNotPTP {
			sum.Problems[fr.Reason.String()]++
		}
		typ := messageName(&fr)
		if typ != "" {
			sum.PTP++
			sum.Types[typ]++
		}
		if asJSON {
			line = fj.appendFrame(line[:0], n, p.Timestamp, len(p.Data), p.OriginalLength, &fr, typ)
			if _, err := out.Write(line); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(out, "%d\t%s\t%s\n", n, time.Unix(0, p.Timestamp).UTC().Format("15:04:05.000000000"), summaryLine(&fr))
		if verbose {
			fj.list.Describe(&fr)
			line = appendFieldLines(line[:0], &fj.list, 0, 1)
			if _, err := out.Write(line); err != nil {
				return err
			}
		}
	}
	if asJSON {
		if err := enc.Encode(map[string]Summary{"summary": sum}); err != nil {
			return err
		}
		return readErr
	}
	fmt.Fprintf(out, "\n%d frames, %d PTP messages\n", sum.Frames, sum.PTP)
	if readErr != nil {
		fmt.Fprintf(out, "  capture ends early: %v\n", readErr)
	}
	for _, k := range sortedKeys(sum.Types) {
		fmt.Fprintf(out, "  %-28s %d\n", k, sum.Types[k])
	}
	for _, k := range sortedKeys(sum.Results) {
		fmt.Fprintf(out, "  result %-21s %d\n", k, sum.Results[k])
	}
	for _, k := range sortedKeys(sum.Problems) {
		fmt.Fprintf(out, "  problem %-20s %d\n", k, sum.Problems[k])
	}
	return readErr
}

// Frame is one decoded frame in Capture's JSON form (written by
// appendFrameJSON; the type documents it and reads it back). Layers holds
// the field tree as nested objects keyed by field name: a repeated name
// becomes an array, a group's own value and text are "_value" and "_text",
// a value with a meaning is {"value", "text"}.
type Frame struct {
	Frame          int            `json:"frame"`
	Time           string         `json:"time"`
	Length         int            `json:"length"`
	OriginalLength int            `json:"originalLength"`
	Result         string         `json:"result"`
	Reason         string         `json:"reason,omitempty"`
	Message        string         `json:"message,omitempty"`
	Layers         map[string]any `json:"layers"`
}

// messageName names the frame's PTP message, such as "PTPv2 Sync". It
// does not allocate.
func messageName(f *decode.Frame) string {
	switch f.Version {
	case 2:
		if f.Result == decode.ResultOK || f.Result == decode.ResultMalformed {
			return v2Names[f.PTP.MessageType&0xf]
		}
	case 1:
		if f.Result == decode.ResultOK || f.Result == decode.ResultMalformed {
			return v1Names[f.V1.Control]
		}
	}
	return ""
}

// v2Names and v1Names are messageName's answers, made once.
var v2Names, v1Names = func() (v2 [16]string, v1 [256]string) {
	for i := range v2 {
		v2[i] = "PTPv2 " + decode.MessageType(i).String()
	}
	for i := range v1 {
		v1[i] = "PTPv1 " + decode.V1Control(i).String()
	}
	return
}()

// summaryLine is the one-line view of a frame, like a packet list row.
func summaryLine(f *decode.Frame) string {
	var b strings.Builder
	switch f.Transport {
	case decode.TransportUDPv4, decode.TransportUDPv6:
		fmt.Fprintf(&b, "%s:%d > %s:%d", f.SrcIP, f.SrcPort, f.DstIP, f.DstPort)
	default:
		fmt.Fprintf(&b, "%x > %x", f.Src, f.Dst)
	}
	for i := 0; i < int(f.NumVLANs); i++ {
		fmt.Fprintf(&b, " vlan %d", f.VLANs[i].VID)
	}
	fmt.Fprintf(&b, " %s", f.Transport)
	if name := messageName(f); name != "" {
		b.WriteString(" " + name)
		if f.Version == 2 {
			m := &f.PTP
			fmt.Fprintf(&b, " domain %d seq %d from %s", m.Domain, m.Sequence, m.Source)
			if m.MessageType == decode.Management {
				fmt.Fprintf(&b, " %s %s", m.Management.Action, m.Management.ID)
			}
		} else {
			v := &f.V1
			fmt.Fprintf(&b, " subdomain %s seq %d from %x-%d", v.Subdomain(), v.SequenceID, v.SourceUUID, v.SourcePortID)
			if v.Control == decode.V1Management {
				fmt.Fprintf(&b, " %s", v.Management.MessageKey)
			}
		}
	}
	if f.Result != decode.ResultOK {
		fmt.Fprintf(&b, " [%s: %s]", f.Result, f.Reason)
	}
	return b.String()
}

// appendFieldLines appends the children of field parent as lines of the
// field tree, indented by depth: name, value, (text), [offset+length mask].
func appendFieldLines(b []byte, l *decode.FieldList, parent, depth int) []byte {
	for i := l.First(parent); i > 0; i = l.Next(i) {
		for range depth {
			b = append(b, "  "...)
		}
		b = append(b, l.Name(i)...)
		if l.HasValue(i) {
			b = append(b, ": "...)
			b = l.AppendValue(b, i)
		}
		if l.HasText(i) {
			b = append(b, " ("...)
			b = l.AppendText(b, i)
			b = append(b, ')')
		}
		b = append(b, "  ["...)
		b = strconv.AppendInt(b, int64(l.Offset(i)), 10)
		b = append(b, '+')
		b = strconv.AppendInt(b, int64(l.Length(i)), 10)
		if m := l.Mask(i); m != 0 {
			b = append(b, " mask 0x"...)
			b = strconv.AppendUint(b, m, 16)
		}
		b = append(b, "]\n"...)
		b = appendFieldLines(b, l, i, depth+1)
	}
	return b
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
