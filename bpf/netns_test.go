//go:build linux

package bpf

import (
	"net"
	"testing"
	"time"

	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/netlab"
)

// vethLab makes a veth pair between two namespaces of the test's own (IPv6
// off, so the tests can count every frame); netlab removes them when the
// test ends. Nothing happens in the caller's namespace.
func vethLab(t *testing.T) *netlab.Pair {
	t.Helper()
	return netlab.NewPair(t, netlab.Options{Prefix: "pwf"})
}

// sendFrames writes frames onto ifname with a packet socket.
func sendFrames(ifname string, frames ...[]byte) error {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return err
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for _, fr := range frames {
		if err := unix.Sendto(fd, fr, 0, &unix.SockaddrLinklayer{Ifindex: ifi.Index}); err != nil {
			return err
		}
	}
	return nil
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

// attachAndSend attaches f in driver mode to the near end of p, sends an
// L2 Sync, a UDPv4 Sync and an ARP request from the far end, and returns
// the counters.
func attachAndSend(t *testing.T, f *Filter, p *netlab.Pair) Counters {
	var l link.Link
	if err := netlab.InNetns(p.Near, func() error {
		ifi, err := net.InterfaceByName(p.NearIf)
		if err != nil {
			return err
		}
		l, err = link.AttachXDP(link.XDPOptions{Program: f.Program(), Interface: ifi.Index, Flags: link.XDPDriverMode})
		return err
	}); err != nil {
		t.Fatalf("attach to %s: %v", p.NearIf, err)
	}
	defer l.Close()
	arp := handFrame(0x0806, append([]byte{0, 1, 8, 0, 6, 4, 0, 1}, make([]byte, 38)...))
	if err := netlab.InNetns(p.Far, func() error {
		return sendFrames(p.FarIf, frameOf(enc(decode.TransportL2), syncMsg()), frameOf(enc(decode.TransportUDPv4), syncMsg()), arp)
	}); err != nil {
		t.Fatal(err)
	}
	return waitCounters(t, f, 3)
}

// TestAttachVeth runs the generic program in driver mode on a veth in a
// namespace of its own: real frames, not test runs.
func TestAttachVeth(t *testing.T) {
	p := vethLab(t)
	f := loadForTest(t)
	c := attachAndSend(t, f, p)
	want := metaAsLoaded(Counters{Seen: 3, PTPL2: 1, PTPUDPv4: 1, Passed: 3, MetaWritten: 2})
	if c != want {
		t.Errorf("counters %+v, want %+v", c, want)
	}
}

// TestDeviceBound loads xdp_ptp_filter_hw bound to a veth and attaches it:
// the kernel links bpf_xdp_metadata_rx_timestamp, and veth has no hardware
// timestamp to give.
func TestDeviceBound(t *testing.T) {
	p := vethLab(t)
	var f *Filter
	if err := netlab.InNetns(p.Near, func() error {
		ifi, err := net.InterfaceByName(p.NearIf)
		if err != nil {
			return err
		}
		f, err = LoadDeviceBound(ifi.Index)
		return err
	}); err != nil {
		t.Fatalf("LoadDeviceBound: %v", err)
	}
	defer f.Close()
	if !f.DeviceBound() {
		t.Error("DeviceBound false")
	}
	c := attachAndSend(t, f, p)
	want := metaAsLoaded(Counters{Seen: 3, PTPL2: 1, PTPUDPv4: 1, Passed: 3, MetaWritten: 2})
	if c != want {
		t.Errorf("counters %+v, want %+v", c, want)
	}
}
