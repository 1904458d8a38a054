package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/ptpwatch/ptpwatch/state"
)

// The general records: device metadata and images, configuration
// records, the event log, and the file naming the API of the appliance
// holding the store.

func deviceKey(id string, field byte) []byte {
	k := append([]byte{byte(Devices)}, id...)
	return append(k, 0, field)
}

// PutDevice stores the user metadata of device id (opaque bytes, JSON
// by convention); nil or empty deletes it. Durable on return.
func (s *Store) PutDevice(id string, meta []byte) error {
	return s.PutOrDelete(deviceKey(id, 'm'), meta)
}

// Device returns the metadata stored for device id.
func (s *Store) Device(id string) ([]byte, bool, error) { return s.Get(deviceKey(id, 'm')) }

// Devices returns the metadata of every device, by id.
func (s *Store) Devices() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := s.Each(Devices, func(k, v []byte) error {
		if len(k) >= 3 && k[len(k)-2] == 0 && k[len(k)-1] == 'm' {
			out[string(k[1:len(k)-2])] = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}

// PutDeviceImage stores an image of device id with its content type; nil
// data deletes it.
func (s *Store) PutDeviceImage(id, contentType string, data []byte) error {
	var v []byte
	if len(data) > 0 {
		v = append(append([]byte(contentType), 0), data...)
	}
	return s.PutOrDelete(deviceKey(id, 'i'), v)
}

// DeviceImage returns the image stored for device id.
func (s *Store) DeviceImage(id string) (contentType string, data []byte, ok bool, err error) {
	v, ok, err := s.Get(deviceKey(id, 'i'))
	if err != nil || !ok {
		return "", nil, false, err
	}
	for i, c := range v {
		if c == 0 {
			return string(v[:i]), v[i+1:], true, nil
		}
	}
	return "", nil, false, fmt.Errorf("device %s: image without a content type: %w", id, ErrMalformed)
}

// PutDeviceAndImage stores the metadata of device id and its image in one
// durable write: nil or empty meta deletes the metadata, nil data the
// image.
func (s *Store) PutDeviceAndImage(id string, meta []byte, contentType string, data []byte) error {
	b := s.db.NewBatch()
	defer b.Close()
	var err error
	if len(meta) == 0 {
		err = b.Delete(deviceKey(id, 'm'), nil)
	} else {
		err = b.Set(deviceKey(id, 'm'), meta, nil)
	}
	if err != nil {
		return err
	}
	if len(data) == 0 {
		err = b.Delete(deviceKey(id, 'i'), nil)
	} else {
		err = b.Set(deviceKey(id, 'i'), append(append([]byte(contentType), 0), data...), nil)
	}
	if err != nil {
		return err
	}
	return s.Write(b, true)
}

// DeviceImageSizes returns the size in bytes of every stored device
// image, by device id, without keeping the images.
func (s *Store) DeviceImageSizes() (map[string]int, error) {
	out := map[string]int{}
	err := s.Each(Devices, func(k, v []byte) error {
		if len(k) >= 3 && k[len(k)-2] == 0 && k[len(k)-1] == 'i' {
			n := len(v)
			if i := bytes.IndexByte(v, 0); i >= 0 {
				n = len(v) - i - 1
			}
			out[string(k[1:len(k)-2])] = n
		}
		return nil
	})
	return out, err
}

// PutConfig stores the configuration record called name (the UI
// settings, for example); nil or empty deletes it. Durable on return.
func (s *Store) PutConfig(name string, value []byte) error {
	return s.PutOrDelete(Config.Name(name), value)
}

// Config returns the configuration record called name.
func (s *Store) Config(name string) ([]byte, bool, error) { return s.Get(Config.Name(name)) }

// Configs returns every configuration record, by name.
func (s *Store) Configs() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := s.Each(Config, func(k, v []byte) error {
		out[string(k[1:])] = append([]byte(nil), v...)
		return nil
	})
	return out, err
}

// PutOrDelete stores value under key, or deletes key when value is
// empty, durably.
func (s *Store) PutOrDelete(key, value []byte) error {
	b := s.db.NewBatch()
	defer b.Close()
	var err error
	if len(value) == 0 {
		err = b.Delete(key, nil)
	} else {
		err = b.Set(key, value, nil)
	}
	if err != nil {
		return err
	}
	return s.Write(b, true)
}

// AppendEvent stores e under the store's next event sequence number and
// returns that number. The stored Seq is the store's own: it keeps counting
// across restarts, while the EventLog's starts again at 1. Not synced: an
// event may be lost in a crash, never torn.
func (s *Store) AppendEvent(e state.Event) (uint64, error) {
	seq := s.eventSeq.Add(1)
	e.Seq = seq
	v, err := json.Marshal(storedEvent{e, e.Severity.String()})
	if err != nil {
		return 0, err
	}
	b := s.db.NewBatch()
	defer b.Close()
	if err := b.Set(Events.Key(nil, seq), v, nil); err != nil {
		return 0, err
	}
	return seq, s.Write(b, false)
}

// Events returns stored events with Seq greater than after, oldest first,
// at most limit of them (all when limit <= 0).
func (s *Store) Events(after uint64, limit int) ([]state.Event, error) {
	_, hi := Events.Span()
	it, err := s.NewIter(&pebble.IterOptions{LowerBound: Events.Key(nil, after+1), UpperBound: hi})
	if err != nil {
		return nil, err
	}
	var out []state.Event
	for ok := it.First(); ok && (limit <= 0 || len(out) < limit); ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return nil, s.ReadErr(err)
		}
		var e storedEvent
		if err := json.Unmarshal(v, &e); err != nil {
			seq := binary.BigEndian.Uint64(it.Key()[1:])
			it.Close()
			return nil, fmt.Errorf("store: event %d: %w", seq, err)
		}
		e.Event.Severity = parseSeverity(e.Severity)
		out = append(out, e.Event)
	}
	return out, s.ReadErr(it.Close())
}

// TrimEvents deletes the oldest events beyond Options.EventsKept and
// returns how many it deleted. The maintenance goroutine runs it every
// TrimInterval.
func (s *Store) TrimEvents() (uint64, error) {
	last := s.eventSeq.Load()
	if last <= uint64(s.opts.EventsKept) {
		return 0, nil
	}
	keepFrom := last - uint64(s.opts.EventsKept) + 1
	k, ok, err := s.FirstKey(Events.Key(nil, 0), Events.Key(nil, keepFrom))
	if err != nil || !ok {
		return 0, err
	}
	b := s.db.NewBatch()
	defer b.Close()
	if err := b.DeleteRange(Events.Key(nil, 0), Events.Key(nil, keepFrom), nil); err != nil {
		return 0, err
	}
	if err := s.Write(b, false); err != nil {
		return 0, err
	}
	return keepFrom - binary.BigEndian.Uint64(k[1:]), nil
}

// LastEventSeq returns the Seq of the newest stored event, 0 when none.
func (s *Store) LastEventSeq() uint64 { return s.eventSeq.Load() }

// storedEvent is an event as stored: JSON, with the severity by name
// (state.Severity marshals as a name but does not parse one).
type storedEvent struct {
	state.Event
	Severity string `json:"severity"`
}

func parseSeverity(name string) state.Severity {
	for s := state.Info; s <= state.Critical; s++ {
		if s.String() == name {
			return s
		}
	}
	return state.Info
}

// apiFile is the file beside the store that names the API of the
// appliance using it.
const apiFile = "appliance.api"

// RecordAPI records where the appliance holding the store serves its
// REST API (url, the first address it listens on, as a client on this
// host reaches it: a wildcard host becomes the loopback), so that tools
// finding the store in use (ptpwatch export) know where to turn. It is a
// file in the store's directory, not a key: a key cannot be read while
// the appliance holds the store's lock, which is when it is needed.
func (s *Store) RecordAPI(api string) error {
	api = reachableURL(api)
	name := s.fs.PathJoin(s.dir, apiFile)
	tmp := name + ".tmp"
	f, err := s.fs.Create(tmp, vfs.WriteCategoryUnspecified)
	if err != nil {
		return fmt.Errorf("record the API address: %w", err)
	}
	_, err = f.Write([]byte(api + "\n"))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.fs.Rename(tmp, name)
	}
	if err != nil {
		_ = s.fs.Remove(tmp)
		return fmt.Errorf("record the API address: %w", err)
	}
	return nil
}

// RecordedAPI returns the API address the appliance last recorded in the
// store in dir (see RecordAPI); "" when none is recorded.
func RecordedAPI(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, apiFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the recorded API address: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// reachableURL turns a listen URL into one a client on this host can
// use: a wildcard host (0.0.0.0, ::) becomes the loopback, and the
// trailing slash goes.
func reachableURL(raw string) string {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil {
		return strings.TrimRight(raw, "/")
	}
	if host, port, err := net.SplitHostPort(u.Host); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			if ip.To4() != nil {
				host = "127.0.0.1"
			} else {
				host = "::1"
			}
			u.Host = net.JoinHostPort(host, port)
		}
	}
	return u.String()
}
