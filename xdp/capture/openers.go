package capture

import (
	"errors"

	"ptpwatch/xdp/afpacket"
	"ptpwatch/xdp/afxdp"
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

// XDPFrames is the number of UMEM chunks per queue ptpwatch asks for:
// 16 MiB of 2048-byte chunks, about 10 ms of frames at 800 k/s, so that the
// capture thread can lose the CPU to the kernel's receive work for a while
// without the fill ring running dry (measured on veth: with the 2048-chunk
// default about 1 % of a blast was lost that way). Without CAP_IPC_LOCK the
// UMEM must fit RLIMIT_MEMLOCK, and afxdp's smaller default is used.
const XDPFrames = 8192

func openXDP(ifname string) (Conn, error) {
	c, err := afxdp.Open(ifname, afxdp.Options{NumFrames: XDPFrames})
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
