package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/store"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func openStore(t testing.TB, dir string) *store.Store {
	t.Helper()
	s, err := store.Open(dir, store.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MinFreeBytes: -1, BallastBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// hookReceiver is a webhook receiver on loopback: it checks each
// request's signature and records every notification ID, and answers 503
// while down.
type hookReceiver struct {
	t      testing.TB
	secret string
	down   atomic.Bool
	srv    *http.Server
	url    string

	mu          sync.Mutex
	seen        map[string]int // notification ID -> times received
	typeSubject []string       // "type | subject" of each notification received
	subjects    map[string]int // event subject -> times received
	requests    int
	digests     int
	badSig      int
}

func newHookReceiver(t testing.TB, secret string) *hookReceiver {
	r := &hookReceiver{t: t, secret: secret, seen: map[string]int{}, subjects: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.url = "http://" + ln.Addr().String() + "/hook"
	r.srv = &http.Server{Handler: r}
	go r.srv.Serve(ln)
	t.Cleanup(func() { r.srv.Close() })
	return r
}

func (r *hookReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if r.down.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if got, want := req.Header.Get(HeaderSignature), Sign(r.secret, req.Header.Get(HeaderTimestamp), body); r.secret != "" && got != want {
		r.badSig++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var b WebhookBody
	if err := json.Unmarshal(body, &b); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.requests++
	if b.Digest {
		r.digests++
	}
	for _, m := range b.Messages {
		r.seen[m.ID]++
		r.subjects[m.Subject]++
		r.typeSubject = append(r.typeSubject, m.Type+" | "+m.Subject)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (r *hookReceiver) counts() (ids, subjects, requests, digests int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen), len(r.subjects), r.requests, r.digests
}

func testOptions() Options {
	return Options{MinBackoff: 5 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, Hostname: "testhost",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func events(n int, typ state.EventType, prefix string) []state.Event {
	out := make([]state.Event, n)
	for i := range out {
		out[i] = state.Event{Time: time.Now().UnixNano(), Type: typ, Severity: state.Notice, Scope: "seg0 v2 domain 0 UDP/IPv4",
			Subject: prefix + strconv.Itoa(i)}
	}
	return out
}

func start(t testing.TB, n *Notifier) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestWebhookOutage: the receiver is down while 1,000 events are raised;
// ptpwatch restarts (a new Notifier on the reopened store); then the
// receiver comes back: every event arrives, none twice, and each request
// is signed.
func TestWebhookOutage(t *testing.T) {
	dir := t.TempDir()
	rx := newHookReceiver(t, "s3cret")
	rx.down.Store(true)
	cfg := WebhookConfig{URL: rx.url, Secret: "s3cret"}

	st := openStore(t, dir)
	n := New(st, testOptions())
	w, err := NewWebhook(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.AddChannel(ChannelOptions{Name: "hook"}, w); err != nil {
		t.Fatal(err)
	}
	stop := start(t, n)
	n.Publish(events(1000, state.DeviceDetected, "dev")...)
	waitFor(t, 10*time.Second, "failed attempts", func() bool { return n.Status()[0].Failures >= 2 })
	stop()
	if s := n.Status()[0]; s.Queue != 1000 || s.Delivered != 0 || s.LastError == "" {
		t.Fatalf("after the outage: %+v", s)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = openStore(t, dir)
	defer st.Close()
	n = New(st, testOptions())
	w, _ = NewWebhook(cfg)
	if err := n.AddChannel(ChannelOptions{Name: "hook"}, w); err != nil {
		t.Fatal(err)
	}
	if q := n.Status()[0].Queue; q != 1000 {
		t.Fatalf("outbox after restart holds %d, want 1000", q)
	}
	stop = start(t, n)
	defer stop()
	rx.down.Store(false)
	waitFor(t, 20*time.Second, "delivery of 1,000", func() bool { return n.Idle() })
	ids, subjects, _, _ := rx.counts()
	rx.mu.Lock()
	defer rx.mu.Unlock()
	if ids != 1000 || subjects != 1000 || rx.badSig != 0 {
		t.Fatalf("received %d IDs, %d subjects, %d bad signatures; want 1000, 1000, 0", ids, subjects, rx.badSig)
	}
	for id, c := range rx.seen {
		if c != 1 {
			t.Fatalf("%s received %d times", id, c)
		}
	}
	if s := n.Status()[0]; s.Delivered != 1000 || s.Queue != 0 {
		t.Fatalf("status: %+v", s)
	}
}

// TestDigestAndRateLimit: a burst of 2,000 on a channel allowed one
// delivery a second becomes one single delivery and a digest of the
// rest, not 2,000 requests.
func TestDigestAndRateLimit(t *testing.T) {
	rx := newHookReceiver(t, "")
	n := New(NewMemoryBacking(), testOptions())
	w, _ := NewWebhook(WebhookConfig{URL: rx.url})
	if err := n.AddChannel(ChannelOptions{Name: "mail-like", RatePerMinute: 60, DigestAfter: 10, DigestMax: 5000}, w); err != nil {
		t.Fatal(err)
	}
	n.Publish(events(2000, state.DeviceDetected, "dev")...)
	stop := start(t, n)
	defer stop()
	waitFor(t, 10*time.Second, "delivery", func() bool { return n.Idle() })
	ids, _, requests, digests := rx.counts()
	if ids != 2000 || digests != 1 || requests != 1 {
		t.Fatalf("%d IDs in %d requests (%d digests); want 2000 in 1 digest", ids, requests, digests)
	}
	// The limit holds: the next two single events take about a second.
	t0 := time.Now()
	n.Publish(events(1, state.GrandmasterChanged, "a")...)
	waitFor(t, 5*time.Second, "first", func() bool { _, _, r, _ := rx.counts(); return r == 2 })
	n.Publish(events(1, state.GrandmasterChanged, "b")...)
	waitFor(t, 5*time.Second, "second", func() bool { _, _, r, _ := rx.counts(); return r == 3 })
	if d := time.Since(t0); d < 900*time.Millisecond {
		t.Fatalf("three deliveries within %s at 60 a minute", d)
	}
}

func TestFilterDedupOverflow(t *testing.T) {
	var raised []state.Event
	var mu sync.Mutex
	o := testOptions()
	o.MaxQueue = 10
	o.Raise = func(e state.Event) { mu.Lock(); raised = append(raised, e); mu.Unlock() }
	n := New(NewMemoryBacking(), o)
	rx := newHookReceiver(t, "")
	w, _ := NewWebhook(WebhookConfig{URL: rx.url})
	f := Filter{Types: []string{"Device Detected", "Grandmaster Changed"}, MinSeverity: "notice", Scopes: []string{"seg0 v2 domain 0 *"}}
	if err := n.AddChannel(ChannelOptions{Name: "f", Filter: f, Dedup: time.Minute}, w); err != nil {
		t.Fatal(err)
	}
	evs := events(5, state.DeviceDetected, "d")
	evs = append(evs, events(5, state.DeviceDetected, "d")...) // repeats
	evs = append(evs, state.Event{Type: state.DeviceDetected, Severity: state.Info, Scope: evs[0].Scope, Subject: "low"})
	evs = append(evs, state.Event{Type: state.DeviceDetected, Severity: state.Notice, Scope: "seg1 v2 domain 0 UDP/IPv4", Subject: "other"})
	evs = append(evs, state.Event{Type: state.SequenceGap, Severity: state.Critical, Scope: evs[0].Scope, Subject: "type"})
	evs = append(evs, events(8, state.GrandmasterChanged, "g")...) // 5 fit, 3 overflow
	n.Publish(evs...)
	s := n.Status()[0]
	if s.Deduplicated != 5 || s.Filtered != 3 || s.Queue != 10 || s.Overflow != 3 {
		t.Fatalf("status %+v: want 5 deduplicated, 3 filtered, 10 queued, 3 overflow", s)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(raised) != 1 || raised[0].Type != state.NotificationsLost || raised[0].Subject != "f" {
		t.Fatalf("raised %+v", raised)
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		p, s string
		ok   bool
	}{
		{"*", "seg0 v2 domain 0 UDP/IPv4", true},
		{"seg0 v2 domain 0 *", "seg0 v2 domain 0 UDP/IPv4", true},
		{"seg0 v2 domain ? UDP/IPv4", "seg0 v2 domain 4 UDP/IPv4", true},
		{"seg0 v2 domain 0 *", "seg1 v2 domain 0 UDP/IPv4", false},
		{"*IPv6", "seg0 v2 domain 0 UDP/IPv4", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"", "", true},
	} {
		if got := Glob(c.p, c.s); got != c.ok {
			t.Errorf("Glob(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

// TestWatchLog: events added to the model's log reach the channel; the
// history the log held before Watch does not.
func TestWatchLog(t *testing.T) {
	log := state.NewEventLog(1000)
	log.Add(state.Event{Type: state.DeviceDetected, Subject: "old"})
	rx := newHookReceiver(t, "")
	n := New(NewMemoryBacking(), testOptions())
	w, _ := NewWebhook(WebhookConfig{URL: rx.url})
	if err := n.AddChannel(ChannelOptions{Name: "w"}, w); err != nil {
		t.Fatal(err)
	}
	n.Watch(log)
	stop := start(t, n)
	defer stop()
	for i := range 50 {
		log.Add(state.Event{Type: state.GrandmasterChanged, Scope: "s", Subject: fmt.Sprint("gm", i)})
	}
	waitFor(t, 10*time.Second, "50 deliveries", func() bool { ids, _, _, _ := rx.counts(); return ids == 50 })
	rx.mu.Lock()
	defer rx.mu.Unlock()
	if rx.subjects["old"] != 0 {
		t.Fatal("restored history was sent")
	}
}

func TestConfigCheck(t *testing.T) {
	c := DefaultConfig()
	c.Webhook = []WebhookConfig{{URL: "ftp://x"}}
	c.Syslog = []SyslogConfig{{Address: "udp://127.0.0.1:99999"}, {Address: "tcp://no-such-host.invalid:601"}}
	c.SNMP = []SNMPConfig{{Target: "127.0.0.1:162", Version: "3", User: "u"}, {Target: "127.0.0.1", Version: "2c"}}
	c.SMTP = []SMTPConfig{{Server: "127.0.0.1:25", From: "a@b", To: []string{"c@d"}, Username: "u"}}
	err := c.Check()
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"notify.webhook[0]", "want an http:// or https:// URL", "bad port", "unknown host",
		"auth_password and priv_password", "community: missing", "password is missing"} {
		if !contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	// Secrets never appear in the status or the JSON of the config.
	good := DefaultConfig()
	good.Webhook = []WebhookConfig{{URL: "http://127.0.0.1:1/x", Secret: "TOPSECRET"}}
	good.SNMP = []SNMPConfig{{Target: "127.0.0.1", Version: "3", User: "u", AuthKey: "TOPSECRET1", PrivKey: "TOPSECRET2"}}
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(good)
	if contains(string(b), "TOPSECRET") {
		t.Fatalf("secret in JSON: %s", b)
	}
}

func contains(s, sub string) bool {
	return strings.Contains(s, sub)
}
