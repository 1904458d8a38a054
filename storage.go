package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"ptpwatch/httpd"
	"ptpwatch/state"
	"ptpwatch/state/dashcam"
	"ptpwatch/state/store"
)

// storage is the appliance's persistent part under --data: the dashcam
// store, its recorder, and what users set through the API.
type storage struct {
	store *dashcam.Store
	rec   *dashcam.Recorder
	meta  *storedMetadata
	stop  context.CancelFunc
	done  chan error
}

// openStorage opens the store in cfg.Storage.DataDir, restores the event
// log into log (before anything else writes to it), and starts the
// recorder. Disk trouble becomes Capture Trouble events.
func (a *appliance) openStorage(cfg Config) (*storage, error) {
	dir := cfg.Storage.DataDir
	d := cfg.Dashcam
	opts := dashcam.Options{
		MaxBytes: d.MaxBytes, MaxAge: time.Duration(d.MaxDays) * 24 * time.Hour,
		ArchiveMaxBytes: d.ArchiveMaxBytes, ArchiveMaxAge: time.Duration(d.ArchiveMaxHours) * time.Hour,
	}
	opts.Store = store.Options{
		EventsKept: max(cfg.Model.EventLogSize, 1000),
		Logger:     a.log.With("component", "dashcam"),
		OnTrouble: func(err error) {
			detail := "recording paused: " + err.Error() + "; capture continues in RAM and recording resumes when the disk allows"
			if errors.Is(err, store.ErrFailed) {
				detail = "recording stopped: " + err.Error() + "; capture continues in RAM; restart ptpwatch to record again"
			}
			a.model.Events.Add(state.Event{Time: time.Now().UnixNano(), Type: state.CaptureTrouble, Subject: dir, Detail: detail})
		},
		OnDamage: func(err error) {
			a.model.Events.Add(state.Event{Time: time.Now().UnixNano(), Type: state.CaptureTrouble, Subject: dir,
				Detail: "dashcam store damaged: " + err.Error() + "; what the damaged part held cannot be read, recording continues. Export what you need, then delete damaged incidents or move the data directory aside"})
		},
		OnRecovered: func() {
			a.model.Events.Add(state.Event{Time: time.Now().UnixNano(), Type: state.CaptureTrouble, Subject: dir,
				Detail: "recording resumed"})
		},
	}
	st, err := dashcam.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("open dashcam store %s: %w", dir, err)
	}
	s := &storage{store: st}
	if err := st.RestoreEvents(a.model.Events, cfg.Model.EventLogSize); err != nil {
		st.Close()
		return nil, err
	}
	if s.meta, err = loadMetadata(st, cfg.imageLimits()); err != nil {
		st.Close()
		return nil, err
	}
	ropts := dashcam.RecorderOptions{Scopes: d.Scopes, AllScopes: d.AllScopes,
		Pre: seconds(d.PreSeconds), Post: seconds(d.PostSeconds), Archive: d.Archive, PersistEvents: true}
	ropts.Triggers = []state.EventType{}
	if d.Enabled {
		for _, t := range d.Triggers {
			ropts.Triggers = append(ropts.Triggers, state.EventType(t))
		}
	}
	s.rec = dashcam.NewRecorder(st, a.buffer, ropts)
	s.rec.Watch(a.model.Events)
	ctx, cancel := context.WithCancel(context.Background())
	s.stop, s.done = cancel, make(chan error, 1)
	go func() { s.done <- s.rec.Run(ctx) }()
	return s, nil
}

// seconds turns a configured number of seconds into a duration; 0 means
// none, which the recorder spells as a negative duration.
func seconds(n int) time.Duration {
	if n == 0 {
		return -1
	}
	return time.Duration(n) * time.Second
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

// storedMetadata keeps device metadata in memory for the API and writes
// every change through to the store, the store first: a write the store
// refuses (paused by a full disk, failed) changes nothing. Images stay in
// the store and are read from it on request; memory holds only their
// sizes, and ImageLimits bound their number and bytes.
type storedMetadata struct {
	mu     sync.RWMutex
	meta   map[string]httpd.DeviceMetadata
	images map[string]int // bytes of each device's image
	total  int64
	gen    uint64
	limits httpd.ImageLimits
	store  *dashcam.Store
}

func loadMetadata(st *dashcam.Store, limits httpd.ImageLimits) (*storedMetadata, error) {
	m := &storedMetadata{meta: map[string]httpd.DeviceMetadata{}, images: map[string]int{}, limits: limits.WithDefaults(), store: st}
	recs, err := st.Devices()
	if errors.Is(err, store.ErrCorrupt) {
		recs, err = nil, nil // reported by the store; start with none
	}
	if err != nil {
		return nil, fmt.Errorf("read stored device metadata: %w", err)
	}
	for id, raw := range recs {
		var dm httpd.DeviceMetadata
		if err := json.Unmarshal(raw, &dm); err != nil {
			return nil, fmt.Errorf("stored metadata of %s: %w", id, err)
		}
		m.meta[id] = dm
	}
	sizes, err := st.DeviceImageSizes()
	if errors.Is(err, store.ErrCorrupt) {
		sizes, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read stored device images: %w", err)
	}
	for id, n := range sizes {
		if m.meta[id].Image == "" {
			continue // an image without its record: not shown
		}
		m.images[id] = n
		m.total += int64(n)
	}
	for id, dm := range m.meta {
		if _, ok := m.images[id]; dm.Image != "" && !ok {
			dm.Image = "" // the record names an image the store lost
			m.meta[id] = dm
		}
	}
	return m, nil
}

// ImageLimits returns the limits images are kept within.
func (m *storedMetadata) ImageLimits() httpd.ImageLimits { return m.limits }

func (m *storedMetadata) Metadata(clock string) (httpd.DeviceMetadata, bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	dm, ok := m.meta[clock]
	return dm, ok, nil
}

func (m *storedMetadata) AllMetadata() (map[string]httpd.DeviceMetadata, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return maps.Clone(m.meta), nil
}

func (m *storedMetadata) Generation() uint64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.gen
}

// maxStoredDevices bounds the metadata records kept, as the in-memory
// store does.
const maxStoredDevices = 100_000

func (m *storedMetadata) PutMetadata(clock string, dm httpd.DeviceMetadata) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, exists := m.meta[clock]
	if !exists && len(m.meta) >= maxStoredDevices {
		return httpd.ErrMetadataFull
	}
	dm.Image, dm.Updated = old.Image, time.Now().UnixNano()
	if err := m.persist(clock, dm); err != nil {
		return err
	}
	m.set(clock, dm)
	return nil
}

func (m *storedMetadata) PutImage(clock, contentType string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	dm, exists := m.meta[clock]
	if !exists && len(m.meta) >= maxStoredDevices {
		return httpd.ErrMetadataFull
	}
	old, had := m.images[clock]
	if err := m.limits.Check(len(m.images), m.total, had, old, len(data)); err != nil {
		return err
	}
	dm.Image = ""
	if len(data) > 0 {
		dm.Image = contentType
	}
	dm.Updated = time.Now().UnixNano()
	raw, err := m.record(dm)
	if err != nil {
		return err
	}
	if err := m.store.PutDeviceAndImage(clock, raw, contentType, data); err != nil {
		return fmt.Errorf("store the image of %s: %w", clock, err)
	}
	m.total -= int64(old)
	if len(data) > 0 {
		m.images[clock] = len(data)
		m.total += int64(len(data))
	} else {
		delete(m.images, clock)
	}
	m.set(clock, dm)
	return nil
}

// Image reads clock's image from the store.
func (m *storedMetadata) Image(clock string) (string, []byte, bool, error) {
	m.mu.RLock()
	_, ok := m.images[clock]
	m.mu.RUnlock()
	if !ok {
		return "", nil, false, nil
	}
	ct, data, ok, err := m.store.DeviceImage(clock)
	if err != nil {
		return "", nil, false, fmt.Errorf("read the image of %s: %w", clock, err)
	}
	return ct, data, ok, nil
}

func (m *storedMetadata) set(clock string, dm httpd.DeviceMetadata) {
	if empty(dm) {
		delete(m.meta, clock)
	} else {
		m.meta[clock] = dm
	}
	m.gen++
}

func empty(dm httpd.DeviceMetadata) bool {
	dm.Updated = 0
	return dm == httpd.DeviceMetadata{}
}

// record is dm as stored: nil when it holds nothing.
func (m *storedMetadata) record(dm httpd.DeviceMetadata) ([]byte, error) {
	if empty(dm) {
		return nil, nil
	}
	return json.Marshal(dm)
}

// persist writes clock's record.
func (m *storedMetadata) persist(clock string, dm httpd.DeviceMetadata) error {
	raw, err := m.record(dm)
	if err != nil {
		return err
	}
	if err := m.store.PutDevice(clock, raw); err != nil {
		return fmt.Errorf("store the metadata of %s: %w", clock, err)
	}
	return nil
}

// settingsKey is where the UI's shared settings are kept in the store.
const settingsKey = "http.settings"

// appSettings are the UI's shared settings: they start from the
// configuration file's [model] terms and, with a store, what the API last
// set is kept there and wins at the next start.
type appSettings struct {
	mu    sync.Mutex
	cur   httpd.Settings
	store *dashcam.Store // nil: memory only
}

func newAppSettings(cfg Config, st *dashcam.Store) (*appSettings, error) {
	s := httpd.Settings{StateTerms: "master-slave"}
	switch cfg.Model.StateTerms {
	case "leader/follower":
		s.StateTerms = "leader-follower"
	case "custom":
		s = httpd.Settings{StateTerms: "custom", MasterTerm: cfg.Model.MasterTerm, SlaveTerm: cfg.Model.SlaveTerm}
	}
	if st != nil {
		raw, ok, err := st.Config(settingsKey)
		if errors.Is(err, store.ErrCorrupt) {
			raw, ok, err = nil, false, nil // reported by the store; the file's settings
		}
		if err != nil {
			return nil, fmt.Errorf("read stored settings: %w", err)
		}
		if ok {
			var stored httpd.Settings
			if err := json.Unmarshal(raw, &stored); err != nil {
				return nil, fmt.Errorf("stored settings: %w", err)
			}
			s = stored
		}
	}
	n, err := s.Normalize()
	if err != nil {
		return nil, fmt.Errorf("state terms: %w", err)
	}
	return &appSettings{cur: n, store: st}, nil
}

func (a *appSettings) Settings() httpd.Settings {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cur
}

func (a *appSettings) PutSettings(s httpd.Settings) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.store != nil {
		raw, err := json.Marshal(s)
		if err != nil {
			return err
		}
		if err := a.store.PutConfig(settingsKey, raw); err != nil {
			return fmt.Errorf("store settings: %w", err)
		}
	}
	a.cur = s
	return nil
}
