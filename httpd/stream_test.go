package httpd

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
)

// sseEvent is one parsed server-sent event.
type sseEvent struct {
	id, event, data string
}

// sseReader parses a text/event-stream body.
type sseReader struct {
	sc *bufio.Scanner
}

func (r *sseReader) next() (sseEvent, error) {
	var e sseEvent
	for r.sc.Scan() {
		line := r.sc.Text()
		switch {
		case line == "":
			if e.event != "" || e.data != "" {
				return e, nil
			}
		case strings.HasPrefix(line, ":"), strings.HasPrefix(line, "retry:"):
		case strings.HasPrefix(line, "id: "):
			e.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			e.event = line[7:]
		case strings.HasPrefix(line, "data: "):
			e.data += line[6:]
		}
	}
	if err := r.sc.Err(); err != nil {
		return e, err
	}
	return e, io.EOF
}

// nextOf skips to the next event of kind.
func (r *sseReader) nextOf(t *testing.T, kind string) sseEvent {
	t.Helper()
	for {
		e, err := r.next()
		if err != nil {
			t.Fatalf("waiting for a %s event: %v", kind, err)
		}
		if e.event == kind {
			return e
		}
	}
}

// openStream connects to the event stream; hdr holds name, value pairs.
func openStream(t *testing.T, m *memServer, query string, hdr ...string) (*http.Response, *sseReader) {
	t.Helper()
	req, _ := http.NewRequest("GET", m.base+"/api/v1/events/stream"+query, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	c := *m.client
	c.Timeout = 0 // streams are long; the test's own deadlines apply
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp, &sseReader{bufio.NewScanner(resp.Body)}
}

func TestEventStream(t *testing.T) {
	b := newFixtureBackend(t)
	m := serveMem(t, Config{SummaryInterval: 50 * time.Millisecond}, b, memOpts{})
	resp, r := openStream(t, m, "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("stream answer %d %v", resp.StatusCode, resp.Header)
	}
	// The summary comes first, and again each interval.
	e := r.nextOf(t, "summary")
	var sum streamSummary
	if err := json.Unmarshal([]byte(e.data), &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Scopes) != len(b.snap.Scopes) || sum.Devices != len(b.snap.Devices) || sum.Buffer == nil || sum.Counters["received"] == 0 {
		t.Errorf("summary %+v", sum)
	}
	var total uint64
	for _, sc := range sum.Scopes {
		total += sc.Total
		if sc.Rates == nil {
			t.Errorf("scope %s: rates null", sc.Name)
		}
	}
	if total != b.counters["decoded"] {
		t.Errorf("scope totals %d, decoded %d", total, b.counters["decoded"])
	}
	r.nextOf(t, "summary")

	// Model events arrive as they happen, with their seq as id.
	b.events.Add(state.Event{Time: 1, Type: state.GrandmasterChanged, Scope: "s", Subject: "x", Before: "a", After: "b"})
	e = r.nextOf(t, "model")
	var ev struct {
		Seq      uint64
		Type     state.EventType
		Severity string
	}
	if err := json.Unmarshal([]byte(e.data), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != state.GrandmasterChanged || e.id != strconv.FormatUint(ev.Seq, 10) || ev.Severity != "critical" {
		t.Errorf("model event %+v id %s", ev, e.id)
	}
	last := ev.Seq
	for i := range 3 {
		b.events.Add(state.Event{Time: int64(i), Type: state.SequenceGap, Subject: strconv.Itoa(i)})
	}
	for i := range 3 {
		e = r.nextOf(t, "model")
		if e.id != strconv.FormatUint(last+1+uint64(i), 10) {
			t.Errorf("event %d has id %s", i, e.id)
		}
	}

	// A reconnecting EventSource sends Last-Event-ID and gets what it
	// missed first; ?after does the same.
	_, r2 := openStream(t, m, "", "Last-Event-ID", strconv.FormatUint(last+1, 10))
	for _, want := range []uint64{last + 2, last + 3} {
		if e := r2.nextOf(t, "model"); e.id != strconv.FormatUint(want, 10) {
			t.Errorf("replay: id %s, want %d", e.id, want)
		}
	}
	_, r3 := openStream(t, m, "?after="+strconv.FormatUint(last+2, 10))
	if e := r3.nextOf(t, "model"); e.id != strconv.FormatUint(last+3, 10) {
		t.Errorf("after: id %s", e.id)
	}
	// Then live events, each once.
	b.events.Add(state.Event{Type: state.MasterSilent})
	if e := r3.nextOf(t, "model"); e.id != strconv.FormatUint(last+4, 10) {
		t.Errorf("live after replay: id %s", e.id)
	}

	checkError(t, m.get(t, "/api/v1/events/stream?after=x"), 400, `"after"`)
	checkError(t, m.get(t, "/api/v1/events/stream", "Last-Event-ID", "nope"), 400, "Last-Event-ID")
	checkError(t, m.get(t, "/api/v1/events/stream?type=Sync"), 400, `"type"`)
}

func TestEventStreamEnds(t *testing.T) {
	m := serveMem(t, Config{SummaryInterval: 20 * time.Millisecond}, newFixtureBackend(t), memOpts{})

	// A client that goes away is noticed at the next write.
	resp, r := openStream(t, m, "")
	r.nextOf(t, "summary")
	waitFor(t, "one client", func() bool { return m.s.hub.count() == 1 })
	resp.Body.Close()
	waitFor(t, "the client to be dropped", func() bool { return m.s.hub.count() == 0 })

	// Shutdown ends open streams promptly.
	_, r = openStream(t, m, "")
	r.nextOf(t, "summary")
	_, r2 := openStream(t, m, "")
	r2.nextOf(t, "summary")
	ended := make(chan error, 2)
	for _, rd := range []*sseReader{r, r2} {
		go func() {
			for {
				if _, err := rd.next(); err != nil {
					ended <- err
					return
				}
			}
		}()
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with open streams: %v", err)
	}
	for range 2 {
		select {
		case <-ended:
		case <-time.After(5 * time.Second):
			t.Fatal("a stream did not end after Shutdown")
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
}

func TestEventStreamLimit(t *testing.T) {
	m := serveMem(t, Config{MaxStreams: 1}, newFixtureBackend(t), memOpts{})
	_, r := openStream(t, m, "")
	r.nextOf(t, "summary")
	checkError(t, m.get(t, "/api/v1/events/stream"), 503, "too many")
}

// TestEventStreamLimitPerClient: one address may hold at most
// MaxStreamsPerClient streams (429 beyond, saying why), others still get
// theirs, and a closed stream frees its place.
func TestEventStreamLimitPerClient(t *testing.T) {
	m := serveMem(t, Config{MaxStreams: 10, MaxStreamsPerClient: 2}, newFixtureBackend(t), memOpts{})
	var open []*http.Response
	for range 2 {
		resp, r := openStream(t, m, "")
		r.nextOf(t, "summary")
		open = append(open, resp)
	}
	r := m.get(t, "/api/v1/events/stream")
	checkError(t, r, 429, "per client address")
	if !strings.Contains(string(r.body), "127.0.0.1") {
		t.Errorf("the refusal does not name the address: %s", r.body)
	}
	// Another address is not affected.
	other := serveMemClient(m, net.IPv4(192, 0, 2, 7))
	resp, err := other.Get(m.base + "/api/v1/events/stream")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Errorf("another address got %d", resp.StatusCode)
	}
	resp.Body.Close()
	// Closing one frees a place for the first address.
	open[0].Body.Close()
	waitFor(t, "the closed stream to leave", func() bool { return m.s.hub.count() <= 1 })
	resp2, r2 := openStream(t, m, "")
	if resp2.StatusCode != 200 {
		t.Fatalf("after closing one: %d", resp2.StatusCode)
	}
	r2.nextOf(t, "summary")
	// The per-address limit never exceeds the total one.
	m.s.hub.mu.Lock()
	n := m.s.hub.perAddr[netip.MustParseAddr("127.0.0.1")]
	m.s.hub.mu.Unlock()
	if n != 2 {
		t.Errorf("127.0.0.1 holds %d streams by the hub's count", n)
	}
}

// TestHubNeverBlocks checks that stream clients that stop reading cost
// the model nothing: EventLog.Add never waits, and the laggards are
// dropped.
func TestHubNeverBlocks(t *testing.T) {
	b := newFixtureBackend(t)
	s, err := New(Config{SummaryInterval: time.Hour}, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	var clients []*streamClient
	for i := range 50 {
		c, err := s.hub.join(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}))
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	// The hub goroutine subscribes as it starts: events added before
	// that reach no one, and no client would fall behind.
	waitFor(t, "the hub to subscribe to the event log", func() bool { return b.events.Subscribers() > 0 })
	start := time.Now()
	n := 3 * streamClientBuffer
	for i := range n {
		b.events.Add(state.Event{Type: state.SequenceGap, Subject: strconv.Itoa(i)})
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("adding %d events with 50 stalled streams took %v", n, d)
	}
	for _, c := range clients {
		select {
		case <-c.kicked:
		case <-time.After(5 * time.Second):
			t.Fatal("a stalled client was not dropped")
		}
	}
	if s.hub.count() != 0 {
		t.Errorf("%d clients left", s.hub.count())
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
