package state

// Watcher sees every observation a shard applies and every tick it runs,
// on the shard's own goroutine, after the model has taken them in. Fault
// detectors (state/fault) are watchers: they judge the network in capture
// time, against the frames themselves, without locks on the frame path.
//
// Observe must not keep o, must not block, and on the frame path should
// neither allocate nor take a lock shared with other goroutines. Tick is
// called at most about once per second of capture time, and while capture
// is idle on a live source.
type Watcher interface {
	Observe(o *Observation, sl Slots)
	Tick(now int64)
}

// Slots let a Watcher keep state of its own on the model's scope and
// instances, so it finds it without a lookup per frame: Scope is the
// observation's scope's slot, Source its sender's instance's, Peer the
// requester's of a Delay_Resp (nil otherwise). The model never reads or
// writes them; they belong to the shard's goroutine.
type Slots struct {
	Scope, Source, Peer *any
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
