package httpd

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"

	"github.com/ptpwatch/ptpwatch/httpd/metrics"
	"github.com/ptpwatch/ptpwatch/state/fault"
	"github.com/valyala/fasthttp"
)

// HealthReporter is implemented by a Backend that runs fault detectors
// (state/fault): GET /api/v1/health serves its verdicts and findings, and
// POST /api/v1/health/findings/{id}/acknowledge acknowledges one.
type HealthReporter interface {
	Health() fault.Health
	AcknowledgeFinding(id uint64, by string) error
}

// health serves /api/v1/health and paths below it, wildcards included
// (such as /api/v1/health/scopes/*/verdict).
func (s *Server) health(c *call) error {
	hr, ok := s.b.(HealthReporter)
	if !ok {
		return errorf(fasthttp.StatusNotImplemented, "this appliance runs no fault detectors ([fault] enabled = false)")
	}
	h := hr.Health()
	path := splitPath(string(c.ctx.Path()))[3:] // after api/v1/health
	cur := []any{&h}
	fanned := false
	for i, seg := range path {
		if seg == "*" {
			fanned = true
		}
		var next []any
		for _, v := range cur {
			var err error
			if next, err = stepValue(next, reflect.ValueOf(v), seg); err != nil {
				return errorf(fasthttp.StatusNotFound, "unknown path segment %q in /api/v1/health/%s: %s", seg, strings.Join(path[:i+1], "/"), err.Error())
			}
		}
		cur = next
	}
	var out any = append([]any{}, cur...)
	if !fanned {
		out = cur[0]
	}
	return writeJSON(c.ctx, out)
}

// acknowledgeFinding serves POST /api/v1/health/findings/{id}/acknowledge.
func (s *Server) acknowledgeFinding(c *call) error {
	hr, ok := s.b.(HealthReporter)
	if !ok {
		return errorf(fasthttp.StatusNotImplemented, "this appliance runs no fault detectors ([fault] enabled = false)")
	}
	id, err := strconv.ParseUint(c.vars[0], 10, 64)
	if err != nil {
		return badParam("id", c.vars[0], "want a finding id (see GET /api/v1/health/findings)")
	}
	if err := hr.AcknowledgeFinding(id, c.who); errors.Is(err, fault.ErrNoFinding) {
		return errorf(fasthttp.StatusNotFound, "no open finding %d (see GET /api/v1/health/findings)", id)
	} else if err != nil {
		return err
	}
	s.log.Info("finding acknowledged", "finding", id, "by", c.who, "remote", c.ctx.RemoteIP().String())
	f := hr.Health().Findings[strconv.FormatUint(id, 10)]
	b, _ := json.Marshal(f)
	c.ctx.SetContentType("application/json")
	c.ctx.SetBody(append(b, '\n'))
	return nil
}

// TopologyKeeper is implemented by a Backend whose fault detectors take
// their expected topology through the API: GET and PUT (admin)
// /api/v1/health/topology.
type TopologyKeeper interface {
	Topology() fault.Topology
	SetTopology(t fault.Topology, by string) error
}

func (s *Server) topologyKeeper() (TopologyKeeper, error) {
	tk, ok := s.b.(TopologyKeeper)
	if !ok {
		return nil, errorf(fasthttp.StatusNotImplemented, "this appliance runs no fault detectors ([fault] enabled = false)")
	}
	return tk, nil
}

// getTopology serves GET /api/v1/health/topology.
func (s *Server) getTopology(c *call) error {
	tk, err := s.topologyKeeper()
	if err != nil {
		return err
	}
	return writeJSON(c.ctx, tk.Topology())
}

// putTopology serves PUT /api/v1/health/topology: the whole expected
// topology is replaced (fields left out become empty).
func (s *Server) putTopology(c *call) error {
	tk, err := s.topologyKeeper()
	if err != nil {
		return err
	}
	var in fault.Topology
	dec := json.NewDecoder(bytes.NewReader(c.ctx.PostBody()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return errorf(fasthttp.StatusBadRequest, "expected topology body: %v", err)
	}
	if err := tk.SetTopology(in, c.who); err != nil {
		var te *fault.ErrTopology
		if errors.As(err, &te) {
			return errorf(fasthttp.StatusBadRequest, "expected topology: %v", strings.ReplaceAll(err.Error(), "\n", "; "))
		}
		return err
	}
	s.log.Info("expected topology changed", "scopes", len(in.Scopes), "domains", in.Domains, "by", c.who, "remote", c.ctx.RemoteIP().String())
	return writeJSON(c.ctx, tk.Topology())
}

func hasHealth(s *Server) bool { _, ok := s.b.(HealthReporter); return ok }

var verdictStates = []fault.Verdict{fault.OK, fault.Degraded, fault.Faulty}

// The fault detectors' families in /metrics (rows of applianceMetrics).
var (
	scopeHealthFamily = metrics.Family[*Server]{Name: "ptpwatch_scope_health", Type: metrics.StateSet, Labels: []string{"segment", "scope", "verdict"}, When: hasHealth,
		Help: "Each scope's health verdict from the fault detectors (ok, degraded: open notice or warning findings, fault: an open critical finding).",
		Collect: func(s *Server, e *metrics.Emitter) {
			h := s.b.(HealthReporter).Health()
			for _, k := range sortedKeys(h.Scopes) {
				sc := h.Scopes[k]
				seg := strconv.Itoa(int(sc.Segment))
				for _, v := range verdictStates {
					e.Sample(b2f(sc.Verdict == v), seg, sc.Name, string(v))
				}
			}
		}}
	segmentHealthFamily = metrics.Family[*Server]{Name: "ptpwatch_segment_health", Type: metrics.StateSet, Labels: []string{"segment", "verdict"}, When: hasHealth,
		Help: "Each segment's health verdict: the worst of its scopes'.",
		Collect: func(s *Server, e *metrics.Emitter) {
			h := s.b.(HealthReporter).Health()
			for _, k := range sortedKeys(h.Segments) {
				for _, v := range verdictStates {
					e.Sample(b2f(h.Segments[k].Verdict == v), k, string(v))
				}
			}
		}}
	findingsOpenFamily = metrics.Family[*Server]{Name: "ptpwatch_findings_open", Type: metrics.Gauge, Labels: []string{"kind", "severity"}, When: hasHealth,
		Help: "Open fault findings by kind and severity (GET /api/v1/health/findings lists them).",
		Collect: func(s *Server, e *metrics.Emitter) {
			h := s.b.(HealthReporter).Health()
			n := map[string]int{}
			for _, f := range h.Findings {
				n[string(f.Kind)+"\x00"+f.Severity.String()]++
			}
			for _, k := range sortedKeys(n) {
				kind, sev, _ := strings.Cut(k, "\x00")
				e.Sample(float64(n[k]), kind, sev)
			}
		}}
)

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
