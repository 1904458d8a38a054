package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode/pcapng"
	"github.com/ptpwatch/ptpwatch/httpd/apiclient"
	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/dashcam"
	"github.com/ptpwatch/ptpwatch/state/store"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// exportFixture makes a store holding one incident and an archive of
// 5000 simulated frames, and returns its directory, the incident id and
// the frames' time span.
func exportFixture(t *testing.T) (dir string, id uint64, first, last int64) {
	t.Helper()
	return exportFixtureWindow(t, 2*time.Second)
}

// exportFixtureWindow is exportFixture with the incident's post-trigger
// window.
func exportFixtureWindow(t *testing.T, post time.Duration) (dir string, id uint64, first, last int64) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "data")
	s, err := dashcam.Open(dir, dashcam.Options{Store: store.Options{MinFreeBytes: -1, BallastBytes: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}})
	if err != nil {
		t.Fatal(err)
	}
	rec := dashcam.NewRecorder(s, nil, dashcam.RecorderOptions{Archive: true, Triggers: []state.EventType{},
		Pre: -1, Post: post, IdleClose: 10 * time.Millisecond})
	rec.SetInterfaces([]string{"tap0"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	n, err := sim.New(sim.DefaultDemo(), sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var f source.Frame
	for i := 0; i < 5000; i++ {
		if err := n.Next(ctx, &f); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = f.Timestamp
			if id, err = rec.TriggerAt(ctx, first, "cli test", nil); err != nil {
				t.Fatal(err)
			}
		}
		last = f.Timestamp
		m := ring.RecordMeta{Time: f.Timestamp, OrigLen: uint32(f.OrigLen), IfIndex: f.Interface, Source: f.TSSource}
		for !rec.Ingest(0, &m, uint16(f.Link), f.Data) {
			time.Sleep(time.Millisecond)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		if err := rec.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if len(rec.Stats().Recording) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("incident still recording")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, id, first, last
}

func countPackets(t *testing.T, path string) (n int, ifname string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapng.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var p pcapng.Packet
	for r.Next(&p) == nil {
		n++
	}
	if ifs := r.Interfaces(); len(ifs) > 0 {
		ifname = ifs[0].Name
	}
	return n, ifname
}

func TestExportCommand(t *testing.T) {
	dir, id, first, last := exportFixture(t)
	out := t.TempDir()
	runCmd := func(args ...string) (int, string, string) {
		var o, e bytes.Buffer
		code := run(append([]string{"export"}, args...), &o, &e)
		return code, o.String(), e.String()
	}

	code, stdout, stderr := runCmd("--data", dir, "--list", "--json")
	var incs []dashcam.Incident
	if code != exitOK || json.Unmarshal([]byte(stdout), &incs) != nil || len(incs) != 1 || incs[0].ID != id {
		t.Fatalf("--list --json: %d %q %q", code, stdout, stderr)
	}
	if incs[0].State != dashcam.StateComplete || incs[0].Frames == 0 {
		t.Fatalf("incident %+v", incs[0])
	}
	code, stdout, _ = runCmd("--list", "--data", dir)
	if code != exitOK || !strings.Contains(stdout, "complete") || !strings.Contains(stdout, "Manual (cli test)") {
		t.Fatalf("--list: %d %q", code, stdout)
	}

	// The incident, flags after the id.
	file := filepath.Join(out, "incident.pcapng")
	code, _, stderr = runCmd("--data", dir, strconv.FormatUint(id, 10), "-o", file)
	if code != exitOK {
		t.Fatalf("export incident: %d %s", code, stderr)
	}
	if n, name := countPackets(t, file); uint64(n) != incs[0].Frames || name != "tap0" {
		t.Fatalf("exported %d frames on %q, incident has %d", n, name, incs[0].Frames)
	}

	// An archive range: the whole capture.
	file = filepath.Join(out, "range.pcapng")
	from := time.Unix(0, first).UTC().Format(time.RFC3339Nano)
	to := time.Unix(0, last).UTC().Format(time.RFC3339Nano)
	code, _, stderr = runCmd("--data", dir, "--from", from, "--to", to, "-o", file)
	if code != exitOK || !strings.Contains(stderr, "5000 frames") {
		t.Fatalf("export range: %d %s", code, stderr)
	}
	if n, _ := countPackets(t, file); n != 5000 {
		t.Fatalf("range export holds %d frames", n)
	}

	// Standard output.
	code, stdout, _ = runCmd("--data", dir, strconv.FormatUint(id, 10), "-o", "-")
	if code != exitOK || !strings.HasPrefix(stdout, "\x0a\x0d\x0d\x0a") {
		t.Fatalf("export to stdout: %d, %d bytes", code, len(stdout))
	}

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"1", "-o", "x"}, exitUsage, "--data DIR or --api URL is required"},
		{[]string{"--data", dir, "abc", "-o", "x"}, exitUsage, "not a positive number"},
		{[]string{"--data", dir, "1"}, exitUsage, "-o FILE is required"},
		{[]string{"--data", dir, "-o", "x"}, exitUsage, "give an incident id"},
		{[]string{"--data", dir, "--from", from, "-o", "x"}, exitUsage, "needs both --from and --to"},
		{[]string{"--data", dir, "--from", "yesterday", "--to", to, "-o", "x"}, exitUsage, "--from"},
		{[]string{"--data", dir, "--from", to, "--to", from, "-o", "x"}, exitUsage, "before --from"},
		{[]string{"--data", dir, "1", "2", "-o", "x"}, exitUsage, "one incident id"},
		{[]string{"--data", dir, "99", "-o", filepath.Join(out, "x")}, exitError, "no incident 99"},
		{[]string{"--data", filepath.Join(out, "nowhere"), "--list"}, exitError, "holds no ptpwatch data store"},
		{[]string{"--data", dir, "1", "-o", filepath.Join(out, "missing", "x.pcapng")}, exitError, "no such file"},
	} {
		code, _, stderr := runCmd(tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) {
			t.Errorf("export %q: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.msg)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "x")); err == nil {
		t.Error("a failed export left a file behind")
	}

	// A store in use by a running appliance.
	s, err := dashcam.Open(dir, dashcam.Options{Store: store.Options{MinFreeBytes: -1, BallastBytes: -1}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// --api wins over --data, and says so; none listens on port 1.
	code, _, stderr = runCmd("--data", dir, "--api", "http://127.0.0.1:1", "--list")
	if code != exitError || !strings.Contains(stderr, "--api wins over --data") || !strings.Contains(stderr, "is the appliance running at http://127.0.0.1:1") {
		t.Errorf("locked store: %d %q", code, stderr)
	}
}

// TestExportFindsAPI: export --data on a store in use goes to the API the
// appliance recorded in it, saying so; --api wins over --data and points
// out a different recorded address; --api alone says which API it uses.
func TestExportFindsAPI(t *testing.T) {
	dir, _, _, _ := exportFixture(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/incidents" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `[{"id":42,"state":"complete","triggers":[],"from":0,"to":0,"frames":0,"bytes":0,"created":0}]`)
	}))
	defer api.Close()
	s, err := dashcam.Open(dir, dashcam.Options{Store: store.Options{MinFreeBytes: -1, BallastBytes: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.RecordAPI(api.URL); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		code int
		out  string
		msgs []string
	}{
		{"recorded", []string{"--data", dir, "--list"}, exitOK, "42", []string{"in use", "exporting through its API at " + api.URL, "recorded"}},
		{"api wins", []string{"--data", dir, "--api", "http://127.0.0.1:1", "--list"}, exitError, "",
			[]string{"through the appliance API at http://127.0.0.1:1", "--api wins over --data", "recorded its API at " + api.URL}},
		{"api alone", []string{"--api", api.URL, "--list"}, exitOK, "42", []string{"through the appliance API at " + api.URL}},
		{"api same as recorded", []string{"--data", dir, "--api", api.URL, "--list"}, exitOK, "42", []string{"--api wins"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runWithin(t, 30*time.Second, append([]string{"export"}, c.args...)...)
			if code != c.code || !strings.Contains(stdout, c.out) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q", code, stdout, stderr, c.code, c.out)
			}
			for _, m := range c.msgs {
				if !strings.Contains(stderr, m) {
					t.Errorf("stderr %q does not say %q", stderr, m)
				}
			}
			if c.name == "api same as recorded" && strings.Contains(stderr, "recorded its API") {
				t.Errorf("stderr %q points out the same address", stderr)
			}
		})
	}
	// Nothing recorded: the default, said so.
	if err := os.Remove(filepath.Join(dir, "appliance.api")); err != nil {
		t.Fatal(err)
	}
	_, _, stderr := runWithin(t, 30*time.Second, "export", "--data", dir, "--list")
	if !strings.Contains(stderr, "no address is recorded") || !strings.Contains(stderr, apiclient.DefaultAPI) {
		t.Errorf("nothing recorded: %q", stderr)
	}
}

// damagedStore returns a copy of the export fixture whose table is
// damaged under incident id's frames, found by trying offsets until the
// export command fails; each export must end within a deadline.
func damagedStore(t *testing.T) (dir string, id uint64) {
	t.Helper()
	// An incident of many blocks, so that damage can hit its frames
	// without its description.
	src, id, _, _ := exportFixtureWindow(t, 15*time.Second)
	// Opening replays the write-ahead log into a table.
	s, _, _, err := apiclient.OpenExport(src, &apiclient.Client{}, false)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	ssts, _ := filepath.Glob(filepath.Join(src, "*.sst"))
	if len(ssts) == 0 {
		t.Fatal("the fixture store has no table")
	}
	orig, err := os.ReadFile(ssts[0])
	if err != nil {
		t.Fatal(err)
	}
	for pct := 1; pct < 100; pct++ {
		dir = filepath.Join(t.TempDir(), "data")
		if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
		b := bytes.Clone(orig)
		for i := len(b) * pct / 100; i < len(b)*pct/100+16; i++ {
			b[i] ^= 0x3c
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(ssts[0])), b, 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runWithin(t, 30*time.Second, "export", "--data", dir, strconv.FormatUint(id, 10), "-o", filepath.Join(t.TempDir(), "x.pcapng"))
		if code == exitOK {
			continue
		}
		if lc, _, _ := runWithin(t, 30*time.Second, "export", "--data", dir, "--list"); lc != exitOK {
			// The damage took the incident's description too: the store
			// does not open (the error names the file). Look for damage
			// under the frames alone.
			if code != exitError || !strings.Contains(stderr, filepath.Base(ssts[0])) {
				t.Fatalf("export of a damaged store: exit %d, %q; want %d naming the file", code, stderr, exitError)
			}
			continue
		}
		if code != exitError || !strings.Contains(stderr, "damaged") || !strings.Contains(stderr, filepath.Base(ssts[0])) {
			t.Fatalf("export of a damaged incident: exit %d, %q; want %d naming the file", code, stderr, exitError)
		}
		return dir, id
	}
	t.Fatal("no damage made the export fail")
	return "", 0
}

// runWithin runs the CLI and fails the test when it has not returned
// within limit (a hang).
func runWithin(t *testing.T, limit time.Duration, args ...string) (int, string, string) {
	t.Helper()
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		var o, e bytes.Buffer
		code := run(args, &o, &e)
		done <- result{code, o.String(), e.String()}
	}()
	select {
	case r := <-done:
		return r.code, r.stdout, r.stderr
	case <-time.After(limit):
		t.Fatalf("ptpwatch %q did not finish within %v", args, limit)
	}
	return 0, "", ""
}

// TestExportDamagedStore: export of an incident whose frames are damaged
// exits 1 within a deadline, naming the file; the list still works and
// shows the incident damaged.
func TestExportDamagedStore(t *testing.T) {
	dir, id := damagedStore(t)
	code, stdout, stderr := runWithin(t, 30*time.Second, "export", "--data", dir, "--list")
	if code != exitOK || !strings.Contains(stdout, "damaged") {
		t.Fatalf("--list of a damaged store: %d %q %q", code, stdout, stderr)
	}
	code, stdout, _ = runWithin(t, 30*time.Second, "export", "--data", dir, "--list", "--json")
	var incs []dashcam.Incident
	if code != exitOK || json.Unmarshal([]byte(stdout), &incs) != nil || len(incs) != 1 || incs[0].ID != id || incs[0].Damaged == "" {
		t.Fatalf("--list --json: %d %q", code, stdout)
	}
}

// TestApplianceDamagedStore: the appliance starts on a damaged store
// within a deadline, serves the incident marked damaged, fails its
// download with an error, and still records a new incident.
func TestApplianceDamagedStore(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir, id := damagedStore(t)
	cfg := filepath.Join(t.TempDir(), "c.toml")
	os.WriteFile(cfg, []byte("[demo]\nenabled = true\n[dashcam]\npre_seconds = 1\npost_seconds = 1\n[log]\nstats_interval = 0\n"), 0o644)
	var logs safeBuffer
	cmd := exec.Command(bin, "-c", cfg, "--data", dir, "--http", "127.0.0.1:0")
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	base := waitListen(t, &logs) // within 20 s
	if rec, err := store.RecordedAPI(dir); err != nil || rec != base {
		t.Errorf("recorded API %q (%v), the appliance listens at %s", rec, err, base)
	}
	get := func(path string) (int, string, error) {
		c := &http.Client{Timeout: 20 * time.Second}
		resp, err := c.Get(base + path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	if _, _, err := get(fmt.Sprintf("/api/v1/incidents/%d/pcapng", id)); err == nil {
		t.Error("the download of the damaged incident ended as if complete")
	}
	if code, body, err := get(fmt.Sprintf("/api/v1/incidents/%d", id)); err != nil || code != 200 || !strings.Contains(body, `"damaged":`) {
		t.Errorf("incident: %d %v %s", code, err, body)
	}
	var tout, terr bytes.Buffer
	if code := run([]string{"trigger", "--api", base, "--note", "after the damage"}, &tout, &terr); code != exitOK {
		t.Fatalf("trigger after a damaged read: %d %s\n%s", code, terr.String(), logs.String())
	}
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the appliance did not stop\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "damaged") {
		t.Errorf("the log does not report the damage:\n%s", logs.String())
	}
}

// TestExportPartial: exporting an incident that is still recording says
// the file is partial.
func TestExportPartial(t *testing.T) {
	dir, id, _, _ := exportFixture(t)
	file := filepath.Join(t.TempDir(), "whole.pcapng")
	if code, _, stderr := runWithin(t, 30*time.Second, "export", "--data", dir, strconv.FormatUint(id, 10), "-o", file); code != exitOK {
		t.Fatalf("export: %d %s", code, stderr)
	} else if strings.Contains(stderr, "partial") {
		t.Errorf("a complete incident called partial: %s", stderr)
	}
	pcap, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/incidents/7":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":7,"state":"recording","triggers":[],"from":0,"to":0,"frames":0,"bytes":0,"created":0}`)
		case "/api/v1/incidents/7/pcapng":
			w.Write(pcap)
		default:
			http.NotFound(w, r)
		}
	}))
	defer api.Close()
	code, _, stderr := runWithin(t, 30*time.Second, "export", "--api", api.URL, "7", "-o", filepath.Join(t.TempDir(), "part.pcapng"))
	if code != exitOK || !strings.Contains(stderr, "incident 7 is still recording; this export is partial") {
		t.Errorf("exit %d, stderr %q; want 0 and a note that the export is partial", code, stderr)
	}
}
