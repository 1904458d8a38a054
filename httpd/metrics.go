package httpd

import (
	"sort"
	"strconv"
	"strings"
)

// metrics serves the Prometheus text exposition format (version 0.0.4).
func (s *Server) metrics(c *call) error {
	snap := s.currentTree().snap
	var m promWriter

	m.family("ptpwatch_packets_total", "counter", "PTP messages seen, by scope and messageType.")
	for _, sc := range snap.Scopes {
		for _, k := range sortedKeys(sc.Counts) {
			m.sample("ptpwatch_packets_total", float64(sc.Counts[k]), "scope", sc.Name, "type", k)
		}
	}

	m.family("ptpwatch_instances", "gauge", "Instances (one port's session in one scope), by scope and portState.")
	type key struct{ scope, state string }
	byState := map[key]int{}
	for i := range snap.Instances {
		in := &snap.Instances[i]
		byState[key{in.Scope, in.PortState.String()}]++
	}
	keys := make([]key, 0, len(byState))
	for k := range byState {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].scope != keys[j].scope {
			return keys[i].scope < keys[j].scope
		}
		return keys[i].state < keys[j].state
	})
	for _, k := range keys {
		m.sample("ptpwatch_instances", float64(byState[k]), "scope", k.scope, "state", k.state)
	}

	m.family("ptpwatch_offset_ns", "gauge",
		"Last offset of a master from ptpwatch's capture clock in ns (originTimestamp plus correction minus capture time, not corrected for path delay).")
	for i := range snap.Instances {
		in := &snap.Instances[i]
		if in.Offset != nil {
			m.sample("ptpwatch_offset_ns", float64(in.Offset.LastNs), "scope", in.Scope, "port", in.PortIdentity)
		}
	}

	m.family("ptpwatch_frames_total", "counter", "Frames received by the capture pipeline, by result.")
	counters := s.b.Counters()
	for _, k := range sortedKeys(counters) {
		m.sample("ptpwatch_frames_total", float64(counters[k]), "result", k)
	}

	if d, ok := s.b.(CaptureDropper); ok {
		ifs := d.CaptureDrops()
		m.family("ptpwatch_capture_received_frames_total", "counter", "Frames live capture delivered, per interface.")
		for _, i := range ifs {
			m.sample("ptpwatch_capture_received_frames_total", float64(i.Received), "interface", i.Interface, "method", i.Method)
		}
		m.family("ptpwatch_capture_dropped_frames_total", "counter",
			"Frames live capture lost, per interface and cause: ring_full (the socket's ring), no_buffer (AF_XDP fill ring empty), invalid, other, handoff (not taken in time). Per-socket counts restart when the interface's capture reopens.")
		for _, i := range ifs {
			for _, cause := range sortedKeys(i.Drops) {
				m.sample("ptpwatch_capture_dropped_frames_total", float64(i.Drops[cause]), "interface", i.Interface, "method", i.Method, "cause", cause)
			}
		}
	}

	if st := s.bufferStats(); st != nil {
		m.family("ptpwatch_buffer_bytes", "gauge", "Bytes in use in the RAM capture buffer.")
		m.sample("ptpwatch_buffer_bytes", float64(st.Bytes))
		m.family("ptpwatch_buffer_limit_bytes", "gauge", "Configured size of the RAM capture buffer.")
		m.sample("ptpwatch_buffer_limit_bytes", float64(st.Limit))
		m.family("ptpwatch_buffer_frames", "gauge", "Frames held in the RAM capture buffer.")
		m.sample("ptpwatch_buffer_frames", float64(st.Frames))
		m.family("ptpwatch_buffer_evicted_frames_total", "counter", "Frames evicted from the RAM capture buffer to make room.")
		m.sample("ptpwatch_buffer_evicted_frames_total", float64(st.Evicted))
	}

	m.family("ptpwatch_events_total", "counter", "Model events, by type.")
	if ev := s.b.Events(); ev != nil {
		counts := map[string]uint64{}
		for t, n := range ev.Counts() {
			counts[string(t)] = n
		}
		for _, k := range sortedKeys(counts) {
			m.sample("ptpwatch_events_total", float64(counts[k]), "type", k)
		}
	}

	s.securityMetrics(&m)
	cs := s.limiter.stats()
	m.family("ptpwatch_http_connections", "gauge", "HTTP and HTTPS connections open.")
	m.sample("ptpwatch_http_connections", float64(cs.Open))
	m.family("ptpwatch_http_connections_limit", "gauge", "Most HTTP and HTTPS connections open at once, in total and per client address (loopback exempt).")
	m.sample("ptpwatch_http_connections_limit", float64(cs.Max), "scope", "total")
	m.sample("ptpwatch_http_connections_limit", float64(cs.MaxPerClient), "scope", "per_client")
	m.family("ptpwatch_http_connections_accepted_total", "counter", "HTTP and HTTPS connections accepted and served.")
	m.sample("ptpwatch_http_connections_accepted_total", float64(cs.Accepted))
	m.family("ptpwatch_http_connections_refused_total", "counter",
		"Connections closed as soon as they were accepted, by reason: allow_list (address not allowed), max_conns (total limit reached), max_conns_per_client (the address's limit reached).")
	for _, r := range sortedKeys(cs.Refused) {
		m.sample("ptpwatch_http_connections_refused_total", float64(cs.Refused[r]), "reason", r)
	}
	m.family("ptpwatch_http_accept_errors_total", "counter",
		"Temporary errors accepting connections (out of file descriptors or memory, ...), each retried after a pause of up to 1 s.")
	m.sample("ptpwatch_http_accept_errors_total", float64(cs.AcceptErrors))

	c.ctx.SetContentType("text/plain; version=0.0.4; charset=utf-8")
	c.ctx.SetBody(m.b)
	return nil
}

type promWriter struct{ b []byte }

func (m *promWriter) family(name, typ, help string) {
	m.b = append(m.b, "# HELP "...)
	m.b = append(m.b, name...)
	m.b = append(m.b, ' ')
	m.b = append(m.b, strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(help)...)
	m.b = append(m.b, "\n# TYPE "...)
	m.b = append(m.b, name...)
	m.b = append(m.b, ' ')
	m.b = append(m.b, typ...)
	m.b = append(m.b, '\n')
}

// sample writes one line; labels are name, value pairs.
func (m *promWriter) sample(name string, v float64, labels ...string) {
	m.b = append(m.b, name...)
	if len(labels) > 0 {
		m.b = append(m.b, '{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				m.b = append(m.b, ',')
			}
			m.b = append(m.b, labels[i]...)
			m.b = append(m.b, `="`...)
			m.b = appendLabelValue(m.b, labels[i+1])
			m.b = append(m.b, '"')
		}
		m.b = append(m.b, '}')
	}
	m.b = append(m.b, ' ')
	m.b = strconv.AppendFloat(m.b, v, 'g', -1, 64)
	m.b = append(m.b, '\n')
}

func appendLabelValue(b []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, v[i])
		}
	}
	return b
}
