package main

import (
	"context"
	"fmt"
	"github.com/ptpwatch/ptpwatch/httpd/config"
	"log/slog"

	"github.com/ptpwatch/ptpwatch/httpd"
	"github.com/ptpwatch/ptpwatch/state/dashcam"
)

// storage is the appliance's persistent part under --data: the dashcam
// store, its recorder, and what users set through the API.
type storage struct {
	store *dashcam.Store
	rec   *dashcam.Recorder
	meta  httpd.MetadataStore
	stop  context.CancelFunc
	done  chan error
}

// openStorage opens the store in cfg.Storage.DataDir, restores the event
// log into log (before anything else writes to it), and starts the
// recorder. Disk trouble becomes Capture Trouble events.
func (a *appliance) openStorage(cfg config.Config) (*storage, error) {
	dir := cfg.Storage.DataDir
	opts := cfg.DashcamOptions()
	opts.Store.Logger = a.log.With("component", "dashcam")
	opts.Store.ReportTrouble(a.model.Events, dir)
	st, err := dashcam.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("open dashcam store %s: %w", dir, err)
	}
	s := &storage{store: st}
	if err := st.RestoreEvents(a.model.Events, cfg.Model.EventLogSize); err != nil {
		st.Close()
		return nil, err
	}
	if s.meta, err = httpd.LoadMetadata(st.Store, cfg.ImageLimits()); err != nil {
		st.Close()
		return nil, err
	}
	s.rec = dashcam.NewRecorder(st, a.buffer, cfg.RecorderOptions())
	s.rec.Watch(a.model.Events)
	if err := s.rec.UseMarks(a.src); err != nil { // a collector resumes from the stored marks
		st.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop, s.done = cancel, make(chan error, 1)
	go func() { s.done <- s.rec.Run(ctx) }()
	return s, nil
}

// recordAPI records in the store where this appliance serves its API
// (the first URL it listens on), so that `ptpwatch export --data DIR`
// finds it while the appliance holds the store.
func (s *storage) recordAPI(url string, log *slog.Logger) {
	if err := s.store.RecordAPI(url); err != nil {
		log.Warn("cannot record the API address in the data directory", "err", err)
	}
}

// close stops the recorder (finishing what it records) and closes the
// store.
func (s *storage) close() error {
	s.stop()
	<-s.done
	return s.store.Close()
}

// newSettings returns the UI's shared settings: they start from the
// configuration file's [model] terms and, with a store, what the API last
// set is kept there and wins at the next start.
func newSettings(cfg config.Config, st *dashcam.Store) (httpd.SettingsStore, error) {
	if st == nil {
		return httpd.LoadSettings(cfg.UISettings(), nil)
	}
	return httpd.LoadSettings(cfg.UISettings(), st.Store)
}
