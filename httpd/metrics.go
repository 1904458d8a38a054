package httpd

import (
	"bufio"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/ptpwatch/ptpwatch/httpd/metrics"
)

// MetricsConfig configures /metrics.
type MetricsConfig struct {
	// DropPerInstance leaves out the families with a series per instance
	// (port state, sequence counters, intervals, offsets), for networks so
	// large that they would cost too much to scrape and store. The
	// per-scope and appliance families stay.
	DropPerInstance bool
}

// metricsCounters are what /metrics counts for the server itself.
type metricsCounters struct {
	requests [600]atomic.Uint64 // answered requests by status code
}

// countRequest counts one answered request by its status code.
func (m *metricsCounters) countRequest(code int) {
	if code < 0 || code >= len(m.requests) {
		code = 0
	}
	m.requests[code].Add(1)
}

// metrics serves the Prometheus text exposition format (version 0.0.4):
// the model's families (httpd/metrics.Model) from the current snapshot,
// then the appliance's. The text is streamed in chunks from a pooled
// buffer: at 10,000 instances it is some 30 MB, and building it in one
// slice cost more in clearing and copying memory than in writing it.
func (s *Server) metrics(c *call) error {
	o := metrics.Options{PerInstance: !s.cfg.Metrics.DropPerInstance}
	snap := s.currentTree().snap
	c.ctx.SetContentType("text/plain; version=0.0.4; charset=utf-8")
	if c.ctx.IsHead() {
		return nil
	}
	c.ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
		bp := scrapeBuffers.Get().(*[]byte)
		defer scrapeBuffers.Put(bp)
		b, err := metrics.Model.Stream(w, *bp, snap, o)
		if err == nil {
			b, err = applianceMetrics.Stream(w, b, s, o)
		}
		if err == nil {
			b, err = partMetrics.Stream(w, b, s, o)
		}
		if err == nil {
			m := promWriter{b: b}
			s.securityMetrics(&m)
			s.notificationMetrics(&m)
			_, err = w.Write(m.b)
			b = m.b[:0]
		}
		*bp = b
		if err == nil {
			w.Flush()
		}
	})
	return nil
}

// scrapeBuffers hold the chunk buffers of scrapes in progress.
var scrapeBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// buildInfo is the binary's version, Go version and VCS revision.
var buildInfo = func() (version, goVersion, revision string) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown", "unknown", ""
	}
	for _, st := range bi.Settings {
		if st.Key == "vcs.revision" {
			revision = st.Value
		}
	}
	return bi.Main.Version, bi.GoVersion, revision
}

// applianceMetrics are the families of the appliance itself: build,
// capture, buffer, events, store and HTTP.
var applianceMetrics = metrics.Registry[*Server]{
	{Name: "ptpwatch_build_info", Type: metrics.Info, Labels: []string{"version", "goversion", "revision"},
		Help: "The running binary: module version, Go version and VCS revision.",
		Collect: func(s *Server, e *metrics.Emitter) {
			v, g, r := buildInfo()
			e.Sample(1, v, g, r)
		}},
	{Name: "ptpwatch_frames_total", Type: metrics.Counter, Labels: []string{"result"},
		Help: "Frames received by the capture pipeline, by result.",
		Collect: func(s *Server, e *metrics.Emitter) {
			counters := s.b.Counters()
			for _, k := range sortedKeys(counters) {
				e.Sample(float64(counters[k]), k)
			}
		}},
	{Name: "ptpwatch_capture_received_frames_total", Type: metrics.Counter, Labels: []string{"interface", "method"}, When: hasCapture,
		Help: "Frames live capture delivered, per interface.",
		Collect: func(s *Server, e *metrics.Emitter) {
			for _, i := range captureDrops(s) {
				e.Sample(float64(i.Received), i.Interface, i.Method)
			}
		}},
	{Name: "ptpwatch_capture_dropped_frames_total", Type: metrics.Counter, Labels: []string{"interface", "method", "cause"}, When: hasCapture,
		Help: "Frames live capture lost, per interface and cause: ring_full (the socket's ring), no_buffer (AF_XDP fill ring empty), invalid, other, handoff (not taken in time). Per-socket counts restart when the interface's capture reopens.",
		Collect: func(s *Server, e *metrics.Emitter) {
			for _, i := range captureDrops(s) {
				for _, cause := range sortedKeys(i.Drops) {
					e.Sample(float64(i.Drops[cause]), i.Interface, i.Method, cause)
				}
			}
		}},
	{Name: "ptpwatch_pipeline_lag_seconds", Type: metrics.Gauge, Unit: "seconds", When: hasLag,
		Help:    "How far the frame reader is behind capture (0 while it keeps up): frames wait in the capture source this long before the model sees them. Beyond the stall limit (2 s) a Capture Trouble event is raised.",
		Collect: func(s *Server, e *metrics.Emitter) { e.Sample(s.b.(PipelineLagger).PipelineLag().Seconds()) }},
	{Name: "ptpwatch_buffer_bytes", Type: metrics.Gauge, Unit: "bytes", When: hasBuffer, Help: "Bytes in use in the RAM capture buffer.",
		Collect: func(s *Server, e *metrics.Emitter) {
			if st := s.bufferStats(); st != nil {
				e.Sample(float64(st.Bytes))
			}
		}},
	{Name: "ptpwatch_buffer_limit_bytes", Type: metrics.Gauge, Unit: "bytes", When: hasBuffer, Help: "Configured size of the RAM capture buffer.",
		Collect: func(s *Server, e *metrics.Emitter) {
			if st := s.bufferStats(); st != nil {
				e.Sample(float64(st.Limit))
			}
		}},
	{Name: "ptpwatch_buffer_frames", Type: metrics.Gauge, When: hasBuffer, Help: "Frames held in the RAM capture buffer.",
		Collect: func(s *Server, e *metrics.Emitter) {
			if st := s.bufferStats(); st != nil {
				e.Sample(float64(st.Frames))
			}
		}},
	{Name: "ptpwatch_buffer_evicted_frames_total", Type: metrics.Counter, When: hasBuffer, Help: "Frames evicted from the RAM capture buffer to make room.",
		Collect: func(s *Server, e *metrics.Emitter) {
			if st := s.bufferStats(); st != nil {
				e.Sample(float64(st.Evicted))
			}
		}},
	{Name: "ptpwatch_events_total", Type: metrics.Counter, Labels: []string{"type"}, Help: "Model events, by type.",
		Collect: func(s *Server, e *metrics.Emitter) {
			if ev := s.b.Events(); ev != nil {
				counts := map[string]uint64{}
				for t, n := range ev.Counts() {
					counts[string(t)] = n
				}
				for _, k := range sortedKeys(counts) {
					e.Sample(float64(counts[k]), k)
				}
			}
		}},
	{Name: "ptpwatch_store_up", Type: metrics.Gauge, When: hasStore,
		Help: "1 while the persistent store (storage.data_dir) works, 0 once it has failed (every write refused until a restart); absent without a store.",
		Collect: func(s *Server, e *metrics.Emitter) {
			if st, _, err := s.dashcamStore(); err == nil {
				e.Sample(metrics.Bool(!st.Failed()))
			}
		}},
	{Name: "ptpwatch_store_damaged_files", Type: metrics.Gauge, When: hasStore,
		Help: "Files of the persistent store found damaged since it was opened.",
		Collect: func(s *Server, e *metrics.Emitter) {
			if st, _, err := s.dashcamStore(); err == nil {
				e.Sample(float64(len(st.DamagedFiles())))
			}
		}},
	{Name: "ptpwatch_store_size_bytes", Type: metrics.Gauge, Unit: "bytes", When: hasStore,
		Help: "Pebble's estimate of the persistent store's disk space (recordings, archive, metadata, events).",
		Collect: func(s *Server, e *metrics.Emitter) {
			if st, _, err := s.dashcamStore(); err == nil {
				if n, err := st.Estimate(nil, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}); err == nil {
					e.Sample(float64(n))
				}
			}
		}},
	{Name: "ptpwatch_store_incidents", Type: metrics.Gauge, Labels: []string{"state"}, When: hasStore,
		Help: "Dashcam incidents kept in the store, by state.",
		Collect: func(s *Server, e *metrics.Emitter) {
			st, _, err := s.dashcamStore()
			if err != nil {
				return
			}
			incs, _ := st.Incidents()
			n := map[string]uint64{}
			for _, inc := range incs {
				n[inc.State.String()]++
			}
			for _, k := range sortedKeys(n) {
				e.Sample(float64(n[k]), k)
			}
		}},
	{Name: "ptpwatch_http_requests_total", Type: metrics.Counter, Labels: []string{"code"},
		Help: "HTTP and HTTPS requests answered, by status code (0: an impossible code).",
		Collect: func(s *Server, e *metrics.Emitter) {
			for code := range s.mx.requests {
				if n := s.mx.requests[code].Load(); n > 0 {
					e.Sample(float64(n), itoa(code))
				}
			}
		}},
	{Name: "ptpwatch_http_connections", Type: metrics.Gauge, Help: "HTTP and HTTPS connections open.",
		Collect: func(s *Server, e *metrics.Emitter) { e.Sample(float64(s.limiter.stats().Open)) }},
	{Name: "ptpwatch_http_connections_limit", Type: metrics.Gauge, Labels: []string{"scope"},
		Help: "Most HTTP and HTTPS connections open at once, in total and per client address (loopback exempt).",
		Collect: func(s *Server, e *metrics.Emitter) {
			cs := s.limiter.stats()
			e.Sample(float64(cs.Max), "total")
			e.Sample(float64(cs.MaxPerClient), "per_client")
		}},
	{Name: "ptpwatch_http_connections_accepted_total", Type: metrics.Counter, Help: "HTTP and HTTPS connections accepted and served.",
		Collect: func(s *Server, e *metrics.Emitter) { e.Sample(float64(s.limiter.stats().Accepted)) }},
	{Name: "ptpwatch_http_connections_refused_total", Type: metrics.Counter, Labels: []string{"reason"},
		Help: "Connections closed as soon as they were accepted, by reason: allow_list (address not allowed), max_conns (total limit reached), max_conns_per_client (the address's limit reached).",
		Collect: func(s *Server, e *metrics.Emitter) {
			cs := s.limiter.stats()
			for _, r := range sortedKeys(cs.Refused) {
				e.Sample(float64(cs.Refused[r]), r)
			}
		}},
	{Name: "ptpwatch_http_accept_errors_total", Type: metrics.Counter,
		Help:    "Temporary errors accepting connections (out of file descriptors or memory, ...), each retried after a pause of up to 1 s.",
		Collect: func(s *Server, e *metrics.Emitter) { e.Sample(float64(s.limiter.stats().AcceptErrors)) }},
	scopeHealthFamily, segmentHealthFamily, findingsOpenFamily, // health.go
}

func hasCapture(s *Server) bool { _, ok := s.b.(CaptureDropper); return ok }
func hasLag(s *Server) bool     { _, ok := s.b.(PipelineLagger); return ok }
func hasBuffer(s *Server) bool  { return s.b.Buffer() != nil }
func hasStore(s *Server) bool   { _, _, err := s.dashcamStore(); return err == nil }

func captureDrops(s *Server) []InterfaceDrops {
	if d, ok := s.b.(CaptureDropper); ok {
		return d.CaptureDrops()
	}
	return nil
}

func itoa(n int) string { return string(metrics.AppendValue(nil, float64(n))) }

// promWriter writes families by hand, for the few that are not registry
// rows (securityMetrics: their presence depends on the configuration).
type promWriter struct{ b []byte }

func (m *promWriter) family(name, typ, help string) { m.b = metrics.AppendHeader(m.b, name, typ, help) }

// sample writes one line; labels are name, value pairs.
func (m *promWriter) sample(name string, v float64, labels ...string) {
	m.b = metrics.AppendSample(m.b, name, v, labels...)
}
