package remote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// ForwardSection is the [forward] section of ptpwatch's configuration: a
// probe forwarding its frames to collectors.
type ForwardSection struct {
	Enabled       bool     `toml:"enabled"`
	Collectors    []string `toml:"collectors"`
	Site          string   `toml:"site"`
	Segment       int      `toml:"segment"`
	KeyFile       string   `toml:"key_file"`
	Evaluate      bool     `toml:"evaluate"`
	User          string   `toml:"user"`
	PasswordFile  string   `toml:"password_file"`
	NkeyFile      string   `toml:"nkey_file"`
	TLSCA         string   `toml:"tls_ca"`
	TLSCert       string   `toml:"tls_cert"`
	TLSKey        string   `toml:"tls_key"`
	QueueDir      string   `toml:"queue_dir"`
	QueueMaxBytes int64    `toml:"queue_max_bytes"`
	QueueMaxAge   int      `toml:"queue_max_age"`
	BatchBytes    int      `toml:"batch_bytes"`
	Compress      bool     `toml:"compress"`
	FlushMillis   int      `toml:"flush_ms"`
}

// CollectorSection is the [collector] section: a collector receiving
// forwarded frames as its frame source.
type CollectorSection struct {
	Enabled        bool     `toml:"enabled"`
	Listen         string   `toml:"listen"`
	StoreDir       string   `toml:"store_dir"`
	KeyFile        string   `toml:"key_file"`
	Allow          []string `toml:"allow"`
	Users          []string `toml:"users"`
	Nkeys          []string `toml:"nkeys"`
	TLSCert        string   `toml:"tls_cert"`
	TLSKey         string   `toml:"tls_key"`
	TLSClientCA    string   `toml:"tls_client_ca"`
	MaxBytes       int64    `toml:"max_bytes"`
	RetentionHours int      `toml:"retention_hours"`
	LostAfter      int      `toml:"lost_after"`
	URL            string   `toml:"url"`
	ClusterName    string   `toml:"cluster_name"`
	ClusterListen  string   `toml:"cluster_listen"`
	Routes         []string `toml:"routes"`
}

// DefaultForward returns [forward]'s defaults.
func DefaultForward() ForwardSection {
	return ForwardSection{Collectors: []string{}, Segment: -1, Evaluate: true, QueueMaxBytes: 1 << 30, QueueMaxAge: 86400,
		BatchBytes: 1 << 20, Compress: true, FlushMillis: 100}
}

// DefaultCollector returns [collector]'s defaults.
func DefaultCollector() CollectorSection {
	return CollectorSection{Listen: "127.0.0.1:4222", Allow: []string{}, Users: []string{}, Nkeys: []string{}, MaxBytes: 10 << 30, RetentionHours: 168,
		LostAfter: 5, Routes: []string{}}
}

// Setting documents one key of [forward] or [collector] for -O and -e.
type Setting struct {
	Section, Key, Default, Doc string
}

// Settings lists the keys of [forward] and [collector] in file order;
// the defaults equal DefaultForward and DefaultCollector.
var Settings = []Setting{
	{"forward", "enabled", "false", "Forward every captured frame to the collectors below (this appliance is a probe). Frames wait in a local JetStream queue while a collector is unreachable."},
	{"forward", "collectors", "[]", "NATS URLs of the collectors, e.g. [\"tls://collector.example.net:4222\"]; each gets every frame."},
	{"forward", "site", `""`, "This probe's site name (letters, digits, '-', '_'; at most 64): the collector names its interfaces \"site/interface\". Must be unique among the probes of a collector."},
	{"forward", "segment", "-1", "Segment (0-65534) the collector assigns to every forwarded interface, so identical networks stay apart; -1 keeps capture.segment."},
	{"forward", "key_file", `""`, "File (mode 600) with the pre-shared AES-256 key batches are sealed with: one line \"ID HEX-KEY\" (make one with: echo \"1 $(openssl rand -hex 32)\"). Never logged or shown."},
	{"forward", "evaluate", "true", "Also feed the frames to this appliance's own model; false makes a forwarding-only probe (no model; the API shows status only)."},
	{"forward", "user", `""`, "NATS account name at the collectors (with password_file)."},
	{"forward", "password_file", `""`, "File holding the NATS account's password."},
	{"forward", "nkey_file", `""`, "File (mode 600) holding this probe's NATS user NKEY seed (SU...; make a pair with `nk -gen user -pubout`); the collector lists its public key under this site in collector.nkeys. Used instead of user and password_file; the seed is never logged or shown."},
	{"forward", "tls_ca", `""`, "PEM CA certificates that sign the collectors' certificates; set to use TLS (URLs tls://...)."},
	{"forward", "tls_cert", `""`, "PEM client certificate for mutual TLS (with tls_key)."},
	{"forward", "tls_key", `""`, "PEM private key of tls_cert."},
	{"forward", "queue_dir", `""`, "Directory of the local queue (JetStream file storage), kept across restarts; empty keeps the queue in memory."},
	{"forward", "queue_max_bytes", "1073741824", "Bytes the local queue may hold; beyond, the oldest batches are dropped, counted, logged and raised as Forwarding Loss."},
	{"forward", "queue_max_age", "86400", "Seconds a batch may wait in the local queue before it is dropped (and counted) as too old."},
	{"forward", "batch_bytes", "1048576", "Largest batch of frames sealed and sent as one message (1 KiB to 4 MiB); a full batch leaves at once, a partial one after flush_ms. Larger batches cost less CPU a frame."},
	{"forward", "compress", "true", "Compress each batch (S2) before sealing it: captured PTP frames shrink to about a third, and every copy on the way with them. The batch's length, seen on the wire, then depends on its content."},
	{"forward", "flush_ms", "100", "Longest a frame waits for its batch to fill, in milliseconds."},
	{"collector", "enabled", "false", "Receive frames forwarded by probes as this appliance's frame source (interfaces \"site/interface\")."},
	{"collector", "listen", `"127.0.0.1:4222"`, "Client address of the embedded NATS server probes connect to; any address other than the loopback should have TLS, allow and users."},
	{"collector", "store_dir", `""`, "Directory of the embedded JetStream store and the read position; empty keeps them in memory (lost on restart)."},
	{"collector", "key_file", `""`, "File (mode 600) with the pre-shared keys probes may use, one \"ID HEX-KEY\" a line. Never logged or shown."},
	{"collector", "allow", "[]", "Probe address prefixes allowed to connect, e.g. [\"10.1.0.0/16\"]; empty allows any. Refusals are counted."},
	{"collector", "users", "[]", "NATS accounts probes must present, each \"NAME:BCRYPT-HASH\" (`ptpwatch passwd` makes a hash); empty needs none."},
	{"collector", "nkeys", "[]", "Public user NKEYs of the probes, each \"SITE:UPUBLICKEY\": a probe signing in with one may publish only that site's frames (list a relay's key once per site it relays). With users or nkeys set, every probe must present one; refusals are counted."},
	{"collector", "tls_cert", `""`, "PEM certificate of the embedded server; with tls_key, TLS is required of every probe."},
	{"collector", "tls_key", `""`, "PEM private key of tls_cert."},
	{"collector", "tls_client_ca", `""`, "PEM CA certificates of probe client certificates: set for mutual TLS."},
	{"collector", "max_bytes", "10737418240", "Bytes of forwarded batches kept (retention); the oldest go first."},
	{"collector", "retention_hours", "168", "Hours forwarded batches are kept."},
	{"collector", "lost_after", "5", "Seconds without a batch from a site before Probe Lost (probes send a heartbeat every second)."},
	{"collector", "url", `""`, "An external NATS (cluster) to read from instead of the embedded server, e.g. \"nats://nats1:4222\"."},
	{"collector", "cluster_name", `""`, "Name of the NATS cluster the embedded server joins (with cluster_listen and routes); the stream then keeps three replicas."},
	{"collector", "cluster_listen", `""`, "Route address of the embedded server in its cluster, e.g. \"0.0.0.0:6222\"."},
	{"collector", "routes", "[]", "Routes to the other servers of the cluster, e.g. [\"nats-route://nats2:6222\"]."},
}

// Check reports the first problem of an enabled [forward] section.
func (f ForwardSection) Check() error {
	if !f.Enabled {
		return nil
	}
	switch {
	case len(f.Collectors) == 0:
		return fmt.Errorf("forward.collectors is empty")
	case !ValidSite(f.Site):
		return fmt.Errorf("forward.site %q: use 1 to 64 letters, digits, '-' or '_'", f.Site)
	case f.Segment < -1 || f.Segment > 65534:
		return fmt.Errorf("forward.segment %d: -1 or 0 to 65534", f.Segment)
	case f.KeyFile == "":
		return fmt.Errorf("forward.key_file is needed")
	case f.NkeyFile != "" && f.User != "":
		return fmt.Errorf("forward.nkey_file and forward.user: choose one")
	case f.BatchBytes != 0 && (f.BatchBytes < 1<<10 || f.BatchBytes > MaxBatchBytes):
		return fmt.Errorf("forward.batch_bytes %d: 1024 to %d", f.BatchBytes, MaxBatchBytes)
	}
	return nil
}

// Check reports the first problem of an enabled [collector] section.
func (c CollectorSection) Check() error {
	if !c.Enabled {
		return nil
	}
	if c.KeyFile == "" {
		return fmt.Errorf("collector.key_file is needed")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("collector.tls_cert and tls_key go together")
	}
	return nil
}

// ClientTLS builds the probe's TLS configuration, nil without tls_ca.
func (f ForwardSection) ClientTLS() (*tls.Config, error) {
	if f.TLSCA == "" {
		return nil, nil
	}
	pool, err := loadPool(f.TLSCA)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if f.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(f.TLSCert, f.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("forward.tls_cert: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// ServerTLS builds the embedded server's TLS configuration, nil without
// tls_cert.
func (c CollectorSection) ServerTLS() (*tls.Config, error) {
	if c.TLSCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("collector.tls_cert: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.TLSClientCA != "" {
		if cfg.ClientCAs, err = loadPool(c.TLSClientCA); err != nil {
			return nil, err
		}
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

func loadPool(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return pool, nil
}

// ReadPassword reads a password file, trimming the line end.
func ReadPassword(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// Tee is a frame source that hands every frame of Source to Probe as
// well; with Evaluate false it forwards only and returns no frame (a
// forwarding-only probe), just Source's errors.
type Tee struct {
	source.Source
	Probe    *Probe
	Evaluate bool

	marked source.Marked // Source, when Resume found it marked
}

// Next returns the next frame of Source after queueing it for forwarding.
func (t *Tee) Next(ctx context.Context, f *source.Frame) error {
	for {
		if err := t.Source.Next(ctx, f); err != nil {
			return err
		}
		t.Probe.Add(f, t.Source.Interfaces())
		if t.Evaluate {
			return nil
		}
	}
}

// CaughtUp passes on what Source knows (source.Progress).
func (t *Tee) CaughtUp() (caughtUp, ok bool) { return source.CaughtUp(t.Source) }

// ReaderPriority implements source.Realtime for the wrapped source.
func (t *Tee) ReaderPriority() int { return source.ReaderPriority(t.Source) }

// Lost passes on the frames Source lost (source.Lossy).
func (t *Tee) Lost() uint64 { return source.Lost(t.Source) }

// RefreshLost passes on to Source (source.LossRefresher).
func (t *Tee) RefreshLost() { source.RefreshLost(t.Source) }

// Resume passes the marks on when Source is marked (a collector that
// forwards further) and the tee evaluates, so that what the appliance
// stores is delivered once (source.Marked). A forwarding-only tee returns
// no frame to store: Source then keeps its own position.
func (t *Tee) Resume(marks map[string]Mark) error {
	m, ok := t.Source.(source.Marked)
	if !ok || !t.Evaluate {
		return nil
	}
	t.marked = m
	return m.Resume(marks)
}

// FrameMark passes on Source's mark after Resume ("" otherwise).
func (t *Tee) FrameMark() (string, Mark) {
	if t.marked == nil {
		return "", Mark{}
	}
	return t.marked.FrameMark()
}

// Stored passes on what the consumer stored after Resume.
func (t *Tee) Stored(origin string, m Mark) {
	if t.marked != nil {
		t.marked.Stored(origin, m)
	}
}
