package dashcam

import (
	"bytes"
	"context"
	"maps"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode/pcapng"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
)

// tsharkLines runs tshark on path and returns one line per frame: capture
// time (ns), interface name, and the PTPv2 messageType or PTPv1 control
// field. Any output on stderr fails the test.
func tsharkLines(t *testing.T, path string) [][3]string {
	t.Helper()
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip(errNoTshark)
	}
	cmd := exec.Command("tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=|",
		"-e", "frame.time_epoch", "-e", "frame.interface_name", "-e", "ptp.v2.messagetype", "-e", "ptp.controlfield")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("tshark %s: %v\n%s", path, err, errb.String())
	}
	if s := strings.TrimSpace(errb.String()); s != "" && !strings.Contains(s, "Running as user") {
		t.Fatalf("tshark %s warns: %s", path, s)
	}
	var lines [][3]string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		f := strings.Split(l, "|")
		if len(f) != 4 {
			t.Fatalf("tshark line %q", l)
		}
		lines = append(lines, [3]string{epochNanos(t, f[0]), f[1], f[2] + "/" + f[3]})
	}
	return lines
}

// epochNanos turns tshark's "1700000000.123456789" into nanoseconds.
func epochNanos(t *testing.T, s string) string {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("time %q", s)
	}
	r.Mul(r, big.NewRat(1e9, 1))
	return r.FloatString(0)
}

// perType counts frames by interface and message type among lines whose
// time is in [from, to].
func perType(t *testing.T, lines [][3]string, from, to int64) map[string]int {
	lo, hi := big.NewInt(from), big.NewInt(to)
	out := map[string]int{}
	for _, l := range lines {
		n, _ := new(big.Int).SetString(l[0], 10)
		if n.Cmp(lo) < 0 || n.Cmp(hi) > 0 {
			continue
		}
		out[l[1]+" "+l[2]]++
	}
	return out
}

// TestExportTshark records an incident and archives everything, exports
// both as pcapng, and has tshark read the exports and the source capture:
// no warnings, and the same frames per interface and message type.
func TestExportTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip(errNoTshark)
	}
	const n = 20000
	dir := t.TempDir()
	cfg := sim.DefaultDemo()
	cfg.Scenario = sim.DemoScenario()
	srcPath := filepath.Join(dir, "source.pcapng")
	f, err := os.Create(srcPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.WriteCapture(f, cfg, sim.Options{}, n); err != nil {
		t.Fatal(err)
	}
	f.Close()
	frames, ifaces := simFrames(t, n)

	s := openTest(t, filepath.Join(dir, "store"), Options{})
	defer s.Close()
	fd := newFeeder(t, frames, ifaces, 64<<20)
	rec := NewRecorder(s, fd.buf, RecorderOptions{Triggers: []state.EventType{}, Pre: 10 * time.Second, Post: 10 * time.Second,
		IdleClose: 50 * time.Millisecond, Archive: true, ChunkBytes: 8 << 10})
	names := make([]string, len(ifaces))
	for i, ifc := range ifaces {
		names[i] = ifc.Name
	}
	rec.SetInterfaces(names)
	startRecorder(t, rec)
	var id uint64
	fd.at[9000] = func() {
		var err error
		if id, err = rec.TriggerAt(context.Background(), frames[9000].Timestamp, "export test", nil); err != nil {
			t.Error(err)
		}
	}
	fd.run(t, rec)
	waitIdle(t, rec, 10*time.Second)
	inc, err := s.Incident(id)
	if err != nil {
		t.Fatal(err)
	}

	source := tsharkLines(t, srcPath)
	if len(source) != n {
		t.Fatalf("tshark read %d frames of the source, want %d", len(source), n)
	}

	// The incident.
	incPath := filepath.Join(dir, "incident.pcapng")
	out, err := os.Create(incPath)
	if err != nil {
		t.Fatal(err)
	}
	var calls int
	st, err := s.ExportIncident(id, out, func(p Progress) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	out.Close()
	if st.Frames != inc.Frames || calls == 0 {
		t.Fatalf("exported %d frames of %d (%d progress calls)", st.Frames, inc.Frames, calls)
	}
	got := perType(t, tsharkLines(t, incPath), inc.From, inc.To)
	want := perType(t, source, inc.From, inc.To)
	if !maps.Equal(got, want) {
		t.Fatalf("incident per type:\n got %v\nwant %v", got, want)
	}
	checkComments(t, incPath, "ptpwatch incident", "trigger: Manual (export test)")

	// An archive range.
	from, to := frames[3000].Timestamp, frames[15000].Timestamp
	arcPath := filepath.Join(dir, "range.pcapng")
	out, err = os.Create(arcPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ExportRange(from, to, out, nil); err != nil {
		t.Fatal(err)
	}
	out.Close()
	got = perType(t, tsharkLines(t, arcPath), from, to)
	want = perType(t, source, from, to)
	if !maps.Equal(got, want) {
		t.Fatalf("range per type:\n got %v\nwant %v", got, want)
	}
	total := 0
	for _, c := range want {
		total += c
	}
	if total < 10000 {
		t.Fatalf("range holds only %d frames", total)
	}
}

// checkComments reads the export's section comment and packet comments.
func checkComments(t *testing.T, path string, section, packet string) {
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
	found := false
	for r.Next(&p) == nil {
		if c := p.Comment(); c != "" {
			if !strings.Contains(c, packet) {
				t.Errorf("packet comment %q", c)
			}
			found = true
		}
	}
	if !found {
		t.Errorf("no packet comment %q", packet)
	}
	if c := r.Section().Comment; !strings.HasPrefix(c, section) {
		t.Errorf("section comment %q", c)
	}
}
