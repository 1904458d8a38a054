package httpd

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/replay"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

const fixturePath = "../decode/testdata/fixture.pcapng"

// fixtureBackend is a Backend fed by running the decode fixture through
// the real pipeline into a model and a RAM buffer.
type fixtureBackend struct {
	snap     *state.Snapshot
	events   *state.EventLog
	buf      *ring.Buffer
	counters map[string]uint64
	ifaces   []Iface
	clearErr error
	mu       sync.Mutex
	cleared  int
}

func newFixtureBackend(t testing.TB) *fixtureBackend {
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
	var last int64
	links := map[uint16]decode.LinkType{}
	p.OnFrame = func(f *source.Frame, _ *decode.Frame, _ *state.Observation, _ bool) {
		last = max(last, f.Timestamp)
		links[f.Interface] = f.Link
	}
	if err := p.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	p.Tick(last)
	m.Shard(0).Publish()
	b := &fixtureBackend{snap: m.Snapshot(), events: m.Events, buf: buf, counters: map[string]uint64{
		"received": p.Counters.Received.Load(), "decoded": p.Counters.Decoded.Load(), "notPTP": p.Counters.NotPTP.Load(),
		"truncated": p.Counters.Truncated.Load(), "malformed": p.Counters.Malformed.Load(), "buffered": p.Counters.Buffered.Load(),
	}}
	for i, ifc := range src.Interfaces() {
		b.ifaces = append(b.ifaces, Iface{Name: ifc.Name, Link: links[uint16(i)]})
	}
	return b
}

func (b *fixtureBackend) Snapshot() *state.Snapshot   { return b.snap }
func (b *fixtureBackend) Events() *state.EventLog     { return b.events }
func (b *fixtureBackend) Buffer() *ring.Buffer        { return b.buf }
func (b *fixtureBackend) Counters() map[string]uint64 { return b.counters }
func (b *fixtureBackend) CaptureStatus() any {
	return map[string]any{"sources": []map[string]any{{"kind": "replay", "file": fixturePath, "running": false}}}
}
func (b *fixtureBackend) Interfaces() []Iface { return b.ifaces }
func (b *fixtureBackend) ClearBuffer() error {
	if b.clearErr != nil {
		return b.clearErr
	}
	b.mu.Lock()
	b.cleared++
	b.mu.Unlock()
	b.buf.Reset()
	return nil
}

var (
	sharedOnce    sync.Once
	sharedBackend *fixtureBackend
)

// shared returns one fixture backend for read-only tests.
func shared(t testing.TB) *fixtureBackend {
	sharedOnce.Do(func() { sharedBackend = newFixtureBackend(t) })
	if sharedBackend == nil {
		t.Fatal("fixture backend failed")
	}
	return sharedBackend
}

// serve starts a server for b on a loopback port and returns its base URL.
func serve(t testing.TB, cfg Config, b Backend) (string, *Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = ln.Addr().String()
	s, err := New(cfg, b, nil)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String(), s
}

var client = &http.Client{Timeout: 20 * time.Second}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// setHeaders sets hdr, header name and value pairs, on req; an empty value
// removes the header; "Host" sets the Host header. Writes carry WriteHeader, as the web UI sends it,
// unless hdr removes it.
func setHeaders(req *http.Request, hdr []string) {
	if isWrite([]byte(req.Method)) {
		req.Header.Set(WriteHeader, "1")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if strings.EqualFold(hdr[i], "Host") {
			req.Host = hdr[i+1]
			continue
		}
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
}

// do sends a request; hdr holds header name, value pairs.
func do(t testing.TB, method, url, body string, hdr ...string) reply {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	setHeaders(req, hdr)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}
