package notify

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
)

// BenchmarkPublishBurst: a burst of 10,000 Device Detected into one
// channel's outbox in the store (one synced write), per op; the memory
// outbox beside it as the floor.
func BenchmarkPublishBurst(b *testing.B) {
	evs := events(10_000, state.DeviceDetected, "dev")
	for _, kind := range []string{"store", "memory"} {
		b.Run(kind, func(b *testing.B) {
			b.ReportAllocs()
			var back Backing = NewMemoryBacking()
			if kind == "store" {
				st := openStore(b, b.TempDir())
				defer st.Close()
				back = st
			}
			o := testOptions()
			o.MaxQueue = 1 << 30
			n := New(back, o)
			if err := n.AddChannel(ChannelOptions{Name: "b"}, nopSender{}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				n.Publish(evs...)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
		})
	}
}

type nopSender struct{}

func (nopSender) Kind() string                              { return "nop" }
func (nopSender) Target() string                            { return "nowhere" }
func (nopSender) Reliable() bool                            { return true }
func (nopSender) Send(_ context.Context, _ *Delivery) error { return nil }
func (nopSender) Close() error                              { return nil }

// BenchmarkBurstDelivery: a burst of 10,000 Device Detected, raised in
// ten batches of 1,000, through a webhook channel's outbox in the store
// to a receiver that discards the bodies, in digests of 1,000, per op:
// the whole cost of a burst on the appliance's side (reading, the
// outbox written and emptied, the bodies built and posted).
func BenchmarkBurstDelivery(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	st := openStore(b, b.TempDir())
	defer st.Close()
	log := state.NewEventLog(100_000)
	n := New(st, testOptions())
	wh, err := NewWebhook(WebhookConfig{URL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	if err := n.AddChannel(ChannelOptions{Name: "hook", DigestAfter: 100, DigestMax: 1000}, wh); err != nil {
		b.Fatal(err)
	}
	n.Watch(log)
	stop := start(b, n)
	defer stop()
	batches := make([][]state.Event, 10)
	for i := range batches {
		batches[i] = events(1000, state.DeviceDetected, fmt.Sprintf("dev%d-", i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	want := uint64(0)
	for range b.N {
		for _, evs := range batches {
			for i := range evs {
				log.Add(evs[i])
			}
		}
		want += 10_000
		for n.Status()[0].Delivered < want {
			time.Sleep(time.Millisecond)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10_000), "ns/event")
	b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/float64(b.N*10_000), "cpu-ns/event")
}

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
