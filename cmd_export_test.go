package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"ptpwatch/decode/pcapng"
	"ptpwatch/ring"
	"ptpwatch/state"
	"ptpwatch/state/dashcam"
	"ptpwatch/xdp/sim"
	"ptpwatch/xdp/source"
)

// exportFixture makes a store holding one incident and an archive of
// 5000 simulated frames, and returns its directory, the incident id and
// the frames' time span.
func exportFixture(t *testing.T) (dir string, id uint64, first, last int64) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "data")
	s, err := dashcam.Open(dir, dashcam.Options{MinFreeBytes: -1, BallastBytes: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	rec := dashcam.NewRecorder(s, nil, dashcam.RecorderOptions{Archive: true, Triggers: []state.EventType{},
		Pre: -1, Post: 2 * time.Second, IdleClose: 10 * time.Millisecond})
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
	s, err := dashcam.Open(dir, dashcam.Options{MinFreeBytes: -1, BallastBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Export then turns to the appliance's API; none listens on port 1.
	code, _, stderr = runCmd("--data", dir, "--api", "http://127.0.0.1:1", "--list")
	if code != exitError || !strings.Contains(stderr, "in use") || !strings.Contains(stderr, "is the appliance running at http://127.0.0.1:1") {
		t.Errorf("locked store: %d %q", code, stderr)
	}
}
