package notify

import (
	"slices"
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
