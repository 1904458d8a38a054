//go:build linux

package capture

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/netlab"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// lab is a veth whose near end stays in the test's namespace (where the
// capture runs and reopens) and whose far end lives in a namespace of the
// test's own, with a free-running ptp4l master on it that may not set the
// clock. netlab removes everything when the test ends.
type lab struct {
	*netlab.Pair
	ptp *netlab.Proc
}

func needLab(t *testing.T) {
	t.Helper()
	netlab.Need(t, "veth pairs and namespaces (CAP_SYS_ADMIN, CAP_NET_ADMIN) and capture (CAP_NET_RAW)")
	netlab.NeedTools(t, "ptp4l", "capsh")
}

func newLab(t *testing.T) *lab {
	needLab(t)
	return &lab{Pair: netlab.NewPair(t, netlab.Options{Prefix: "pwc", FarAddr: "10.78.0.2/24", NearInTest: true})}
}

func (l *lab) startPTP() {
	l.ptp = l.Lab().PTP4L(l.Far, "ptp4l", l.FarIf,
		"masterOnly 1\nnetwork_transport UDPv4\nlogAnnounceInterval -2\nlogSyncInterval -3\ndomainNumber 0\n")
}

func (l *lab) stopPTP() { l.ptp.Stop() }

// methods are the capture methods this build can test.
func methods() []Method {
	var out []Method
	for _, m := range []Method{AFXDP, AFPacket} {
		if defaultOpeners()[m] != nil {
			out = append(out, m)
		}
	}
	return out
}

// TestLiveRecovery captures a real ptp4l over a veth with each method,
// deletes the veth mid-capture and puts it back: the capture raises Down
// and Up events and resumes by itself, and what it delivers decodes.
func TestLiveRecovery(t *testing.T) {
	for _, m := range methods() {
		t.Run(string(m), func(t *testing.T) {
			l := newLab(t)
			l.startPTP()
			var mu sync.Mutex
			var events []Event
			c, err := Open([]Spec{{Name: l.NearIf, Method: m}}, Options{RetryMin: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond,
				OnEvent: func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() }})
			if err != nil {
				var pe *PrivilegeError
				if errors.As(err, &pe) {
					t.Skipf("skipping: %v", err)
				}
				t.Fatal(err)
			}
			defer c.Close()

			ctx, cancel := context.WithCancel(context.Background())
			type got struct {
				mt   decode.MessageType
				at   time.Time
				tsrc source.TimestampSource
			}
			frames := make(chan got, 4096)
			readErr := make(chan error, 1)
			readerDone := make(chan struct{})
			// Close (deferred above, so run after this) only once the
			// reader's Next has returned.
			defer func() { cancel(); <-readerDone }()
			go func() {
				defer close(readerDone)
				var f source.Frame
				var d decode.Frame
				for {
					if err := c.Next(ctx, &f); err != nil {
						readErr <- err
						return
					}
					if d.Decode(f.Link, f.Data) != decode.ResultOK {
						readErr <- fmt.Errorf("frame does not decode: % x", f.Data)
						return
					}
					select {
					case frames <- got{d.PTP.MessageType, time.Now(), f.TSSource}:
					case <-ctx.Done():
						return
					}
				}
			}()
			count := func(d time.Duration) map[decode.MessageType]int {
				n := map[decode.MessageType]int{}
				deadline := time.After(d)
				for {
					select {
					case g := <-frames:
						n[g.mt]++
					case err := <-readErr:
						t.Fatalf("reading: %v", err)
					case <-deadline:
						return n
					}
				}
			}
			before := count(3 * time.Second)
			if before[decode.Sync] < 10 || before[decode.Announce] < 4 {
				t.Fatalf("before: %v; ptp4l:\n%s", before, l.ptp.Output())
			}
			if st := c.Status()[0]; st.Method != m || st.State != StateCapturing {
				t.Errorf("status: %+v", st)
			}
			l.stopPTP()
			l.Unlink()
			deleted := time.Now()
			count(time.Second)
			if st := c.Status()[0]; st.State != StateRetrying {
				t.Errorf("status with the veth gone: %+v", st)
			}
			l.Link()
			l.startPTP()
			after := count(4 * time.Second)
			t.Logf("%s: before %v, after re-adding the veth %v; status %+v", m, before, after, c.Status()[0])
			if after[decode.Sync] < 10 {
				t.Errorf("capture did not resume after the veth came back (%v after %v)", after, time.Since(deleted))
			}
			mu.Lock()
			defer mu.Unlock()
			var ups []bool
			for _, e := range events {
				ups = append(ups, e.Up)
			}
			if fmt.Sprint(ups) != "[true false true]" {
				t.Errorf("events %+v, want up, down, up", events)
			}
		})
	}
}
