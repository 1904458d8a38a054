package dashcam

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/ptpwatch/ptpwatch/decode/pcapng"
	"github.com/ptpwatch/ptpwatch/state/store"
)

// Progress reports how far an export got.
type Progress struct {
	Frames uint64 // frames written so far
	Total  uint64 // frames to write; 0 when not known in advance (ranges)
	Time   int64  // capture time of the last frame written
	From   int64  // the exported time range (ranges) or window (incidents)
	To     int64
}

// ExportStats describe a finished export.
type ExportStats struct {
	Frames uint64 // frames written
	Bytes  uint64 // their captured bytes
}

// progressEvery is how many frames pass between progress calls.
const progressEvery = 1 << 16

// ExportIncident writes incident id to w as pcapng: nanosecond
// timestamps, one interface description per capture interface (and link
// type) with its original name, the incident and its triggers in the
// section comment and each trigger as a comment on the first frame at or
// after its time. It streams: memory use does not grow with the
// incident. progress, when set, is called now and then and at the end.
// An incident being recorded is exported as far as it is written.
func (s *Store) ExportIncident(id uint64, w io.Writer, progress func(Progress)) (ExportStats, error) {
	inc, err := s.Incident(id)
	if err != nil {
		return ExportStats{}, err
	}
	e, err := newExporter(w, incidentComment(&inc), inc.Interfaces)
	if err != nil {
		return ExportStats{}, err
	}
	e.progress = progress
	e.p = Progress{Total: inc.Frames, From: inc.From, To: inc.To}
	e.triggers = slices.Clone(inc.Triggers)
	slices.SortStableFunc(e.triggers, func(a, b Trigger) int { return cmpInt64(a.Time, b.Time) })
	err = s.incidentRead(&inc, func(f *Frame) bool { return e.frame(f, minInt64, maxInt64) })
	if err == nil {
		err = e.err
	}
	if err != nil {
		return e.st, err
	}
	return e.finish()
}

// ExportRange writes the archived frames captured from from to to
// (inclusive, ns since 1970-01-01) to w as pcapng, like ExportIncident.
func (s *Store) ExportRange(from, to int64, w io.Writer, progress func(Progress)) (ExportStats, error) {
	if to < from {
		return ExportStats{}, fmt.Errorf("dashcam: export range ends (%s) before it starts (%s)", fmtTime(to), fmtTime(from))
	}
	comment := "ptpwatch archive " + fmtTime(from) + " to " + fmtTime(to)
	e, err := newExporter(w, comment, s.archiveInterfaces())
	if err != nil {
		return ExportStats{}, err
	}
	e.progress = progress
	e.p = Progress{From: from, To: to}
	lo := archiveBound(max(from, minInt64+chunkSpan) - chunkSpan)
	hi := archiveEnd
	if to < maxInt64-chunkSpan {
		hi = archiveBound(to + chunkSpan)
	}
	it, err := s.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return ExportStats{}, err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return e.st, s.ReadErr(err)
		}
		_, first, last, err := chunkInfo(v)
		if err != nil {
			return e.st, s.ReadErr(err)
		}
		if last < from || first > to {
			continue
		}
		if err := e.chunk(v, from, to); err != nil {
			return e.st, s.ReadErr(err)
		}
	}
	if err := it.Error(); err != nil {
		return e.st, s.ReadErr(err)
	}
	return e.finish()
}

const (
	minInt64 = -1 << 63
	maxInt64 = 1<<63 - 1
)

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// exporter writes frames as pcapng, adding an interface description the
// first time it meets an (interface, link type) pair.
type exporter struct {
	w        *pcapng.NgWriter
	names    []Interface
	ids      map[uint32]int // ifIndex<<16 | link → pcapng interface
	triggers []Trigger      // not yet attached, by time
	progress func(Progress)
	p        Progress
	st       ExportStats
	err      error
}

func newExporter(w io.Writer, comment string, names []Interface) (*exporter, error) {
	nw, err := pcapng.NewNgWriter(w, pcapng.NgWriterOptions{Comment: comment})
	if err != nil {
		return nil, err
	}
	return &exporter{w: nw, names: names, ids: map[uint32]int{}}, nil
}

func (e *exporter) iface(f *Frame) (int, error) {
	k := uint32(f.IfIndex)<<16 | uint32(f.Link)
	if id, ok := e.ids[k]; ok {
		return id, nil
	}
	name := ""
	if int(f.IfIndex) < len(e.names) {
		name = e.names[f.IfIndex].Name
	}
	if name == "" {
		name = "if" + strconv.Itoa(int(f.IfIndex))
	}
	id, err := e.w.AddInterface(pcapng.Interface{Name: name, LinkType: pcapng.LinkType(f.Link), Resolution: pcapng.Nanosecond})
	if err != nil {
		return 0, err
	}
	e.ids[k] = id
	return id, nil
}

// chunk writes the frames of a stored chunk captured in [from, to].
func (e *exporter) chunk(v []byte, from, to int64) error {
	err := chunkFrames(v, func(f *Frame) bool { return e.frame(f, from, to) })
	if e.err != nil {
		return e.err
	}
	return err
}

// frame writes f when it was captured in [from, to]. It reports false,
// with e.err set, when writing fails.
func (e *exporter) frame(f *Frame, from, to int64) bool {
	if f.Time < from || f.Time > to {
		return true
	}
	id, err := e.iface(f)
	if err != nil {
		e.err = err
		return false
	}
	comment := ""
	for len(e.triggers) > 0 && e.triggers[0].Time <= f.Time {
		comment = appendComment(comment, "trigger: "+e.triggers[0].String())
		e.triggers = e.triggers[1:]
	}
	ts := max(f.Time, 0)
	if err := e.w.WritePacket(id, ts, f.Data, int(f.OrigLen), comment); err != nil {
		e.err = err
		return false
	}
	e.st.Frames++
	e.st.Bytes += uint64(len(f.Data))
	e.p.Time = f.Time
	if e.progress != nil && e.st.Frames%progressEvery == 0 {
		e.p.Frames = e.st.Frames
		e.progress(e.p)
	}
	return true
}

func appendComment(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func (e *exporter) finish() (ExportStats, error) {
	if err := e.w.Flush(); err != nil {
		return e.st, err
	}
	if e.progress != nil {
		e.p.Frames = e.st.Frames
		e.progress(e.p)
	}
	return e.st, nil
}

// incidentComment describes an incident for the section comment.
func incidentComment(inc *Incident) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ptpwatch incident %d (%s): %s to %s", inc.ID, inc.State, fmtTime(inc.From), fmtTime(inc.To))
	if len(inc.Scopes) > 0 {
		fmt.Fprintf(&b, "; scopes: %s", strings.Join(inc.Scopes, ", "))
	} else {
		b.WriteString("; all scopes")
	}
	fmt.Fprintf(&b, "; %d frames", inc.Frames)
	if inc.Reason != "" {
		b.WriteString("; " + inc.Reason)
	}
	for _, t := range inc.Triggers {
		fmt.Fprintf(&b, "\ntrigger at %s: %s", fmtTime(t.Time), t.String())
	}
	return b.String()
}

func fmtTime(t int64) string { return time.Unix(0, t).UTC().Format(time.RFC3339Nano) }

// ReadIncident calls fn with each stored frame of incident id, in time
// order (see Incident.Runs), until fn returns false. The Frame and its
// Data are valid only during the call.
func (s *Store) ReadIncident(id uint64, fn func(f *Frame) bool) error {
	inc, err := s.Incident(id)
	if err != nil {
		return err
	}
	return s.incidentRead(&inc, fn)
}

// incidentRead is incidentFrames for readers: damage found in the
// incident's frames is returned as a *CorruptionError and marked in its
// description (Incident.Damaged).
func (s *Store) incidentRead(inc *Incident, fn func(f *Frame) bool) error {
	err := s.incidentFrames(inc, fn)
	if !store.IsCorruption(err) {
		return err
	}
	err = s.ReadErr(err)
	var ce *store.CorruptionError
	if errors.As(err, &ce) && ce.Record == "" {
		c := *ce
		c.Record = fmt.Sprintf("incident %d", inc.ID)
		err = &c
	}
	if inc.Damaged == "" && !s.isRecording(inc.ID) {
		s.markDamaged(inc.ID, err)
	}
	return err
}

// ReadRange calls fn with each archived frame captured from from to to
// (inclusive), in stored order, until fn returns false. The Frame and its
// Data are valid only during the call.
func (s *Store) ReadRange(from, to int64, fn func(f *Frame) bool) error {
	lo := archiveBound(max(from, minInt64+chunkSpan) - chunkSpan)
	hi := archiveEnd
	if to < maxInt64-chunkSpan {
		hi = archiveBound(to + chunkSpan)
	}
	return s.ReadErr(s.readChunks(lo, hi, from, to, fn))
}

func (s *Store) readChunks(lo, hi []byte, from, to int64, fn func(f *Frame) bool) error {
	it, err := s.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	defer it.Close()
	stop := false
	for ok := it.First(); ok && !stop; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		err = chunkFrames(v, func(f *Frame) bool {
			if f.Time < from || f.Time > to {
				return true
			}
			stop = !fn(f)
			return !stop
		})
		if err != nil {
			return err
		}
	}
	return it.Error()
}
