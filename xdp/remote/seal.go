package remote

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// KeyLen is the length of a pre-shared key: AES-256.
const KeyLen = 32

// Key is a pre-shared AES-256 key and the ID that names it in every
// envelope. Printing a Key in any way shows only its ID.
type Key struct {
	ID     uint32
	secret [KeyLen]byte
}

// NewKey returns the key with the given ID and secret bytes.
func NewKey(id uint32, secret []byte) (Key, error) {
	if len(secret) != KeyLen {
		return Key{}, fmt.Errorf("remote: key %d has %d bytes, want %d", id, len(secret), KeyLen)
	}
	k := Key{ID: id}
	copy(k.secret[:], secret)
	return k, nil
}

// String names the key by its ID only.
func (k Key) String() string { return "key " + strconv.FormatUint(uint64(k.ID), 10) }

// GoString keeps %#v from printing the secret.
func (k Key) GoString() string { return k.String() }

// Format keeps every fmt verb from printing the secret.
func (k Key) Format(f fmt.State, _ rune) { f.Write([]byte(k.String())) }

// MarshalText keeps encoders from writing the secret.
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// ParseKeys reads pre-shared keys, one a line: the key ID (decimal,
// 1–4294967295) and the 32-byte key as 64 hex digits, separated by blanks.
// Empty lines and lines starting with # are ignored. Errors name the line,
// never its secret.
func ParseKeys(text string) ([]Key, error) {
	var keys []Key
	seen := map[uint32]bool{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		f := strings.Fields(s)
		if len(f) != 2 {
			return nil, fmt.Errorf("remote: key line %d: want \"ID HEX-KEY\"", line)
		}
		id, err := strconv.ParseUint(f[0], 10, 32)
		if err != nil || id == 0 {
			return nil, fmt.Errorf("remote: key line %d: the ID must be a number from 1 to 4294967295", line)
		}
		secret, err := hex.DecodeString(f[1])
		if err != nil || len(secret) != KeyLen {
			return nil, fmt.Errorf("remote: key line %d: the key must be %d hex digits", line, 2*KeyLen)
		}
		if seen[uint32(id)] {
			return nil, fmt.Errorf("remote: key line %d: key ID %d given twice", line, id)
		}
		seen[uint32(id)] = true
		k, _ := NewKey(uint32(id), secret)
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("remote: no key found")
	}
	return keys, nil
}

// ReadKeyFile reads ParseKeys' format from a file, which must not be
// readable by group or others.
func ReadKeyFile(path string) ([]Key, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("remote: key file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("remote: key file %s is readable by others (mode %v); chmod 600 it", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("remote: key file: %w", err)
	}
	keys, err := ParseKeys(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return keys, nil
}

// GenerateKeyLine returns a new random key in ParseKeys' format.
func GenerateKeyLine(id uint32) string {
	var b [KeyLen]byte
	rand.Read(b[:])
	return strconv.FormatUint(uint64(id), 10) + " " + hex.EncodeToString(b[:]) + "\n"
}

// Envelope layout: magic, key ID, probe run, batch sequence, first frame
// sequence, frame count, seal time, site name, nonce; then the sealed batch and tag.
const (
	envMagic     = "PWF1"
	envFixedLen  = 4 + 4 + 8 + 8 + 8 + 4 + 8 + 1 // through the site length
	nonceLen     = 12
	tagLen       = 16
	MaxSiteLen   = 64
	envMinLen    = envFixedLen + nonceLen + tagLen
	nonceCounter = 8 // bytes of the nonce taken by the sealer's counter
)

// EnvelopeHeader is the clear, authenticated part of a sealed batch.
type EnvelopeHeader struct {
	KeyID    uint32
	Run      uint64 // the probe's run: its start time in ns, so a restarted probe counts anew
	Seq      uint64 // batch sequence within the run, from 1
	FirstSeq uint64 // per-probe sequence of the batch's first frame
	Frames   uint32 // frames in the batch
	Sealed   int64  // when the probe sealed it, ns since the Unix epoch (for the collector's lag)
	Site     []byte // the probe's site name; aliases the envelope
}

// Sealer seals batches under one key. It is not safe for concurrent use.
type Sealer struct {
	aead   cipher.AEAD
	key    uint32
	nonce  [nonceLen]byte
	ctr    uint64
	Site   string
	Run    uint64
	seq    uint64
	header []byte
}

// NewSealer returns a sealer for a probe of the given site and run. The
// nonce is a random per-sealer prefix and a counter, so it never repeats
// within a run.
func NewSealer(k Key, site string, run uint64) (*Sealer, error) {
	if len(site) == 0 || len(site) > MaxSiteLen {
		return nil, fmt.Errorf("remote: site name %q must have 1 to %d bytes", site, MaxSiteLen)
	}
	block, err := aes.NewCipher(k.secret[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	s := &Sealer{aead: aead, key: k.ID, Site: site, Run: run}
	if _, err := rand.Read(s.nonce[:nonceLen-nonceCounter]); err != nil {
		return nil, fmt.Errorf("remote: nonce: %w", err)
	}
	return s, nil
}

// Seq returns the sequence of the batch sealed last.
func (s *Sealer) Seq() uint64 { return s.seq }

// SealedLen returns the envelope length of a batch of n bytes.
func (s *Sealer) SealedLen(n int) int { return envFixedLen + len(s.Site) + nonceLen + n + tagLen }

// Seal appends the envelope of batch (first frame firstSeq, frames
// frames) to dst and returns it with its header. It does not allocate when
// dst has room for SealedLen(len(batch)).
func (s *Sealer) Seal(dst, batch []byte, firstSeq uint64, frames uint32) ([]byte, EnvelopeHeader) {
	s.seq++
	s.ctr++
	h := EnvelopeHeader{KeyID: s.key, Run: s.Run, Seq: s.seq, FirstSeq: firstSeq, Frames: frames, Sealed: time.Now().UnixNano()}
	start := len(dst)
	dst = append(dst, envMagic...)
	dst = binary.BigEndian.AppendUint32(dst, h.KeyID)
	dst = binary.BigEndian.AppendUint64(dst, h.Run)
	dst = binary.BigEndian.AppendUint64(dst, h.Seq)
	dst = binary.BigEndian.AppendUint64(dst, h.FirstSeq)
	dst = binary.BigEndian.AppendUint32(dst, h.Frames)
	dst = binary.BigEndian.AppendUint64(dst, uint64(h.Sealed))
	dst = append(dst, byte(len(s.Site)))
	dst = append(dst, s.Site...)
	binary.BigEndian.PutUint64(s.nonce[nonceLen-nonceCounter:], s.ctr)
	dst = append(dst, s.nonce[:]...)
	aad := dst[start:]
	h.Site = dst[start+envFixedLen : start+envFixedLen+len(s.Site)]
	return s.aead.Seal(dst, s.nonce[:], batch, aad), h
}

// Why a sealed batch is refused.
var (
	ErrTruncated  = errors.New("remote: sealed batch cut short")
	ErrNotSealed  = errors.New("remote: not a sealed batch")
	ErrUnknownKey = errors.New("remote: sealed under an unknown key ID")
	ErrForged     = errors.New("remote: sealed batch fails authentication (altered, or the wrong key)")
)

// ParseEnvelope reads a sealed batch's clear header without opening it.
// It does not allocate.
func ParseEnvelope(env []byte) (h EnvelopeHeader, body []byte, err error) {
	if len(env) < 4 || string(env[:4]) != envMagic {
		if len(env) < 4 && string(env) == envMagic[:len(env)] {
			return h, nil, ErrTruncated
		}
		return h, nil, ErrNotSealed
	}
	if len(env) < envMinLen {
		return h, nil, ErrTruncated
	}
	h.KeyID = binary.BigEndian.Uint32(env[4:])
	h.Run = binary.BigEndian.Uint64(env[8:])
	h.Seq = binary.BigEndian.Uint64(env[16:])
	h.FirstSeq = binary.BigEndian.Uint64(env[24:])
	h.Frames = binary.BigEndian.Uint32(env[32:])
	h.Sealed = int64(binary.BigEndian.Uint64(env[36:]))
	n := int(env[44])
	if len(env) < envMinLen+n {
		return h, nil, ErrTruncated
	}
	h.Site = env[envFixedLen : envFixedLen+n : envFixedLen+n]
	return h, env[envFixedLen+n:], nil
}

// Opener opens batches sealed under any of its keys. It is not safe for
// concurrent use.
type Opener struct {
	aeads map[uint32]cipher.AEAD
}

// NewOpener returns an opener for the given keys.
func NewOpener(keys []Key) (*Opener, error) {
	o := &Opener{aeads: make(map[uint32]cipher.AEAD, len(keys))}
	for _, k := range keys {
		block, err := aes.NewCipher(k.secret[:])
		if err != nil {
			return nil, err
		}
		if o.aeads[k.ID], err = cipher.NewGCM(block); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// OpenTo authenticates env and decrypts its batch into dst (which must
// not overlap env), returning its header and the batch, dst's bytes when
// cap(dst) is at least len(env). The header's Site aliases env. It saves
// the copy a caller would make to open a buffer it does not own in place,
// and does not allocate when dst has room.
func (o *Opener) OpenTo(dst, env []byte) (EnvelopeHeader, []byte, error) {
	h, body, err := ParseEnvelope(env)
	if err != nil {
		return h, nil, err
	}
	aead, ok := o.aeads[h.KeyID]
	if !ok {
		return h, nil, ErrUnknownKey
	}
	if len(body) < nonceLen {
		return h, nil, ErrTruncated
	}
	nonce, ct := body[:nonceLen], body[nonceLen:]
	aad := env[:len(env)-len(ct)]
	batch, err := aead.Open(dst[:0], nonce, ct, aad)
	if err != nil {
		return h, nil, ErrForged
	}
	return h, batch, nil
}

// Open authenticates and decrypts env in place and returns its header and
// the batch, which aliases env. It does not allocate.
func (o *Opener) Open(env []byte) (EnvelopeHeader, []byte, error) {
	h, body, err := ParseEnvelope(env)
	if err != nil {
		return h, nil, err
	}
	aead, ok := o.aeads[h.KeyID]
	if !ok {
		return h, nil, ErrUnknownKey
	}
	nonce, ct := body[:nonceLen], body[nonceLen:]
	aad := env[:len(env)-len(ct)]
	batch, err := aead.Open(ct[:0], nonce, ct, aad)
	if err != nil {
		return h, nil, ErrForged
	}
	return h, batch, nil
}
