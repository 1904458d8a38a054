// Package natsd runs an embedded NATS server with JetStream for remote
// forwarding: a collector's server, which probes reach over TLS through an
// allow-list of addresses and accounts, or a probe's in-process local
// queue. It is kept apart from package remote because linking the NATS
// server starts a once-a-second process sampler in every binary that does.
package natsd

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"
	"golang.org/x/crypto/bcrypt"

	"github.com/ptpwatch/ptpwatch/xdp/remote"
)

// Config configures an embedded NATS server with JetStream.
type Config struct {
	// Name of the server (unique within a cluster); empty: generated.
	Name string
	// Listen is the client address, "host:port"; empty serves only
	// in-process connections (a probe's local queue).
	Listen string
	// StoreDir keeps JetStream's streams on disk; empty keeps them in
	// memory (lost on restart).
	StoreDir string
	// MaxStore bounds JetStream's memory or disk use, bytes; 0: the
	// server's default.
	MaxStore int64
	// TLS, when set, is required of every client; set ClientAuth in it
	// for mutual TLS.
	TLS *tls.Config
	// Allow lists the client address prefixes allowed to connect; empty
	// allows all. In-process connections are always allowed.
	Allow []netip.Prefix
	// Users, when given, are the accounts clients must present, each
	// "NAME:BCRYPT-HASH".
	Users []string
	// Nkeys, when given, are the probes' public user NKEYs, each
	// "SITE:UPUBLICKEY": a client that signs the server's nonce with one
	// may publish only its site's frames (remote.FramesSubject + "." +
	// SITE). With Users or Nkeys set, a client must present one of them.
	Nkeys []string
	// Cluster joins a NATS cluster: its name, the route listen address
	// and the other servers' routes ("nats-route://host:port").
	ClusterName   string
	ClusterListen string
	Routes        []string
}

// Server is a running embedded NATS server and its refusal counters.
type Server struct {
	*server.Server
	auth *gate
}

// Refusals counts connections an embedded server refused.
type Refusals struct {
	Address     uint64 // from outside the allow-list
	Credentials uint64 // wrong or missing user and password, or NKEY
}

// Refused returns the server's refusal counters.
func (s *Server) Refused() Refusals {
	return Refusals{Address: s.auth.address.Load(), Credentials: s.auth.creds.Load()}
}

// ParseNkeys reads "SITE:UPUBLICKEY" entries into public key -> sites.
// A site may have several keys (a probe's key being replaced), and a key
// several sites (a relay passing on the batches of the sites it hears).
func ParseNkeys(list []string) (map[string][]string, error) {
	out := make(map[string][]string, len(list))
	for _, e := range list {
		site, pub, ok := strings.Cut(strings.TrimSpace(e), ":")
		if !ok || !remote.ValidSite(site) {
			return nil, fmt.Errorf("natsd: nkeys entry %q: want \"SITE:UPUBLICKEY\"", e)
		}
		if !nkeys.IsValidPublicUserKey(pub) {
			return nil, fmt.Errorf("natsd: nkeys entry for site %s: not a public user NKEY (U...)", site)
		}
		if !slices.Contains(out[pub], site) {
			out[pub] = append(out[pub], site)
		}
	}
	return out, nil
}

// sitePermissions lets an NKEY's client publish its sites' frames and
// receive the acknowledgements, nothing else.
func sitePermissions(sites []string) *server.Permissions {
	pub := make([]string, len(sites))
	for i, s := range sites {
		pub[i] = remote.FramesSubject + "." + s
	}
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: pub},
		Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}},
	}
}

// verifyNkey reports whether sig (base64, as clients send it) is pub's
// signature of nonce.
func verifyNkey(pub, sig string, nonce []byte) bool {
	if len(nonce) == 0 {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		if raw, err = base64.StdEncoding.DecodeString(sig); err != nil {
			return false
		}
	}
	kp, err := nkeys.FromPublicKey(pub)
	return err == nil && kp.Verify(nonce, raw) == nil
}

// ClientURL returns the URL clients use to reach the server.
func (s *Server) ClientURL() string { return s.Server.ClientURL() }

// gate is the server's custom client authentication: the allow-list of
// addresses and, when set, the accounts.
type gate struct {
	allow   []netip.Prefix
	users   map[string][]byte
	nkeys   map[string][]string // public key -> sites
	address atomic.Uint64
	creds   atomic.Uint64
}

// Check admits in-process clients, and others when their address is
// allowed and their credentials (if any are configured) are right.
func (g *gate) Check(c server.ClientAuthentication) bool {
	if c.Kind() != server.CLIENT {
		return true
	}
	addr := c.RemoteAddress()
	if addr == nil || addr.Network() == "pipe" {
		return true
	}
	if len(g.allow) > 0 {
		ap, err := netip.ParseAddrPort(addr.String())
		ok := err == nil
		if ok {
			ok = false
			for _, p := range g.allow {
				if p.Contains(ap.Addr().Unmap()) {
					ok = true
					break
				}
			}
		}
		if !ok {
			g.address.Add(1)
			return false
		}
	}
	if len(g.users) == 0 && len(g.nkeys) == 0 {
		return true
	}
	o := c.GetOpts()
	if o.Nkey != "" {
		sites, known := g.nkeys[o.Nkey]
		if !known || !verifyNkey(o.Nkey, o.Sig, c.GetNonce()) {
			g.creds.Add(1)
			return false
		}
		c.RegisterUser(&server.User{Username: "site " + strings.Join(sites, ","), Permissions: sitePermissions(sites)})
		return true
	}
	hash, known := g.users[o.Username]
	if !known || bcrypt.CompareHashAndPassword(hash, []byte(o.Password)) != nil {
		g.creds.Add(1)
		return false
	}
	return true
}

// ParseAllow parses address prefixes ("10.0.0.0/8") or single addresses.
func ParseAllow(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("natsd: allow %q: not an address or prefix", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Start starts an embedded NATS server with JetStream and waits
// until it accepts clients.
func Start(cfg Config) (*Server, error) {
	g := &gate{allow: cfg.Allow, users: map[string][]byte{}}
	for _, u := range cfg.Users {
		name, hash, ok := strings.Cut(u, ":")
		if !ok || name == "" || !strings.HasPrefix(hash, "$2") {
			return nil, errors.New("natsd: users must be \"NAME:BCRYPT-HASH\"")
		}
		g.users[name] = []byte(hash)
	}
	var err error
	if g.nkeys, err = ParseNkeys(cfg.Nkeys); err != nil {
		return nil, err
	}
	opts := &server.Options{
		ServerName:                 cfg.Name,
		JetStream:                  true,
		StoreDir:                   cfg.StoreDir,
		NoSigs:                     true,
		NoLog:                      true,
		CustomClientAuthentication: g,
		MaxPayload:                 8 << 20,
		// The gate checks NKEY signatures of the nonce itself.
		AlwaysEnableNonce: len(cfg.Nkeys) > 0,
	}
	if cfg.MaxStore > 0 {
		if cfg.StoreDir != "" {
			opts.JetStreamMaxStore = cfg.MaxStore
		} else {
			opts.JetStreamMaxMemory = cfg.MaxStore
		}
	}
	if cfg.StoreDir == "" {
		opts.JetStreamMaxStore = 1 << 20 // memory only; file storage unused
	}
	if cfg.Listen == "" {
		opts.DontListen = true
	} else {
		host, port, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("natsd: listen %q: %w", cfg.Listen, err)
		}
		opts.Host = host
		if opts.Port, err = strconv.Atoi(port); err != nil {
			return nil, fmt.Errorf("natsd: listen %q: bad port", cfg.Listen)
		}
		if opts.Port == 0 {
			opts.Port = server.RANDOM_PORT
		}
	}
	if cfg.TLS != nil {
		opts.TLSConfig = cfg.TLS
		opts.TLS = true
		opts.TLSVerify = cfg.TLS.ClientAuth == tls.RequireAndVerifyClientCert
		opts.TLSTimeout = 5
	}
	if cfg.ClusterListen != "" {
		host, port, err := net.SplitHostPort(cfg.ClusterListen)
		if err != nil {
			return nil, fmt.Errorf("natsd: cluster listen %q: %w", cfg.ClusterListen, err)
		}
		p, _ := strconv.Atoi(port)
		opts.Cluster = server.ClusterOpts{Name: cfg.ClusterName, Host: host, Port: p}
		for _, r := range cfg.Routes {
			u, err := url.Parse(r)
			if err != nil {
				return nil, fmt.Errorf("natsd: route %q: %w", r, err)
			}
			opts.Routes = append(opts.Routes, u)
		}
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("natsd: NATS server: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, errors.New("natsd: the embedded NATS server did not start within 10 s")
	}
	return &Server{Server: s, auth: g}, nil
}
