package notify

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Applied says what Apply changed, by channel name.
type Applied struct {
	Added, Changed, Removed, Kept []string
}

// Apply makes the running channels those of chans (a reload of the
// configuration). A channel whose name is new is added, taking up what
// its outbox holds; one whose configuration changed (its name kept) gets
// the new sender and options after its worker has stopped, keeping its
// outbox, sequence numbers and counters, so nothing waiting is lost or
// sent twice (on a reliable channel an entry being sent when the worker
// stops stays queued; on an unreliable one it was taken out before the
// attempt, as always); an unchanged one keeps running untouched (the
// sender built for it is closed); one no longer configured stops, and
// its outbox stays in the store for a later start or reload that
// configures it again. Channels built by hand (not by Config.Channels)
// always count as changed. Notifier options (max_queue, ...) are
// SetLimits' to change.
func (n *Notifier) Apply(chans []Channel) (Applied, error) {
	var a Applied
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped {
		for _, c := range chans {
			_ = c.Sender.Close()
		}
		return a, errors.New("notify: stopped")
	}
	seen := map[string]bool{}
	for _, nc := range chans {
		if seen[nc.Options.Name] {
			_ = nc.Sender.Close()
			return a, fmt.Errorf("notify: two channels named %q", nc.Options.Name)
		}
		seen[nc.Options.Name] = true
	}
	var errs []error
	for _, nc := range chans {
		co, err := channelOptions(nc.Options)
		if err != nil {
			_ = nc.Sender.Close()
			errs = append(errs, err)
			continue
		}
		c := n.byName[co.Name]
		switch {
		case c == nil:
			nc.Options = co
			n.mu.Unlock() // AddChannel takes it
			err := n.AddChannel(nc.Options, nc.Sender)
			n.mu.Lock()
			if err != nil {
				_ = nc.Sender.Close()
				errs = append(errs, err)
				continue
			}
			n.byName[co.Name].fingerprint = nc.fingerprint
			a.Added = append(a.Added, co.Name)
		case nc.fingerprint != "" && nc.fingerprint == c.fingerprint:
			_ = nc.Sender.Close()
			a.Kept = append(a.Kept, co.Name)
		default:
			running := c.stopWorker != nil
			if running {
				c.stopWorker()
				c.stopWorker = nil
			}
			c.mu.Lock()
			old := c.s
			c.s, c.opts, c.fingerprint = nc.Sender, co, nc.fingerprint
			c.tokens, c.tokensAt = float64(co.Burst), time.Time{}
			c.mu.Unlock()
			_ = old.Close()
			if running {
				n.startWorker(c)
			}
			a.Changed = append(a.Changed, co.Name)
		}
	}
	for _, c := range slices.Clone(n.channels) {
		if seen[c.opts.Name] {
			continue
		}
		if c.stopWorker != nil {
			c.stopWorker()
			c.stopWorker = nil
		}
		_ = c.s.Close()
		n.channels = slices.DeleteFunc(n.channels, func(x *channel) bool { return x == c })
		delete(n.byName, c.opts.Name)
		a.Removed = append(a.Removed, c.opts.Name)
	}
	return a, errors.Join(errs...)
}

// Reload applies c (checked already, as by -k): its bounds (SetLimits),
// its [notify.agent] (ReloadAgent) and its channels (Apply), logging what
// changed; a channel that cannot be
// built keeps running as it was (or stays away, if new), and the error
// says why. A nil Notifier does nothing.
func (n *Notifier) Reload(c Config) error {
	if n == nil {
		return nil
	}
	chans, err := c.Channels()
	if err != nil {
		// Keep the channels that failed to build as they are.
		n.mu.Lock()
		for _, old := range n.channels {
			if !slices.ContainsFunc(chans, func(nc Channel) bool { return nc.Options.Name == old.opts.Name }) && configured(c, old.opts.Name) {
				chans = append(chans, Channel{Options: old.opts, Sender: keep{old.s}, fingerprint: old.fingerprint})
			}
		}
		n.mu.Unlock()
		n.log.Error("notification channels: some could not be built; they keep their running configuration", "err", err)
	}
	o := c.Options()
	o.MinBackoff = n.opts.MinBackoff
	n.SetLimits(o)
	n.log.Info("notification limits applied", "max_queue", c.MaxQueue, "max_age_hours", c.MaxAgeHours,
		"max_backoff_seconds", c.MaxBackoffSecs, "heartbeat_minutes", c.HeartbeatMinute)
	if aerr := n.ReloadAgent(c.Agent); aerr != nil {
		n.log.Error("SNMP agent: the new settings could not be applied", "err", aerr)
		err = errors.Join(err, aerr)
	}
	a, aerr := n.Apply(chans)
	n.log.Info("notification channels reloaded", "added", a.Added, "changed", a.Changed, "removed", a.Removed, "kept", len(a.Kept))
	if n.memory && len(a.Added) > 0 {
		n.log.Warn("notifications are queued in memory: without --data they do not survive a restart", "added", a.Added)
	}
	for _, name := range a.Removed {
		n.log.Warn("notification channel removed; what its outbox holds waits in the store until a channel of that name is configured again", "channel", name)
	}
	return errors.Join(err, aerr)
}

// configured reports whether c has a channel named name.
func configured(c Config, name string) bool {
	for i := range c.Webhook {
		if c.Webhook[i].options("webhook", i).Name == name {
			return true
		}
	}
	for i := range c.Syslog {
		if c.Syslog[i].options("syslog", i).Name == name {
			return true
		}
	}
	for i := range c.SMTP {
		if c.SMTP[i].options("smtp", i).Name == name {
			return true
		}
	}
	for i := range c.SNMP {
		if c.SNMP[i].options("snmp", i).Name == name {
			return true
		}
	}
	return false
}

// keep wraps a running channel's sender so that Apply, finding it
// unchanged, does not close it.
type keep struct{ Sender }

func (keep) Close() error { return nil }
