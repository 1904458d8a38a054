package notify

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The agent's SNMPv3 side: the User-based Security Model (RFC 3414) with
// authPriv only, HMAC-SHA-96 (RFC 3414) or HMAC-SHA-256-192 (RFC 7860)
// and AES-128 in CFB mode (RFC 3826), for one configured user. The
// message layer (RFC 3412) and USM are parsed and written here; the PDU
// inside the scoped PDU is left to gosnmp's v2c codec.

// usmUser is the configured user with its keys localized to our engine
// ID (RFC 3414 A.2).
type usmUser struct {
	name    string
	newHash func() hash.Hash
	macLen  int    // 12 for SHA, 24 for SHA-256
	authKey []byte // localized
	privKey []byte // localized, the first 16 bytes used by AES-128
}

// passwordToKey is RFC 3414 A.2's password-to-key algorithm: the
// password repeated to a megabyte and hashed, then localized to engineID.
func passwordToKey(newHash func() hash.Hash, password string, engineID []byte) []byte {
	h := newHash()
	buf := make([]byte, 64)
	p := []byte(password)
	for n, i := 0, 0; n < 1<<20; n += 64 {
		for j := range buf {
			buf[j] = p[i%len(p)]
			i++
		}
		h.Write(buf)
	}
	ku := h.Sum(nil)
	h.Reset()
	h.Write(ku)
	h.Write(engineID)
	h.Write(ku)
	return h.Sum(nil)
}

// USM statistics objects (SNMP-USER-BASED-SM-MIB usmStats, RFC 3414 5),
// sent in Report PDUs.
var (
	oidUnsupportedSecLevels = []uint32{1, 3, 6, 1, 6, 3, 15, 1, 1, 1, 0}
	oidNotInTimeWindows     = []uint32{1, 3, 6, 1, 6, 3, 15, 1, 1, 2, 0}
	oidUnknownUserNames     = []uint32{1, 3, 6, 1, 6, 3, 15, 1, 1, 3, 0}
	oidUnknownEngineIDs     = []uint32{1, 3, 6, 1, 6, 3, 15, 1, 1, 4, 0}
	oidWrongDigests         = []uint32{1, 3, 6, 1, 6, 3, 15, 1, 1, 5, 0}
	oidDecryptionErrors     = []uint32{1, 3, 6, 1, 6, 3, 15, 1, 1, 6, 0}
)

// AgentStats counts the requests the agent refused, by reason.
type AgentStats struct {
	BadCommunity         uint64 `json:"badCommunity"`         // v1/v2c with a wrong community (or none configured)
	Unparsable           uint64 `json:"unparsable"`           // not an SNMP message it can read
	UnknownEngineIDs     uint64 `json:"unknownEngineIDs"`     // v3 for another engine (discovery included)
	UnknownUserNames     uint64 `json:"unknownUserNames"`     // v3 for a user not configured
	UnsupportedSecLevels uint64 `json:"unsupportedSecLevels"` // v3 below authPriv
	WrongDigests         uint64 `json:"wrongDigests"`         // v3 failing authentication: a wrong auth password
	NotInTimeWindows     uint64 `json:"notInTimeWindows"`     // v3 outside the 150 s window (replays)
	DecryptionErrors     uint64 `json:"decryptionErrors"`     // v3 that does not decrypt to a scoped PDU: a wrong priv password
}

// usmEngine is the agent's authoritative SNMP engine.
type usmEngine struct {
	id    []byte
	boots uint32
	start time.Time
	user  *usmUser // nil: v3 not configured
	salt  atomic.Uint64

	mu    sync.Mutex
	stats AgentStats
}

// newUSMEngine makes the engine of c, with its user's keys localized.
// Engine boots is the start time in minutes since 2000, so that it grows
// across restarts without a store (RFC 3414 2.2.2).
func newUSMEngine(c *AgentConfig) (*usmEngine, error) {
	id, err := hex.DecodeString(c.engineID())
	if err != nil {
		return nil, fmt.Errorf("notify.agent: engine_id: %w", err)
	}
	e := &usmEngine{id: id, start: time.Now()}
	e.boots = uint32(min(e.start.Sub(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))/time.Minute, 1<<31-2))
	var seed [8]byte
	_, _ = rand.Read(seed[:])
	e.salt.Store(binary.BigEndian.Uint64(seed[:]))
	if c.User != "" {
		u := &usmUser{name: c.User, newHash: sha1.New, macLen: 12}
		if strings.EqualFold(c.AuthProto, "SHA256") {
			u.newHash, u.macLen = sha256.New, 24
		}
		u.authKey = passwordToKey(u.newHash, c.AuthKey, id)
		u.privKey = passwordToKey(u.newHash, c.PrivKey, id)[:16]
		e.user = u
	}
	return e, nil
}

func (e *usmEngine) time() uint32 { return uint32(time.Since(e.start) / time.Second) }

// count adds one to a statistic and returns its new value.
func (e *usmEngine) count(f *uint64) uint32 {
	e.mu.Lock()
	defer e.mu.Unlock()
	*f++
	return uint32(*f)
}

// Stats returns the refusal counts.
func (e *usmEngine) Stats() AgentStats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stats
}

// v3Message is an SNMPv3 message as read, with where its authentication
// parameters lie in the raw bytes.
type v3Message struct {
	msgID     int64
	maxSize   int64
	flags     byte
	engineID  []byte
	boots     int64
	time      int64
	user      string
	authParam []byte
	authAt    int // offset of authParam's content in the message
	privParam []byte
	data      []byte // msgData: the scoped PDU's TLV (plaintext) or an OCTET STRING (encrypted)
}

const (
	flagAuth       = 0x01
	flagPriv       = 0x02
	flagReportable = 0x04
	usmModel       = 3
)

var errBER = errors.New("malformed BER")

// berRead reads one TLV from b at off: its tag, its content and the
// offset after it.
func berRead(b []byte, off int) (tag byte, content []byte, contentAt, next int, err error) {
	if off+2 > len(b) {
		return 0, nil, 0, 0, errBER
	}
	tag = b[off]
	n := int(b[off+1])
	at := off + 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 3 || at+k > len(b) {
			return 0, nil, 0, 0, errBER
		}
		n = 0
		for _, c := range b[at : at+k] {
			n = n<<8 | int(c)
		}
		at += k
	}
	if n > len(b)-at {
		return 0, nil, 0, 0, errBER
	}
	return tag, b[at : at+n], at, at + n, nil
}

// berInt reads a non-negative INTEGER of at most 31 bits (what SNMPv3's
// header fields are).
func berInt(tag byte, c []byte) (int64, error) {
	if tag != 0x02 || len(c) == 0 || len(c) > 5 || c[0]&0x80 != 0 {
		return 0, errBER
	}
	var v int64
	for _, x := range c {
		v = v<<8 | int64(x)
	}
	if v > 1<<31-1 {
		return 0, errBER
	}
	return v, nil
}

// parseV3 reads an SNMPv3 message's header and USM parameters.
func parseV3(b []byte) (*v3Message, error) {
	tag, msg, at, _, err := berRead(b, 0)
	if err != nil || tag != 0x30 {
		return nil, errBER
	}
	_ = msg
	end := at + len(msg)
	if end != len(b) {
		return nil, errBER
	}
	var m v3Message
	// msgVersion
	tag, c, _, off, err := berRead(b, at)
	if v, e := berInt(tag, c); err != nil || e != nil || v != 3 {
		return nil, errBER
	}
	// msgGlobalData
	tag, _, gAt, next, err := berRead(b, off)
	if err != nil || tag != 0x30 {
		return nil, errBER
	}
	g := b[:next]
	var vals [4][]byte
	var tags [4]byte
	o := gAt
	for i := range vals {
		if tags[i], vals[i], _, o, err = berRead(g, o); err != nil {
			return nil, errBER
		}
	}
	if o != next {
		return nil, errBER
	}
	if m.msgID, err = berInt(tags[0], vals[0]); err != nil {
		return nil, err
	}
	if m.maxSize, err = berInt(tags[1], vals[1]); err != nil {
		return nil, err
	}
	if tags[2] != 0x04 || len(vals[2]) != 1 {
		return nil, errBER
	}
	m.flags = vals[2][0]
	if model, err := berInt(tags[3], vals[3]); err != nil || model != usmModel {
		return nil, errBER
	}
	// msgSecurityParameters: an OCTET STRING holding the USM SEQUENCE
	tag, sp, spAt, off2, err := berRead(b, next)
	if err != nil || tag != 0x04 {
		return nil, errBER
	}
	tag, _, uAt, uNext, err := berRead(b, spAt)
	if err != nil || tag != 0x30 || uNext != spAt+len(sp) {
		return nil, errBER
	}
	u := b[:uNext]
	o = uAt
	var f [6][]byte
	var ft [6]byte
	var fAt [6]int
	for i := range f {
		if ft[i], f[i], fAt[i], o, err = berRead(u, o); err != nil {
			return nil, errBER
		}
	}
	if o != uNext || ft[0] != 0x04 || ft[3] != 0x04 || ft[4] != 0x04 || ft[5] != 0x04 {
		return nil, errBER
	}
	if m.boots, err = berInt(ft[1], f[1]); err != nil {
		return nil, err
	}
	if m.time, err = berInt(ft[2], f[2]); err != nil {
		return nil, err
	}
	m.engineID, m.user, m.authParam, m.authAt, m.privParam = f[0], string(f[3]), f[4], fAt[4], f[5]
	// msgData
	tag, _, _, dNext, err := berRead(b, off2)
	if err != nil || dNext != end || (tag != 0x30 && tag != 0x04) {
		return nil, errBER
	}
	m.data = b[off2:dNext]
	return &m, nil
}

// berAppend appends a TLV with content c.
func berAppend(b []byte, tag byte, c []byte) []byte {
	b = append(b, tag)
	switch n := len(c); {
	case n < 0x80:
		b = append(b, byte(n))
	case n < 0x100:
		b = append(b, 0x81, byte(n))
	case n < 0x10000:
		b = append(b, 0x82, byte(n>>8), byte(n))
	default:
		b = append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, c...)
}

// berAppendInt appends a non-negative INTEGER (tag 0x02) or an
// unsigned application type such as Counter32 (tag 0x41).
func berAppendInt(b []byte, tag byte, v uint64) []byte {
	var c [9]byte
	n := 9
	for {
		n--
		c[n] = byte(v)
		v >>= 8
		if v == 0 {
			break
		}
	}
	if c[n]&0x80 != 0 {
		n--
		c[n] = 0
	}
	return berAppend(b, tag, c[n:])
}

func berAppendOID(b []byte, oid []uint32) []byte {
	c := []byte{byte(oid[0]*40 + oid[1])}
	for _, v := range oid[2:] {
		var t [5]byte
		n := 5
		for {
			n--
			t[n] = byte(v&0x7f) | 0x80
			v >>= 7
			if v == 0 {
				break
			}
		}
		t[4] &^= 0x80
		c = append(c, t[n:]...)
	}
	return berAppend(b, 0x06, c)
}

// reportPDU is a Report PDU (RFC 3416) carrying one usmStats counter.
func reportPDU(requestID int64, oid []uint32, value uint32) []byte {
	vb := berAppendInt(berAppendOID(nil, oid), 0x41, uint64(value))
	var c []byte
	c = berAppendInt(c, 0x02, uint64(requestID))
	c = berAppendInt(c, 0x02, 0)
	c = berAppendInt(c, 0x02, 0)
	c = berAppend(c, 0x30, berAppend(nil, 0x30, vb))
	return berAppend(nil, 0xa8, c)
}

// writeV3 builds a message from us answering req's msgID with pdu (a
// PDU's TLV) in a scoped PDU, at flags' security level for user u (nil
// for noAuthNoPriv).
func (e *usmEngine) writeV3(msgID int64, flags byte, u *usmUser, pdu []byte) ([]byte, error) {
	boots, now := e.boots, e.time()
	scoped := berAppend(nil, 0x30, append(berAppend(berAppend(nil, 0x04, e.id), 0x04, nil), pdu...))
	var priv []byte
	data := scoped
	if flags&flagPriv != 0 {
		priv = binary.BigEndian.AppendUint64(nil, e.salt.Add(1))
		iv := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, boots), now)
		iv = append(iv, priv...)
		block, err := aes.NewCipher(u.privKey)
		if err != nil {
			return nil, err
		}
		enc := make([]byte, len(scoped))
		cipher.NewCFBEncrypter(block, iv).XORKeyStream(enc, scoped) //nolint:staticcheck // RFC 3826 3.1.1 specifies CFB-128
		data = berAppend(nil, 0x04, enc)
	}
	var auth []byte
	name := ""
	if u != nil {
		name = u.name
	}
	if flags&flagAuth != 0 {
		auth = make([]byte, u.macLen)
	}
	var usm []byte
	usm = berAppend(usm, 0x04, e.id)
	usm = berAppendInt(usm, 0x02, uint64(boots))
	usm = berAppendInt(usm, 0x02, uint64(now))
	usm = berAppend(usm, 0x04, []byte(name))
	usm = berAppend(usm, 0x04, auth)
	usm = berAppend(usm, 0x04, priv)
	var g []byte
	g = berAppendInt(g, 0x02, uint64(msgID))
	g = berAppendInt(g, 0x02, 65507)
	g = berAppend(g, 0x04, []byte{flags})
	g = berAppendInt(g, 0x02, usmModel)
	var c []byte
	c = berAppendInt(c, 0x02, 3)
	c = berAppend(c, 0x30, g)
	c = berAppend(c, 0x04, berAppend(nil, 0x30, usm))
	c = append(c, data...)
	msg := berAppend(nil, 0x30, c)
	if flags&flagAuth != 0 {
		m, err := parseV3(msg)
		if err != nil {
			return nil, fmt.Errorf("snmp agent: cannot read its own message: %w", err)
		}
		copy(msg[m.authAt:], u.mac(msg))
	}
	return msg, nil
}

// mac is the message's authentication code, computed with the
// authentication parameters zeroed (as they are while it is computed).
func (u *usmUser) mac(msg []byte) []byte {
	h := hmac.New(u.newHash, u.authKey)
	h.Write(msg)
	return h.Sum(nil)[:u.macLen]
}

// timeWindow is RFC 3414 3.2.7's window: 150 seconds either way.
const timeWindow = 150

// handleV3 processes one SNMPv3 request, b, as RFC 3414 3.2 orders the
// checks: it returns the scoped PDU's PDU (decrypted) when the request
// passes, or the report to send back (nil for none).
func (e *usmEngine) handleV3(b []byte) (m *v3Message, pdu []byte, report []byte) {
	m, err := parseV3(b)
	if err != nil {
		e.count(&e.stats.Unparsable)
		return nil, nil, nil
	}
	reportable := m.flags&flagReportable != 0
	refuse := func(f *uint64, oid []uint32, flags byte, u *usmUser) []byte {
		n := e.count(f)
		if !reportable {
			return nil
		}
		r, err := e.writeV3(m.msgID, flags, u, reportPDU(requestIDOf(m), oid, n))
		if err != nil {
			return nil
		}
		return r
	}
	switch {
	case m.flags&flagPriv != 0 && m.flags&flagAuth == 0:
		e.count(&e.stats.Unparsable) // priv without auth is invalid (RFC 3412 7.2 h)
		return nil, nil, nil
	case subtle.ConstantTimeCompare(m.engineID, e.id) != 1:
		return nil, nil, refuse(&e.stats.UnknownEngineIDs, oidUnknownEngineIDs, 0, nil)
	case e.user == nil || m.user != e.user.name:
		return nil, nil, refuse(&e.stats.UnknownUserNames, oidUnknownUserNames, 0, nil)
	case m.flags&(flagAuth|flagPriv) != flagAuth|flagPriv:
		return nil, nil, refuse(&e.stats.UnsupportedSecLevels, oidUnsupportedSecLevels, 0, nil)
	}
	u := e.user
	if len(m.authParam) != u.macLen {
		return nil, nil, refuse(&e.stats.WrongDigests, oidWrongDigests, 0, nil)
	}
	got := append([]byte(nil), m.authParam...)
	zeroed := append([]byte(nil), b...)
	clear(zeroed[m.authAt : m.authAt+u.macLen])
	if !hmac.Equal(got, u.mac(zeroed)) {
		return nil, nil, refuse(&e.stats.WrongDigests, oidWrongDigests, 0, nil)
	}
	if m.boots != int64(e.boots) || m.boots == 1<<31-1 || abs(m.time-int64(e.time())) > timeWindow {
		return nil, nil, refuse(&e.stats.NotInTimeWindows, oidNotInTimeWindows, flagAuth, u)
	}
	tag, enc, _, _, err := berRead(m.data, 0)
	if err != nil || tag != 0x04 || len(m.privParam) != 8 {
		return nil, nil, refuse(&e.stats.DecryptionErrors, oidDecryptionErrors, flagAuth, u)
	}
	iv := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(m.boots)), uint32(m.time))
	iv = append(iv, m.privParam...)
	block, err := aes.NewCipher(u.privKey)
	if err != nil {
		return nil, nil, nil
	}
	plain := make([]byte, len(enc))
	cipher.NewCFBDecrypter(block, iv).XORKeyStream(plain, enc) //nolint:staticcheck // RFC 3826 3.1.1 specifies CFB-128
	// The scoped PDU: SEQUENCE { contextEngineID, contextName, PDU }.
	tag, _, at, _, err := berRead(plain, 0)
	if err != nil || tag != 0x30 {
		return nil, nil, refuse(&e.stats.DecryptionErrors, oidDecryptionErrors, flagAuth, u)
	}
	tag, _, _, off, err := berRead(plain, at)
	if err != nil || tag != 0x04 {
		return nil, nil, refuse(&e.stats.DecryptionErrors, oidDecryptionErrors, flagAuth, u)
	}
	tag, _, _, off, err = berRead(plain, off)
	if err != nil || tag != 0x04 {
		return nil, nil, refuse(&e.stats.DecryptionErrors, oidDecryptionErrors, flagAuth, u)
	}
	_, _, _, pEnd, err := berRead(plain, off)
	if err != nil {
		return nil, nil, refuse(&e.stats.DecryptionErrors, oidDecryptionErrors, flagAuth, u)
	}
	return m, plain[off:pEnd], nil
}

// requestIDOf is the request ID of a plaintext scoped PDU (engine
// discovery's), 0 when it is encrypted or unreadable.
func requestIDOf(m *v3Message) int64 {
	tag, _, at, _, err := berRead(m.data, 0)
	if err != nil || tag != 0x30 {
		return 0
	}
	off := at
	for range 2 { // contextEngineID, contextName
		if _, _, _, off, err = berRead(m.data, off); err != nil {
			return 0
		}
	}
	_, _, pAt, _, err := berRead(m.data, off)
	if err != nil {
		return 0
	}
	tag, c, _, _, err := berRead(m.data, pAt)
	if err != nil || tag != 0x02 {
		return 0
	}
	v, err := berInt(tag, c)
	if err != nil {
		return 0
	}
	return v
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
