package main

// Wiring of forwarding between sites (issue #18): a collector as the frame
// source, a probe teeing every frame to its collectors, their status for
// /api/v1/sites and their events in the model. The sections and the work
// live in xdp/remote and xdp/remote/natsd.

import (
	"context"
	"time"

	"github.com/ptpwatch/ptpwatch/httpd/config"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/xdp/remote"
	"github.com/ptpwatch/ptpwatch/xdp/remote/natsd"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// remoteParts are the running probe and collector, either may be nil.
type remoteParts struct {
	probe     *natsd.Probe
	collector *natsd.Collector
}

// remoteEvent turns a probe's or collector's event into a model event.
func (a *appliance) remoteEvent(e remote.Event) {
	a.model.Events.Add(state.Event{Time: e.Time, Type: state.EventType(e.Type), Subject: e.Subject, Detail: e.Detail})
}

// openCollector opens the collector as the frame source.
func (a *appliance) openCollector(cfg config.Config) (source.Source, string, error) {
	c, err := natsd.OpenCollector(cfg.Collector, a.log.With("component", "collector"), a.remoteEvent)
	if err != nil {
		return nil, "", err
	}
	a.remote.collector = c
	a.undo = append(a.undo, func() { c.Close() })
	where := cfg.Collector.URL
	if s := c.Server(); s != nil {
		where = s.ClientURL()
	}
	a.log.Info("collector receiving forwarded frames", "nats", where)
	return c, "collector at " + where, nil
}

// startForward tees the frame source to [forward]'s collectors (a collector relays: natsd.OpenForward).
func (a *appliance) startForward(cfg config.Config) error {
	p, err := natsd.OpenForward(cfg.Forward, a.remote.collector, a.log.With("component", "forward"), a.remoteEvent)
	if err != nil {
		return err
	}
	a.remote.probe = p
	a.undo = append(a.undo, func() {
		// A finite source (a replay) ends the appliance: give the
		// collectors a moment to take what is queued in memory.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Drain(ctx); err != nil && cfg.Forward.QueueDir == "" {
			a.log.Warn("forwarding: frames still queued in memory at exit are lost", "err", err)
		}
		p.Close()
	})
	a.src = &remote.Tee{Source: a.src, Probe: p.Probe, Evaluate: cfg.Forward.Evaluate}
	a.desc += ", forwarded as site " + cfg.Forward.Site
	a.log.Info("forwarding frames", "site", cfg.Forward.Site, "collectors", cfg.Forward.Collectors, "evaluate", cfg.Forward.Evaluate)
	return nil
}

// interfaces are the frame source's interfaces: a collector's grow as
// probes appear (and it lists them safely from any goroutine); other
// sources' are those known at start.
func (b *backend) interfaces() []source.Interface {
	if b.remote != nil && b.remote.collector != nil {
		return b.remote.collector.Interfaces()
	}
	return b.ifaces
}

// Sites reports the probe sites a collector hears and this probe's own
// forwarding, keyed by site name.
func (b *backend) Sites() any { return natsd.Sites(b.remote.collector, b.remote.probe) }
