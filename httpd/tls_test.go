package httpd

import (
	"crypto/tls"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestHTTPS(t *testing.T) {
	b := shared(t)
	m := serveMem(t, Config{}, b, memOpts{tls: true})
	c := m.s.Certificate()
	if c == nil || c.Leaf == nil {
		t.Fatal("no certificate")
	}
	if c.Leaf.PublicKeyAlgorithm.String() != "ECDSA" {
		t.Errorf("key %v, want ECDSA", c.Leaf.PublicKeyAlgorithm)
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := c.Leaf.VerifyHostname(h); err != nil {
			t.Errorf("generated certificate: %v", err)
		}
	}
	r := m.get(t, "/api/v1/scopes")
	if r.status != 200 {
		t.Fatalf("GET over TLS: %d %s", r.status, r.body)
	}
	if r := m.get(t, "/"); r.status != 200 {
		t.Errorf("UI over TLS: %d", r.status)
	}
	// A client that does not trust the certificate fails the handshake.
	other, _, _, err := SelfSignedCertificate([]string{"localhost"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	m2 := serveMem(t, Config{}, b, memOpts{tls: true, roots: &other})
	if _, err := m2.client.Get(m2.base + "/api/v1/scopes"); err == nil {
		t.Error("an untrusted certificate was accepted")
	}
}

func TestHTTPSAuth(t *testing.T) {
	adminHash, _ := HashPassword("admin-pw")
	cfg := Config{Users: []User{{"admin", RoleAdmin, adminHash}},
		Tokens: []Token{{"nms", RoleReadOnly, HashToken("read-token-0123456789")}}}
	cfg.TLS.Enabled = true
	b := shared(t)
	remote := net.IPv4(192, 0, 2, 7)
	tlsSrv := serveMem(t, cfg, b, memOpts{tls: true, remote: remote})
	plain := serveMem(t, cfg, b, memOpts{remote: remote})
	local := serveMem(t, cfg, b, memOpts{})
	for _, tc := range []struct {
		name   string
		m      *memServer
		auth   string
		status int
	}{
		{"basic over HTTPS", tlsSrv, basic("admin", "admin-pw"), 200},
		{"wrong password over HTTPS", tlsSrv, basic("admin", "nope"), 401},
		{"none over HTTPS", tlsSrv, "", 401},
		{"bearer over HTTPS", tlsSrv, "Bearer read-token-0123456789", 200},
		{"basic over plain HTTP from the network", plain, basic("admin", "admin-pw"), 403},
		{"bearer over plain HTTP", plain, "Bearer read-token-0123456789", 200},
		{"basic over plain HTTP on the loopback", local, basic("admin", "admin-pw"), 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.auth != "" {
				hdr = []string{"Authorization", tc.auth}
			}
			r := tc.m.get(t, "/api/v1/scopes", hdr...)
			if tc.status == 200 {
				if r.status != 200 {
					t.Fatalf("%d %s", r.status, r.body)
				}
				return
			}
			checkError(t, r, tc.status)
			if tc.status == 403 {
				checkError(t, r, 403, "HTTPS", "8443")
			}
		})
	}
	// A read-only token cannot change anything over HTTPS either.
	checkError(t, tlsSrv.send(t, "POST", "/api/v1/capture/clear", "", "Authorization", "Bearer read-token-0123456789"), 403, "admin")
}

func TestHTTPSConfig(t *testing.T) {
	b := shared(t)
	dir := t.TempDir()
	// A generated certificate kept in a directory survives restarts.
	cfg := Config{TLS: TLSConfig{Enabled: true, SelfSignedDir: filepath.Join(dir, "tls"), Hosts: []string{"ptp.example.net", "192.0.2.9"}}}
	s1, err := New(cfg, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := New(cfg, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f1, f2 := fingerprint(s1.Certificate()), fingerprint(s2.Certificate()); f1 != f2 || f1 == "" {
		t.Errorf("fingerprints %s and %s", f1, f2)
	}
	for _, h := range []string{"ptp.example.net", "192.0.2.9", "localhost"} {
		if err := s1.Certificate().Leaf.VerifyHostname(h); err != nil {
			t.Error(err)
		}
	}
	keyPath := filepath.Join(dir, "tls", SelfSignedKeyFile)
	if st, err := os.Stat(keyPath); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", st.Mode(), err)
	}
	// Asking for another name makes a new one.
	cfg.TLS.Hosts = append(cfg.TLS.Hosts, "other.example.net")
	s3, err := New(cfg, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fingerprint(s3.Certificate()) == fingerprint(s1.Certificate()) {
		t.Error("a new host name kept the old certificate")
	}

	// Configured files.
	c, certPEM, keyPEM, err := SelfSignedCertificate([]string{"ptp.example.org"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	os.WriteFile(certFile, certPEM, 0o644)
	os.WriteFile(keyFile, keyPEM, 0o600)
	s4, err := New(Config{TLS: TLSConfig{Enabled: true, CertFile: certFile, KeyFile: keyFile}}, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fingerprint(s4.Certificate()) != fingerprint(&c) {
		t.Error("the configured certificate is not the one served")
	}
	// Reload picks up a renewed certificate.
	c2, certPEM2, keyPEM2, _ := SelfSignedCertificate([]string{"ptp.example.org"}, time.Now())
	os.WriteFile(certFile, certPEM2, 0o644)
	os.WriteFile(keyFile, keyPEM2, 0o600)
	if err := s4.ReloadCertificate(); err != nil {
		t.Fatal(err)
	}
	if fingerprint(s4.Certificate()) != fingerprint(&c2) {
		t.Error("ReloadCertificate kept the old certificate")
	}

	for name, cfg := range map[string]Config{
		"cert without key": {TLS: TLSConfig{Enabled: true, CertFile: certFile}},
		"missing files":    {TLS: TLSConfig{Enabled: true, CertFile: filepath.Join(dir, "no.pem"), KeyFile: keyFile}},
		"key of another":   {TLS: TLSConfig{Enabled: true, CertFile: certFile, KeyFile: filepath.Join(dir, "tls", SelfSignedKeyFile)}},
		"bad listen":       {TLS: TLSConfig{Enabled: true, Listen: "nowhere"}},
		"nothing to serve": {DisableHTTP: true},
	} {
		var ce *ConfigError
		if _, err := New(cfg, b, nil); !errors.As(err, &ce) {
			t.Errorf("%s: %v, want ConfigError", name, err)
		}
	}
	// Credentials are needed off the loopback, for HTTPS too.
	var ie *InsecureListenError
	if _, err := New(Config{TLS: TLSConfig{Enabled: true, Listen: "0.0.0.0:8443"}}, b, nil); !errors.As(err, &ie) {
		t.Errorf("HTTPS on 0.0.0.0 without credentials: %v", err)
	}
	// HTTPS only: plain HTTP refuses, and its address is not checked.
	s5, err := New(Config{Listen: "0.0.0.0:80", DisableHTTP: true, TLS: TLSConfig{Enabled: true}}, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	if err := s5.Serve(ln); err == nil {
		t.Error("Serve with HTTP disabled")
	}
	if s5.TLSAddr() != DefaultTLSListen {
		t.Errorf("TLSAddr %q", s5.TLSAddr())
	}
	// Without HTTPS, ServeTLS refuses.
	s6, _ := New(Config{}, b, nil)
	ln, _ = net.Listen("tcp", "127.0.0.1:0")
	if err := s6.ServeTLS(ln); err == nil {
		t.Error("ServeTLS without HTTPS configured")
	}
}

// TestListenAndServeBoth serves HTTP and HTTPS on real loopback ports.
func TestListenAndServeBoth(t *testing.T) {
	port := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}
	httpAddr, httpsAddr := port(), port()
	s, err := New(Config{Listen: httpAddr, TLS: TLSConfig{Enabled: true, Listen: httpsAddr}}, shared(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe() }()
	defer func() {
		s.Shutdown(t.Context())
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	waitFor(t, "HTTP", func() bool {
		c, err := net.Dial("tcp", httpAddr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	if r := do(t, "GET", "http://"+httpAddr+"/api/v1/scopes", ""); r.status != 200 {
		t.Errorf("HTTP: %d", r.status)
	}
	conn, err := tls.Dial("tcp", httpsAddr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("HTTPS handshake: %v", err)
	}
	defer conn.Close()
	if got := conn.ConnectionState().PeerCertificates[0].Raw; string(got) != string(s.Certificate().Certificate[0]) {
		t.Error("served another certificate")
	}
	if conn.ConnectionState().Version < tls.VersionTLS12 {
		t.Error("TLS below 1.2")
	}
}
