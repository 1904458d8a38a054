// Package metrics writes the Prometheus text exposition format (version
// 0.0.4) from a registry of metric families. Adding a family is one row:
// its name, type, unit, HELP text, label names and a function that emits
// its samples from a source (the model snapshot, or the server itself).
//
// Labels are bounded by design: segment, scope, domain, transport, vlan,
// clock and port identities, message type, port state and small fixed
// enumerations (cause, reason, result, code). Never sequence numbers,
// addresses or other values that grow without bound.
package metrics

import (
	"io"
	"strconv"
	"strings"
)

// Type is a family's type. Info and StateSet follow OpenMetrics; the 0.0.4
// text format has no such types, so they are exposed as gauges (an info
// family's one sample is 1; a state set has one series per state, 1 for
// the current one).
type Type string

// Types.
const (
	Gauge    Type = "gauge"
	Counter  Type = "counter"
	Info     Type = "info"
	StateSet Type = "stateset"
)

// exposed is the TYPE word of the 0.0.4 text format.
func (t Type) exposed() string {
	if t == Counter {
		return "counter"
	}
	return "gauge"
}

// Family is one metric family: one row of a registry.
type Family[S any] struct {
	Name string
	Type Type
	// Unit is the base unit the name ends with (seconds, bytes, ratio,
	// timestamp_seconds), or "" for plain counts.
	Unit   string
	Help   string
	Labels []string
	// PerInstance marks the families that grow with the number of
	// instances; Options.PerInstance false drops them.
	PerInstance bool
	// When, if set, says whether the family applies at all (live capture,
	// a store); without it the family's HELP and TYPE are always written.
	When func(src S) bool
	// Collect emits the samples: label values in the order of Labels.
	Collect func(src S, e *Emitter)
}

// Options select what a scrape writes.
type Options struct {
	PerInstance bool
}

// Registry is an ordered list of families.
type Registry[S any] []Family[S]

// Write appends every family of r selected by o to b.
func (r Registry[S]) Write(b []byte, src S, o Options) []byte {
	var e Emitter
	e.b = b
	for i := range r {
		f := &r[i]
		if f.PerInstance && !o.PerInstance || f.When != nil && !f.When(src) {
			continue
		}
		e.b = AppendHeader(e.b, f.Name, f.Type.exposed(), f.Help)
		e.name, e.labels = f.Name, f.Labels
		f.Collect(src, &e)
	}
	return e.b
}

// Stream writes every family of r selected by o to w, through buf (its
// capacity is the chunk size; 64 KiB when it has none). A scrape of a
// large network (some 30 MB of text at 10,000 instances) so never holds
// its whole text, nor clears and copies it: the cost that dominated a
// scrape built in one slice. It returns buf for reuse and the first
// write error; after an error nothing more is written.
func (r Registry[S]) Stream(w io.Writer, buf []byte, src S, o Options) ([]byte, error) {
	if cap(buf) == 0 {
		buf = make([]byte, 0, 64<<10)
	}
	e := Emitter{b: buf[:0], w: w, flushAt: cap(buf) - cap(buf)/8}
	for i := range r {
		f := &r[i]
		if f.PerInstance && !o.PerInstance || f.When != nil && !f.When(src) {
			continue
		}
		e.b = AppendHeader(e.b, f.Name, f.Type.exposed(), f.Help)
		e.name, e.labels = f.Name, f.Labels
		f.Collect(src, &e)
		if e.err != nil {
			return e.b[:0], e.err
		}
	}
	e.flush()
	return e.b[:0], e.err
}

// Emitter writes the samples of one family.
type Emitter struct {
	b      []byte
	name   string
	labels []string
	// When streaming: where full chunks go, the length at which one is
	// full, and the first write error.
	w       io.Writer
	flushAt int
	err     error
}

// flush hands what is buffered to the writer, if there is one.
func (e *Emitter) flush() {
	if e.w == nil || len(e.b) == 0 {
		return
	}
	if e.err == nil {
		_, e.err = e.w.Write(e.b)
	}
	e.b = e.b[:0]
}

// Sample writes one sample; values are the label values in the order of
// the family's Labels. Missing values are written empty, which
// Prometheus treats as an absent label.
func (e *Emitter) Sample(v float64, values ...string) {
	e.b = append(e.b, e.name...)
	if len(e.labels) > 0 {
		e.b = append(e.b, '{')
		for i, l := range e.labels {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, l...)
			e.b = append(e.b, `="`...)
			if i < len(values) {
				e.b = AppendLabelValue(e.b, values[i])
			}
			e.b = append(e.b, '"')
		}
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, ' ')
	e.b = AppendValue(e.b, v)
	e.b = append(e.b, '\n')
	if e.w != nil && len(e.b) >= e.flushAt {
		e.flush()
	}
}

// Bool is 1 for true, 0 for false.
func Bool(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// AppendHeader appends a family's HELP and TYPE lines.
func AppendHeader(b []byte, name, typ, help string) []byte {
	b = append(b, "# HELP "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = AppendHelp(b, help)
	b = append(b, "\n# TYPE "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, typ...)
	return append(b, '\n')
}

// AppendSample appends one sample line; labels are name, value pairs.
func AppendSample(b []byte, name string, v float64, labels ...string) []byte {
	b = append(b, name...)
	if len(labels) > 0 {
		b = append(b, '{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, labels[i]...)
			b = append(b, `="`...)
			b = AppendLabelValue(b, labels[i+1])
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	b = append(b, ' ')
	b = AppendValue(b, v)
	return append(b, '\n')
}

// AppendHelp escapes HELP text: backslash and line feed.
func AppendHelp(b []byte, s string) []byte {
	if !strings.ContainsAny(s, "\\\n") {
		return append(b, s...)
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, s[i])
		}
	}
	return b
}

// AppendLabelValue escapes a label value: backslash, double quote and
// line feed.
func AppendLabelValue(b []byte, v string) []byte {
	clean := true
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\\' || c == '"' || c == '\n' {
			clean = false
			break
		}
	}
	if clean {
		return append(b, v...)
	}
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, v[i])
		}
	}
	return b
}

// AppendValue writes a sample value: integers without exponent, NaN and
// infinities as Prometheus spells them.
func AppendValue(b []byte, v float64) []byte {
	switch {
	case v != v:
		return append(b, "NaN"...)
	case v > 1.7976931348623157e308:
		return append(b, "+Inf"...)
	case v < -1.7976931348623157e308:
		return append(b, "-Inf"...)
	case v == float64(int64(v)) && v < 1e15 && v > -1e15:
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}
