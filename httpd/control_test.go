package httpd

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
)

// controlBackend can start and stop its capture.
type controlBackend struct {
	*fixtureBackend
	mu       sync.Mutex
	running  bool
	startErr error
}

func (b *controlBackend) StartCapture() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.startErr != nil {
		return b.startErr
	}
	b.running = true
	return nil
}

func (b *controlBackend) StopCapture() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.running = false
	return nil
}

func (b *controlBackend) CaptureStatus() any {
	b.mu.Lock()
	defer b.mu.Unlock()
	return map[string]any{"sources": []map[string]any{{"kind": "test", "running": b.running}}}
}

func TestCaptureControl(t *testing.T) {
	// Without CaptureController: 501.
	m := serveMem(t, Config{}, shared(t), memOpts{})
	checkError(t, m.send(t, "POST", "/api/v1/capture/stop", ""), 501, "cannot be started or stopped")
	checkError(t, m.send(t, "GET", "/api/v1/capture/start", ""), 405, "POST")

	b := &controlBackend{fixtureBackend: shared(t), running: true}
	adminHash, _ := HashPassword("pw")
	m = serveMem(t, Config{Users: []User{{"admin", RoleAdmin, adminHash}},
		Tokens: []Token{{"nms", RoleReadOnly, HashToken("read-token-0123456789")}}}, b, memOpts{})
	admin := []string{"Authorization", basic("admin", "pw")}
	checkError(t, m.send(t, "POST", "/api/v1/capture/stop", "", "Authorization", "Bearer read-token-0123456789"), 403, "admin")
	checkError(t, m.send(t, "POST", "/api/v1/capture/stop", ""), 401)
	r := m.send(t, "POST", "/api/v1/capture/stop", "", admin...)
	if r.status != 200 || !strings.Contains(string(r.body), `"running":false`) {
		t.Errorf("stop: %d %s", r.status, r.body)
	}
	r = m.send(t, "POST", "/api/v1/capture/start", "", admin...)
	if r.status != 200 || !strings.Contains(string(r.body), `"running":true`) {
		t.Errorf("start: %d %s", r.status, r.body)
	}
	// A failure to start is the service's (503, with the reason); a start
	// that conflicts with the capture's state is the client's (409).
	b.startErr = errors.New("the replay has ended")
	checkError(t, m.send(t, "POST", "/api/v1/capture/start", "", admin...), 503, "replay has ended")
	b.startErr = fmt.Errorf("start: %w", conflict("capture is already running"))
	checkError(t, m.send(t, "POST", "/api/v1/capture/start", "", admin...), 409, "already running")
}

// conflict is an error that says it conflicts with the capture's state,
// as state/pipeline's ErrRunning does.
type conflict string

func (e conflict) Error() string  { return string(e) }
func (e conflict) Conflict() bool { return true }

func TestInstanceFilters(t *testing.T) {
	b := shared(t)
	m := serveMem(t, Config{}, b, memOpts{})
	list := func(q string) []map[string]any {
		t.Helper()
		r := m.get(t, "/api/v1/instances?"+q)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", q, r.status, r.body)
		}
		var v []map[string]any
		decodeJSON(t, r, &v)
		return v
	}
	in := b.snap.Instances[0]
	want := 0
	for _, x := range b.snap.Instances {
		if x.ClockIdentity == in.ClockIdentity {
			want++
		}
	}
	if got := list("clockIdentity=" + strings.ToUpper(in.ClockIdentity)); len(got) != want || got[0]["clockIdentity"] != in.ClockIdentity {
		t.Errorf("clockIdentity: %d of %d", len(got), want)
	}
	sc := b.snap.Scopes[0]
	got := list(fmt.Sprintf("scope=%d", sc.ID))
	if len(got) != sc.Instances {
		t.Errorf("scope: %d, want %d", len(got), sc.Instances)
	}
	if byName := list("scope=" + strings.ReplaceAll(sc.Name, " ", "+")); len(byName) != len(got) {
		t.Errorf("scope by name: %d", len(byName))
	}
	st := in.PortState.String()
	for _, x := range list("portState=" + strings.ToLower(st)) {
		if x["portState"] != st {
			t.Errorf("portState filter let %v through", x["portState"])
		}
	}
	if got := list("clockIdentity=001122.3344.556677"); len(got) != 0 {
		t.Errorf("unknown device: %v", got)
	}
	checkError(t, m.get(t, "/api/v1/instances?clockIdentity=xyz"), 400, `"clockIdentity"`)
	checkError(t, m.get(t, "/api/v1/instances?scope=nosuch"), 400, `"scope"`)
	checkError(t, m.get(t, "/api/v1/instances?portState=SLEEPING"), 400, `"portState"`)
	checkError(t, m.get(t, "/api/v1/instances?limit=3"), 400, `"limit"`)
}

func TestEventsTail(t *testing.T) {
	b := shared(t)
	m := serveMem(t, Config{}, b, memOpts{})
	all := b.events.Events(0, 0)
	type ev struct {
		Seq uint64 `json:"seq"`
	}
	var body struct {
		Events []ev   `json:"events"`
		Next   uint64 `json:"next"`
	}
	decodeJSON(t, m.get(t, "/api/v1/events?tail=3"), &body)
	if len(body.Events) != 3 || body.Events[2].Seq != all[len(all)-1].Seq || body.Events[0].Seq != all[len(all)-3].Seq || body.Next != 0 {
		t.Errorf("tail=3: %+v", body)
	}
	typ := all[0].Type
	n := 0
	for _, e := range all {
		if e.Type == typ {
			n++
		}
	}
	body.Events = nil
	decodeJSON(t, m.get(t, "/api/v1/events?tail=100000&type="+strings.ReplaceAll(string(typ), " ", "_")), &body)
	if len(body.Events) != n {
		t.Errorf("tail with type: %d, want %d", len(body.Events), n)
	}
	checkError(t, m.get(t, "/api/v1/events?tail=0"), 400, `"tail"`)
	checkError(t, m.get(t, "/api/v1/events?tail=2&limit=2"), 400, `"tail"`)
}

func TestResponseCache(t *testing.T) {
	b := shared(t)
	m := serveMem(t, Config{}, b, memOpts{})
	r1 := m.get(t, "/api/v1/devices")
	r2 := m.get(t, "/api/v1/devices")
	tag := r1.header.Get("ETag")
	if tag == "" || tag != r2.header.Get("ETag") || !bytes.Equal(r1.body, r2.body) {
		t.Fatalf("ETags %q %q", tag, r2.header.Get("ETag"))
	}
	if r := m.get(t, "/api/v1/devices", "If-None-Match", tag); r.status != 304 || len(r.body) != 0 {
		t.Errorf("If-None-Match: %d %d bytes", r.status, len(r.body))
	}
	if r := m.get(t, "/api/v1/devices", "If-None-Match", `"other"`); r.status != 200 {
		t.Errorf("other tag: %d", r.status)
	}
	r := m.get(t, "/api/v1/devices", "Accept-Encoding", "gzip")
	if r.header.Get("Content-Encoding") != "gzip" || r.header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("no gzip: %v", r.header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Equal(plain, r1.body) {
		t.Error("gzip body differs")
	}
	// A metadata change shows at once, with a new tag.
	dev := b.snap.Devices[0].ClockIdentity
	m.send(t, "PUT", "/api/v1/devices/"+dev+"/metadata", `{"alias":"cached?"}`)
	r3 := m.get(t, "/api/v1/devices")
	if r3.header.Get("ETag") == tag || !strings.Contains(string(r3.body), "cached?") {
		t.Error("metadata change not visible")
	}
}
