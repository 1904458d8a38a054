package state

// Watcher judges the network from what a shard applies, on the shard's
// own goroutine, after the model has taken each frame in. Fault detectors
// (state/fault) are watchers: they judge the network in capture time,
// against the frames themselves, without locks on the frame path.
//
// Most frames never reach the watcher: the shard keeps each port's
// message health (Health) inline as it applies a frame, and calls the
// watcher only for what it must see at once. ScopeSeen comes with a
// scope's first frame, as the shard creates the scope, before the model
// takes the frame in; Observe, after it, with
// every frame that announces a grandmaster (Observation.HasAnnounce) and
// a port's first frame of the kinds Health follows (HealthKinds). Tick is
// called at most about once per second of capture time, and while capture
// is idle on a live source; the shard rolls its ports' Health minutes
// over just before it.
//
// Observe and ScopeSeen must not keep o, must not block, and on the frame
// path should neither allocate nor take a lock shared with other
// goroutines.
type Watcher interface {
	ScopeSeen(o *Observation, sl ScopeSlot)
	Observe(o *Observation, sl Slots)
	Tick(now int64)
}

// Slots let a Watcher keep state of its own on the model's scope and
// instances, so it finds it without a lookup: Scope is the observation's
// scope's slot, Source its sender's instance's; Health is the sender's
// message health when the frame is of a kind it follows (nil otherwise),
// and Seen the capture time of the sender's latest frame, which the shard
// keeps. The model never reads or writes the slots; they and Health
// belong to the shard's goroutine.
type Slots struct {
	Scope, Source *any
	Health        *Health
	Seen          *int64
}

// ScopeSlot is what a Watcher gets of a scope at its first frame: its
// slot (as Slots.Scope), the settings of its ports' Health, which the
// watcher sets (and may change on the shard's goroutine), and the
// capture time of the scope's latest frame, which the shard keeps.
type ScopeSlot struct {
	Watch    *any
	Health   *ScopeHealth
	LastSeen *int64
}

// SetWatcher installs w on the shard (nil removes it). It must be called
// before the shard's goroutine starts applying observations.
func (s *Shard) SetWatcher(w Watcher) { s.watcher = w }

// RegisterEventType adds t to EventTypes with severity sev as its default,
// for packages that raise events of their own (state/fault). It is meant
// for package initialisation; registering a type twice is harmless.
func RegisterEventType(t EventType, sev Severity) {
	extraMu.Lock()
	defer extraMu.Unlock()
	if KnownEventType(t) {
		return
	}
	EventTypes = append(EventTypes, t)
	m := make(map[EventType]Severity, len(extraSeverity)+1)
	for k, v := range extraSeverity {
		m[k] = v
	}
	m[t] = sev
	extraSeverity = m
}
