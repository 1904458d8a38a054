package remote

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// Nkey is a probe's NATS user NKEY: an Ed25519 key pair whose seed stays
// in the probe (a file of mode 600) and whose public key ("U...") the
// collector lists, bound to the probe's site (natsd.Config.Nkeys). The
// probe signs the server's nonce with it when it connects. The zero value
// is no key. String and every format print only the public key.
type Nkey struct {
	kp  nkeys.KeyPair
	pub string
}

// ParseNkeySeed reads a user NKEY seed ("SU...", as `nk -gen user` or
// GenerateNkey writes it); surrounding blank space and lines starting
// with '#' are ignored. Errors never quote the seed.
func ParseNkeySeed(text []byte) (Nkey, error) {
	var seed []byte
	for line := range bytes.Lines(text) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if seed != nil {
			return Nkey{}, errors.New("remote: an NKEY seed file holds one seed")
		}
		seed = line
	}
	if seed == nil {
		return Nkey{}, errors.New("remote: no NKEY seed")
	}
	kp, err := nkeys.FromSeed(seed)
	if err != nil {
		return Nkey{}, errors.New("remote: not an NKEY seed")
	}
	pub, err := kp.PublicKey()
	if err != nil || !strings.HasPrefix(pub, "U") {
		return Nkey{}, errors.New("remote: the NKEY must be a user key (its seed starts with SU)")
	}
	return Nkey{kp: kp, pub: pub}, nil
}

// ReadNkeyFile reads an NKEY seed file, refusing one others may read.
func ReadNkeyFile(path string) (Nkey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Nkey{}, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return Nkey{}, fmt.Errorf("remote: NKEY seed file %s is readable by others (mode %#o); chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Nkey{}, err
	}
	k, err := ParseNkeySeed(b)
	if err != nil {
		return Nkey{}, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// GenerateNkey returns a new user NKEY's seed (for the probe's file) and
// public key (for the collector's list).
func GenerateNkey() (seed []byte, public string, err error) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		return nil, "", err
	}
	if seed, err = kp.Seed(); err != nil {
		return nil, "", err
	}
	public, err = kp.PublicKey()
	return seed, public, err
}

// IsZero reports whether k is no key.
func (k Nkey) IsZero() bool { return k.kp == nil }

// Public returns the public key, "U..." (empty for no key).
func (k Nkey) Public() string { return k.pub }

// String returns "nkey " and the public key: never the seed.
func (k Nkey) String() string { return "nkey " + k.pub }

// GoString is String, so %#v shows no seed either.
func (k Nkey) GoString() string { return k.String() }

// Format prints String for every verb.
func (k Nkey) Format(f fmt.State, _ rune) { f.Write([]byte(k.String())) }

// MarshalText is String, so JSON and TOML show no seed.
func (k Nkey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// option is the NATS connection option that authenticates with k.
func (k Nkey) option() nats.Option {
	return nats.Nkey(k.pub, func(nonce []byte) ([]byte, error) { return k.kp.Sign(nonce) })
}
