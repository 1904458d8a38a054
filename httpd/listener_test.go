package httpd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// rawGet sends a GET on c and reads the answer's status; err is set when
// the connection ends without an answer (refused at accept).
func rawGet(c net.Conn, path string) (status int, err error) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: ptpwatch\r\n\r\n", path)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func tcpAddr(s string) *net.TCPAddr {
	return &net.TCPAddr{IP: net.ParseIP(s), Port: 40000}
}

// TestConnLimits opens connections in order from the given addresses
// (each kept open) and checks which are served and which are closed at
// accept without an answer, and the refusal counts /metrics reports.
func TestConnLimits(t *testing.T) {
	b := shared(t)
	token := []Token{{"nms", RoleAdmin, HashToken("tok-0123456789")}}
	allow := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("127.0.0.0/8")}
	type dial struct {
		from  string
		serve bool
	}
	for _, tc := range []struct {
		name    string
		cfg     Config
		dials   []dial
		refused map[string]uint64
	}{
		{"allow-list refuses at accept", Config{AllowList: allow, Tokens: token}, []dial{
			{"192.0.2.7", true}, {"198.51.100.1", false}, {"127.0.0.1", true}, {"2001:db8::1", false}, {"198.51.100.2", false},
		}, map[string]uint64{refusedAllowList: 3}},
		{"per client", Config{MaxConnsPerClient: 2, Tokens: token}, []dial{
			{"192.0.2.7", true}, {"192.0.2.7", true}, {"192.0.2.7", false}, {"192.0.2.8", true}, {"192.0.2.7", false},
			{"2001:db8::1", true}, {"2001:db8::1", true}, {"2001:db8::1", false}, {"::ffff:192.0.2.8", true}, {"192.0.2.8", false},
		}, map[string]uint64{refusedPerClient: 4}},
		{"loopback counts only in total", Config{MaxConnsPerClient: 1, MaxConns: 4}, []dial{
			{"127.0.0.1", true}, {"127.0.0.1", true}, {"127.0.0.1", true}, {"::1", true}, {"127.0.0.1", false},
		}, map[string]uint64{refusedMaxConns: 1}},
		{"total", Config{MaxConns: 3, Tokens: token}, []dial{
			{"192.0.2.1", true}, {"192.0.2.2", true}, {"192.0.2.3", true}, {"192.0.2.4", false}, {"192.0.2.5", false},
		}, map[string]uint64{refusedMaxConns: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := serveMem(t, tc.cfg, b, memOpts{})
			var open []net.Conn
			defer func() {
				for _, c := range open {
					c.Close()
				}
			}()
			for i, d := range tc.dials {
				c, err := m.ln.DialWithLocalAddr(tcpAddr(d.from))
				if err != nil {
					t.Fatal(err)
				}
				open = append(open, c)
				status, err := rawGet(c, "/api/v1/scopes?x=1")
				switch {
				case d.serve && err != nil:
					t.Fatalf("connection %d from %s: %v, want an answer", i, d.from, err)
				case !d.serve && err == nil:
					t.Fatalf("connection %d from %s answered %d, want it closed at accept", i, d.from, status)
				}
			}
			st := m.s.ConnStats()
			for _, r := range refusedReasons {
				if st.Refused[r] != tc.refused[r] {
					t.Errorf("refused %s: %d, want %d", r, st.Refused[r], tc.refused[r])
				}
			}
			// Connections closed at accept never reached the handler.
			if served := uint64(len(tc.dials)) - st.Refused[refusedAllowList] - st.Refused[refusedMaxConns] - st.Refused[refusedPerClient]; st.Accepted != served {
				t.Errorf("accepted %d, want %d", st.Accepted, served)
			}
		})
	}
}

// TestConnLimitsRelease: a slot is free again once its connection
// closes, and /metrics shows the counts.
func TestConnLimitsRelease(t *testing.T) {
	cfg := Config{MaxConnsPerClient: 1, Tokens: []Token{{"nms", RoleAdmin, HashToken("tok-0123456789")}}}
	m := serveMem(t, cfg, shared(t), memOpts{})
	from := tcpAddr("192.0.2.7")
	c1, _ := m.ln.DialWithLocalAddr(from)
	if _, err := rawGet(c1, "/"); err != nil {
		t.Fatal(err)
	}
	c2, _ := m.ln.DialWithLocalAddr(from)
	if _, err := rawGet(c2, "/"); err == nil {
		t.Fatal("second connection served over the per-client limit of 1")
	}
	c1.Close()
	c2.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		c, _ := m.ln.DialWithLocalAddr(from)
		_, err := rawGet(c, "/")
		c.Close()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the client's slot was not released after its connection closed")
		}
	}
	r := m.get(t, "/metrics", "Authorization", "Bearer tok-0123456789")
	for _, want := range []string{
		`ptpwatch_http_connections_refused_total{reason="max_conns_per_client"} `,
		`ptpwatch_http_connections_limit{scope="per_client"} 1`,
		"ptpwatch_http_connections ",
		"ptpwatch_http_accept_errors_total 0",
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// flakyListener fails its first Accept calls with the given errors, as
// the kernel does when the process is out of descriptors.
type flakyListener struct {
	net.Listener
	mu   sync.Mutex
	errs []error
}

func (f *flakyListener) Accept() (net.Conn, error) {
	f.mu.Lock()
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		f.mu.Unlock()
		return nil, err
	}
	f.mu.Unlock()
	return f.Listener.Accept()
}

func acceptErr(errno syscall.Errno) error {
	return &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", errno)}
}

// TestServeSurvivesAcceptErrors: out of descriptors (EMFILE, ENFILE) or
// memory, Serve pauses and accepts again instead of returning; a
// permanent error still ends it.
func TestServeSurvivesAcceptErrors(t *testing.T) {
	b := shared(t)
	for _, tc := range []struct {
		name string
		errs []error
	}{
		{"EMFILE", []error{acceptErr(syscall.EMFILE), acceptErr(syscall.EMFILE), acceptErr(syscall.EMFILE)}},
		{"ENFILE", []error{acceptErr(syscall.ENFILE)}},
		{"ENOBUFS and ENOMEM", []error{acceptErr(syscall.ENOBUFS), acceptErr(syscall.ENOMEM)}},
		{"ECONNABORTED", []error{acceptErr(syscall.ECONNABORTED)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			s, err := New(Config{Listen: ln.Addr().String()}, b, nil)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- s.Serve(&flakyListener{Listener: ln, errs: tc.errs}) }()
			r := do(t, "GET", "http://"+ln.Addr().String()+"/api/v1/scopes", "")
			if r.status != 200 {
				t.Fatalf("status %d", r.status)
			}
			select {
			case err := <-done:
				t.Fatalf("Serve returned: %v", err)
			default:
			}
			if st := s.ConnStats(); st.AcceptErrors != uint64(len(tc.errs)) {
				t.Errorf("accept errors %d, want %d", st.AcceptErrors, len(tc.errs))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := s.Shutdown(ctx); err != nil {
				t.Error(err)
			}
			if err := <-done; err != nil {
				t.Errorf("Serve after Shutdown: %v", err)
			}
		})
	}
	// A permanent error ends Serve, which closes the listener so the
	// address can be listened on again.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := New(Config{}, b, nil)
	boom := errors.New("boom")
	if err := s.Serve(&flakyListener{Listener: ln, errs: []error{boom}}); !errors.Is(err, boom) {
		t.Errorf("Serve: %v, want boom", err)
	}
	if ln2, err := net.Listen("tcp", ln.Addr().String()); err != nil {
		t.Errorf("listening again on %s: %v", ln.Addr(), err)
	} else {
		ln2.Close()
	}
}

// TestAcceptBackoffEndsOnClose: Close wakes an Accept that is pausing
// after errors, which then reports the listener closed.
func TestAcceptBackoffEndsOnClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errs := make([]error, 100)
	for i := range errs {
		errs[i] = acceptErr(syscall.EMFILE)
	}
	l := newConnLimiter(nil, 10, 10, slog.New(slog.DiscardHandler))
	ll := l.wrap(&flakyListener{Listener: ln, errs: errs})
	done := make(chan error, 1)
	go func() { _, err := ll.Accept(); done <- err }()
	for deadline := time.Now().Add(10 * time.Second); l.acceptErrors.Load() < 8; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Accept is not retrying")
		}
	}
	start := time.Now()
	ll.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Accept after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept still pausing 5 s after Close")
	}
	if d := time.Since(start); d > 2*acceptDelayMax {
		t.Errorf("Accept took %v to notice Close", d)
	}
	if err := ll.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestSlowHeader: a client that sends its header slowly is cut off after
// HeaderTimeout, not ReadTimeout.
func TestSlowHeader(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Listen: ln.Addr().String(), HeaderTimeout: 300 * time.Millisecond, ReadTimeout: time.Minute}, shared(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: ptpwatch\r\n")
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	io.Copy(io.Discard, c) // until the server closes
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("slow header held the connection for %v", d)
	}
	for deadline := time.Now().Add(5 * time.Second); s.ConnStats().Open != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still counted open", s.ConnStats().Open)
		}
	}
}

func TestDefaultMaxConns(t *testing.T) {
	n := DefaultMaxConns()
	if n < minDefaultMaxConns || n > maxDefaultMaxConns {
		t.Errorf("DefaultMaxConns() = %d", n)
	}
	s, err := New(Config{}, shared(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st := s.ConnStats(); st.Max != n || st.MaxPerClient != DefaultMaxConnsPerClient {
		t.Errorf("defaults: %+v", st)
	}
	for _, cfg := range []Config{{MaxConns: -1}, {MaxConnsPerClient: -5}, {HeaderTimeout: -time.Second}} {
		var ce *ConfigError
		if _, err := New(cfg, shared(t), nil); !errors.As(err, &ce) {
			t.Errorf("%+v: %v, want a ConfigError", cfg, err)
		}
	}
}
