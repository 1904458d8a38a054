package config

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
	"github.com/ptpwatch/ptpwatch/state/alarm"
	"github.com/ptpwatch/ptpwatch/state/fault"
	"github.com/ptpwatch/ptpwatch/state/manage"
	"github.com/ptpwatch/ptpwatch/state/notify"
	"github.com/ptpwatch/ptpwatch/xdp/capture"
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
	Fault   fault.Config  `toml:"fault"`
	Log     LogConfig     `toml:"log"`
	// Management is the [management] section, documented in state/manage.
	Management  manage.Settings       `toml:"management"`
	MasterCheck manage.MasterSettings `toml:"master_check"`
	Notify      notify.Config         `toml:"notify"`
	Alarms      []alarm.Definition    `toml:"alarm"`
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
	Priority    int      `toml:"priority"`
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

// ImageLimits are the device image limits of the [storage] section.
func (c *Config) ImageLimits() httpd.ImageLimits {
	return httpd.ImageLimits{MaxCount: c.Storage.ImagesMax, MaxTotal: c.Storage.ImagesMaxBytes, MaxBytes: c.Storage.ImageMaxBytes}
}

// UISettings are the UI's shared settings as the [model] section words
// them, in the API's spelling of the state terms.
func (c *Config) UISettings() httpd.Settings {
	terms := StateTerms(c.Model.StateTerms)
	if terms == "custom" {
		return httpd.Settings{StateTerms: terms, MasterTerm: c.Model.MasterTerm, SlaveTerm: c.Model.SlaveTerm}
	}
	return httpd.Settings{StateTerms: terms}
}

// StateTerms returns the API's spelling of a model.state_terms value
// (master-slave, leader-follower, transmitter-receiver or custom), which
// the file uses too; the older master/slave and leader/follower are
// accepted as the same. Any other value is returned as it is.
func StateTerms(v string) string {
	return strings.ReplaceAll(v, "/", "-")
}

// LogConfig is the [log] section.
type LogConfig struct {
	Level        string `toml:"level"`
	Format       string `toml:"format"`
	StatsSeconds int    `toml:"stats_interval"`
}

// Default returns the configuration used when no file is given.
func Default() Config {
	return Config{
		Capture: CaptureConfig{Interfaces: []string{}, Method: "auto", BufferBytes: 256 << 20, Priority: capture.DefaultPriority},
		Demo:    DemoConfig{Speed: 1, Incidents: true, Seed: 1},
		Model:   ModelConfig{Shards: 1, EventLogSize: 100_000, StateTerms: "master-slave", MasterTerm: "Master", SlaveTerm: "Slave"},
		HTTP: HTTPConfig{Enabled: true, Listen: "127.0.0.1:8319", HTTPSListen: "127.0.0.1:8443", CertHosts: []string{}, Users: []string{}, Tokens: []string{}, AllowList: []string{}, AllowedHosts: []string{}, MaxRequestBytes: 1 << 20,
			MaxConnsPerClient: httpd.DefaultMaxConnsPerClient, HeaderTimeout: int(httpd.DefaultHeaderTimeout / time.Second),
			MaxStreams: httpd.DefaultMaxStreams, MaxStreamsPerClient: httpd.DefaultMaxStreamsPerClient},
		Metrics: MetricsConfig{PerInstance: true},
		Dashcam: DashcamConfig{Enabled: true, Triggers: []string{"Grandmaster Changed", "Port State Changed", "Grandmaster Quality Changed", "Master Silent"},
			Scopes: []string{}, PreSeconds: 30, PostSeconds: 30},
		Fault:      defaultFault(),
		Log:        LogConfig{Level: "info", Format: "text", StatsSeconds: 60},
		Storage:    StorageConfig{ImagesMax: httpd.DefaultMaxImages, ImagesMaxBytes: httpd.DefaultMaxImagesBytes, ImageMaxBytes: httpd.MaxImageBytes},
		Management: manage.Defaults(), MasterCheck: manage.DefaultMasterSettings(),
		Notify:  notify.DefaultConfig(),
		Forward: remote.DefaultForward(), Collector: remote.DefaultCollector(),
	}
}

// The [management], [master_check], [forward] and [collector] keys are
// documented where they are implemented.
func init() {
	for _, s := range remote.Settings {
		settings = append(settings, setting{section: s.Section, key: s.Key, def: s.Default, doc: s.Doc})
	}
	for _, k := range manage.ConfigKeys() {
		settings = append(settings, setting{"management", k.Key, k.Default, k.Key != "port_identity", k.Doc})
	}
	for _, k := range manage.MasterConfigKeys() {
		settings = append(settings, setting{"master_check", k.Key, k.Default, true, k.Doc})
	}
}

// Error is a configuration problem; the appliance exits with code 3 on
// it.
type Error struct {
	File string
	Err  error
}

func (e *Error) Error() string {
	if e.File == "" {
		return "config: " + e.Err.Error()
	}
	return fmt.Sprintf("config %s: %v", e.File, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Load reads and checks a configuration file. Unknown keys are errors,
// so a misspelt setting is never silently ignored.
func Load(path string) (Config, error) {
	cfg := Default()
	if path == "" {
		return cfg, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, &Error{path, err}
	}
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		var sm *toml.StrictMissingError
		if errors.As(err, &sm) {
			return cfg, &Error{path, fmt.Errorf("unknown setting(s):\n%s", sm.String())}
		}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return cfg, &Error{path, fmt.Errorf("line %d column %d: %v", row, col, de)}
		}
		return cfg, &Error{path, err}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, &Error{path, err}
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
	if c.Capture.Priority < 0 || c.Capture.Priority > 99 {
		errs = append(errs, fmt.Errorf("capture.priority %d: want 0 (normal scheduling) or a SCHED_FIFO priority 1-99", c.Capture.Priority))
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
	if err := c.Management.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.MasterCheck.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Model.Shards < 1 || c.Model.Shards > 64 {
		errs = append(errs, fmt.Errorf("model.shards %d: want 1 to 64", c.Model.Shards))
	}
	if c.Model.EventLogSize < 100 {
		errs = append(errs, fmt.Errorf("model.event_log_size %d: want at least 100", c.Model.EventLogSize))
	}
	switch StateTerms(c.Model.StateTerms) {
	case "master-slave", "leader-follower", "transmitter-receiver", "custom":
	default:
		errs = append(errs, fmt.Errorf("model.state_terms %q: want master-slave, leader-follower, transmitter-receiver or custom", c.Model.StateTerms))
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		errs = append(errs, fmt.Errorf("http.listen %q: %v", c.HTTP.Listen, err))
	}
	if _, _, err := net.SplitHostPort(c.HTTP.HTTPSListen); err != nil && c.HTTP.HTTPS {
		errs = append(errs, fmt.Errorf("http.https_listen %q: %v", c.HTTP.HTTPSListen, err))
	}
	if _, err := c.HTTPServer(); err != nil {
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
	if fc := c.FaultConfig(); fc.Validate() != nil {
		err := fc.Validate()
		errs = append(errs, err)
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
	if err := c.Notify.Check(); err != nil {
		errs = append(errs, err)
	}
	names := map[string]bool{}
	for i := range c.Alarms {
		if err := c.Alarms[i].Check(); err != nil {
			errs = append(errs, fmt.Errorf("alarm[%d]: %w", i, err))
		} else if names[c.Alarms[i].Name] {
			errs = append(errs, fmt.Errorf("alarm[%d]: a second alarm named %q", i, c.Alarms[i].Name))
		}
		names[c.Alarms[i].Name] = true
	}
	if c.Demo.Enabled && c.Replay.File != "" {
		errs = append(errs, errors.New("demo.enabled and replay.file both set: choose one frame source"))
	}
	errs = append(errs, c.Forward.Check(), c.Collector.Check())
	return errors.Join(errs...)
}

// HTTPServer turns the [http] section into the server's
// configuration, checking each credential and prefix.
func (c *Config) HTTPServer() (httpd.Config, error) {
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
			if _, err := httpd.New(ch, checkBackend{}, nil); err != nil {
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
