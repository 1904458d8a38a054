package natsd

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/ptpwatch/ptpwatch/xdp/remote"
)

// Probe is a running probe with its local queue server.
type Probe struct {
	*remote.Probe
	queue *Server
	// Evaluate is forward.evaluate: false on a forwarding-only probe.
	Evaluate bool
	// Segment is forward.segment (-1: each interface's own).
	Segment int
}

// Close stops forwarding, then the local queue.
func (p *Probe) Close() error {
	err := p.Probe.Close()
	if p.queue != nil {
		p.queue.Shutdown()
		p.queue.WaitForShutdown()
	}
	return err
}

// OpenForward starts what [forward] configures: on an appliance whose
// collector has an embedded server (col), a relay that passes the sealed
// batches of the collector's stream on as they are, exactly once across
// its own crash (remote.ProbeConfig.Relay; the Probe's Add then does
// nothing); otherwise a probe (OpenProbe).
func OpenForward(sec remote.ForwardSection, col *Collector, log *slog.Logger, onEvent func(remote.Event)) (*Probe, error) {
	if col == nil || col.srv == nil {
		return OpenProbe(sec, log, onEvent)
	}
	return openProbe(sec, col, log, onEvent)
}

// OpenProbe starts a probe as [forward] configures it, with its local
// queue in an in-process server.
func OpenProbe(sec remote.ForwardSection, log *slog.Logger, onEvent func(remote.Event)) (*Probe, error) {
	return openProbe(sec, nil, log, onEvent)
}

func openProbe(sec remote.ForwardSection, col *Collector, log *slog.Logger, onEvent func(remote.Event)) (*Probe, error) {
	if err := sec.Check(); err != nil {
		return nil, err
	}
	keys, err := remote.ReadKeyFile(sec.KeyFile)
	if err != nil {
		return nil, err
	}
	if len(keys) != 1 {
		return nil, fmt.Errorf("forward.key_file %s: a probe uses one key, found %d", sec.KeyFile, len(keys))
	}
	tlsCfg, err := sec.ClientTLS()
	if err != nil {
		return nil, err
	}
	pass, err := remote.ReadPassword(sec.PasswordFile)
	if err != nil {
		return nil, fmt.Errorf("forward.password_file: %w", err)
	}
	var nkey remote.Nkey
	if sec.NkeyFile != "" {
		if nkey, err = remote.ReadNkeyFile(sec.NkeyFile); err != nil {
			return nil, fmt.Errorf("forward.nkey_file: %w", err)
		}
	}
	pcfg := remote.ProbeConfig{Site: sec.Site, Collectors: sec.Collectors, Key: keys[0], Segment: sec.Segment,
		StoreDir: sec.QueueDir, MaxBytes: sec.QueueMaxBytes, MaxAge: time.Duration(sec.QueueMaxAge) * time.Second,
		BatchBytes: sec.BatchBytes, NoCompress: !sec.Compress, FlushInterval: time.Duration(sec.FlushMillis) * time.Millisecond,
		TLS: tlsCfg, User: sec.User, Password: pass, Nkey: nkey, Log: log, OnEvent: onEvent}
	var q *Server
	if col != nil {
		// A relay reads its collector's server; its positions go with the
		// collector's state unless queue_dir says otherwise.
		pcfg.Queue, pcfg.Relay = col.srv, true
		if pcfg.StoreDir == "" {
			pcfg.StoreDir = col.stateDir
		}
	} else {
		scfg := Config{Name: "probe-" + sec.Site, MaxStore: sec.QueueMaxBytes + 64<<20}
		if sec.QueueDir != "" {
			scfg.StoreDir = filepath.Join(sec.QueueDir, "jetstream")
		}
		if q, err = Start(scfg); err != nil {
			return nil, err
		}
		pcfg.Queue = q
	}
	p, err := remote.NewProbe(pcfg)
	if err != nil {
		if q != nil {
			q.Shutdown()
		}
		return nil, err
	}
	return &Probe{Probe: p, queue: q, Evaluate: sec.Evaluate, Segment: sec.Segment}, nil
}

// Collector is a running collector and its embedded server, if any.
type Collector struct {
	*remote.Collector
	srv      *Server
	stateDir string // collector.store_dir
}

// Close stops the collector, then the embedded server.
func (c *Collector) Close() error {
	err := c.Collector.Close()
	if c.srv != nil {
		c.srv.Shutdown()
		c.srv.WaitForShutdown()
	}
	return err
}

// Refused adds the embedded server's connection refusals to the
// collector's batch refusals.
func (c *Collector) Refused() remote.Refused {
	r := c.Collector.Refused()
	if c.srv != nil {
		s := c.srv.Refused()
		r.Address, r.Credentials = s.Address, s.Credentials
	}
	return r
}

// Server returns the embedded server, or nil with an external URL.
func (c *Collector) Server() *Server { return c.srv }

// OpenCollector starts a collector as [collector] configures it. It
// reads nothing until Resume (the appliance's dashcam hands it the marks
// it stored: see state/dashcam, "Marks") or the first Next.
func OpenCollector(sec remote.CollectorSection, log *slog.Logger, onEvent func(remote.Event)) (*Collector, error) {
	if err := sec.Check(); err != nil {
		return nil, err
	}
	keys, err := remote.ReadKeyFile(sec.KeyFile)
	if err != nil {
		return nil, err
	}
	ccfg := remote.CollectorConfig{Keys: keys, AwaitResume: true, MaxBytes: sec.MaxBytes, MaxAge: time.Duration(sec.RetentionHours) * time.Hour,
		StateDir: sec.StoreDir, LostAfter: time.Duration(sec.LostAfter) * time.Second, Log: log, OnEvent: onEvent}
	c := &Collector{stateDir: sec.StoreDir}
	if sec.URL != "" {
		ccfg.URL = sec.URL
	} else {
		allow, err := ParseAllow(sec.Allow)
		if err != nil {
			return nil, err
		}
		tlsCfg, err := sec.ServerTLS()
		if err != nil {
			return nil, err
		}
		scfg := Config{Listen: sec.Listen, Allow: allow, Users: sec.Users, Nkeys: sec.Nkeys, TLS: tlsCfg, MaxStore: sec.MaxBytes + 64<<20,
			ClusterName: sec.ClusterName, ClusterListen: sec.ClusterListen, Routes: sec.Routes}
		if sec.StoreDir != "" {
			scfg.StoreDir = filepath.Join(sec.StoreDir, "jetstream")
		}
		if c.srv, err = Start(scfg); err != nil {
			return nil, err
		}
		ccfg.Server, ccfg.FileStorage = c.srv, sec.StoreDir != ""
		if len(sec.Routes) > 0 {
			ccfg.Replicas = min(3, len(sec.Routes)+1)
		}
	}
	if c.Collector, err = remote.NewCollector(ccfg); err != nil {
		if c.srv != nil {
			c.srv.Shutdown()
		}
		return nil, err
	}
	return c, nil
}

var _ = errors.New
