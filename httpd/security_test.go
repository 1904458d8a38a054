package httpd

import (
	"encoding/base64"
	"errors"
	"net"
	"net/netip"
	"testing"
)

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestInsecureListen(t *testing.T) {
	b := shared(t)
	for _, addr := range []string{":8319", "0.0.0.0:8319", "192.0.2.1:8319", "[::]:8319", "example.com:80"} {
		_, err := New(Config{Listen: addr}, b, nil)
		var ie *InsecureListenError
		if !errors.As(err, &ie) {
			t.Errorf("New(%s) without credentials: %v, want InsecureListenError", addr, err)
		}
	}
	for _, addr := range []string{"", "127.0.0.1:0", "[::1]:8319", "localhost:8319", "127.3.4.5:1"} {
		if _, err := New(Config{Listen: addr}, b, nil); err != nil {
			t.Errorf("New(%q): %v", addr, err)
		}
	}
	if _, err := New(Config{Listen: ":8319", Tokens: []Token{{"nms", RoleReadOnly, HashToken("t")}}}, b, nil); err != nil {
		t.Errorf("with a token: %v", err)
	}
	// Serve checks the listener it gets too.
	s, err := New(Config{}, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		t.Skip(err)
	}
	var ie *InsecureListenError
	if err := s.Serve(ln); !errors.As(err, &ie) {
		t.Errorf("Serve on 0.0.0.0: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	b := shared(t)
	for name, cfg := range map[string]Config{
		"plain password": {Users: []User{{"a", RoleAdmin, "secret"}}},
		"bad role":       {Users: []User{{"a", "root", "$2a$10$abcdefghijklmnopqrstuuJ4b8Eo6cS2C8Xj7zE1u9W8FQ0Qd7H4a"}}},
		"bad token":      {Tokens: []Token{{"x", RoleAdmin, "abc"}}},
		"colon in name":  {Tokens: []Token{{"x", RoleAdmin, HashToken("x")}}, Users: []User{{"a:b", RoleAdmin, ""}}},
		"bad prefix":     {AllowList: []netip.Prefix{{}}},
	} {
		var ce *ConfigError
		if _, err := New(cfg, b, nil); !errors.As(err, &ce) {
			t.Errorf("%s: %v, want ConfigError", name, err)
		}
	}
}

func TestAuth(t *testing.T) {
	adminHash, err := HashPassword("admin-pw")
	if err != nil {
		t.Fatal(err)
	}
	viewHash, _ := HashPassword("view-pw")
	cfg := Config{
		Users: []User{{"admin", RoleAdmin, adminHash}, {"viewer", RoleReadOnly, viewHash}},
		Tokens: []Token{
			{"nms", RoleReadOnly, HashToken("read-token-0123456789")},
			{"ops", RoleAdmin, HashToken("admin-token-0123456789")},
		},
	}
	base, _ := serve(t, cfg, newFixtureBackend(t))
	cases := []struct {
		name, method, auth string
		status             int
	}{
		{"none", "GET", "", 401},
		{"wrong password", "GET", basic("admin", "nope"), 401},
		{"unknown user", "GET", basic("mallory", "admin-pw"), 401},
		{"malformed basic", "GET", "Basic !!!", 401},
		{"wrong token", "GET", "Bearer not-a-token", 401},
		{"other scheme", "GET", "Digest x", 401},
		{"viewer", "GET", basic("viewer", "view-pw"), 200},
		{"viewer again (remembered)", "GET", basic("viewer", "view-pw"), 200},
		{"admin", "GET", basic("admin", "admin-pw"), 200},
		{"read token", "GET", "Bearer read-token-0123456789", 200},
		{"viewer POST", "POST", basic("viewer", "view-pw"), 403},
		{"read token POST", "POST", "Bearer read-token-0123456789", 403},
		{"no creds POST", "POST", "", 401},
		{"admin POST", "POST", basic("admin", "admin-pw"), 200},
		{"admin token POST", "POST", "bearer admin-token-0123456789", 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := "/api/v1/scopes"
			if tc.method == "POST" {
				path = "/api/v1/capture/clear"
			}
			var hdr []string
			if tc.auth != "" {
				hdr = []string{"Authorization", tc.auth}
			}
			r := do(t, tc.method, base+path, "", hdr...)
			if tc.status != 200 {
				checkError(t, r, tc.status)
			} else if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if tc.status == 401 && len(r.header.Values("WWW-Authenticate")) == 0 {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	// Metrics need credentials too.
	if r := do(t, "GET", base+"/metrics", ""); r.status != 401 {
		t.Errorf("/metrics without credentials: %d", r.status)
	}
}

func TestAllowList(t *testing.T) {
	b := shared(t)
	// A client outside the list is closed at accept, without an answer
	// (TestConnLimits has more).
	deny, _ := serve(t, Config{AllowList: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}, b)
	if resp, err := client.Get(deny + "/api/v1/scopes"); err == nil {
		resp.Body.Close()
		t.Errorf("a client outside the allow-list got status %d, want the connection closed", resp.StatusCode)
	}
	ok, _ := serve(t, Config{AllowList: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("127.0.0.0/8")}}, b)
	if r := do(t, "GET", ok+"/api/v1/scopes", ""); r.status != 200 {
		t.Errorf("allowed client: %d %s", r.status, r.body)
	}
}

func TestLoopbackAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:1": true, "[::1]:1": true, "localhost:1": true, "LOCALHOST:1": true, "[::ffff:127.0.0.1]:1": true,
		":1": false, "0.0.0.0:1": false, "10.0.0.1:1": false, "[fe80::1%eth0]:1": false, "garbage": false,
	} {
		if got := loopbackAddr(addr); got != want {
			t.Errorf("loopbackAddr(%q) = %v", addr, got)
		}
	}
}
