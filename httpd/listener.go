package httpd

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultMaxConnsPerClient is Config.MaxConnsPerClient when it is zero.
const DefaultMaxConnsPerClient = 128

// Bounds of the default total connection limit, DefaultMaxConns.
const (
	minDefaultMaxConns = 32
	maxDefaultMaxConns = 4096
)

// DefaultMaxConns is Config.MaxConns when it is zero: half the process's
// open-file limit (RLIMIT_NOFILE), leaving the other half for capture
// sockets, the store's files and the rest of the appliance, and at least
// 32 and at most 4096.
func DefaultMaxConns() int {
	var rl unix.Rlimit
	n := uint64(2 * maxDefaultMaxConns)
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err == nil && rl.Cur != unix.RLIM_INFINITY {
		n = rl.Cur
	}
	return int(min(max(n/2, minDefaultMaxConns), maxDefaultMaxConns))
}

// Reasons a connection is refused at accept, as /metrics labels them.
const (
	refusedAllowList = "allow_list"           // the address is not in Config.AllowList
	refusedMaxConns  = "max_conns"            // Config.MaxConns connections are open
	refusedPerClient = "max_conns_per_client" // the address has Config.MaxConnsPerClient open
)

// Accept-error back-off: the first retry waits acceptDelayMin, each
// further one twice as long, up to acceptDelayMax; a successful accept
// resets it. Errors are logged at most once per acceptLogEvery.
const (
	acceptDelayMin = 5 * time.Millisecond
	acceptDelayMax = time.Second
	acceptLogEvery = 10 * time.Second
	refuseLogEvery = time.Minute
)

// connLimiter is shared by all of a Server's listeners: it counts open
// connections in total and per client address and refuses new ones over
// the limits or outside the allow-list.
type connLimiter struct {
	allow     []netip.Prefix
	max       int // total; > 0
	perClient int // per client address; > 0 (loopback clients are exempt)
	log       *slog.Logger

	mu     sync.Mutex
	open   int
	byAddr map[netip.Addr]int

	accepted     atomic.Uint64
	acceptErrors atomic.Uint64 // temporary accept errors (EMFILE, ...) retried
	refused      [3]atomic.Uint64
	lastLog      atomic.Int64 // unix ns of the last accept-error log line
	loggedErrors atomic.Uint64
	lastRefusal  atomic.Int64 // unix ns of the last refusal log line
}

var refusedReasons = [3]string{refusedAllowList, refusedMaxConns, refusedPerClient}

func newConnLimiter(allow []netip.Prefix, maxConns, perClient int, log *slog.Logger) *connLimiter {
	return &connLimiter{allow: allow, max: maxConns, perClient: perClient, log: log, byAddr: map[netip.Addr]int{}}
}

// admit counts a connection from addr, or returns the reason it is
// refused (an index into refusedReasons) and false.
func (l *connLimiter) admit(addr netip.Addr) (int, bool) {
	if !allowed(l.allow, addr) {
		return 0, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open >= l.max {
		return 1, false
	}
	if addr.IsValid() && !addr.IsLoopback() {
		if l.byAddr[addr] >= l.perClient {
			return 2, false
		}
		l.byAddr[addr]++
	}
	l.open++
	return 0, true
}

func (l *connLimiter) release(addr netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if addr.IsValid() && !addr.IsLoopback() {
		if n := l.byAddr[addr]; n <= 1 {
			delete(l.byAddr, addr)
		} else {
			l.byAddr[addr] = n - 1
		}
	}
}

// ConnStats is a snapshot of the connection counters.
type ConnStats struct {
	Open, Max, MaxPerClient int
	Accepted                uint64
	AcceptErrors            uint64            // temporary accept errors retried after a pause
	Refused                 map[string]uint64 // by reason: allow_list, max_conns, max_conns_per_client
}

func (l *connLimiter) stats() ConnStats {
	l.mu.Lock()
	open := l.open
	l.mu.Unlock()
	st := ConnStats{Open: open, Max: l.max, MaxPerClient: l.perClient, Accepted: l.accepted.Load(),
		AcceptErrors: l.acceptErrors.Load(), Refused: map[string]uint64{}}
	for i, r := range refusedReasons {
		st.Refused[r] = l.refused[i].Load()
	}
	return st
}

// ConnStats returns the server's connection counters, as /metrics shows
// them.
func (s *Server) ConnStats() ConnStats { return s.limiter.stats() }

// temporaryAcceptError reports whether an Accept error should be retried
// after a pause rather than end the server: out of descriptors or memory,
// or a connection that went away before it was accepted.
func temporaryAcceptError(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, e := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM,
		syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EAGAIN, syscall.EINTR, syscall.EPROTO, syscall.EPERM} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// limitListener wraps a TCP listener. Its Accept retries temporary errors
// with a growing pause instead of returning them (fasthttp ends Serve on
// any error it does not know), and closes at once, before reading any
// byte, connections from addresses outside the allow-list or over the
// connection limits.
type limitListener struct {
	net.Listener
	l         *connLimiter
	closed    chan struct{}
	closeOnce sync.Once
	closeErr  error
}

func (l *connLimiter) wrap(ln net.Listener) *limitListener {
	return &limitListener{Listener: ln, l: l, closed: make(chan struct{})}
}

func (ln *limitListener) Accept() (net.Conn, error) {
	delay := time.Duration(0)
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			select {
			case <-ln.closed:
				return nil, net.ErrClosed
			default:
			}
			if !temporaryAcceptError(err) {
				return nil, err
			}
			if delay == 0 {
				delay = acceptDelayMin
			} else {
				delay = min(2*delay, acceptDelayMax)
			}
			ln.l.acceptError(ln.Addr(), err, delay)
			t := time.NewTimer(delay)
			select {
			case <-ln.closed:
				t.Stop()
				return nil, net.ErrClosed
			case <-t.C:
			}
			continue
		}
		delay = 0
		addr := remoteAddr(c)
		if reason, ok := ln.l.admit(addr); !ok {
			ln.l.refuse(reason, addr)
			// Discard anything unsent (RST) so the descriptor is gone at
			// once, not held in FIN_WAIT for a client that never reads.
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			c.Close()
			continue
		}
		ln.l.accepted.Add(1)
		return &limitConn{Conn: c, l: ln.l, addr: addr}, nil
	}
}

// Close closes the listener; it is safe to call more than once (fasthttp
// and Server.Shutdown may both close it).
func (ln *limitListener) Close() error {
	ln.closeOnce.Do(func() {
		close(ln.closed)
		ln.closeErr = ln.Listener.Close()
	})
	return ln.closeErr
}

// acceptError counts a temporary accept error and logs it, at most once
// per acceptLogEvery with the number seen since the last line.
func (l *connLimiter) acceptError(addr net.Addr, err error, delay time.Duration) {
	l.acceptErrors.Add(1)
	now := time.Now().UnixNano()
	last := l.lastLog.Load()
	if now-last < int64(acceptLogEvery) || !l.lastLog.CompareAndSwap(last, now) {
		return
	}
	n := l.acceptErrors.Load()
	since := n - l.loggedErrors.Swap(n)
	l.log.Warn("accepting HTTP connections failed; retrying after a pause", "addr", addr.String(), "err", err,
		"errors", since, "pause", delay, "open", l.stats().Open)
}

// refuse counts a connection refused at accept and logs it, at most once
// per refuseLogEvery (a flood must not flood the log too).
func (l *connLimiter) refuse(reason int, addr netip.Addr) {
	l.refused[reason].Add(1)
	now := time.Now().UnixNano()
	last := l.lastRefusal.Load()
	if now-last < int64(refuseLogEvery) || !l.lastRefusal.CompareAndSwap(last, now) {
		return
	}
	st := l.stats()
	l.log.Warn("refusing HTTP connections at accept (logged at most once a minute; /metrics counts them)",
		"reason", refusedReasons[reason], "client", addr.String(), "open", st.Open, "max_conns", st.Max,
		"max_conns_per_client", st.MaxPerClient, "refused_total", st.Refused[refusedReasons[reason]])
}

// remoteAddr is the client's address, unmapped; the zero Addr when the
// connection's address is not IP.
func remoteAddr(c net.Conn) netip.Addr {
	switch a := c.RemoteAddr().(type) {
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	case nil:
		return netip.Addr{}
	default:
		ap, err := netip.ParseAddrPort(a.String())
		if err != nil {
			return netip.Addr{}
		}
		return ap.Addr().Unmap()
	}
}

// limitConn releases its slot in the limiter once, when closed.
type limitConn struct {
	net.Conn
	l    *connLimiter
	addr netip.Addr
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.addr) })
	return err
}
