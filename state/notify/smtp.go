package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// SMTPConfig is one [[notify.smtp]] table.
type SMTPConfig struct {
	ChannelConfig
	Server string   `toml:"server" json:"server"` // host:port
	From   string   `toml:"from" json:"from"`
	To     []string `toml:"to" json:"to"`
	// TLS: "starttls" (default: the server must offer STARTTLS), "tls"
	// (implicit TLS, as on port 465) or "none" (plain; only with no
	// password).
	TLS                string `toml:"tls" json:"tls"`
	Username           string `toml:"username" json:"username,omitempty"`
	Password           string `toml:"password" json:"-"`
	Auth               string `toml:"auth" json:"auth,omitempty"` // plain, login, cram-md5, scram-sha-256, ...; default: what the server offers
	CAFile             string `toml:"ca_file" json:"caFile,omitempty"`
	InsecureSkipVerify bool   `toml:"insecure_skip_verify" json:"insecureSkipVerify,omitempty"`
}

// Check reports what is wrong with c.
func (c *SMTPConfig) Check() error {
	if err := checkHostPort(c.Server, ""); err != nil {
		return fmt.Errorf("server %q: %w", c.Server, err)
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("from %q: %v", c.From, err)
	}
	if len(c.To) == 0 {
		return errors.New("to: no recipient")
	}
	for _, t := range c.To {
		if _, err := mail.ParseAddress(t); err != nil {
			return fmt.Errorf("to %q: %v", t, err)
		}
	}
	switch c.TLS {
	case "", "starttls", "tls":
	case "none":
		if c.Password != "" {
			return errors.New("tls = \"none\" with a password: the password would cross the network in clear; use starttls or tls")
		}
	default:
		return fmt.Errorf("tls %q: want starttls, tls or none", c.TLS)
	}
	if (c.Username == "") != (c.Password == "") {
		return errors.New("username and password: give both or neither (the password is missing?)")
	}
	if c.Auth != "" {
		var a gomail.SMTPAuthType
		if err := a.UnmarshalString(c.Auth); err != nil {
			return fmt.Errorf("auth %q: %v", c.Auth, err)
		}
	}
	if c.CAFile != "" {
		if _, err := loadCAs(c.CAFile); err != nil {
			return err
		}
	}
	return nil
}

// SMTP sends each delivery as one mail: a readable subject and body with
// a link to the event in the UI; a digest as one mail listing its
// entries. The Message-ID is derived from the notification's ID, so a
// repeat can be recognised. A delivery counts once the server has taken
// the mail (250 after DATA).
type SMTP struct {
	cfg  SMTPConfig
	opts []gomail.Option
	host string
}

// NewSMTP returns an e-mail sender for c (checked).
func NewSMTP(c SMTPConfig) (*SMTP, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	host, portS, _ := net.SplitHostPort(c.Server)
	port, _ := strconv.Atoi(portS)
	tc := &tls.Config{ServerName: host, InsecureSkipVerify: c.InsecureSkipVerify, MinVersion: tls.VersionTLS12} //nolint:gosec // the user's choice
	if c.CAFile != "" {
		tc.RootCAs, _ = loadCAs(c.CAFile)
	}
	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTLSConfig(tc), gomail.WithHELO("ptpwatch")}
	switch c.TLS {
	case "tls":
		opts = append(opts, gomail.WithSSL())
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if c.Username != "" {
		auth := gomail.SMTPAuthAutoDiscover
		if c.Auth != "" {
			_ = auth.UnmarshalString(c.Auth)
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(c.Username), gomail.WithPassword(c.Password))
	}
	return &SMTP{cfg: c, opts: opts, host: host}, nil
}

// Kind implements Sender.
func (s *SMTP) Kind() string { return "smtp" }

// Target implements Sender.
func (s *SMTP) Target() string {
	t := "smtp://" + s.cfg.Server
	if s.cfg.TLS == "tls" {
		t = "smtps://" + s.cfg.Server
	}
	return t + " to " + strings.Join(s.cfg.To, ", ")
}

// Reliable implements Sender.
func (s *SMTP) Reliable() bool { return true }

// Close implements Sender.
func (s *SMTP) Close() error { return nil }

// Send implements Sender.
func (s *SMTP) Send(ctx context.Context, d *Delivery) error {
	m := gomail.NewMsg()
	if err := m.From(s.cfg.From); err != nil {
		return fmt.Errorf("smtp: from: %w", err)
	}
	if err := m.To(s.cfg.To...); err != nil {
		return fmt.Errorf("smtp: to: %w", err)
	}
	m.Subject(d.Title())
	m.SetDate()
	domain := d.Hostname
	if domain == "" {
		domain = "ptpwatch"
	}
	m.SetMessageIDWithValue(strings.ReplaceAll(d.Messages[0].ID, "/", ".") + "." + strconv.Itoa(len(d.Messages)) + "@" + domain)
	m.SetGenHeader("X-Ptpwatch-Delivery", d.Messages[0].ID)
	m.SetBodyString(gomail.TypeTextPlain, d.Text())
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", s.cfg.Server, err)
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		return fmt.Errorf("smtp %s: %w", s.cfg.Server, err)
	}
	return nil
}
