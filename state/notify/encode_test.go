package notify

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
)

// sampleEvents are events with every field set, odd characters included.
func sampleEvents() []state.Event {
	return []state.Event{
		{Seq: 7, Time: time.Date(2026, 12, 7, 11, 0, 0, 123456789, time.UTC).UnixNano(), Type: state.GrandmasterChanged, Severity: state.Warning,
			Scope: "seg0 v2 domain 0", Subject: "gm \"a\" <b> & \\c", Before: "001122.fffe.334455", After: "x\u2028y\x01\tz", Detail: "bad \xff utf-8 é"},
		{Time: 1, Type: state.DeviceDetected, Severity: state.Critical},
		{Seq: 1, Time: -5, Type: state.CustomAlarmCleared, Severity: state.Info, Detail: strings.Repeat("long ", 300)},
	}
}

// TestOutboxEntryRoundTrip: appendMessage's form reads back field for
// field; an entry earlier versions wrote as JSON is still read; a cut or
// padded entry is refused, not misread.
func TestOutboxEntryRoundTrip(t *testing.T) {
	for _, e := range sampleEvents() {
		b := appendMessage(nil, KindTest, 42, "host1", &e)
		var m Message
		if err := unmarshalMessage(b, &m); err != nil {
			t.Fatal(err)
		}
		want := Message{Kind: KindTest, Queued: 42, Hostname: "host1", Event: e}
		if !reflect.DeepEqual(m, want) {
			t.Errorf("read back %+v, want %+v", m, want)
		}
		for cut := 1; cut < len(b); cut++ {
			if err := unmarshalMessage(b[:cut], &m); err == nil {
				t.Fatalf("entry cut to %d of %d bytes read without an error", cut, len(b))
			}
		}
		if err := unmarshalMessage(append(b, 0), &m); err == nil {
			t.Error("entry with a byte too many read without an error")
		}
	}
	old := `{"id":"hook/12","seq":12,"kind":"event","event":{"seq":3,"time":99,"type":"Device Detected","severity":"warning","subject":"d"},"queued":5,"host":"h","severity":"warning"}`
	var m Message
	if err := unmarshalMessage([]byte(old), &m); err != nil {
		t.Fatal(err)
	}
	want := Message{ID: "hook/12", Seq: 12, Kind: KindEvent, Queued: 5, Hostname: "h",
		Event: state.Event{Seq: 3, Time: 99, Type: state.DeviceDetected, Severity: state.Warning, Subject: "d"}}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("JSON entry read as %+v, want %+v", m, want)
	}
}

// FuzzOutboxEntry: no input makes the reader panic, and what it accepts
// in the binary form writes back to the same bytes.
func FuzzOutboxEntry(f *testing.F) {
	for _, e := range sampleEvents() {
		f.Add(appendMessage(nil, KindEvent, 1, "h", &e))
	}
	f.Add([]byte(`{"id":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Message
		if unmarshalMessage(b, &m) != nil || len(b) == 0 || b[0] != binaryTag {
			return
		}
		if again := appendMessage(nil, m.Kind, m.Queued, m.Hostname, &m.Event); string(again) != string(b) {
			// Only a non-minimal varint may differ.
			var m2 Message
			if err := unmarshalMessage(again, &m2); err != nil || !reflect.DeepEqual(m, m2) {
				t.Fatalf("%q read as %+v, written back as %q", b, m, again)
			}
		}
	})
}

// TestWebhookBodyJSON: the directly written body decodes to what
// encoding/json makes of the same WebhookBody, for one message and a
// digest.
func TestWebhookBodyJSON(t *testing.T) {
	var msgs []*Message
	for i, e := range sampleEvents() {
		msgs = append(msgs, &Message{ID: "hook/" + string(rune('1'+i)), Seq: uint64(i + 1), Kind: KindEvent, Event: e})
	}
	for _, d := range []*Delivery{
		{Channel: "hook", Messages: msgs[:1], Hostname: "h\"1", UIURL: "http://ui/"},
		{Channel: "hook", Messages: msgs, Digest: true, Hostname: "h1"},
	} {
		ref := WebhookBody{ID: d.Messages[0].ID, Host: d.Hostname, Digest: d.Digest, Count: len(d.Messages), Title: d.Title(), Text: d.Title() + "\n" + d.Text()}
		for _, m := range d.Messages {
			ref.Messages = append(ref.Messages, record(m))
		}
		want, err := json.Marshal(ref)
		if err != nil {
			t.Fatal(err)
		}
		got := appendWebhookBody(nil, d)
		var a, b any
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("%v in %s", err, got)
		}
		if err := json.Unmarshal(want, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("body\n%s\nwant (as encoding/json)\n%s", got, want)
		}
	}
}

// FuzzJSONString: appendJSONString's output is JSON that decodes to what
// encoding/json's does.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "q\"b\\s", "\x00\x1f\x7f", "\u2028\u2029", "\xff\xfe", "é€😀", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got, want string
		if err := json.Unmarshal(appendJSONString(nil, s), &got); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		ref, _ := json.Marshal(s)
		if err := json.Unmarshal(ref, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%q decodes to %q, encoding/json's to %q", s, got, want)
		}
	})
}
