package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
)

// Webhook header names.
const (
	HeaderSignature = "X-Ptpwatch-Signature" // "sha256=" hex HMAC-SHA256 of timestamp "." body under the secret
	HeaderTimestamp = "X-Ptpwatch-Timestamp" // Unix seconds, part of what is signed (stops replays)
	HeaderDelivery  = "X-Ptpwatch-Delivery"  // the first message's ID: a repeat carries the same
)

// WebhookConfig is one [[notify.webhook]] table.
type WebhookConfig struct {
	ChannelConfig
	URL string `toml:"url" json:"url"`
	// Format: "ptpwatch" (our JSON, with a "text" field that chat tools'
	// incoming webhooks show) or "alertmanager" (an array of alerts, as
	// Alertmanager's POST /api/v2/alerts takes).
	Format             string `toml:"format" json:"format"`
	Secret             string `toml:"secret" json:"-"`
	InsecureSkipVerify bool   `toml:"insecure_skip_verify" json:"insecureSkipVerify,omitempty"`
	CAFile             string `toml:"ca_file" json:"caFile,omitempty"`
}

// Check reports what is wrong with c.
func (c *WebhookConfig) Check() error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url %q: want an http:// or https:// URL", c.URL)
	}
	if err := checkHostPort(u.Host, u.Scheme); err != nil {
		return fmt.Errorf("url %q: %w", c.URL, err)
	}
	switch c.Format {
	case "", "ptpwatch", "alertmanager":
	default:
		return fmt.Errorf("format %q: want ptpwatch or alertmanager", c.Format)
	}
	if c.CAFile != "" {
		if _, err := loadCAs(c.CAFile); err != nil {
			return err
		}
	}
	return nil
}

// Webhook posts deliveries as JSON. Each request is signed when a secret
// is set: HeaderSignature is "sha256=" and the hex HMAC-SHA256, under the
// secret, of HeaderTimestamp's value, a '.', and the body. Any 2xx answer
// is a delivery; others are retried.
type Webhook struct {
	cfg    WebhookConfig
	client *http.Client

	mu  sync.Mutex
	buf []byte // a body's buffer the transport is done with, for the next
}

// maxKeptBody is the largest body buffer a Webhook keeps for the next.
const maxKeptBody = 4 << 20

// trackedBody is a request body that counts itself open until the
// transport closes it: only when every body given out for a request
// (GetBody makes more, for redirects and retries) is closed may its
// buffer be written again.
type trackedBody struct {
	*bytes.Reader
	open *atomic.Int32
	once sync.Once
}

func (b *trackedBody) Close() error {
	b.once.Do(func() { b.open.Add(-1) })
	return nil
}

// NewWebhook returns a webhook sender for c (checked).
func NewWebhook(c WebhookConfig) (*Webhook, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	tc := &tls.Config{InsecureSkipVerify: c.InsecureSkipVerify} //nolint:gosec // the user's choice, documented
	if c.CAFile != "" {
		pool, err := loadCAs(c.CAFile)
		if err != nil {
			return nil, err
		}
		tc.RootCAs = pool
	}
	tr := &http.Transport{TLSClientConfig: tc, MaxIdleConns: 2, IdleConnTimeout: time.Minute}
	return &Webhook{cfg: c, client: &http.Client{Transport: tr}}, nil
}

// Kind implements Sender.
func (w *Webhook) Kind() string { return "webhook" }

// Target implements Sender: the URL without user information or query.
func (w *Webhook) Target() string {
	u, err := url.Parse(w.cfg.URL)
	if err != nil {
		return "webhook"
	}
	u.User, u.RawQuery = nil, ""
	return u.String()
}

// Reliable implements Sender.
func (w *Webhook) Reliable() bool { return true }

// Close implements Sender.
func (w *Webhook) Close() error { w.client.CloseIdleConnections(); return nil }

// WebhookBody is the "ptpwatch" format's JSON.
type WebhookBody struct {
	ID       string          `json:"id"`
	Host     string          `json:"host"`
	Digest   bool            `json:"digest"`
	Count    int             `json:"count"`
	Title    string          `json:"title"`
	Text     string          `json:"text"` // chat tools show this
	Messages []WebhookRecord `json:"notifications"`
}

// WebhookRecord is one notification in a WebhookBody.
type WebhookRecord struct {
	ID            string `json:"id"`
	Kind          Kind   `json:"kind"`
	Type          string `json:"type"`
	Severity      string `json:"severity"`
	X733          string `json:"x733Severity"`
	AlarmID       uint32 `json:"alarmId"`
	Clear         bool   `json:"clear"`
	Time          string `json:"time"`
	Scope         string `json:"scope,omitempty"`
	Subject       string `json:"subject,omitempty"`
	Before        string `json:"before,omitempty"`
	After         string `json:"after,omitempty"`
	Detail        string `json:"detail,omitempty"`
	EventSequence uint64 `json:"eventSeq,omitempty"`
}

func record(m *Message) WebhookRecord {
	e := &m.Event
	return WebhookRecord{ID: m.ID, Kind: m.Kind, Type: string(e.Type), Severity: e.Severity.String(), X733: PerceivedSeverity(e).String(),
		AlarmID: AlarmID(e), Clear: IsClear(e.Type), Time: time.Unix(0, e.Time).UTC().Format(time.RFC3339Nano),
		Scope: e.Scope, Subject: e.Subject, Before: e.Before, After: e.After, Detail: e.Detail, EventSequence: e.Seq}
}

// body encodes d in the configured format.
func (w *Webhook) body(d *Delivery) ([]byte, error) {
	if w.cfg.Format == "alertmanager" {
		type alert struct {
			Labels       map[string]string `json:"labels"`
			Annotations  map[string]string `json:"annotations"`
			StartsAt     string            `json:"startsAt"`
			EndsAt       string            `json:"endsAt,omitempty"`
			GeneratorURL string            `json:"generatorURL,omitempty"`
		}
		var out []alert
		for _, m := range d.Messages {
			r := record(m)
			a := alert{Labels: map[string]string{"alertname": r.Type, "severity": r.Severity, "instance": d.Hostname,
				"alarm_id": strconv.FormatUint(uint64(r.AlarmID), 10)},
				Annotations: map[string]string{"summary": m.line(), "id": m.ID}, StartsAt: r.Time}
			if r.Scope != "" {
				a.Labels["scope"] = r.Scope
			}
			if r.Subject != "" {
				a.Labels["subject"] = r.Subject
			}
			if r.Detail != "" {
				a.Annotations["description"] = r.Detail
			}
			if r.Clear {
				// A clear resolves the alert its raise opened.
				a.Labels["alertname"] = string(clearOf[m.Event.Type])
				a.EndsAt = r.Time
			}
			if d.UIURL != "" {
				a.GeneratorURL = d.link(m)
			}
			out = append(out, a)
		}
		return json.Marshal(out)
	}
	return appendWebhookBody(make([]byte, 0, 512+300*len(d.Messages)), d), nil
}

// appendWebhookBody appends d as a WebhookBody's JSON, written directly
// (a digest of a thousand is built without reflection or a record per
// message); TestWebhookBodyJSON holds it to encoding/json's.
func appendWebhookBody(b []byte, d *Delivery) []byte {
	title := d.Title()
	b = append(b, `{"id":`...)
	b = appendJSONString(b, d.Messages[0].ID)
	b = append(b, `,"host":`...)
	b = appendJSONString(b, d.Hostname)
	b = append(b, `,"digest":`...)
	b = strconv.AppendBool(b, d.Digest)
	b = append(b, `,"count":`...)
	b = strconv.AppendInt(b, int64(len(d.Messages)), 10)
	b = append(b, `,"title":`...)
	b = appendJSONString(b, title)
	b = append(b, `,"text":`...)
	b = appendJSONString(b, title+"\n"+d.Text())
	b = append(b, `,"notifications":[`...)
	for i, m := range d.Messages {
		if i > 0 {
			b = append(b, ',')
		}
		e := &m.Event
		b = append(b, `{"id":`...)
		b = appendJSONString(b, m.ID)
		b = append(b, `,"kind":`...)
		b = appendJSONString(b, string(m.Kind))
		b = append(b, `,"type":`...)
		b = appendJSONString(b, string(e.Type))
		b = append(b, `,"severity":`...)
		b = appendJSONString(b, e.Severity.String())
		b = append(b, `,"x733Severity":`...)
		b = appendJSONString(b, PerceivedSeverity(e).String())
		b = append(b, `,"alarmId":`...)
		b = strconv.AppendUint(b, uint64(AlarmID(e)), 10)
		b = append(b, `,"clear":`...)
		b = strconv.AppendBool(b, IsClear(e.Type))
		b = append(b, `,"time":"`...)
		b = time.Unix(0, e.Time).UTC().AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
		for _, f := range [...]struct{ name, v string }{{`,"scope":`, e.Scope}, {`,"subject":`, e.Subject},
			{`,"before":`, e.Before}, {`,"after":`, e.After}, {`,"detail":`, e.Detail}} {
			if f.v != "" {
				b = appendJSONString(append(b, f.name...), f.v)
			}
		}
		if e.Seq != 0 {
			b = strconv.AppendUint(append(b, `,"eventSeq":`...), e.Seq, 10)
		}
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it (decode.AppendJSONString, the one escaper of the project).
func appendJSONString(b []byte, s string) []byte { return decode.AppendJSONString(b, s) }

// Sign returns the HeaderSignature value for body sent at timestamp ts
// under secret: receivers compute the same and compare with hmac.Equal.
func Sign(secret, ts string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return "sha256=" + hex.EncodeToString(h.Sum(nil))
}

// Send implements Sender.
func (w *Webhook) Send(ctx context.Context, d *Delivery) error {
	w.mu.Lock()
	buf := w.buf
	w.buf = nil
	w.mu.Unlock()
	var (
		body []byte
		err  error
	)
	if w.cfg.Format == "alertmanager" {
		body, err = w.body(d)
	} else {
		body = appendWebhookBody(buf[:0], d)
	}
	if err != nil {
		return err
	}
	open := new(atomic.Int32)
	newBody := func() (io.ReadCloser, error) {
		open.Add(1)
		return &trackedBody{Reader: bytes.NewReader(body), open: open}, nil
	}
	rb, _ := newBody()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, rb)
	if err != nil {
		return err
	}
	req.ContentLength, req.GetBody = int64(len(body)), newBody
	defer func() {
		if open.Load() == 0 && cap(body) <= maxKeptBody { // the transport is done with it
			w.mu.Lock()
			w.buf = body
			w.mu.Unlock()
		}
	}()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ptpwatch")
	req.Header.Set(HeaderDelivery, d.Messages[0].ID)
	req.Header.Set(HeaderTimestamp, ts)
	if w.cfg.Secret != "" {
		req.Header.Set(HeaderSignature, Sign(w.cfg.Secret, ts, body))
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", w.Target(), stripURL(err))
	}
	defer resp.Body.Close()
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook %s: answered %s", w.Target(), resp.Status)
	}
	return nil
}

// stripURL removes the URL (which may hold credentials or a token in its
// query) from an http.Client error.
func stripURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
