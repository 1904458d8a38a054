// Package httpd serves ptpwatch's REST API and Prometheus metrics over
// fasthttp: the live model (segments, scopes, devices, ports, instances,
// hierarchy), events, statistics, the packets of the RAM capture buffer
// (listed, decoded field by field, or streamed as pcapng) and a few control
// actions.
//
// # Routes
//
// Every route is in one table (see Routes); /api/v1/openapi.json describes
// the same set, and a test keeps the two in step. Resource paths under
// /api/v1/scopes, /api/v1/devices and /api/v1/instances are walked
// generically: each segment selects a collection member by its key (scope
// and instance id in decimal, device clockIdentity), a field by its JSON
// name, or, written as "*", every member in a stable order, so
//
//	/api/v1/scopes/*/instances/*/portState
//
// answers with one flat array of the portState of every instance of every
// scope. Field names follow IEEE 1588 as the state package's snapshot does.
//
// # Errors
//
// Every 4xx and 5xx answer is a JSON object {"error": "...", "status": N}
// saying what was wrong: the unknown path segment, the bad parameter and its
// value, or the method not allowed (with an Allow header).
//
// # Web UI
//
// The web UI (plain HTML, CSS and JavaScript modules under ui/, no build
// step) is embedded in the binary and served at / and at each page's path
// (/overview, /packets, /devices, /hierarchy, /events, /settings), with its
// files under /ui/VERSION/ cached for good (see ui.go). It reads the same
// API, and follows GET /api/v1/events/stream, a server-sent event stream of
// model events and a summary each second (see stream.go).
//
// # Device metadata
//
// Operators' notes on a device (alias, location, vendor, model, revisions)
// and an image are kept in a MetadataStore: the Backend's, when it
// implements MetadataProvider, otherwise one in memory. Device objects
// carry them as "metadata".
//
// # Dashcam
//
// With a dashcam store (ptpwatch --data DIR; the Backend implements
// Dashcam) the server lists, shows, exports and deletes the incidents it
// holds under /api/v1/incidents, records one on request (POST, admin) and
// exports the continuous archive (GET /api/v1/archive.pcapng?from=&to=,
// both required). Exports are streamed, so memory does not grow with
// them; an incident still recording exports as far as it is stored: a
// valid pcapng ending at the last stored frame, whose section comment says
// "recording". Deleting an incident still recording is 409, and writes
// while disk trouble pauses the store are 503. Without a store every one
// of these routes answers 404 "no dashcam store: start ptpwatch with
// --data DIR"; with a store but no recorder POST answers 501.
//
// # Security
//
// The server listens on 127.0.0.1:8319 unless configured otherwise. Bound
// to any other address it refuses to start (InsecureListenError) unless at
// least one user or bearer token is configured. With credentials configured
// every request needs HTTP basic or bearer authentication; users and tokens
// have a role, read-only or admin, and only admin may use POST, PUT or
// DELETE. Passwords are stored as bcrypt hashes (HashPassword), tokens as
// SHA-256 digests (HashToken). Request bodies are bounded by
// Config.MaxRequestBody.
//
// Connections are limited at accept, before any byte is read: an optional
// allow-list of client prefixes (Config.AllowList) closes other clients'
// connections at once, without an answer, and so do Config.MaxConns (in
// total, by default half the open-file limit) and Config.MaxConnsPerClient
// (per address, loopback exempt). Accept errors that pass, such as running
// out of file descriptors (EMFILE), pause accepting (up to a second) instead
// of ending Serve. Config.HeaderTimeout bounds the TLS handshake and each
// request's header. /metrics counts open, accepted and refused connections
// and accept errors (ptpwatch_http_*).
//
// Every request's Host header must name the server: a listen address,
// localhost or a loopback address, the machine's host name, a TLS
// certificate host, Config.AllowedHosts, or (listening on 0.0.0.0 or ::)
// one of the machine's addresses; only the host part counts, not the
// port. Others get 421, which stops DNS rebinding. Writes (methods other
// than GET, HEAD and OPTIONS) are refused with 403 when their Origin is
// another origin, when Sec-Fetch-Site says cross-site or same-site, and
// when an HTML form could have sent them: without the WriteHeader
// (X-PTPWatch, which the web UI and the CLI send) and with a form
// Content-Type or none. Bearer requests are exempt from the last rule, as
// browsers never add tokens by themselves.
//
// Failed logins are logged and counted (/metrics). After 10 failures an
// address (IPv6: its /64) or a user name is locked out for a second,
// doubling with each further failure up to 5 minutes; locked clients get
// 429 with Retry-After and no bcrypt comparison, and a locked name only
// blocks addresses that have failed too. bcrypt comparisons run one per
// address and one or two at a time in all, while credentials verified
// before are remembered and pass without waiting, so a guessing flood
// neither slows valid clients nor starves capture of CPU.
//
// HTTPS (Config.TLS) serves with a configured certificate or a generated
// self-signed ECDSA P-256 one, kept in memory or in a directory; plain
// HTTP can be turned off (Config.DisableHTTP). TLS 1.2 is limited to ECDHE
// key exchange with AES-GCM or ChaCha20-Poly1305; TLS 1.3 is offered too.
// HTTPS answers carry Strict-Transport-Security. With HTTPS enabled, a
// plain HTTP request from another host is redirected (308) to HTTPS before
// authentication, so no basic-authentication challenge is ever sent over
// plain HTTP to the network; when HTTPS listens only on the loopback such
// requests are served, but basic authentication is neither offered nor
// accepted (bearer tokens are).
//
// # Concurrency
//
// The server reads the model through Backend, whose methods must be safe
// for concurrent use. A snapshot is treated as immutable; the index the
// wildcard walker needs is built once per snapshot pointer, so a Backend
// that hands out the same snapshot between model publications saves work.
package httpd
