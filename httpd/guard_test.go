package httpd

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// logBuffer collects a server's log lines; safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

// clientFrom returns a client of m whose connections come from ip.
func (m *memServer) clientFrom(ip net.IP) *http.Client {
	tr := &http.Transport{
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			return m.ln.DialWithLocalAddr(&net.TCPAddr{IP: ip, Port: 40001})
		},
		DisableCompression: true,
	}
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

// TestHostHeader: a Host naming another server is refused (DNS
// rebinding); listen addresses, the loopback, the host name and the
// configured hosts pass, whatever the port.
func TestHostHeader(t *testing.T) {
	base, s := serve(t, Config{AllowedHosts: []string{"ptp.example.net", "198.51.100.7"}}, shared(t))
	port := strings.TrimPrefix(base, "http://127.0.0.1:")
	cases := []struct {
		host   string
		status int
	}{
		{"127.0.0.1:" + port, 200},
		{"127.0.0.1", 200},
		{"localhost:" + port, 200},
		{"LOCALHOST", 200},
		{"[::1]:" + port, 200},
		{"127.0.0.2:8080", 200}, // any loopback address: no page can rebind to it
		{"ptp.example.net", 200},
		{"PTP.Example.NET.:9443", 200}, // behind a proxy: the port is not compared
		{"198.51.100.7:80", 200},
		{"evil.example", 421},
		{"evil.example:" + port, 421},
		{"127.0.0.1.evil.example", 421},
		{"localhost.evil.example", 421},
		{"ptp.example.net.evil.example", 421},
		{"192.0.2.1:" + port, 421},
		{"[2001:db8::1]:" + port, 421},
	}
	for _, tc := range cases {
		t.Run(tc.host, func(t *testing.T) {
			r := do(t, "GET", base+"/api/v1/settings", "", "Host", tc.host)
			if tc.status == 200 {
				if r.status != 200 {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				return
			}
			checkError(t, r, tc.status, "does not name this server", "[http] hosts")
		})
	}
	// The web UI too: a rebound page must not read it either.
	checkError(t, do(t, "GET", base+"/", "", "Host", "evil.example"), 421)
	if n := s.guardCount.host.Load(); n < 7 {
		t.Errorf("host refusals counted: %d", n)
	}
}

// TestForeignHostCannotChangeSettings is the rebinding attack of issue
// 12: a page of another name, resolved to the loopback, changing the
// settings of an open appliance.
func TestForeignHostCannotChangeSettings(t *testing.T) {
	base, _ := serve(t, Config{}, newFixtureBackend(t))
	body := `{"stateTerms":"custom","masterTerm":"Evil","slaveTerm":"Pwned"}`
	for _, hdr := range [][]string{
		{"Host", "rebind.evil.example:80"},
		{"Host", "rebind.evil.example", "Content-Type", "application/json"},
		{"Host", "rebind.evil.example", "Origin", "http://rebind.evil.example"},
	} {
		checkError(t, do(t, "PUT", base+"/api/v1/settings", body, hdr...), 421, "rebind.evil.example")
	}
	r := do(t, "GET", base+"/api/v1/settings", "")
	if r.status != 200 || bytes.Contains(r.body, []byte("Pwned")) {
		t.Fatalf("settings after refused writes: %d %s", r.status, r.body)
	}
	// The same write from the UI's own origin works.
	r = do(t, "PUT", base+"/api/v1/settings", body, "Origin", base, "Content-Type", "application/json")
	if r.status != 200 || !bytes.Contains(r.body, []byte("Pwned")) {
		t.Fatalf("same-origin write: %d %s", r.status, r.body)
	}
}

// TestCrossSiteWrites: writes a page of another site could make a
// browser send are refused, on the open loopback and with basic
// authentication; the UI's fetches, curl with a JSON body and bearer
// clients pass.
func TestCrossSiteWrites(t *testing.T) {
	fx := newDashcamFixture(t)
	fb := &fixtureBackend{snap: fx.fb.snap, events: fx.fb.events, buf: fx.fb.buf, counters: map[string]uint64{}, ifaces: fx.fb.ifaces}
	b := &dashcamBackend{fb, fx.live.store, fx.live.rec}
	m := serveMem(t, Config{}, b, memOpts{})
	self := "http://127.0.0.1:8319"
	noHdr := []string{WriteHeader, ""}
	incidents := func() int {
		var list []json.RawMessage
		decodeJSON(t, m.get(t, "/api/v1/incidents"), &list)
		return len(list)
	}
	refused := []struct {
		name, path, body string
		hdr              []string
		want             string
	}{
		{"text/plain POST from another site", "/api/v1/incidents", `{"note":"csrf"}`,
			[]string{WriteHeader, "", "Content-Type", "text/plain", "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}, "cross-origin"},
		{"text/plain POST, no Origin", "/api/v1/incidents", `{"note":"csrf"}`,
			[]string{WriteHeader, "", "Content-Type", "text/plain;charset=UTF-8"}, WriteHeader},
		{"form POST", "/api/v1/capture/clear", "a=b",
			[]string{WriteHeader, "", "Content-Type", "application/x-www-form-urlencoded"}, WriteHeader},
		{"multipart form POST", "/api/v1/capture/clear", "--x--",
			[]string{WriteHeader, "", "Content-Type", "multipart/form-data; boundary=x"}, WriteHeader},
		{"no-cors fetch without a body", "/api/v1/capture/clear", "", noHdr, WriteHeader},
		{"JSON from another origin", "/api/v1/capture/clear", "{}",
			[]string{"Content-Type", "application/json", "Origin", "http://evil.example"}, "cross-origin"},
		{"header from another port of the host", "/api/v1/capture/clear", "",
			[]string{"Origin", "http://127.0.0.1:3000"}, "cross-origin"},
		{"null origin", "/api/v1/incidents", "{}", []string{"Origin", "null"}, "cross-origin"},
		{"Sec-Fetch-Site cross-site", "/api/v1/capture/clear", "", []string{"Sec-Fetch-Site", "cross-site"}, "cross-site"},
		{"Sec-Fetch-Site same-site", "/api/v1/capture/clear", "", []string{"Sec-Fetch-Site", "same-site"}, "cross-site"},
		{"a bearer header means nothing on the open API", "/api/v1/capture/clear", "",
			[]string{WriteHeader, "", "Content-Type", "text/plain", "Authorization", "Bearer x"}, WriteHeader},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			checkError(t, m.send(t, "POST", tc.path, tc.body, tc.hdr...), 403, tc.want)
		})
	}
	if fb.cleared != 0 || fb.buf.Stats().Frames == 0 {
		t.Fatalf("buffer cleared by a refused request (%d clears)", fb.cleared)
	}
	if n := incidents(); n != 0 {
		t.Fatalf("%d incidents recorded by refused requests", n)
	}
	if m.s.guardCount.simple.Load() == 0 || m.s.guardCount.origin.Load() == 0 {
		t.Errorf("refusals not counted: %d form writes, %d origins", m.s.guardCount.simple.Load(), m.s.guardCount.origin.Load())
	}

	// What the web UI sends: same origin, WriteHeader.
	r := m.send(t, "POST", "/api/v1/incidents", `{"note":"from the UI"}`,
		"Origin", self, "Sec-Fetch-Site", "same-origin", "Content-Type", "application/json")
	if r.status != 201 {
		t.Fatalf("UI-like trigger: %d %s", r.status, r.body)
	}
	// curl -H 'Content-Type: application/json' (no Origin, no header).
	r = m.send(t, "POST", "/api/v1/incidents", `{"note":"from curl"}`, WriteHeader, "", "Content-Type", "application/json")
	if r.status != 201 {
		t.Fatalf("curl-like trigger: %d %s", r.status, r.body)
	}
	if n := incidents(); n == 0 {
		t.Error("no incident recorded") // (a second trigger may join the first, still recording)
	}
	// An image upload's own type is no form type either.
	r = m.send(t, "PUT", "/api/v1/devices/0011.22ff.fe33.4455/image", "x", WriteHeader, "", "Content-Type", "image/png")
	if r.status == 403 {
		t.Errorf("image PUT with its own Content-Type refused: %s", r.body)
	}
	r = m.send(t, "POST", "/api/v1/capture/clear", "", "Origin", self)
	if r.status != 200 || fb.cleared != 1 {
		t.Errorf("UI-like clear: %d %s (%d clears)", r.status, r.body, fb.cleared)
	}
	// Reads are not affected, whatever the origin.
	if r := m.get(t, "/api/v1/capture", "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"); r.status != 200 {
		t.Errorf("cross-site GET: %d %s", r.status, r.body)
	}
}

// TestFormPostWithBasicAuth: a browser holding basic credentials for the
// appliance cannot be made to stop the capture by another site's form,
// while a bearer client needs no extra header.
func TestFormPostWithBasicAuth(t *testing.T) {
	b := &controlBackend{fixtureBackend: shared(t), running: true}
	adminHash, _ := HashPassword("pw")
	m := serveMem(t, Config{Users: []User{{"admin", RoleAdmin, adminHash}},
		Tokens: []Token{{"ops", RoleAdmin, HashToken("admin-token-0123456789")}}}, b, memOpts{})
	admin := basic("admin", "pw")
	for _, path := range []string{"/api/v1/capture/stop", "/api/v1/capture/start", "/api/v1/capture/clear"} {
		r := m.send(t, "POST", path, "x=1", WriteHeader, "", "Authorization", admin,
			"Content-Type", "application/x-www-form-urlencoded", "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		checkError(t, r, 403, "cross-origin")
		// Without Origin and Sec-Fetch-Site (an older browser, or a
		// privacy extension that strips them) the form type alone is refused.
		r = m.send(t, "POST", path, "x=1", WriteHeader, "", "Authorization", admin, "Content-Type", "application/x-www-form-urlencoded")
		checkError(t, r, 403, WriteHeader)
	}
	if !b.running || b.fixtureBackend.cleared != 0 {
		t.Fatalf("capture running %v, %d clears after refused form posts", b.running, b.fixtureBackend.cleared)
	}
	r := m.send(t, "POST", "/api/v1/capture/stop", "", "Authorization", admin)
	if r.status != 200 || b.running {
		t.Fatalf("stop with %s: %d %s", WriteHeader, r.status, r.body)
	}
	r = m.send(t, "POST", "/api/v1/capture/start", "", WriteHeader, "", "Authorization", "Bearer admin-token-0123456789")
	if r.status != 200 || !b.running {
		t.Fatalf("start with a bearer token: %d %s", r.status, r.body)
	}
	// A bearer token does not excuse another origin.
	r = m.send(t, "POST", "/api/v1/capture/stop", "", "Authorization", "Bearer admin-token-0123456789", "Origin", "http://evil.example")
	checkError(t, r, 403, "cross-origin")
}

func TestHostGuardRules(t *testing.T) {
	g, err := newHostGuard(&Config{Listen: "0.0.0.0:8319", AllowedHosts: []string{"ptp.example.net"}})
	if err != nil {
		t.Fatal(err)
	}
	reads := 0
	g.interfaceAddrs = func() ([]net.Addr, error) {
		reads++
		_, a, _ := net.ParseCIDR("192.0.2.10/24")
		a.IP = net.ParseIP("192.0.2.10")
		_, b, _ := net.ParseCIDR("2001:db8::10/64")
		b.IP = net.ParseIP("2001:db8::10")
		return []net.Addr{a, b}, nil
	}
	for host, want := range map[string]bool{
		"192.0.2.10:8319": true, "[2001:db8::10]": true, "192.0.2.10": true, "ptp.example.net": true, "": true,
		"192.0.2.11": false, "evil.example": false, "[2001:db8::11]:8319": false,
	} {
		if got := g.allowed(host); got != want {
			t.Errorf("listening on 0.0.0.0: allowed(%q) = %v", host, got)
		}
	}
	if reads != 1 {
		t.Errorf("interface addresses read %d times, want once per %v", reads, ifAddrsRefresh)
	}

	g, _ = newHostGuard(&Config{Listen: "192.0.2.10:8319", TLS: TLSConfig{Enabled: true, Listen: "ptp.example.org:8443", Hosts: []string{"cert.example"}}})
	for host, want := range map[string]bool{
		"192.0.2.10": true, "ptp.example.org": true, "cert.example": true, "localhost": true,
		"192.0.2.11": false, "ptp.example.net": false,
	} {
		if got := g.allowed(host); got != want {
			t.Errorf("listening on 192.0.2.10: allowed(%q) = %v", host, got)
		}
	}
	if _, err := newHostGuard(&Config{AllowedHosts: []string{"http://x.example/"}}); err == nil {
		t.Error("AllowedHosts with a scheme accepted")
	}
	any, _ := newHostGuard(&Config{AllowedHosts: []string{"*"}})
	if !any.allowed("anything.example") || !any.sameOrigin("http://anything.example", "x", false) {
		t.Error(`"*" does not accept every host`)
	}

	g, _ = newHostGuard(&Config{Listen: "127.0.0.1:8319", AllowedHosts: []string{"proxy.example"}})
	for _, tc := range []struct {
		origin, host string
		tls, want    bool
	}{
		{"http://127.0.0.1:8319", "127.0.0.1:8319", false, true},
		{"http://LOCALHOST:8319", "localhost:8319", false, true},
		{"https://ptp.example.net", "ptp.example.net", true, true},
		{"https://ptp.example.net:443", "ptp.example.net", true, true},
		{"http://ptp.example.net", "ptp.example.net:80", false, true},
		{"https://proxy.example", "127.0.0.1:8319", false, true}, // a configured host: any port
		{"http://127.0.0.1:3000", "127.0.0.1:8319", false, false},
		{"http://localhost:8319", "127.0.0.1:8319", false, false},
		{"http://evil.example", "127.0.0.1:8319", false, false},
		{"https://ptp.example.net", "ptp.example.net", false, false}, // 443 against plain 80
		{"null", "127.0.0.1:8319", false, false},
		{"file://", "127.0.0.1:8319", false, false},
		{"http://user@127.0.0.1:8319", "127.0.0.1:8319", false, false},
		{"::garbage", "127.0.0.1:8319", false, false},
	} {
		if got := g.sameOrigin(tc.origin, tc.host, tc.tls); got != tc.want {
			t.Errorf("sameOrigin(%q, %q, tls %v) = %v", tc.origin, tc.host, tc.tls, got)
		}
	}
	for ct, form := range map[string]bool{
		"": true, "text/plain": true, "Text/Plain; charset=utf-8": true, " application/x-www-form-urlencoded ": true,
		"multipart/form-data; boundary=x": true, "application/json": false, "application/json; charset=utf-8": false,
		"image/png": false, "text/plain, application/json": false,
	} {
		if got := formContentType([]byte(ct)); got != form {
			t.Errorf("formContentType(%q) = %v", ct, got)
		}
	}
}

// TestAuditNamesUser: the log of a write names the user or token and the
// client address, not the role.
func TestAuditNamesUser(t *testing.T) {
	var logs logBuffer
	adminHash, _ := HashPassword("pw")
	b := &controlBackend{fixtureBackend: newFixtureBackend(t), running: true}
	m := serveMem(t, Config{Users: []User{{"alice", RoleAdmin, adminHash}},
		Tokens: []Token{{"ops-robot", RoleAdmin, HashToken("admin-token-0123456789")}}}, b, memOpts{log: logs.logger(), remote: net.ParseIP("192.0.2.44")})
	for _, tc := range []struct {
		path, auth, want string
	}{
		{"/api/v1/capture/clear", basic("alice", "pw"), `msg="capture buffer cleared" by=alice remote=192.0.2.44`},
		{"/api/v1/capture/stop", basic("alice", "pw"), `msg="capture stop requested" by=alice remote=192.0.2.44`},
		{"/api/v1/capture/start", "Bearer admin-token-0123456789", `msg="capture start requested" by="token ops-robot" remote=192.0.2.44`},
	} {
		if r := m.send(t, "POST", tc.path, "", "Authorization", tc.auth); r.status != 200 {
			t.Fatalf("%s: %d %s", tc.path, r.status, r.body)
		}
		if !strings.Contains(logs.String(), tc.want) {
			t.Errorf("log lacks %s:\n%s", tc.want, logs.String())
		}
	}
	if strings.Contains(logs.String(), "by=admin") {
		t.Errorf("log names the role:\n%s", logs.String())
	}

	var open logBuffer
	m = serveMem(t, Config{}, b, memOpts{log: open.logger()})
	if r := m.send(t, "POST", "/api/v1/capture/clear", ""); r.status != 200 {
		t.Fatalf("open clear: %d %s", r.status, r.body)
	}
	if want := "by=anonymous remote=127.0.0.1"; !strings.Contains(open.String(), want) {
		t.Errorf("open API log lacks %s:\n%s", want, open.String())
	}
}
