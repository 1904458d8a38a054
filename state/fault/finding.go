package fault

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
)

// Kind names a kind of finding. Opening a finding raises an event of the
// same name.
type Kind = state.EventType

// Finding kinds, and the events that close them.
const (
	RogueMaster            Kind = "Rogue Master"
	BMCAContention         Kind = "BMCA Contention"
	GrandmasterFlapping    Kind = "Grandmaster Flapping"
	Failover               Kind = "Failover"
	Outage                 Kind = "Outage"
	TimePropertiesMismatch Kind = "Time Properties Mismatch"
	Degradation            Kind = "Degradation"
	UnexpectedScope        Kind = "Unexpected Scope"
	// Recovered closes a Failover (the grandmaster is back) or an Outage
	// (a grandmaster announces again).
	Recovered Kind = "Recovered"
	// FindingClosed closes every other finding.
	FindingClosed Kind = "Finding Closed"
)

// Kinds lists the finding kinds with their default severities.
var Kinds = []struct {
	Kind     Kind
	Severity state.Severity
}{
	{RogueMaster, state.Critical}, {BMCAContention, state.Warning}, {GrandmasterFlapping, state.Warning},
	{Failover, state.Notice}, {Outage, state.Critical}, {TimePropertiesMismatch, state.Warning},
	{Degradation, state.Warning}, {UnexpectedScope, state.Warning},
}

func init() {
	for _, k := range Kinds {
		state.RegisterEventType(k.Kind, k.Severity)
	}
	state.RegisterEventType(Recovered, state.Notice)
	state.RegisterEventType(FindingClosed, state.Info)
}

// Evidence is one frame or datum behind a finding: the frame's number in
// the RAM capture buffer (0 when it was not buffered) and capture time,
// the scope and port that sent it, and what it shows.
type Evidence struct {
	Frame uint64 `json:"frame,omitempty"`
	Time  int64  `json:"time"`
	Scope string `json:"scope,omitempty"`
	Port  string `json:"port,omitempty"`
	What  string `json:"what"`
}

// Finding is one verdict: what is wrong, how badly, where, and why we
// think so.
type Finding struct {
	ID       uint64         `json:"id"`
	Kind     Kind           `json:"kind"`
	Severity state.Severity `json:"severity"`
	Segment  uint16         `json:"segment"`
	Scopes   []string       `json:"scopes"`
	// Subject is what the finding is about: a clockIdentity, a pair of
	// them ("old → new"), or a scope.
	Subject     string     `json:"subject"`
	Ports       []string   `json:"ports,omitempty"`
	Explanation string     `json:"explanation"`
	Evidence    []Evidence `json:"evidence"`
	Opened      int64      `json:"opened"` // capture time, ns since 1970
	Updated     int64      `json:"updated"`
	Closed      int64      `json:"closed,omitempty"`
	Open        bool       `json:"open"`
	// Acknowledged findings stay open (and count in the health verdict)
	// until their condition is gone; acknowledging says someone knows.
	Acknowledged   bool   `json:"acknowledged"`
	AcknowledgedBy string `json:"acknowledgedBy,omitempty"`
	AcknowledgedAt int64  `json:"acknowledgedAt,omitempty"` // wall clock, ns since 1970
}

// maxEvidence bounds a finding's evidence: the first pieces and the
// latest are kept.
const maxEvidence = 16

// maxClosed is how many closed findings a Book keeps.
const maxClosed = 1000

type findingKey struct {
	kind    Kind
	segment uint16
	subject string
}

type entry struct {
	f       Finding
	holders map[string]bool // scopes whose condition holds it open
}

// ScopeStatus is what the detectors know of one scope.
type ScopeStatus struct {
	ID       uint32 `json:"id"` // the scope's ID in the API (state.ScopeKey.Tag)
	Name     string `json:"name"`
	Segment  uint16 `json:"segment"`
	Baseline string `json:"baseline"` // "configured", "learning", "learnt"
	// LearntAt is the capture time the baseline was (or will be) learnt.
	LearntAt     int64    `json:"learntAt,omitempty"`
	Grandmasters []string `json:"expectedGrandmasters,omitempty"`
}

// Book holds the findings of every detector of an Engine. It is safe for
// concurrent use; detectors touch it only when a finding opens, changes or
// closes.
type Book struct {
	mu     sync.Mutex
	events *state.EventLog
	next   uint64
	open   map[findingKey]*entry
	byID   map[uint64]*entry
	closed []Finding
	scopes map[string]*ScopeStatus
}

func newBook(events *state.EventLog) *Book {
	return &Book{events: events, open: map[findingKey]*entry{}, byID: map[uint64]*entry{}, scopes: map[string]*ScopeStatus{}}
}

// report is what a detector says about a condition it sees.
type report struct {
	kind        Kind
	severity    state.Severity
	segment     uint16
	scope       string
	subject     string
	port        string
	explanation string
	evidence    []Evidence
	at          int64
}

// raise opens the finding r describes, or adds r's scope, port and
// evidence to the open one with the same kind, segment and subject (the
// same rogue seen in two scopes is one finding). A higher severity or a
// new explanation replaces the old.
func (b *Book) raise(r report) uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := findingKey{r.kind, r.segment, r.subject}
	if e := b.open[k]; e != nil {
		f := &e.f
		e.holders[r.scope] = true
		if !slices.Contains(f.Scopes, r.scope) {
			f.Scopes = append(f.Scopes, r.scope)
			sort.Strings(f.Scopes)
		}
		if r.port != "" && !slices.Contains(f.Ports, r.port) {
			f.Ports = append(f.Ports, r.port)
			sort.Strings(f.Ports)
		}
		if r.severity > f.Severity {
			f.Severity = r.severity
			f.Explanation = r.explanation
		}
		f.Evidence = addEvidence(f.Evidence, r.evidence)
		f.Updated = max(f.Updated, r.at)
		// Shards report in their own order: another scope may have seen
		// the condition earlier in capture time than the one that opened
		// the finding (its event keeps the time it was raised at).
		f.Opened = min(f.Opened, r.at)
		return f.ID
	}
	b.next++
	e := &entry{holders: map[string]bool{r.scope: true}, f: Finding{ID: b.next, Kind: r.kind, Severity: r.severity,
		Segment: r.segment, Scopes: []string{r.scope}, Subject: r.subject, Explanation: r.explanation,
		Evidence: addEvidence(nil, r.evidence), Opened: r.at, Updated: r.at, Open: true}}
	if r.port != "" {
		e.f.Ports = []string{r.port}
	}
	if r.scope == "" {
		e.f.Scopes = []string{} // a finding of the segment (Unicast Refused)
	}
	b.open[k], b.byID[e.f.ID] = e, e
	if b.events != nil {
		b.events.Add(state.Event{Time: r.at, Type: r.kind, Severity: r.severity, Scope: r.scope, Subject: r.subject,
			After: "open", Detail: fmt.Sprintf("finding %d: %s", e.f.ID, r.explanation)})
	}
	return e.f.ID
}

// isOpen reports whether the finding kind/segment/subject is open.
func (b *Book) isOpen(kind Kind, segment uint16, subject string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.open[findingKey{kind, segment, subject}] != nil
}

// release says scope's condition for the finding is gone; the finding
// closes when no scope holds it any more. why words the closing.
func (b *Book) release(kind Kind, segment uint16, subject, scope string, at int64, why string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := findingKey{kind, segment, subject}
	e := b.open[k]
	if e == nil {
		return
	}
	delete(e.holders, scope)
	if len(e.holders) > 0 {
		return
	}
	delete(b.open, k)
	delete(b.byID, e.f.ID)
	e.f.Open, e.f.Closed, e.f.Updated = false, at, max(e.f.Updated, at)
	b.closed = append(b.closed, e.f)
	if len(b.closed) > maxClosed {
		b.closed = slices.Delete(b.closed, 0, len(b.closed)-maxClosed)
	}
	if b.events != nil {
		t := FindingClosed
		if kind == Failover || kind == Outage {
			t = Recovered
		}
		b.events.Add(state.Event{Time: at, Type: t, Scope: scope, Subject: subject, Before: string(kind), After: "closed",
			Detail: fmt.Sprintf("finding %d (%s) closed: %s", e.f.ID, kind, why)})
	}
}

func addEvidence(have, add []Evidence) []Evidence {
	for _, e := range add {
		if len(have) < maxEvidence {
			have = append(have, e)
			continue
		}
		// Keep the first half as it was and the latest in the rest.
		copy(have[maxEvidence/2:], have[maxEvidence/2+1:])
		have[len(have)-1] = e
	}
	return have
}

// noteScope records what the detectors know of a scope.
func (b *Book) noteScope(s ScopeStatus) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.scopes[s.Name] = &s
}

// ErrNoFinding is returned by Acknowledge for an ID no open finding has.
var ErrNoFinding = errors.New("fault: no open finding with that id")

// Acknowledge marks open finding id as known to by.
func (b *Book) Acknowledge(id uint64, by string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.byID[id]
	if e == nil {
		return ErrNoFinding
	}
	e.f.Acknowledged, e.f.AcknowledgedBy, e.f.AcknowledgedAt = true, by, time.Now().UnixNano()
	return nil
}

// Findings returns copies of the open findings, and of the closed ones
// kept when closed is true, ordered by ID.
func (b *Book) Findings(closed bool) []Finding {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Finding
	if closed {
		for _, f := range b.closed {
			out = append(out, clone(f))
		}
	}
	for _, e := range b.open {
		out = append(out, clone(e.f))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func clone(f Finding) Finding {
	f.Scopes = slices.Clone(f.Scopes)
	f.Ports = slices.Clone(f.Ports)
	f.Evidence = slices.Clone(f.Evidence)
	return f
}

// Scopes returns what the detectors know of each scope, by name.
func (b *Book) Scopes() []ScopeStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]ScopeStatus, 0, len(b.scopes))
	for _, s := range b.scopes {
		c := *s
		c.Grandmasters = slices.Clone(s.Grandmasters)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
