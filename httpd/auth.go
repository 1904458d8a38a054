package httpd

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/netip"
	"sync"

	"github.com/valyala/fasthttp"
	"golang.org/x/crypto/bcrypt"
)

// HashPassword returns the bcrypt hash of password (random salt, default
// cost) to store in User.PasswordHash.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	return string(h), err
}

// HashToken returns the hex SHA-256 digest of a bearer token, to store in
// Token.SHA256. Tokens should be long random strings (32 bytes or more), so
// an unsalted fast hash suffices; passwords need HashPassword.
func HashToken(token string) string {
	d := sha256.Sum256([]byte(token))
	return hex.EncodeToString(d[:])
}

// authenticator checks credentials. bcrypt is slow by design (tens of ms),
// so a successful check is remembered under a digest of the credentials
// and the stored hash: a client polling with basic auth pays it once.
type authenticator struct {
	users  map[string]User
	tokens map[[32]byte]Token

	mu       sync.Mutex
	verified map[[32]byte]Role
}

const maxVerified = 4096

func newAuthenticator(users []User, tokens []Token) (*authenticator, error) {
	a := &authenticator{users: map[string]User{}, tokens: map[[32]byte]Token{}, verified: map[[32]byte]Role{}}
	for i, u := range users {
		field := fmt.Sprintf("Users[%d]", i)
		switch {
		case u.Name == "" || bytes.ContainsAny([]byte(u.Name), ":\x00"):
			return nil, &ConfigError{field, "name must be non-empty without ':'"}
		case !u.Role.valid():
			return nil, &ConfigError{field, fmt.Sprintf("role %q: want %q or %q", u.Role, RoleReadOnly, RoleAdmin)}
		}
		if _, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil {
			return nil, &ConfigError{field, "password hash is not a bcrypt hash (use HashPassword): " + err.Error()}
		}
		if _, dup := a.users[u.Name]; dup {
			return nil, &ConfigError{field, "duplicate user " + u.Name}
		}
		a.users[u.Name] = u
	}
	for i, t := range tokens {
		field := fmt.Sprintf("Tokens[%d]", i)
		d, err := hex.DecodeString(t.SHA256)
		switch {
		case err != nil || len(d) != 32:
			return nil, &ConfigError{field, "SHA256 must be 64 hex digits (use HashToken)"}
		case !t.Role.valid():
			return nil, &ConfigError{field, fmt.Sprintf("role %q: want %q or %q", t.Role, RoleReadOnly, RoleAdmin)}
		}
		a.tokens[[32]byte(d)] = t
	}
	return a, nil
}

// hasUsers reports whether basic authentication is configured.
func (a *authenticator) hasUsers() bool { return len(a.users) > 0 }

// enabled reports whether any credentials are configured.
func (a *authenticator) enabled() bool { return len(a.users) > 0 || len(a.tokens) > 0 }

// check returns the role of the request's credentials; ok is false when
// they are missing or wrong. who names the user or token for the log.
func (a *authenticator) check(ctx *fasthttp.RequestCtx) (role Role, who string, ok bool) {
	h := ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)
	scheme, cred, _ := bytes.Cut(bytes.TrimSpace(h), []byte(" "))
	cred = bytes.TrimSpace(cred)
	switch {
	case bytes.EqualFold(scheme, []byte("Bearer")):
		t, found := a.tokens[sha256.Sum256(cred)]
		if !found {
			return "", "", false
		}
		return t.Role, "token " + t.Name, true
	case bytes.EqualFold(scheme, []byte("Basic")):
		raw := make([]byte, base64.StdEncoding.DecodedLen(len(cred)))
		n, err := base64.StdEncoding.Decode(raw, cred)
		if err != nil {
			return "", "", false
		}
		name, pass, found := bytes.Cut(raw[:n], []byte(":"))
		if !found {
			return "", "", false
		}
		u, known := a.users[string(name)]
		if !known {
			// Spend about as long as a real check, so timing does not
			// tell which names exist.
			bcrypt.CompareHashAndPassword(dummyHash(), pass)
			return "", "", false
		}
		if a.remembered(u, pass) {
			return u.Role, u.Name, true
		}
		if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), pass) != nil {
			return "", "", false
		}
		a.remember(u, pass)
		return u.Role, u.Name, true
	}
	return "", "", false
}

// dummyHash is compared against for unknown user names.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("ptpwatch timing equaliser"), bcrypt.DefaultCost)
	return h
})

func verifiedKey(u User, pass []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(u.Name))
	h.Write([]byte{0})
	h.Write([]byte(u.PasswordHash))
	h.Write([]byte{0})
	h.Write(pass)
	return [32]byte(h.Sum(nil))
}

func (a *authenticator) remembered(u User, pass []byte) bool {
	k := verifiedKey(u, pass)
	a.mu.Lock()
	r, ok := a.verified[k]
	a.mu.Unlock()
	return ok && subtle.ConstantTimeCompare([]byte(r), []byte(u.Role)) == 1
}

func (a *authenticator) remember(u User, pass []byte) {
	k := verifiedKey(u, pass)
	a.mu.Lock()
	if len(a.verified) >= maxVerified {
		clear(a.verified)
	}
	a.verified[k] = u.Role
	a.mu.Unlock()
}

// allowed reports whether the client address passes the allow-list.
func allowed(list []netip.Prefix, ip netip.Addr) bool {
	if len(list) == 0 {
		return true
	}
	ip = ip.Unmap()
	for _, p := range list {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
