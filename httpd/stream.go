package httpd

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/ptpwatch/ptpwatch/state"
)

// The live event stream, GET /api/v1/events/stream, in the server-sent
// events format (text/event-stream):
//
//	id: 42
//	event: model
//	data: {"seq":42,"type":"Port State Changed",...}
//
//	event: summary
//	data: {"time":...,"scopes":[...],"counters":{...},...}
//
// One hub goroutine per server subscribes to the model's event log and
// builds the summary once per interval, encoding each message once for
// every client; clients only copy bytes to their connection. The frame
// pipeline never waits for any of it: the event log hands events over
// without blocking, and the summary reads published snapshots. A client
// too slow to take its model events is disconnected; the browser's
// EventSource reconnects with Last-Event-ID and gets what it missed from
// the log.

// Defaults of the stream settings.
const (
	DefaultSummaryInterval = time.Second
	DefaultMaxStreams      = 256
	// DefaultMaxStreamsPerClient is Config.MaxStreamsPerClient's default.
	DefaultMaxStreamsPerClient = 16
	streamHeartbeat            = 15 * time.Second
	streamClientBuffer         = 1024 // messages queued per client
	maxStreamReplay            = 10_000
)

// streamMsg is one encoded message; seq is the model event's number, 0 for
// a summary.
type streamMsg struct {
	seq uint64
	b   []byte
}

type streamClient struct {
	ch     chan streamMsg
	kicked chan struct{} // closed when the client fell behind
	addr   netip.Addr    // the client's address, for the per-address limit
}

// hub fans the model's events and the periodic summary out to stream
// clients.
type hub struct {
	s       *Server
	once    sync.Once
	mu      sync.Mutex
	clients map[*streamClient]struct{}
	perAddr map[netip.Addr]int // clients by address
}

// Why join refused a client.
var (
	errTooManyStreams          = errors.New("too many event streams open")
	errTooManyStreamsForClient = errors.New("too many event streams open from this client address")
)

// join registers a client from addr, starting the hub on first use. It
// fails when the server has MaxStreams clients already, or addr has
// MaxStreamsPerClient.
func (h *hub) join(addr netip.Addr) (*streamClient, error) {
	h.once.Do(func() { go h.run() })
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.clients) >= h.s.cfg.MaxStreams {
		return nil, errTooManyStreams
	}
	if h.perAddr[addr] >= h.s.cfg.MaxStreamsPerClient {
		return nil, errTooManyStreamsForClient
	}
	if h.clients == nil {
		h.clients, h.perAddr = map[*streamClient]struct{}{}, map[netip.Addr]int{}
	}
	c := &streamClient{ch: make(chan streamMsg, streamClientBuffer), kicked: make(chan struct{}), addr: addr}
	h.clients[c] = struct{}{}
	h.perAddr[addr]++
	return c, nil
}

// remove drops c; h.mu is held.
func (h *hub) remove(c *streamClient) {
	if _, ok := h.clients[c]; !ok {
		return
	}
	delete(h.clients, c)
	if h.perAddr[c.addr]--; h.perAddr[c.addr] <= 0 {
		delete(h.perAddr, c.addr)
	}
}

func (h *hub) leave(c *streamClient) {
	h.mu.Lock()
	h.remove(c)
	h.mu.Unlock()
}

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// broadcast queues m for every client. A client whose queue is full
// misses a summary, or is disconnected for a model event (it will catch
// up from the log when it reconnects).
func (h *hub) broadcast(m streamMsg) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		select {
		case c.ch <- m:
		default:
			if m.seq != 0 {
				close(c.kicked)
				h.remove(c)
			}
		}
	}
}

func (h *hub) run() {
	s := h.s
	var events chan state.Event
	if l := s.b.Events(); l != nil {
		events = l.Subscribe(4096)
		defer l.Unsubscribe(events)
	}
	tick := time.NewTicker(s.cfg.SummaryInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.done:
			return
		case e, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			h.broadcast(eventMessage(e))
		case <-tick.C:
			if h.count() > 0 {
				h.broadcast(streamMsg{b: s.summaryMessage()})
			}
		}
	}
}

// eventMessage encodes a model event.
func eventMessage(e state.Event) streamMsg {
	return streamMsg{seq: e.Seq, b: appendEventMessage(make([]byte, 0, 256), &e)}
}

// appendEventMessage appends a model event as a server-sent event.
func appendEventMessage(b []byte, e *state.Event) []byte {
	b = append(b, "id: "...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, "\nevent: model\ndata: "...)
	b = appendEvent(b, e)
	return append(b, "\n\n"...)
}

// scopeSummary is one scope in a summary.
type scopeSummary struct {
	ID          uint32 `json:"id"`
	Name        string `json:"name"`
	Grandmaster string `json:"grandmaster,omitempty"`
	GMVendor    string `json:"grandmasterVendor,omitempty"`
	// GMInfo is the grandmaster as announced: its quality for the
	// Overview's cards.
	GMInfo    *state.GrandmasterInfo `json:"grandmasterInfo,omitempty"`
	GMChanges uint32                 `json:"grandmasterChanges"`
	Masters   int                    `json:"masters"`
	Followers int                    `json:"followers"`
	Instances int                    `json:"instances"`
	Total     uint64                 `json:"total"`
	Rates     map[string]uint32      `json:"rates"`
	LastSeen  int64                  `json:"lastSeen"`
	// Problems are the scope's active problems (state.Scope.Problems),
	// which the Overview's cards list.
	Problems []state.Problem `json:"problems,omitempty"`
}

// summary is the periodic message: what the overview and status bar show.
type streamSummary struct {
	Time      int64             `json:"time"`   // the snapshot's model time, ns
	Server    int64             `json:"server"` // wall clock when built, ns
	Frames    uint64            `json:"frames"`
	Counters  map[string]uint64 `json:"counters"`
	Buffer    *bufferStats      `json:"buffer"`
	Capture   any               `json:"capture"`
	Devices   int               `json:"devices"`
	Instances int               `json:"instances"`
	Scopes    []scopeSummary    `json:"scopes"`
	Streams   int               `json:"streams"` // clients connected to the stream
}

func (s *Server) buildSummary() streamSummary {
	snap := s.b.Snapshot()
	out := streamSummary{Time: snap.Time, Server: time.Now().UnixNano(), Frames: snap.Frames, Counters: s.b.Counters(),
		Buffer: s.bufferStats(), Capture: s.b.CaptureStatus(), Devices: len(snap.Devices), Instances: len(snap.Instances),
		Scopes: make([]scopeSummary, 0, len(snap.Scopes)), Streams: s.hub.count()}
	for i := range snap.Scopes {
		sc := &snap.Scopes[i]
		ss := scopeSummary{ID: sc.ID, Name: sc.Name, GMChanges: sc.GMChanges, Masters: sc.Masters, Followers: sc.Followers,
			Instances: sc.Instances, Rates: sc.Rates, LastSeen: sc.LastSeen, Problems: sc.Problems}
		if ss.Rates == nil {
			ss.Rates = map[string]uint32{}
		}
		if sc.Grandmaster != nil {
			ss.Grandmaster, ss.GMVendor, ss.GMInfo = sc.Grandmaster.GrandmasterIdentity, sc.Grandmaster.Vendor, sc.Grandmaster
		}
		for _, n := range sc.Counts {
			ss.Total += n
		}
		out.Scopes = append(out.Scopes, ss)
	}
	return out
}

func (s *Server) summaryMessage() []byte {
	j, err := json.Marshal(s.buildSummary())
	if err != nil {
		s.log.Warn("encoding the stream summary", "err", err)
		return nil
	}
	b := make([]byte, 0, len(j)+32)
	b = append(b, "event: summary\ndata: "...)
	b = append(b, j...)
	return append(b, "\n\n"...)
}

// eventStream serves GET /api/v1/events/stream.
func (s *Server) eventStream(c *call) error {
	var after uint64
	if v, ok, err := c.uintParam("after", 1<<63); err != nil {
		return err
	} else if ok {
		after = v
	} else if id := c.ctx.Request.Header.Peek("Last-Event-ID"); len(id) > 0 {
		v, err := strconv.ParseUint(string(id), 10, 64)
		if err != nil {
			return errorf(fasthttp.StatusBadRequest, "bad Last-Event-ID header %q: want the seq of a model event", id)
		}
		after = v
	}
	addr, _ := netip.AddrFromSlice(c.ctx.RemoteIP())
	cl, err := s.hub.join(addr.Unmap())
	switch {
	case errors.Is(err, errTooManyStreamsForClient):
		return errorf(fasthttp.StatusTooManyRequests,
			"too many event streams open from %s (the limit is %d per client address): close other tabs or clients following /api/v1/events/stream",
			addr.Unmap(), s.cfg.MaxStreamsPerClient)
	case err != nil:
		return errorf(fasthttp.StatusServiceUnavailable, "too many event streams open (the limit is %d)", s.cfg.MaxStreams)
	}
	ctx := c.ctx
	ctx.SetContentType("text/event-stream; charset=utf-8")
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-cache")
	ctx.Response.Header.Set("X-Accel-Buffering", "no")
	if string(ctx.Method()) == fasthttp.MethodHead {
		s.hub.leave(cl)
		return nil
	}
	replay := c.has("after") || len(ctx.Request.Header.Peek("Last-Event-ID")) > 0
	ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
		defer s.hub.leave(cl)
		s.streamTo(w, cl, after, replay)
	})
	return nil
}

// streamTo writes to one client until it goes away, falls behind or the
// server shuts down.
func (s *Server) streamTo(w *bufio.Writer, cl *streamClient, after uint64, replay bool) {
	last := after
	w.WriteString("retry: 2000\n\n")
	if l := s.b.Events(); replay && l != nil {
		// The newest maxStreamReplay events after after, read from a
		// snapshot (no lock, no copy of the log) a slice at a time in a
		// heavy-read slot.
		snap := l.Snapshot()
		seq := max(snap.From(after), snap.Next()-min(snap.Next(), maxStreamReplay))
		var b []byte
		for seq < snap.Next() {
			since, ok := s.heavySlot()
			if !ok {
				return
			}
			for ; seq < snap.Next() && len(b) < eventSliceBytes; seq++ {
				b = appendEventMessage(b, snap.At(seq))
				last = seq
			}
			s.heavyDone(since)
			if _, err := w.Write(b); err != nil {
				return
			}
			b = b[:0]
		}
	}
	w.Write(s.summaryMessage())
	if w.Flush() != nil {
		return
	}
	heartbeat := time.NewTicker(streamHeartbeat)
	defer heartbeat.Stop()
	for {
		select {
		case m := <-cl.ch:
			for {
				if m.seq == 0 || m.seq > last {
					w.Write(m.b)
					last = max(last, m.seq)
				}
				if len(cl.ch) == 0 {
					break
				}
				m = <-cl.ch
			}
		case <-heartbeat.C:
			w.WriteString(": keep-alive\n\n")
		case <-cl.kicked:
			return
		case <-s.done:
			return
		}
		if w.Flush() != nil {
			return // the client went away
		}
	}
}
