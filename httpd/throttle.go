package httpd

import (
	"container/list"
	"net/netip"
	"time"
)

// Login throttling. Failed logins are counted per client address and per
// user name. After limitPolicy.free failures an address (or a name) is
// locked out for base, then for twice as long after each further failure,
// up to max; an entry is forgotten after forget without failures. Locked
// clients get 429 with Retry-After and no bcrypt comparison.
//
// A locked user name blocks only addresses that have themselves failed
// recently: an attacker guessing alice's password locks alice's name
// against his addresses, while alice, from a clean address, still gets to
// try her password. Credentials already verified once are remembered (see
// authenticator) and pass without consulting the throttle at all.
type limitPolicy struct {
	free      int           // failures before the first lockout
	base, max time.Duration // first and longest lockout
	forget    time.Duration // an entry without failures for this long starts afresh
}

var (
	addrPolicy = limitPolicy{free: 10, base: time.Second, max: 5 * time.Minute, forget: 15 * time.Minute}
	userPolicy = limitPolicy{free: 10, base: time.Second, max: 5 * time.Minute, forget: 15 * time.Minute}
)

// maxTracked bounds each table of the throttle; the entry touched least
// recently makes room for a new one.
const maxTracked = 10000

type failEntry struct {
	key      string
	fails    int // failures since the entry was last forgotten
	lockouts int // lockouts since then: the next one lasts base<<lockouts
	last     time.Time
	until    time.Time // locked until
}

// failTable is a bounded LRU table of failEntry. Its owner locks it.
type failTable struct {
	policy limitPolicy
	max    int
	m      map[string]*list.Element
	lru    list.List // front: most recently touched
}

func newFailTable(p limitPolicy, max int) *failTable {
	return &failTable{policy: p, max: max, m: map[string]*list.Element{}}
}

// peek returns the entry of key, nil when there is none or it has been
// forgotten.
func (t *failTable) peek(key string, now time.Time) *failEntry {
	el, ok := t.m[key]
	if !ok {
		return nil
	}
	e := el.Value.(*failEntry)
	if now.Sub(e.last) > t.policy.forget && !now.Before(e.until) {
		t.lru.Remove(el)
		delete(t.m, key)
		return nil
	}
	return e
}

// get returns the entry of key, making one (and evicting the least
// recently touched when full).
func (t *failTable) get(key string, now time.Time) *failEntry {
	if e := t.peek(key, now); e != nil {
		t.lru.MoveToFront(t.m[key])
		return e
	}
	for len(t.m) >= t.max {
		back := t.lru.Back()
		if back == nil {
			break
		}
		be := back.Value.(*failEntry)
		t.lru.Remove(back)
		delete(t.m, be.key)
	}
	e := &failEntry{key: key, last: now}
	t.m[key] = t.lru.PushFront(e)
	return e
}

// fail records a failure of key and returns the lockout it starts, 0 for
// none.
func (t *failTable) fail(key string, now time.Time) time.Duration {
	e := t.get(key, now)
	e.fails++
	e.last = now
	if e.fails < t.policy.free {
		return 0
	}
	d := t.policy.max
	if e.lockouts < 30 {
		d = min(t.policy.base<<e.lockouts, t.policy.max)
	}
	e.lockouts++
	e.until = now.Add(d)
	return d
}

func (t *failTable) len() int { return len(t.m) }

// addrKey is the throttle's key for a client address: the address, or
// its /64 for IPv6, since one host commonly holds a whole /64.
func addrKey(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is6() && !ip.IsLoopback() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
