package capture

import (
	"ptpwatch/xdp/afpacket"
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

// defaultOpeners are the capture methods this build has.
func defaultOpeners() map[Method]Opener {
	return map[Method]Opener{AFPacket: openPacket}
}
