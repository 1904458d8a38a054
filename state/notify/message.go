package notify

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/fault"
)

// Kind tells what a Message is.
type Kind string

// Message kinds.
const (
	KindEvent     Kind = "event"     // a model event
	KindTest      Kind = "test"      // a test notification (API, CLI)
	KindHeartbeat Kind = "heartbeat" // the appliance is alive
)

// Message is one notification as the outbox holds it.
type Message struct {
	ID       string      `json:"id"`  // channel/seq: stable across retries and restarts
	Seq      uint64      `json:"seq"` // the channel's sequence number
	Kind     Kind        `json:"kind"`
	Event    state.Event `json:"event"`
	Queued   int64       `json:"queued"` // when it entered the outbox (ns since 1970)
	Hostname string      `json:"host,omitempty"`
}

// The outbox stores a message in a compact binary form (appendMessage),
// which is the same for every channel an event goes to: the channel and
// sequence number are in the key, the ID is made from them. Entries
// written by earlier versions are JSON (they begin with '{') and are
// still read.
//
// Binary form: the byte binaryTag, then uvarint queued time, then the
// kind, the hostname, uvarint event sequence, uvarint event time, the
// event type, its severity by name (the numbering is not stored), scope,
// subject, before, after and detail, each string as uvarint length and
// bytes.
const binaryTag = 0x01

// appendMessage appends the stored form of a message of kind about e,
// queued at queued on host, to b. It allocates only to grow b.
func appendMessage(b []byte, kind Kind, queued int64, host string, e *state.Event) []byte {
	b = append(b, binaryTag)
	b = binary.AppendUvarint(b, uint64(queued))
	b = appendString(b, string(kind))
	b = appendString(b, host)
	b = binary.AppendUvarint(b, e.Seq)
	b = binary.AppendUvarint(b, uint64(e.Time))
	b = appendString(b, string(e.Type))
	b = appendString(b, e.Severity.String())
	for _, s := range [...]string{e.Scope, e.Subject, e.Before, e.After, e.Detail} {
		b = appendString(b, s)
	}
	return b
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// errShortEntry is returned for a stored entry cut short.
var errShortEntry = errors.New("notify: outbox entry cut short")

// binaryReader reads appendMessage's fields; the first fault sticks.
type binaryReader struct {
	b   []byte
	err error
}

func (r *binaryReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShortEntry
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *binaryReader) string() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = errShortEntry
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// unmarshalMessage decodes a stored entry: appendMessage's form or the
// JSON of earlier versions. ID and Seq are left to the caller (the key
// holds them) unless the JSON has them.
func unmarshalMessage(b []byte, m *Message) error {
	if len(b) > 0 && b[0] == binaryTag {
		r := binaryReader{b: b[1:]}
		*m = Message{Queued: int64(r.uvarint()), Kind: Kind(r.string()), Hostname: r.string()}
		e := &m.Event
		e.Seq, e.Time = r.uvarint(), int64(r.uvarint())
		e.Type = state.EventType(r.string())
		sev := r.string()
		e.Scope, e.Subject, e.Before, e.After, e.Detail = r.string(), r.string(), r.string(), r.string(), r.string()
		if r.err != nil {
			return r.err
		}
		if len(r.b) != 0 {
			return fmt.Errorf("notify: outbox entry has %d bytes too many", len(r.b))
		}
		var ok bool
		if e.Severity, ok = parseSeverity(sev); !ok {
			return fmt.Errorf("notify: outbox entry: unknown severity %q", sev)
		}
		return nil
	}
	return unmarshalJSONMessage(b, m)
}

// unmarshalJSONMessage decodes the JSON form earlier versions wrote.
func unmarshalJSONMessage(b []byte, m *Message) error {
	var w struct {
		ID       string `json:"id"`
		Seq      uint64 `json:"seq"`
		Kind     Kind   `json:"kind"`
		Queued   int64  `json:"queued"`
		Hostname string `json:"host"`
		Severity string `json:"severity"`
		Event    struct {
			Seq     uint64          `json:"seq"`
			Time    int64           `json:"time"`
			Type    state.EventType `json:"type"`
			Scope   string          `json:"scope"`
			Subject string          `json:"subject"`
			Before  string          `json:"before"`
			After   string          `json:"after"`
			Detail  string          `json:"detail"`
		} `json:"event"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	sev, _ := parseSeverity(w.Severity)
	e := w.Event
	*m = Message{ID: w.ID, Seq: w.Seq, Kind: w.Kind, Queued: w.Queued, Hostname: w.Hostname,
		Event: state.Event{Seq: e.Seq, Time: e.Time, Type: e.Type, Severity: sev, Scope: e.Scope, Subject: e.Subject,
			Before: e.Before, After: e.After, Detail: e.Detail}}
	return nil
}

// Delivery is what a Sender sends at once: one message, or a digest of
// several.
type Delivery struct {
	Channel  string
	Messages []*Message
	Digest   bool   // several messages summarised in one notification
	UIURL    string // the appliance's web UI, for links ("" for none)
	Hostname string
}

// clearOf maps an event type that ends a condition to the one that began
// it: the pair shares an alarm ID.
var clearOf = map[state.EventType]state.EventType{
	state.MasterResumed:      state.MasterSilent,
	state.InterfaceUp:        state.InterfaceDown,
	state.WebServerRestarted: state.WebServerFailed,
	state.CustomAlarmCleared: state.CustomAlarmTriggered,
}

// IsClear reports whether t ends a condition another type raised.
func IsClear(t state.EventType) bool { _, ok := clearOf[t]; return ok }

// AlarmID is the stable identity of the condition e raises or clears: the
// same for a raise and its clear, the same across restarts. A fault
// finding's opening event (its kind as the type) and its Finding Closed or
// Recovered (the kind as Before) share the ID of kind and subject: the
// closing scope may differ from the opening one.
func AlarmID(e *state.Event) uint32 {
	t := e.Type
	if r, ok := clearOf[t]; ok {
		t = r
	}
	if f, ok := fault.FindingOf(e); ok {
		h := fnv.New32a()
		h.Write([]byte(f.Kind))
		h.Write([]byte("\x00finding\x00"))
		h.Write([]byte(e.Subject))
		return h.Sum32() &^ (1 << 31)
	}
	h := fnv.New32a()
	h.Write([]byte(t))
	h.Write([]byte{0})
	h.Write([]byte(e.Scope))
	h.Write([]byte{0})
	h.Write([]byte(e.Subject))
	return h.Sum32() &^ (1 << 31) // fits an Unsigned32 and an Integer32
}

// X733 is an ITU-T X.733 perceived severity, as the MIB and syslog carry it.
type X733 int

// X.733 severities (the values of ITU-ALARM-TC-MIB's ItuPerceivedSeverity).
const (
	X733Cleared       X733 = 1
	X733Indeterminate X733 = 2
	X733Critical      X733 = 3
	X733Major         X733 = 4
	X733Minor         X733 = 5
	X733Warning       X733 = 6
)

var x733Names = map[X733]string{X733Cleared: "cleared", X733Indeterminate: "indeterminate", X733Critical: "critical",
	X733Major: "major", X733Minor: "minor", X733Warning: "warning"}

func (s X733) String() string { return x733Names[s] }

// PerceivedSeverity maps an event to X.733: clears (a fault finding's
// closing included) are cleared, then by the event's severity.
func PerceivedSeverity(e *state.Event) X733 {
	if IsClear(e.Type) {
		return X733Cleared
	}
	if f, ok := fault.FindingOf(e); ok && !f.Opens {
		return X733Cleared
	}
	switch e.Severity {
	case state.Critical:
		return X733Critical
	case state.Warning:
		return X733Major
	case state.Notice:
		return X733Warning
	}
	return X733Indeterminate
}

// Title is a one-line summary of a delivery: subject of a mail, a chat
// message's first line.
func (d *Delivery) Title() string {
	if d.Digest {
		return fmt.Sprintf("[ptpwatch %s] %d notifications: %s", d.Hostname, len(d.Messages), d.countsText(3))
	}
	m := d.Messages[0]
	e := &m.Event
	var b strings.Builder
	fmt.Fprintf(&b, "[ptpwatch %s] %s: %s", d.Hostname, e.Severity, e.Type)
	if m.Kind == KindTest {
		b.WriteString(" (test)")
	}
	if e.Subject != "" {
		b.WriteString(" " + e.Subject)
	}
	if e.Scope != "" {
		b.WriteString(" in " + e.Scope)
	}
	return b.String()
}

// countsText lists the event types of a digest with their counts, most
// first... in first-seen order, at most n types.
func (d *Delivery) countsText(n int) string {
	var order []state.EventType
	counts := map[state.EventType]int{}
	for _, m := range d.Messages {
		if counts[m.Event.Type] == 0 {
			order = append(order, m.Event.Type)
		}
		counts[m.Event.Type]++
	}
	var parts []string
	for i, t := range order {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more types", len(order)-n))
			break
		}
		parts = append(parts, fmt.Sprintf("%d× %s", counts[t], t))
	}
	return strings.Join(parts, ", ")
}

// Text is a delivery's readable body: what happened, where, the values
// and a link to the event in the UI.
func (d *Delivery) Text() string {
	var b strings.Builder
	if d.Digest {
		fmt.Fprintf(&b, "%d notifications were grouped into this digest: %s.\n\n", len(d.Messages), d.countsText(20))
		const lines = 50
		for i, m := range d.Messages {
			if i == lines {
				fmt.Fprintf(&b, "... and %d more.\n", len(d.Messages)-lines)
				break
			}
			b.WriteString("- " + m.line() + "\n")
		}
		if d.UIURL != "" {
			fmt.Fprintf(&b, "\nEvents: %s\n", d.link(nil))
		}
		return b.String()
	}
	m := d.Messages[0]
	e := &m.Event
	if m.Kind == KindTest {
		b.WriteString("This is a test notification from ptpwatch.\n\n")
	}
	fmt.Fprintf(&b, "Event:    %s\nSeverity: %s (X.733 %s)\nTime:     %s\n", e.Type, e.Severity, PerceivedSeverity(e),
		time.Unix(0, e.Time).UTC().Format(time.RFC3339Nano))
	for _, kv := range [][2]string{{"Scope", e.Scope}, {"Subject", e.Subject}, {"Before", e.Before}, {"After", e.After}, {"Detail", e.Detail}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, "%-9s %s\n", kv[0]+":", kv[1])
		}
	}
	fmt.Fprintf(&b, "Alarm ID: %d\nID:       %s\n", AlarmID(e), m.ID)
	if d.UIURL != "" {
		fmt.Fprintf(&b, "\nIn the UI: %s\n", d.link(m))
	}
	return b.String()
}

func (d *Delivery) link(m *Message) string {
	u := strings.TrimRight(d.UIURL, "/") + "/#/events"
	if m != nil && m.Event.Seq != 0 {
		u += fmt.Sprintf("?seq=%d", m.Event.Seq)
	}
	return u
}

// line is one message in a digest.
func (m *Message) line() string {
	e := &m.Event
	s := time.Unix(0, e.Time).UTC().Format("15:04:05.000") + " " + e.Severity.String() + " " + string(e.Type)
	if e.Subject != "" {
		s += " " + e.Subject
	}
	if e.Scope != "" {
		s += " [" + e.Scope + "]"
	}
	if e.Before != "" || e.After != "" {
		s += ": " + e.Before + " → " + e.After
	}
	return s
}

// Filter selects the events a channel sends. The zero Filter passes
// every event.
type Filter struct {
	Types       []string `toml:"types" json:"types,omitempty"`              // event types; empty: all
	MinSeverity string   `toml:"min_severity" json:"minSeverity,omitempty"` // info, notice, warning, critical; empty: info
	Scopes      []string `toml:"scopes" json:"scopes,omitempty"`            // scope names or path.Match patterns; empty: all
}

// Check reports what is wrong with f.
func (f *Filter) Check() error {
	for _, t := range f.Types {
		if !state.KnownEventType(state.EventType(t)) {
			return fmt.Errorf("types: unknown event type %q", t)
		}
	}
	if _, ok := parseSeverity(f.MinSeverity); !ok {
		return fmt.Errorf("min_severity %q: want info, notice, warning or critical", f.MinSeverity)
	}
	for _, s := range f.Scopes {
		if s == "" {
			return errors.New("scopes: empty pattern")
		}
	}
	return nil
}

// Match reports whether e passes f.
func (f *Filter) Match(e *state.Event) bool {
	if min, _ := parseSeverity(f.MinSeverity); e.Severity < min {
		return false
	}
	if len(f.Types) > 0 {
		ok := false
		for _, t := range f.Types {
			if state.EventType(t) == e.Type {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(f.Scopes) > 0 {
		for _, s := range f.Scopes {
			if Glob(s, e.Scope) {
				return true
			}
		}
		return false
	}
	return true
}

func parseSeverity(s string) (state.Severity, bool) {
	if s == "" {
		return state.Info, true
	}
	for v := state.Info; v <= state.Critical; v++ {
		if v.String() == s {
			return v, true
		}
	}
	return 0, false
}

// Glob reports whether name matches pattern, in which '*' stands for any
// run of characters ('/' included, unlike path.Match: scope names hold
// "UDP/IPv4") and '?' for one character.
func Glob(pattern, name string) bool {
	px, nx := 0, 0
	starP, starN := -1, 0
	for nx < len(name) {
		switch {
		case px < len(pattern) && pattern[px] == '*':
			starP, starN = px, nx
			px++
		case px < len(pattern) && (pattern[px] == '?' || pattern[px] == name[nx]):
			px++
			nx++
		case starP >= 0:
			px, starN = starP+1, starN+1
			nx = starN
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}
