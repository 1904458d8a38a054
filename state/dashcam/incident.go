package dashcam

import (
	"errors"
)

// State is an incident's recording state. The zero value is invalid.
type State uint8

// Incident states.
const (
	StateRecording  State = iota + 1 // frames of its window are still being saved
	StateComplete                    // every frame of the window the appliance had is saved
	StateIncomplete                  // saving stopped early or lost frames; Reason says why
)

var stateNames = [...]string{"", "recording", "complete", "incomplete"}

// IsValid reports whether s is one of the defined states.
func (s State) IsValid() bool { return s >= StateRecording && s <= StateIncomplete }

// String returns the state's lower-case name, the one the API uses.
func (s State) String() string {
	if s.IsValid() {
		return stateNames[s]
	}
	return "invalid"
}

// MarshalText makes states read as names in JSON.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a state name.
func (s *State) UnmarshalText(b []byte) error {
	for i, n := range stateNames {
		if i > 0 && n == string(b) {
			*s = State(i)
			return nil
		}
	}
	return errors.New("dashcam: unknown incident state " + string(b))
}

// ManualTrigger is Trigger.Type of a trigger given over the API or CLI.
const ManualTrigger = "Manual"

// Trigger is one reason an incident was recorded: an event or a manual
// trigger.
type Trigger struct {
	Time     int64  `json:"time"`               // capture time, ns since 1970-01-01
	Type     string `json:"type"`               // event type, or ManualTrigger
	Scope    string `json:"scope,omitempty"`    // the event's scope
	Subject  string `json:"subject,omitempty"`  // the event's subject
	Detail   string `json:"detail,omitempty"`   // event before → after and detail, or the manual note
	EventSeq uint64 `json:"eventSeq,omitempty"` // the event's Seq in the EventLog
}

// String describes the trigger in one line, as export comments show it.
func (t *Trigger) String() string {
	s := t.Type
	if t.Scope != "" {
		s += " in " + t.Scope
	}
	if t.Subject != "" {
		s += ": " + t.Subject
	}
	if t.Detail != "" {
		s += " (" + t.Detail + ")"
	}
	return s
}

// Interface names a capture interface by the index frames carry.
type Interface struct {
	Name string `json:"name"`
	Link uint16 `json:"link,omitempty"` // link type of its frames, 1 = Ethernet
}

// Incident describes one dashcam recording.
type Incident struct {
	ID       uint64    `json:"id"`
	State    State     `json:"state"`
	Reason   string    `json:"reason,omitempty"` // why it is incomplete
	Triggers []Trigger `json:"triggers"`
	// Scopes lists the scopes recorded (ScopeKey.String names); empty
	// means all scopes and frames that are not PTP.
	Scopes []string `json:"scopes,omitempty"`
	// From and To bound the window, in capture time (ns since 1970-01-01):
	// the first trigger's time minus the pre-trigger time to the last
	// trigger's time plus the post-trigger time.
	From int64 `json:"from"`
	To   int64 `json:"to"`
	// First and Last are the capture times of the earliest and latest
	// frames saved.
	First int64 `json:"first,omitempty"`
	Last  int64 `json:"last,omitempty"`
	// Frames and Bytes count the frames saved and their captured bytes.
	Frames uint64 `json:"frames"`
	Bytes  uint64 `json:"bytes"`
	// Lost counts frames of the window that could not be saved (hand-off
	// overflow beyond what the RAM buffer still held, disk trouble).
	Lost uint64 `json:"lost,omitempty"`
	// PreShort is set when the RAM buffer no longer held the start of the
	// pre-trigger window: the first frame it held was captured at First.
	PreShort bool `json:"preShort,omitempty"`
	// Created and Ended are wall-clock times (ns) of the first trigger and
	// of the end of recording.
	Created int64 `json:"created"`
	Ended   int64 `json:"ended,omitempty"`
	// Interfaces names the capture interfaces by index, as they were when
	// the incident was recorded.
	Interfaces []Interface `json:"interfaces,omitempty"`
	// Runs lists the frame numbers (from 0) where a trigger that added a
	// scope began saving that scope's earlier frames after the ones
	// already saved: each run is in time order, and readers merge them.
	Runs []uint64 `json:"runs,omitempty"`
	// Damaged, when set, says why some of the incident's frames cannot be
	// read back: the store found damaged data under them. Reading or
	// exporting the incident ends with an error where the damage starts.
	Damaged string `json:"damaged,omitempty"`
}
