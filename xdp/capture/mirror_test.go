//go:build linux

package capture

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ptpwatch/decode"
	"ptpwatch/xdp/source"
)

// TestMirrorLeavesDaemonUndisturbed watches a ptp4l master and slave over a
// mirror: in the slave's namespace, tc mirred copies every frame the slave's
// port sends and receives to a monitor veth whose far end is captured here.
// The slave keeps its sync while each capture method runs, and the capture
// sees both directions of the exchange.
func TestMirrorLeavesDaemonUndisturbed(t *testing.T) {
	needLab(t)
	if _, err := exec.LookPath("tc"); err != nil {
		t.Skip("skipping: tc (iproute2) is not installed")
	}
	base := fmt.Sprintf("pwm%d", os.Getpid()%1000000)
	nsM, nsS := base+"m", base+"s"
	link, mon, near := base+"L", base+"M", base+"0"
	dir := t.TempDir()
	cleanup := func() {
		exec.Command("ip", "link", "del", near).Run()
		exec.Command("ip", "netns", "del", nsM).Run()
		exec.Command("ip", "netns", "del", nsS).Run()
	}
	cleanup()
	t.Cleanup(cleanup)
	sh(t, "ip", "netns", "add", nsM)
	sh(t, "ip", "netns", "add", nsS)
	sh(t, "ip", "link", "add", link+"a", "netns", nsM, "type", "veth", "peer", "name", link+"b", "netns", nsS)
	sh(t, "ip", "link", "add", near, "type", "veth", "peer", "name", mon, "netns", nsS)
	sh(t, "ip", "-n", nsM, "addr", "add", "10.79.0.1/24", "dev", link+"a")
	sh(t, "ip", "-n", nsS, "addr", "add", "10.79.0.2/24", "dev", link+"b")
	for _, a := range [][]string{{nsM, link + "a"}, {nsS, link + "b"}, {nsS, mon}, {nsM, "lo"}, {nsS, "lo"}} {
		sh(t, "ip", "-n", a[0], "link", "set", a[1], "up")
	}
	sh(t, "sysctl", "-qw", "net.ipv6.conf."+near+".disable_ipv6=1")
	sh(t, "ip", "link", "set", near, "up")
	// Mirror both directions of the slave's port onto the monitor veth.
	// (clsact gives ingress and egress hooks; this kernel has no prio
	// qdisc, matchall or flower, hence u32 matching everything.)
	sh(t, "ip", "netns", "exec", nsS, "tc", "qdisc", "add", "dev", link+"b", "clsact")
	for _, dir := range []string{"ingress", "egress"} {
		sh(t, "ip", "netns", "exec", nsS, "tc", "filter", "add", "dev", link+"b", dir, "protocol", "all",
			"u32", "match", "u32", "0", "0", "action", "mirred", "egress", "mirror", "dev", mon)
	}

	conf := func(name, extra string) string {
		p := filepath.Join(dir, name+".conf")
		os.WriteFile(p, []byte(`[global]
free_running 1
network_transport UDPv4
time_stamping software
logAnnounceInterval -2
logSyncInterval -3
logMinDelayReqInterval -3
summary_interval -3
domainNumber 0
uds_address `+filepath.Join(dir, name+".uds")+`
use_syslog 0
verbose 1
`+extra), 0o644)
		return p
	}
	var logs sync.Map
	start := func(ns, name, cfg, ifname string) {
		var out lockedBuffer
		cmd := exec.Command("ip", "netns", "exec", ns, "capsh", "--drop=cap_sys_time", "--",
			"-c", "exec ptp4l -f "+cfg+" -i "+ifname)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		logs.Store(name, &out)
		t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	}
	start(nsM, "master", conf("master", "masterOnly 1\n"), link+"a")
	start(nsS, "slave", conf("slave", "slaveOnly 1\n"), link+"b")
	slaveLog := func() string { v, _ := logs.Load("slave"); return v.(*lockedBuffer).String() }

	// samples returns the slave's reported path delays (ns) logged after
	// mark (a byte position in its log). A free-running ptp4l 3.1 slave
	// reports one every two seconds.
	samples := func(mark int) []float64 {
		var out []float64
		for _, m := range offsetRE.FindAllStringSubmatch(slaveLog()[mark:], -1) {
			v, _ := strconv.ParseFloat(m[2], 64)
			out = append(out, v)
		}
		return out
	}
	// Wait for the slave to lock on.
	for deadline := time.Now().Add(20 * time.Second); len(samples(0)) < 2; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the slave reports no offsets; its log:\n%s", slaveLog())
		}
	}
	lockedAt := len(slaveLog())
	phase := func(name string, during func(ctx context.Context)) (delay float64, n int) {
		mark := len(slaveLog())
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
		defer cancel()
		if during != nil {
			during(ctx)
		}
		<-ctx.Done()
		d := samples(mark)
		delay = mean(d)
		t.Logf("%s: %d reports from the slave, mean path delay %.0f ns (%v)", name, len(d), delay, d)
		return delay, len(d)
	}
	baseDelay, baseN := phase("no capture", nil)
	for _, m := range methods() {
		var counts map[decode.MessageType]int
		delay, n := phase("capturing with "+string(m), func(ctx context.Context) {
			c, err := Open([]Spec{{Name: near, Method: m}}, Options{})
			if err != nil {
				t.Fatalf("%s: %v", m, err)
			}
			counts = map[decode.MessageType]int{}
			var f source.Frame
			var d decode.Frame
			for c.Next(ctx, &f) == nil {
				if d.Decode(f.Link, f.Data) == decode.ResultOK {
					counts[d.PTP.MessageType]++
				}
			}
			if st := c.Status()[0]; st.Method != m {
				t.Errorf("capture used %s, not %s", st.Method, m)
			}
			c.Close()
		})
		t.Logf("%s saw through the mirror: %v", m, counts)
		for _, mt := range []decode.MessageType{decode.Sync, decode.FollowUp, decode.DelayReq, decode.DelayResp, decode.Announce} {
			if counts[mt] == 0 {
				t.Errorf("%s: no %v through the mirror", m, mt)
			}
		}
		// The slave kept measuring at the same pace, and the delay it
		// measures did not grow beyond a generous bound (this machine is
		// shared and noisy).
		if n < baseN-1 {
			t.Errorf("%s: the slave reported %d times, %d without capture", m, n, baseN)
		}
		if delay > 5*baseDelay+20_000 {
			t.Errorf("%s: the slave's path delay %.0f ns against %.0f ns without capture", m, delay, baseDelay)
		}
	}
	// Its port never changed state once it had locked on.
	if after := slaveLog()[lockedAt:]; strings.Contains(after, "port 1: ") {
		t.Errorf("the slave's port changed state while we watched:\n%s", after)
	}
}

var offsetRE = regexp.MustCompile(`master offset\s+(-?\d+) .* path delay\s+(-?\d+)`)

func mean(v []float64) float64 {
	if len(v) == 0 {
		return math.Inf(1)
	}
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
