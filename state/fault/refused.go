package fault

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
)

// UnicastRefused is the finding for ICMP or ICMPv6 destination
// unreachable messages quoting PTP messages: a follower keeps talking
// (hybrid Delay_Req, unicast negotiation) to a master whose PTP service is
// gone.
const UnicastRefused Kind = "Unicast Refused"

func init() {
	Kinds = append(Kinds, struct {
		Kind     Kind
		Severity state.Severity
	}{UnicastRefused, state.Warning})
	state.RegisterEventType(UnicastRefused, state.Warning)
}

// refusal is what an ICMP destination unreachable tells about the PTP
// message it quotes.
type refusal struct {
	follower, master netip.Addr // the quoted datagram's source and destination
	code             uint8
	v6               bool
	hasPTP           bool // the quote reaches into the PTP header
	msgType          uint8
	version          uint8
	domain           uint8
	source           decode.PortIdentity
	seq              uint16
}

var msgNames = [16]string{"Sync", "Delay_Req", "Pdelay_Req", "Pdelay_Resp", "4", "5", "6", "7", "Follow_Up", "Delay_Resp",
	"Pdelay_Resp_Follow_Up", "Announce", "Signaling", "Management", "14", "15"}

// parseRefusal reads an Ethernet frame (any number of VLAN tags) carrying
// an ICMP type 3 or ICMPv6 type 1 (destination unreachable) whose quoted
// datagram is UDP to port 319 or 320, and the PTP common header inside the
// quote when it is long enough (IEEE 1588-2019 §13.3: messageType, version,
// domainNumber, sourcePortIdentity, sequenceId). It reports whether b is
// such a frame. It does not allocate.
func parseRefusal(b []byte, r *refusal) bool {
	*r = refusal{}
	if len(b) < 14 {
		return false
	}
	et := binary.BigEndian.Uint16(b[12:])
	p := 14
	for (et == 0x8100 || et == 0x88a8) && len(b) >= p+4 {
		et = binary.BigEndian.Uint16(b[p+2:])
		p += 4
	}
	b = b[p:]
	var q []byte // the quoted datagram
	switch et {
	case 0x0800:
		if len(b) < 20 || b[0]>>4 != 4 || b[9] != 1 {
			return false
		}
		ihl := int(b[0]&0x0f) * 4
		if ihl < 20 || len(b) < ihl+8 || b[ihl] != 3 {
			return false
		}
		r.code = b[ihl+1]
		q = b[ihl+8:]
		if len(q) < 20 || q[0]>>4 != 4 || q[9] != 17 {
			return false
		}
		qihl := int(q[0]&0x0f) * 4
		if qihl < 20 || len(q) < qihl+8 {
			return false
		}
		r.follower, r.master = netip.AddrFrom4([4]byte(q[12:16])), netip.AddrFrom4([4]byte(q[16:20]))
		q = q[qihl:]
	case 0x86dd:
		if len(b) < 48 || b[0]>>4 != 6 || b[6] != 58 || b[40] != 1 {
			return false
		}
		r.v6, r.code = true, b[41]
		q = b[48:]
		if len(q) < 48 || q[0]>>4 != 6 || q[6] != 17 {
			return false
		}
		r.follower, r.master = netip.AddrFrom16([16]byte(q[8:24])), netip.AddrFrom16([16]byte(q[24:40]))
		q = q[40:]
	default:
		return false
	}
	if dp := binary.BigEndian.Uint16(q[2:]); dp != 319 && dp != 320 {
		return false
	}
	h := q[8:]
	if len(h) >= 34 {
		r.hasPTP = true
		r.msgType, r.version, r.domain = h[0]&0x0f, h[1]&0x0f, h[4]
		copy(r.source.Clock[:], h[20:28])
		r.source.Port = binary.BigEndian.Uint16(h[28:])
		r.seq = binary.BigEndian.Uint16(h[30:])
	}
	return true
}

// refusals counts refusals per follower and master.
type refusals struct {
	mu   sync.Mutex
	seen map[[2]netip.Addr]*refusalCount
}

type refusalCount struct {
	times   []int64 // within the last minute
	open    bool
	last    int64
	subject string
	segment uint16
}

// Frame takes a frame the pipeline stored that is not PTP (the
// pipeline's OnStored with a nil observation), with its buffer number,
// capture time and segment, and looks for refused PTP messages in it. It
// is meant for the pipeline's reading goroutine and costs a few compares
// for frames that are not ICMP.
func (e *Engine) Frame(n uint64, t int64, segment uint16, data []byte) {
	if !e.cfg.cfg.Enabled || len(data) < 34 {
		return
	}
	var r refusal
	if !parseRefusal(data, &r) {
		return
	}
	e.ref.mu.Lock()
	defer e.ref.mu.Unlock()
	if e.ref.seen == nil {
		e.ref.seen = map[[2]netip.Addr]*refusalCount{}
	}
	k := [2]netip.Addr{r.follower, r.master}
	c := e.ref.seen[k]
	if c == nil {
		c = &refusalCount{subject: r.follower.String() + " → " + r.master.String(), segment: segment}
		e.ref.seen[k] = c
	}
	i := 0
	for i < len(c.times) && t-c.times[i] > minute {
		i++
	}
	c.times = append(c.times[i:], t)
	c.last = t
	if len(c.times) < 3 {
		return
	}
	what := "a message"
	if r.hasPTP {
		what = fmt.Sprintf("%s (PTPv%d, domain %d, from %s, sequenceId %d)", msgNames[r.msgType], r.version, r.domain, r.source, r.seq)
	}
	icmp := "ICMP destination unreachable"
	if r.v6 {
		icmp = "ICMPv6 destination unreachable"
	}
	if !c.open {
		c.open = true
		e.Book.raise(report{kind: UnicastRefused, severity: state.Warning, segment: segment, scope: "", subject: c.subject,
			explanation: fmt.Sprintf("%s answered %d PTP messages from %s within a minute with %s (code %d): its PTP service is gone while the follower still sends to it; the latest refused was %s",
				r.master, len(c.times), r.follower, icmp, r.code, what),
			evidence: []Evidence{{Frame: n, Time: t, What: icmp + " quoting " + what}}, at: t})
	}
}

// tickRefusals closes Unicast Refused findings with no refusal for the
// clear time and a minute.
func (e *Engine) tickRefusals(now int64) {
	e.ref.mu.Lock()
	defer e.ref.mu.Unlock()
	for k, c := range e.ref.seen {
		if now-c.last < e.cfg.clear+minute {
			continue
		}
		if c.open {
			e.Book.release(UnicastRefused, c.segment, c.subject, "", now, "no refusal for "+fmt.Sprint((now-c.last)/1e9)+"s")
		}
		delete(e.ref.seen, k)
	}
}

// StoredHook is the shape of the pipeline's OnStored hook: frame n as the
// RAM buffer stored it, with its observation (nil when not PTP).
type StoredHook = func(n uint64, m *ring.RecordMeta, link decode.LinkType, data []byte, o *state.Observation)

// OnStored returns a hook that calls next (when set), then hands e every
// Ethernet frame that is not PTP, so that ICMP quoting refused PTP
// messages reaches the Unicast Refused detector. segments[i] is the
// segment of the capture interface with index i.
func (e *Engine) OnStored(next StoredHook, segments []uint16) StoredHook {
	return func(n uint64, m *ring.RecordMeta, link decode.LinkType, data []byte, o *state.Observation) {
		if next != nil {
			next(n, m, link, data, o)
		}
		if o == nil && link == decode.LinkEthernet {
			seg := uint16(0)
			if int(m.IfIndex) < len(segments) {
				seg = segments[m.IfIndex]
			}
			e.Frame(n, m.Time, seg, data)
		}
	}
}
