package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"ptpwatch/decode"
	"ptpwatch/httpd"
	"ptpwatch/ring"
	"ptpwatch/state"
	"ptpwatch/state/dashcam"
	"ptpwatch/state/pipeline"
	"ptpwatch/xdp/capture"
	"ptpwatch/xdp/replay"
	"ptpwatch/xdp/source"
)

// multiFlag collects a repeatable string flag such as -i.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// applianceFlags are the command-line options of the appliance itself.
type applianceFlags struct {
	config, explain, replay, data, http string
	check, printDefault, demo           bool
	interfaces                          multiFlag
}

func parseApplianceFlags(args []string, stderr io.Writer) (*applianceFlags, error) {
	var f applianceFlags
	fs := flag.NewFlagSet("ptpwatch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, n := range []string{"c", "config"} {
		fs.StringVar(&f.config, n, "", "configuration file (TOML)")
	}
	for _, n := range []string{"k", "check-config"} {
		fs.BoolVar(&f.check, n, false, "check the configuration and exit")
	}
	for _, n := range []string{"O", "default-config"} {
		fs.BoolVar(&f.printDefault, n, false, "print the complete commented default configuration and exit")
	}
	for _, n := range []string{"e", "explain"} {
		fs.StringVar(&f.explain, n, "", "explain SECTION:KEY and exit")
	}
	for _, n := range []string{"i", "interface"} {
		fs.Var(&f.interfaces, n, "capture on this interface (repeatable)")
	}
	fs.StringVar(&f.replay, "replay", "", "replay a pcap/pcapng file as the frame source")
	fs.BoolVar(&f.demo, "demo", false, "run the built-in simulated PTP network")
	fs.StringVar(&f.data, "data", "", "directory for persistent data")
	fs.StringVar(&f.http, "http", "", "address of the web UI and API (default 127.0.0.1:8319)")
	fs.Usage = func() { usage(stderr) }
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return &f, nil
}

// effectiveConfig loads the file and lays the command-line options over it.
func (f *applianceFlags) effectiveConfig() (Config, error) {
	cfg, err := LoadConfig(f.config)
	if err != nil {
		return cfg, err
	}
	if len(f.interfaces) > 0 {
		cfg.Capture.Interfaces = f.interfaces
	}
	if f.replay != "" {
		cfg.Replay.File = f.replay
	}
	if f.demo {
		cfg.Demo.Enabled = true
	}
	if f.data != "" {
		cfg.Storage.DataDir = f.data
	}
	if f.http != "" {
		cfg.HTTP.Listen = f.http
	}
	if err := cfg.Validate(); err != nil {
		return cfg, &ConfigError{"command line", err}
	}
	return cfg, nil
}

// runAppliance runs ptpwatch as the monitoring appliance until a signal
// stops it or a finite source (a replay) ends.
func runAppliance(args []string, stdout, stderr io.Writer) int {
	f, err := parseApplianceFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "ptpwatch: %v\n", err)
		return exitUsage
	}
	switch {
	case f.printDefault:
		fmt.Fprint(stdout, DefaultConfigText())
		return exitOK
	case f.explain != "":
		text, err := Explain(f.explain)
		if err != nil {
			fmt.Fprintf(stderr, "ptpwatch: %v\n", err)
			return exitUsage
		}
		fmt.Fprint(stdout, text)
		return exitOK
	}
	cfg, err := f.effectiveConfig()
	if err != nil {
		fmt.Fprintf(stderr, "ptpwatch: %v\n", err)
		return exitConfig
	}
	if f.check {
		fmt.Fprintf(stdout, "configuration OK\n")
		return exitOK
	}
	if !cfg.Demo.Enabled && cfg.Replay.File == "" && len(cfg.Capture.Interfaces) == 0 {
		fmt.Fprintln(stderr, "ptpwatch: no frame source: give --demo, --replay FILE or -i INTERFACE (or set them in the config file)")
		usage(stderr)
		return exitUsage
	}
	a := &appliance{cfgPath: f.config, flags: f, stdout: stdout}
	return a.run(cfg, stderr)
}

// appliance is one running ptpwatch.
type appliance struct {
	cfgPath  string
	flags    *applianceFlags
	stdout   io.Writer
	log      *slog.Logger
	level    slog.LevelVar
	statsSec atomic.Int64
	model    *state.Model
	pipe     *pipeline.Pipeline
	buffer   *ring.Buffer
	back     *backend
	srv      *httpd.Server
	losses   capture.LossWatch // Capture Trouble from live capture's drop counters
	started  time.Time
}

func (a *appliance) run(cfg Config, stderr io.Writer) int {
	a.level.Set(logLevel(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: &a.level}
	if cfg.Log.Format == "json" {
		a.log = slog.New(slog.NewJSONHandler(stderr, opts))
	} else {
		a.log = slog.New(slog.NewTextHandler(stderr, opts))
	}
	a.statsSec.Store(int64(cfg.Log.StatsSeconds))

	a.model = state.NewModel(cfg.Model.Shards, state.NewEventLog(cfg.Model.EventLogSize))
	src, desc, err := openSource(cfg, a.log, a.captureEvent)
	if err != nil {
		a.log.Error("cannot open frame source", "err", err)
		return exitError
	}
	a.pipe = pipeline.New(a.model)
	buf, err := ring.NewBuffer(cfg.Capture.BufferBytes)
	if err != nil {
		a.log.Error("cannot create the RAM capture buffer", "bytes", cfg.Capture.BufferBytes, "err", err)
		return exitError
	}
	a.buffer = buf
	a.pipe.Buffer = buf
	a.pipe.Live = cfg.Demo.Enabled || len(cfg.Capture.Interfaces) > 0
	a.started = time.Now()

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR2)
	defer signal.Stop(sigs)

	a.back = &backend{model: a.model, pipe: a.pipe, buffer: buf, ifaces: src.Interfaces(), desc: desc,
		method: sourceKind(cfg), started: a.started, meta: httpd.NewMemoryMetadataLimits(cfg.imageLimits())}
	a.back.snaps.Take = a.model.Snapshot
	var reopen func() (source.Source, error)
	if _, live := src.(*capture.Capture); live {
		reopen = func() (source.Source, error) { s, _, err := openSource(cfg, a.log, a.captureEvent); return s, err }
	}
	a.back.ctl = pipeline.NewController(a.pipe, src, desc, reopen, func(s source.Source) {
		live, _ := s.(*capture.Capture)
		a.back.live.Store(live)
	})
	defer a.back.ctl.Close()
	a.pipe.OnFrame = func(f *source.Frame, _ *decode.Frame, _ *state.Observation, _ bool) { a.back.noteFrame(f) }
	if cfg.Storage.DataDir != "" {
		st, err := a.openStorage(cfg)
		if err != nil {
			a.log.Error("cannot open the data directory", "dir", cfg.Storage.DataDir, "err", err)
			return exitError
		}
		// Closed after capture stops (defers run last-in first-out), so
		// the recorder sees the last frames.
		defer func() {
			if err := st.close(); err != nil {
				a.log.Error("closing the dashcam store", "err", err)
			}
		}()
		names := make([]string, 0, len(src.Interfaces()))
		for _, i := range src.Interfaces() {
			names = append(names, i.Name)
		}
		st.rec.SetInterfaces(names)
		a.back.meta, a.back.store = st.meta, st
		a.pipe.OnStored = st.rec.OnStored
		a.log.Info("dashcam store open", "dir", cfg.Storage.DataDir, "triggers", fmt.Sprint(cfg.Dashcam.Triggers),
			"archive", cfg.Dashcam.Archive)
	}
	var stored *dashcam.Store
	if a.back.store != nil {
		stored = a.back.store.store
	}
	if a.back.settings, err = newSettings(cfg, stored); err != nil {
		a.log.Error("cannot load the UI settings", "err", err)
		return exitConfig
	}
	// Subscribed after the stored event log was restored, so history is
	// not logged again.
	events := a.model.Events.Subscribe(1024)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); a.logEvents(events) }()
	hcfg, err := cfg.HTTPServerConfig()
	if err != nil {
		a.log.Error("invalid HTTP configuration", "err", err)
		return exitConfig
	}
	srv, err := httpd.New(hcfg, a.back, a.log.With("component", "httpd"))
	if err != nil {
		a.log.Error("cannot configure the HTTP server", "err", err)
		return exitConfig
	}
	a.srv = srv
	// The web server is supervised: one that fails is an event and a
	// restart of the web server, never the end of capture. Only failing
	// to listen now, at start, is fatal.
	webCtx, webStop := context.WithCancel(context.Background())
	var web sync.WaitGroup
	defer func() {
		webStop()
		sctx, scancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer scancel()
		if err := srv.Shutdown(sctx); err != nil {
			a.log.Warn("HTTP shutdown", "err", err)
		}
		web.Wait()
	}()
	sup := httpd.NewSupervisor(a.log.With("component", "httpd"), a.model.Events)
	var urls []any
	if !hcfg.DisableHTTP {
		ln, err := net.Listen("tcp", hcfg.Listen)
		if err != nil {
			a.log.Error("cannot listen for the web UI and REST API", "addr", hcfg.Listen, "err", err)
			return exitError
		}
		web.Go(func() { sup.Run(webCtx, "HTTP", ln, srv.Serve) })
		urls = append(urls, "http", "http://"+ln.Addr().String()+"/")
	}
	if hcfg.TLS.Enabled {
		ln, err := net.Listen("tcp", srv.TLSAddr())
		if err != nil {
			a.log.Error("cannot listen for HTTPS", "addr", srv.TLSAddr(), "err", err)
			return exitError
		}
		web.Go(func() { sup.Run(webCtx, "HTTPS", ln, srv.ServeTLS) })
		urls = append(urls, "https", "https://"+ln.Addr().String()+"/")
	}
	if a.back.store != nil && len(urls) >= 2 {
		a.back.store.recordAPI(urls[1].(string), a.log) // for `ptpwatch export --data`
	}

	a.log.Info("ptpwatch started", append([]any{"source", desc, "shards", cfg.Model.Shards}, urls...)...)
	if err := a.back.ctl.Start(); err != nil {
		a.log.Error("cannot start capture", "err", err)
		return exitError
	}

	stats := time.NewTicker(time.Second)
	defer stats.Stop()
	lastStats := time.Now()
	code := exitOK
loop:
	for {
		select {
		case err := <-a.back.ctl.Ended():
			if err != nil && !errors.Is(err, context.Canceled) {
				a.log.Error("frame source failed", "err", err)
				code = exitError
			} else {
				a.log.Info("frame source finished")
			}
			break loop
		case sig := <-sigs:
			switch sig {
			case syscall.SIGHUP:
				a.reload()
			case syscall.SIGUSR2:
				a.dumpCounters("SIGUSR2")
			default:
				a.log.Info("stopping", "signal", sig.String())
				break loop
			}
		case <-stats.C:
			a.watchCapture()
			if n := a.statsSec.Load(); n > 0 && time.Since(lastStats) >= time.Duration(n)*time.Second {
				lastStats = time.Now()
				a.dumpCounters("periodic")
			}
		}
	}
	a.back.ctl.Stop()
	a.model.Events.Unsubscribe(events)
	wg.Wait()
	a.dumpCounters("final")
	return code
}

// sourceKind names the kind of frame source for the capture status.
func sourceKind(cfg Config) string {
	switch {
	case cfg.Demo.Enabled:
		return "demo"
	case cfg.Replay.File != "":
		return "replay"
	}
	return cfg.Capture.Method
}

// openSource picks the frame source the configuration asks for.
func openSource(cfg Config, log *slog.Logger, onEvent func(capture.Event)) (source.Source, string, error) {
	switch {
	case cfg.Demo.Enabled:
		return newDemoSource(cfg)
	case cfg.Replay.File != "":
		r, err := replay.Open(cfg.Replay.File, cfg.Capture.Segment)
		if err != nil {
			return nil, "", err
		}
		return &source.Pacer{Source: r, Speed: cfg.Replay.Speed}, "replay " + cfg.Replay.File, nil
	case len(cfg.Capture.Interfaces) > 0:
		var specs []capture.Spec
		for _, name := range cfg.Capture.Interfaces {
			specs = append(specs, capture.Spec{Name: name, Method: capture.Method(cfg.Capture.Method), Segment: cfg.Capture.Segment})
		}
		c, err := capture.Open(specs, capture.Options{Log: log.With("component", "capture"), OnEvent: onEvent})
		if err != nil {
			return nil, "", err
		}
		return c, "live capture on " + strings.Join(cfg.Capture.Interfaces, ", "), nil
	}
	return nil, "", errors.New("no frame source: give --demo, --replay FILE or -i INTERFACE (or set them in the config file)")
}

// reload re-reads the configuration on SIGHUP. Settings marked reloadable
// take effect; the model keeps all its state.
func (a *appliance) reload() {
	cfg, err := a.flags.effectiveConfig()
	if err != nil {
		a.log.Error("reload failed; keeping the running configuration", "err", err)
		return
	}
	a.level.Set(logLevel(cfg.Log.Level))
	a.statsSec.Store(int64(cfg.Log.StatsSeconds))
	if a.srv != nil && cfg.HTTP.HTTPS {
		if err := a.srv.ReloadCertificate(); err != nil {
			a.log.Error("reloading the HTTPS certificate failed; keeping the old one", "err", err)
		}
	}
	a.log.Info("configuration reloaded", "file", a.cfgPath, "log.level", cfg.Log.Level, "log.stats_interval", cfg.Log.StatsSeconds)
}

// dumpCounters logs the pipeline's counters and a summary of the model.
func (a *appliance) dumpCounters(why string) {
	// The pipeline's worker publishes shard snapshots; this reads the last.
	s := a.model.Snapshot()
	c := &a.pipe.Counters
	a.log.Info("counters", "why", why, "uptime", time.Since(a.started).Round(time.Second).String(),
		"received", c.Received.Load(), "decoded", c.Decoded.Load(), "notPTP", c.NotPTP.Load(),
		"truncated", c.Truncated.Load(), "malformed", c.Malformed.Load(),
		"scopes", len(s.Scopes), "devices", len(s.Devices), "instances", len(s.Instances))
	bs := a.buffer.Stats()
	a.log.Info("capture buffer", "frames", bs.Frames, "bytes", bs.Bytes, "limit", bs.Limit, "evicted", bs.Evicted,
		"first", bs.First, "last", bs.Last)
	for _, sc := range s.Scopes {
		gm := "-"
		if sc.Grandmaster != nil {
			gm = sc.Grandmaster.GrandmasterIdentity
		}
		a.log.Info("scope", "scope", sc.Name, "grandmaster", gm, "masters", sc.Masters, "followers", sc.Followers,
			"instances", sc.Instances, "rates", fmt.Sprint(sc.Rates))
	}
}

// captureEvent turns an interface coming and going into model events.
func (a *appliance) captureEvent(e capture.Event) {
	ev := state.Event{Time: e.Time, Type: state.InterfaceUp, Subject: e.Interface, Detail: e.Detail}
	if !e.Up {
		ev.Type = state.InterfaceDown
	}
	a.model.Events.Add(ev)
}

// watchCapture raises a Capture Trouble event when a live capture's
// interfaces lose frames, at most once a second per interface.
func (a *appliance) watchCapture() {
	a.losses.Check(a.back.live.Load(), func(l capture.Loss) {
		a.model.Events.Add(state.Event{Time: time.Now().UnixNano(), Type: state.CaptureTrouble, Subject: l.Interface,
			Before: l.Before, After: l.After, Detail: l.Detail})
	})
}

// logEvents writes notable model events to the log as they happen.
func (a *appliance) logEvents(ch chan state.Event) {
	for e := range ch {
		if e.Severity < state.Notice {
			continue
		}
		level := slog.LevelInfo
		if e.Severity >= state.Warning {
			level = slog.LevelWarn
		}
		a.log.Log(context.Background(), level, string(e.Type), "scope", e.Scope, "subject", e.Subject,
			"before", e.Before, "after", e.After, "detail", e.Detail)
	}
}

func logLevel(s string) slog.Level {
	switch s {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}
