package state

import (
	"sync"
	"sync/atomic"
)

// extraSeverity holds the default severities of registered event types
// (RegisterEventType); it is replaced, never modified, under extraMu.
var (
	extraMu       sync.Mutex
	extraSeverity map[EventType]Severity
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
	InterfaceDown             EventType = "Interface Down"         // a capture interface went down or away
	InterfaceUp               EventType = "Interface Up"           // capture on it (re)started
	CaptureTrouble            EventType = "Capture Trouble"        // frames lost or a capture resource failing
	WebServerFailed           EventType = "Web Server Failed"      // the web UI and API stopped serving an address; restarting
	WebServerRestarted        EventType = "Web Server Restarted"   // it serves the address again
	CustomAlarmTriggered      EventType = "Custom Alarm Triggered" // a custom alarm's condition held for its hold time (state/alarm)
	CustomAlarmCleared        EventType = "Custom Alarm Cleared"   // its clear condition holds again
	NotificationsLost         EventType = "Notifications Lost"     // a notification channel's outbox overflowed or its entries expired (state/notify)
	// ParentDisagreement: the parent a port reports in PARENT_DATA_SET is
	// not the one the wire shows answering its Delay_Req.
	ParentDisagreement EventType = "Parent Disagreement"
	// IdentityDrift: a clock answering management from a new address, or
	// a known address answering with a new clock identity.
	IdentityDrift  EventType = "Identity Drift"
	ProbeConnected EventType = "Probe Connected" // a collector hears a probe site, or a probe reaches its collector
	ProbeLost      EventType = "Probe Lost"      // a collector stopped hearing a site, or a probe lost its collector
	ForwardingLoss EventType = "Forwarding Loss" // forwarded frames were dropped on the way
)

// EventTypes lists every event type, for configuration checks and the UI.
var EventTypes = []EventType{CaptureStarted, CaptureStopped, ScopeDetected, DeviceDetected, PortDetected,
	InstanceDetected, PortStateChanged, LocalQualityChanged, GrandmasterQualityChanged, GrandmasterChanged,
	MasterSilent, MasterResumed, SequenceGap, DuplicateIdentity, InterfaceDown, InterfaceUp, CaptureTrouble,
	WebServerFailed, WebServerRestarted, CustomAlarmTriggered, CustomAlarmCleared, NotificationsLost, ParentDisagreement, IdentityDrift,
	ProbeConnected, ProbeLost, ForwardingLoss}

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
	case CaptureTrouble, WebServerFailed, NotificationsLost, CustomAlarmTriggered, ProbeLost, ForwardingLoss:
		return Warning
	case PortStateChanged, GrandmasterQualityChanged, LocalQualityChanged, SequenceGap, ParentDisagreement, IdentityDrift:
		return Warning
	case ScopeDetected, DeviceDetected, MasterResumed, InterfaceUp, WebServerRestarted, CustomAlarmCleared, ProbeConnected:
		return Notice
	}
	extraMu.Lock()
	sev := extraSeverity[t]
	extraMu.Unlock()
	return sev
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
//
// Readers never take the mutex: events live in fixed-size chunks that are
// written once and never reused, and a reader takes an EventSnapshot (an
// atomic load of the published chunk list and of the next Seq) and reads
// the chunks directly. So a reader of the whole log neither holds up the
// writers nor copies anything it does not hand out.
type EventLog struct {
	mu     sync.Mutex // serialises writers and the subscriber set
	size   uint64     // events kept
	next   atomic.Uint64
	view   atomic.Pointer[eventView]
	subs   map[chan Event]struct{}
	counts map[EventType]uint64
}

// eventChunkSize is how many events one chunk holds.
const eventChunkSize = 1024

type eventChunk [eventChunkSize]Event

// eventView is the published chunk list: chunk i holds the events with
// Seq from (first+i)·eventChunkSize+1. A view is never modified; Add
// publishes a new one when it starts a chunk.
type eventView struct {
	first  uint64 // number of chunks[0]
	chunks []*eventChunk
}

// DefaultEventLogSize is how many events an EventLog keeps by default.
const DefaultEventLogSize = 100_000

// NewEventLog returns a log that keeps the last size events.
func NewEventLog(size int) *EventLog {
	if size <= 0 {
		size = DefaultEventLogSize
	}
	l := &EventLog{size: uint64(size), subs: map[chan Event]struct{}{}, counts: map[EventType]uint64{}}
	l.next.Store(1)
	l.view.Store(&eventView{})
	return l
}

// Add appends e, filling Seq and Severity (when zero), and passes it to
// subscribers that have room; a slow subscriber misses events rather than
// blocking the model.
func (l *EventLog) Add(e Event) {
	if e.Severity == 0 {
		e.Severity = severityOf(e.Type)
	}
	l.mu.Lock()
	e.Seq = l.next.Load()
	n := (e.Seq - 1) / eventChunkSize
	v := l.view.Load()
	if n >= v.first+uint64(len(v.chunks)) {
		// Start a chunk, and let go of chunks that hold only events
		// older than the size kept from now on.
		oldest := uint64(1)
		if e.Seq > l.size {
			oldest = e.Seq - l.size + 1
		}
		drop := uint64(0)
		if oc := (oldest - 1) / eventChunkSize; oc > v.first {
			drop = min(oc-v.first, uint64(len(v.chunks)))
		}
		// Chunks are numbered consecutively, so the new one, n, follows
		// the last kept.
		nv := &eventView{first: v.first + drop, chunks: make([]*eventChunk, 0, len(v.chunks)-int(drop)+1)}
		nv.chunks = append(append(nv.chunks, v.chunks[drop:]...), new(eventChunk))
		l.view.Store(nv)
		v = nv
	}
	v.chunks[n-v.first][(e.Seq-1)%eventChunkSize] = e
	l.next.Store(e.Seq + 1) // publishes the event to readers
	l.counts[e.Type]++
	for ch := range l.subs {
		select {
		case ch <- e:
		default:
		}
	}
	l.mu.Unlock()
}

// EventSnapshot is the log as it was at one moment: the kept events with
// Seq from First to Next−1. It stays valid and unchanged however many
// events are added later, and reading it takes no lock. Its events are
// shared: callers must not modify them.
type EventSnapshot struct {
	v           *eventView
	first, next uint64
}

// Snapshot returns the log's current events.
func (l *EventLog) Snapshot() EventSnapshot {
	next := l.next.Load() // first: every event below it is written
	v := l.view.Load()    // then: a view that holds them (or a newer one)
	first := uint64(1)
	if next-1 > l.size {
		first = next - l.size
	}
	first = max(first, v.first*eventChunkSize+1)
	return EventSnapshot{v: v, first: first, next: max(next, first)}
}

// First is the Seq of the oldest event held, Next one more than the
// newest's; the snapshot is empty when they are equal.
func (s EventSnapshot) First() uint64 { return s.first }

// Next is one more than the Seq of the newest event held.
func (s EventSnapshot) Next() uint64 { return s.next }

// Len is how many events the snapshot holds.
func (s EventSnapshot) Len() int { return int(s.next - s.first) }

// At returns the event with Seq seq, which must be from First to Next−1.
func (s EventSnapshot) At(seq uint64) *Event {
	return &s.v.chunks[(seq-1)/eventChunkSize-s.v.first][(seq-1)%eventChunkSize]
}

// From returns the Seq of the first event held after after: First when
// after is older, Next when nothing is newer (after may be any value,
// the largest uint64 included).
func (s EventSnapshot) From(after uint64) uint64 {
	switch {
	case after < s.first:
		return s.first
	case after >= s.next:
		return s.next
	}
	return after + 1
}

// Events returns a copy of the kept events with Seq greater than after,
// oldest first, at most limit of them (all when limit ≤ 0).
func (l *EventLog) Events(after uint64, limit int) []Event {
	s := l.Snapshot()
	from := s.From(after)
	n := s.next - from
	if limit > 0 && uint64(limit) < n {
		n = uint64(limit)
	}
	out := make([]Event, 0, n)
	for seq := from; seq < from+n; seq++ {
		out = append(out, *s.At(seq))
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

// Subscribers returns how many channels Subscribe handed out are still
// subscribed (for tests that must not add events before a subscriber is
// listening).
func (l *EventLog) Subscribers() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.subs)
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
