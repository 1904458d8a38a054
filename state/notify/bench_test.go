package notify

import (
	"context"
	"testing"

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
