package httpd

import (
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/ptpwatch/ptpwatch/state/alarm"
)

// Values returns the value at every API path matching pattern, by path:
// pattern is an API path such as /api/v1/scopes/*/grandmaster/clockClass,
// '*' standing for each key of a collection, map or array. Values are
// their JSON text, strings unquoted; null and absent paths are left out.
// It is the custom alarms' view of the API (state/alarm).
func (s *Server) Values(pattern string) (map[string]string, error) {
	rest, ok := strings.CutPrefix(pattern, "/api/v1/")
	if !ok {
		return nil, errors.New("want a path under /api/v1/")
	}
	segs := strings.Split(strings.Trim(rest, "/"), "/")
	t := s.currentTree()
	root := t.root[segs[0]]
	if root == nil {
		return nil, errors.New("unknown path segment " + strconv.Quote(segs[0]))
	}
	type node struct {
		path string
		v    any
	}
	cur := []node{{"/api/v1/" + segs[0], root}}
	for _, seg := range segs[1:] {
		var next []node
		for _, n := range cur {
			keys := []string{seg}
			if seg == "*" {
				keys = childKeys(n.v)
			}
			for _, k := range keys {
				out, err := step(nil, n.v, k)
				if err != nil {
					continue // absent here
				}
				for _, o := range out {
					next = append(next, node{n.path + "/" + k, o})
				}
			}
		}
		cur = next
	}
	vals := make(map[string]string, len(cur))
	for _, n := range cur {
		v := plain(n.v)
		if v == nil {
			continue
		}
		b, err := json.Marshal(v)
		if err != nil || string(b) == "null" {
			continue
		}
		var str string
		if json.Unmarshal(b, &str) == nil {
			vals[n.path] = str
		} else {
			vals[n.path] = string(b)
		}
	}
	return vals, nil
}

// childKeys lists the keys "*" stands for under v.
func childKeys(v any) []string {
	switch n := v.(type) {
	case *collection:
		return n.keys
	case scopeNode, nilOf, nil:
		return nil
	}
	r := reflect.ValueOf(v)
	for r.Kind() == reflect.Pointer || r.Kind() == reflect.Interface {
		if r.IsNil() {
			return nil
		}
		r = r.Elem()
	}
	switch r.Kind() {
	case reflect.Map:
		if r.Type().Key().Kind() != reflect.String {
			return nil
		}
		keys := make([]string, 0, r.Len())
		for _, k := range r.MapKeys() {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		return keys
	case reflect.Slice, reflect.Array:
		keys := make([]string, r.Len())
		for i := range keys {
			keys[i] = strconv.Itoa(i)
		}
		return keys
	}
	return nil
}

// Alarms is implemented by a Backend that evaluates custom alarms.
type Alarms interface {
	Alarms() *alarm.Engine
}

func (s *Server) alarmEngine() *alarm.Engine {
	if a, ok := s.b.(Alarms); ok {
		return a.Alarms()
	}
	return nil
}

// alarmsBody is GET /api/v1/alarms.
type alarmsBody struct {
	Definitions []alarm.Definition `json:"definitions"`
	Instances   []alarm.Instance   `json:"instances"` // active first
}

// alarms serves GET /api/v1/alarms.
func (s *Server) alarms(c *call) error {
	out := alarmsBody{Definitions: []alarm.Definition{}, Instances: []alarm.Instance{}}
	if e := s.alarmEngine(); e != nil {
		out.Definitions, out.Instances = e.Definitions(), e.Instances()
	}
	return writeJSON(c.ctx, out)
}

// ackAlarm serves POST /api/v1/alarms/{name}/ack: {"path": ..., "note": ...}
// acknowledges the active instance of the alarm at path, as the caller.
func (s *Server) ackAlarm(c *call) error {
	e := s.alarmEngine()
	if e == nil {
		return errorf(fasthttp.StatusNotFound, "no custom alarm is configured ([[alarm]] tables)")
	}
	var in struct {
		Path string `json:"path"`
		Note string `json:"note"`
	}
	if err := json.Unmarshal(c.ctx.PostBody(), &in); err != nil || in.Path == "" {
		return errorf(fasthttp.StatusBadRequest, "want {\"path\": API-PATH, \"note\": TEXT}")
	}
	if err := e.Acknowledge(c.vars[0], in.Path, c.who, in.Note, time.Now().UnixNano()); errors.Is(err, alarm.ErrNotActive) {
		return errorf(fasthttp.StatusNotFound, "%v", err)
	} else if err != nil { // acknowledged, but the store did not take it
		return errorf(fasthttp.StatusServiceUnavailable, "%v", err)
	}
	s.log.Info("alarm acknowledged", "alarm", c.vars[0], "path", in.Path, "by", c.who)
	return writeJSON(c.ctx, alarmsBody{Definitions: e.Definitions(), Instances: e.Instances()})
}

// testAlarm serves POST /api/v1/alarms/{name}/test: a Custom Alarm
// Triggered event for the alarm, marked as a test, through the event log
// to every notification channel that passes it.
func (s *Server) testAlarm(c *call) error {
	e := s.alarmEngine()
	if e == nil {
		return errorf(fasthttp.StatusNotFound, "no custom alarm is configured ([[alarm]] tables)")
	}
	if err := e.TestFire(c.vars[0], c.who, time.Now().UnixNano()); err != nil {
		return errorf(fasthttp.StatusNotFound, "%v", err)
	}
	s.log.Info("alarm test-fired", "alarm", c.vars[0], "by", c.who)
	c.ctx.SetStatusCode(fasthttp.StatusAccepted)
	return nil
}

// putAlarm serves PUT /api/v1/alarms/{name}: creates or replaces a
// custom alarm (a Definition as JSON; its name is the path's), kept in
// the store when there is one.
func (s *Server) putAlarm(c *call) error {
	e := s.alarmEngine()
	if e == nil {
		return errorf(fasthttp.StatusNotFound, "custom alarms are not running")
	}
	var d alarm.Definition
	dec := json.NewDecoder(strings.NewReader(string(c.ctx.PostBody())))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return errorf(fasthttp.StatusBadRequest, "want an alarm definition as JSON: %v", err)
	}
	if d.Name != "" && d.Name != c.vars[0] {
		return errorf(fasthttp.StatusBadRequest, "name %q differs from the path's %q", d.Name, c.vars[0])
	}
	d.Name = c.vars[0]
	if err := e.Put(d); err != nil {
		if strings.HasPrefix(err.Error(), "store alarm") {
			return errorf(fasthttp.StatusServiceUnavailable, "%v", err)
		}
		return errorf(fasthttp.StatusBadRequest, "%v", err)
	}
	s.log.Info("alarm defined", "alarm", d.Name, "path", d.Path, "by", c.who)
	return writeJSON(c.ctx, alarmsBody{Definitions: e.Definitions(), Instances: e.Instances()})
}

// deleteAlarm serves DELETE /api/v1/alarms/{name}.
func (s *Server) deleteAlarm(c *call) error {
	e := s.alarmEngine()
	if e == nil {
		return errorf(fasthttp.StatusNotFound, "custom alarms are not running")
	}
	ok, err := e.Remove(c.vars[0])
	if err != nil {
		return errorf(fasthttp.StatusServiceUnavailable, "%v", err)
	}
	if !ok {
		return errorf(fasthttp.StatusNotFound, "no alarm named %q", c.vars[0])
	}
	s.log.Info("alarm deleted", "alarm", c.vars[0], "by", c.who)
	c.ctx.SetStatusCode(fasthttp.StatusNoContent)
	return nil
}
