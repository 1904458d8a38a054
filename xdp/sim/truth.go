package sim

import (
	"net/netip"
	"strconv"

	"github.com/ptpwatch/ptpwatch/decode"
)

// PortState is a port's state in the simulation: the IEEE 1588 states a
// passive observer can tell apart, plus two for ports that have none.
type PortState uint8

// Port states. The zero value means no state was set.
const (
	PortNone        PortState = iota
	PortDisabled              // the clock is stopped: the port sends nothing
	PortListening             // waiting for Announces (after start or after losing its master)
	PortMaster                // sending Announce and Sync
	PortPassive               // master-capable but hearing a better master: silent
	PortSlave                 // following a master, sending Delay_Req
	PortTransparent           // a transparent clock's port; not a 1588 state
	PortManagement            // a management node's port; not a 1588 state
)

var portStateNames = [...]string{"NONE", "DISABLED", "LISTENING", "MASTER", "PASSIVE", "SLAVE", "TRANSPARENT", "MANAGEMENT"}

// String returns the state in upper case, as 1588 spells port states.
func (s PortState) String() string {
	if int(s) < len(portStateNames) {
		return portStateNames[s]
	}
	return "PortState(" + strconv.Itoa(int(s)) + ")"
}

// Truth is the simulator's ground truth at one virtual time: what a
// perfect monitor would report.
type Truth struct {
	At        int64 // virtual time, ns since the Unix epoch
	Clocks    []ClockTruth
	Scopes    []ScopeTruth
	Incidents []Incident // actions applied so far, oldest first (the last few thousand)
}

// ClockTruth describes one clock.
type ClockTruth struct {
	Name string
	Role Role
	// Identity is the clockIdentity the clock currently sends, which a
	// DuplicateClockIdentity incident may have borrowed; OwnIdentity is
	// its configured one.
	Identity    decode.ClockIdentity
	OwnIdentity decode.ClockIdentity
	MAC         [6]byte
	OUI         [3]byte
	Vendor      string     // from OUI; empty when the OUI is not in the simulator's table
	IPv4, IPv6  netip.Addr // source addresses on UDP scopes
	// UUID is the PTPv1 sourceUuid (the MAC) for clocks in PTPv1 scopes.
	UUID     [6]byte
	Enabled  bool
	SyncLoss bool
	Quality  decode.ClockQuality
	Ports    []PortTruth
}

// PortTruth describes one port of a clock.
type PortTruth struct {
	Scope string
	Port  decode.PortIdentity
	MAC   [6]byte
	State PortState
	// Parent is the master port a slave port follows; zero otherwise.
	Parent decode.PortIdentity
	// Grandmaster is the grandmaster a slave port follows or a master port
	// announces; zero when it has none.
	Grandmaster  decode.ClockIdentity
	StepsRemoved uint16
	DelayMode    DelayMode // followers in E2E scopes
}

// ScopeTruth describes one scope.
type ScopeTruth struct {
	Name      string
	Segment   uint16
	Version   uint8
	Domain    uint8
	Subdomain string
	Transport decode.Transport
	VLANs     []uint16
	Delay     DelayMechanism
	// Master is the port the scope's followers follow; zero when none.
	Master decode.PortIdentity
	// Grandmaster and the fields after it are what Master announces.
	Grandmaster  decode.ClockIdentity
	Priority1    uint8
	Quality      decode.ClockQuality
	Priority2    uint8
	StepsRemoved uint16
}

// Incident is one applied scenario action.
type Incident struct {
	At     int64
	Action Action
}

// EventKind is a change a live model of the network should notice.
type EventKind uint8

// Event kinds. The zero value is not an event.
const (
	EventNone EventKind = iota
	// EventPortStateChanged: Port went From To.
	EventPortStateChanged
	// EventParentChanged: a slave Port now follows NewParent (zero when it
	// lost its master).
	EventParentChanged
	// EventGrandmasterChanged: Scope's followers now follow NewGM.
	EventGrandmasterChanged
	// EventGrandmasterQualityChanged: the grandmaster of Scope announces
	// Quality (and priorities) other than before.
	EventGrandmasterQualityChanged
	// EventMasterSilent: the master Port of Scope stopped sending Sync
	// (stopped clock, failover, or sync loss when Announcing).
	EventMasterSilent
	// EventSyncResumed: a master's Sync came back after a sync loss.
	EventSyncResumed
	// EventSequenceGap: Port skipped Count sequenceIds of Message.
	EventSequenceGap
	// EventDuplicateIdentity: Clock now sends Identity, which belongs to
	// another clock.
	EventDuplicateIdentity
	// EventClockStopped and EventClockStarted: Clock went down or up.
	EventClockStopped
	EventClockStarted
)

var eventNames = [...]string{"none", "Port State Changed", "Parent Changed", "Grandmaster Changed",
	"Grandmaster Quality Changed", "Master Silent", "Sync Resumed", "Sequence Gap",
	"Duplicate Clock Identity", "Clock Stopped", "Clock Started"}

// String returns the event's name, such as "Grandmaster Changed".
func (k EventKind) String() string {
	if int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event is one change the simulator made, at the virtual time it made it.
// A monitor notices most of them later: a silent master only after its
// own timeouts, a grandmaster change once Announces show it. Only the
// fields of the event's kind are set.
type Event struct {
	At    int64
	Kind  EventKind
	Scope string
	Clock string
	Port  decode.PortIdentity

	From, To             PortState           // PortStateChanged
	OldParent, NewParent decode.PortIdentity // ParentChanged
	OldGM, NewGM         decode.ClockIdentity
	Quality              decode.ClockQuality // GrandmasterQualityChanged: the new quality
	OldQuality           decode.ClockQuality
	Announcing           bool                 // MasterSilent: Announce goes on (sync loss)
	Message              decode.MessageType   // SequenceGap
	Count                int                  // SequenceGap
	Identity             decode.ClockIdentity // DuplicateIdentity: the borrowed identity
}

// String describes the event on one line, for test failures and logs.
func (e Event) String() string {
	b := strconv.AppendInt(nil, e.At, 10)
	b = append(b, ' ')
	b = append(b, e.Kind.String()...)
	if e.Scope != "" {
		b = append(b, " scope="...)
		b = append(b, e.Scope...)
	}
	if e.Clock != "" {
		b = append(b, " clock="...)
		b = append(b, e.Clock...)
	}
	switch e.Kind {
	case EventPortStateChanged:
		b = append(b, ' ')
		b = append(b, e.From.String()...)
		b = append(b, "->"...)
		b = append(b, e.To.String()...)
	case EventParentChanged:
		b = append(b, " parent="...)
		b = e.NewParent.AppendTo(b)
	case EventGrandmasterChanged:
		b = append(b, ' ')
		b = e.OldGM.AppendTo(b)
		b = append(b, "->"...)
		b = e.NewGM.AppendTo(b)
	case EventGrandmasterQualityChanged:
		b = append(b, " class="...)
		b = strconv.AppendUint(b, uint64(e.OldQuality.Class), 10)
		b = append(b, "->"...)
		b = strconv.AppendUint(b, uint64(e.Quality.Class), 10)
	case EventSequenceGap:
		b = append(b, ' ')
		b = append(b, e.Message.String()...)
		b = append(b, " +"...)
		b = strconv.AppendInt(b, int64(e.Count), 10)
	case EventDuplicateIdentity:
		b = append(b, " identity="...)
		b = e.Identity.AppendTo(b)
	}
	return string(b)
}
