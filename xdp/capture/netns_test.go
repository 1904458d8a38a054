//go:build linux

package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ptpwatch/decode"
	"ptpwatch/xdp/source"
)

// lab is a veth whose near end stays in the test's namespace (where the
// capture runs and reopens) and whose far end lives in a namespace of the
// test's own, with a free-running ptp4l master on it that may not set the
// clock. Everything is removed by name when the test ends.
type lab struct {
	t             *testing.T
	ns            string
	nearIf, farIf string
	dir           string
	mu            sync.Mutex
	ptp           *exec.Cmd
	log           bytes.Buffer
}

func needLab(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping the namespace integration test under -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("skipping: veth pairs and namespaces need root (CAP_SYS_ADMIN, CAP_NET_ADMIN); capture needs CAP_NET_RAW")
	}
	for _, cmd := range []string{"ip", "ptp4l", "capsh"} {
		if _, err := exec.LookPath(cmd); err != nil {
			t.Skipf("skipping: %s is not installed (make test installs iproute2, linuxptp and libcap2-bin)", cmd)
		}
	}
}

func sh(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func newLab(t *testing.T, tag string) *lab {
	needLab(t)
	base := fmt.Sprintf("pwc%d%s", os.Getpid()%1000000, tag)
	l := &lab{t: t, ns: base + "f", nearIf: base + "0", farIf: base + "1", dir: t.TempDir()}
	exec.Command("ip", "link", "del", l.nearIf).Run()
	exec.Command("ip", "netns", "del", l.ns).Run()
	t.Cleanup(func() {
		l.stopPTP()
		exec.Command("ip", "link", "del", l.nearIf).Run()
		exec.Command("ip", "netns", "del", l.ns).Run()
	})
	sh(t, "ip", "netns", "add", l.ns)
	sh(t, "ip", "-n", l.ns, "link", "set", "lo", "up")
	l.addVeth()
	return l
}

// addVeth (re)creates the veth pair.
func (l *lab) addVeth() {
	t := l.t
	sh(t, "ip", "link", "add", l.nearIf, "type", "veth", "peer", "name", l.farIf, "netns", l.ns)
	sh(t, "sysctl", "-qw", "net.ipv6.conf."+l.nearIf+".disable_ipv6=1")
	sh(t, "ip", "link", "set", l.nearIf, "up")
	sh(t, "ip", "-n", l.ns, "addr", "add", "10.78.0.2/24", "dev", l.farIf)
	sh(t, "ip", "-n", l.ns, "link", "set", l.farIf, "up")
}

func (l *lab) startPTP() {
	t := l.t
	conf := filepath.Join(l.dir, "ptp4l.conf")
	os.WriteFile(conf, []byte(`[global]
free_running 1
masterOnly 1
network_transport UDPv4
time_stamping software
logAnnounceInterval -2
logSyncInterval -3
domainNumber 0
uds_address `+filepath.Join(l.dir, "uds")+`
use_syslog 0
verbose 1
`), 0o644)
	cmd := exec.Command("ip", "netns", "exec", l.ns, "capsh", "--drop=cap_sys_time", "--",
		"-c", "exec ptp4l -f "+conf+" -i "+l.farIf)
	l.mu.Lock()
	defer l.mu.Unlock()
	cmd.Stdout, cmd.Stderr = &l.log, &l.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	l.ptp = cmd
}

func (l *lab) stopPTP() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ptp == nil {
		return
	}
	l.ptp.Process.Signal(syscall.SIGTERM)
	l.ptp.Wait()
	l.ptp = nil
}

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
	for i, m := range methods() {
		t.Run(string(m), func(t *testing.T) {
			l := newLab(t, string(rune('a'+i)))
			l.startPTP()
			var mu sync.Mutex
			var events []Event
			c, err := Open([]Spec{{Name: l.nearIf, Method: m}}, Options{RetryMin: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond,
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
				t.Fatalf("before: %v; ptp4l:\n%s", before, l.log.String())
			}
			if st := c.Status()[0]; st.Method != m || st.State != StateCapturing {
				t.Errorf("status: %+v", st)
			}
			l.stopPTP()
			sh(t, "ip", "link", "del", l.nearIf)
			deleted := time.Now()
			count(time.Second)
			if st := c.Status()[0]; st.State != StateRetrying {
				t.Errorf("status with the veth gone: %+v", st)
			}
			l.addVeth()
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
