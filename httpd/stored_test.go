package httpd

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/ptpwatch/ptpwatch/state/dashcam"
	"github.com/ptpwatch/ptpwatch/state/store"
)

func openStoredMetadataStore(t *testing.T, dir string, opts dashcam.Options) *dashcam.Store {
	t.Helper()
	opts.Store.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if opts.Store.MinFreeBytes == 0 {
		opts.Store.MinFreeBytes = -1
	}
	opts.Store.BallastBytes = -1
	opts.Store.MemTableBytes = 4 << 20
	st, err := dashcam.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestStoredImages: device images live in the store, not in memory: the
// heap does not grow with 200 × 1 MiB of them, they survive a restart
// without being loaded at start, and the limits hold across it.
func TestStoredImages(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	st := openStoredMetadataStore(t, dir, dashcam.Options{})
	const n, size = 200, 1 << 20
	limits := ImageLimits{MaxCount: n, MaxTotal: n * size, MaxBytes: size}
	m, err := LoadMetadata(st.Store, limits)
	if err != nil {
		t.Fatal(err)
	}
	img := func(i int) []byte { return bytes.Repeat([]byte{byte(i), byte(i >> 8), 0x89}, size/3) }
	id := func(i int) string {
		return "ec4670.fffe." + string([]byte{'0' + byte(i/100%10), '0' + byte(i/10%10), '0' + byte(i%10)}) + "000"
	}
	before := heapAfterGC()
	for i := range n {
		if err := m.PutImage(id(i), "image/png", img(i)); err != nil {
			t.Fatalf("image %d: %v", i, err)
		}
	}
	grown := int64(heapAfterGC()) - int64(before)
	t.Logf("heap grew %d KiB with %d MiB of images stored", grown>>10, n*size>>20)
	if grown > 48<<20 {
		t.Errorf("heap grew %d MiB storing %d MiB of images: they are kept in memory", grown>>20, n*size>>20)
	}
	// Over the limits.
	var le *ImageLimitError
	if err := m.PutImage("ec4670.fffe.999000", "image/png", img(1)); !errors.As(err, &le) || le.Status != 409 {
		t.Errorf("image %d: %v, want 409", n+1, err)
	}
	if err := m.PutImage(id(0), "image/png", make([]byte, size+1)); !errors.As(err, &le) || le.Status != 413 {
		t.Errorf("too large: %v, want 413", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// Restart: the index is read, not the images.
	before = heapAfterGC()
	st = openStoredMetadataStore(t, dir, dashcam.Options{})
	defer st.Close()
	m, err = LoadMetadata(st.Store, limits)
	if err != nil {
		t.Fatal(err)
	}
	grown = int64(heapAfterGC()) - int64(before)
	t.Logf("heap grew %d KiB loading the metadata of %d images", grown>>10, n)
	if grown > 48<<20 {
		t.Errorf("heap grew %d MiB at start: images are loaded into memory", grown>>20)
	}
	for _, i := range []int{0, 77, n - 1} {
		ct, data, ok, err := m.Image(id(i))
		if err != nil || !ok || ct != "image/png" || !bytes.Equal(data, img(i)) {
			t.Fatalf("image %d after restart: %v %v %q %d bytes", i, err, ok, ct, len(data))
		}
		if md, ok, _ := m.Metadata(id(i)); !ok || md.Image != "image/png" {
			t.Errorf("metadata %d after restart: %+v", i, md)
		}
	}
	if err := m.PutImage("ec4670.fffe.999000", "image/png", img(1)); !errors.As(err, &le) || le.Status != 409 {
		t.Errorf("after restart, image %d: %v, want 409", n+1, err)
	}
	// Deleting makes room.
	if err := m.PutImage(id(3), "", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := m.Image(id(3)); ok {
		t.Error("deleted image still there")
	}
	if err := m.PutImage("ec4670.fffe.999000", "image/png", img(1)); err != nil {
		t.Errorf("after a delete: %v", err)
	}
}

// TestStoredMetadataPaused: writes the paused store refuses leave the
// values in memory as they were, so a restart loses nothing the API said
// it kept.
func TestStoredMetadataPaused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	st := openStoredMetadataStore(t, dir, dashcam.Options{})
	m, err := LoadMetadata(st.Store, ImageLimits{})
	if err != nil {
		t.Fatal(err)
	}
	const dev = "ec4670.fffe.00a101"
	if err := m.PutMetadata(dev, DeviceMetadata{Alias: "before"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st = openStoredMetadataStore(t, dir, dashcam.Options{Store: store.Options{MinFreeBytes: 1 << 62}}) // paused: the disk is "full"
	defer st.Close()
	if m, err = LoadMetadata(st.Store, ImageLimits{}); err != nil {
		t.Fatal(err)
	}
	g := m.Generation()
	if err := m.PutMetadata(dev, DeviceMetadata{Alias: "after"}); !errors.Is(err, store.ErrPaused) {
		t.Fatalf("PutMetadata while paused: %v", err)
	}
	if err := m.PutImage(dev, "image/png", []byte{1, 2, 3}); !errors.Is(err, store.ErrPaused) {
		t.Fatalf("PutImage while paused: %v", err)
	}
	if md, _, _ := m.Metadata(dev); md.Alias != "before" || md.Image != "" || m.Generation() != g {
		t.Errorf("a refused write changed memory: %+v", md)
	}
	if _, _, ok, _ := m.Image(dev); ok {
		t.Error("a refused image is served")
	}
}
