package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/ptpwatch/ptpwatch/httpd"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/xdp/remote"
)

// Config is ptpwatch's configuration file, in TOML with one table per
// section. Every key, its default and its meaning are listed in settings,
// which -O prints and -e explains.
type Config struct {
	Capture CaptureConfig `toml:"capture"`
	Demo    DemoConfig    `toml:"demo"`
	Replay  ReplayConfig  `toml:"replay"`
	Model   ModelConfig   `toml:"model"`
	HTTP    HTTPConfig    `toml:"http"`
	Metrics MetricsConfig `toml:"metrics"`
	Storage StorageConfig `toml:"storage"`
	Dashcam DashcamConfig `toml:"dashcam"`
	Log     LogConfig     `toml:"log"`
	// Forwarding between sites (issue #18): sections of xdp/remote.
	Forward   remote.ForwardSection   `toml:"forward"`
	Collector remote.CollectorSection `toml:"collector"`
}

// DashcamConfig is the [dashcam] section.
type DashcamConfig struct {
	Enabled         bool     `toml:"enabled"`
	Triggers        []string `toml:"triggers"`
	Scopes          []string `toml:"scopes"`
	AllScopes       bool     `toml:"all_scopes"`
	PreSeconds      int      `toml:"pre_seconds"`
	PostSeconds     int      `toml:"post_seconds"`
	Archive         bool     `toml:"archive"`
	ArchiveMaxBytes int64    `toml:"archive_max_bytes"`
	ArchiveMaxHours int      `toml:"archive_max_hours"`
	MaxBytes        int64    `toml:"max_bytes"`
	MaxDays         int      `toml:"max_days"`
}

// CaptureConfig is the [capture] section.
type CaptureConfig struct {
	Interfaces  []string `toml:"interfaces"`
	Method      string   `toml:"method"`
	Segment     uint16   `toml:"segment"`
	BufferBytes int64    `toml:"buffer_bytes"`
}

// DemoConfig is the [demo] section.
type DemoConfig struct {
	Enabled   bool    `toml:"enabled"`
	Speed     float64 `toml:"speed"`
	Incidents bool    `toml:"incidents"`
	Seed      uint64  `toml:"seed"`
	Followers int     `toml:"followers"`
}

// ReplayConfig is the [replay] section.
type ReplayConfig struct {
	File  string  `toml:"file"`
	Speed float64 `toml:"speed"`
}

// ModelConfig is the [model] section.
type ModelConfig struct {
	Shards       int    `toml:"shards"`
	EventLogSize int    `toml:"event_log_size"`
	StateTerms   string `toml:"state_terms"`
	MasterTerm   string `toml:"master_term"`
	SlaveTerm    string `toml:"slave_term"`
}

// HTTPConfig is the [http] section.
type HTTPConfig struct {
	Enabled             bool     `toml:"enabled"`
	Listen              string   `toml:"listen"`
	HTTPS               bool     `toml:"https"`
	HTTPSListen         string   `toml:"https_listen"`
	CertFile            string   `toml:"cert_file"`
	KeyFile             string   `toml:"key_file"`
	SelfSignedDir       string   `toml:"self_signed_dir"`
	CertHosts           []string `toml:"cert_hosts"`
	Users               []string `toml:"users"`
	Tokens              []string `toml:"tokens"`
	AllowList           []string `toml:"allow"`
	AllowedHosts        []string `toml:"hosts"`
	MaxRequestBytes     int      `toml:"max_request_bytes"`
	MaxConns            int      `toml:"max_conns"`
	MaxConnsPerClient   int      `toml:"max_conns_per_client"`
	HeaderTimeout       int      `toml:"header_timeout"`
	MaxStreams          int      `toml:"max_streams"`
	MaxStreamsPerClient int      `toml:"max_streams_per_client"`
	HeavyReads          int      `toml:"heavy_reads"`
}

// MetricsConfig is the [metrics] section.
type MetricsConfig struct {
	PerInstance bool `toml:"per_instance"`
}

// StorageConfig is the [storage] section.
type StorageConfig struct {
	DataDir        string `toml:"data_dir"`
	ImagesMax      int    `toml:"images_max"`
	ImagesMaxBytes int64  `toml:"images_max_bytes"`
	ImageMaxBytes  int    `toml:"image_max_bytes"`
}

// imageLimits are the device image limits of the [storage] section.
func (c *Config) imageLimits() httpd.ImageLimits {
	return httpd.ImageLimits{MaxCount: c.Storage.ImagesMax, MaxTotal: c.Storage.ImagesMaxBytes, MaxBytes: c.Storage.ImageMaxBytes}
}

// LogConfig is the [log] section.
type LogConfig struct {
	Level        string `toml:"level"`
	Format       string `toml:"format"`
	StatsSeconds int    `toml:"stats_interval"`
}

// setting documents one configuration key.
type setting struct {
	section, key string
	def          string // TOML literal
	reload       bool   // SIGHUP applies it without a restart
	doc          string
}

// settings lists every key in file order. The defaults here must equal
// DefaultConfig(); a test parses -O's output to hold them together.
var settings = []setting{
	{"capture", "interfaces", "[]", false, "Interfaces to capture PTP on, e.g. [\"eth1\", \"eth2\"]. Empty: no live capture (use the demo network or a replay)."},
	{"capture", "method", `"auto"`, false, "How to capture: \"auto\" (AF_XDP where the driver allows and no local PTP daemon shares the interface, else AF_PACKET), \"af_xdp\" or \"af_packet\"."},
	{"capture", "segment", "0", false, "Network segment number assigned to traffic from these interfaces; keeps identical scopes of separate networks apart."},
	{"capture", "buffer_bytes", "268435456", false, "Byte limit of the RAM capture buffer; the oldest frames are evicted first. Default 256 MiB."},
	{"demo", "enabled", "false", false, "Run the built-in simulated PTP network as the frame source (the same as --demo)."},
	{"demo", "speed", "1.0", true, "Pace of the demo network relative to real time; 0 runs as fast as possible."},
	{"demo", "incidents", "true", false, "Let the demo network play scripted incidents (grandmaster failover, clockClass degradation, rogue master, ...) every few minutes."},
	{"demo", "seed", "1", false, "Seed of the demo network's randomness (jitter, Delay_Req timing)."},
	{"demo", "followers", "0", false, "Extra followers in the demo's domain-0 scope (each sends 4 Delay_Req/s and gets its Delay_Resp), to try the UI and API at scale, e.g. 10000."},
	{"replay", "file", `""`, false, "A pcap or pcapng file to replay as the frame source (the same as --replay)."},
	{"replay", "speed", "0.0", true, "Replay pace relative to the recorded time; 0 replays as fast as possible."},
	{"model", "shards", "1", false, "Number of model shards (scopes are spread over them by hash); one worker goroutine each."},
	{"model", "event_log_size", "100000", false, "Number of events kept in memory."},
	{"model", "state_terms", `"master/slave"`, true, "Words used for port states in output: \"master/slave\", \"leader/follower\", or \"custom\" with master_term and slave_term."},
	{"model", "master_term", `"Master"`, true, "With state_terms = \"custom\": the word for MASTER."},
	{"model", "slave_term", `"Slave"`, true, "With state_terms = \"custom\": the word for SLAVE."},
	{"http", "enabled", "true", false, "Serve plain HTTP on listen. Turn it off to serve HTTPS only."},
	{"http", "listen", `"127.0.0.1:8319"`, false, "Address of the web UI and REST API (the same as --http). Any address other than the loopback needs users or tokens configured."},
	{"http", "https", "false", false, "Serve HTTPS on https_listen, with cert_file and key_file or a generated self-signed ECDSA certificate. With HTTPS on, plain HTTP requests from other hosts are redirected to HTTPS (308) and basic authentication is never offered over plain HTTP; HTTPS answers carry Strict-Transport-Security; TLS 1.2 offers only ECDHE with AES-GCM or ChaCha20-Poly1305, TLS 1.3 as Go fixes it."},
	{"http", "https_listen", `"127.0.0.1:8443"`, false, "Address of HTTPS; any address other than the loopback needs users or tokens configured."},
	{"http", "cert_file", `""`, false, "PEM certificate (chain, leaf first) for HTTPS; give key_file with it. Empty: a self-signed certificate. SIGHUP re-reads the files."},
	{"http", "key_file", `""`, false, "PEM private key of cert_file."},
	{"http", "self_signed_dir", `""`, false, "Directory keeping the generated self-signed certificate across restarts; empty keeps it in memory (a new one each start)."},
	{"http", "cert_hosts", "[]", false, "Extra DNS names and addresses the self-signed certificate names (it always names localhost, the loopback addresses and the host name)."},
	{"http", "users", "[]", false, "Accounts for HTTP basic authentication, each \"NAME:ROLE:BCRYPT-HASH\" with ROLE read-only or admin; `ptpwatch passwd` prints a hash. Empty with no tokens: the API is open, which only the loopback allows."},
	{"http", "tokens", "[]", false, "Bearer tokens, each \"NAME:ROLE:SHA256-HEX\" of the token; `ptpwatch passwd --token` makes a token and its digest."},
	{"http", "allow", "[]", false, "Client address prefixes allowed to connect, e.g. [\"10.0.0.0/8\", \"::1/128\"]; empty allows every client. Connections from other addresses are closed as soon as they are accepted, without an answer."},
	{"http", "hosts", "[]", false, "Extra host names (or addresses) clients use to reach the appliance, e.g. [\"ptp.example.net\"] or a reverse proxy's name; \"*\" turns the check off. Requests whose Host header names none of these, a listen address, the loopback, the machine's host name, cert_hosts or (listening on 0.0.0.0 or ::) one of its addresses are refused with 421, which stops DNS rebinding; the port is not compared. These hosts are also trusted as the origin of writes on any port."},
	{"http", "max_request_bytes", "1048576", false, "Largest request body accepted, in bytes; larger requests get 413."},
	{"http", "max_conns", "0", false, "Most HTTP and HTTPS connections open at once; more are closed as soon as they are accepted (counted in /metrics). 0: half the process's open-file limit, at least 32 and at most 4096, leaving the rest for capture and the store."},
	{"http", "max_conns_per_client", "128", false, "Most connections open at once from one client address; more are closed as soon as they are accepted. Loopback clients (a local reverse proxy, for example) count only against max_conns."},
	{"http", "header_timeout", "10", false, "Seconds a client has for the TLS handshake and a request's header; slower connections are closed. The body then has 30 seconds."},
	{"http", "max_streams", "256", false, "Most live event streams (/api/v1/events/stream, the UI's live updates) open at once; more get 503."},
	{"http", "max_streams_per_client", "16", false, "Most live event streams open at once from one client address; more get 429."},
	{"http", "heavy_reads", "0", false, "Most API reads doing their work (building and encoding an answer, a slice of an event list or stream replay) at once; others wait their turn (503 after 20 s), so API load cannot take the CPU the frame path needs. 0: half the CPUs, at least 1."},
	{"metrics", "per_instance", "true", false, "Export the per-instance families on /metrics (ptpwatch_instance_*: port state, sequence counters, intervals, silence; ptpwatch_master_offset_seconds). Each instance adds about 25 series; on very large networks (tens of thousands of instances) set false to keep scrapes and Prometheus small: the per-scope and appliance families stay."},
	{"storage", "data_dir", `""`, false, "Directory for persistent data (dashcam recordings, metadata); empty keeps everything in memory (the same as --data)."},
	{"storage", "images_max", "1000", false, "Device images kept (in the store, or in memory without data_dir); more are refused with 409. Images are accepted only for devices seen on the network or given metadata."},
	{"storage", "images_max_bytes", "268435456", false, "Bytes of all device images together (default 256 MiB); uploads beyond get 409."},
	{"storage", "image_max_bytes", "1048576", false, "Bytes of one device image (default 1 MiB); larger uploads get 413. http.max_request_bytes bounds uploads too."},
	{"dashcam", "enabled", "true", false, "With storage.data_dir set, record the frames around each trigger event as an incident in the store (dashcam)."},
	{"dashcam", "triggers", `["Grandmaster Changed", "Port State Changed", "Grandmaster Quality Changed", "Master Silent"]`, false, "Event types that start (or extend) an incident; [] records only manual triggers (POST /api/v1/incidents)."},
	{"dashcam", "scopes", "[]", false, "Only events of these scopes trigger, e.g. [\"seg0 v2 domain 0 UDP/IPv4\"]; empty: every scope."},
	{"dashcam", "all_scopes", "false", false, "Record every scope's frames in an incident, not only the triggering scope's."},
	{"dashcam", "pre_seconds", "30", false, "Seconds recorded before a trigger, taken from the RAM capture buffer."},
	{"dashcam", "post_seconds", "30", false, "Seconds recorded after a trigger."},
	{"dashcam", "archive", "false", false, "Also write every frame to a continuous archive in the store."},
	{"dashcam", "archive_max_bytes", "0", false, "Disk space of the continuous archive, oldest deleted first; 0: bounded only by max_bytes."},
	{"dashcam", "archive_max_hours", "0", false, "Hours of capture the continuous archive keeps; 0: no age limit."},
	{"dashcam", "max_bytes", "0", false, "Disk space of incidents and archive together, oldest deleted first (never an incident still recording); 0: no limit beyond the free-space check."},
	{"dashcam", "max_days", "0", false, "Days an incident is kept; 0: until max_bytes needs the room."},
	{"log", "level", `"info"`, true, "Log level: debug, info, warn or error."},
	{"log", "format", `"text"`, false, "Log format: text or json."},
	{"log", "stats_interval", "60", true, "Seconds between summary lines in the log; 0 turns them off."},
}

// DefaultConfig returns the configuration used when no file is given.
func DefaultConfig() Config {
	return Config{
		Capture: CaptureConfig{Interfaces: []string{}, Method: "auto", BufferBytes: 256 << 20},
		Demo:    DemoConfig{Speed: 1, Incidents: true, Seed: 1},
		Model:   ModelConfig{Shards: 1, EventLogSize: 100_000, StateTerms: "master/slave", MasterTerm: "Master", SlaveTerm: "Slave"},
		HTTP: HTTPConfig{Enabled: true, Listen: "127.0.0.1:8319", HTTPSListen: "127.0.0.1:8443", CertHosts: []string{}, Users: []string{}, Tokens: []string{}, AllowList: []string{}, AllowedHosts: []string{}, MaxRequestBytes: 1 << 20,
			MaxConnsPerClient: httpd.DefaultMaxConnsPerClient, HeaderTimeout: int(httpd.DefaultHeaderTimeout / time.Second),
			MaxStreams: httpd.DefaultMaxStreams, MaxStreamsPerClient: httpd.DefaultMaxStreamsPerClient},
		Metrics: MetricsConfig{PerInstance: true},
		Dashcam: DashcamConfig{Enabled: true, Triggers: []string{"Grandmaster Changed", "Port State Changed", "Grandmaster Quality Changed", "Master Silent"},
			Scopes: []string{}, PreSeconds: 30, PostSeconds: 30},
		Log:     LogConfig{Level: "info", Format: "text", StatsSeconds: 60},
		Storage: StorageConfig{ImagesMax: httpd.DefaultMaxImages, ImagesMaxBytes: httpd.DefaultMaxImagesBytes, ImageMaxBytes: httpd.MaxImageBytes},
		Forward: remote.DefaultForward(), Collector: remote.DefaultCollector(),
	}
}

// DefaultConfigText is the complete commented default configuration that
// -O prints.
func DefaultConfigText() string {
	var b strings.Builder
	b.WriteString("# ptpwatch configuration. Every key is shown with its default.\n")
	b.WriteString("# Keys marked (reload) take effect on SIGHUP; the others need a restart.\n")
	section := ""
	for _, s := range settings {
		if s.section != section {
			section = s.section
			fmt.Fprintf(&b, "\n[%s]\n", section)
		}
		doc := s.doc
		if s.reload {
			doc += " (reload)"
		}
		for _, line := range wrap(doc, 76) {
			fmt.Fprintf(&b, "# %s\n", line)
		}
		fmt.Fprintf(&b, "%s = %s\n", s.key, s.def)
	}
	return b.String()
}

func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// Explain describes SECTION:KEY, as -e prints it.
func Explain(name string) (string, error) {
	sec, key, ok := strings.Cut(name, ":")
	if !ok {
		return "", fmt.Errorf("explain %q: want SECTION:KEY, such as capture:method", name)
	}
	for _, s := range settings {
		if s.section == sec && s.key == key {
			reload := "needs a restart"
			if s.reload {
				reload = "applied on SIGHUP"
			}
			return fmt.Sprintf("%s:%s (default %s, %s)\n%s\n", sec, key, s.def, reload, s.doc), nil
		}
	}
	return "", fmt.Errorf("explain %q: no such setting (ptpwatch -O lists them all)", name)
}

// ConfigError is a configuration problem; the process exits with
// exitConfig on it.
type ConfigError struct {
	File string
	Err  error
}

func (e *ConfigError) Error() string {
	if e.File == "" {
		return "config: " + e.Err.Error()
	}
	return fmt.Sprintf("config %s: %v", e.File, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// LoadConfig reads and checks a configuration file. Unknown keys are errors,
// so a misspelt setting is never silently ignored.
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	if path == "" {
		return cfg, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, &ConfigError{path, err}
	}
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		var sm *toml.StrictMissingError
		if errors.As(err, &sm) {
			return cfg, &ConfigError{path, fmt.Errorf("unknown setting(s):\n%s", sm.String())}
		}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return cfg, &ConfigError{path, fmt.Errorf("line %d column %d: %v", row, col, de)}
		}
		return cfg, &ConfigError{path, err}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, &ConfigError{path, err}
	}
	return cfg, nil
}

// maxDemoFollowers bounds demo.followers: the model is sized and tested
// for 100,000 instances.
const maxDemoFollowers = 100_000

// Validate checks values that the types alone do not.
func (c *Config) Validate() error {
	var errs []error
	switch c.Capture.Method {
	case "auto", "af_xdp", "af_packet":
	default:
		errs = append(errs, fmt.Errorf("capture.method %q: want auto, af_xdp or af_packet", c.Capture.Method))
	}
	if c.Capture.BufferBytes < 1<<20 {
		errs = append(errs, fmt.Errorf("capture.buffer_bytes %d: want at least 1 MiB", c.Capture.BufferBytes))
	}
	if c.Demo.Speed < 0 || c.Replay.Speed < 0 {
		errs = append(errs, errors.New("demo.speed and replay.speed must not be negative"))
	}
	if c.Demo.Followers < 0 || c.Demo.Followers > maxDemoFollowers {
		errs = append(errs, fmt.Errorf("demo.followers %d: want 0 to %d", c.Demo.Followers, maxDemoFollowers))
	}
	if c.Model.Shards < 1 || c.Model.Shards > 64 {
		errs = append(errs, fmt.Errorf("model.shards %d: want 1 to 64", c.Model.Shards))
	}
	if c.Model.EventLogSize < 100 {
		errs = append(errs, fmt.Errorf("model.event_log_size %d: want at least 100", c.Model.EventLogSize))
	}
	switch c.Model.StateTerms {
	case "master/slave", "leader/follower", "custom":
	default:
		errs = append(errs, fmt.Errorf("model.state_terms %q: want master/slave, leader/follower or custom", c.Model.StateTerms))
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		errs = append(errs, fmt.Errorf("http.listen %q: %v", c.HTTP.Listen, err))
	}
	if _, _, err := net.SplitHostPort(c.HTTP.HTTPSListen); err != nil && c.HTTP.HTTPS {
		errs = append(errs, fmt.Errorf("http.https_listen %q: %v", c.HTTP.HTTPSListen, err))
	}
	if _, err := c.HTTPServerConfig(); err != nil {
		errs = append(errs, err)
	}
	if c.Dashcam.PreSeconds < 0 || c.Dashcam.PostSeconds < 0 || c.Dashcam.PreSeconds > 3600 || c.Dashcam.PostSeconds > 3600 {
		errs = append(errs, fmt.Errorf("dashcam.pre_seconds %d and post_seconds %d: want 0 to 3600", c.Dashcam.PreSeconds, c.Dashcam.PostSeconds))
	}
	if c.Storage.ImagesMax < 1 || c.Storage.ImagesMaxBytes < 1 || c.Storage.ImageMaxBytes < 1 {
		errs = append(errs, fmt.Errorf("storage.images_max %d, images_max_bytes %d and image_max_bytes %d: want at least 1",
			c.Storage.ImagesMax, c.Storage.ImagesMaxBytes, c.Storage.ImageMaxBytes))
	}
	if c.Dashcam.ArchiveMaxBytes < 0 || c.Dashcam.MaxBytes < 0 || c.Dashcam.ArchiveMaxHours < 0 || c.Dashcam.MaxDays < 0 {
		errs = append(errs, errors.New("dashcam sizes and ages must not be negative"))
	}
	for _, t := range c.Dashcam.Triggers {
		if !state.KnownEventType(state.EventType(t)) {
			errs = append(errs, fmt.Errorf("dashcam.triggers: unknown event type %q", t))
		}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level %q: want debug, info, warn or error", c.Log.Level))
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format %q: want text or json", c.Log.Format))
	}
	if c.Log.StatsSeconds < 0 {
		errs = append(errs, errors.New("log.stats_interval must not be negative"))
	}
	if c.Demo.Enabled && c.Replay.File != "" {
		errs = append(errs, errors.New("demo.enabled and replay.file both set: choose one frame source"))
	}
	errs = append(errs, c.Forward.Check(), c.Collector.Check())
	return errors.Join(errs...)
}

// HTTPServerConfig turns the [http] section into the server's
// configuration, checking each credential and prefix.
func (c *Config) HTTPServerConfig() (httpd.Config, error) {
	out := httpd.Config{Listen: c.HTTP.Listen, MaxRequestBody: c.HTTP.MaxRequestBytes, DisableHTTP: !c.HTTP.Enabled, AllowedHosts: c.HTTP.AllowedHosts,
		MaxConns: c.HTTP.MaxConns, MaxConnsPerClient: c.HTTP.MaxConnsPerClient, HeaderTimeout: time.Duration(c.HTTP.HeaderTimeout) * time.Second,
		MaxStreams: c.HTTP.MaxStreams, MaxStreamsPerClient: c.HTTP.MaxStreamsPerClient, HeavyReads: c.HTTP.HeavyReads,
		TLS: httpd.TLSConfig{Enabled: c.HTTP.HTTPS, Listen: c.HTTP.HTTPSListen, CertFile: c.HTTP.CertFile, KeyFile: c.HTTP.KeyFile,
			SelfSignedDir: c.HTTP.SelfSignedDir, Hosts: c.HTTP.CertHosts},
		Metrics: httpd.MetricsConfig{DropPerInstance: !c.Metrics.PerInstance}}
	if !c.HTTP.Enabled && !c.HTTP.HTTPS {
		return out, errors.New("http.enabled and http.https are both false: the web UI and API would be unreachable")
	}
	var errs []error
	if c.HTTP.MaxRequestBytes < 1024 {
		errs = append(errs, fmt.Errorf("http.max_request_bytes %d: want at least 1024", c.HTTP.MaxRequestBytes))
	}
	if c.HTTP.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("http.max_conns %d: want a positive number, or 0 for half the open-file limit", c.HTTP.MaxConns))
	}
	if c.HTTP.MaxConnsPerClient < 1 {
		errs = append(errs, fmt.Errorf("http.max_conns_per_client %d: want at least 1", c.HTTP.MaxConnsPerClient))
	}
	if c.HTTP.MaxStreams < 1 {
		errs = append(errs, fmt.Errorf("http.max_streams %d: want at least 1", c.HTTP.MaxStreams))
	}
	if c.HTTP.MaxStreamsPerClient < 1 || c.HTTP.MaxStreamsPerClient > c.HTTP.MaxStreams {
		errs = append(errs, fmt.Errorf("http.max_streams_per_client %d: want 1 to max_streams (%d)", c.HTTP.MaxStreamsPerClient, c.HTTP.MaxStreams))
	}
	if c.HTTP.HeavyReads < 0 {
		errs = append(errs, fmt.Errorf("http.heavy_reads %d: want 0 (half the CPUs) or more", c.HTTP.HeavyReads))
	}
	if c.HTTP.HeaderTimeout < 1 || c.HTTP.HeaderTimeout > 30 {
		errs = append(errs, fmt.Errorf("http.header_timeout %d: want 1 to 30 seconds", c.HTTP.HeaderTimeout))
	}
	for i, u := range c.HTTP.Users {
		name, role, hash, ok := splitCredential(u)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("http.users[%d]: want \"NAME:ROLE:BCRYPT-HASH\"", i))
		case !strings.HasPrefix(hash, "$2"):
			errs = append(errs, fmt.Errorf("http.users[%d] (%s): the password must be a bcrypt hash (ptpwatch passwd prints one), not the password itself", i, name))
		default:
			out.Users = append(out.Users, httpd.User{Name: name, Role: httpd.Role(role), PasswordHash: hash})
		}
	}
	for i, t := range c.HTTP.Tokens {
		name, role, digest, ok := splitCredential(t)
		if !ok {
			errs = append(errs, fmt.Errorf("http.tokens[%d]: want \"NAME:ROLE:SHA256-HEX\"", i))
			continue
		}
		out.Tokens = append(out.Tokens, httpd.Token{Name: name, Role: httpd.Role(role), SHA256: digest})
	}
	for i, a := range c.HTTP.AllowList {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			if addr, aerr := netip.ParseAddr(a); aerr == nil {
				p, err = addr.Prefix(addr.BitLen())
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("http.allow[%d] %q: want an address prefix such as 10.0.0.0/8", i, a))
			continue
		}
		out.AllowList = append(out.AllowList, p)
	}
	for i, h := range c.HTTP.AllowedHosts {
		if h == "*" {
			continue
		}
		_, ipErr := netip.ParseAddr(strings.Trim(h, "[]"))
		if h == "" || strings.ContainsAny(h, "/@ \t") || strings.Contains(h, ":") && ipErr != nil {
			errs = append(errs, fmt.Errorf("http.hosts[%d] %q: want a host name or address without scheme or port, such as \"ptp.example.net\", or \"*\"", i, h))
		}
	}
	if len(errs) == 0 {
		// The server checks roles, hash formats and the listen address
		// against the credentials; report its verdict as a config error.
		check := out
		check.TLS.SelfSignedDir = "" // checking must not write a certificate
		checks := []httpd.Config{check}
		if check.TLS.Enabled && check.TLS.CertFile == "" {
			// Nor spend time generating one: check the plain address, if
			// served, and the HTTPS address's need for credentials as if
			// it served plain HTTP.
			plain := check
			plain.TLS = httpd.TLSConfig{}
			tlsAsPlain := plain
			tlsAsPlain.DisableHTTP, tlsAsPlain.Listen = false, c.HTTP.HTTPSListen
			checks = []httpd.Config{tlsAsPlain}
			if !plain.DisableHTTP {
				checks = append(checks, plain)
			}
		}
		for _, ch := range checks {
			if _, err := httpd.New(ch, nopBackend{}, nil); err != nil {
				errs = append(errs, fmt.Errorf("http: %w", err))
				break
			}
		}
	}
	return out, errors.Join(errs...)
}

// splitCredential splits "NAME:ROLE:SECRET"; a bcrypt hash contains no
// colon, so the secret is the rest of the string.
func splitCredential(s string) (name, role, secret string, ok bool) {
	name, rest, ok1 := strings.Cut(s, ":")
	role, secret, ok2 := strings.Cut(rest, ":")
	return name, role, secret, ok1 && ok2 && name != "" && secret != ""
}
