package httpd

import (
	"fmt"
	"testing"

	"github.com/ptpwatch/ptpwatch/state/dashcam"
	"github.com/ptpwatch/ptpwatch/state/store"
)

// metaBackend is the fixture backend with a MetadataStore of its own.
type metaBackend struct {
	*fixtureBackend
	m MetadataStore
}

func (b *metaBackend) MetadataStore() MetadataStore { return b.m }

// TestDeviceImageLimits: images only for known devices, within the count,
// total and per-image limits, with answers that say which limit.
func TestDeviceImageLimits(t *testing.T) {
	fb := shared(t)
	p := pngBytes(t, 4, 3)
	devs := fb.snap.Devices
	if len(devs) < 4 {
		t.Fatalf("fixture has %d devices", len(devs))
	}
	img := func(id string) string { return "/api/v1/devices/" + id + "/image" }
	for _, c := range []struct {
		name   string
		limits ImageLimits
		run    func(t *testing.T, m *memServer)
	}{
		{"unknown device", ImageLimits{}, func(t *testing.T, m *memServer) {
			const madeUp = "010203.0405.060708"
			checkError(t, m.send(t, "PUT", img(madeUp), string(p)), 404, "devices seen on the network or given metadata")
			// Metadata first makes it known.
			if r := m.send(t, "PUT", "/api/v1/devices/"+madeUp+"/metadata", `{"alias":"spare GM"}`); r.status != 200 {
				t.Fatalf("PUT metadata: %d %s", r.status, r.body)
			}
			if r := m.send(t, "PUT", img(madeUp), string(p)); r.status != 200 {
				t.Fatalf("PUT image after metadata: %d %s", r.status, r.body)
			}
		}},
		{"count", ImageLimits{MaxCount: 2}, func(t *testing.T, m *memServer) {
			for _, d := range devs[:2] {
				if r := m.send(t, "PUT", img(d.ClockIdentity), string(p)); r.status != 200 {
					t.Fatalf("PUT: %d %s", r.status, r.body)
				}
			}
			checkError(t, m.send(t, "PUT", img(devs[2].ClockIdentity), string(p)), 409, "2 device images", "images_max")
			// Replacing one is fine; deleting one makes room.
			if r := m.send(t, "PUT", img(devs[0].ClockIdentity), string(jpegBytes(t))); r.status != 200 {
				t.Fatalf("replace: %d %s", r.status, r.body)
			}
			m.send(t, "DELETE", img(devs[1].ClockIdentity), "")
			if r := m.send(t, "PUT", img(devs[2].ClockIdentity), string(p)); r.status != 200 {
				t.Fatalf("PUT after delete: %d %s", r.status, r.body)
			}
		}},
		{"total", ImageLimits{MaxTotal: int64(len(p)*2 + len(p)/2)}, func(t *testing.T, m *memServer) {
			for _, d := range devs[:2] {
				if r := m.send(t, "PUT", img(d.ClockIdentity), string(p)); r.status != 200 {
					t.Fatalf("PUT: %d %s", r.status, r.body)
				}
			}
			checkError(t, m.send(t, "PUT", img(devs[2].ClockIdentity), string(p)), 409, "images_max_bytes", fmt.Sprint(len(p)*2+len(p)/2))
		}},
		{"one image", ImageLimits{MaxBytes: len(p) - 1}, func(t *testing.T, m *memServer) {
			checkError(t, m.send(t, "PUT", img(devs[0].ClockIdentity), string(p)), 413, fmt.Sprint(len(p)-1))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := serveMem(t, Config{}, &metaBackend{fb, NewMemoryMetadataLimits(c.limits)}, memOpts{})
			c.run(t, m)
		})
	}
}

// pausedMetadata refuses every write as a paused dashcam store does.
type pausedMetadata struct{ MetadataStore }

func (pausedMetadata) PutMetadata(string, DeviceMetadata) error { return store.ErrPaused }
func (pausedMetadata) PutImage(string, string, []byte) error    { return store.ErrPaused }

type pausedBackend struct {
	*fixtureBackend
	st *dashcam.Store
	m  MetadataStore
}

func (b *pausedBackend) MetadataStore() MetadataStore                 { return b.m }
func (b *pausedBackend) Dashcam() (*dashcam.Store, *dashcam.Recorder) { return b.st, nil }

// TestMetadataWhilePaused: a metadata or image write the paused store
// refuses answers 503 with the reason, and says nothing was changed.
func TestMetadataWhilePaused(t *testing.T) {
	fb := shared(t)
	st := openStore(t, dashcam.Options{Store: store.Options{MinFreeBytes: 1 << 62}})
	m := serveMem(t, Config{}, &pausedBackend{fb, st, pausedMetadata{NewMemoryMetadata()}}, memOpts{})
	dev := fb.snap.Devices[0].ClockIdentity
	checkError(t, m.send(t, "PUT", "/api/v1/devices/"+dev+"/metadata", `{"alias":"x"}`), 503, "nothing was changed", "disk is nearly full")
	checkError(t, m.send(t, "PUT", "/api/v1/devices/"+dev+"/image", string(pngBytes(t, 2, 2))), 503, "nothing was changed", "paused")
}
