package notify

import (
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
)

// TestStart: Start with no backing queues in memory, adds the channels,
// watches the log and runs, so an event added to the log reaches the
// receiver; a second channel of the same name is refused with nothing
// left running.
func TestStart(t *testing.T) {
	log := state.NewEventLog(100)
	rx := newHookReceiver(t, "")
	w, _ := NewWebhook(WebhookConfig{URL: rx.url})
	n, stop, err := Start([]Channel{{Options: ChannelOptions{Name: "w"}, Sender: w}}, nil, testOptions(), log)
	if err != nil {
		t.Fatal(err)
	}
	if n == nil {
		t.Fatal("no Notifier")
	}
	log.Add(state.Event{Type: state.GrandmasterChanged, Scope: "s", Subject: "gm"})
	waitFor(t, 10*time.Second, "1 delivery", func() bool { ids, _, _, _ := rx.counts(); return ids == 1 })
	stop()

	w1, _ := NewWebhook(WebhookConfig{URL: rx.url})
	w2, _ := NewWebhook(WebhookConfig{URL: rx.url})
	if _, _, err := Start([]Channel{{Options: ChannelOptions{Name: "x"}, Sender: w1}, {Options: ChannelOptions{Name: "x"}, Sender: w2}},
		nil, testOptions(), log); err == nil {
		t.Fatal("two channels named x accepted")
	}
}
