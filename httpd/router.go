package httpd

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// route is one entry of the route table.
type route struct {
	Method string
	// Pattern is the path; "{name}" matches one segment, and a last
	// "{name...}" one or more.
	Pattern string
	// Params lists the query parameters the route accepts; others are a
	// 400 error.
	Params []string
	handle func(c *call) error
	segs   []string
}

// Route is a route as Routes reports it.
type Route struct {
	Method, Pattern string
	Params          []string
}

// Routes lists the server's routes in matching order.
func (s *Server) Routes() []Route {
	out := make([]Route, len(s.routes))
	for i, r := range s.routes {
		out[i] = Route{r.Method, r.Pattern, slices.Clone(r.Params)}
	}
	return out
}

// call is one request being handled.
type call struct {
	s    *Server
	ctx  *fasthttp.RequestCtx
	vars []string // values of the pattern's {name} segments, in order
	rest []string // segments matched by a final {name...}
	role Role
	who  string // the user or token, for the log; "anonymous" without authentication
}

// apiError is an error with the HTTP status it maps to.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) error {
	return &apiError{status, fmt.Sprintf(format, args...)}
}

func badParam(name, value, want string) error {
	return errorf(fasthttp.StatusBadRequest, "bad value %q for parameter %q: %s", value, name, want)
}

type errorBody struct {
	Error  string `json:"error"`
	Status int    `json:"status"`
}

func writeError(ctx *fasthttp.RequestCtx, status int, msg string) {
	ctx.Response.ResetBody()
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	b, _ := json.Marshal(errorBody{msg, status})
	ctx.SetBody(append(b, '\n'))
}

// writeJSON answers v as JSON with status 200.
func writeJSON(ctx *fasthttp.RequestCtx, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return errorf(fasthttp.StatusInternalServerError, "encoding the answer: %v", err)
	}
	ctx.SetContentType("application/json")
	ctx.SetBody(append(b, '\n'))
	return nil
}

// splitPath splits a cleaned path into its segments, ignoring a trailing
// slash.
func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// match reports whether path segments fit r, filling c's variables.
func (r *route) match(segs []string, c *call) bool {
	vars := c.vars[:0]
	for i, p := range r.segs {
		if strings.HasSuffix(p, "...}") {
			if i >= len(segs) {
				return false
			}
			c.vars, c.rest = vars, segs[i:]
			return true
		}
		if i >= len(segs) {
			return false
		}
		if strings.HasPrefix(p, "{") {
			if segs[i] == "" {
				return false
			}
			vars = append(vars, segs[i])
		} else if p != segs[i] {
			return false
		}
	}
	if len(segs) != len(r.segs) {
		return false
	}
	c.vars, c.rest = vars, nil
	return true
}

func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic serving request", "path", string(ctx.Path()), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			writeError(ctx, fasthttp.StatusInternalServerError, "internal error")
		}
		s.mx.countRequest(ctx.Response.StatusCode())
		if s.debug {
			s.log.Debug("request", "method", string(ctx.Method()), "uri", string(ctx.RequestURI()),
				"status", ctx.Response.StatusCode(), "remote", ctx.RemoteIP().String(), "duration", time.Since(start))
		}
	}()
	ip, _ := netip.AddrFromSlice(ctx.RemoteIP())
	// The listener closes connections from other addresses at accept;
	// this is a second line for connections that reach the handler
	// another way.
	if !allowed(s.cfg.AllowList, ip) {
		writeError(ctx, fasthttp.StatusForbidden, "client address "+ip.Unmap().String()+" is not in the allow-list")
		return
	}
	if !s.checkHost(ctx) || !s.checkWrite(ctx) {
		return
	}
	plainRemote, done := s.tlsPolicy(ctx, ip)
	if done {
		return
	}
	c := call{s: s, ctx: ctx, role: RoleAdmin, who: "anonymous", vars: make([]string, 0, 4)}
	if s.auth.enabled() {
		if h := ctx.Request.Header.Peek(fasthttp.HeaderAuthorization); plainRemote && len(h) >= 6 && strings.EqualFold(string(h[:6]), "basic ") {
			writeError(ctx, fasthttp.StatusForbidden, s.basicNeedsTLS())
			return
		}
		r := s.auth.check(ctx, ip)
		switch r.status {
		case authOK:
		case authThrottled:
			ctx.Response.Header.Set(fasthttp.HeaderRetryAfter, retryAfter(r.retry))
			writeError(ctx, fasthttp.StatusTooManyRequests,
				"too many failed logins from this address or for this user: try again in "+retryAfter(r.retry)+" s")
			return
		case authBusy:
			ctx.Response.Header.Set(fasthttp.HeaderRetryAfter, retryAfter(r.retry))
			writeError(ctx, fasthttp.StatusServiceUnavailable, "every password check is busy: try again in "+retryAfter(r.retry)+" s")
			return
		default:
			if !plainRemote {
				// Never invite a browser to send a password in clear.
				ctx.Response.Header.Add(fasthttp.HeaderWWWAuthenticate, `Basic realm="ptpwatch", charset="UTF-8"`)
			}
			ctx.Response.Header.Add(fasthttp.HeaderWWWAuthenticate, `Bearer realm="ptpwatch"`)
			msg := "authentication required: use HTTP basic or bearer authentication"
			if plainRemote {
				msg = "authentication required: use a bearer token, or HTTPS (" + s.cfg.TLS.Listen + ") for basic authentication"
			}
			if len(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)) > 0 {
				msg = "invalid credentials"
			}
			writeError(ctx, fasthttp.StatusUnauthorized, msg)
			return
		}
		c.role, c.who = r.role, r.who
	}
	method := string(ctx.Method())
	if method == fasthttp.MethodHead {
		method = fasthttp.MethodGet
	}
	segs := splitPath(string(ctx.Path()))
	if s.ui.uiRequest(segs) {
		if method != fasthttp.MethodGet {
			ctx.Response.Header.Set(fasthttp.HeaderAllow, "GET, HEAD")
			writeError(ctx, fasthttp.StatusMethodNotAllowed, "method "+method+" not allowed on the web UI; allowed: GET, HEAD")
			return
		}
		s.ui.serve(ctx, segs)
		return
	}
	var allow []string
	var found *route
	for i := range s.routes {
		r := &s.routes[i]
		if !r.match(segs, &c) {
			continue
		}
		if r.Method == method {
			found = r
			break
		}
		if !slices.Contains(allow, r.Method) {
			allow = append(allow, r.Method)
		}
	}
	if found == nil {
		if len(allow) > 0 {
			if slices.Contains(allow, fasthttp.MethodGet) {
				allow = append(allow, fasthttp.MethodHead)
			}
			ctx.Response.Header.Set(fasthttp.HeaderAllow, strings.Join(allow, ", "))
			writeError(ctx, fasthttp.StatusMethodNotAllowed,
				fmt.Sprintf("method %s not allowed on %s; allowed: %s", method, ctx.Path(), strings.Join(allow, ", ")))
			return
		}
		if s.ui.pageNotFound(ctx, segs, method) {
			return
		}
		writeError(ctx, fasthttp.StatusNotFound, s.notFound(segs))
		return
	}
	if method != fasthttp.MethodGet && c.role != RoleAdmin {
		writeError(ctx, fasthttp.StatusForbidden, method+" "+string(ctx.Path())+" needs the admin role")
		return
	}
	for k := range ctx.QueryArgs().All() {
		if !slices.Contains(found.Params, string(k)) {
			want := "none"
			if len(found.Params) > 0 {
				want = strings.Join(found.Params, ", ")
			}
			writeError(ctx, fasthttp.StatusBadRequest,
				fmt.Sprintf("unknown parameter %q for %s; accepted: %s", k, found.Pattern, want))
			return
		}
	}
	// The handler's CPU work (building a snapshot, walking it, encoding
	// the answer) takes a heavy-read slot, so however many clients ask at
	// once, API work keeps to Config.HeavyReads cores at half duty and
	// the frame path keeps the rest. Bodies written later by a stream
	// writer take their own slots slice by slice.
	// Writes are rare, admin-only and may wait (for capture to stop, say),
	// so they do not hold a slot.
	gated := method == fasthttp.MethodGet
	if gated && !s.heavySlotWithin(apiQueueWait) {
		ctx.Response.Header.Set(fasthttp.HeaderRetryAfter, "1")
		writeError(ctx, fasthttp.StatusServiceUnavailable, "the API is busy with other requests: try again shortly")
		return
	}
	err := found.handle(&c)
	if gated {
		<-s.heavy
	}
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			writeError(ctx, ae.status, ae.msg)
			return
		}
		s.log.Warn("request failed", "path", string(ctx.Path()), "err", err)
		writeError(ctx, fasthttp.StatusInternalServerError, err.Error())
	}
}

// retryAfter is a Retry-After value: whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	return strconv.FormatInt(max(1, int64((d+time.Second-1)/time.Second)), 10)
}

// notFound explains a path no route matches, naming the first segment
// that is wrong.
func (s *Server) notFound(segs []string) string {
	best := 0
	for i := range s.routes {
		r := &s.routes[i]
		n := 0
		for n < len(segs) && n < len(r.segs) && (r.segs[n] == segs[n] || strings.HasPrefix(r.segs[n], "{")) {
			n++
		}
		if n > best {
			best = n
		}
	}
	if best < len(segs) {
		return fmt.Sprintf("no such resource: unknown path segment %q in /%s", segs[best], strings.Join(segs, "/"))
	}
	return fmt.Sprintf("no such resource: /%s is incomplete", strings.Join(segs, "/"))
}

// Query helpers. Each returns an apiError naming the parameter and value.

func (c *call) has(name string) bool { return c.ctx.QueryArgs().Has(name) }

func (c *call) str(name string) string { return string(c.ctx.QueryArgs().Peek(name)) }

// uintParam parses a decimal unsigned parameter; ok is false when absent.
func (c *call) uintParam(name string, max uint64) (v uint64, ok bool, err error) {
	if !c.has(name) {
		return 0, false, nil
	}
	s := c.str(name)
	v, perr := strconv.ParseUint(s, 10, 64)
	if perr != nil || v > max {
		return 0, false, badParam(name, s, fmt.Sprintf("want an integer from 0 to %d", max))
	}
	return v, true, nil
}

// timeParam parses a time as RFC 3339 or integer nanoseconds since the
// Unix epoch; ok is false when absent.
func (c *call) timeParam(name string) (ns int64, ok bool, err error) {
	if !c.has(name) {
		return 0, false, nil
	}
	s := c.str(name)
	if v, perr := strconv.ParseInt(s, 10, 64); perr == nil {
		return v, true, nil
	}
	t, perr := time.Parse(time.RFC3339Nano, s)
	if perr != nil {
		return 0, false, badParam(name, s, "want RFC 3339 time (2024-05-01T12:00:00Z) or integer nanoseconds since 1970")
	}
	if t.Year() < 1678 || t.Year() > 2261 {
		return 0, false, badParam(name, s, "time out of range")
	}
	return t.UnixNano(), true, nil
}

// timeRange reads from/to style parameters; absent ends are open.
func (c *call) timeRange(fromName, toName string) (from, to int64, err error) {
	from, to = math.MinInt64, math.MaxInt64
	if v, ok, err := c.timeParam(fromName); err != nil {
		return 0, 0, err
	} else if ok {
		from = v
	}
	if v, ok, err := c.timeParam(toName); err != nil {
		return 0, 0, err
	} else if ok {
		to = v
	}
	if from > to {
		return 0, 0, errorf(fasthttp.StatusBadRequest, "parameter %q (%s) is after %q (%s)", fromName, c.str(fromName), toName, c.str(toName))
	}
	return from, to, nil
}
