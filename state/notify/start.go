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
	var agent *Agent
	if o.Agent.Listen != "" {
		if agent, err = StartAgent(o.Agent, n.active, n.log); err != nil {
			for _, c := range chans {
				_ = c.Sender.Close()
			}
			return nil, nil, err
		}
		n.log.Info("SNMP agent serving the active-alarm table", "listen", agent.Addr().String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	return n, func() {
		cancel()
		<-done
		if agent != nil {
			_ = agent.Close()
		}
	}, nil
}
