package store

import (
	"io"
	"log/slog"
	"testing"

	"github.com/ptpwatch/ptpwatch/state"
)

func openTest(t testing.TB, dir string, opts Options) *Store {
	t.Helper()
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	opts.MinFreeBytes, opts.BallastBytes = -1, -1
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestKV(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, Options{})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.PutDevice("ec4670.fffe.00a101", []byte(`{"alias":"gm1"}`)))
	must(s.PutDevice("8ca5a1.fffe.00b202", []byte(`{"alias":"gm2"}`)))
	must(s.PutDevice("8ca5a1.fffe.00b202", nil))
	must(s.PutDeviceImage("ec4670.fffe.00a101", "image/png", []byte("PNG")))
	must(s.PutConfig("dashcam.pre", []byte("10s")))
	for i := range 3 {
		if _, err := s.AppendEvent(state.Event{Time: int64(i), Type: state.GrandmasterChanged, Scope: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s = openTest(t, dir, Options{EventsKept: 2})
	defer s.Close()
	devs, err := s.Devices()
	must(err)
	if len(devs) != 1 || string(devs["ec4670.fffe.00a101"]) != `{"alias":"gm1"}` {
		t.Fatalf("devices %q", devs)
	}
	ct, img, ok, err := s.DeviceImage("ec4670.fffe.00a101")
	if err != nil || !ok || ct != "image/png" || string(img) != "PNG" {
		t.Fatalf("image %q %q %v %v", ct, img, ok, err)
	}
	cfg, err := s.Configs()
	if err != nil || string(cfg["dashcam.pre"]) != "10s" || len(cfg) != 1 {
		t.Fatalf("config %q %v", cfg, err)
	}
	seq, err := s.AppendEvent(state.Event{Type: state.MasterSilent})
	if err != nil || seq != 4 {
		t.Fatalf("event seq %d after restart, want 4 (%v)", seq, err)
	}
	if n, err := s.TrimEvents(); err != nil || n != 2 {
		t.Fatalf("trimmed %d events (%v), want 2", n, err)
	}
	evs, err := s.Events(0, 0)
	if err != nil || len(evs) != 2 || evs[0].Seq != 3 || evs[1].Type != state.MasterSilent {
		t.Fatalf("events %+v %v", evs, err)
	}
}

func TestReachableURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8319/":  "http://127.0.0.1:8319",
		"http://0.0.0.0:9000/":    "http://127.0.0.1:9000",
		"https://[::]:8443/":      "https://[::1]:8443",
		"http://192.0.2.7:8319/":  "http://192.0.2.7:8319",
		"https://[2001:db8::1]:1": "https://[2001:db8::1]:1",
	} {
		if got := reachableURL(in); got != want {
			t.Errorf("reachableURL(%q) = %q, want %q", in, got, want)
		}
	}
}
