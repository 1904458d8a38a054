package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// EnterpriseNumber is the private enterprise number under which our SNMP
// MIB and syslog structured data live: 32473, which IANA reserves for
// documentation and examples (RFC 5612). A deployment with a number of
// its own changes this constant and PTPWATCH-MIB.txt together.
const EnterpriseNumber = 32473

// SDID is the structured-data ID of our syslog messages.
var SDID = "ptpwatch@" + strconv.Itoa(EnterpriseNumber)

// SyslogConfig is one [[notify.syslog]] table.
type SyslogConfig struct {
	ChannelConfig
	// Address is udp://host:port (RFC 5426), tcp://host:port (RFC 6587
	// octet counting) or tls://host:port (RFC 5425).
	Address            string `toml:"address" json:"address"`
	Facility           string `toml:"facility" json:"facility"` // kern..local7; default local0
	AppName            string `toml:"app_name" json:"appName"`  // default ptpwatch
	CAFile             string `toml:"ca_file" json:"caFile,omitempty"`
	ServerName         string `toml:"server_name" json:"serverName,omitempty"` // TLS name to verify; default the host
	InsecureSkipVerify bool   `toml:"insecure_skip_verify" json:"insecureSkipVerify,omitempty"`
}

var facilities = []string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
	"authpriv", "ftp", "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3",
	"local4", "local5", "local6", "local7"}

func facilityCode(name string) (int, bool) {
	if name == "" {
		return 16, true
	}
	for i, f := range facilities {
		if f == name {
			return i, true
		}
	}
	return 0, false
}

func (c *SyslogConfig) parse() (network, hostport string, err error) {
	u, err := url.Parse(c.Address)
	if err != nil || u.Host == "" {
		return "", "", fmt.Errorf("address %q: want udp://host:port, tcp://host:port or tls://host:port", c.Address)
	}
	switch u.Scheme {
	case "udp", "tcp", "tls":
	default:
		return "", "", fmt.Errorf("address %q: scheme %q: want udp, tcp or tls", c.Address, u.Scheme)
	}
	hostport = u.Host
	if u.Port() == "" {
		port := map[string]string{"udp": "514", "tcp": "601", "tls": "6514"}[u.Scheme]
		hostport = net.JoinHostPort(u.Hostname(), port)
	}
	if err := checkHostPort(hostport, ""); err != nil {
		return "", "", fmt.Errorf("address %q: %w", c.Address, err)
	}
	return u.Scheme, hostport, nil
}

// Check reports what is wrong with c.
func (c *SyslogConfig) Check() error {
	if _, _, err := c.parse(); err != nil {
		return err
	}
	if _, ok := facilityCode(c.Facility); !ok {
		return fmt.Errorf("facility %q: want one of %s", c.Facility, strings.Join(facilities, ", "))
	}
	if strings.ContainsAny(c.AppName, " \t\n") || len(c.AppName) > 48 {
		return fmt.Errorf("app_name %q: want at most 48 characters without spaces", c.AppName)
	}
	if c.CAFile != "" {
		if _, err := loadCAs(c.CAFile); err != nil {
			return err
		}
	}
	return nil
}

// Syslog sends RFC 5424 messages, one per notification (a digest goes as
// its messages, written together), with structured data SDID holding the
// ID, alarm ID, type, severities, scope, subject and values.
type Syslog struct {
	cfg      SyslogConfig
	network  string
	hostport string
	facility int
	tls      *tls.Config

	mu   sync.Mutex
	conn net.Conn
	buf  []byte
}

// NewSyslog returns a syslog sender for c (checked).
func NewSyslog(c SyslogConfig) (*Syslog, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	s := &Syslog{cfg: c}
	s.network, s.hostport, _ = c.parse()
	s.facility, _ = facilityCode(c.Facility)
	if s.cfg.AppName == "" {
		s.cfg.AppName = "ptpwatch"
	}
	if s.network == "tls" {
		host, _, _ := net.SplitHostPort(s.hostport)
		s.tls = &tls.Config{ServerName: host, InsecureSkipVerify: c.InsecureSkipVerify, MinVersion: tls.VersionTLS12} //nolint:gosec // the user's choice
		if c.ServerName != "" {
			s.tls.ServerName = c.ServerName
		}
		if c.CAFile != "" {
			s.tls.RootCAs, _ = loadCAs(c.CAFile)
		}
	}
	return s, nil
}

// Kind implements Sender.
func (s *Syslog) Kind() string { return "syslog" }

// Target implements Sender.
func (s *Syslog) Target() string { return s.network + "://" + s.hostport }

// Reliable implements Sender: TCP and TLS are, UDP is not.
func (s *Syslog) Reliable() bool { return s.network != "udp" }

// Close implements Sender.
func (s *Syslog) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		err := s.conn.Close()
		s.conn = nil
		return err
	}
	return nil
}

// syslogSeverity maps an event to an RFC 5424 severity.
func syslogSeverity(m *Message) int {
	if IsClear(m.Event.Type) {
		return 5 // notice
	}
	switch m.Event.Severity.String() {
	case "critical":
		return 2
	case "warning":
		return 4
	case "notice":
		return 5
	}
	return 6
}

// AppendSyslog appends the RFC 5424 message for m to b.
func (s *Syslog) AppendSyslog(b []byte, m *Message, host string) []byte {
	e := &m.Event
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(s.facility*8+syslogSeverity(m)), 10)
	b = append(b, ">1 "...)
	b = time.Unix(0, e.Time).UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	b = append(b, ' ')
	b = appendHeaderField(b, host, 255)
	b = append(b, ' ')
	b = appendHeaderField(b, s.cfg.AppName, 48)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(os.Getpid()), 10)
	b = append(b, ' ')
	msgid := strings.ReplaceAll(string(e.Type), " ", "")
	if m.Kind == KindTest {
		msgid = "Test"
	}
	b = appendHeaderField(b, msgid, 32)
	b = append(b, " ["...)
	b = append(b, SDID...)
	param := func(name, v string) {
		if v == "" {
			return
		}
		b = append(b, ' ')
		b = append(b, name...)
		b = append(b, `="`...)
		for _, r := range v {
			if r == '"' || r == '\\' || r == ']' {
				b = append(b, '\\')
			}
			b = append(b, string(r)...)
		}
		b = append(b, '"')
	}
	param("id", m.ID)
	param("alarmId", strconv.FormatUint(uint64(AlarmID(e)), 10))
	param("type", string(e.Type))
	param("severity", e.Severity.String())
	param("x733", PerceivedSeverity(e).String())
	param("scope", e.Scope)
	param("subject", e.Subject)
	param("before", e.Before)
	param("after", e.After)
	if e.Seq != 0 {
		param("eventSeq", strconv.FormatUint(e.Seq, 10))
	}
	b = append(b, "] \xef\xbb\xbf"...) // BOM: the MSG is UTF-8
	text := m.line()
	if e.Detail != "" {
		text += " — " + e.Detail
	}
	return append(b, strings.ReplaceAll(text, "\n", " ")...)
}

// appendHeaderField appends v as an RFC 5424 header field: printable
// US-ASCII, at most n characters, "-" when empty.
func appendHeaderField(b []byte, v string, n int) []byte {
	if v == "" {
		return append(b, '-')
	}
	k := 0
	for i := 0; i < len(v) && k < n; i++ {
		c := v[i]
		if c < 33 || c > 126 {
			c = '_'
		}
		b = append(b, c)
		k++
	}
	return b
}

// Send implements Sender.
func (s *Syslog) Send(ctx context.Context, d *Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.network == "udp" {
		if s.conn == nil {
			c, err := (&net.Dialer{}).DialContext(ctx, "udp", s.hostport)
			if err != nil {
				return fmt.Errorf("syslog %s: %w", s.Target(), err)
			}
			s.conn = c
		}
		for _, m := range d.Messages {
			s.buf = s.AppendSyslog(s.buf[:0], m, d.Hostname)
			if _, err := s.conn.Write(s.buf); err != nil {
				s.conn.Close()
				s.conn = nil
				return fmt.Errorf("syslog %s: %w", s.Target(), err)
			}
		}
		return nil
	}
	// TCP and TLS: octet counting, every message of the delivery in one
	// write.
	s.buf = s.buf[:0]
	for _, m := range d.Messages {
		start := len(s.buf)
		s.buf = s.AppendSyslog(s.buf, m, d.Hostname)
		msg := append([]byte(nil), s.buf[start:]...)
		s.buf = strconv.AppendInt(s.buf[:start], int64(len(msg)), 10)
		s.buf = append(append(s.buf, ' '), msg...)
	}
	for attempt := 0; attempt < 2; attempt++ {
		if s.conn != nil && !alive(s.conn) {
			s.conn.Close()
			s.conn = nil
		}
		if s.conn == nil {
			if err := s.dial(ctx); err != nil {
				return err
			}
		}
		if dl, ok := ctx.Deadline(); ok {
			_ = s.conn.SetWriteDeadline(dl)
		}
		_, err := s.conn.Write(s.buf)
		if err == nil {
			return nil
		}
		s.conn.Close()
		s.conn = nil
		if attempt == 1 || ctx.Err() != nil {
			return fmt.Errorf("syslog %s: %w", s.Target(), err)
		}
	}
	return nil
}

func (s *Syslog) dial(ctx context.Context) error {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	var (
		c   net.Conn
		err error
	)
	if s.network == "tls" {
		c, err = (&tls.Dialer{NetDialer: d, Config: s.tls}).DialContext(ctx, "tcp", s.hostport)
	} else {
		c, err = d.DialContext(ctx, "tcp", s.hostport)
	}
	if err != nil {
		return fmt.Errorf("syslog %s: %w", s.Target(), err)
	}
	s.conn = c
	return nil
}

// alive reports whether the receiver has not closed c: a syslog receiver
// never writes, so a read that does not time out at once means EOF or an
// error. It keeps a restarted receiver from swallowing a write into a
// connection it no longer reads.
func alive(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
	var one [1]byte
	_, err := c.Read(one[:])
	_ = c.SetReadDeadline(time.Time{})
	var ne net.Error
	return err != nil && errors.As(err, &ne) && ne.Timeout()
}
