package httpd

import (
	_ "embed"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/ptpwatch/ptpwatch/state"
)

// Query parameters shared by the packet routes.
var packetParams = []string{"scope", "type", "instance", "src", "from", "to", "after", "limit"}

func (s *Server) routeTable() []route {
	get := func(pattern string, h func(*call) error, params ...string) route {
		return route{Method: fasthttp.MethodGet, Pattern: pattern, Params: params, handle: h}
	}
	put := func(pattern string, h func(*call) error) route {
		return route{Method: fasthttp.MethodPut, Pattern: pattern, handle: h}
	}
	post := func(pattern string, h func(*call) error) route {
		return route{Method: fasthttp.MethodPost, Pattern: pattern, handle: h}
	}
	rs := []route{
		get("/metrics", s.metrics),
		get("/api/v1/openapi.json", s.openapi),
		get("/api/v1/status", s.status),
		get("/api/v1/capture", s.capture),
		post("/api/v1/capture/clear", s.captureClear),
		post("/api/v1/capture/start", s.captureStart),
		post("/api/v1/capture/stop", s.captureStop),
		get("/api/v1/capture.pcapng", s.pcapng, packetParams...),
		get("/api/v1/segments", s.segments),
		get("/api/v1/health", s.health),
		get("/api/v1/health/topology", s.getTopology),
		put("/api/v1/health/topology", s.putTopology),
		get("/api/v1/health/{path...}", s.health),
		post("/api/v1/health/findings/{id}/acknowledge", s.acknowledgeFinding),
		get("/api/v1/hierarchy", s.hierarchy),
		get("/api/v1/scopes", s.walk),
		get("/api/v1/scopes/{id}", s.walk),
		get("/api/v1/scopes/{id}/instances", s.walk),
		get("/api/v1/scopes/{id}/{path...}", s.walk),
		get("/api/v1/devices", s.walk),
		get("/api/v1/devices/{clockIdentity}", s.walk),
		get("/api/v1/devices/{clockIdentity}/metadata", s.getMetadata),
		put("/api/v1/devices/{clockIdentity}/metadata", s.putMetadata),
		get("/api/v1/settings", s.getSettings),
		put("/api/v1/settings", s.putSettings),
		get("/api/v1/devices/{clockIdentity}/image", s.getImage),
		put("/api/v1/devices/{clockIdentity}/image", s.putImage),
		{Method: fasthttp.MethodDelete, Pattern: "/api/v1/devices/{clockIdentity}/image", handle: s.deleteImage},
		get("/api/v1/devices/{clockIdentity}/{path...}", s.walk),
		get("/api/v1/ports", s.walk),
		get("/api/v1/ports/{portIdentity}", s.walk),
		get("/api/v1/ports/{portIdentity}/{path...}", s.walk),
		get("/api/v1/instances", s.instances, "clockIdentity", "scope", "portState"),
		get("/api/v1/instances/{id}", s.walk),
		get("/api/v1/instances/{id}/series", s.instanceSeries, "from", "to"),
		get("/api/v1/instances/{id}/{path...}", s.walk),
		get("/api/v1/events", s.events, "type", "severity", "since", "until", "after", "limit", "tail"),
		get("/api/v1/events/stream", s.eventStream, "after"),
		get("/api/v1/stats", s.stats),
		get("/api/v1/stats/{scopeId}/series", s.scopeSeries, "from", "to"),
		get("/api/v1/packets", s.packets, slices.Concat(packetParams, []string{"tail"})...),
		get("/api/v1/packets/{n}", s.packet),
		get("/api/v1/incidents", s.listIncidents),
		post("/api/v1/incidents", s.triggerIncident),
		get("/api/v1/incidents/{id}", s.getIncident),
		{Method: fasthttp.MethodDelete, Pattern: "/api/v1/incidents/{id}", handle: s.deleteIncident},
		get("/api/v1/incidents/{id}/pcapng", s.incidentPcapng),
		get("/api/v1/archive.pcapng", s.archivePcapng, "from", "to"),
		get("/api/v1/management", s.getManagement),
		put("/api/v1/management", s.putManagement),
		post("/api/v1/management/sweep", s.postManagementSweep),
		get("/api/v1/management/plan", s.getManagementPlan),
		get("/api/v1/management/masters", s.getManagementMasters),
		post("/api/v1/management/query", s.postManagementQuery),
		get("/api/v1/notifications", s.notifications),
		post("/api/v1/notifications/test", s.testNotification),
		get("/api/v1/alarms", s.alarms),
		post("/api/v1/alarms/{name}/ack", s.ackAlarm),
		post("/api/v1/alarms/{name}/test", s.testAlarm),
		put("/api/v1/alarms/{name}", s.putAlarm),
		{Method: fasthttp.MethodDelete, Pattern: "/api/v1/alarms/{name}", handle: s.deleteAlarm},
		get("/api/v1/sites", s.sites),
		get("/api/v1/sites/{path...}", s.sites),
	}
	for i := range rs {
		rs[i].segs = splitPath(rs[i].Pattern)
	}
	return rs
}

//go:embed openapi.json
var openapiDoc []byte

func (s *Server) openapi(c *call) error {
	c.ctx.SetContentType("application/json")
	c.ctx.SetBody(openapiDoc)
	return nil
}

// walk serves the resource paths of scopes, devices, ports and instances. The
// encoded answer is kept with the snapshot's tree, so repeated requests
// for the same path cost a lookup until the model moves on.
func (s *Server) walk(c *call) error {
	t := s.currentTree()
	key := string(c.ctx.Path())
	e := t.cache.get(key)
	if e == nil {
		v, err := t.walk(splitPath(key)[2:]) // after api/v1
		if err != nil {
			return err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return errorf(fasthttp.StatusInternalServerError, "encoding the answer: %v", err)
		}
		e = t.cache.put(key, append(b, '\n'))
	}
	writeCached(c.ctx, e, "application/json")
	return nil
}

// instances serves /api/v1/instances, optionally filtered.
func (s *Server) instances(c *call) error {
	if !c.has("clockIdentity") && !c.has("scope") && !c.has("portState") {
		return s.walk(c)
	}
	t := s.currentTree()
	list := make([]*state.Instance, 0, len(t.snap.Instances))
	if c.has("clockIdentity") {
		k, ok := ParseClockIdentity(c.str("clockIdentity"))
		if !ok {
			return badParam("clockIdentity", c.str("clockIdentity"), "want sixteen hex digits such as ec4670.fffe.00a101")
		}
		list = append(list, t.instByDev[k]...)
	} else {
		for i := range t.snap.Instances {
			list = append(list, &t.snap.Instances[i])
		}
	}
	if c.has("scope") {
		v := c.str("scope")
		var sc *state.Scope
		if id, err := strconv.ParseUint(v, 10, 32); err == nil {
			sc = t.scopeByID[uint32(id)]
		}
		for i := range t.snap.Scopes {
			if sc == nil && t.snap.Scopes[i].Name == v {
				sc = &t.snap.Scopes[i]
			}
		}
		if sc == nil {
			return badParam("scope", v, "want a scope id (see /api/v1/scopes) or a scope name")
		}
		list = slices.DeleteFunc(list, func(in *state.Instance) bool { return in.ScopeID != sc.ID })
	}
	if c.has("portState") {
		v := strings.ToUpper(c.str("portState"))
		known := false
		for st := state.PortState(0); st <= state.StateSlave; st++ {
			known = known || st.String() == v
		}
		if !known {
			return badParam("portState", c.str("portState"), "want a portState such as MASTER, SLAVE, PASSIVE, LISTENING, UNCALIBRATED")
		}
		list = slices.DeleteFunc(list, func(in *state.Instance) bool { return in.PortState.String() != v })
	}
	return writeJSON(c.ctx, list)
}

func (s *Server) segments(c *call) error {
	return writeJSON(c.ctx, nonNil(s.currentTree().snap.Segments))
}

func (s *Server) hierarchy(c *call) error {
	return writeJSON(c.ctx, nonNil(s.currentTree().snap.Hierarchy))
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// bufferStats is ring.Stats with JSON names.
type bufferStats struct {
	Frames  uint64 `json:"frames"`
	Bytes   int64  `json:"bytes"`
	Limit   int64  `json:"limit"`
	Evicted uint64 `json:"evicted"`
	First   uint64 `json:"firstFrame"`
	Last    uint64 `json:"lastFrame"`
	Oldest  int64  `json:"oldest"`
	Newest  int64  `json:"newest"`
}

func (s *Server) bufferStats() *bufferStats {
	b := s.b.Buffer()
	if b == nil {
		return nil
	}
	st := b.Stats()
	return &bufferStats{st.Frames, st.Bytes, st.Limit, st.Evicted, st.First, st.Last, st.Oldest, st.Newest}
}

type captureBody struct {
	Status   any               `json:"status"`
	Counters map[string]uint64 `json:"counters"`
	Buffer   *bufferStats      `json:"buffer"`
}

func (s *Server) capture(c *call) error {
	return writeJSON(c.ctx, captureBody{s.b.CaptureStatus(), s.b.Counters(), s.bufferStats()})
}

func (s *Server) captureClear(c *call) error {
	if err := s.b.ClearBuffer(); err != nil {
		return errorf(fasthttp.StatusConflict, "clearing the capture buffer failed: %v", err)
	}
	s.log.Info("capture buffer cleared", "by", c.who, "remote", c.ctx.RemoteIP().String())
	return writeJSON(c.ctx, map[string]any{"cleared": true, "buffer": s.bufferStats()})
}

func (s *Server) captureStart(c *call) error { return s.captureControl(c, true) }
func (s *Server) captureStop(c *call) error  { return s.captureControl(c, false) }

func (s *Server) captureControl(c *call, start bool) error {
	cc, ok := s.b.(CaptureController)
	if !ok {
		return errorf(fasthttp.StatusNotImplemented, "this frame source cannot be started or stopped over the API")
	}
	verb, do := "stop", cc.StopCapture
	if start {
		verb, do = "start", cc.StartCapture
	}
	if err := do(); err != nil {
		var c interface{ Conflict() bool }
		if errors.As(err, &c) && c.Conflict() {
			return errorf(fasthttp.StatusConflict, "cannot %s the capture: %v", verb, err)
		}
		return errorf(fasthttp.StatusServiceUnavailable, "cannot %s the capture: %v", verb, err)
	}
	s.log.Info("capture "+verb+" requested", "by", c.who, "remote", c.ctx.RemoteIP().String())
	return writeJSON(c.ctx, captureBody{s.b.CaptureStatus(), s.b.Counters(), s.bufferStats()})
}

// instance looks up the instance named by the path variable.
func (s *Server) instance(c *call) (*state.Instance, *tree, error) {
	t := s.currentTree()
	id, err := strconv.ParseUint(c.vars[0], 10, 32)
	if err != nil {
		return nil, nil, errorf(fasthttp.StatusNotFound, "unknown path segment %q: instance ids are decimal integers", c.vars[0])
	}
	in := t.instByID[uint32(id)]
	if in == nil {
		return nil, nil, errorf(fasthttp.StatusNotFound, "unknown path segment %q: no instance with that id", c.vars[0])
	}
	return in, t, nil
}

type seriesBody struct {
	ID     uint32        `json:"id"`
	Scope  string        `json:"scope"`
	From   int64         `json:"from"`
	To     int64         `json:"to"`
	Points []state.Point `json:"points"`
}

func (s *Server) instanceSeries(c *call) error {
	in, _, err := s.instance(c)
	if err != nil {
		return err
	}
	from, to, err := c.timeRange("from", "to")
	if err != nil {
		return err
	}
	if from == math.MinInt64 {
		from = in.FirstSeen
	}
	if to == math.MaxInt64 {
		to = in.LastSeen
	}
	var pts []state.Point
	if b := s.b.Buffer(); b != nil {
		pts = state.InstanceSeries(b, in.ScopeID, in.ID, from, to)
	}
	return writeJSON(c.ctx, seriesBody{in.ID, in.Scope, from, to, nonNil(pts)})
}

type scopeStats struct {
	ID     uint32            `json:"id"`
	Name   string            `json:"name"`
	Total  uint64            `json:"total"`
	Counts map[string]uint64 `json:"counts"`
	Rates  map[string]uint32 `json:"rates"`
}

type statsBody struct {
	Time     int64             `json:"time"`
	Frames   uint64            `json:"frames"`
	Counters map[string]uint64 `json:"counters"`
	Scopes   []scopeStats      `json:"scopes"`
	Events   map[string]uint64 `json:"events"`
}

func (s *Server) stats(c *call) error {
	snap := s.currentTree().snap
	body := statsBody{Time: snap.Time, Frames: snap.Frames, Counters: s.b.Counters(), Scopes: []scopeStats{}, Events: map[string]uint64{}}
	for _, sc := range snap.Scopes {
		st := scopeStats{ID: sc.ID, Name: sc.Name, Counts: sc.Counts, Rates: sc.Rates}
		for _, n := range sc.Counts {
			st.Total += n
		}
		body.Scopes = append(body.Scopes, st)
	}
	if ev := s.b.Events(); ev != nil {
		for t, n := range ev.Counts() {
			body.Events[string(t)] = n
		}
	}
	return writeJSON(c.ctx, body)
}

func (s *Server) scopeSeries(c *call) error {
	t := s.currentTree()
	snap := t.snap
	id, err := strconv.ParseUint(c.vars[0], 10, 32)
	sc := t.scopeByID[uint32(id)]
	if err != nil || sc == nil {
		return errorf(fasthttp.StatusNotFound, "unknown path segment %q: no scope with that id", c.vars[0])
	}
	from, to, err := c.timeRange("from", "to")
	if err != nil {
		return err
	}
	if to == math.MaxInt64 {
		to = sc.LastSeen
	}
	if from == math.MinInt64 {
		from = max(sc.FirstSeen, to-(state.SeriesSeconds-1)*1e9)
	}
	var pts []state.Point
	if ser := snap.Series(sc.Name); ser != nil {
		pts = ser.Range(from/1e9, to/1e9)
	}
	return writeJSON(c.ctx, seriesBody{sc.ID, sc.Name, from, to, nonNil(pts)})
}

// matchType compares event types ignoring case, spaces and underscores, so
// "grandmaster_changed" finds "Grandmaster Changed".
func matchType(want []string, t state.EventType) bool {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r == ' ' || r == '_' || r == '-' {
				return -1
			}
			return r
		}, strings.ToLower(s))
	}
	n := norm(string(t))
	for _, w := range want {
		if norm(w) == n {
			return true
		}
	}
	return false
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
