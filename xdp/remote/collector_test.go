package remote

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/source"
	"github.com/ptpwatch/ptpwatch/xdp/source/sourcetest"
)

func startCollector(t testing.TB, cfg CollectorConfig) *Collector {
	t.Helper()
	if cfg.Keys == nil {
		cfg.Keys = []Key{testKey(t, 5, 1)}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	c, err := NewCollector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
	}
}

// sender seals batches of one frame each and publishes them straight into
// a collector's stream, as a probe's forwarder would.
type sender struct {
	js     jetstream.JetStream
	sealer *Sealer
	enc    *Encoder
	seq    uint64
	env    []byte
}

func newSender(t testing.TB, url string, k Key, site string) *sender {
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	s, err := NewSealer(k, site, uint64(time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	e := NewEncoder(1 << 16)
	e.SetInterfaces([]source.Interface{{Name: "eth0", Segment: 1}})
	return &sender{js: js, sealer: s, enc: e, seq: 1}
}

// seal returns the envelope of one batch of frames.
func (s *sender) seal(frames ...[]byte) []byte {
	s.enc.Reset(s.seq, Drops{})
	for i, b := range frames {
		s.enc.Add(&source.Frame{Data: b, OrigLen: len(b), Timestamp: time.Now().UnixNano() + int64(i), TSSource: source.TimestampSoftware, Link: decode.LinkEthernet})
	}
	s.seq += uint64(len(frames))
	env, _ := s.sealer.Seal(nil, s.enc.Bytes(), s.enc.FirstSeq(), uint32(s.enc.Len()))
	return env
}

func (s *sender) publish(t testing.TB, env []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.js.Publish(ctx, FramesSubject+"."+string(s.sealer.Site), env); err != nil {
		t.Fatal(err)
	}
}

// TestSource runs the frame source conformance suite on a collector fed
// by sealed batches of one frame each through a NATS server in another
// process (the collector's external-URL mode).
func TestSource(t *testing.T) {
	var c *Collector
	var snd *sender
	sourcetest.Run(t, sourcetest.Harness{
		Open: func(t *testing.T) source.Source {
			url := serverProcess(t)
			c = startCollector(t, CollectorConfig{URL: url})
			snd = newSender(t, url, testKey(t, 5, 1), "site-a")
			return c
		},
		Send: func(t *testing.T, frame []byte) {
			before := c.handed.Load()
			snd.publish(t, snd.seal(frame))
			waitFor(t, 5*time.Second, "the collector to take the batch", func() bool { return c.handed.Load() > before })
		},
		TSSource:   source.TimestampSoftware,
		EmptyPolls: func(src source.Source) uint64 { return src.(*Collector).EmptyPolls() },
		ErrClosed:  ErrClosed,
	})
}

func ExampleValidSite() {
	fmt.Println(ValidSite("paris-dc2"), ValidSite("paris.dc2"))
	// Output: true false
}
