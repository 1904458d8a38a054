package notify

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the [notify] section of the configuration file: the outbox's
// bounds and the channels, each an array of tables
// ([[notify.webhook]], [[notify.syslog]], [[notify.smtp]],
// [[notify.snmp]]).
type Config struct {
	MaxQueue        int    `toml:"max_queue" json:"maxQueue"`
	MaxAgeHours     int    `toml:"max_age_hours" json:"maxAgeHours"`
	MaxBackoffSecs  int    `toml:"max_backoff_seconds" json:"maxBackoffSeconds"`
	UIURL           string `toml:"ui_url" json:"uiURL,omitempty"`
	HeartbeatMinute int    `toml:"heartbeat_minutes" json:"heartbeatMinutes,omitempty"`

	Webhook []WebhookConfig `toml:"webhook" json:"webhook,omitempty"`
	Syslog  []SyslogConfig  `toml:"syslog" json:"syslog,omitempty"`
	SMTP    []SMTPConfig    `toml:"smtp" json:"smtp,omitempty"`
	SNMP    []SNMPConfig    `toml:"snmp" json:"snmp,omitempty"`

	// Agent is [notify.agent]: an SNMP agent serving the active-alarm
	// table (off unless listen is set).
	Agent AgentConfig `toml:"agent" json:"agent"`
}

// DefaultConfig is the [notify] section with no channel.
func DefaultConfig() Config { return Config{MaxQueue: 100_000, MaxAgeHours: 168, MaxBackoffSecs: 300} }

// ChannelConfig holds the keys every channel table has.
type ChannelConfig struct {
	Name string `toml:"name" json:"name"` // default: kind-N (webhook-1, ...)
	Filter
	RatePerMinute int `toml:"rate_per_minute" json:"ratePerMinute"`
	Burst         int `toml:"burst" json:"burst,omitempty"`
	DigestAfter   int `toml:"digest_after" json:"digestAfter"`
	DigestMax     int `toml:"digest_max" json:"digestMax,omitempty"`
	DedupSeconds  int `toml:"dedup_seconds" json:"dedupSeconds"`
}

func (c *ChannelConfig) options(kind string, i int) ChannelOptions {
	name := c.Name
	if name == "" {
		name = fmt.Sprintf("%s-%d", kind, i+1)
	}
	return ChannelOptions{Name: name, Filter: c.Filter, RatePerMinute: c.RatePerMinute, Burst: c.Burst,
		DigestAfter: c.DigestAfter, DigestMax: c.DigestMax, Dedup: time.Duration(c.DedupSeconds) * time.Second}
}

func (c *ChannelConfig) check() error {
	if strings.ContainsAny(c.Name, "\x00/") {
		return fmt.Errorf("name %q: must not hold '/' or NUL", c.Name)
	}
	if c.RatePerMinute < 0 || c.Burst < 0 || c.DigestAfter < 0 || c.DigestMax < 0 || c.DedupSeconds < 0 {
		return errors.New("rate_per_minute, burst, digest_after, digest_max and dedup_seconds must not be negative")
	}
	return c.Filter.Check()
}

// Check reports every problem of c, each naming its table and key.
func (c *Config) Check() error {
	var errs []error
	if c.MaxQueue < 1 {
		errs = append(errs, fmt.Errorf("notify.max_queue %d: want at least 1", c.MaxQueue))
	}
	if c.MaxAgeHours < 1 {
		errs = append(errs, fmt.Errorf("notify.max_age_hours %d: want at least 1", c.MaxAgeHours))
	}
	if c.MaxBackoffSecs < 1 {
		errs = append(errs, fmt.Errorf("notify.max_backoff_seconds %d: want at least 1", c.MaxBackoffSecs))
	}
	if c.HeartbeatMinute < 0 {
		errs = append(errs, fmt.Errorf("notify.heartbeat_minutes %d: must not be negative", c.HeartbeatMinute))
	}
	if err := c.Agent.Check(); err != nil {
		errs = append(errs, err)
	}
	names := map[string]bool{}
	add := func(kind string, i int, cc *ChannelConfig, err error) {
		where := fmt.Sprintf("notify.%s[%d]", kind, i)
		if cc.Name != "" {
			where += " (" + cc.Name + ")"
		}
		if err == nil {
			err = cc.check()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
		name := cc.options(kind, i).Name
		if names[name] {
			errs = append(errs, fmt.Errorf("%s: a second channel named %q", where, name))
		}
		names[name] = true
	}
	for i := range c.Webhook {
		add("webhook", i, &c.Webhook[i].ChannelConfig, c.Webhook[i].Check())
	}
	for i := range c.Syslog {
		add("syslog", i, &c.Syslog[i].ChannelConfig, c.Syslog[i].Check())
	}
	for i := range c.SMTP {
		add("smtp", i, &c.SMTP[i].ChannelConfig, c.SMTP[i].Check())
	}
	for i := range c.SNMP {
		add("snmp", i, &c.SNMP[i].ChannelConfig, c.SNMP[i].Check())
	}
	return errors.Join(errs...)
}

// Options turns the section's bounds into Notifier options (the caller
// adds the logger, hostname and Raise).
func (c *Config) Options() Options {
	return Options{MaxQueue: c.MaxQueue, MaxAge: time.Duration(c.MaxAgeHours) * time.Hour,
		MaxBackoff: time.Duration(c.MaxBackoffSecs) * time.Second, UIURL: c.UIURL, Heartbeat: time.Duration(c.HeartbeatMinute) * time.Minute,
		Agent: c.Agent}
}

// Channel is a configured channel ready to add to a Notifier.
type Channel struct {
	Options ChannelOptions
	Sender  Sender
	// fingerprint is the channel's configuration table printed (secrets
	// included; never shown or logged), which Apply compares; "" (a
	// Channel made by hand) counts as changed.
	fingerprint string
}

// Channels builds a sender for every configured channel. c must have
// passed Check.
func (c *Config) Channels() ([]Channel, error) {
	var out []Channel
	var errs []error
	for i := range c.Webhook {
		s, err := NewWebhook(c.Webhook[i])
		out, errs = appendChannel(out, errs, c.Webhook[i].options("webhook", i), s, err, c.Webhook[i])
	}
	for i := range c.Syslog {
		s, err := NewSyslog(c.Syslog[i])
		out, errs = appendChannel(out, errs, c.Syslog[i].options("syslog", i), s, err, c.Syslog[i])
	}
	for i := range c.SMTP {
		s, err := NewSMTP(c.SMTP[i])
		out, errs = appendChannel(out, errs, c.SMTP[i].options("smtp", i), s, err, c.SMTP[i])
	}
	for i := range c.SNMP {
		s, err := NewSNMP(c.SNMP[i])
		out, errs = appendChannel(out, errs, c.SNMP[i].options("snmp", i), s, err, c.SNMP[i])
	}
	return out, errors.Join(errs...)
}

func appendChannel[S Sender](out []Channel, errs []error, o ChannelOptions, s S, err error, table any) ([]Channel, []error) {
	if err != nil {
		return out, append(errs, fmt.Errorf("notify channel %s: %w", o.Name, err))
	}
	// Every field, secrets included (json leaves them out): the tables
	// hold no pointers, so equal tables print alike.
	fp := fmt.Sprintf("%s %#v", s.Kind(), table)
	return append(out, Channel{o, s, fp}), errs
}

// checkHostPort checks "host:port" (the port may be left out when a
// scheme gives it): a port from 1 to 65535 and a host that is an
// address or resolves.
func checkHostPort(hostport, scheme string) error {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		if scheme == "" {
			return fmt.Errorf("want host:port: %v", err)
		}
		host, port = strings.Trim(hostport, "[]"), ""
	}
	if port != "" {
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("bad port %q: want 1 to 65535", port)
		}
	}
	if host == "" {
		return errors.New("no host")
	}
	if net.ParseIP(host) != nil {
		return nil
	}
	if h := strings.TrimSuffix(strings.ToLower(host), "."); h == "invalid" || strings.HasSuffix(h, ".invalid") {
		// RFC 6761: names under .invalid never resolve; no need to ask.
		return fmt.Errorf("unknown host %q: names under .invalid never resolve", host)
	}
	if _, err := net.LookupHost(host); err != nil {
		return fmt.Errorf("unknown host %q: %v", host, err)
	}
	return nil
}

// loadCAs reads a PEM file of CA certificates.
func loadCAs(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("ca_file %s: no PEM certificate in it", file)
	}
	return pool, nil
}
