package httpd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/ptpwatch/ptpwatch/state"
)

// eventsBody is an answer of GET /api/v1/events.
type eventsBody struct {
	Events []state.Event `json:"events"`
	Next   uint64        `json:"next"`
}

// UnmarshalJSON of Severity is not defined; read it through a mirror.
func decodeEvents(t testing.TB, body []byte) (seqs []uint64, next uint64) {
	t.Helper()
	var v struct {
		Events []struct {
			Seq uint64 `json:"seq"`
		} `json:"events"`
		Next uint64 `json:"next"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("answer is not JSON (%v): %.300s", err, body)
	}
	for _, e := range v.Events {
		seqs = append(seqs, e.Seq)
	}
	return seqs, v.Next
}

// eventLogBackend serves a fixture backend's data with a log of n events.
func eventLogBackend(t testing.TB, n int) *fixtureBackend {
	b := *shared(t)
	b.events = state.NewEventLog(0)
	for i := range n {
		b.events.Add(state.Event{Time: int64(i + 1), Type: state.SequenceGap, Scope: "seg0 v2 domain 0 UDP/IPv4",
			Subject: "ec4670.fffe.000001-1", Before: strconv.Itoa(i), After: strconv.Itoa(i + 3), Detail: "Sync: 2 sequenceId(s) missing"})
	}
	return &b
}

func TestAppendEventMatchesEncodingJSON(t *testing.T) {
	for _, e := range []state.Event{
		{},
		{Seq: 1, Time: -5, Type: state.MasterSilent, Severity: state.Critical},
		{Seq: 1<<64 - 1, Time: 1 << 62, Type: "x", Scope: "s", Subject: "a", Before: "b", After: "c", Detail: "d"},
		{Seq: 7, Type: state.PortStateChanged, Detail: "quote \" backslash \\ <tag> & \n\r\t \x00\x1f \x7f"},
		{Seq: 8, Type: "ünïcødé", Subject: "\u2028\u2029 € 𝄞", Before: "bad \xff\xfe utf-8 \xe2\x82"},
		{Seq: 9, Severity: 9, After: "severity out of range"},
	} {
		want, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendEvent(nil, &e); !bytes.Equal(got, want) {
			t.Errorf("appendEvent\n got %s\nwant %s", got, want)
		}
	}
}

// TestEventsAfter checks after values, the largest uint64 among them (it
// once wrapped to 0 and answered the whole log).
func TestEventsAfter(t *testing.T) {
	b := eventLogBackend(t, 50)
	m := serveMem(t, Config{}, b, memOpts{})
	for _, tc := range []struct {
		after  string
		status int
		n      int
		first  uint64
	}{
		{"0", 200, 50, 1},
		{"10", 200, 40, 11},
		{"49", 200, 1, 50},
		{"50", 200, 0, 0},
		{"51", 200, 0, 0},
		{"9223372036854775807", 200, 0, 0},
		{"18446744073709551614", 200, 0, 0},
		{"18446744073709551615", 200, 0, 0},
		{"18446744073709551616", 400, 0, 0}, // beyond uint64
		{"-1", 400, 0, 0},
		{"-18446744073709551615", 400, 0, 0},
		{"x", 400, 0, 0},
		{"1e3", 400, 0, 0},
		{"", 400, 0, 0},
		{"%205", 400, 0, 0}, // " 5"
	} {
		t.Run(tc.after, func(t *testing.T) {
			r := m.get(t, "/api/v1/events?after="+tc.after)
			if tc.status != 200 {
				checkError(t, r, tc.status, `"after"`)
				return
			}
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			seqs, next := decodeEvents(t, r.body)
			if len(seqs) != tc.n || next != 0 || (tc.n > 0 && seqs[0] != tc.first) {
				t.Errorf("%d events from %v, next %d; want %d from %d", len(seqs), seqs[:min(1, len(seqs))], next, tc.n, tc.first)
			}
		})
	}
}

// TestEventsPages: no answer holds more than MaxEventPage events, however
// many are asked for; next leads through all of them once, in order.
func TestEventsPages(t *testing.T) {
	const total = 2*MaxEventPage + 1234
	b := eventLogBackend(t, total)
	m := serveMem(t, Config{}, b, memOpts{})
	for _, tc := range []struct {
		name, query string
		page        int
	}{
		{"default limit", "", defaultEventLimit},
		{"limit above the page", "limit=100000", MaxEventPage},
		{"the largest limit", "limit=18446744073709551615", MaxEventPage},
		{"limit below the page", "limit=777", 777},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var after uint64
			var all []uint64
			for pages := 0; ; pages++ {
				if pages > total/tc.page+2 {
					t.Fatal("next does not end")
				}
				r := m.get(t, fmt.Sprintf("/api/v1/events?%s&after=%d", tc.query, after))
				if r.status != 200 {
					t.Fatalf("%d %s", r.status, r.body)
				}
				seqs, next := decodeEvents(t, r.body)
				if len(seqs) > tc.page {
					t.Fatalf("a page of %d events, want at most %d", len(seqs), tc.page)
				}
				all = append(all, seqs...)
				if next == 0 {
					break
				}
				if next != seqs[len(seqs)-1] || len(seqs) != tc.page {
					t.Fatalf("next %d after a page of %d ending at %d", next, len(seqs), seqs[len(seqs)-1])
				}
				after = next
			}
			if len(all) != total {
				t.Fatalf("%d events through the pages, want %d", len(all), total)
			}
			for i, s := range all {
				if s != uint64(i+1) {
					t.Fatalf("event %d has seq %d", i, s)
				}
			}
		})
	}
	r := m.get(t, "/api/v1/events?tail=100000")
	seqs, next := decodeEvents(t, r.body)
	if len(seqs) != MaxEventPage || seqs[0] != total-MaxEventPage+1 || seqs[len(seqs)-1] != total || next != 0 {
		t.Errorf("tail=100000: %d events from %d, next %d", len(seqs), seqs[0], next)
	}
	// A filter matching nothing scans the whole log and answers nothing.
	r = m.get(t, "/api/v1/events?type=Master_Silent&limit=100000")
	if seqs, next := decodeEvents(t, r.body); len(seqs) != 0 || next != 0 {
		t.Errorf("no match: %d events, next %d", len(seqs), next)
	}
}

// TestEventsMemoryPerRequest: an answer of MaxEventPage events (about
// 2 MB of JSON) is encoded slice by slice into the connection, so a
// request allocates a small, fixed amount, not the page, let alone the
// log.
func TestEventsMemoryPerRequest(t *testing.T) {
	b := eventLogBackend(t, state.DefaultEventLogSize)
	s, err := New(Config{}, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000}
	read := func() int64 {
		var req fasthttp.Request
		req.SetRequestURI("http://127.0.0.1:8319/api/v1/events?limit=100000")
		req.Header.SetHost("127.0.0.1:8319")
		var ctx fasthttp.RequestCtx
		ctx.Init(&req, addr, nil)
		s.handle(&ctx)
		if ctx.Response.StatusCode() != 200 {
			t.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
		var n countWriter
		if err := ctx.Response.BodyWriteTo(&n); err != nil {
			t.Fatal(err)
		}
		return int64(n)
	}
	size := read()
	const runs = 20
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	for range runs {
		read()
	}
	runtime.ReadMemStats(&m1)
	perReq := int64(m1.TotalAlloc-m0.TotalAlloc) / runs
	t.Logf("a page of %d events: %d bytes of JSON, %d bytes allocated per request", MaxEventPage, size, perReq)
	if size < MaxEventPage*100 {
		t.Fatalf("answer of only %d bytes", size)
	}
	if perReq > 256<<10 {
		t.Errorf("%d bytes allocated per request, want at most 256 KiB", perReq)
	}
}

type countWriter int64

func (w *countWriter) Write(p []byte) (int, error) { *w += countWriter(len(p)); return len(p), nil }

// TestEventsHeavyReadsTakeTurns: however many clients read at once, at
// most HeavyReads of them scan and encode at a time, and all get complete
// answers.
func TestEventsHeavyReadsTakeTurns(t *testing.T) {
	b := eventLogBackend(t, 30_000)
	m := serveMem(t, Config{HeavyReads: 1}, b, memOpts{})
	var wg sync.WaitGroup
	maxHeld := 0
	var mu sync.Mutex
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			mu.Lock()
			maxHeld = max(maxHeld, len(m.s.heavy))
			mu.Unlock()
			runtime.Gosched()
		}
	}()
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := m.client.Get(m.base + "/api/v1/events?limit=10000&after=5000")
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if seqs, next := decodeEvents(t, body); len(seqs) != MaxEventPage || next != 15_000 {
				t.Errorf("%d events, next %d", len(seqs), next)
			}
		}()
	}
	wg.Wait()
	close(stop)
	if cap(m.s.heavy) != 1 || maxHeld > 1 {
		t.Errorf("%d heavy reads at once, limit %d", maxHeld, cap(m.s.heavy))
	}
}
