package httpd

import (
	"encoding/json"
	"sort"
	"strconv"

	"github.com/ptpwatch/ptpwatch/httpd/metrics"
	"github.com/ptpwatch/ptpwatch/state/manage"
)

// partMetrics are the families of the parts that act on the model beside
// the frame's walk: management sweeps and the master check, custom
// alarms, and forwarding between sites. Each is written only where the
// part runs.
var partMetrics = metrics.Registry[*Server]{
	{Name: "ptpwatch_management_nodes", Type: metrics.Gauge, Labels: []string{"segment", "status"}, When: hasManagement,
		Help: "Nodes found by management sweeps, per segment and status: online (answers every ID asked), partial (some), offline (none lately), dropped.",
		Collect: func(s *Server, e *metrics.Emitter) {
			st := s.mustManager().Status()
			type key struct {
				seg    uint16
				status string
			}
			n := map[key]int{}
			for _, nd := range st.Nodes {
				n[key{nd.Segment, nd.Status}]++
			}
			keys := make([]key, 0, len(n))
			for k := range n {
				keys = append(keys, k)
			}
			sort.Slice(keys, func(i, j int) bool {
				if keys[i].seg != keys[j].seg {
					return keys[i].seg < keys[j].seg
				}
				return keys[i].status < keys[j].status
			})
			for _, k := range keys {
				e.Sample(float64(n[k]), strconv.Itoa(int(k.seg)), k.status)
			}
		}},
	{Name: "ptpwatch_management_sweeps_total", Type: metrics.Counter, When: hasManagement,
		Help:    "Management sweeps started.",
		Collect: func(s *Server, e *metrics.Emitter) { e.Sample(float64(s.mustManager().Status().Sweeps)) }},
	{Name: "ptpwatch_master_check_offset_seconds", Type: metrics.Gauge, Unit: "seconds", Labels: []string{"segment", "domain", "port_identity"}, When: hasMasterCheck,
		Help: "A master's offset from the appliance's clock measured with ptpwatch's own Delay_Req (the last sample; master minus appliance). Relative to the appliance's clock, which may itself be off.",
		Collect: func(s *Server, e *metrics.Emitter) {
			for _, m := range s.mustManager().Master.Masters().Masters {
				if m.Last != nil {
					e.Sample(float64(m.Last.OffsetNs)/1e9, strconv.Itoa(int(m.Segment)), strconv.Itoa(int(m.Domain)), m.PortIdentity)
				}
			}
		}},
	{Name: "ptpwatch_master_check_path_delay_seconds", Type: metrics.Gauge, Unit: "seconds", Labels: []string{"segment", "domain", "port_identity"}, When: hasMasterCheck,
		Help: "The mean path delay to a master measured with ptpwatch's own Delay_Req (the last sample).",
		Collect: func(s *Server, e *metrics.Emitter) {
			for _, m := range s.mustManager().Master.Masters().Masters {
				if m.Last != nil {
					e.Sample(float64(m.Last.DelayNs)/1e9, strconv.Itoa(int(m.Segment)), strconv.Itoa(int(m.Domain)), m.PortIdentity)
				}
			}
		}},
	{Name: "ptpwatch_alarm_instances", Type: metrics.Gauge, Labels: []string{"alarm", "state"}, When: func(s *Server) bool { return s.alarmEngine() != nil },
		Help: "Custom alarm instances (one per API path an alarm's pattern matches), per alarm and state: active or cleared.",
		Collect: func(s *Server, e *metrics.Emitter) {
			type count struct{ active, cleared int }
			n := map[string]*count{}
			for _, d := range s.alarmEngine().Definitions() {
				n[d.Name] = &count{}
			}
			for _, in := range s.alarmEngine().Instances() {
				c := n[in.Alarm]
				if c == nil {
					c = &count{}
					n[in.Alarm] = c
				}
				if in.Active {
					c.active++
				} else {
					c.cleared++
				}
			}
			for _, name := range sortedKeys(n) {
				e.Sample(float64(n[name].active), name, "active")
				e.Sample(float64(n[name].cleared), name, "cleared")
			}
		}},
	{Name: "ptpwatch_site_connected", Type: metrics.Gauge, Labels: []string{"site", "role"}, When: hasSites,
		Help: "Forwarding between sites: 1 while a probe site is heard by this collector (role remote) or this probe reaches a collector (role probe).",
		Collect: func(s *Server, e *metrics.Emitter) {
			eachSite(s, e, func(v siteMetrics) float64 { return metrics.Bool(v.Connected) })
		}},
	{Name: "ptpwatch_site_lag_seconds", Type: metrics.Gauge, Unit: "seconds", Labels: []string{"site", "role"}, When: hasSites,
		Help: "How far forwarded frames arrive behind their capture (probe and collector clocks compared).",
		Collect: func(s *Server, e *metrics.Emitter) {
			eachSite(s, e, func(v siteMetrics) float64 { return v.LagSeconds })
		}},
	{Name: "ptpwatch_site_forwarded_frames_total", Type: metrics.Counter, Labels: []string{"site", "role"}, When: hasSites,
		Help: "Frames forwarded by a probe site (received from it, on a collector).",
		Collect: func(s *Server, e *metrics.Emitter) {
			eachSite(s, e, func(v siteMetrics) float64 { return float64(v.Frames) })
		}},
	{Name: "ptpwatch_site_forwarded_bytes_total", Type: metrics.Counter, Unit: "bytes", Labels: []string{"site", "role"}, When: hasSites,
		Help: "Bytes of frames forwarded by a probe site.",
		Collect: func(s *Server, e *metrics.Emitter) {
			eachSite(s, e, func(v siteMetrics) float64 { return float64(v.Bytes) })
		}},
	{Name: "ptpwatch_site_dropped_frames_total", Type: metrics.Counter, Labels: []string{"site", "role"}, When: hasSites,
		Help: "Forwarded frames lost on the way (a probe's queue overflowing, or frames a site's sequence skipped).",
		Collect: func(s *Server, e *metrics.Emitter) {
			eachSite(s, e, func(v siteMetrics) float64 { return float64(v.Dropped) })
		}},
	{Name: "ptpwatch_site_queued_bytes", Type: metrics.Gauge, Unit: "bytes", Labels: []string{"site", "role"}, When: hasSites,
		Help: "Bytes a probe holds in its local queue for collectors that have not taken them yet.",
		Collect: func(s *Server, e *metrics.Emitter) {
			eachSite(s, e, func(v siteMetrics) float64 { return float64(v.QueuedBytes) })
		}},
}

func hasManagement(s *Server) bool { _, err := s.manager(); return err == nil }

func hasMasterCheck(s *Server) bool {
	m, err := s.manager()
	return err == nil && m.Master != nil
}

// mustManager is the manager of a family whose When said there is one.
func (s *Server) mustManager() *manage.Manager {
	m, _ := s.manager()
	return m
}

func hasSites(s *Server) bool { _, ok := s.b.(SiteReporter); return ok }

// siteMetrics are the fields of a site in /api/v1/sites that /metrics
// exports.
type siteMetrics struct {
	Role        string  `json:"role"`
	Connected   bool    `json:"connected"`
	LagSeconds  float64 `json:"lagSeconds"`
	Frames      uint64  `json:"framesForwarded"`
	Bytes       uint64  `json:"bytesForwarded"`
	QueuedBytes uint64  `json:"queuedBytes"`
	Dropped     uint64  `json:"droppedFrames"`
}

// eachSite emits one sample per site, in site order, read from the same
// JSON /api/v1/sites serves.
func eachSite(s *Server, e *metrics.Emitter, v func(siteMetrics) float64) {
	b, err := json.Marshal(s.b.(SiteReporter).Sites())
	if err != nil {
		return
	}
	var sites map[string]siteMetrics
	if json.Unmarshal(b, &sites) != nil {
		return
	}
	for _, name := range sortedKeys(sites) {
		e.Sample(v(sites[name]), name, sites[name].Role)
	}
}
