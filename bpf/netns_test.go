//go:build linux

package bpf

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"ptpwatch/decode"
)

// vethNetns creates a network namespace of its own holding an up veth pair
// (a, b) and removes it, by name, when the test ends. Nothing happens in
// the caller's namespace.
func vethNetns(t *testing.T) (ns, a, b string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("bpf: a network namespace needs root; skipping")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("bpf: iproute2's ip is missing; skipping")
	}
	ns = fmt.Sprintf("ptpw-bpf-%d", os.Getpid())
	a, b = "ptpwbpf0", "ptpwbpf1"
	sh := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
	}
	sh("netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	// No IPv6 autoconfiguration chatter (MLD, neighbour discovery) on the
	// pair: the tests count every frame.
	sh("netns", "exec", ns, "sh", "-c",
		"echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6")
	sh("-n", ns, "link", "add", a, "type", "veth", "peer", "name", b)
	sh("-n", ns, "link", "set", a, "up")
	sh("-n", ns, "link", "set", b, "up")
	return ns, a, b
}

// inNetns runs fn on a thread moved into the namespace ns and moves the
// thread back afterwards (or lets it die with the goroutine if it cannot).
func inNetns(t *testing.T, ns string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			t.Error(err)
			return
		}
		defer orig.Close()
		target, err := os.Open("/run/netns/" + ns)
		if err != nil {
			t.Error(err)
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			t.Error(err)
			return
		}
		defer func() {
			if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil {
				runtime.UnlockOSThread()
			}
		}()
		fn()
	}()
	<-done
}

// sendFrames writes frames onto ifname with a packet socket.
func sendFrames(t *testing.T, ifname string, frames ...[]byte) {
	t.Helper()
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	for _, fr := range frames {
		if err := unix.Sendto(fd, fr, 0, &unix.SockaddrLinklayer{Ifindex: ifi.Index}); err != nil {
			t.Fatal(err)
		}
	}
}

// waitCounters polls until the program has seen n frames.
func waitCounters(t *testing.T, f *Filter, n uint64) Counters {
	t.Helper()
	var c Counters
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var err error
		if c, err = f.Counters(); err != nil {
			t.Fatal(err)
		}
		if c.Seen >= n {
			break
		}
	}
	return c
}

// attachAndSend attaches f in driver mode to a, sends an L2 Sync, a UDPv4
// Sync and an ARP request from b, and returns the counters.
func attachAndSend(t *testing.T, f *Filter, a, b string) Counters {
	ifi, err := net.InterfaceByName(a)
	if err != nil {
		t.Fatal(err)
	}
	l, err := link.AttachXDP(link.XDPOptions{Program: f.Program(), Interface: ifi.Index, Flags: link.XDPDriverMode})
	if err != nil {
		t.Fatalf("attach to %s: %v", a, err)
	}
	defer l.Close()
	arp := handFrame(0x0806, append([]byte{0, 1, 8, 0, 6, 4, 0, 1}, make([]byte, 38)...))
	sendFrames(t, b, frameOf(enc(decode.TransportL2), syncMsg()), frameOf(enc(decode.TransportUDPv4), syncMsg()), arp)
	return waitCounters(t, f, 3)
}

// TestAttachVeth runs the generic program in driver mode on a veth in a
// namespace of its own: real frames, not test runs.
func TestAttachVeth(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ns, a, b := vethNetns(t)
	f := loadForTest(t)
	inNetns(t, ns, func() {
		c := attachAndSend(t, f, a, b)
		want := metaAsLoaded(Counters{Seen: 3, PTPL2: 1, PTPUDPv4: 1, Passed: 3, MetaWritten: 2})
		if c != want {
			t.Errorf("counters %+v, want %+v", c, want)
		}
	})
}

// TestDeviceBound loads xdp_ptp_filter_hw bound to a veth and attaches it:
// the kernel links bpf_xdp_metadata_rx_timestamp, and veth has no hardware
// timestamp to give.
func TestDeviceBound(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ns, a, b := vethNetns(t)
	inNetns(t, ns, func() {
		ifi, err := net.InterfaceByName(a)
		if err != nil {
			t.Fatal(err)
		}
		f, err := LoadDeviceBound(ifi.Index)
		if err != nil {
			t.Fatalf("LoadDeviceBound: %v", err)
		}
		defer f.Close()
		if !f.DeviceBound() {
			t.Error("DeviceBound false")
		}
		c := attachAndSend(t, f, a, b)
		want := metaAsLoaded(Counters{Seen: 3, PTPL2: 1, PTPUDPv4: 1, Passed: 3, MetaWritten: 2})
		if c != want {
			t.Errorf("counters %+v, want %+v", c, want)
		}
	})
}
