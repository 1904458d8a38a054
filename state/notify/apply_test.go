package notify

import (
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
)

// TestReload: a SIGHUP's new [notify] channels applied to a running
// Notifier over a real store. The channel "hook" waits with 200 entries
// for a receiver that is down; the reload points it at another receiver,
// which gets all 200 and then the new events, each ID once, while the
// old receiver gets nothing. "same" is unchanged and keeps running;
// "new" starts with the events raised after the reload; "gone" stops,
// its entries left in the store. A channel that cannot be built keeps
// running as it was, and Reload says why.
func TestReload(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	a, b, c, d, e := newHookReceiver(t, ""), newHookReceiver(t, ""), newHookReceiver(t, ""), newHookReceiver(t, ""), newHookReceiver(t, "")
	a.down.Store(true)
	e.down.Store(true)
	hook := func(name, url string) WebhookConfig {
		return WebhookConfig{ChannelConfig: ChannelConfig{Name: name}, URL: url}
	}
	cfg := DefaultConfig()
	cfg.Webhook = []WebhookConfig{hook("hook", a.url), hook("same", c.url), hook("gone", e.url)}
	chans, err := cfg.Channels()
	if err != nil {
		t.Fatal(err)
	}
	log := state.NewEventLog(10_000)
	n, stop, err := Start(chans, st, testOptions(), log)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	for _, ev := range events(200, state.DeviceDetected, "before-") {
		log.Add(ev)
	}
	queue := func(name string) int {
		for _, s := range n.Status() {
			if s.Name == name {
				return s.Queue
			}
		}
		return -1
	}
	waitFor(t, 20*time.Second, "200 queued for hook and gone, 200 delivered to same", func() bool {
		ids, _, _, _ := c.counts()
		return queue("hook") == 200 && queue("gone") == 200 && ids == 200
	})

	next := DefaultConfig()
	next.Webhook = []WebhookConfig{hook("hook", b.url), hook("same", c.url), hook("new", d.url)}
	if err := n.Reload(next); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range n.Status() {
		names = append(names, s.Name)
	}
	if !slices.Equal(names, []string{"hook", "new", "same"}) {
		t.Fatalf("channels after the reload: %q", names)
	}
	for _, ev := range events(50, state.DeviceDetected, "after-") {
		log.Add(ev)
	}
	waitFor(t, 30*time.Second, "250 at the new receiver of hook, 250 at same's, 50 at new's", func() bool {
		bi, _, _, _ := b.counts()
		ci, _, _, _ := c.counts()
		di, _, _, _ := d.counts()
		return bi == 250 && ci == 250 && di == 50
	})
	for _, r := range []*hookReceiver{b, c, d} {
		r.mu.Lock()
		for id, k := range r.seen {
			if k != 1 {
				t.Errorf("%s received %d times", id, k)
			}
		}
		r.mu.Unlock()
	}
	if ids, _, _, _ := a.counts(); ids != 0 {
		t.Errorf("the old receiver of hook got %d", ids)
	}
	if _, subjects, _, _ := d.counts(); subjects != 50 {
		t.Errorf("new got %d subjects, want the 50 raised after the reload", subjects)
	}
	left := 0
	if err := st.EachOutbox("gone", func(uint64, []byte) error { left++; return nil }); err != nil || left != 200 {
		t.Errorf("gone's outbox holds %d (%v), want its 200 kept in the store", left, err)
	}

	// A table that cannot be built (its CA file is missing) leaves that
	// channel as it runs; the others are applied.
	bad := DefaultConfig()
	bad.Webhook = []WebhookConfig{hook("hook", b.url), hook("same", c.url), hook("new", d.url)}
	bad.Webhook[1].CAFile = "/nonexistent/ca.pem"
	bad.Webhook[2].URL = e.url
	if err := n.Reload(bad); err == nil {
		t.Fatal("a channel with a missing CA file reloaded without an error")
	}
	e.down.Store(false)
	log.Add(state.Event{Time: time.Now().UnixNano(), Type: state.GrandmasterChanged, Severity: state.Warning, Subject: "last"})
	waitFor(t, 30*time.Second, "the last event at same's receiver (kept) and at e (new's changed URL)", func() bool {
		ci, _, _, _ := c.counts()
		ei, _, _, _ := e.counts()
		return ci == 251 && ei == 1
	})
}

// TestReloadLimitsAndAgent: a reload applies [notify]'s bounds and
// [notify.agent] to the running Notifier. max_queue: a channel full at 5
// takes 15 more after a reload to 20; the heartbeat starts when set;
// max_age (SetLimits) expires what waits. The agent starts at a reload
// that configures it, takes a new community (the old one refused), adds
// an SNMPv3 user with its engine's boots and time kept, and stops when
// its listen is emptied.
func TestReloadLimitsAndAgent(t *testing.T) {
	snmpget := need(t, "snmpget", "snmp")
	rx := newHookReceiver(t, "")
	rx.down.Store(true)
	cfg := DefaultConfig()
	cfg.MaxQueue = 5
	cfg.Webhook = []WebhookConfig{{ChannelConfig: ChannelConfig{Name: "hook"}, URL: rx.url}}
	chans, err := cfg.Channels()
	if err != nil {
		t.Fatal(err)
	}
	log := state.NewEventLog(1000)
	o := testOptions()
	o.MaxQueue = cfg.MaxQueue
	n, stop, err := Start(chans, nil, o, log)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	status := func() ChannelStatus { return n.Status()[0] }
	for _, ev := range events(10, state.DeviceDetected, "a-") {
		log.Add(ev)
	}
	waitFor(t, 10*time.Second, "5 queued, 5 refused", func() bool { s := status(); return s.Queue == 5 && s.Overflow == 5 })

	cfg.MaxQueue = 20
	if err := n.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	for _, ev := range events(20, state.DeviceDetected, "b-") {
		log.Add(ev)
	}
	waitFor(t, 10*time.Second, "20 queued after the reload", func() bool { s := status(); return s.Queue == 20 && s.Overflow == 10 })

	// Bounds below a config file's units, through SetLimits: a heartbeat
	// every 50 ms and a maximum age that every waiting entry exceeds.
	lo := o
	lo.MaxQueue, lo.Heartbeat, lo.MaxAge = 20, 50*time.Millisecond, time.Millisecond
	n.SetLimits(lo)
	waitFor(t, 10*time.Second, "the waiting entries expired", func() bool { return status().Expired >= 20 })
	lo.MaxAge = time.Hour
	n.SetLimits(lo)
	rx.down.Store(false)
	waitFor(t, 10*time.Second, "heartbeats delivered", func() bool {
		rx.mu.Lock()
		defer rx.mu.Unlock()
		beats := 0
		for _, ts := range rx.typeSubject {
			if strings.HasPrefix(ts, "Heartbeat |") {
				beats++
			}
		}
		return beats >= 2
	})

	// The agent.
	port := freePort(t, "udp")
	target := "127.0.0.1:" + strconv.Itoa(port)
	get := func(args ...string) bool {
		cmd := exec.Command(snmpget, append(append([]string{"-m", "", "-On", "-t", "1", "-r", "0"}, args...), target, "1.3.6.1.4.1.32473.1588.1.2.1.2.1")...)
		cmd.Env = append(os.Environ(), "SNMPCONFPATH="+t.TempDir(), "SNMP_PERSISTENT_DIR="+t.TempDir())
		out, err := cmd.CombinedOutput()
		return err == nil && strings.Contains(string(out), ".1.3.6.1.4.1.32473.1588.1.2.1.2.1 = ")
	}
	v2 := func(community string) bool { return get("-v2c", "-c", community) }
	v3 := []string{"-v3", "-l", "authPriv", "-u", "h17-reload", "-a", "SHA", "-A", "auth-secret-1", "-x", "AES", "-X", "priv-secret-2"}
	if v2("one") {
		t.Fatal("an agent answers before one is configured")
	}
	cfg.Agent = AgentConfig{Listen: target, Community: "one"}
	if err := n.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if !v2("one") {
		t.Fatal("the agent added by a reload does not answer")
	}
	cfg.Agent.Community = "two"
	cfg.Agent.User, cfg.Agent.AuthKey, cfg.Agent.PrivKey = "h17-reload", "auth-secret-1", "priv-secret-2"
	first := n.Agent().engine
	if err := n.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if v2("one") || !v2("two") || !get(v3...) {
		t.Errorf("after the reload: community one answered %v, two %v, v3 %v; want false, true, true", v2("one"), v2("two"), get(v3...))
	}
	if e := n.Agent().engine; e.boots != first.boots || !e.start.Equal(first.start) {
		t.Errorf("the engine's boots and start changed at the reload: %d %v, were %d %v", e.boots, e.start, first.boots, first.start)
	}
	if n.Agent().Stats().BadCommunity == 0 {
		t.Error("the refused community is not counted")
	}
	cfg.Agent = AgentConfig{}
	if err := n.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if n.Agent() != nil || v2("two") {
		t.Error("the agent still runs after a reload without it")
	}
}
