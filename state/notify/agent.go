package notify

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/fault"
)

// ActiveAlarm is one row of PTPWATCH-MIB's ptpwatchActiveAlarmTable: a
// condition raised and not yet cleared.
type ActiveAlarm struct {
	ID       uint32 // AlarmID of its raise (and of its clear)
	Type     string // the event type that raised it
	Severity X733
	Scope    string
	Subject  string
	Value    string // the value that raised it (the event's After)
	Text     string
	Since    int64 // ns since 1970
}

// ActiveAlarms follows events and keeps the alarms they raise and have
// not cleared: a raise of a raise/clear pair (Master Silent, Interface
// Down, Web Server Failed, Custom Alarm Triggered) adds one under its
// AlarmID, the matching clear removes it. A fault finding (as
// fault.FindingOf reads its events) is one too, under its opening event's
// AlarmID, until the event closing it (Finding Closed or Recovered). A custom alarm's
// test fire (its detail begins "test by ") raises nothing. It is safe for
// concurrent use.
type ActiveAlarms struct {
	mu       sync.Mutex
	m        map[uint32]ActiveAlarm
	findings map[uint64]uint32 // open fault finding number -> its alarm's ID
}

// NewActiveAlarms returns an empty table.
func NewActiveAlarms() *ActiveAlarms {
	return &ActiveAlarms{m: map[uint32]ActiveAlarm{}, findings: map[uint64]uint32{}}
}

// raises are the types that open an alarm.
var raises = func() map[state.EventType]bool {
	m := map[state.EventType]bool{}
	for _, r := range clearOf {
		m[r] = true
	}
	return m
}()

// Observe takes events in the order they were raised.
func (a *ActiveAlarms) Observe(evs ...state.Event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range evs {
		e := &evs[i]
		if f, ok := fault.FindingOf(e); ok {
			n := f.ID
			if !f.Opens {
				if id, open := a.findings[n]; open {
					delete(a.m, id)
					delete(a.findings, n)
				}
				continue
			}
			if _, open := a.findings[n]; open {
				continue
			}
			id := AlarmID(e)
			a.findings[n] = id
			a.m[id] = ActiveAlarm{ID: id, Type: string(e.Type), Severity: PerceivedSeverity(e), Scope: e.Scope, Subject: e.Subject,
				Value: e.After, Text: e.Detail, Since: e.Time}
			continue
		}
		switch {
		case IsClear(e.Type):
			delete(a.m, AlarmID(e))
		case raises[e.Type] && !strings.HasPrefix(e.Detail, "test by "):
			id := AlarmID(e)
			if _, ok := a.m[id]; ok {
				continue // raised again while active: keep its start
			}
			a.m[id] = ActiveAlarm{ID: id, Type: string(e.Type), Severity: PerceivedSeverity(e), Scope: e.Scope, Subject: e.Subject,
				Value: e.After, Text: e.Detail, Since: e.Time}
		}
	}
}

// List returns the active alarms by ID.
func (a *ActiveAlarms) List() []ActiveAlarm {
	a.mu.Lock()
	out := make([]ActiveAlarm, 0, len(a.m))
	for _, x := range a.m {
		out = append(out, x)
	}
	a.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// AgentConfig is [notify.agent]: a read-only SNMP agent serving the
// active-alarm table.
type AgentConfig struct {
	// Listen is the UDP host:port to answer on ("" for no agent); 161 is
	// the standard port and needs privileges.
	Listen string `toml:"listen" json:"listen,omitempty"`
	// Community is the SNMP v1/v2c community managers must give; "":
	// v1 and v2c are not answered.
	Community string `toml:"community" json:"-"`
	// User is the SNMPv3 USM user managers must be, at authPriv; "": v3
	// is not answered.
	User      string `toml:"user" json:"user,omitempty"`
	AuthProto string `toml:"auth_protocol" json:"authProtocol,omitempty"` // SHA (HMAC-SHA-96, default) or SHA256 (HMAC-SHA-256-192)
	AuthKey   string `toml:"auth_password" json:"-"`                      // at least 8 characters
	PrivProto string `toml:"priv_protocol" json:"privProtocol,omitempty"` // AES (AES-128-CFB, the default and only one)
	PrivKey   string `toml:"priv_password" json:"-"`                      // at least 8 characters
	// EngineID is the agent's SNMP engine ID in hex, which managers
	// discover; default DefaultEngineID's.
	EngineID string `toml:"engine_id" json:"engineId,omitempty"`
}

func (c *AgentConfig) engineID() string {
	if c.EngineID == "" {
		return DefaultEngineID()
	}
	return c.EngineID
}

// Check reports what is wrong with c.
func (c *AgentConfig) Check() error {
	if c.Listen == "" {
		return nil
	}
	if err := checkHostPort(c.Listen, ""); err != nil {
		return fmt.Errorf("notify.agent: listen %q: %w", c.Listen, err)
	}
	if c.Community == "" && c.User == "" {
		return errors.New("notify.agent: community (SNMP v1/v2c) or user (SNMPv3) needed")
	}
	if id, err := hex.DecodeString(c.engineID()); err != nil || len(id) < 5 || len(id) > 32 {
		return fmt.Errorf("notify.agent: engine_id %q: want 5 to 32 bytes in hex", c.EngineID)
	}
	if c.User == "" {
		return nil
	}
	if p := strings.ToUpper(c.AuthProto); p != "" && p != "SHA" && p != "SHA256" {
		return fmt.Errorf("notify.agent: auth_protocol %q: the agent supports SHA and SHA256", c.AuthProto)
	}
	if p := strings.ToUpper(c.PrivProto); p != "" && p != "AES" {
		return fmt.Errorf("notify.agent: priv_protocol %q: the agent supports AES (128)", c.PrivProto)
	}
	if len(c.AuthKey) < 8 || len(c.PrivKey) < 8 {
		return errors.New("notify.agent: auth_password and priv_password: at least 8 characters each (SNMPv3 authPriv)")
	}
	return nil
}

// The table's OIDs: ptpwatchActiveAlarmEntry is MIBOID.1.2.1, its columns
// 2 to 8 (column 1, the index, is not-accessible).
const (
	colType     = 2
	colSeverity = 3
	colScope    = 4
	colSubject  = 5
	colValue    = 6
	colText     = 7
	colSince    = 8
)

// Agent answers SNMP v1, v2c and v3 (USM, authPriv) GET, GETNEXT and
// GETBULK requests for ptpwatchActiveAlarmTable from an ActiveAlarms. It
// is read-only: SET is refused (notWritable). Requests with wrong
// credentials are counted (Stats); a v1/v2c one gets no answer, a v3 one
// the Report RFC 3414 asks for.
type Agent struct {
	cfg       AgentConfig
	conn      net.PacketConn
	community string
	engine    *usmEngine
	alarms    *ActiveAlarms
	log       *slog.Logger
	entry     []uint32 // MIBOID.1.2.1
	done      chan struct{}
}

// StartAgent listens on c.Listen and serves alarms until Close.
func StartAgent(c AgentConfig, alarms *ActiveAlarms, log *slog.Logger) (*Agent, error) {
	return startAgent(c, alarms, log, nil)
}

// startAgent is StartAgent going on from prev's engine (its boots, time
// and counts) when it has the same engine ID.
func startAgent(c AgentConfig, alarms *ActiveAlarms, log *slog.Logger, prev *usmEngine) (*Agent, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	conn, err := net.ListenPacket("udp", c.Listen)
	if err != nil {
		return nil, fmt.Errorf("notify.agent: %w", err)
	}
	engine, err := newUSMEngine(&c)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if prev != nil && bytes.Equal(prev.id, engine.id) {
		engine.boots, engine.start = prev.boots, prev.start
		engine.salt.Store(prev.salt.Load())
		engine.stats = prev.Stats()
	}
	entry, _ := parseOID(MIBOID + ".1.2.1")
	a := &Agent{cfg: c, conn: conn, community: c.Community, engine: engine, alarms: alarms, log: log, entry: entry, done: make(chan struct{})}
	go a.serve()
	return a, nil
}

// Addr is where the agent listens.
func (a *Agent) Addr() net.Addr { return a.conn.LocalAddr() }

// Close stops the agent and returns once it has.
func (a *Agent) Close() error {
	err := a.conn.Close()
	<-a.done
	return err
}

// Serves reports which SNMP versions the agent answers: v1 and v2c when a
// community is set, v3 when a user is.
func (a *Agent) Serves() (v2c, v3 bool) { return a.cfg.Community != "", a.cfg.User != "" }

// Stats counts the requests refused.
func (a *Agent) Stats() AgentStats { return a.engine.Stats() }

func (a *Agent) serve() {
	defer close(a.done)
	buf := make([]byte, 65535)
	for {
		n, from, err := a.conn.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if out := a.handle(buf[:n], from.String()); out != nil {
			_, _ = a.conn.WriteTo(out, from)
		}
	}
}

// handle answers one request; nil: no answer.
func (a *Agent) handle(b []byte, from string) []byte {
	if len(b) > 4 && isV3(b) {
		return a.handleV3(b, from)
	}
	dec := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Logger: gosnmp.NewLogger(nil)}
	req, err := dec.SnmpDecodePacket(b)
	if err != nil || req.Version == gosnmp.Version3 {
		a.engine.count(&a.engine.stats.Unparsable)
		return nil
	}
	if a.community == "" || req.Community != a.community {
		a.engine.count(&a.engine.stats.BadCommunity)
		a.log.Debug("snmp agent: wrong community", "from", from)
		return nil // as agents do: no answer
	}
	return a.reply(req)
}

// reply answers req and encodes the answer; nil: no answer.
func (a *Agent) reply(req *gosnmp.SnmpPacket) []byte {
	resp, ok := a.answer(req)
	if !ok {
		return nil
	}
	out, err := resp.MarshalMsg()
	if err != nil {
		a.log.Warn("snmp agent: cannot encode an answer", "err", err)
		return nil
	}
	return out
}

// isV3 reports whether b begins as an SNMPv3 message (SEQUENCE, INTEGER 3).
func isV3(b []byte) bool {
	_, _, at, _, err := berRead(b, 0)
	if err != nil {
		return false
	}
	tag, c, _, _, err := berRead(b, at)
	return err == nil && tag == 0x02 && len(c) == 1 && c[0] == 3
}

// handleV3 answers an SNMPv3 request through USM; its PDU is decoded and
// the answer's encoded by gosnmp's v2c codec.
func (a *Agent) handleV3(b []byte, from string) []byte {
	m, pdu, report := a.engine.handleV3(b)
	if pdu == nil {
		if report != nil || m != nil {
			a.log.Debug("snmp agent: SNMPv3 request refused", "from", from)
		}
		return report
	}
	// Wrap the PDU as a v2c message for gosnmp to read.
	wrapped := berAppend(nil, 0x30, append(berAppend(berAppendInt(nil, 0x02, 1), 0x04, nil), pdu...))
	dec := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Logger: gosnmp.NewLogger(nil)}
	req, err := dec.SnmpDecodePacket(wrapped)
	if err != nil {
		a.engine.count(&a.engine.stats.Unparsable)
		return nil
	}
	out := a.reply(req)
	if out == nil {
		return nil
	}
	// Take the PDU back out of the v2c message: after version and community.
	_, _, at, _, err := berRead(out, 0)
	if err != nil {
		return nil
	}
	off := at
	for range 2 {
		if _, _, _, off, err = berRead(out, off); err != nil {
			return nil
		}
	}
	msg, err := a.engine.writeV3(m.msgID, flagAuth|flagPriv, a.engine.user, out[off:])
	if err != nil {
		a.log.Warn("snmp agent: cannot encode an answer", "err", err)
		return nil
	}
	return msg
}

// cell is one object of the table.
type cell struct {
	oid []uint32
	pdu gosnmp.SnmpPDU
}

// cells lists the table's objects in OID order (column by column, rows
// by ID).
func (a *Agent) cells() []cell {
	rows := a.alarms.List()
	out := make([]cell, 0, 7*len(rows))
	for col := uint32(colType); col <= colSince; col++ {
		for _, r := range rows {
			oid := append(append(append([]uint32(nil), a.entry...), col), r.ID)
			pdu := gosnmp.SnmpPDU{Name: "." + oidString(oid), Type: gosnmp.OctetString}
			switch col {
			case colType:
				pdu.Value = []byte(r.Type)
			case colSeverity:
				pdu.Type, pdu.Value = gosnmp.Integer, int(r.Severity)
			case colScope:
				pdu.Value = []byte(r.Scope)
			case colSubject:
				pdu.Value = []byte(r.Subject)
			case colValue:
				pdu.Value = []byte(r.Value)
			case colText:
				pdu.Value = []byte(r.Text)
			case colSince:
				pdu.Value = dateAndTime(r.Since)
			}
			out = append(out, cell{oid, pdu})
		}
	}
	return out
}

// answer builds the response to req; ok is false for PDUs an agent does
// not answer.
func (a *Agent) answer(req *gosnmp.SnmpPacket) (*gosnmp.SnmpPacket, bool) {
	resp := &gosnmp.SnmpPacket{Version: req.Version, Community: req.Community, PDUType: gosnmp.GetResponse, RequestID: req.RequestID,
		Logger: gosnmp.NewLogger(nil)}
	cells := a.cells()
	// next returns the first cell after oid, or false.
	next := func(oid []uint32) (cell, bool) {
		i := sort.Search(len(cells), func(i int) bool { return compareOID(cells[i].oid, oid) > 0 })
		if i == len(cells) {
			return cell{}, false
		}
		return cells[i], true
	}
	end := func(name string) gosnmp.SnmpPDU {
		return gosnmp.SnmpPDU{Name: name, Type: gosnmp.EndOfMibView}
	}
	for i, v := range req.Variables {
		if _, err := parseOID(v.Name); err != nil {
			resp.Error, resp.ErrorIndex = gosnmp.GenErr, uint8(min(i+1, 255))
			resp.Variables = req.Variables
			return resp, true
		}
	}
	switch req.PDUType {
	case gosnmp.GetRequest:
		for _, v := range req.Variables {
			oid, _ := parseOID(v.Name)
			pdu := gosnmp.SnmpPDU{Name: v.Name, Type: gosnmp.NoSuchObject}
			if len(oid) == len(a.entry)+2 && compareOID(oid[:len(a.entry)], a.entry) == 0 && oid[len(a.entry)] >= colType && oid[len(a.entry)] <= colSince {
				pdu.Type = gosnmp.NoSuchInstance
			}
			for _, c := range cells {
				if compareOID(c.oid, oid) == 0 {
					pdu = c.pdu
					break
				}
			}
			resp.Variables = append(resp.Variables, pdu)
		}
	case gosnmp.GetNextRequest:
		for _, v := range req.Variables {
			oid, _ := parseOID(v.Name)
			if c, ok := next(oid); ok {
				resp.Variables = append(resp.Variables, c.pdu)
			} else {
				resp.Variables = append(resp.Variables, end(v.Name))
			}
		}
	case gosnmp.GetBulkRequest:
		nonRep := min(int(req.NonRepeaters), len(req.Variables))
		for _, v := range req.Variables[:nonRep] {
			oid, _ := parseOID(v.Name)
			if c, ok := next(oid); ok {
				resp.Variables = append(resp.Variables, c.pdu)
			} else {
				resp.Variables = append(resp.Variables, end(v.Name))
			}
		}
		reps := req.Variables[nonRep:]
		cur := make([][]uint32, len(reps))
		for i, v := range reps {
			cur[i], _ = parseOID(v.Name)
		}
		maxRep := min(int(req.MaxRepetitions), 1000)
		for r := 0; r < maxRep && len(reps) > 0; r++ {
			ended := 0
			for i := range reps {
				c, ok := next(cur[i])
				if !ok { // named as the last one given (RFC 3416 4.2.3)
					resp.Variables = append(resp.Variables, end("."+oidString(cur[i])))
					ended++
					continue
				}
				resp.Variables = append(resp.Variables, c.pdu)
				cur[i] = c.oid
			}
			if ended == len(reps) || len(resp.Variables) > 500 {
				break
			}
		}
	case gosnmp.SetRequest:
		resp.Error, resp.ErrorIndex, resp.Variables = gosnmp.NotWritable, 1, req.Variables
	default:
		return nil, false
	}
	return resp, true
}

// dateAndTime is SNMPv2-TC's DateAndTime of ns, in UTC (11 octets).
func dateAndTime(ns int64) []byte {
	t := time.Unix(0, ns).UTC()
	y := t.Year()
	return []byte{byte(y >> 8), byte(y), byte(t.Month()), byte(t.Day()), byte(t.Hour()), byte(t.Minute()), byte(t.Second()),
		byte(t.Nanosecond() / 100_000_000), '+', 0, 0}
}

func parseOID(s string) ([]uint32, error) {
	s = strings.TrimPrefix(s, ".")
	if s == "" {
		return nil, errors.New("empty OID")
	}
	parts := strings.Split(s, ".")
	out := make([]uint32, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("OID %q: %w", s, err)
		}
		out[i] = uint32(v)
	}
	return out, nil
}

func oidString(oid []uint32) string {
	var b strings.Builder
	for i, v := range oid {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.FormatUint(uint64(v), 10))
	}
	return b.String()
}

// compareOID orders OIDs lexicographically, arc by arc.
func compareOID(a, b []uint32) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}
