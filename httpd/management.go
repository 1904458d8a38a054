package httpd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/ptpwatch/ptpwatch/state/manage"
)

// ManagementProvider is implemented by a Backend that sends management
// sweeps (state/manage). Without it the management routes answer 501.
type ManagementProvider interface {
	Management() *manage.Manager
}

func (s *Server) manager() (*manage.Manager, error) {
	if mp, ok := s.b.(ManagementProvider); ok {
		if m := mp.Management(); m != nil {
			return m, nil
		}
	}
	return nil, errorf(fasthttp.StatusNotImplemented, "management sweeps need a live capture to send from")
}

// getManagement serves GET /api/v1/management: settings, the last sweep
// and every node with its capability matrix and answers.
func (s *Server) getManagement(c *call) error {
	m, err := s.manager()
	if err != nil {
		return err
	}
	return writeJSON(c.ctx, m.Status())
}

// putManagement serves PUT /api/v1/management: the settings, whole or in
// part (keys not given keep their values), validated with the ranges of
// the [management] section.
func (s *Server) putManagement(c *call) error {
	m, err := s.manager()
	if err != nil {
		return err
	}
	in := m.Settings()
	dec := json.NewDecoder(bytes.NewReader(c.ctx.PostBody()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return errorf(fasthttp.StatusBadRequest, "management settings body: %v", err)
	}
	if err := m.SetSettings(in); err != nil {
		var se *manage.SettingError
		if errors.As(err, &se) {
			return errorf(fasthttp.StatusBadRequest, "%v", err)
		}
		return err
	}
	s.log.Info("management settings changed", "enabled", in.Enabled, "interval", in.Interval, "domains", in.Domains,
		"by", c.who, "remote", c.ctx.RemoteIP().String())
	return writeJSON(c.ctx, m.Status())
}

// postManagementSweep serves POST /api/v1/management/sweep: a sweep now.
func (s *Server) postManagementSweep(c *call) error {
	m, err := s.manager()
	if err != nil {
		return err
	}
	if err := m.SweepNow(); err != nil {
		return errorf(fasthttp.StatusConflict, "%v", err)
	}
	s.log.Info("management sweep requested", "by", c.who, "remote", c.ctx.RemoteIP().String())
	c.ctx.SetStatusCode(fasthttp.StatusAccepted)
	return writeJSON(c.ctx, m.Plan())
}

// getManagementMasters serves GET /api/v1/management/masters: the master
// check's samples and figures per master.
func (s *Server) getManagementMasters(c *call) error {
	m, err := s.manager()
	if err != nil {
		return err
	}
	if m.Master == nil {
		return errorf(fasthttp.StatusNotImplemented, "no master check in this appliance")
	}
	return writeJSON(c.ctx, m.Master.Masters())
}

// postManagementQuery serves POST /api/v1/management/query: one pmc-like
// command sent from the appliance's capture interface, with the answers
// that arrive within its timeout (`ptpwatch query --api`).
func (s *Server) postManagementQuery(c *call) error {
	m, err := s.manager()
	if err != nil {
		return err
	}
	var q manage.QueryRequest
	dec := json.NewDecoder(bytes.NewReader(c.ctx.PostBody()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&q); err != nil {
		return errorf(fasthttp.StatusBadRequest, "management query body: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	a, err := m.RunQuery(ctx, q)
	if errors.Is(err, manage.ErrBadQuery) {
		return errorf(fasthttp.StatusBadRequest, "%v", err)
	}
	if err != nil {
		return errorf(fasthttp.StatusServiceUnavailable, "%v", err)
	}
	s.log.Info("management query", "command", q.Command, "domain", q.Domain, "answers", len(a.Replies), "by", c.who, "remote", c.ctx.RemoteIP().String())
	return writeJSON(c.ctx, a)
}

// getManagementPlan serves GET /api/v1/management/plan.
func (s *Server) getManagementPlan(c *call) error {
	m, err := s.manager()
	if err != nil {
		return err
	}
	return writeJSON(c.ctx, m.Plan())
}
