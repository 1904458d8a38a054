package capture

import (
	"errors"
	"fmt"

	"github.com/ptpwatch/ptpwatch/xdp/afpacket"
	"github.com/ptpwatch/ptpwatch/xdp/afxdp"
)

// packetConn adapts an AF_PACKET capture.
type packetConn struct{ *afpacket.Capture }

func (p packetConn) Counters() map[string]uint64 {
	st, _ := p.Capture.Stats()
	return map[string]uint64{
		"received": st.Received, "vlanRestored": st.Restored, "filterAccepted": st.FilteredIn,
		"kernelDrops": st.Drops, "ringFreezes": st.FreezeQ, "emptyPolls": st.EmptyPolls, "sent": st.Sent,
	}
}

func (p packetConn) Queues() []int { return []int{-1} } // a packet socket reads every queue

func openPacket(ifname string) (Conn, error) {
	c, err := afpacket.Open(ifname, afpacket.Options{})
	if err != nil {
		return nil, err
	}
	return packetConn{c}, nil
}

// xdpConn adapts an AF_XDP capture.
type xdpConn struct{ *afxdp.Capture }

func (x xdpConn) Counters() map[string]uint64 {
	st, _ := x.Capture.Stats()
	out := map[string]uint64{
		"received": st.Received, "hardwareStamped": st.HWStamped, "badDescs": st.BadDescs,
		"emptyPolls": st.EmptyPolls, "fillKicks": st.FillKicks, "sent": st.Sent, "txCompleted": st.TXCompleted,
		"rxDropped": st.RxDropped, "rxRingFull": st.RxRingFull, "rxInvalidDescs": st.RxInvalidDescs,
		"fillRingEmpty": st.RxFillRingEmptyDescs,
	}
	if fc, err := x.Capture.FilterCounters(); err == nil {
		out["xdpSeen"], out["xdpRedirected"], out["xdpPassed"], out["xdpMalformed"] = fc.Seen, fc.Redirected, fc.Passed, fc.Malformed
	}
	return out
}

// XDPUMEMBytes is the UMEM ptpwatch gives one interface, shared by its
// queues: 64 MiB, 32768 chunks of 2048 bytes for a single queue, about
// 20 ms of frames at 1.6 M/s. The capture thread shares its core with the
// kernel's receive work, which preempts it; the UMEM is what lets it fall
// behind for a while without the fill ring running dry. Measured on veth
// with NIC-like XDP frames (bench, BenchmarkCaptureVethXDPFrames): with
// 8192 chunks the socket dropped 0.1-2.3 % at 1.2-1.8 M frames/s, with
// 32768 nothing up to 1.68 M/s. A NIC whose RSS spreads traffic over n
// queues gives each queue 1/n of it, so each gets 1/n of the UMEM. Without
// CAP_IPC_LOCK the UMEM must fit RLIMIT_MEMLOCK: afxdp halves it as needed.
const XDPUMEMBytes = 64 << 20

// Describe says how the AF_XDP capture runs, for the reason auto gives:
// where the program attached, copy or zero-copy, the UMEM, and where the
// timestamps come from.
func (x xdpConn) Describe() string {
	i := x.Capture.Info()
	s := "the XDP program attached in " + i.Attach.String() + " mode"
	if i.Attach == afxdp.AttachDriver {
		s = "the XDP program attached natively (driver mode)"
	}
	if i.ZeroCopy {
		s += ", AF_XDP sockets bound zero-copy"
	} else {
		s += ", AF_XDP sockets bound in copy mode (the driver offers no zero-copy)"
	}
	s += fmt.Sprintf(", %d chunks of UMEM per queue on %d queue(s)", i.NumFrames, len(i.Queues))
	if i.NoMetadata {
		s += "; this kernel refuses bpf_xdp_adjust_meta, so frames are stamped in user space"
	}
	return s
}

// keepsUp reports whether an AF_XDP capture is one auto should keep, and
// why not: zero-copy, or native (driver-mode) XDP in copy mode with a
// capture thread that runs at real-time priority (Options.Priority).
// Generic (skb) mode builds a socket buffer for every frame and then
// copies it, more work than AF_PACKET. Copy mode is more work for the
// kernel than AF_PACKET where XDP runs on socket buffers the driver has
// already built (veth: about 600 against 490 ns a frame, bench
// CaptureVethXDPFrames), and its reader wakes for every few frames where
// TPACKET_V3 wakes once a block: under normal scheduling, on a host whose
// receive work runs as a real-time thread (PREEMPT_RT, threaded NAPI) and
// whose CPU is shared, the reader waits runnable for the CPU long enough
// to let the fill ring run dry (up to 0.14 s measured) at rates AF_PACKET
// takes without loss. With the capture thread at SCHED_FIFO above the
// receive thread the fill ring stayed full (README, Benchmarks).
func (x xdpConn) keepsUp(prio int) (bool, string) {
	i := x.Capture.Info()
	if i.Attach != afxdp.AttachDriver {
		return false, "AF_XDP would run in generic (skb) mode, which costs more per frame than AF_PACKET"
	}
	if i.ZeroCopy {
		return true, ""
	}
	why := "AF_XDP on " + i.Ifname + " runs in copy mode (the driver offers no zero-copy), which keeps up with AF_PACKET only when its capture thread runs at real-time priority, "
	if prio <= 0 {
		return false, why + "and capture.priority is 0"
	}
	if err := probeRealtime(prio); err != nil {
		return false, why + "and SCHED_FIFO " + fmt.Sprint(prio) + " is refused (" + err.Error() + "; give the process CAP_SYS_NICE)"
	}
	return true, ""
}

func openXDP(ifname string) (Conn, error) {
	c, err := afxdp.Open(ifname, afxdp.Options{UMEMBytes: XDPUMEMBytes})
	var me *afxdp.MemlockError
	if errors.As(err, &me) {
		c, err = afxdp.Open(ifname, afxdp.Options{})
	}
	if err != nil {
		if errors.As(err, &me) {
			// A resource limit, like a missing capability, does not go
			// away by retrying.
			return nil, &PrivilegeError{Interface: ifname, Method: AFXDP, Err: err}
		}
		return nil, err
	}
	return xdpConn{c}, nil
}

// defaultOpeners are the capture methods this build has.
func defaultOpeners() map[Method]Opener {
	return map[Method]Opener{AFXDP: openXDP, AFPacket: openPacket}
}
