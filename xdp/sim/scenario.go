package sim

import "time"

// Scenario is a script of incidents applied at virtual times, relative to
// Options.Start.
type Scenario struct {
	Actions []Action `toml:"action"`
	// Repeat replays the whole script every Repeat, so a demo can run for
	// days. Zero plays it once. When set it must be later than the last
	// action, and the script should leave the network as it found it.
	Repeat Duration `toml:"repeat"`
}

// ActionKind names what an Action does.
type ActionKind string

// Action kinds.
const (
	// ActGrandmasterFailover silences the grandmaster Clock, or the clock
	// that is master of Scope when Clock is empty. After
	// announceReceiptTimeout announce intervals the best remaining clock
	// (a backup) takes over and, once it has announced twice, the
	// followers adopt it.
	ActGrandmasterFailover ActionKind = "grandmaster-failover"
	// ActClockClassChange sets Clock's clockClass, and clockAccuracy and
	// offsetScaledLogVariance when non-zero; Announces show it at once, and
	// a better clock in the scope may then take over.
	ActClockClassChange ActionKind = "clock-class"
	// ActRogueMaster starts Clock (normally configured disabled) with
	// Priority1 when non-zero: a clock that should not win and does.
	ActRogueMaster ActionKind = "rogue-master"
	// ActDuplicateClockIdentity makes Clock use the clockIdentity of the
	// clock named by Identity, from its own MAC. An empty Identity gives
	// Clock its own identity back.
	ActDuplicateClockIdentity ActionKind = "duplicate-identity"
	// ActSyncLoss stops Clock's Sync and Follow_Up; Announce and
	// Delay_Resp go on.
	ActSyncLoss ActionKind = "sync-loss"
	// ActSyncResume ends a SyncLoss.
	ActSyncResume ActionKind = "sync-resume"
	// ActSequenceGap makes Clock skip Count sequenceIds of Message once, in
	// Scope's port or in all its ports when Scope is empty.
	ActSequenceGap ActionKind = "sequence-gap"
	// ActStop silences every port of Clock. A stopped transparent clock
	// still forwards (the switch stays up) but stops correcting and
	// answering Pdelay.
	ActStop ActionKind = "stop"
	// ActTimeProperties sets the time properties Clock announces:
	// currentUtcOffset when UTCOffset is non-zero, and the leap61 and
	// leap59 flags as Leap61 and Leap59 say (a leap-second mismatch).
	ActTimeProperties ActionKind = "time-properties"
	// ActStart brings Clock up: its ports listen for
	// announceReceiptTimeout announce intervals, then take part in BMCA.
	ActStart ActionKind = "start"
)

// Action is one scripted incident.
type Action struct {
	At    Duration   `toml:"at"` // after Options.Start (and each Repeat)
	Kind  ActionKind `toml:"kind"`
	Clock string     `toml:"clock"`
	Scope string     `toml:"scope"`
	// ClockClass, ClockAccuracy and OffsetScaledLogVariance are the new
	// quality for ActClockClassChange.
	ClockClass              uint8  `toml:"clock_class"`
	ClockAccuracy           uint8  `toml:"clock_accuracy"`
	OffsetScaledLogVariance uint16 `toml:"offset_scaled_log_variance"`
	// Priority1 is the rogue's priority1 for ActRogueMaster.
	Priority1 uint8 `toml:"priority1"`
	// Identity names the clock whose identity ActDuplicateClockIdentity
	// copies.
	Identity string `toml:"identity"`
	// Message and Count describe ActSequenceGap: a message type that
	// starts a sequence ("Sync", "Delay_Req", "Pdelay_Req", "Announce",
	// "Management") and how many sequenceIds to skip.
	Message string `toml:"message"`
	Count   int    `toml:"count"`
	// UTCOffset, Leap61 and Leap59 describe ActTimeProperties.
	UTCOffset int16 `toml:"utc_offset"`
	Leap61    bool  `toml:"leap61"`
	Leap59    bool  `toml:"leap59"`
}

// TimeProperties returns an action making clock announce currentUtcOffset
// utcOffset (unchanged when 0) and the given leap flags.
func TimeProperties(at time.Duration, clock string, utcOffset int16, leap61, leap59 bool) Action {
	return Action{At: Duration(at), Kind: ActTimeProperties, Clock: clock, UTCOffset: utcOffset, Leap61: leap61, Leap59: leap59}
}

// GrandmasterFailover returns an action silencing grandmaster gm at at.
func GrandmasterFailover(at time.Duration, gm string) Action {
	return Action{At: Duration(at), Kind: ActGrandmasterFailover, Clock: gm}
}

// ClockClassChange returns an action setting clock's clockClass and, when
// non-zero, its clockAccuracy.
func ClockClassChange(at time.Duration, clock string, class, accuracy uint8) Action {
	return Action{At: Duration(at), Kind: ActClockClassChange, Clock: clock, ClockClass: class, ClockAccuracy: accuracy}
}

// RogueMaster returns an action starting clock with priority1.
func RogueMaster(at time.Duration, clock string, priority1 uint8) Action {
	return Action{At: Duration(at), Kind: ActRogueMaster, Clock: clock, Priority1: priority1}
}

// DuplicateClockIdentity returns an action making clock use the identity of
// the clock named of; an empty of restores clock's own.
func DuplicateClockIdentity(at time.Duration, clock, of string) Action {
	return Action{At: Duration(at), Kind: ActDuplicateClockIdentity, Clock: clock, Identity: of}
}

// SyncLoss returns an action stopping clock's Sync and Follow_Up.
func SyncLoss(at time.Duration, clock string) Action {
	return Action{At: Duration(at), Kind: ActSyncLoss, Clock: clock}
}

// SyncResume returns an action ending a SyncLoss of clock.
func SyncResume(at time.Duration, clock string) Action {
	return Action{At: Duration(at), Kind: ActSyncResume, Clock: clock}
}

// SequenceGap returns an action making clock skip count sequenceIds of
// message (such as "Sync") once.
func SequenceGap(at time.Duration, clock, message string, count int) Action {
	return Action{At: Duration(at), Kind: ActSequenceGap, Clock: clock, Message: message, Count: count}
}

// Stop returns an action silencing clock.
func Stop(at time.Duration, clock string) Action {
	return Action{At: Duration(at), Kind: ActStop, Clock: clock}
}

// Start returns an action bringing clock up.
func Start(at time.Duration, clock string) Action {
	return Action{At: Duration(at), Kind: ActStart, Clock: clock}
}
