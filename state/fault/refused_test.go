package fault

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
)

// refusedFrame builds what a master whose ptp4l is gone sends a hybrid
// follower: an ICMP port unreachable quoting the follower's Delay_Req.
func refusedFrame(t testing.TB, v6 bool, seq uint16) []byte {
	t.Helper()
	follower := decode.PortIdentity{Clock: decode.ClockIdentity{0xa0, 0x36, 0x9f, 0xff, 0xfe, 0, 1, 5}, Port: 1}
	msg := &decode.Message{}
	msg.Version, msg.MessageType, msg.Source, msg.Sequence, msg.LogMessageInterval = 2, decode.DelayReq, follower, seq, 0x7f
	enc := decode.Encapsulation{Transport: decode.TransportUDPv4, SrcIP: netip.MustParseAddr("10.0.1.5"), DstIP: netip.MustParseAddr("10.0.0.1"),
		SrcPort: 319, DstPort: 319}
	if v6 {
		enc.Transport, enc.SrcIP, enc.DstIP = decode.TransportUDPv6, netip.MustParseAddr("fd00::1:5"), netip.MustParseAddr("fd00::1")
	}
	quoted := enc.AppendFrame(nil, msg)[14:] // the IP datagram the follower sent
	eth := []byte{0xa0, 0x36, 0x9f, 0, 1, 5, 0xec, 0x46, 0x70, 0, 0, 1}
	if !v6 {
		b := append(eth, 0x08, 0x00)
		ip := make([]byte, 20)
		ip[0], ip[8], ip[9] = 0x45, 64, 1
		binary.BigEndian.PutUint16(ip[2:], uint16(20+8+len(quoted)))
		copy(ip[12:], []byte{10, 0, 0, 1})
		copy(ip[16:], []byte{10, 0, 1, 5})
		b = append(b, ip...)
		b = append(b, 3, 3, 0, 0, 0, 0, 0, 0) // port unreachable
		return append(b, quoted...)
	}
	b := append(eth, 0x86, 0xdd)
	ip := make([]byte, 40)
	ip[0], ip[6], ip[7] = 0x60, 58, 64
	binary.BigEndian.PutUint16(ip[4:], uint16(8+len(quoted)))
	b = append(b, ip...)
	b = append(b, 1, 4, 0, 0, 0, 0, 0, 0) // port unreachable
	return append(b, quoted...)
}

func TestParseRefusal(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		var r refusal
		if !parseRefusal(refusedFrame(t, v6, 77), &r) {
			t.Fatalf("v6 %v: not read as a refusal", v6)
		}
		if !r.hasPTP || r.msgType != uint8(decode.DelayReq) || r.seq != 77 || r.version != 2 || r.source.Port != 1 || r.code != map[bool]uint8{false: 3, true: 4}[v6] {
			t.Errorf("v6 %v: %+v", v6, r)
		}
		if want := map[bool]string{false: "10.0.1.5", true: "fd00::1:5"}[v6]; r.follower.String() != want {
			t.Errorf("follower %s, want %s", r.follower, want)
		}
		// cut anywhere: never a panic, and a quote too short for the PTP
		// header is still a refusal of port 319 without the header
		f := refusedFrame(t, v6, 77)
		for n := 0; n < len(f); n++ {
			parseRefusal(f[:n], &r)
		}
	}
}

func FuzzParseRefusal(f *testing.F) {
	f.Add(refusedFrame(f, false, 1))
	f.Add(refusedFrame(f, true, 2))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r refusal
		if parseRefusal(b, &r) && r.hasPTP && r.msgType > 15 {
			t.Fatalf("message type %d", r.msgType)
		}
	})
}

// TestUnicastRefused: three refusals within a minute open one Unicast
// Refused naming follower and master; a quiet minute and the clear time
// close it.
func TestUnicastRefused(t *testing.T) {
	log := state.NewEventLog(0)
	e, err := New(DefaultConfig(), log)
	if err != nil {
		t.Fatal(err)
	}
	m := state.NewModel(1, log)
	e.Attach(m)
	t0 := int64(1735689600e9)
	s := int64(time.Second)
	for i := int64(0); i < 5; i++ {
		e.Frame(uint64(100+i), t0+i*s, 0, refusedFrame(t, false, uint16(i)))
	}
	for i := int64(5); i < 120; i++ {
		m.Shard(0).Tick(t0 + i*s)
	}
	var got []verdict
	for _, ev := range log.Events(0, 0) {
		if isVerdict(ev.Type) {
			got = append(got, verdict{time.Duration(ev.Time - t0), ev.Type, ev.Subject, ev.Detail})
		}
	}
	sec := time.Second
	checkVerdicts(t, got, []want{{UnicastRefused, "10.0.1.5 → 10.0.0.1", 2 * sec, 2 * sec}, {FindingClosed, "10.0.1.5 → 10.0.0.1", 74 * sec, 75 * sec}})
	if len(got) > 0 {
		t.Log(got[0].detail)
	}
}
