package httpd

import (
	"bufio"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestHTTPSRedirect: with HTTPS on, plain HTTP from another host is
// redirected to HTTPS before authentication, so no basic-authentication
// challenge (which makes browsers send the password in clear) is ever
// sent over plain HTTP to the network.
func TestHTTPSRedirect(t *testing.T) {
	adminHash, _ := HashPassword("admin-pw")
	cfg := Config{Listen: "0.0.0.0:8319", Users: []User{{"admin", RoleAdmin, adminHash}},
		Tokens:       []Token{{"nms", RoleReadOnly, HashToken("read-token-0123456789")}},
		TLS:          TLSConfig{Enabled: true, Listen: "0.0.0.0:8443"},
		AllowedHosts: []string{"ptp.example.net", "ptp", "192.0.2.1", "2001:db8::1"}}
	b := shared(t)
	remote := serveMem(t, cfg, b, memOpts{remote: net.IPv4(192, 0, 2, 7)})
	local := serveMem(t, cfg, b, memOpts{})
	loopTLS := cfg
	loopTLS.TLS.Listen = "127.0.0.1:8443"
	remoteLoopTLS := serveMem(t, loopTLS, b, memOpts{remote: net.IPv4(192, 0, 2, 7)})
	secure := serveMem(t, cfg, b, memOpts{tls: true, remote: net.IPv4(192, 0, 2, 7)})
	for _, tc := range []struct {
		name, method, host, path, auth string
		m                              *memServer
		status                         int
		location                       string
	}{
		{"GET from the network", "GET", "ptp.example.net:8319", "/api/v1/scopes?x=1", "", remote, 308, "https://ptp.example.net:8443/api/v1/scopes?x=1"},
		{"UI from the network", "GET", "ptp.example.net", "/", "", remote, 308, "https://ptp.example.net:8443/"},
		{"basic from the network", "GET", "192.0.2.1:8319", "/api/v1/scopes", basic("admin", "admin-pw"), remote, 308, "https://192.0.2.1:8443/api/v1/scopes"},
		{"POST from the network", "POST", "[2001:db8::1]:8319", "/api/v1/capture/clear", "Bearer read-token-0123456789", remote, 308, "https://[2001:db8::1]:8443/api/v1/capture/clear"},
		{"wrong password from the network", "GET", "ptp", "/api/v1/scopes", basic("admin", "nope"), remote, 308, "https://ptp:8443/api/v1/scopes"},
		{"loopback over plain HTTP", "GET", "localhost:8319", "/api/v1/scopes", "", local, 401, ""},
		{"basic on the loopback", "GET", "localhost:8319", "/api/v1/scopes", basic("admin", "admin-pw"), local, 200, ""},
		{"HTTPS only on the loopback: no basic offered", "GET", "ptp:8319", "/api/v1/scopes", "", remoteLoopTLS, 401, ""},
		{"HTTPS only on the loopback: basic refused", "GET", "ptp:8319", "/api/v1/scopes", basic("admin", "admin-pw"), remoteLoopTLS, 403, ""},
		{"HTTPS only on the loopback: bearer", "GET", "ptp:8319", "/api/v1/scopes", "Bearer read-token-0123456789", remoteLoopTLS, 200, ""},
		{"over HTTPS", "GET", "localhost", "/api/v1/scopes", basic("admin", "admin-pw"), secure, 200, ""},
		{"over HTTPS without credentials", "GET", "localhost", "/api/v1/scopes", "", secure, 401, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, tc.m.base+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = tc.host
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			c := *tc.m.client
			c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if got := resp.Header.Get("Location"); got != tc.location {
				t.Errorf("Location %q, want %q", got, tc.location)
			}
			challenges := strings.Join(resp.Header.Values("WWW-Authenticate"), "; ")
			wantBasic := resp.StatusCode == 401 && tc.m != remoteLoopTLS
			if strings.Contains(challenges, "Basic") != wantBasic {
				t.Errorf("WWW-Authenticate %q; basic challenge wanted: %v", challenges, wantBasic)
			}
			hsts := resp.Header.Get("Strict-Transport-Security")
			if tc.m == secure && !strings.HasPrefix(hsts, "max-age=31536000") {
				t.Errorf("HTTPS answer without HSTS: %q", hsts)
			} else if tc.m != secure && hsts != "" {
				t.Errorf("HSTS over plain HTTP: %q", hsts)
			}
		})
	}
	// The redirect goes to the port HTTPS really listens on.
	s, err := New(Config{Users: cfg.Users, TLS: TLSConfig{Enabled: true, Listen: "0.0.0.0:0"}}, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.ServeTLS(ln)
	defer s.Shutdown(t.Context())
	waitFor(t, "the HTTPS port", func() bool { return s.tlsPort.Load() != nil })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	if u := s.httpsURL(fakeCtx("ptp", "/x?y")); u != "https://ptp:"+port+"/x?y" {
		t.Errorf("redirect to %s, want port %s", u, port)
	}
}

// TestHSTSEverywhere: every HTTPS answer, errors and the UI included,
// carries Strict-Transport-Security.
func TestHSTSEverywhere(t *testing.T) {
	m := serveMem(t, Config{}, shared(t), memOpts{tls: true})
	for _, path := range []string{"/", "/api/v1/scopes", "/api/v1/nonsense", "/metrics", "/api/v1/scopes?bogus=1"} {
		r := m.get(t, path)
		if got := r.header.Get("Strict-Transport-Security"); got != hstsValue {
			t.Errorf("%s (%d): Strict-Transport-Security %q", path, r.status, got)
		}
	}
	// Answers fasthttp makes itself, for requests it cannot parse.
	for _, req := range []string{
		"POST /api/v1/capture/clear HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999\r\n\r\n",
		"GET /api/v1/scopes HTTP/1.1\r\nHost: localhost\r\nContent-Length: nonsense\r\n\r\n",
	} {
		raw, err := m.ln.Dial()
		if err != nil {
			t.Fatal(err)
		}
		c := tls.Client(raw, &tls.Config{InsecureSkipVerify: true})
		c.SetDeadline(time.Now().Add(10 * time.Second))
		io.WriteString(c, req)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		c.Close()
		if err != nil {
			t.Fatalf("%q: %v", req, err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); resp.StatusCode < 400 || got != hstsValue {
			t.Errorf("%q (%d): Strict-Transport-Security %q", req, resp.StatusCode, got)
		}
	}
}

// rsaCertFiles writes a self-signed RSA certificate for localhost, so
// that RSA key exchange and ECDHE_RSA suites can be offered.
func rsaCertFiles(t *testing.T) (certFile, keyFile string) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "rsa.crt"), filepath.Join(dir, "rsa.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)
	return certFile, keyFile
}

// TestTLSCipherSuites: TLS 1.3, or TLS 1.2 with ECDHE and an AEAD; no
// CBC, SHA-1 or RSA key exchange suites, nothing below TLS 1.2.
func TestTLSCipherSuites(t *testing.T) {
	b := shared(t)
	certFile, keyFile := rsaCertFiles(t)
	addrs := map[string]string{}
	for kind, tc := range map[string]TLSConfig{
		"rsa":   {Enabled: true, CertFile: certFile, KeyFile: keyFile},
		"ecdsa": {Enabled: true},
	} {
		s, err := New(Config{TLS: tc}, b, nil)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go s.ServeTLS(ln)
		t.Cleanup(func() { s.Shutdown(t.Context()) })
		addrs[kind] = ln.Addr().String()
	}
	v12, v13 := uint16(tls.VersionTLS12), uint16(tls.VersionTLS13)
	for _, tc := range []struct {
		name     string
		cert     string
		min, max uint16
		suite    uint16 // 0: Go's default list
		ok       bool
	}{
		{"AES256-SHA (RSA key exchange, CBC)", "rsa", v12, v12, tls.TLS_RSA_WITH_AES_256_CBC_SHA, false},
		{"AES128-GCM-SHA256 (RSA key exchange)", "rsa", v12, v12, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, false},
		{"ECDHE-RSA-AES128-SHA (CBC)", "rsa", v12, v12, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, false},
		{"ECDHE-RSA-AES256-SHA (CBC)", "rsa", v12, v12, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, false},
		{"ECDHE-ECDSA-AES128-SHA (CBC)", "ecdsa", v12, v12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, false},
		{"ECDHE-ECDSA-AES256-SHA (CBC)", "ecdsa", v12, v12, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, false},
		{"TLS 1.1", "ecdsa", tls.VersionTLS10, tls.VersionTLS11, 0, false},
		{"ECDHE-RSA-AES128-GCM-SHA256", "rsa", v12, v12, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, true},
		{"ECDHE-RSA-AES256-GCM-SHA384", "rsa", v12, v12, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, true},
		{"ECDHE-RSA-CHACHA20-POLY1305", "rsa", v12, v12, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, true},
		{"ECDHE-ECDSA-AES128-GCM-SHA256", "ecdsa", v12, v12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, true},
		{"ECDHE-ECDSA-CHACHA20-POLY1305", "ecdsa", v12, v12, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, true},
		{"TLS 1.3, RSA certificate", "rsa", v13, v13, 0, true},
		{"TLS 1.3", "ecdsa", v13, v13, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &tls.Config{InsecureSkipVerify: true, MinVersion: tc.min, MaxVersion: tc.max}
			if tc.suite != 0 {
				cfg.CipherSuites = []uint16{tc.suite}
			}
			d := &net.Dialer{Timeout: 10 * time.Second}
			c, err := tls.DialWithDialer(d, "tcp", addrs[tc.cert], cfg)
			if err != nil {
				if tc.ok {
					t.Fatalf("handshake failed: %v", err)
				}
				return
			}
			defer c.Close()
			st := c.ConnectionState()
			if !tc.ok {
				t.Fatalf("handshake succeeded: %s %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
			}
			if tc.suite != 0 && st.CipherSuite != tc.suite {
				t.Errorf("negotiated %s", tls.CipherSuiteName(st.CipherSuite))
			}
		})
	}
}

func fakeCtx(host, uri string) *fasthttp.RequestCtx {
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI(uri)
	ctx.Request.Header.SetHost(host)
	return &ctx
}
