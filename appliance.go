package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/httpd"
	"github.com/ptpwatch/ptpwatch/httpd/config"
	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/dashcam"
	"github.com/ptpwatch/ptpwatch/state/manage"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/capture"
	"github.com/ptpwatch/ptpwatch/xdp/replay"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// runAppliance runs ptpwatch as the monitoring appliance until a signal
// stops it or a finite source (a replay) ends.
func runAppliance(args []string, stdout, stderr io.Writer) int {
	f, err := config.ParseFlags(args, stderr, func() { usage(stderr) })
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "ptpwatch: %v\n", err)
		return exitUsage
	}
	switch {
	case f.Version:
		fmt.Fprint(stdout, httpd.VersionLine())
		return exitOK
	case f.PrintDefault:
		fmt.Fprint(stdout, config.DefaultText())
		return exitOK
	case f.Explain != "":
		text, err := config.Explain(f.Explain)
		if err != nil {
			fmt.Fprintf(stderr, "ptpwatch: %v\n", err)
			return exitUsage
		}
		fmt.Fprint(stdout, text)
		return exitOK
	}
	cfg, err := f.Effective()
	if err != nil {
		fmt.Fprintf(stderr, "ptpwatch: %v\n", err)
		if errors.Is(err, fs.ErrNotExist) {
			return exitError // a missing file, not an invalid one
		}
		return exitConfig
	}
	if f.Check {
		fmt.Fprintf(stdout, "configuration OK\n")
		return exitOK
	}
	if !cfg.Demo.Enabled && cfg.Replay.File == "" && len(cfg.Capture.Interfaces) == 0 && !cfg.Collector.Enabled {
		fmt.Fprintln(stderr, "ptpwatch: no frame source: give --demo, --replay FILE or -i INTERFACE (or set them in the config file)")
		usage(stderr)
		return exitUsage
	}
	a := &appliance{cfgPath: f.Config, flags: f, stdout: stdout}
	return a.run(cfg, stderr)
}

// appliance is one running ptpwatch.
type appliance struct {
	cfgPath  string
	cfg      config.Config // running: reloadable settings as last applied
	flags    *config.Flags
	stdout   io.Writer
	log      *slog.Logger
	level    slog.LevelVar
	statsSec atomic.Int64
	model    *state.Model
	src      source.Source
	desc     string // of src
	pipe     *pipeline.Pipeline
	buffer   *ring.Buffer
	back     *backend
	srv      *httpd.Server
	urls     []any             // "http", URL, "https", URL: where the web UI listens
	losses   capture.LossWatch // Capture Trouble from live capture's drop counters
	started  time.Time
	sigs     chan os.Signal
	events   chan state.Event // notable model events, for the log
	logging  sync.WaitGroup   // the goroutine logging events
	undo     []func()         // what start-up set up, undone last first
	remote   remoteParts      // forwarding between sites (forward.go)
}

// failure is why a start-up step ends the appliance: what to log and the
// exit code.
type failure struct {
	code int
	msg  string
	args []any
}

func fail(code int, msg string, args ...any) *failure { return &failure{code, msg, args} }

// run connects the appliance's parts, runs until a signal or the end of a
// finite source (a replay), and takes the parts down in reverse order.
func (a *appliance) run(cfg config.Config, stderr io.Writer) int {
	a.cfg = cfg
	a.startLog(cfg, stderr)
	defer a.undoAll()
	for _, step := range []func(config.Config) *failure{
		a.openFrameSource, a.buildPipeline, a.startFault, a.openStore, a.watchRefusals, a.watchEvents, a.startNotify, a.startWeb, a.startAlarms, a.startCapture,
	} {
		if f := step(cfg); f != nil {
			a.log.Error(f.msg, f.args...)
			return f.code
		}
	}
	code := a.loop()
	a.back.ctl.Stop()
	a.model.Events.Unsubscribe(a.events)
	a.logging.Wait()
	a.dumpCounters("final")
	return code
}

// undoAll undoes what start-up set up, last first: the web server stops,
// then the store closes (so the recorder sees the last frames), then the
// capture controller.
func (a *appliance) undoAll() {
	for i := len(a.undo) - 1; i >= 0; i-- {
		a.undo[i]()
	}
}

// startLog sets up the log as configured.
func (a *appliance) startLog(cfg config.Config, stderr io.Writer) {
	a.level.Set(logLevel(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: &a.level}
	if cfg.Log.Format == "json" {
		a.log = slog.New(slog.NewJSONHandler(stderr, opts))
	} else {
		a.log = slog.New(slog.NewTextHandler(stderr, opts))
	}
	a.statsSec.Store(int64(cfg.Log.StatsSeconds))
}

// openFrameSource makes the model and opens the frame source feeding it.
func (a *appliance) openFrameSource(cfg config.Config) *failure {
	a.model = state.NewModel(cfg.Model.Shards, state.NewEventLog(cfg.Model.EventLogSize))
	if err := capture.CheckInterfaces(cfg.Capture.Interfaces); err != nil && !cfg.Demo.Enabled && cfg.Replay.File == "" {
		return fail(exitError, "cannot capture", "err", err) // a misspelt -i; one lost later is retried
	}
	var err error
	if cfg.Collector.Enabled {
		a.src, a.desc, err = a.openCollector(cfg)
	} else {
		a.src, a.desc, err = openSource(cfg, a.log, a.captureEvent)
	}
	if err != nil {
		return fail(exitError, "cannot open frame source", "err", err)
	}
	if cfg.Forward.Enabled {
		if err := a.startForward(cfg); err != nil {
			return fail(exitError, "cannot start forwarding", "err", err)
		}
	}
	return nil
}

// buildPipeline connects the source through the pipeline to the model and
// the RAM capture buffer, under a controller the API can stop and start.
func (a *appliance) buildPipeline(cfg config.Config) *failure {
	a.pipe = pipeline.New(a.model)
	buf, err := ring.NewBuffer(cfg.Capture.BufferBytes)
	if err != nil {
		return fail(exitError, "cannot create the RAM capture buffer", "bytes", cfg.Capture.BufferBytes, "err", err)
	}
	a.buffer, a.pipe.Buffer = buf, buf
	a.pipe.Live = cfg.Demo.Enabled || len(cfg.Capture.Interfaces) > 0 || cfg.Collector.Enabled
	a.pipe.Paced = cfg.Replay.File != "" && cfg.Replay.Speed > 0
	a.started = time.Now()

	a.sigs = make(chan os.Signal, 4)
	signal.Notify(a.sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR2)
	a.undo = append(a.undo, func() { signal.Stop(a.sigs) })

	a.back = &backend{model: a.model, pipe: a.pipe, buffer: buf, ifaces: a.src.Interfaces(), desc: a.desc,
		method: sourceKind(cfg), started: a.started, meta: httpd.NewMemoryMetadataLimits(cfg.ImageLimits()), remote: &a.remote}
	a.back.snaps.Take = a.model.Snapshot
	var reopen func() (source.Source, error)
	if _, live := a.src.(*capture.Capture); live {
		reopen = func() (source.Source, error) { s, _, err := openSource(cfg, a.log, a.captureEvent); return s, err }
	}
	a.back.ctl = pipeline.NewController(a.pipe, a.src, a.desc, reopen, func(s source.Source) {
		live, _ := s.(*capture.Capture)
		a.back.live.Store(live)
	})
	a.undo = append(a.undo, func() { a.back.ctl.Close() })
	a.pipe.OnFrame = func(f *source.Frame, _ *decode.Frame, _ *state.Observation, _ bool) { a.back.noteFrame(f) }
	m, stop, err := manage.Attach(cfg.Management, cfg.MasterCheck, a.src, a.pipe, a.back.live.Load, a.back.Snapshot, a.log.With("component", "management"))
	if err != nil {
		return fail(exitConfig, "management settings", "err", err)
	}
	a.back.mgmt, a.undo = m, append(a.undo, stop)
	return nil
}

// openStore opens the data directory, when one is configured, for the
// recorder, device metadata and the event log, and loads the UI settings.
func (a *appliance) openStore(cfg config.Config) *failure {
	var stored *dashcam.Store
	if cfg.Storage.DataDir != "" {
		st, err := a.openStorage(cfg)
		if err != nil {
			return fail(exitError, "cannot open the data directory", "dir", cfg.Storage.DataDir, "err", err)
		}
		a.undo = append(a.undo, func() {
			if err := st.close(); err != nil {
				a.log.Error("closing the dashcam store", "err", err)
			}
		})
		st.rec.FollowInterfaces(a.back.interfaces)
		a.back.meta, a.back.store, stored = st.meta, st, st.store
		a.undo = append(a.undo, a.back.mgmt.Keep(st.store.Store, a.log)) // restores the last run's management data; saves it at the stop, before the store closes
		a.back.fault.UseStore(st.store.Store, a.log.With("component", "fault"))
		a.pipe.OnStored = st.rec.OnStored
		a.log.Info("dashcam store open", "dir", cfg.Storage.DataDir, "triggers", fmt.Sprint(cfg.Dashcam.Triggers),
			"archive", cfg.Dashcam.Archive)
	}
	var err error
	if a.back.settings, err = newSettings(cfg, stored); err != nil {
		return fail(exitConfig, "cannot load the UI settings", "err", err)
	}
	return nil
}

// watchEvents logs notable model events from now on: after the stored
// event log was restored, so history is not logged again.
func (a *appliance) watchEvents(config.Config) *failure {
	a.events = a.model.Events.Subscribe(1024)
	a.logging.Go(func() { a.logEvents(a.events) })
	return nil
}

// startWeb starts the web UI and REST API. The web server is supervised:
// one that fails is an event and a restart of the web server, never the
// end of capture. Only failing to listen now, at start, is fatal.
func (a *appliance) startWeb(cfg config.Config) *failure {
	hcfg, err := cfg.HTTPServer()
	if err != nil {
		return fail(exitConfig, "invalid HTTP configuration", "err", err)
	}
	if a.srv, err = httpd.New(hcfg, a.back, a.log.With("component", "httpd")); err != nil {
		return fail(exitConfig, "cannot configure the HTTP server", "err", err)
	}
	webCtx, webStop := context.WithCancel(context.Background())
	var web sync.WaitGroup
	a.undo = append(a.undo, func() {
		webStop()
		sctx, scancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer scancel()
		if err := a.srv.Shutdown(sctx); err != nil {
			a.log.Warn("HTTP shutdown", "err", err)
		}
		web.Wait()
	})
	sup := httpd.NewSupervisor(a.log.With("component", "httpd"), a.model.Events)
	listen := func(scheme, addr, what string, serve func(net.Listener) error) *failure {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fail(exitError, "cannot listen for "+what, "addr", addr, "err", err)
		}
		web.Go(func() { sup.Run(webCtx, strings.ToUpper(scheme), ln, serve) })
		a.urls = append(a.urls, scheme, scheme+"://"+ln.Addr().String()+"/")
		return nil
	}
	if !hcfg.DisableHTTP {
		if f := listen("http", hcfg.Listen, "the web UI and REST API", a.srv.Serve); f != nil {
			return f
		}
	}
	if hcfg.TLS.Enabled {
		if f := listen("https", a.srv.TLSAddr(), "HTTPS", a.srv.ServeTLS); f != nil {
			return f
		}
	}
	if a.back.store != nil && len(a.urls) >= 2 {
		a.back.store.recordAPI(a.urls[1].(string), a.log) // for `ptpwatch export --data`
	}
	return nil
}

// startCapture starts the frame source flowing through the pipeline.
func (a *appliance) startCapture(cfg config.Config) *failure {
	a.log.Info("ptpwatch started", append([]any{"source", a.desc, "shards", cfg.Model.Shards}, a.urls...)...)
	if err := a.back.ctl.Start(); err != nil {
		return fail(exitError, "cannot start capture", "err", err)
	}
	return nil
}

// loop handles signals and the periodic work until a signal stops the
// appliance or the frame source ends, and returns the exit code.
func (a *appliance) loop() int {
	stats := time.NewTicker(time.Second)
	defer stats.Stop()
	lastStats := time.Now()
	ended := a.back.ctl.Ended()
	endCode := exitOK // of a replay that ended
	for {
		select {
		case err := <-ended:
			code := exitOK
			if err != nil && !errors.Is(err, context.Canceled) {
				a.log.Error("frame source failed", "err", err)
				code = exitError
			} else {
				a.log.Info("frame source finished")
			}
			if a.back.method != "replay" || a.flags.ExitAfterReplay {
				return code
			}
			// A replay someone opens to look at: keep serving what was
			// read (up to a truncation, too), exiting with its code.
			a.log.Info("replay ended; serving the UI and API until stopped (--exit-after-replay exits instead)", "frames", a.pipe.Counters.Received.Load())
			ended, endCode = nil, code
		case sig := <-a.sigs:
			switch sig {
			case syscall.SIGHUP:
				a.reload()
			case syscall.SIGUSR2:
				a.dumpCounters("SIGUSR2")
			default:
				a.log.Info("stopping", "signal", sig.String())
				return endCode
			}
		case <-stats.C:
			a.watchCapture()
			if n := a.statsSec.Load(); n > 0 && time.Since(lastStats) >= time.Duration(n)*time.Second {
				lastStats = time.Now()
				a.dumpCounters("periodic")
			}
		}
	}
}

// sourceKind names the kind of frame source for the capture status.
func sourceKind(cfg config.Config) string {
	switch {
	case cfg.Demo.Enabled:
		return "demo"
	case cfg.Replay.File != "":
		return "replay"
	}
	return cfg.Capture.Method
}

// openSource picks the frame source the configuration asks for.
func openSource(cfg config.Config, log *slog.Logger, onEvent func(capture.Event)) (source.Source, string, error) {
	switch {
	case cfg.Demo.Enabled:
		d := cfg.Demo
		p, desc, err := sim.LiveDemo{Incidents: d.Incidents, Followers: d.Followers, Seed: d.Seed, Segment: cfg.Capture.Segment, Speed: d.Speed}.Open()
		if err != nil {
			return nil, "", err
		}
		// The demo's clocks answer management as real nodes do.
		return manage.NewDemoSource(p, p.Source.(*sim.Network)), desc, nil
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
		c, err := capture.Open(specs, capture.Options{Log: log.With("component", "capture"), OnEvent: onEvent, Priority: cfg.Capture.Priority})
		if err != nil {
			return nil, "", err
		}
		return c, "live capture on " + strings.Join(cfg.Capture.Interfaces, ", "), nil
	}
	return nil, "", errors.New("no frame source: give --demo, --replay FILE or -i INTERFACE (or set them in the config file)")
}

// reload re-reads the configuration on SIGHUP. Settings marked reloadable
// take effect; changed ones that need a restart are named in a warning and
// keep their running value. The model keeps all its state.
func (a *appliance) reload() {
	cfg, err := a.flags.Effective()
	if err != nil {
		a.log.Error("reload failed; keeping the running configuration", "err", err)
		return
	}
	applied, restart := config.Changes(a.cfg, cfg)
	for _, k := range restart {
		a.log.Warn("changed setting needs a restart; keeping the running value until then", "key", k)
	}
	a.cfg = config.Reloaded(a.cfg, cfg)
	a.level.Set(logLevel(a.cfg.Log.Level))
	a.statsSec.Store(int64(a.cfg.Log.StatsSeconds))
	_ = a.back.notifier.Reload(cfg.Notify)                 // logs what it applies, and what it cannot
	a.back.mgmt.Apply(a.cfg.Management, a.cfg.MasterCheck) // Effective validated both
	src := a.src
	if d, ok := src.(*manage.DemoSource); ok { // the demo answering management
		src = d.Source
	}
	if p, ok := src.(*source.Pacer); ok { // the demo or a replay
		speed := a.cfg.Replay.Speed
		if a.cfg.Demo.Enabled {
			speed = a.cfg.Demo.Speed
		}
		p.SetSpeed(speed)
	}
	if slices.ContainsFunc(applied, func(k string) bool { return strings.HasPrefix(k, "model.") }) {
		if err := a.back.settings.PutSettings(a.cfg.UISettings()); err != nil {
			a.log.Error("applying model.state_terms failed", "err", err)
		}
	}
	if a.srv != nil && cfg.HTTP.HTTPS {
		if err := a.srv.ReloadCertificate(); err != nil {
			a.log.Error("reloading the HTTPS certificate failed; keeping the old one", "err", err)
		}
	}
	a.log.Info("configuration reloaded", "file", a.cfgPath, "applied", strings.Join(applied, ","), "log.level", a.cfg.Log.Level,
		"log.stats_interval", a.cfg.Log.StatsSeconds)
}

// dumpCounters logs the pipeline's counters and a summary of the model.
func (a *appliance) dumpCounters(why string) {
	a.pipe.LogCounters(a.log, why, time.Since(a.started))
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
