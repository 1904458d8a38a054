package httpd

import (
	"bytes"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// WriteHeader is the request header the web UI sends with every write
// (POST, PUT, DELETE). A write must carry it, a Content-Type no HTML form
// can send (application/json, image/png, ...), or a bearer token: see
// Server.checkWrite.
const WriteHeader = "X-PTPWatch"

// hostGuard decides whether a Host header names this server, which is
// what stops DNS rebinding: a page of evil.example whose name was pointed
// at 127.0.0.1 still sends "Host: evil.example". Only the host part is
// compared; the port is ignored, so a reverse proxy or an SSH tunnel on
// another port works as long as it keeps (or is configured with) a name
// the server knows.
//
// A host is accepted when it is
//   - a name or address in Config.AllowedHosts or TLSConfig.Hosts;
//   - "localhost" or a loopback address (an attacker's page cannot make a
//     browser send either: its origin would then be the loopback itself);
//   - the host name of the machine (os.Hostname, and its first label);
//   - the host part of a listen address (Config.Listen, TLSConfig.Listen,
//     the address of a listener given to Serve or ServeTLS);
//   - when a listen address is the wildcard (0.0.0.0, ::, empty), one of
//     the machine's own addresses (re-read at most every 10 s on a miss).
//
// An empty Host header (HTTP/1.0 clients; browsers always send one) is
// accepted. AllowedHosts "*" accepts every host, turning the check off.
type hostGuard struct {
	any   bool
	names map[string]bool // lower-case names and canonical addresses
	extra map[string]bool // the configured AllowedHosts and TLS hosts: also trusted as origins

	mu       sync.Mutex
	listen   map[string]bool // host parts of the listen addresses
	wildcard bool            // a listen address is 0.0.0.0, :: or empty
	ifAddrs  map[netip.Addr]bool
	ifRead   time.Time

	interfaceAddrs func() ([]net.Addr, error) // net.InterfaceAddrs; tests replace it
}

const ifAddrsRefresh = 10 * time.Second

func newHostGuard(cfg *Config) (*hostGuard, error) {
	g := &hostGuard{names: map[string]bool{"localhost": true}, extra: map[string]bool{},
		listen: map[string]bool{}, interfaceAddrs: net.InterfaceAddrs}
	add := func(field string, i int, h string) error {
		if h == "*" {
			g.any = true
			return nil
		}
		n := normHost(h)
		if n == "" || strings.ContainsAny(n, "/ :@") && !isIP(n) {
			return &ConfigError{field + "[" + strconv.Itoa(i) + "]", "want a host name or address without port or scheme, or \"*\""}
		}
		g.names[n], g.extra[n] = true, true
		return nil
	}
	for i, h := range cfg.AllowedHosts {
		if err := add("AllowedHosts", i, h); err != nil {
			return nil, err
		}
	}
	for i, h := range cfg.TLS.Hosts {
		if h != "*" {
			_ = add("TLS.Hosts", i, h) // setupTLS judges these; a name that cannot match is harmless
		}
	}
	if hn, err := os.Hostname(); err == nil && hn != "" {
		hn = normHost(hn)
		g.names[hn] = true
		if short, _, ok := strings.Cut(hn, "."); ok && short != "" {
			g.names[short] = true
		}
	}
	g.addListen(cfg.Listen)
	if cfg.TLS.Enabled {
		l := cfg.TLS.Listen
		if l == "" {
			l = DefaultTLSListen
		}
		g.addListen(l)
	}
	return g, nil
}

func isIP(h string) bool {
	_, err := netip.ParseAddr(h)
	return err == nil
}

// addListen records the host part of a listen address.
func (g *hostGuard) addListen(addr string) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	h := normHost(host)
	g.mu.Lock()
	defer g.mu.Unlock()
	if ip, err := netip.ParseAddr(h); h == "" || err == nil && ip.IsUnspecified() {
		g.wildcard = true
		return
	}
	g.listen[h] = true
}

// normHost lower-cases a host, drops brackets, an IPv6 zone and a final
// dot, and writes addresses canonically (IPv4-mapped ones as IPv4).
func normHost(h string) string {
	h = strings.ToLower(strings.TrimSuffix(strings.Trim(strings.TrimSpace(h), "[]"), "."))
	if i := strings.IndexByte(h, '%'); i >= 0 {
		h = h[:i]
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		return ip.Unmap().String()
	}
	return h
}

// splitHostHeader returns the host part of a Host header value (or of an
// Origin's host), and its port, "" when absent.
func splitHostHeader(hp string) (host, port string) {
	if strings.HasPrefix(hp, "[") {
		end := strings.IndexByte(hp, ']')
		if end < 0 {
			return normHost(hp), ""
		}
		host, rest := hp[1:end], hp[end+1:]
		return normHost(host), strings.TrimPrefix(rest, ":")
	}
	if strings.Count(hp, ":") == 1 {
		host, port, _ := strings.Cut(hp, ":")
		return normHost(host), port
	}
	return normHost(hp), ""
}

// allowed reports whether the host part of a Host header value names
// this server.
func (g *hostGuard) allowed(hostHeader string) bool {
	if hostHeader == "" || g.any {
		return true
	}
	h, _ := splitHostHeader(hostHeader)
	if g.names[h] {
		return true
	}
	ip, err := netip.ParseAddr(h)
	if err == nil && ip.IsLoopback() {
		return true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.listen[h] {
		return true
	}
	if err != nil || !g.wildcard {
		return false
	}
	if g.ifAddrs[ip] {
		return true
	}
	if time.Since(g.ifRead) < ifAddrsRefresh {
		return false
	}
	g.ifRead = time.Now()
	addrs, aerr := g.interfaceAddrs()
	if aerr != nil {
		return false
	}
	g.ifAddrs = map[netip.Addr]bool{}
	for _, a := range addrs {
		if p, perr := netip.ParsePrefix(a.String()); perr == nil {
			g.ifAddrs[p.Addr().Unmap().WithZone("")] = true
		}
	}
	return g.ifAddrs[ip]
}

// sameOrigin reports whether an Origin header names the server the
// request was sent to: the same host and port as the Host header (each
// port defaulting by its scheme), or a host configured in AllowedHosts or
// TLSConfig.Hosts (which a reverse proxy may serve on any port or scheme).
func (g *hostGuard) sameOrigin(origin, hostHeader string, isTLS bool) bool {
	if g.any {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return false // includes "null", sent by sandboxed frames and file: pages
	}
	oh, op := splitHostHeader(u.Host)
	if op == "" {
		op = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if g.extra[oh] {
		return true
	}
	rh, rp := splitHostHeader(hostHeader)
	if rp == "" {
		rp = "80"
		if isTLS {
			rp = "443"
		}
	}
	return oh != "" && oh == rh && op == rp
}

// guardCounters count requests refused by the Host, origin and write
// checks, for /metrics.
type guardCounters struct {
	host, origin, simple atomic.Uint64
}

// isWrite reports whether a method may change state.
func isWrite(method []byte) bool {
	switch string(method) {
	case fasthttp.MethodGet, fasthttp.MethodHead, fasthttp.MethodOptions:
		return false
	}
	return true
}

// checkHost refuses a request whose Host (or absolute request URI) does
// not name this server. It returns false once it has answered.
func (s *Server) checkHost(ctx *fasthttp.RequestCtx) bool {
	hosts := [2][]byte{ctx.Request.Header.Host(), ctx.URI().Host()}
	for _, h := range hosts {
		if !s.guard.allowed(string(h)) {
			s.guardCount.host.Add(1)
			writeError(ctx, fasthttp.StatusMisdirectedRequest, "host "+quoteHost(h)+
				" does not name this server: browse to it by a listen address or a name in the [http] hosts setting (this protects against DNS rebinding)")
			return false
		}
	}
	return true
}

// quoteHost quotes a Host value for an error message, cut to a sane length.
func quoteHost(h []byte) string {
	if len(h) > 100 {
		h = append(h[:100:100], "..."...)
	}
	return strconv.Quote(string(h))
}

// checkWrite refuses a state-changing request a browser could have been
// made to send by another site: one whose Origin is not this server, one
// whose Sec-Fetch-Site is cross-site or same-site (another origin), and
// one an HTML form could send (no WriteHeader, a form Content-Type or
// none). Requests with a bearer token are exempt from the last rule when
// tokens are configured: browsers never attach a token by themselves (a
// page setting Authorization itself makes the browser ask first, which
// the server does not grant), unlike basic credentials they have cached or
// the open loopback that needs none. It returns false once it has
// answered.
func (s *Server) checkWrite(ctx *fasthttp.RequestCtx) bool {
	if !isWrite(ctx.Method()) {
		return true
	}
	h := &ctx.Request.Header
	if o := h.Peek("Origin"); len(o) > 0 && !s.guard.sameOrigin(string(o), string(h.Host()), ctx.IsTLS()) {
		s.guardCount.origin.Add(1)
		writeError(ctx, fasthttp.StatusForbidden, "cross-origin write refused: origin "+quoteHost(o)+
			" is not this server (add its host to the [http] hosts setting if it is a proxy in front of it)")
		return false
	}
	if site := h.Peek("Sec-Fetch-Site"); bytes.EqualFold(site, []byte("cross-site")) || bytes.EqualFold(site, []byte("same-site")) {
		s.guardCount.origin.Add(1)
		writeError(ctx, fasthttp.StatusForbidden, "cross-site write refused (Sec-Fetch-Site: "+string(site)+")")
		return false
	}
	if len(h.Peek(WriteHeader)) > 0 || !formContentType(h.ContentType()) {
		return true
	}
	scheme, _, _ := bytes.Cut(bytes.TrimSpace(h.Peek(fasthttp.HeaderAuthorization)), []byte(" "))
	if s.auth.enabled() && bytes.EqualFold(scheme, []byte("Bearer")) {
		return true // checked next: a wrong token gets 401
	}
	s.guardCount.simple.Add(1)
	writeError(ctx, fasthttp.StatusForbidden, "write refused: send Content-Type: application/json or the header "+
		WriteHeader+": 1 (an HTML form can send neither, which protects against cross-site requests)")
	return false
}

// formContentType reports whether a Content-Type is one a cross-site page
// can send without the browser asking first (a CORS-safelisted type, as
// HTML forms and no-cors fetches use), or is missing.
func formContentType(ct []byte) bool {
	mt, _, _ := bytes.Cut(ct, []byte(";"))
	mt = bytes.ToLower(bytes.Trim(mt, " \t\r\n"))
	switch string(mt) {
	case "", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
		return true
	}
	return false
}

// securityMetrics writes the counters of refused requests and failed
// logins.
func (s *Server) securityMetrics(m *promWriter) {
	m.family("ptpwatch_http_refused_requests_total", "counter",
		"Requests refused before authentication, by reason: host (Host header names another server: DNS rebinding), origin (a write from another origin or site), form_write (a write an HTML form could send: no JSON Content-Type, no "+WriteHeader+" header, no bearer token).")
	m.sample("ptpwatch_http_refused_requests_total", float64(s.guardCount.host.Load()), "reason", "host")
	m.sample("ptpwatch_http_refused_requests_total", float64(s.guardCount.origin.Load()), "reason", "origin")
	m.sample("ptpwatch_http_refused_requests_total", float64(s.guardCount.simple.Load()), "reason", "form_write")
	if !s.auth.enabled() {
		return
	}
	m.family("ptpwatch_http_auth_failures_total", "counter",
		"Failed logins, by reason: bad_password, unknown_user, bad_token, malformed (unreadable basic credentials), throttled (refused without a check: locked out after repeated failures, or a check from the same address still running), busy (no password check slot free in time).")
	for r := range numAuthReasons {
		m.sample("ptpwatch_http_auth_failures_total", float64(s.auth.failures[r].Load()), "reason", authReasonNames[r])
	}
	m.family("ptpwatch_http_auth_lockouts_total", "counter", "Lockouts started for a client address or a user name after repeated failed logins.")
	m.sample("ptpwatch_http_auth_lockouts_total", float64(s.auth.lockouts.Load()))
}
