package notify

import (
	"context"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/ptpwatch/ptpwatch/state"
)

// MIB is PTPWATCH-MIB, the SMIv2 module defining our notifications, the
// objects they carry and the table of active alarms.
//
//go:embed PTPWATCH-MIB.txt
var MIB string

// MIBOID is ptpwatchMIB: enterprises.EnterpriseNumber.1588.
var MIBOID = "1.3.6.1.4.1." + strconv.Itoa(EnterpriseNumber) + ".1588"

// The varbinds every notification carries (ptpwatchNotifyVars), under
// MIBOID.1.1.
const (
	varAlarmID   = 1
	varSequence  = 2
	varSeverity  = 3
	varEventType = 4
	varScope     = 5
	varSubject   = 6
	varOldValue  = 7
	varNewValue  = 8
	varText      = 9
	varID        = 10
	varCount     = 11
)

// SNMPNotification names a notification of the MIB: its name and the
// last arc of its OID (under MIBOID.0).
type SNMPNotification struct {
	Name string
	Arc  int
}

// snmpNotifications maps event types to notifications. The arcs are
// fixed forever (a manager's configuration depends on them): a new event
// type takes a new arc, added here and to PTPWATCH-MIB.txt together.
var snmpNotifications = map[state.EventType]SNMPNotification{
	state.CaptureStarted:            {"ptpwatchCaptureStarted", 1},
	state.CaptureStopped:            {"ptpwatchCaptureStopped", 2},
	state.ScopeDetected:             {"ptpwatchScopeDetected", 3},
	state.DeviceDetected:            {"ptpwatchDeviceDetected", 4},
	state.PortDetected:              {"ptpwatchPortDetected", 5},
	state.InstanceDetected:          {"ptpwatchInstanceDetected", 6},
	state.PortStateChanged:          {"ptpwatchPortStateChanged", 7},
	state.LocalQualityChanged:       {"ptpwatchLocalQualityChanged", 8},
	state.GrandmasterQualityChanged: {"ptpwatchGrandmasterQualityChanged", 9},
	state.GrandmasterChanged:        {"ptpwatchGrandmasterChanged", 10},
	state.MasterSilent:              {"ptpwatchMasterSilent", 11},
	state.MasterResumed:             {"ptpwatchMasterResumed", 12},
	state.SequenceGap:               {"ptpwatchSequenceGap", 13},
	state.DuplicateIdentity:         {"ptpwatchDuplicateClockIdentity", 14},
	state.InterfaceDown:             {"ptpwatchInterfaceDown", 15},
	state.InterfaceUp:               {"ptpwatchInterfaceUp", 16},
	state.CaptureTrouble:            {"ptpwatchCaptureTrouble", 17},
	state.WebServerFailed:           {"ptpwatchWebServerFailed", 18},
	state.WebServerRestarted:        {"ptpwatchWebServerRestarted", 19},
	state.CustomAlarmTriggered:      {"ptpwatchCustomAlarmTriggered", 20},
	state.CustomAlarmCleared:        {"ptpwatchCustomAlarmCleared", 21},
	state.NotificationsLost:         {"ptpwatchNotificationsLost", 22},
}

// Notifications beside the event types.
var (
	SNMPOtherEvent = SNMPNotification{"ptpwatchOtherEvent", 49} // an event type newer than this table
	SNMPDigest     = SNMPNotification{"ptpwatchDigest", 50}
	SNMPHeartbeat  = SNMPNotification{"ptpwatchHeartbeat", 51}
	SNMPTest       = SNMPNotification{"ptpwatchTest", 52}
)

// SNMPNotificationOf returns the notification a message is sent as.
func SNMPNotificationOf(m *Message) SNMPNotification {
	switch m.Kind {
	case KindTest:
		return SNMPTest
	case KindHeartbeat:
		return SNMPHeartbeat
	}
	if n, ok := snmpNotifications[m.Event.Type]; ok {
		return n
	}
	return SNMPOtherEvent
}

// SNMPNotifications lists every notification of the MIB (for tests and
// documentation).
func SNMPNotifications() []SNMPNotification {
	out := []SNMPNotification{SNMPOtherEvent, SNMPDigest, SNMPHeartbeat, SNMPTest}
	for _, n := range snmpNotifications {
		out = append(out, n)
	}
	return out
}

// SNMPConfig is one [[notify.snmp]] table.
type SNMPConfig struct {
	ChannelConfig
	Target    string `toml:"target" json:"target"`                        // host:port (port 162 when left out)
	Version   string `toml:"version" json:"version"`                      // "2c" or "3"
	Inform    bool   `toml:"inform" json:"inform"`                        // send INFORMs (acknowledged, retried) instead of traps
	Community string `toml:"community" json:"-"`                          // v2c
	Retries   int    `toml:"retries" json:"retries"`                      // INFORM retransmissions within one send; default 3
	Timeout   int    `toml:"timeout_ms" json:"timeoutMs"`                 // INFORM wait per try; default 2000
	User      string `toml:"user" json:"user,omitempty"`                  // v3 USM user
	AuthProto string `toml:"auth_protocol" json:"authProtocol,omitempty"` // SHA (default), SHA224, SHA256, SHA384, SHA512, MD5
	AuthKey   string `toml:"auth_password" json:"-"`
	PrivProto string `toml:"priv_protocol" json:"privProtocol,omitempty"` // AES (default), AES192, AES256, AES192C, AES256C, DES
	PrivKey   string `toml:"priv_password" json:"-"`
	// EngineID is our SNMP engine ID in hex, the one receivers name in
	// their user entries for v3 traps (we are authoritative for traps;
	// the receiver is for INFORMs). Default: 80007ED904 followed by
	// "ptpwatch" in hex (RFC 3411 text format under our enterprise).
	EngineID string `toml:"engine_id" json:"engineId,omitempty"`
}

var authProtos = map[string]gosnmp.SnmpV3AuthProtocol{"": gosnmp.SHA, "MD5": gosnmp.MD5, "SHA": gosnmp.SHA, "SHA224": gosnmp.SHA224,
	"SHA256": gosnmp.SHA256, "SHA384": gosnmp.SHA384, "SHA512": gosnmp.SHA512}
var privProtos = map[string]gosnmp.SnmpV3PrivProtocol{"": gosnmp.AES, "DES": gosnmp.DES, "AES": gosnmp.AES, "AES192": gosnmp.AES192,
	"AES256": gosnmp.AES256, "AES192C": gosnmp.AES192C, "AES256C": gosnmp.AES256C}

// DefaultEngineID is the engine ID used when none is configured.
func DefaultEngineID() string {
	return fmt.Sprintf("%08x04", 0x80000000|EnterpriseNumber) + hex.EncodeToString([]byte("ptpwatch"))
}

func (c *SNMPConfig) hostport() string {
	if _, _, err := net.SplitHostPort(c.Target); err != nil {
		return net.JoinHostPort(strings.Trim(c.Target, "[]"), "162")
	}
	return c.Target
}

// Check reports what is wrong with c.
func (c *SNMPConfig) Check() error {
	if c.Target == "" {
		return errors.New("target: missing (host:port)")
	}
	if err := checkHostPort(c.hostport(), ""); err != nil {
		return fmt.Errorf("target %q: %w", c.Target, err)
	}
	if c.Retries < 0 || c.Timeout < 0 {
		return errors.New("retries and timeout_ms must not be negative")
	}
	switch c.Version {
	case "2c", "":
		if c.Version == "" {
			return errors.New("version: missing, want \"2c\" or \"3\"")
		}
		if c.Community == "" {
			return errors.New("community: missing for version 2c")
		}
	case "3":
		if c.User == "" {
			return errors.New("user: missing for version 3")
		}
		if _, ok := authProtos[strings.ToUpper(c.AuthProto)]; !ok {
			return fmt.Errorf("auth_protocol %q: want MD5, SHA, SHA224, SHA256, SHA384 or SHA512", c.AuthProto)
		}
		if _, ok := privProtos[strings.ToUpper(c.PrivProto)]; !ok {
			return fmt.Errorf("priv_protocol %q: want DES, AES, AES192, AES256, AES192C or AES256C", c.PrivProto)
		}
		if len(c.AuthKey) < 8 || len(c.PrivKey) < 8 {
			return errors.New("auth_password and priv_password: missing or shorter than 8 characters (authPriv needs both)")
		}
		if c.EngineID != "" {
			b, err := hex.DecodeString(strings.TrimPrefix(c.EngineID, "0x"))
			if err != nil || len(b) < 5 || len(b) > 32 {
				return fmt.Errorf("engine_id %q: want 5 to 32 bytes in hex", c.EngineID)
			}
		}
	default:
		return fmt.Errorf("version %q: want \"2c\" or \"3\"", c.Version)
	}
	return nil
}

// SNMP sends each notification as a trap or INFORM of PTPWATCH-MIB (a
// digest as one ptpwatchDigest carrying the count and a summary).
// INFORMs are acknowledged, so they are delivered exactly once as far as
// the protocol can tell; traps at most once.
type SNMP struct {
	cfg   SNMPConfig
	start time.Time
	mu    sync.Mutex
	g     *gosnmp.GoSNMP
}

// NewSNMP returns an SNMP sender for c (checked).
func NewSNMP(c SNMPConfig) (*SNMP, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	if c.Retries == 0 {
		c.Retries = 3
	}
	if c.Timeout == 0 {
		c.Timeout = 2000
	}
	return &SNMP{cfg: c, start: time.Now()}, nil
}

// Kind implements Sender.
func (s *SNMP) Kind() string { return "snmp" }

// Target implements Sender.
func (s *SNMP) Target() string {
	what := "trap"
	if s.cfg.Inform {
		what = "inform"
	}
	return fmt.Sprintf("snmp v%s %s to %s", s.cfg.Version, what, s.cfg.hostport())
}

// Reliable implements Sender: INFORMs are acknowledged, traps are not.
func (s *SNMP) Reliable() bool { return s.cfg.Inform }

// Close implements Sender.
func (s *SNMP) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.g != nil && s.g.Conn != nil {
		err := s.g.Conn.Close()
		s.g = nil
		return err
	}
	return nil
}

func (s *SNMP) client() (*gosnmp.GoSNMP, error) {
	if s.g != nil {
		return s.g, nil
	}
	host, portS, _ := net.SplitHostPort(s.cfg.hostport())
	port, _ := strconv.Atoi(portS)
	g := &gosnmp.GoSNMP{Target: host, Port: uint16(port), Transport: "udp", Timeout: time.Duration(s.cfg.Timeout) * time.Millisecond,
		Retries: s.cfg.Retries, MaxOids: gosnmp.MaxOids}
	if s.cfg.Version == "3" {
		g.Version = gosnmp.Version3
		g.SecurityModel = gosnmp.UserSecurityModel
		g.MsgFlags = gosnmp.AuthPriv
		eid := s.cfg.EngineID
		if eid == "" {
			eid = DefaultEngineID()
		}
		raw, _ := hex.DecodeString(strings.TrimPrefix(eid, "0x"))
		usm := &gosnmp.UsmSecurityParameters{UserName: s.cfg.User,
			AuthenticationProtocol: authProtos[strings.ToUpper(s.cfg.AuthProto)], AuthenticationPassphrase: s.cfg.AuthKey,
			PrivacyProtocol: privProtos[strings.ToUpper(s.cfg.PrivProto)], PrivacyPassphrase: s.cfg.PrivKey}
		if !s.cfg.Inform {
			// For a trap we are the authoritative engine.
			usm.AuthoritativeEngineID = string(raw)
			usm.AuthoritativeEngineBoots = 1
			usm.AuthoritativeEngineTime = uint32(time.Since(s.start).Seconds())
		}
		g.SecurityParameters = usm
	} else {
		g.Version = gosnmp.Version2c
		g.Community = s.cfg.Community
	}
	if err := g.Connect(); err != nil {
		return nil, err
	}
	s.g = g
	return g, nil
}

// Varbinds returns the variables of m's notification: sysUpTime.0 (the
// sender's uptime) and snmpTrapOID.0 first, then ptpwatchNotifyVars.
func Varbinds(d *Delivery, m *Message, uptime time.Duration) []gosnmp.SnmpPDU {
	n := SNMPNotificationOf(m)
	if d.Digest {
		n = SNMPDigest
	}
	v := func(arc int) string { return MIBOID + ".1.1." + strconv.Itoa(arc) + ".0" }
	str := func(arc int, s string) gosnmp.SnmpPDU {
		if len(s) > 255 {
			s = s[:255]
		}
		return gosnmp.SnmpPDU{Name: v(arc), Type: gosnmp.OctetString, Value: s}
	}
	e := &m.Event
	out := []gosnmp.SnmpPDU{
		{Name: "1.3.6.1.2.1.1.3.0", Type: gosnmp.TimeTicks, Value: uint32(uptime / (10 * time.Millisecond))}, // sysUpTime.0
		{Name: "1.3.6.1.6.3.1.1.4.1.0", Type: gosnmp.ObjectIdentifier, Value: MIBOID + ".0." + strconv.Itoa(n.Arc)},
		{Name: v(varAlarmID), Type: gosnmp.Gauge32, Value: AlarmID(e)},
		{Name: v(varSequence), Type: gosnmp.Gauge32, Value: uint32(m.Seq)},
		{Name: v(varSeverity), Type: gosnmp.Integer, Value: int(PerceivedSeverity(e))},
		str(varEventType, string(e.Type)),
		str(varScope, e.Scope),
		str(varSubject, e.Subject),
		str(varOldValue, e.Before),
		str(varNewValue, e.After),
	}
	text := e.Detail
	if d.Digest {
		text = d.Title()
	}
	out = append(out, str(varText, text), str(varID, m.ID))
	if d.Digest {
		out = append(out, gosnmp.SnmpPDU{Name: v(varCount), Type: gosnmp.Gauge32, Value: uint32(len(d.Messages))})
	}
	return out
}

// Send implements Sender.
func (s *SNMP) Send(ctx context.Context, d *Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.client()
	if err != nil {
		return fmt.Errorf("snmp %s: %w", s.cfg.hostport(), err)
	}
	g.Context = ctx
	msgs := d.Messages
	if d.Digest {
		msgs = msgs[:1]
	}
	for _, m := range msgs {
		if usm, ok := g.SecurityParameters.(*gosnmp.UsmSecurityParameters); ok && !s.cfg.Inform {
			usm.AuthoritativeEngineTime = uint32(time.Since(s.start).Seconds())
		}
		if _, err := g.SendTrap(gosnmp.SnmpTrap{Variables: Varbinds(d, m, time.Since(s.start)), IsInform: s.cfg.Inform}); err != nil {
			// A fresh client next time (a new socket, a new discovery).
			_ = g.Conn.Close()
			s.g = nil
			return fmt.Errorf("snmp %s: %w", s.cfg.hostport(), err)
		}
	}
	return nil
}
