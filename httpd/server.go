package httpd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
)

// DefaultListen is the address the server listens on when Config.Listen is
// empty: the loopback only.
const DefaultListen = "127.0.0.1:8319"

// DefaultMaxRequestBody is the request body limit when Config.MaxRequestBody
// is zero.
const DefaultMaxRequestBody = 1 << 20

// DefaultHeaderTimeout is Config.HeaderTimeout when it is zero.
const DefaultHeaderTimeout = 10 * time.Second

// ErrServerClosed is returned by Serve and ServeTLS after Shutdown.
var ErrServerClosed = errors.New("httpd: server shut down")

// Role is what an authenticated client may do.
type Role string

// Roles.
const (
	RoleReadOnly Role = "read-only" // GET and HEAD only
	RoleAdmin    Role = "admin"     // also control and configuration changes
)

func (r Role) valid() bool { return r == RoleReadOnly || r == RoleAdmin }

// User is one account for HTTP basic authentication.
type User struct {
	Name string
	Role Role
	// PasswordHash is a bcrypt hash, as HashPassword returns; it carries its
	// own random salt and cost.
	PasswordHash string
}

// Token is one bearer token.
type Token struct {
	Name string // who holds it, for the log
	Role Role
	// SHA256 is the lower-case hex SHA-256 digest of the token, as
	// HashToken returns; the token itself is not stored.
	SHA256 string
}

// Config configures a Server.
type Config struct {
	// Listen is the TCP address. Default DefaultListen (127.0.0.1:8319).
	Listen string
	// MaxRequestBody bounds request bodies in bytes. Default
	// DefaultMaxRequestBody (1 MiB); larger bodies get 413.
	MaxRequestBody int
	// Users and Tokens are the credentials. With none configured the API is
	// open, which New allows only on a loopback address.
	Users  []User
	Tokens []Token
	// AllowedHosts are extra host names (or addresses) by which clients
	// reach the server, such as its DNS name or a reverse proxy's; a
	// request whose Host header names none of them, nor a listen address,
	// the loopback, the machine's host name or (listening on 0.0.0.0 or ::)
	// one of its addresses, gets 421 (this stops DNS rebinding). Only the
	// host part is compared, not the port. They are also trusted as the
	// Origin of writes on any port and scheme. "*" accepts every host.
	// TLSConfig.Hosts count too. Default none.
	AllowedHosts []string
	// AllowList, when not empty, restricts clients to these prefixes:
	// connections from other addresses are closed as soon as they are
	// accepted, before any byte is read (no 403 answer: a refused client
	// must not hold a descriptor). Default: every client.
	AllowList []netip.Prefix
	// MaxConns bounds the connections open at once over all listeners
	// (HTTP and HTTPS); more are closed as soon as they are accepted.
	// Default DefaultMaxConns(): half the open-file limit, 32 to 4096.
	MaxConns int
	// MaxConnsPerClient bounds the connections open at once from one
	// client address; more are closed as soon as they are accepted.
	// Loopback clients are counted only against MaxConns (a local
	// reverse proxy speaks for many clients, and every 127.x address is
	// local anyway). Default DefaultMaxConnsPerClient (128).
	MaxConnsPerClient int
	// HeaderTimeout bounds the TLS handshake and the reading of a
	// request's header, from the connection's start or, on a kept-alive
	// connection, from the request's first byte; ReadTimeout then bounds
	// the body, from the header's end. Default DefaultHeaderTimeout
	// (10 s), at most ReadTimeout.
	HeaderTimeout time.Duration
	// ReadTimeout, WriteTimeout and IdleTimeout bound connections. Defaults
	// 30 s, 0 (none: pcapng downloads and event streams may be long) and
	// 120 s.
	ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// SummaryInterval is how often the event stream sends its summary.
	// Default DefaultSummaryInterval (1 s).
	SummaryInterval time.Duration
	// MaxStreams bounds the event streams open at once; more get 503.
	// Default DefaultMaxStreams (256).
	MaxStreams int
	// MaxStreamsPerClient bounds the event streams one client address may
	// hold open at once; more get 429, so one client cannot take all of
	// MaxStreams. Default DefaultMaxStreamsPerClient (16).
	MaxStreamsPerClient int
	// HeavyReads is how many GET requests may do their work (build a
	// snapshot, walk it, encode the answer; a slice of an event list or
	// stream replay) at once; others wait their turn, up to 20 s before a
	// 503, so API load leaves CPU to capture. Default half the CPUs, at
	// least 1.
	HeavyReads int
	// DisableHTTP turns plain HTTP off (Serve refuses), leaving HTTPS
	// only. Default false: plain HTTP on Listen.
	DisableHTTP bool
	// TLS configures HTTPS. Default off.
	TLS TLSConfig
	// Metrics configures /metrics. Default: every family.
	Metrics MetricsConfig
}

// Iface describes one capture interface, for packet lists and pcapng
// export.
type Iface struct {
	Name string
	Link decode.LinkType
}

// Backend is what the server reads and controls. Its methods must be safe
// for concurrent use.
type Backend interface {
	// Snapshot returns the current model; the server does not modify it.
	Snapshot() *state.Snapshot
	// Events returns the model's event log.
	Events() *state.EventLog
	// Buffer returns the RAM capture buffer, or nil when there is none.
	Buffer() *ring.Buffer
	// Counters returns the capture counters by name (received, decoded,
	// notPTP, ...); /metrics exports them as ptpwatch_frames_total{result}.
	Counters() map[string]uint64
	// CaptureStatus describes the frame sources; it is served as JSON.
	CaptureStatus() any
	// ClearBuffer empties the RAM capture buffer (POST capture/clear).
	ClearBuffer() error
}

// InterfaceLister is implemented by a Backend that knows its capture
// interfaces; Interfaces()[i] describes the frames whose ring.Record
// IfIndex is i. Without it every frame is taken as Ethernet.
type InterfaceLister interface {
	Interfaces() []Iface
}

// PipelineLagger is implemented by a Backend whose frames pass through a
// live pipeline: /metrics reports how far its reader is behind capture.
type PipelineLagger interface {
	PipelineLag() time.Duration
}

// CaptureDropper is implemented by a Backend that captures live: /metrics
// reports each interface's frames received and lost, by cause.
type CaptureDropper interface {
	CaptureDrops() []InterfaceDrops
}

// InterfaceDrops is one capture interface's frame accounting.
type InterfaceDrops struct {
	Interface string
	Method    string            // af_xdp, af_packet, or "" while it is down
	Received  uint64            // frames the capture delivered
	Drops     map[string]uint64 // frames lost, by cause
}

// CaptureController is implemented by a Backend whose frame sources can
// be stopped and started again while the appliance runs (POST
// /api/v1/capture/stop and /start). Without it those routes answer 501.
//
// StopCapture stops reading frames (the model and the RAM capture buffer
// keep what they hold); StartCapture resumes. Both return once the change
// has taken effect. An error that says it is a conflict (it has a method
// Conflict() bool returning true, as state/pipeline's ErrRunning and
// ErrStopped do: the capture already runs, or is already stopped) is
// answered with 409; any other error means the change could not be made
// (an interface fails to open, a replay that has ended cannot start
// again) and is answered with 503 and the reason. CaptureStatus should
// then report Running accordingly.
type CaptureController interface {
	StartCapture() error
	StopCapture() error
}

// InsecureListenError is returned by New and Serve when the server would
// listen on a non-loopback address without any credentials configured.
type InsecureListenError struct {
	Addr string
}

func (e *InsecureListenError) Error() string {
	return "httpd: refusing to serve on non-loopback address " + e.Addr +
		" without credentials: configure at least one user or bearer token, or listen on 127.0.0.1"
}

// ConfigError is returned by New for an invalid Config.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string { return "httpd: config " + e.Field + ": " + e.Reason }

// Server is the HTTP server. Create it with New.
type Server struct {
	cfg    Config
	b      Backend
	log    *slog.Logger
	srv    *fasthttp.Server
	routes []route
	auth   *authenticator
	guard  *hostGuard

	guardCount guardCounters   // requests refused by checkHost and checkWrite
	mx         metricsCounters // requests answered, for /metrics

	mu          sync.Mutex           // held while building a tree
	tree        atomic.Pointer[tree] // built for the last snapshot served
	refresh     chan struct{}        // kicks the refresher
	refreshOnce sync.Once

	meta     MetadataStore
	settings SettingsStore // used when the Backend has none
	metaMu   sync.Mutex
	metaAll  map[string]DeviceMetadata // cached AllMetadata of generation metaGen
	metaGen  uint64

	hub      hub
	heavy    chan struct{} // Config.HeavyReads slots for API work
	done     chan struct{} // closed by Shutdown: ends event streams and dashcam exports
	doneOnce sync.Once
	exports  atomic.Int64 // dashcam exports still writing (see streamExport)

	ui *uiFiles

	certs     certStore
	tlsConfig *tls.Config            // nil without HTTPS
	tlsPort   atomic.Pointer[string] // the port ServeTLS listens on, for redirects

	limiter   *connLimiter     // shared by every listener
	lnMu      sync.Mutex       // guards listeners; Shutdown closes them
	listeners []*limitListener // being served

	debug bool // the log takes debug records: log every request
}

// New checks cfg and returns a server reading b. A nil log discards.
func New(cfg Config, b Backend, log *slog.Logger) (*Server, error) {
	if b == nil {
		return nil, errors.New("httpd: nil Backend")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.MaxRequestBody <= 0 {
		cfg.MaxRequestBody = DefaultMaxRequestBody
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 30 * time.Second
	}
	if cfg.HeaderTimeout == 0 {
		cfg.HeaderTimeout = DefaultHeaderTimeout
	}
	if cfg.ReadTimeout > 0 {
		cfg.HeaderTimeout = min(cfg.HeaderTimeout, cfg.ReadTimeout)
	}
	if cfg.MaxConns == 0 {
		cfg.MaxConns = DefaultMaxConns()
	}
	if cfg.MaxConnsPerClient == 0 {
		cfg.MaxConnsPerClient = DefaultMaxConnsPerClient
	}
	switch {
	case cfg.MaxConns < 0:
		return nil, &ConfigError{"MaxConns", fmt.Sprintf("%d: want a positive number (0 for the default)", cfg.MaxConns)}
	case cfg.MaxConnsPerClient < 0:
		return nil, &ConfigError{"MaxConnsPerClient", fmt.Sprintf("%d: want a positive number (0 for the default)", cfg.MaxConnsPerClient)}
	case cfg.HeaderTimeout < 0 || cfg.ReadTimeout < 0:
		return nil, &ConfigError{"HeaderTimeout", "timeouts must not be negative"}
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 120 * time.Second
	}
	if cfg.SummaryInterval <= 0 {
		cfg.SummaryInterval = DefaultSummaryInterval
	}
	if cfg.MaxStreams <= 0 {
		cfg.MaxStreams = DefaultMaxStreams
	}
	if cfg.MaxStreamsPerClient <= 0 {
		cfg.MaxStreamsPerClient = DefaultMaxStreamsPerClient
	}
	if cfg.HeavyReads <= 0 {
		cfg.HeavyReads = defaultHeavyReads()
	}
	a, err := newAuthenticator(cfg.Users, cfg.Tokens, log)
	if err != nil {
		return nil, err
	}
	g, err := newHostGuard(&cfg)
	if err != nil {
		return nil, err
	}
	for i, p := range cfg.AllowList {
		if !p.IsValid() {
			return nil, &ConfigError{fmt.Sprintf("AllowList[%d]", i), "invalid prefix"}
		}
	}
	if !a.enabled() && !cfg.DisableHTTP && !loopbackAddr(cfg.Listen) {
		return nil, &InsecureListenError{Addr: cfg.Listen}
	}
	s := &Server{cfg: cfg, b: b, log: log, auth: a, guard: g, done: make(chan struct{}), ui: embeddedUI(),
		refresh: make(chan struct{}, 1), heavy: make(chan struct{}, cfg.HeavyReads)}
	if err := s.setupTLS(); err != nil {
		return nil, err
	}
	if cfg = s.cfg; cfg.TLS.Enabled && !a.enabled() && !loopbackAddr(cfg.TLS.Listen) {
		return nil, &InsecureListenError{Addr: cfg.TLS.Listen}
	}
	s.limiter = newConnLimiter(cfg.AllowList, cfg.MaxConns, cfg.MaxConnsPerClient, log)
	s.hub.s = s
	s.debug = log.Enabled(context.Background(), slog.LevelDebug)
	s.meta = NewMemoryMetadata()
	s.settings = NewMemorySettings(Settings{})
	if mp, ok := b.(MetadataProvider); ok {
		if st := mp.MetadataStore(); st != nil {
			s.meta = st
		}
	}
	s.routes = s.routeTable()
	s.srv = &fasthttp.Server{
		Handler:            s.handle,
		Name:               "ptpwatch",
		MaxRequestBodySize: cfg.MaxRequestBody,
		// fasthttp's ReadTimeout starts before the TLS handshake and the
		// header; once the header is in, HeaderReceived gives the body
		// Config.ReadTimeout.
		ReadTimeout:           cfg.HeaderTimeout,
		HeaderReceived:        s.headerReceived,
		WriteTimeout:          cfg.WriteTimeout,
		IdleTimeout:           cfg.IdleTimeout,
		NoDefaultServerHeader: false,
		ErrorHandler:          s.transportError,
		Logger:                fasthttpLogger{log},
	}
	return s, nil
}

// Addr returns the configured listen address.
func (s *Server) Addr() string { return s.cfg.Listen }

// ListenAndServe listens on Config.Listen (plain HTTP, unless disabled)
// and TLSConfig.Listen (HTTPS, when enabled) and serves until Shutdown. It
// returns the first error of either.
func (s *Server) ListenAndServe() error {
	type serveFunc func(net.Listener) error
	var lns []net.Listener
	var fns []serveFunc
	listen := func(addr string, f serveFunc) error {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return err
		}
		lns, fns = append(lns, ln), append(fns, f)
		return nil
	}
	if !s.cfg.DisableHTTP {
		if err := listen(s.cfg.Listen, s.Serve); err != nil {
			return err
		}
	}
	if s.cfg.TLS.Enabled {
		if err := listen(s.cfg.TLS.Listen, s.ServeTLS); err != nil {
			return err
		}
	}
	errs := make(chan error, len(lns))
	for i := range lns {
		go func() { errs <- fns[i](lns[i]) }()
	}
	err := <-errs
	for range len(lns) - 1 {
		if e := <-errs; err == nil {
			err = e
		}
	}
	return err
}

// Serve serves plain HTTP on ln until Shutdown. It refuses a non-loopback
// listener when no credentials are configured, whatever Config.Listen
// said, and any listener when Config.DisableHTTP is set.
func (s *Server) Serve(ln net.Listener) error {
	if s.cfg.DisableHTTP {
		ln.Close()
		return errors.New("httpd: plain HTTP is disabled (Config.DisableHTTP)")
	}
	if !s.auth.enabled() && !loopbackAddr(ln.Addr().String()) {
		ln.Close()
		return &InsecureListenError{Addr: ln.Addr().String()}
	}
	if s.auth.hasUsers() && !loopbackAddr(ln.Addr().String()) && !s.cfg.TLS.Enabled {
		s.log.Warn("HTTP basic authentication over plain HTTP exposes passwords on the network: enable HTTPS or use bearer tokens",
			"addr", ln.Addr().String())
	}
	s.guard.addListen(ln.Addr().String())
	s.log.Info("HTTP API listening", "addr", ln.Addr().String(), "auth", s.auth.enabled(),
		"max_conns", s.cfg.MaxConns, "max_conns_per_client", s.cfg.MaxConnsPerClient)
	return s.serve(ln, nil)
}

// serve runs fasthttp on ln, wrapped in the connection limiter (and in
// TLS when tc is not nil), until Shutdown closes it. Temporary accept
// errors never end it; any other error closes ln before it is returned,
// so the caller may listen on the same address again.
func (s *Server) serve(ln net.Listener, tc *tls.Config) error {
	ll := s.limiter.wrap(ln)
	s.lnMu.Lock()
	select {
	case <-s.done:
		s.lnMu.Unlock()
		ln.Close()
		return ErrServerClosed
	default:
	}
	s.listeners = append(s.listeners, ll)
	s.lnMu.Unlock()
	defer func() {
		s.lnMu.Lock()
		s.listeners = slices.DeleteFunc(s.listeners, func(x *limitListener) bool { return x == ll })
		s.lnMu.Unlock()
	}()
	var served net.Listener = ll
	if tc != nil {
		served = tls.NewListener(ll, tc)
	}
	err := s.srv.Serve(served)
	if err != nil {
		ll.Close()
		return fmt.Errorf("httpd: serving %s: %w", ln.Addr(), err)
	}
	return nil
}

// headerReceived gives a request's body ReadTimeout from the end of its
// header (see Config.HeaderTimeout).
func (s *Server) headerReceived(*fasthttp.RequestHeader) fasthttp.RequestConfig {
	return fasthttp.RequestConfig{ReadTimeout: s.cfg.ReadTimeout}
}

// Shutdown ends event streams and dashcam exports, stops accepting
// connections and waits, until ctx ends, for open ones to finish and for
// exports to let go of the dashcam store. The server cannot serve again.
//
// Once it has returned nil no request reads the dashcam store any more,
// so the store may be closed. An export writing to a client that stopped
// reading ends only when the connection does (WriteTimeout).
func (s *Server) Shutdown(ctx context.Context) error {
	s.lnMu.Lock()
	s.doneOnce.Do(func() { close(s.done) })
	// Close the listeners here too: one whose Serve has registered it but
	// not yet reached fasthttp would otherwise escape fasthttp's Shutdown.
	for _, ll := range s.listeners {
		ll.Close()
	}
	s.lnMu.Unlock()
	err := s.srv.ShutdownWithContext(ctx)
	for err == nil && s.exports.Load() > 0 {
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return err
}

// loopbackAddr reports whether the host of addr is a loopback address
// ("localhost" counts; an empty host, meaning every address, does not).
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host = host[:i]
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// transportError answers requests fasthttp could not parse or accept
// (oversized bodies, bad request lines) with the JSON error shape.
func (s *Server) transportError(ctx *fasthttp.RequestCtx, err error) {
	if ctx.IsTLS() {
		ctx.Response.Header.Set(fasthttp.HeaderStrictTransportSecurity, hstsValue)
	}
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		writeError(ctx, fasthttp.StatusRequestEntityTooLarge,
			fmt.Sprintf("request body larger than the limit of %d bytes", s.cfg.MaxRequestBody))
	default:
		var te interface{ Timeout() bool }
		if errors.As(err, &te) && te.Timeout() {
			writeError(ctx, fasthttp.StatusRequestTimeout, "request timed out")
			return
		}
		writeError(ctx, fasthttp.StatusBadRequest, "malformed request: "+err.Error())
	}
}

type fasthttpLogger struct{ l *slog.Logger }

func (f fasthttpLogger) Printf(format string, args ...any) {
	f.l.Debug("fasthttp", "msg", fmt.Sprintf(format, args...))
}
