package httpd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp/fasthttputil"
)

// memServer is a server on fasthttp's in-memory listener with an
// http.Client that dials it.
type memServer struct {
	s      *Server
	ln     *fasthttputil.InmemoryListener
	client *http.Client
	base   string // http://127.0.0.1:8319 or https://localhost
	done   chan error
}

type memOpts struct {
	tls    bool             // serve HTTPS
	remote net.IP           // the client's address; default 127.0.0.1
	roots  *tls.Certificate // trust this certificate; default the server's
	log    *slog.Logger     // the server's log; default none
}

// serveMem starts s on an in-memory listener. The server stops when the
// test ends.
func serveMem(t testing.TB, cfg Config, b Backend, o memOpts) *memServer {
	t.Helper()
	if o.tls {
		cfg.TLS.Enabled = true
	}
	s, err := New(cfg, b, o.log)
	if err != nil {
		t.Fatal(err)
	}
	ln := fasthttputil.NewInmemoryListener()
	ln.SetLocalAddr(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8319})
	remote := o.remote
	if remote == nil {
		remote = net.IPv4(127, 0, 0, 1)
	}
	tr := &http.Transport{
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			return ln.DialWithLocalAddr(&net.TCPAddr{IP: remote, Port: 40000})
		},
		MaxIdleConnsPerHost: 16,
		DisableCompression:  true,
	}
	m := &memServer{s: s, ln: ln, base: "http://127.0.0.1:8319", done: make(chan error, 1),
		client: &http.Client{Transport: tr, Timeout: 20 * time.Second}}
	if o.tls {
		pool := x509.NewCertPool()
		c := o.roots
		if c == nil {
			c = s.Certificate()
		}
		pool.AddCert(c.Leaf)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, ServerName: "localhost"}
		m.base = "https://localhost"
		go func() { m.done <- s.ServeTLS(ln) }()
	} else {
		go func() { m.done <- s.Serve(ln) }()
	}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-m.done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return m
}

// serveMemClient returns another client of m's server, connecting from
// remote.
func serveMemClient(m *memServer, remote net.IP) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			return m.ln.DialWithLocalAddr(&net.TCPAddr{IP: remote, Port: 40001})
		},
		DisableCompression: true,
	}, Timeout: 20 * time.Second}
}

// do sends a request; hdr holds header name, value pairs.
func (m *memServer) do(t testing.TB, method, path string, body io.Reader, hdr ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, m.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	setHeaders(req, hdr)
	resp, err := m.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

func (m *memServer) get(t testing.TB, path string, hdr ...string) reply {
	t.Helper()
	return m.do(t, "GET", path, nil, hdr...)
}

func (m *memServer) send(t testing.TB, method, path, body string, hdr ...string) reply {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	return m.do(t, method, path, r, hdr...)
}
