package main

import (
	"time"

	"github.com/ptpwatch/ptpwatch/httpd/config"
	"github.com/ptpwatch/ptpwatch/state/alarm"
	"github.com/ptpwatch/ptpwatch/state/notify"
)

// startNotify starts delivering events to the configured notification
// channels ([notify] and its [[notify.*]] tables) through an outbox in
// the store, or in memory without --data; with no channel it idles, so
// that a SIGHUP can add some (reload applies them with Notifier.Reload).
func (a *appliance) startNotify(cfg config.Config) *failure {
	chans, err := cfg.Notify.Channels()
	if err != nil {
		return fail(exitConfig, "invalid notification channel", "err", err)
	}
	o := cfg.Notify.Options()
	o.Logger = a.log.With("component", "notify")
	o.Raise = a.model.Events.Add
	var back notify.Backing
	if a.back.store != nil {
		back = a.back.store.store.Store
	}
	n, stop, err := notify.Start(chans, back, o, a.model.Events)
	if err != nil {
		return fail(exitError, "cannot open a notification channel", "err", err)
	}
	a.back.notifier, a.undo = n, append(a.undo, stop)
	return nil
}

// Notifier gives the API the notification channels (nil when none is
// configured).
func (b *backend) Notifier() *notify.Notifier { return b.notifier }

// startAlarms evaluates the custom alarms (the configuration's [[alarm]]
// tables, then those made through the API and kept in the store) once a
// second against the API's values; their events go to the model's log
// (and so to the notification channels).
func (a *appliance) startAlarms(cfg config.Config) *failure {
	e := alarm.New(a.model.Events.Add)
	for _, d := range cfg.Alarms {
		d.Source = "config"
		if err := e.Set(d); err != nil {
			return fail(exitConfig, "invalid alarm", "err", err)
		}
	}
	if a.back.store != nil {
		if err := e.Persist(a.back.store.store.Store); err != nil {
			a.log.Warn("stored alarm definitions", "err", err)
		}
	}
	a.back.alarms = e
	a.undo = append(a.undo, e.Start(time.Second, a.srv.Values, func(err error) { a.log.Debug("alarm evaluation", "err", err) }))
	if n := len(e.Definitions()); n > 0 {
		a.log.Info("custom alarms", "count", n)
	}
	return nil
}

// Alarms gives the API the custom alarm engine.
func (b *backend) Alarms() *alarm.Engine { return b.alarms }
