package httpd

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"

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
