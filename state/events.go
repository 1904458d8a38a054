package state

import (
	"sync"
)

// EventType names a kind of model event. The names are what the UI and API
// show.
type EventType string

// Event types.
const (
	CaptureStarted            EventType = "Capture Started"
	CaptureStopped            EventType = "Capture Stopped"
	ScopeDetected             EventType = "Scope Detected"
	DeviceDetected            EventType = "Device Detected"
	PortDetected              EventType = "Port Detected"
	InstanceDetected          EventType = "Instance Detected"
	PortStateChanged          EventType = "Port State Changed"
	LocalQualityChanged       EventType = "Local Quality Changed"
	GrandmasterQualityChanged EventType = "Grandmaster Quality Changed"
	GrandmasterChanged        EventType = "Grandmaster Changed"
	MasterSilent              EventType = "Master Silent"
	MasterResumed             EventType = "Master Resumed"
	SequenceGap               EventType = "Sequence Gap"
	DuplicateIdentity         EventType = "Duplicate Clock Identity"
	InterfaceDown             EventType = "Interface Down"  // a capture interface went down or away
	InterfaceUp               EventType = "Interface Up"    // capture on it (re)started
	CaptureTrouble            EventType = "Capture Trouble" // frames lost or a capture resource failing
)

// EventTypes lists every event type, for configuration checks and the UI.
var EventTypes = []EventType{CaptureStarted, CaptureStopped, ScopeDetected, DeviceDetected, PortDetected,
	InstanceDetected, PortStateChanged, LocalQualityChanged, GrandmasterQualityChanged, GrandmasterChanged,
	MasterSilent, MasterResumed, SequenceGap, DuplicateIdentity, InterfaceDown, InterfaceUp, CaptureTrouble}

// KnownEventType reports whether t is one of EventTypes.
func KnownEventType(t EventType) bool {
	for _, k := range EventTypes {
		if k == t {
			return true
		}
	}
	return false
}

// Severity orders events for filtering and alarms.
type Severity uint8

// Severities.
const (
	Info Severity = iota
	Notice
	Warning
	Critical
)

var severityNames = [...]string{"info", "notice", "warning", "critical"}

// String returns the severity's lower-case name.
func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return "invalid"
}

// MarshalText makes severities read as names in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// severityOf gives each event type its default severity.
func severityOf(t EventType) Severity {
	switch t {
	case GrandmasterChanged, MasterSilent, DuplicateIdentity, InterfaceDown:
		return Critical
	case CaptureTrouble:
		return Warning
	case PortStateChanged, GrandmasterQualityChanged, LocalQualityChanged, SequenceGap:
		return Warning
	case ScopeDetected, DeviceDetected, MasterResumed, InterfaceUp:
		return Notice
	}
	return Info
}

// Event is one change in the model.
type Event struct {
	Seq      uint64    `json:"seq"` // increasing over the log's lifetime
	Time     int64     `json:"time"`
	Type     EventType `json:"type"`
	Severity Severity  `json:"severity"`
	Scope    string    `json:"scope,omitempty"`
	Subject  string    `json:"subject,omitempty"` // the instance, port or device it is about
	Before   string    `json:"before,omitempty"`
	After    string    `json:"after,omitempty"`
	Detail   string    `json:"detail,omitempty"`
}

// EventLog keeps the most recent events in memory. Shards append to it
// only when something changes, never per frame, so its mutex is off the
// frame path. It is safe for concurrent use.
type EventLog struct {
	mu     sync.Mutex
	buf    []Event
	next   uint64 // Seq of the next event
	subs   map[chan Event]struct{}
	counts map[EventType]uint64
}

// DefaultEventLogSize is how many events an EventLog keeps by default.
const DefaultEventLogSize = 100_000

// NewEventLog returns a log that keeps the last size events.
func NewEventLog(size int) *EventLog {
	if size <= 0 {
		size = DefaultEventLogSize
	}
	return &EventLog{buf: make([]Event, 0, size), next: 1, subs: map[chan Event]struct{}{}, counts: map[EventType]uint64{}}
}

// Add appends e, filling Seq and Severity (when zero), and passes it to
// subscribers that have room; a slow subscriber misses events rather than
// blocking the model.
func (l *EventLog) Add(e Event) {
	if e.Severity == 0 {
		e.Severity = severityOf(e.Type)
	}
	l.mu.Lock()
	e.Seq = l.next
	l.next++
	if len(l.buf) < cap(l.buf) {
		l.buf = append(l.buf, e)
	} else {
		l.buf[int(e.Seq-1)%cap(l.buf)] = e
	}
	l.counts[e.Type]++
	for ch := range l.subs {
		select {
		case ch <- e:
		default:
		}
	}
	l.mu.Unlock()
}

// Events returns the kept events with Seq greater than after, oldest first,
// at most limit of them (all when limit ≤ 0).
func (l *EventLog) Events(after uint64, limit int) []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.buf)
	first := l.next - uint64(n) // Seq of the oldest kept event
	var out []Event
	for seq := max(first, after+1); seq < l.next; seq++ {
		out = append(out, l.buf[int(seq-1)%cap(l.buf)])
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out
}

// Counts returns how many events of each type were ever added.
func (l *EventLog) Counts() map[EventType]uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[EventType]uint64, len(l.counts))
	for k, v := range l.counts {
		out[k] = v
	}
	return out
}

// Subscribe returns a channel that receives new events until Unsubscribe.
func (l *EventLog) Subscribe(buffer int) chan Event {
	ch := make(chan Event, buffer)
	l.mu.Lock()
	l.subs[ch] = struct{}{}
	l.mu.Unlock()
	return ch
}

// Unsubscribe stops delivery to ch and closes it.
func (l *EventLog) Unsubscribe(ch chan Event) {
	l.mu.Lock()
	if _, ok := l.subs[ch]; ok {
		delete(l.subs, ch)
		close(ch)
	}
	l.mu.Unlock()
}
