package httpd

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

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
//
// Guessing is contained (see throttle.go): failures are counted and
// logged, clients that fail too often are locked out without a bcrypt
// comparison, each client address runs at most one comparison at a time,
// and at most bcryptSlots run at all, so guesses cannot take the CPU from
// capture or from clients whose credentials are remembered (checked
// first, without waiting for anything).
type authenticator struct {
	users  map[string]User
	tokens map[[32]byte]Token
	log    *slog.Logger

	mu       sync.Mutex
	verified map[[32]byte]Role

	tmu      sync.Mutex // guards addrs, names, inflight
	addrs    *failTable
	names    *failTable
	inflight map[string]bool // addresses with a bcrypt comparison running
	slots    chan struct{}   // one token per bcrypt comparison running
	slotWait time.Duration   // how long a comparison waits for a slot before 503

	failures [numAuthReasons]atomic.Uint64
	lockouts atomic.Uint64
}

const maxVerified = 4096

// maxLoggedName bounds a user name as logged and as a throttle key.
const maxLoggedName = 64

// bcryptSlots is how many bcrypt comparisons may run at once: at most
// half the CPUs, 1 or 2.
var bcryptSlots = max(1, min(2, runtime.NumCPU()/2))

// authReason is why a login failed, as /metrics counts it.
type authReason int

const (
	reasonBadPassword authReason = iota
	reasonUnknownUser
	reasonBadToken
	reasonMalformed
	reasonThrottled // locked out, or the address already has a comparison running
	reasonBusy      // every bcrypt slot stayed taken
	numAuthReasons
)

var authReasonNames = [numAuthReasons]string{"bad_password", "unknown_user", "bad_token", "malformed", "throttled", "busy"}

// authStatus is the outcome of a check.
type authStatus int

const (
	authOK        authStatus = iota
	authMissing              // no credentials: 401
	authFailed               // wrong credentials: 401
	authThrottled            // too many failures: 429
	authBusy                 // no bcrypt slot in time: 503
)

// authResult is what check found.
type authResult struct {
	status authStatus
	role   Role
	who    string        // the user or token, for the log
	retry  time.Duration // for 429 and 503: when to try again
}

func newAuthenticator(users []User, tokens []Token, log *slog.Logger) (*authenticator, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &authenticator{users: map[string]User{}, tokens: map[[32]byte]Token{}, verified: map[[32]byte]Role{}, log: log,
		addrs: newFailTable(addrPolicy, maxTracked), names: newFailTable(userPolicy, maxTracked),
		inflight: map[string]bool{}, slots: make(chan struct{}, bcryptSlots), slotWait: 3 * time.Second}
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

// check checks the request's credentials. Remembered credentials pass
// at once; anything else from a locked-out client is refused without
// work.
func (a *authenticator) check(ctx *fasthttp.RequestCtx, ip netip.Addr) authResult {
	h := ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)
	if len(bytes.TrimSpace(h)) == 0 {
		return authResult{status: authMissing}
	}
	key := addrKey(ip)
	scheme, cred, _ := bytes.Cut(bytes.TrimSpace(h), []byte(" "))
	cred = bytes.TrimSpace(cred)
	switch {
	case bytes.EqualFold(scheme, []byte("Bearer")):
		if t, found := a.tokens[sha256.Sum256(cred)]; found {
			return authResult{status: authOK, role: t.Role, who: "token " + t.Name}
		}
		if r, blocked := a.blocked(key, "", ip); blocked {
			return r
		}
		return a.failed(key, "", ip, reasonBadToken)
	case bytes.EqualFold(scheme, []byte("Basic")):
		raw := make([]byte, base64.StdEncoding.DecodedLen(len(cred)))
		n, err := base64.StdEncoding.Decode(raw, cred)
		name, pass, found := bytes.Cut(raw[:max(n, 0)], []byte(":"))
		if err != nil || !found {
			if r, blocked := a.blocked(key, "", ip); blocked {
				return r
			}
			return a.failed(key, "", ip, reasonMalformed)
		}
		u, known := a.users[string(name)]
		if known && a.remembered(u, pass) {
			return authResult{status: authOK, role: u.Role, who: u.Name}
		}
		uname := truncName(name)
		if r, blocked := a.blocked(key, uname, ip); blocked {
			return r
		}
		ok, r := a.compare(key, ip, u, known, pass)
		if r.status != authOK {
			return r
		}
		if !known {
			return a.failed(key, uname, ip, reasonUnknownUser)
		}
		if !ok {
			return a.failed(key, uname, ip, reasonBadPassword)
		}
		a.remember(u, pass)
		return authResult{status: authOK, role: u.Role, who: u.Name}
	}
	// Another scheme (Digest, Negotiate...): no credentials we know.
	return authResult{status: authMissing}
}

// compare runs one bcrypt comparison of pass against u's hash (a dummy
// hash when the user is unknown, so that timing does not tell which names
// exist), at most one per client address and bcryptSlots in all. r is
// authOK when the comparison ran; ok tells its verdict.
func (a *authenticator) compare(key string, ip netip.Addr, u User, known bool, pass []byte) (ok bool, r authResult) {
	a.tmu.Lock()
	if a.inflight[key] {
		a.tmu.Unlock()
		a.failures[reasonThrottled].Add(1)
		return false, authResult{status: authThrottled, retry: time.Second}
	}
	a.inflight[key] = true
	a.tmu.Unlock()
	defer func() {
		a.tmu.Lock()
		delete(a.inflight, key)
		a.tmu.Unlock()
	}()
	t := time.NewTimer(a.slotWait)
	defer t.Stop()
	select {
	case a.slots <- struct{}{}:
	case <-t.C:
		a.failures[reasonBusy].Add(1)
		a.log.Warn("login refused: every password check is busy", "remote", ip.Unmap().String())
		return false, authResult{status: authBusy, retry: time.Second}
	}
	defer func() { <-a.slots }()
	hash := dummyHash()
	if known {
		hash = []byte(u.PasswordHash)
	}
	ok = bcrypt.CompareHashAndPassword(hash, pass) == nil && known
	return ok, authResult{status: authOK}
}

// blocked reports whether the address (or the user name, for an address
// that has failed too) is locked out, and the answer to give then.
func (a *authenticator) blocked(key, name string, ip netip.Addr) (authResult, bool) {
	now := time.Now()
	a.tmu.Lock()
	var until time.Time
	ae := a.addrs.peek(key, now)
	if ae != nil && now.Before(ae.until) {
		until = ae.until
	}
	if name != "" && ae != nil && ae.fails > 0 {
		if ue := a.names.peek(name, now); ue != nil && ue.until.After(until) {
			until = ue.until
		}
	}
	a.tmu.Unlock()
	if !now.Before(until) {
		return authResult{}, false
	}
	a.failures[reasonThrottled].Add(1)
	return authResult{status: authThrottled, retry: until.Sub(now)}, true
}

// failed counts and logs a failed login and answers 401.
func (a *authenticator) failed(key, name string, ip netip.Addr, why authReason) authResult {
	now := time.Now()
	a.tmu.Lock()
	dAddr := a.addrs.fail(key, now)
	var dName time.Duration
	if name != "" {
		dName = a.names.fail(name, now)
	}
	a.tmu.Unlock()
	a.failures[why].Add(1)
	remote := ip.Unmap().String()
	a.log.Warn("login failed", "user", name, "remote", remote, "reason", authReasonNames[why])
	if dAddr > 0 {
		a.lockouts.Add(1)
		a.log.Warn("login attempts from an address locked out", "remote", remote, "key", key, "for", dAddr)
	}
	if dName > 0 {
		a.lockouts.Add(1)
		a.log.Warn("login attempts for a user name locked out (from addresses that have failed)", "user", name, "remote", remote, "for", dName)
	}
	return authResult{status: authFailed}
}

// truncName bounds a user name as logged and tracked.
func truncName(name []byte) string {
	if len(name) > maxLoggedName {
		name = name[:maxLoggedName]
	}
	return string(name)
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
