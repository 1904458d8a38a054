//go:build linux

package capture

import (
	"context"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/netlab"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// TestMirrorLeavesDaemonUndisturbed watches a ptp4l master and slave over a
// mirror: in the slave's namespace, tc mirred copies every frame the slave's
// port sends and receives to a monitor veth whose far end is captured here.
// The slave keeps its sync while each capture method runs, and the capture
// sees both directions of the exchange.
func TestMirrorLeavesDaemonUndisturbed(t *testing.T) {
	needLab(t)
	netlab.NeedTools(t, "tc")
	lab := netlab.New(t, "pwc")
	nsM, nsS := lab.Netns("m"), lab.Netns("s")
	link, mon, near := lab.Base+"L", lab.Base+"M", lab.Base+"0"
	lab.Veth(netlab.End{Netns: nsM, Name: link + "a"}, netlab.End{Netns: nsS, Name: link + "b"})
	lab.Veth(netlab.End{Name: near}, netlab.End{Netns: nsS, Name: mon})
	lab.IP(nsM, "addr", "add", "10.79.0.1/24", "dev", link+"a")
	lab.IP(nsS, "addr", "add", "10.79.0.2/24", "dev", link+"b")
	for _, a := range [][]string{{nsM, link + "a"}, {nsS, link + "b"}, {nsS, mon}, {"", near}} {
		lab.IP(a[0], "link", "set", a[1], "up")
	}
	lab.NoIPv6("", near)
	// Mirror both directions of the slave's port onto the monitor veth.
	// (clsact gives ingress and egress hooks; this kernel has no prio
	// qdisc, matchall or flower, hence u32 matching everything.)
	netlab.Run(t, "ip", "netns", "exec", nsS, "tc", "qdisc", "add", "dev", link+"b", "clsact")
	for _, dir := range []string{"ingress", "egress"} {
		netlab.Run(t, "ip", "netns", "exec", nsS, "tc", "filter", "add", "dev", link+"b", dir, "protocol", "all",
			"u32", "match", "u32", "0", "0", "action", "mirred", "egress", "mirror", "dev", mon)
	}

	const conf = "network_transport UDPv4\nlogAnnounceInterval -2\nlogSyncInterval -3\nlogMinDelayReqInterval -3\nsummary_interval -3\ndomainNumber 0\n"
	lab.PTP4L(nsM, "master", link+"a", conf+"masterOnly 1\n")
	slave := lab.PTP4L(nsS, "slave", link+"b", conf+"slaveOnly 1\n")
	slaveLog := slave.Output

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
