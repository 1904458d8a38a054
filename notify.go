package main

import (
	"context"
	"os"

	"github.com/ptpwatch/ptpwatch/state/notify"
)

// startNotify starts delivering events to the configured notification
// channels ([notify] and its [[notify.*]] tables) through an outbox in
// the store, or in memory without --data. With no channel it starts
// nothing.
func (a *appliance) startNotify(cfg Config) *failure {
	chans, err := cfg.Notify.Channels()
	if err != nil {
		return fail(exitConfig, "invalid notification channel", "err", err)
	}
	if len(chans) == 0 {
		return nil
	}
	o := cfg.Notify.Options()
	o.Logger = a.log.With("component", "notify")
	o.Hostname, _ = os.Hostname()
	o.Raise = a.model.Events.Add
	var back notify.Backing
	if a.back.store != nil {
		back = a.back.store.store.Store
	} else {
		back = notify.NewMemoryBacking()
		a.log.Warn("notifications are queued in memory: without --data they do not survive a restart")
	}
	n := notify.New(back, o)
	for _, c := range chans {
		if err := n.AddChannel(c.Options, c.Sender); err != nil {
			return fail(exitError, "cannot open a notification channel", "err", err)
		}
		a.log.Info("notification channel", "name", c.Options.Name, "kind", c.Sender.Kind(), "target", c.Sender.Target())
	}
	n.Watch(a.model.Events)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	a.undo = append(a.undo, func() { stop(); <-done })
	a.back.notifier = n
	return nil
}

// Notifier gives the API the notification channels (nil when none is
// configured).
func (b *backend) Notifier() *notify.Notifier { return b.notifier }
