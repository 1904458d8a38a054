package notify

import (
	"context"

	"github.com/ptpwatch/ptpwatch/state"
)

// Start starts delivering the events of log to chans (from
// Config.Channels) with options o: it makes a Notifier on back, or on a
// MemoryBacking when back is nil (with a warning through o.Logger, since
// such a queue does not survive a restart), adds the channels (logging
// each), watches log and runs the Notifier in a goroutine of its own.
// stop ends it and returns once Run has. An error means a channel could
// not be added; nothing is left running then.
func Start(chans []Channel, back Backing, o Options, log *state.EventLog) (n *Notifier, stop func(), err error) {
	memory := back == nil
	if memory {
		back = NewMemoryBacking()
	}
	n = New(back, o) // New fills in o.Logger when it is nil
	n.memory = memory
	if memory && len(chans) > 0 {
		n.log.Warn("notifications are queued in memory: without --data they do not survive a restart")
	}
	for _, c := range chans {
		if err := n.AddChannel(c.Options, c.Sender); err != nil {
			return nil, nil, err
		}
		n.log.Info("notification channel", "name", c.Options.Name, "kind", c.Sender.Kind(), "target", c.Sender.Target())
	}
	n.Watch(log)
	if err := n.ReloadAgent(o.Agent); err != nil {
		for _, c := range chans {
			_ = c.Sender.Close()
		}
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	return n, func() {
		cancel()
		<-done
		_ = n.ReloadAgent(AgentConfig{})
	}, nil
}

// ReloadAgent makes the running SNMP agent the one c describes: none
// when c.Listen is "", else started, or restarted when c differs from
// the running one's configuration (its engine ID kept, so are engine
// boots and time, so that managers need not discover it again). When the
// new agent cannot start, the old one keeps serving if it still can (it
// listened elsewhere) and the error says why.
func (n *Notifier) ReloadAgent(c AgentConfig) error {
	n.agentMu.Lock()
	defer n.agentMu.Unlock()
	old := n.agent
	if old != nil && old.cfg == c {
		return nil
	}
	if c.Listen == "" {
		if old != nil {
			n.agent = nil
			n.log.Info("SNMP agent stopped")
			return old.Close()
		}
		return nil
	}
	var prev *usmEngine
	if old != nil {
		prev = old.engine
		if old.cfg.Listen == c.Listen { // the new one needs the port
			_ = old.Close()
			n.agent, old = nil, nil
		}
	}
	a, err := startAgent(c, n.active, n.log, prev)
	if err != nil {
		return err
	}
	if old != nil {
		_ = old.Close()
	}
	n.agent = a
	n.log.Info("SNMP agent serving the active-alarm table", "listen", a.Addr().String(), "v2c", c.Community != "", "v3", c.User != "")
	return nil
}

// Agent is the running SNMP agent, nil when none runs.
func (n *Notifier) Agent() *Agent {
	n.agentMu.Lock()
	defer n.agentMu.Unlock()
	return n.agent
}
