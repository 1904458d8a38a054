package httpd

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// DefaultTLSListen is the HTTPS address when TLSConfig.Listen is empty.
const DefaultTLSListen = "127.0.0.1:8443"

// Names of the generated certificate's files in TLSConfig.SelfSignedDir.
const (
	SelfSignedCertFile = "https-selfsigned.crt"
	SelfSignedKeyFile  = "https-selfsigned.key"
)

// selfSignedLifetime is how long a generated certificate is valid (the
// longest lifetime browsers accept for a server certificate), and
// selfSignedRenew how long before its end it is replaced at start-up.
const (
	selfSignedLifetime = 397 * 24 * time.Hour
	selfSignedRenew    = 30 * 24 * time.Hour
)

// TLSConfig configures HTTPS.
type TLSConfig struct {
	// Enabled serves HTTPS on Listen (Server.ServeTLS). Default off.
	Enabled bool
	// Listen is the HTTPS address. Default DefaultTLSListen
	// (127.0.0.1:8443); like Config.Listen, an address other than the
	// loopback needs credentials.
	Listen string
	// CertFile and KeyFile name a PEM certificate (chain, leaf first) and
	// its private key. Give both or neither; with neither, a self-signed
	// ECDSA P-256 certificate is generated.
	CertFile, KeyFile string
	// SelfSignedDir, when set, keeps the generated certificate and key
	// there (SelfSignedCertFile, SelfSignedKeyFile) so that browsers'
	// exceptions survive restarts; it is renewed 30 days before it ends.
	// Default "": a new certificate in memory at every start.
	SelfSignedDir string
	// Hosts are extra DNS names or IP addresses the generated certificate
	// names; it always names localhost, 127.0.0.1, ::1, the host name and
	// the HTTPS listen address.
	Hosts []string
}

// tls12Suites are the TLS 1.2 cipher suites offered: forward secrecy
// (ECDHE) and authenticated encryption (AES-GCM, ChaCha20-Poly1305) only,
// no CBC, SHA-1 or RSA key exchange. TLS 1.3's suites, all of that kind,
// are fixed by Go.
var tls12Suites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// certStore holds the certificate in use; ReloadCertificate swaps it.
type certStore struct {
	cur atomic.Pointer[tls.Certificate]
}

func (c *certStore) get(*tls.ClientHelloInfo) (*tls.Certificate, error) { return c.cur.Load(), nil }

// setupTLS checks cfg.TLS and loads or makes the certificate.
func (s *Server) setupTLS() error {
	t := &s.cfg.TLS
	if !t.Enabled {
		if s.cfg.DisableHTTP {
			return &ConfigError{"DisableHTTP", "plain HTTP is disabled and HTTPS is not enabled: nothing would serve"}
		}
		return nil
	}
	if t.Listen == "" {
		t.Listen = DefaultTLSListen
	}
	if _, _, err := net.SplitHostPort(t.Listen); err != nil {
		return &ConfigError{"TLS.Listen", err.Error()}
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return &ConfigError{"TLS.CertFile", "give both the certificate and the key file, or neither for a self-signed certificate"}
	}
	cert, err := s.loadCertificate()
	if err != nil {
		return err
	}
	s.certs.cur.Store(cert)
	s.tlsConfig = &tls.Config{
		MinVersion:     tls.VersionTLS12,
		CipherSuites:   tls12Suites,
		GetCertificate: s.certs.get,
		NextProtos:     []string{"http/1.1"},
	}
	return nil
}

// loadCertificate reads the configured files or makes a self-signed
// certificate.
func (s *Server) loadCertificate() (*tls.Certificate, error) {
	t := &s.cfg.TLS
	if t.CertFile != "" {
		c, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, &ConfigError{"TLS.CertFile", err.Error()}
		}
		return &c, nil
	}
	hosts := certHosts(t.Listen, t.Hosts)
	if t.SelfSignedDir == "" {
		c, _, _, err := SelfSignedCertificate(hosts, time.Now())
		if err != nil {
			return nil, err
		}
		return &c, nil
	}
	certPath := filepath.Join(t.SelfSignedDir, SelfSignedCertFile)
	keyPath := filepath.Join(t.SelfSignedDir, SelfSignedKeyFile)
	if c, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil && usable(c.Leaf, hosts, time.Now()) {
		return &c, nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		s.log.Warn("replacing the stored self-signed certificate", "dir", t.SelfSignedDir, "err", err)
	}
	c, certPEM, keyPEM, err := SelfSignedCertificate(hosts, time.Now())
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(t.SelfSignedDir, 0o700); err != nil {
		return nil, &ConfigError{"TLS.SelfSignedDir", err.Error()}
	}
	if err := writeFileAtomic(keyPath, keyPEM, 0o600); err != nil {
		return nil, &ConfigError{"TLS.SelfSignedDir", err.Error()}
	}
	if err := writeFileAtomic(certPath, certPEM, 0o644); err != nil {
		return nil, &ConfigError{"TLS.SelfSignedDir", err.Error()}
	}
	s.log.Info("generated a self-signed HTTPS certificate", "file", certPath, "sha256", fingerprint(&c))
	return &c, nil
}

// usable reports whether a stored certificate is still good for hosts.
func usable(leaf *x509.Certificate, hosts []string, now time.Time) bool {
	if leaf == nil || now.Add(selfSignedRenew).After(leaf.NotAfter) || now.Before(leaf.NotBefore) {
		return false
	}
	for _, h := range hosts {
		if leaf.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// certHosts lists the names a generated certificate carries.
func certHosts(listen string, extra []string) []string {
	var out []string
	add := func(h string) {
		if h = strings.Trim(strings.TrimSpace(h), "[]"); h != "" && !containsFold(out, h) {
			out = append(out, h)
		}
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1"} {
		add(h)
	}
	if hn, err := os.Hostname(); err == nil {
		add(hn)
	}
	if h, _, err := net.SplitHostPort(listen); err == nil {
		if ip, err := netip.ParseAddr(h); err != nil || !ip.IsUnspecified() {
			add(h)
		}
	}
	for _, h := range extra {
		add(h)
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// SelfSignedCertificate makes a self-signed ECDSA P-256 server
// certificate for hosts (DNS names or IP addresses), valid from an hour
// before now for 397 days, and returns it with its PEM encodings.
func SelfSignedCertificate(hosts []string, now time.Time) (cert tls.Certificate, certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return cert, nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return cert, nil, nil, err
	}
	name := "ptpwatch"
	if len(hosts) > 0 {
		name += " " + hosts[len(hosts)-1]
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"ptpwatch (self-signed)"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if ip, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip.AsSlice())
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return cert, nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return cert, nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	cert, err = tls.X509KeyPair(certPEM, keyPEM)
	return cert, certPEM, keyPEM, err
}

// fingerprint is the hex SHA-256 of the leaf certificate, as browsers show
// it.
func fingerprint(c *tls.Certificate) string {
	if c == nil || len(c.Certificate) == 0 {
		return ""
	}
	d := sha256.Sum256(c.Certificate[0])
	var b bytes.Buffer
	for i, x := range d {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strings.ToUpper(hex.EncodeToString([]byte{x})))
	}
	return b.String()
}

// Certificate returns the HTTPS certificate in use, nil without HTTPS.
func (s *Server) Certificate() *tls.Certificate { return s.certs.cur.Load() }

// ReloadCertificate reads the configured certificate files again (after
// renewal, for example); connections made afterwards use the new one. With
// a generated certificate it does nothing.
func (s *Server) ReloadCertificate() error {
	if !s.cfg.TLS.Enabled || s.cfg.TLS.CertFile == "" {
		return nil
	}
	c, err := s.loadCertificate()
	if err != nil {
		return err
	}
	s.certs.cur.Store(c)
	s.log.Info("HTTPS certificate reloaded", "file", s.cfg.TLS.CertFile, "sha256", fingerprint(c))
	return nil
}

// TLSAddr returns the configured HTTPS address ("" when HTTPS is off).
func (s *Server) TLSAddr() string {
	if !s.cfg.TLS.Enabled {
		return ""
	}
	return s.cfg.TLS.Listen
}

// ServeTLS serves HTTPS on ln (a plain TCP listener: ServeTLS does the
// TLS) until Shutdown. Like Serve it refuses a non-loopback listener when
// no credentials are configured.
func (s *Server) ServeTLS(ln net.Listener) error {
	if s.tlsConfig == nil {
		ln.Close()
		return errors.New("httpd: HTTPS is not enabled (TLSConfig.Enabled)")
	}
	if !s.auth.enabled() && !loopbackAddr(ln.Addr().String()) {
		ln.Close()
		return &InsecureListenError{Addr: ln.Addr().String()}
	}
	s.guard.addListen(ln.Addr().String())
	port := portOf(ln.Addr().String())
	s.tlsPort.Store(&port)
	s.log.Info("HTTPS API listening", "addr", ln.Addr().String(), "auth", s.auth.enabled(),
		"certificate", certSource(&s.cfg.TLS), "sha256", fingerprint(s.Certificate()))
	return s.serve(ln, s.tlsConfig)
}

func certSource(t *TLSConfig) string {
	switch {
	case t.CertFile != "":
		return t.CertFile
	case t.SelfSignedDir != "":
		return "self-signed, kept in " + t.SelfSignedDir
	}
	return "self-signed, in memory"
}

// hstsValue is the Strict-Transport-Security header of HTTPS answers:
// browsers that have seen it go to HTTPS by themselves for a year. It
// names no subdomains: the appliance speaks only for its own host name.
const hstsValue = "max-age=31536000"

// tlsPolicy applies HTTPS to a request. Over HTTPS it adds
// Strict-Transport-Security. With HTTPS on, a plain HTTP request from
// another host is redirected (308, keeping method and body) to the same
// URL over HTTPS, before any authentication, so a browser never gets a
// basic-authentication challenge over plain HTTP; done is then true.
// When HTTPS listens only on the loopback, where a redirect could not be
// followed, the request goes on with plainRemote true: basic
// authentication is refused and never offered.
func (s *Server) tlsPolicy(ctx *fasthttp.RequestCtx, remote netip.Addr) (plainRemote, done bool) {
	if ctx.IsTLS() {
		ctx.Response.Header.Set(fasthttp.HeaderStrictTransportSecurity, hstsValue)
		return false, false
	}
	if !s.cfg.TLS.Enabled || remote.Unmap().IsLoopback() {
		return false, false
	}
	if loopbackAddr(s.cfg.TLS.Listen) {
		return true, false
	}
	ctx.Response.Header.Set(fasthttp.HeaderLocation, s.httpsURL(ctx))
	ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-store")
	writeError(ctx, fasthttp.StatusPermanentRedirect, "use HTTPS: "+s.httpsURL(ctx))
	return true, true
}

// httpsURL is the request's URL over HTTPS: the host the client asked
// for (the Host header, else the address it connected to) on the HTTPS
// port, with the same path and query.
func (s *Server) httpsURL(ctx *fasthttp.RequestCtx) string {
	host := string(ctx.Host())
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "" || strings.ContainsAny(host, "/\\?#@ \t") {
		host = ctx.LocalIP().String()
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		host = ip.String()
	}
	port := portOf(s.cfg.TLS.Listen)
	if p := s.tlsPort.Load(); p != nil {
		port = *p
	}
	return "https://" + net.JoinHostPort(host, port) + string(ctx.URI().RequestURI())
}

// basicNeedsTLS explains why basic authentication was refused on a plain
// HTTP connection from another host.
func (s *Server) basicNeedsTLS() string {
	return fmt.Sprintf("HTTP basic authentication is only accepted over HTTPS (%s) or from the loopback; use HTTPS or a bearer token",
		s.cfg.TLS.Listen)
}

func portOf(addr string) string {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return p
}
