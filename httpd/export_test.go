package httpd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/ptpwatch/ptpwatch/decode/pcapng"
	"github.com/ptpwatch/ptpwatch/ring"
)

var (
	metricName = `[a-zA-Z_:][a-zA-Z0-9_:]*`
	labelPair  = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"`
	sampleLine = regexp.MustCompile(`^(` + metricName + `)(?:\{(` + labelPair + `(?:,` + labelPair + `)*)\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$`)
	helpLine   = regexp.MustCompile(`^# HELP (` + metricName + `) .+$`)
	typeLine   = regexp.MustCompile(`^# TYPE (` + metricName + `) (counter|gauge|histogram|summary|untyped)$`)
)

func TestMetrics(t *testing.T) {
	b := shared(t)
	base, _ := serve(t, Config{}, b)
	r := do(t, "GET", base+"/metrics", "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("status %d, Content-Type %q", r.status, r.header.Get("Content-Type"))
	}
	typed := map[string]string{}
	samples := map[string]int{}
	seen := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSuffix(string(r.body), "\n"), "\n") {
		switch {
		case helpLine.MatchString(line):
		case typeLine.MatchString(line):
			m := typeLine.FindStringSubmatch(line)
			if _, dup := typed[m[1]]; dup {
				t.Errorf("line %d: second TYPE for %s", i+1, m[1])
			}
			typed[m[1]] = m[2]
		case sampleLine.MatchString(line):
			m := sampleLine.FindStringSubmatch(line)
			if typed[m[1]] == "" {
				t.Errorf("line %d: sample of %s before its TYPE", i+1, m[1])
			}
			key := m[1] + "{" + m[2] + "}"
			if seen[key] {
				t.Errorf("line %d: duplicate series %s", i+1, key)
			}
			seen[key] = true
			samples[m[1]]++
		default:
			t.Errorf("line %d is not valid exposition format: %q", i+1, line)
		}
	}
	for _, name := range []string{"ptpwatch_packets_total", "ptpwatch_instances", "ptpwatch_frames_total",
		"ptpwatch_buffer_bytes", "ptpwatch_buffer_frames", "ptpwatch_events_total"} {
		if samples[name] == 0 {
			t.Errorf("no samples of %s", name)
		}
	}
	if _, ok := typed["ptpwatch_master_offset_seconds"]; !ok {
		t.Error("ptpwatch_master_offset_seconds not declared")
	}
	want := fmt.Sprintf("ptpwatch_buffer_frames %d\n", b.buf.Stats().Frames)
	if !strings.Contains(string(r.body), want) {
		t.Errorf("body lacks %q", want)
	}
}

// dropBackend adds live capture accounting to the fixture.
type dropBackend struct{ *fixtureBackend }

func (dropBackend) CaptureDrops() []InterfaceDrops {
	return []InterfaceDrops{
		{Interface: "eth1", Method: "af_xdp", Received: 1000, Drops: map[string]uint64{"handoff": 0, "no_buffer": 3}},
		{Interface: "eth2", Method: "af_packet", Received: 500, Drops: map[string]uint64{"handoff": 1, "ring_full": 2}},
	}
}

func TestMetricsCaptureDrops(t *testing.T) {
	base, _ := serve(t, Config{}, dropBackend{shared(t)})
	r := do(t, "GET", base+"/metrics", "")
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	for _, want := range []string{
		"# TYPE ptpwatch_capture_received_frames_total counter\n",
		`ptpwatch_capture_received_frames_total{interface="eth1",method="af_xdp"} 1000` + "\n",
		`ptpwatch_capture_dropped_frames_total{interface="eth1",method="af_xdp",cause="no_buffer"} 3` + "\n",
		`ptpwatch_capture_dropped_frames_total{interface="eth2",method="af_packet",cause="handoff"} 1` + "\n",
		`ptpwatch_capture_dropped_frames_total{interface="eth2",method="af_packet",cause="ring_full"} 2` + "\n",
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// Without live capture the families are absent.
	base2, _ := serve(t, Config{}, shared(t))
	if r := do(t, "GET", base2+"/metrics", ""); strings.Contains(string(r.body), "ptpwatch_capture_") {
		t.Error("capture families without live capture")
	}
}

func TestLabelEscaping(t *testing.T) {
	var m promWriter
	m.sample("x", 1, "a", "q\"b\\s\nn")
	if got, want := string(m.b), `x{a="q\"b\\s\nn"} 1`+"\n"; got != want || !sampleLine.MatchString(strings.TrimSuffix(got, "\n")) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func readPcapng(t *testing.T, data []byte) (n int, frames [][]byte) {
	t.Helper()
	rd, err := pcapng.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var p pcapng.Packet
	for {
		err := rd.Next(&p)
		if errors.Is(err, io.EOF) {
			return n, frames
		}
		if err != nil {
			t.Fatalf("packet %d: %v", n, err)
		}
		n++
		frames = append(frames, bytes.Clone(p.Data))
	}
}

func TestPcapng(t *testing.T) {
	b := shared(t)
	base, _ := serve(t, Config{}, b)
	r := do(t, "GET", base+"/api/v1/capture.pcapng", "")
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/x-pcapng" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := r.header.Get("Content-Disposition"); !regexp.MustCompile(`^attachment; filename="ptpwatch-[0-9TZ]+\.pcapng"$`).MatchString(cd) {
		t.Errorf("Content-Disposition %q", cd)
	}
	n, frames := readPcapng(t, r.body)
	st := b.buf.Stats()
	if n != int(st.Frames) {
		t.Errorf("pcapng holds %d frames, buffer %d", n, st.Frames)
	}
	var rec ring.Record
	b.buf.Get(st.First, &rec)
	if len(frames) > 0 && !bytes.Equal(frames[0], rec.Data) {
		t.Error("first frame differs from the buffer's")
	}
	// Filtered and limited.
	r = do(t, "GET", base+"/api/v1/capture.pcapng?type=Sync&limit=3", "")
	if n, _ := readPcapng(t, r.body); n != 3 {
		t.Errorf("type=Sync&limit=3: %d frames", n)
	}
	r = do(t, "GET", base+"/api/v1/capture.pcapng?type=Announce", "")
	var announces int
	b.buf.Scan(ring.Query{MessageType: 0xB, HasMessageType: true}, func(r *ring.Record) bool {
		if r.Version != 0 {
			announces++
		}
		return true
	})
	if n, _ := readPcapng(t, r.body); n != announces || n == 0 {
		t.Errorf("type=Announce: %d frames, want %d", n, announces)
	}
	// Nothing matching still gives a valid file.
	r = do(t, "GET", base+"/api/v1/capture.pcapng?after=99999999", "")
	if n, _ := readPcapng(t, r.body); n != 0 {
		t.Errorf("empty export: %d frames", n)
	}

	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Log("tshark not installed; skipping the tshark check")
		return
	}
	r = do(t, "GET", base+"/api/v1/capture.pcapng", "")
	path := filepath.Join(t.TempDir(), "export.pcapng")
	if err := os.WriteFile(path, r.body, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tshark, "-r", path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tshark: %v: %s", err, stderr.String())
	}
	var complaints []string
	for _, line := range strings.Split(stderr.String(), "\n") {
		if line != "" && !strings.Contains(line, `Running as user "root"`) {
			complaints = append(complaints, line)
		}
	}
	if len(complaints) > 0 {
		t.Errorf("tshark stderr: %s", strings.Join(complaints, "\n"))
	}
	if lines := strings.Count(stdout.String(), "\n"); lines != int(st.Frames) {
		t.Errorf("tshark listed %d frames, want %d", lines, st.Frames)
	}
}

// TestOpenAPICoverage keeps openapi.json and the route table in step.
func TestOpenAPICoverage(t *testing.T) {
	s, err := New(Config{}, shared(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	routed := map[string]bool{}
	for _, r := range s.Routes() {
		path := strings.ReplaceAll(r.Pattern, "...}", "}")
		key := r.Method + " " + path
		routed[key] = true
		if !documented[key] {
			t.Errorf("route %s is not in openapi.json", key)
			continue
		}
		// Every accepted query parameter is documented.
		var op struct {
			Parameters []struct {
				Ref  string `json:"$ref"`
				Name string `json:"name"`
				In   string `json:"in"`
			} `json:"parameters"`
		}
		json.Unmarshal(doc.Paths[path][strings.ToLower(r.Method)], &op)
		var names []string
		for _, p := range op.Parameters {
			if p.Ref != "" {
				names = append(names, p.Ref[strings.LastIndexByte(p.Ref, '/')+1:])
			} else if p.In == "query" {
				names = append(names, p.Name)
			}
		}
		for _, p := range r.Params {
			if !slices.Contains(names, p) {
				t.Errorf("%s: parameter %q not documented", key, p)
			}
		}
	}
	for key := range documented {
		if !routed[key] {
			t.Errorf("openapi.json lists %s, which no route serves", key)
		}
	}
	// And the server serves the document.
	base, _ := serve(t, Config{}, shared(t))
	if r := do(t, "GET", base+"/api/v1/openapi.json", ""); r.status != 200 || !bytes.Equal(r.body, openapiDoc) {
		t.Errorf("GET openapi.json: %d", r.status)
	}
}

// handleDirect runs the handler on an in-memory request.
func handleDirect(s *Server, method, uri string) *fasthttp.RequestCtx {
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI(uri)
	ctx := &fasthttp.RequestCtx{}
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, nil)
	s.handle(ctx)
	return ctx
}

func FuzzRequest(f *testing.F) {
	b := shared(f)
	s, err := New(Config{}, b, nil)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		"/api/v1/scopes/*/instances/*/portState", "/api/v1/devices/*/clockIdentity", "/api/v1/instances/*/counters/*/count",
		"/api/v1/packets?type=Sync&limit=3&src=10.0.0.1", "/api/v1/packets?from=2024-01-01T00:00:00Z&to=1", "/api/v1/events?severity=2&type=a,b",
		"/api/v1/packets/1", "/api/v1/stats/1/series?from=0", "/api/v1/instances/1/series?to=x", "/metrics", "/api/v1/../../etc/passwd",
		"/api/v1/scopes/%2A/instances", "/api/v1/instances/*/announce/flags/0", "/api/v1/capture.pcapng?limit=1",
	} {
		f.Add("GET", seed)
	}
	f.Add("POST", "/api/v1/scopes")
	f.Fuzz(func(t *testing.T, method, uri string) {
		if method != "GET" && method != "HEAD" {
			method = "PUT" // never POST capture/clear on the shared buffer
		}
		ctx := handleDirect(s, method, uri)
		code := ctx.Response.StatusCode()
		if code < 200 || code > 599 {
			t.Fatalf("%s %q: status %d", method, uri, code)
		}
		if code >= 400 {
			var e errorBody
			if err := json.Unmarshal(ctx.Response.Body(), &e); err != nil || e.Status != code || e.Error == "" {
				t.Fatalf("%s %q: status %d with body %q", method, uri, code, ctx.Response.Body())
			}
		} else if ct := string(ctx.Response.Header.ContentType()); strings.HasPrefix(ct, "application/json") && !ctx.Response.IsBodyStream() {
			if !json.Valid(ctx.Response.Body()) {
				t.Fatalf("%s %q: invalid JSON", method, uri)
			}
		}
	})
}

func BenchmarkScopes(b *testing.B) {
	s, err := New(Config{}, shared(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ctx := handleDirect(s, "GET", "/api/v1/scopes"); ctx.Response.StatusCode() != 200 {
			b.Fatal(ctx.Response.StatusCode())
		}
	}
}

func BenchmarkPackets(b *testing.B) {
	s, err := New(Config{}, shared(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ctx := handleDirect(s, "GET", "/api/v1/packets?limit=100"); ctx.Response.StatusCode() != 200 {
			b.Fatal(ctx.Response.StatusCode())
		}
	}
}

func BenchmarkWildcard(b *testing.B) {
	s, err := New(Config{}, shared(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ctx := handleDirect(s, "GET", "/api/v1/scopes/*/instances/*/portState"); ctx.Response.StatusCode() != 200 {
			b.Fatal(ctx.Response.StatusCode())
		}
	}
}
