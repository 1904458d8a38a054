package httpd

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/ptpwatch/ptpwatch/state/store"
)

// storedMetadata keeps device metadata in memory for the API and writes
// every change through to the store, the store first: a write the store
// refuses (paused by a full disk, failed) changes nothing. Images stay in
// the store and are read from it on request; memory holds only their
// sizes, and ImageLimits bound their number and bytes.
type storedMetadata struct {
	records
	store *store.Store
}

// LoadMetadata returns a MetadataStore kept in st, loading its records
// (not its images) into memory. Records the store reports damaged are
// left out.
func LoadMetadata(st *store.Store, limits ImageLimits) (MetadataStore, error) {
	m := &storedMetadata{records: newRecords(limits), store: st}
	recs, err := st.Devices()
	if errors.Is(err, store.ErrCorrupt) {
		recs, err = nil, nil // reported by the store; start with none
	}
	if err != nil {
		return nil, fmt.Errorf("read stored device metadata: %w", err)
	}
	for id, raw := range recs {
		var dm DeviceMetadata
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
		m.sizes[id] = n
		m.total += int64(n)
	}
	for id, dm := range m.meta {
		if _, ok := m.sizes[id]; dm.Image != "" && !ok {
			dm.Image = "" // the record names an image the store lost
			m.meta[id] = dm
		}
	}
	return m, nil
}

func (m *storedMetadata) PutMetadata(clock string, dm DeviceMetadata) error {
	return m.putMetadata(clock, dm, func(dm DeviceMetadata) error {
		raw, err := storedRecord(dm)
		if err != nil {
			return err
		}
		if err := m.store.PutDevice(clock, raw); err != nil {
			return fmt.Errorf("store the metadata of %s: %w", clock, err)
		}
		return nil
	})
}

func (m *storedMetadata) PutImage(clock, contentType string, data []byte) error {
	return m.putImage(clock, contentType, data, len(data) > 0, func(dm DeviceMetadata) error {
		raw, err := storedRecord(dm)
		if err != nil {
			return err
		}
		if err := m.store.PutDeviceAndImage(clock, raw, contentType, data); err != nil {
			return fmt.Errorf("store the image of %s: %w", clock, err)
		}
		return nil
	})
}

// Image reads clock's image from the store.
func (m *storedMetadata) Image(clock string) (string, []byte, bool, error) {
	m.mu.RLock()
	_, ok := m.sizes[clock]
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

// storedRecord is dm as stored: nil when it holds nothing.
func storedRecord(dm DeviceMetadata) ([]byte, error) {
	if dm.empty() {
		return nil, nil
	}
	return json.Marshal(dm)
}

// settingsKey is where the UI's shared settings are kept in the store.
const settingsKey = "http.settings"

// storedSettings are the UI's shared settings, kept in a store.
type storedSettings struct {
	mu    sync.Mutex
	cur   Settings
	store *store.Store // nil: memory only
}

// LoadSettings returns a SettingsStore starting at initial (the
// configuration file's terms) or, when st holds settings the API set, at
// those; changes are written to st. A nil st keeps them in memory only.
func LoadSettings(initial Settings, st *store.Store) (SettingsStore, error) {
	s := initial
	if st != nil {
		raw, ok, err := st.Config(settingsKey)
		if errors.Is(err, store.ErrCorrupt) {
			raw, ok, err = nil, false, nil // reported by the store; the file's settings
		}
		if err != nil {
			return nil, fmt.Errorf("read stored settings: %w", err)
		}
		if ok {
			var stored Settings
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
	return &storedSettings{cur: n, store: st}, nil
}

func (a *storedSettings) Settings() Settings {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cur
}

func (a *storedSettings) PutSettings(s Settings) error {
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
