package httpd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/decode/pcapng"
	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/dashcam"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/state/store"
	"github.com/ptpwatch/ptpwatch/xdp/replay"
)

// dashcamBackend is a fixture backend with a dashcam store.
type dashcamBackend struct {
	*fixtureBackend
	store *dashcam.Store
	rec   *dashcam.Recorder
}

func (b *dashcamBackend) Dashcam() (*dashcam.Store, *dashcam.Recorder) { return b.store, b.rec }

// dashcamFixture runs the decode fixture (242 frames, 1 ms apart) through
// the pipeline into a RAM buffer and two recorders:
//
//   - done: windows of ±20 ms and the archive on; incident inc1 (every
//     scope) around frame 100 and inc2 (scope scope2 only) around frame
//     200, both complete, and every frame archived;
//   - live: windows of ±1 h that never close during the test and nothing
//     recorded: for manual triggers over the API and incidents still
//     recording.
type dashcamFixture struct {
	fb         *fixtureBackend
	done, live *dashcamBackend
	inc1, inc2 uint64
	scope2     string
	tag2       uint32
	trig1      int64 // capture time of frame 100
	trig2      int64 // and of frame 200 (or the first PTP frame after)
}

var quietLog = slog.New(slog.DiscardHandler)

// openStore opens a store in a temporary directory, closed when the test
// ends (after the recorders started later have stopped).
func openStore(t *testing.T, opts dashcam.Options) *dashcam.Store {
	t.Helper()
	opts.Store.Logger = quietLog
	if opts.Store.MinFreeBytes == 0 {
		opts.Store.MinFreeBytes = -1
	}
	opts.Store.BallastBytes = -1
	opts.Store.MemTableBytes = 4 << 20
	st, err := dashcam.Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("closing the store: %v", err)
		}
	})
	return st
}

// runRecorder runs rec until the test ends.
func runRecorder(t *testing.T, rec *dashcam.Recorder) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { rec.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func syncRecorder(t *testing.T, rec *dashcam.Recorder) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rec.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}

// waitRecorded syncs rec until it records nothing.
func waitRecorded(t *testing.T, rec *dashcam.Recorder) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		syncRecorder(t, rec)
		if len(rec.Stats().Recording) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("incidents %v still recording", rec.Stats().Recording)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func newDashcamFixture(t *testing.T) *dashcamFixture {
	t.Helper()
	src, err := replay.Open(fixturePath, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	m := state.NewModel(1, nil)
	p := pipeline.New(m)
	buf, err := ring.NewBuffer(4 << 20)
	if err != nil {
		t.Fatal(err)
	}
	p.Buffer = buf

	manual := []state.EventType{}
	doneStore, liveStore := openStore(t, dashcam.Options{}), openStore(t, dashcam.Options{})
	recDone := dashcam.NewRecorder(doneStore, buf, dashcam.RecorderOptions{Triggers: manual, Archive: true,
		Pre: 20 * time.Millisecond, Post: 20 * time.Millisecond, IdleClose: time.Second,
		HandoffBytes: 1 << 20, ChunkBytes: 2 << 10})
	recLive := dashcam.NewRecorder(liveStore, buf, dashcam.RecorderOptions{Triggers: manual,
		Pre: time.Hour, Post: time.Hour, IdleClose: time.Hour, HandoffBytes: 1 << 20})
	var names []string
	for _, ifc := range src.Interfaces() {
		names = append(names, ifc.Name)
	}
	recDone.SetInterfaces(names)
	recLive.SetInterfaces(names)
	runRecorder(t, recDone)
	runRecorder(t, recLive)

	fx := &dashcamFixture{}
	var last int64
	links := map[uint16]decode.LinkType{}
	i := 0
	p.OnStored = func(n uint64, m *ring.RecordMeta, link decode.LinkType, data []byte, o *state.Observation) {
		last = max(last, m.Time)
		links[m.IfIndex] = link
		recDone.OnStored(n, m, link, data, o)
		recLive.OnStored(n, m, link, data, o)
		ctx := context.Background()
		switch {
		case i == 100:
			fx.trig1 = m.Time
			if fx.inc1, err = recDone.TriggerAt(ctx, m.Time, "every scope", nil); err != nil {
				t.Errorf("trigger 1: %v", err)
			}
		case i >= 200 && o != nil && fx.inc2 == 0:
			fx.trig2, fx.scope2, fx.tag2 = m.Time, o.Scope.String(), o.Scope.Tag()
			if fx.inc2, err = recDone.TriggerAt(ctx, m.Time, "one scope", []string{fx.scope2}); err != nil {
				t.Errorf("trigger 2: %v", err)
			}
		}
		i++
	}
	if err := p.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	if fx.inc1 == 0 || fx.inc2 == 0 || fx.inc1 == fx.inc2 {
		t.Fatalf("fixture incidents %d and %d", fx.inc1, fx.inc2)
	}
	p.Tick(last)
	m.Shard(0).Publish()
	fb := &fixtureBackend{snap: m.Snapshot(), events: m.Events, buf: buf, counters: map[string]uint64{}}
	for j, ifc := range src.Interfaces() {
		fb.ifaces = append(fb.ifaces, Iface{Name: ifc.Name, Link: links[uint16(j)]})
	}
	waitRecorded(t, recDone)
	syncRecorder(t, recLive)
	fx.fb = fb
	fx.done = &dashcamBackend{fb, doneStore, recDone}
	fx.live = &dashcamBackend{fb, liveStore, recLive}
	return fx
}

// bufferFrames returns the RAM buffer's frames captured in [from, to]
// that keep selects (nil: all), in order.
func bufferFrames(b *ring.Buffer, from, to int64, keep func(*ring.Record) bool) [][]byte {
	var out [][]byte
	b.Scan(ring.Query{}, func(r *ring.Record) bool {
		if r.Time >= from && r.Time <= to && (keep == nil || keep(r)) {
			out = append(out, bytes.Clone(r.Data))
		}
		return true
	})
	return out
}

// pcapngFile is a pcapng file as read back.
type pcapngFile struct {
	comment string
	ifaces  []string
	frames  [][]byte
	times   []int64
	notes   []string // packet comments
}

func readPcapngFile(t *testing.T, data []byte) pcapngFile {
	t.Helper()
	rd, err := pcapng.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not pcapng (%v): %.100q", err, data)
	}
	var f pcapngFile
	var p pcapng.Packet
	for {
		err := rd.Next(&p)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("packet %d: %v", len(f.frames), err)
		}
		f.frames = append(f.frames, bytes.Clone(p.Data))
		f.times = append(f.times, p.Timestamp)
		if c := p.Comment(); c != "" {
			f.notes = append(f.notes, c)
		}
	}
	f.comment = rd.Section().Comment
	for _, ifc := range rd.Interfaces() {
		f.ifaces = append(f.ifaces, ifc.Name)
	}
	return f
}

func sameFrames(t *testing.T, what string, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d frames, want %d", what, len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("%s: frame %d differs", what, i)
		}
	}
}

func TestIncidentsList(t *testing.T) {
	fx := newDashcamFixture(t)
	m := serveMem(t, Config{}, fx.done, memOpts{})

	r := m.get(t, "/api/v1/incidents")
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("list: %d %q %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	var list []dashcam.Incident
	decodeJSON(t, r, &list)
	if len(list) != 2 || list[0].ID != fx.inc2 || list[1].ID != fx.inc1 {
		t.Fatalf("list (want %d, %d newest first): %s", fx.inc2, fx.inc1, r.body)
	}
	for _, k := range []string{`"state":"complete"`, `"triggers":[`, `"from":`, `"frames":`} {
		if !strings.Contains(string(r.body), k) {
			t.Errorf("list lacks %s: %s", k, r.body)
		}
	}

	var inc1 dashcam.Incident
	decodeJSON(t, m.get(t, fmt.Sprintf("/api/v1/incidents/%d", fx.inc1)), &inc1)
	want1 := bufferFrames(fx.fb.buf, fx.trig1-20e6, fx.trig1+20e6, nil)
	if inc1.ID != fx.inc1 || inc1.State != dashcam.StateComplete || len(inc1.Scopes) != 0 ||
		inc1.Frames != uint64(len(want1)) || len(want1) != 41 || inc1.From != fx.trig1-20e6 ||
		len(inc1.Triggers) != 1 || inc1.Triggers[0].Type != dashcam.ManualTrigger || inc1.Triggers[0].Detail != "every scope" {
		t.Errorf("incident 1 (want %d frames): %+v", len(want1), inc1)
	}
	var inc2 dashcam.Incident
	decodeJSON(t, m.get(t, fmt.Sprintf("/api/v1/incidents/%d", fx.inc2)), &inc2)
	want2 := bufferFrames(fx.fb.buf, fx.trig2-20e6, fx.trig2+20e6, func(r *ring.Record) bool { return r.Scope == fx.tag2 })
	if inc2.State != dashcam.StateComplete || !slices.Equal(inc2.Scopes, []string{fx.scope2}) || inc2.Frames != uint64(len(want2)) {
		t.Errorf("incident 2 (want %d frames of %q): %+v", len(want2), fx.scope2, inc2)
	}

	checkError(t, m.get(t, "/api/v1/incidents/999"), 404, "no incident 999")
	checkError(t, m.get(t, "/api/v1/incidents/0"), 404, "no incident 0")
	checkError(t, m.get(t, "/api/v1/incidents/abc"), 400, `"abc"`, "decimal")
	checkError(t, m.get(t, "/api/v1/incidents/-1"), 400, `"-1"`)
	checkError(t, m.get(t, "/api/v1/incidents/99999999999999999999"), 400)
	checkError(t, m.get(t, "/api/v1/incidents?state=complete"), 400, "unknown parameter")
	r = m.send(t, "PUT", "/api/v1/incidents/1", "{}")
	checkError(t, r, 405, "GET", "DELETE")
	if a := r.header.Get("Allow"); a != "GET, DELETE, HEAD" {
		t.Errorf("Allow %q", a)
	}

	// An empty store lists [], not null.
	empty := &dashcamBackend{fx.fb, openStore(t, dashcam.Options{}), nil}
	if r := serveMem(t, Config{}, empty, memOpts{}).get(t, "/api/v1/incidents"); r.status != 200 || string(r.body) != "[]\n" {
		t.Errorf("empty store: %d %s", r.status, r.body)
	}
}

func TestIncidentPcapng(t *testing.T) {
	fx := newDashcamFixture(t)
	m := serveMem(t, Config{}, fx.done, memOpts{})

	r := m.get(t, fmt.Sprintf("/api/v1/incidents/%d/pcapng", fx.inc1))
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/x-pcapng" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd, want := r.header.Get("Content-Disposition"), fmt.Sprintf(`attachment; filename="ptpwatch-incident-%d.pcapng"`, fx.inc1); cd != want {
		t.Errorf("Content-Disposition %q, want %q", cd, want)
	}
	f := readPcapngFile(t, r.body)
	sameFrames(t, "incident 1", f.frames, bufferFrames(fx.fb.buf, fx.trig1-20e6, fx.trig1+20e6, nil))
	if !strings.Contains(f.comment, fmt.Sprintf("ptpwatch incident %d (complete)", fx.inc1)) {
		t.Errorf("section comment %q", f.comment)
	}
	if len(f.notes) != 1 || !strings.Contains(f.notes[0], "every scope") {
		t.Errorf("packet comments %q", f.notes)
	}
	if len(f.ifaces) == 0 || !strings.HasPrefix(f.ifaces[0], "fixture-") {
		t.Errorf("interfaces %q", f.ifaces)
	}

	r = m.get(t, fmt.Sprintf("/api/v1/incidents/%d/pcapng", fx.inc2))
	want2 := bufferFrames(fx.fb.buf, fx.trig2-20e6, fx.trig2+20e6, func(r *ring.Record) bool { return r.Scope == fx.tag2 })
	sameFrames(t, "incident 2", readPcapngFile(t, r.body).frames, want2)

	checkError(t, m.get(t, "/api/v1/incidents/77/pcapng"), 404, "no incident 77")
	checkError(t, m.get(t, "/api/v1/incidents/x/pcapng"), 400, `"x"`)
	if r := m.do(t, "HEAD", fmt.Sprintf("/api/v1/incidents/%d/pcapng", fx.inc1), nil); r.status != 200 || len(r.body) != 0 {
		t.Errorf("HEAD: %d, %d bytes", r.status, len(r.body))
	}

	// An incident still recording exports what is stored so far: here
	// the whole RAM buffer, its window reaching an hour either side.
	live := serveMem(t, Config{}, fx.live, memOpts{})
	var created struct{ ID uint64 }
	r = live.send(t, "POST", "/api/v1/incidents", `{"note": "live"}`)
	decodeJSON(t, r, &created)
	syncRecorder(t, fx.live.rec)
	var inc dashcam.Incident
	decodeJSON(t, live.get(t, fmt.Sprintf("/api/v1/incidents/%d", created.ID)), &inc)
	if inc.State != dashcam.StateRecording {
		t.Fatalf("live incident %+v", inc)
	}
	r = live.get(t, fmt.Sprintf("/api/v1/incidents/%d/pcapng", created.ID))
	f = readPcapngFile(t, r.body)
	if r.status != 200 || !strings.Contains(f.comment, "(recording)") {
		t.Errorf("recording export: %d, comment %q", r.status, f.comment)
	}
	sameFrames(t, "recording incident", f.frames, bufferFrames(fx.fb.buf, 0, 1<<62, nil))
}

func TestIncidentDelete(t *testing.T) {
	fx := newDashcamFixture(t)
	m := serveMem(t, Config{}, fx.done, memOpts{})
	path := fmt.Sprintf("/api/v1/incidents/%d", fx.inc1)
	r := m.send(t, "DELETE", path, "")
	if r.status != 204 || len(r.body) != 0 {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	checkError(t, m.get(t, path), 404, "no incident")
	checkError(t, m.get(t, path+"/pcapng"), 404, "no incident")
	checkError(t, m.send(t, "DELETE", path, ""), 404, "no incident")
	checkError(t, m.send(t, "DELETE", "/api/v1/incidents/nine", ""), 400, `"nine"`)
	var list []dashcam.Incident
	decodeJSON(t, m.get(t, "/api/v1/incidents"), &list)
	if len(list) != 1 || list[0].ID != fx.inc2 {
		t.Errorf("after delete: %+v", list)
	}
	if _, err := fx.done.store.Incident(fx.inc1); err != dashcam.ErrNotFound {
		t.Errorf("store still holds incident %d: %v", fx.inc1, err)
	}

	// Still recording: 409.
	live := serveMem(t, Config{}, fx.live, memOpts{})
	var created struct{ ID uint64 }
	decodeJSON(t, live.send(t, "POST", "/api/v1/incidents", ""), &created)
	checkError(t, live.send(t, "DELETE", fmt.Sprintf("/api/v1/incidents/%d", created.ID), ""), 409, "still recording")
	if _, err := fx.live.store.Incident(created.ID); err != nil {
		t.Errorf("recording incident gone: %v", err)
	}
}

func TestIncidentTrigger(t *testing.T) {
	fx := newDashcamFixture(t)
	m := serveMem(t, Config{}, fx.live, memOpts{})

	r := m.send(t, "POST", "/api/v1/incidents", fmt.Sprintf(`{"note": "operator saw a step", "scopes": [%q]}`, fx.scope2))
	if r.status != 201 || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	var created struct{ ID uint64 }
	decodeJSON(t, r, &created)
	if created.ID == 0 || r.header.Get("Location") != fmt.Sprintf("/api/v1/incidents/%d", created.ID) {
		t.Errorf("created %s, Location %q", r.body, r.header.Get("Location"))
	}
	var inc dashcam.Incident
	decodeJSON(t, m.get(t, fmt.Sprintf("/api/v1/incidents/%d", created.ID)), &inc)
	newest := fx.fb.buf.Stats().Newest
	if !slices.Equal(inc.Scopes, []string{fx.scope2}) || len(inc.Triggers) != 1 || inc.Triggers[0].Detail != "operator saw a step" ||
		inc.Triggers[0].Type != dashcam.ManualTrigger || inc.Triggers[0].Time != newest {
		t.Errorf("incident %+v", inc)
	}
	// A second trigger, for every scope, extends the incident recording.
	r = m.send(t, "POST", "/api/v1/incidents", "{}")
	var again struct{ ID uint64 }
	decodeJSON(t, r, &again)
	if r.status != 201 || again.ID != created.ID {
		t.Errorf("second trigger: %d %s", r.status, r.body)
	}

	for _, c := range []struct{ body, want string }{
		{`{"note": "x"`, "JSON object"},
		{`["scope"]`, "JSON object"},
		{`{"note": 5}`, "JSON object"},
		{`{"scope": ["a"]}`, "unknown field"},
		{`{} {}`, "more than one JSON value"},
		{`{"scopes": [""]}`, "empty scope name"},
		{`{"note": "a\nb"}`, "control characters"},
		{`{"note": "` + strings.Repeat("n", MaxTriggerNote+1) + `"}`, "limit"},
		{`{"scopes": ["no such scope"]}`, "no such scope"},
	} {
		t.Run(c.body[:min(len(c.body), 20)], func(t *testing.T) {
			checkError(t, m.send(t, "POST", "/api/v1/incidents", c.body), 400, c.want)
		})
	}
	checkError(t, m.send(t, "POST", "/api/v1/incidents", strings.Repeat(" ", MaxTriggerBody+1)), 413)

	// Disk trouble pauses the store: 503.
	paused := openStore(t, dashcam.Options{Store: store.Options{MinFreeBytes: 1 << 62}})
	prec := dashcam.NewRecorder(paused, fx.fb.buf, dashcam.RecorderOptions{Triggers: []state.EventType{}, HandoffBytes: 1 << 16})
	runRecorder(t, prec)
	pm := serveMem(t, Config{}, &dashcamBackend{fx.fb, paused, prec}, memOpts{})
	checkError(t, pm.send(t, "POST", "/api/v1/incidents", `{"note": "disk full"}`), 503, "paused", "disk nearly full")
	if r := pm.get(t, "/api/v1/incidents"); r.status != 200 {
		t.Errorf("listing a paused store: %d %s", r.status, r.body)
	}

	// A store without a recorder: 501 for POST, reading works.
	nr := serveMem(t, Config{}, &dashcamBackend{fx.fb, fx.done.store, nil}, memOpts{})
	checkError(t, nr.send(t, "POST", "/api/v1/incidents", "{}"), 501, "no dashcam recorder")
	if r := nr.get(t, fmt.Sprintf("/api/v1/incidents/%d", fx.inc1)); r.status != 200 {
		t.Errorf("GET without recorder: %d", r.status)
	}

	// A recorder that does not run does not take the trigger: 503 after
	// triggerTimeout.
	old := triggerTimeout
	triggerTimeout = 100 * time.Millisecond
	t.Cleanup(func() { triggerTimeout = old })
	stopped := dashcam.NewRecorder(fx.done.store, fx.fb.buf, dashcam.RecorderOptions{Triggers: []state.EventType{}, HandoffBytes: 1 << 16})
	sm := serveMem(t, Config{}, &dashcamBackend{fx.fb, fx.done.store, stopped}, memOpts{})
	checkError(t, sm.send(t, "POST", "/api/v1/incidents", "{}"), 503, "did not take the trigger")
}

func TestIncidentAuth(t *testing.T) {
	fx := newDashcamFixture(t)
	adminHash, err := HashPassword("pw")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Users: []User{{"admin", RoleAdmin, adminHash}},
		Tokens: []Token{{"nms", RoleReadOnly, HashToken("read-token-0123456789")}}}
	admin := []string{"Authorization", basic("admin", "pw")}
	reader := []string{"Authorization", "Bearer read-token-0123456789"}
	for _, b := range []*dashcamBackend{fx.done, fx.live} {
		m := serveMem(t, cfg, b, memOpts{})
		for _, p := range []string{"/api/v1/incidents", "/api/v1/incidents/1", "/api/v1/incidents/1/pcapng",
			"/api/v1/archive.pcapng?from=0&to=1"} {
			checkError(t, m.get(t, p), 401)
		}
		checkError(t, m.send(t, "POST", "/api/v1/incidents", "{}", reader...), 403, "admin")
		checkError(t, m.send(t, "DELETE", fmt.Sprintf("/api/v1/incidents/%d", fx.inc1), "", reader...), 403, "admin")
		checkError(t, m.send(t, "POST", "/api/v1/incidents", "{}"), 401)
	}
	m := serveMem(t, cfg, fx.done, memOpts{})
	if r := m.get(t, "/api/v1/incidents", reader...); r.status != 200 {
		t.Errorf("read-only list: %d %s", r.status, r.body)
	}
	if r := m.get(t, fmt.Sprintf("/api/v1/incidents/%d/pcapng", fx.inc1), reader...); r.status != 200 {
		t.Errorf("read-only export: %d", r.status)
	}
	if r := m.send(t, "DELETE", fmt.Sprintf("/api/v1/incidents/%d", fx.inc1), "", admin...); r.status != 204 {
		t.Errorf("admin DELETE: %d %s", r.status, r.body)
	}
	live := serveMem(t, cfg, fx.live, memOpts{})
	if r := live.send(t, "POST", "/api/v1/incidents", "", admin...); r.status != 201 {
		t.Errorf("admin POST: %d %s", r.status, r.body)
	}
}

func TestArchivePcapng(t *testing.T) {
	fx := newDashcamFixture(t)
	m := serveMem(t, Config{}, fx.done, memOpts{})
	st := fx.fb.buf.Stats()
	if st.Frames != 242 || st.Evicted != 0 {
		t.Fatalf("fixture buffer %+v", st)
	}
	rfc := func(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }

	// Everything, as RFC 3339.
	r := m.get(t, "/api/v1/archive.pcapng?from="+rfc(st.Oldest)+"&to="+rfc(st.Newest))
	if r.status != 200 || r.header.Get("Content-Type") != "application/x-pcapng" {
		t.Fatalf("archive: %d %q %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="ptpwatch-archive-20231114T221320Z.pcapng"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	f := readPcapngFile(t, r.body)
	sameFrames(t, "whole archive", f.frames, bufferFrames(fx.fb.buf, st.Oldest, st.Newest, nil))
	if !strings.HasPrefix(f.comment, "ptpwatch archive") {
		t.Errorf("section comment %q", f.comment)
	}

	// Part, from RFC 3339 to integer ns; both ends inclusive.
	from, to := st.Oldest+50e6, st.Oldest+150e6
	r = m.get(t, fmt.Sprintf("/api/v1/archive.pcapng?from=%s&to=%d", rfc(from), to))
	f = readPcapngFile(t, r.body)
	sameFrames(t, "archive part", f.frames, bufferFrames(fx.fb.buf, from, to, nil))
	if len(f.frames) != 101 || f.times[0] != from || f.times[100] != to {
		t.Errorf("archive part: %d frames, %d to %d", len(f.frames), f.times[0], f.times[len(f.times)-1])
	}
	// A range without frames is a valid empty file.
	r = m.get(t, "/api/v1/archive.pcapng?from=2001-01-01T00:00:00Z&to=2001-01-02T00:00:00Z")
	if f := readPcapngFile(t, r.body); r.status != 200 || len(f.frames) != 0 {
		t.Errorf("empty range: %d, %d frames", r.status, len(f.frames))
	}

	for _, c := range []struct{ query, want string }{
		{"", "both required"},
		{"?from=0", "both required"},
		{"?to=0", "both required"},
		{"?from=yesterday&to=0", `"yesterday"`},
		{"?from=0&to=2024-13-01T00:00:00Z", `"to"`},
		{"?from=2024-05-01T12:00:00Z&to=2024-05-01T11:00:00Z", "after"},
		{"?from=10&to=9", "after"},
		{"?from=0&to=1&limit=5", "unknown parameter"},
	} {
		checkError(t, m.get(t, "/api/v1/archive.pcapng"+c.query), 400, c.want)
	}
}

// noDashcam implements Dashcam without a store.
type noDashcam struct{ *fixtureBackend }

func (noDashcam) Dashcam() (*dashcam.Store, *dashcam.Recorder) { return nil, nil }

func TestDashcamNoStore(t *testing.T) {
	for _, b := range []Backend{shared(t), noDashcam{shared(t)}} {
		m := serveMem(t, Config{}, b, memOpts{})
		for _, c := range []struct{ method, path, body string }{
			{"GET", "/api/v1/incidents", ""},
			{"POST", "/api/v1/incidents", "{}"},
			{"GET", "/api/v1/incidents/1", ""},
			{"DELETE", "/api/v1/incidents/1", ""},
			{"GET", "/api/v1/incidents/1/pcapng", ""},
			{"GET", "/api/v1/archive.pcapng?from=0&to=1", ""},
		} {
			checkError(t, m.send(t, c.method, c.path, c.body), 404, "no dashcam store: start ptpwatch with --data DIR")
		}
	}
}

// TestDashcamExportsEnd checks that exports let go of the store: the
// count Shutdown waits for drops to zero once a download is read, and an
// export running when Shutdown begins ends at its next write.
func TestDashcamExportsEnd(t *testing.T) {
	fx := newDashcamFixture(t)
	m := serveMem(t, Config{}, fx.done, memOpts{})
	for range 3 {
		if r := m.get(t, fmt.Sprintf("/api/v1/incidents/%d/pcapng", fx.inc1)); r.status != 200 {
			t.Fatalf("export: %d", r.status)
		}
	}
	if n := m.s.exports.Load(); n != 0 {
		t.Errorf("%d exports still counted", n)
	}
	done := make(chan struct{})
	close(done)
	var buf bytes.Buffer
	if _, err := fx.done.store.ExportIncident(fx.inc1, abortWriter{&buf, done}, nil); !errors.Is(err, errShutdown) {
		t.Errorf("export after shutdown: %v", err)
	}
}
