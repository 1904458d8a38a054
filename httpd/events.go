package httpd

import (
	"bufio"
	"math"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/ptpwatch/ptpwatch/decode/dump"
	"github.com/ptpwatch/ptpwatch/state"
)

// Event list answers: GET /api/v1/events.
//
// The frame pipeline has priority over these reads. A request reads an
// immutable snapshot of the event log (state.EventSnapshot: no lock that
// the model's writers take, no copy of the log), answers at most
// MaxEventPage events with a next cursor for the rest, and encodes them
// straight into the connection in slices of at most eventSliceBytes, so one
// request holds a few tens of KiB whatever it asks for. The CPU work of
// every slice (scanning, filtering, encoding) is done holding one of
// Config.HeavyReads slots, so however many clients read at once, at most
// that many cores scan and encode, and the rest are left to capture.

// Event list limits.
const (
	defaultEventLimit = 1000
	// MaxEventPage is the most events one answer of GET /api/v1/events
	// holds; a larger limit or tail is served as this many, with next.
	MaxEventPage = 10_000
	// eventSliceBytes is how much encoded JSON a request builds before it
	// lets go of its heavy-read slot and writes it out.
	eventSliceBytes = 32 << 10
	// eventSliceScan bounds the events scanned in one slot hold, so a
	// filter that matches little does not keep the slot for the whole log.
	eventSliceScan = 4096
)

// defaultHeavyReads is Config.HeavyReads' default: half the CPUs, at
// least one.
func defaultHeavyReads() int { return max(1, runtime.NumCPU()/2) }

var severities = map[string]state.Severity{"info": state.Info, "notice": state.Notice, "warning": state.Warning, "critical": state.Critical}

// eventQuery is a parsed GET /api/v1/events.
type eventQuery struct {
	types        []string
	minSev       state.Severity
	since, until int64
	after        uint64
	limit        uint64 // page size, 1..MaxEventPage
	tail         bool   // the newest limit matching events instead of the first after after
}

func (q *eventQuery) match(e *state.Event) bool {
	return e.Severity >= q.minSev && e.Time >= q.since && e.Time <= q.until && (len(q.types) == 0 || matchType(q.types, e.Type))
}

func (s *Server) parseEventQuery(c *call) (*eventQuery, error) {
	q := &eventQuery{minSev: state.Info}
	if c.has("type") {
		for _, t := range strings.Split(c.str("type"), ",") {
			if t = strings.TrimSpace(t); t != "" {
				q.types = append(q.types, t)
			}
		}
		if len(q.types) == 0 {
			return nil, badParam("type", c.str("type"), "want event type names such as \"Grandmaster Changed\", comma separated")
		}
	}
	if c.has("severity") {
		v := strings.ToLower(c.str("severity"))
		sev, ok := severities[v]
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= int(state.Critical) {
			sev, ok = state.Severity(n), true
		}
		if !ok {
			return nil, badParam("severity", c.str("severity"), "want info, notice, warning or critical (or 0-3)")
		}
		q.minSev = sev
	}
	var err error
	if q.since, q.until, err = c.timeRange("since", "until"); err != nil {
		return nil, err
	}
	// Any seq is a valid after, the largest uint64 too: it is the seq
	// of no kept event, and nothing is newer.
	if q.after, _, err = c.uintParam("after", math.MaxUint64); err != nil {
		return nil, err
	}
	limit, limitSet, err := c.uintParam("limit", math.MaxUint64)
	if err != nil {
		return nil, err
	}
	if limitSet && limit == 0 {
		return nil, badParam("limit", c.str("limit"), "want 1 or more")
	}
	tail, tailSet, err := c.uintParam("tail", math.MaxUint64)
	if err != nil {
		return nil, err
	}
	if tailSet && (tail == 0 || limitSet) {
		return nil, badParam("tail", c.str("tail"), "want 1 or more, and not together with limit")
	}
	switch {
	case tailSet:
		q.limit, q.tail = tail, true
	case limitSet:
		q.limit = limit
	default:
		q.limit = defaultEventLimit
	}
	q.limit = min(q.limit, MaxEventPage)
	return q, nil
}

// events serves GET /api/v1/events: {"events":[...],"next":seq}, next
// present when more matching events follow the page.
func (s *Server) events(c *call) error {
	q, err := s.parseEventQuery(c)
	if err != nil {
		return err
	}
	c.ctx.SetContentType("application/json")
	log := s.b.Events()
	if log == nil {
		c.ctx.SetBodyString("{\"events\":[]}\n")
		return nil
	}
	if c.ctx.IsHead() {
		return nil
	}
	snap := log.Snapshot()
	c.ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
		s.writeEvents(w, snap, q)
	})
	return nil
}

// heavySlot waits for one of the Config.HeavyReads slots and returns when
// it got it; ok is false when the server shuts down first.
func (s *Server) heavySlot() (since time.Time, ok bool) {
	select {
	case s.heavy <- struct{}{}:
		return time.Now(), true
	case <-s.done:
		return time.Time{}, false
	}
}

// apiQueueWait is how long a request waits for a heavy-read slot before
// it is answered 503.
const apiQueueWait = 20 * time.Second

// heavySlotWithin is heavySlot that gives up after wait.
// The caller gives the slot back with <-s.heavy.
func (s *Server) heavySlotWithin(wait time.Duration) bool {
	select {
	case s.heavy <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s.heavy <- struct{}{}:
		return true
	case <-s.done:
	case <-t.C:
	}
	return false
}

// heavyDone gives back a slot taken at since. The slot rests as long as
// it was worked (a duty cycle of one half), so heavy reads take at most
// half of HeavyReads cores, the CPU time of sending what they encoded
// included, and capture keeps the rest.
func (s *Server) heavyDone(since time.Time) {
	if d := time.Since(since); d > 0 {
		time.Sleep(d)
	}
	<-s.heavy
}

// writeEvents writes the answer to q from snap, slice by slice, each
// slice's scanning and encoding done in a heavy-read slot.
func (s *Server) writeEvents(w *bufio.Writer, snap state.EventSnapshot, q *eventQuery) {
	from := snap.From(q.after)
	if q.tail {
		// Find where the newest limit matching events start, scanning
		// back from the newest.
		var found uint64
		start := snap.Next()
		for start > from && found < q.limit {
			since, ok := s.heavySlot()
			if !ok {
				return
			}
			for n := 0; start > from && found < q.limit && n < eventSliceScan; n++ {
				start--
				if q.match(snap.At(start)) {
					found++
				}
			}
			s.heavyDone(since)
		}
		from = start
	}
	buf := make([]byte, 0, eventSliceBytes+4096)
	buf = append(buf, `{"events":[`...)
	var written, last, next uint64
	seq := from
	for seq < snap.Next() && next == 0 {
		since, ok := s.heavySlot()
		if !ok {
			return
		}
		for n := 0; seq < snap.Next() && len(buf) < eventSliceBytes && n < eventSliceScan; n, seq = n+1, seq+1 {
			e := snap.At(seq)
			if !q.match(e) {
				continue
			}
			if written == q.limit {
				next = last // more match than the page holds
				break
			}
			if written > 0 {
				buf = append(buf, ',')
			}
			buf = appendEvent(buf, e)
			written, last = written+1, seq
		}
		s.heavyDone(since)
		if _, err := w.Write(buf); err != nil {
			return // the client went away
		}
		buf = buf[:0]
	}
	buf = append(buf, ']')
	if next != 0 {
		buf = append(buf, `,"next":`...)
		buf = strconv.AppendUint(buf, next, 10)
	}
	buf = append(buf, "}\n"...)
	w.Write(buf)
}

// appendEvent appends e's JSON encoding, the same as encoding/json's
// (TestAppendEventMatchesEncodingJSON holds it) without its allocations.
func appendEvent(b []byte, e *state.Event) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"time":`...)
	b = strconv.AppendInt(b, e.Time, 10)
	b = append(b, `,"type":`...)
	b = dump.AppendJSONString(b, string(e.Type))
	b = append(b, `,"severity":`...)
	b = dump.AppendJSONString(b, e.Severity.String())
	for _, f := range [...]struct{ name, v string }{{`,"scope":`, e.Scope}, {`,"subject":`, e.Subject},
		{`,"before":`, e.Before}, {`,"after":`, e.After}, {`,"detail":`, e.Detail}} {
		if f.v != "" {
			b = append(b, f.name...)
			b = dump.AppendJSONString(b, f.v)
		}
	}
	return append(b, '}')
}
