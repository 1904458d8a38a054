package httpd

import (
	"encoding/json"
	"errors"

	"github.com/valyala/fasthttp"

	"github.com/ptpwatch/ptpwatch/state/notify"
)

// Notifications is implemented by a Backend that delivers events to
// notification channels (state/notify). Without it, or when it returns
// nil, GET /api/v1/notifications lists no channel and the test route
// answers 404.
type Notifications interface {
	Notifier() *notify.Notifier
}

func (s *Server) notifier() *notify.Notifier {
	if nb, ok := s.b.(Notifications); ok {
		return nb.Notifier()
	}
	return nil
}

// notificationsBody is GET /api/v1/notifications: each channel's status.
// It carries no secret: senders keep passwords, keys and webhook secrets
// to themselves.
type notificationsBody struct {
	Channels []notify.ChannelStatus `json:"channels"`
	Missed   uint64                 `json:"missedEvents"`
	Agent    *agentBody             `json:"agent,omitempty"`
}

// agentBody is the running SNMP agent ([notify.agent]), without its
// community or keys.
type agentBody struct {
	Listen  string            `json:"listen"`
	V2c     bool              `json:"v2c"` // a community is set: v1 and v2c answered
	V3      bool              `json:"v3"`  // a USM user is set: v3 answered at authPriv
	Refused notify.AgentStats `json:"refused"`
}

// notifications serves GET /api/v1/notifications.
func (s *Server) notifications(c *call) error {
	out := notificationsBody{Channels: []notify.ChannelStatus{}}
	if n := s.notifier(); n != nil {
		out.Channels, out.Missed = n.Status(), n.Missed()
		if a := n.Agent(); a != nil {
			v2c, v3 := a.Serves()
			out.Agent = &agentBody{Listen: a.Addr().String(), V2c: v2c, V3: v3, Refused: a.Stats()}
		}
	}
	return writeJSON(c.ctx, out)
}

// testNotification serves POST /api/v1/notifications/test: a test
// notification through the outbox of the channel named in the body
// ({"channel": "noc", "note": "..."}; every channel when none is named).
func (s *Server) testNotification(c *call) error {
	n := s.notifier()
	if n == nil {
		return errorf(fasthttp.StatusNotFound, "no notification channel is configured ([[notify.webhook]], [[notify.syslog]], [[notify.smtp]], [[notify.snmp]])")
	}
	var in struct {
		Channel string `json:"channel"`
		Note    string `json:"note"`
	}
	if b := c.ctx.PostBody(); len(b) > 0 {
		if err := json.Unmarshal(b, &in); err != nil {
			return errorf(fasthttp.StatusBadRequest, "want {\"channel\": NAME, \"note\": TEXT}: %v", err)
		}
	}
	if len(in.Note) > 1000 {
		return errorf(fasthttp.StatusBadRequest, "note: at most 1000 bytes")
	}
	err := n.Test(in.Channel, in.Note)
	var unknown *notify.UnknownChannelError
	switch {
	case errors.As(err, &unknown):
		return errorf(fasthttp.StatusNotFound, "%v", err)
	case err != nil:
		return errorf(fasthttp.StatusServiceUnavailable, "%v", err)
	}
	s.log.Info("test notification queued", "channel", in.Channel, "by", c.who, "remote", c.ctx.RemoteIP().String())
	c.ctx.SetStatusCode(fasthttp.StatusAccepted)
	return writeJSON(c.ctx, notificationsBody{Channels: n.Status()})
}

// notificationMetrics writes each notification channel's queue and
// delivery counters; nothing without channels.
func (s *Server) notificationMetrics(m *promWriter) {
	n := s.notifier()
	if n == nil {
		return
	}
	st := n.Status()
	m.family("ptpwatch_notify_queue", "gauge", "Notifications waiting in a channel's outbox.")
	for _, c := range st {
		m.sample("ptpwatch_notify_queue", float64(c.Queue), "channel", c.Name, "kind", c.Kind)
	}
	m.family("ptpwatch_notify_delivered_total", "counter", "Notifications delivered by a channel (each one in a digest counted).")
	for _, c := range st {
		m.sample("ptpwatch_notify_delivered_total", float64(c.Delivered), "channel", c.Name, "kind", c.Kind)
	}
	m.family("ptpwatch_notify_failures_total", "counter", "Sends of a channel that failed (retried with backoff on acknowledged channels).")
	for _, c := range st {
		m.sample("ptpwatch_notify_failures_total", float64(c.Failures), "channel", c.Name, "kind", c.Kind)
	}
	m.family("ptpwatch_notify_dropped_total", "counter", "Notifications a channel lost, by reason: overflow (outbox full), expired (too old), unacknowledged (the one send of a UDP syslog message or trap failed).")
	for _, c := range st {
		m.sample("ptpwatch_notify_dropped_total", float64(c.Overflow), "channel", c.Name, "kind", c.Kind, "reason", "overflow")
		m.sample("ptpwatch_notify_dropped_total", float64(c.Expired), "channel", c.Name, "kind", c.Kind, "reason", "expired")
		m.sample("ptpwatch_notify_dropped_total", float64(c.Lost), "channel", c.Name, "kind", c.Kind, "reason", "unacknowledged")
	}
	if a := n.Agent(); a != nil {
		r := a.Stats()
		m.family("ptpwatch_snmp_agent_refused_total", "counter", "Requests the SNMP agent ([notify.agent]) refused, by reason: community (wrong v1/v2c community), unparsable, and the v3 ones RFC 3414 reports (unknown_engine_id, discovery included; unknown_user; unsupported_level; wrong_digest, a wrong authentication password; not_in_time_window; decryption_error, a wrong privacy password).")
		for _, x := range []struct {
			reason string
			v      uint64
		}{{"community", r.BadCommunity}, {"unparsable", r.Unparsable}, {"unknown_engine_id", r.UnknownEngineIDs}, {"unknown_user", r.UnknownUserNames},
			{"unsupported_level", r.UnsupportedSecLevels}, {"wrong_digest", r.WrongDigests}, {"not_in_time_window", r.NotInTimeWindows},
			{"decryption_error", r.DecryptionErrors}} {
			m.sample("ptpwatch_snmp_agent_refused_total", float64(x.v), "reason", x.reason)
		}
	}
}
