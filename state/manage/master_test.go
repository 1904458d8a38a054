package manage

import (
	"fmt"
	"math"
	"net/netip"
	"testing"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

type stampSender struct {
	at     int64
	frames [][]byte
}

func (s *stampSender) Send(_ int, b []byte) (int64, error) {
	s.frames = append(s.frames, append([]byte(nil), b...))
	return s.at, nil
}

// masterFrame wraps m as a UDPv4 frame from the master and decodes it.
func masterFrame(t testing.TB, m *decode.Message, f *decode.Frame) {
	e := decode.Encapsulation{Transport: decode.TransportUDPv4, SrcMAC: [6]byte{2, 0, 0, 0, 0, 0x10}, SrcIP: netip.MustParseAddr("10.9.0.16")}
	if f.Decode(decode.LinkEthernet, e.AppendFrame(nil, m)) != decode.ResultOK {
		t.Fatalf("master frame does not decode: %v", f.Reason)
	}
}

func ts(ns int64) decode.Timestamp {
	return decode.Timestamp{Seconds: uint64(ns / 1e9), Nanoseconds: uint32(ns % 1e9)}
}

// TestMasterOffset: a master whose clock runs 1.5 ms ahead, 40 µs away,
// measures as +1.5 ms with a 40 µs mean path delay, from two-step Sync,
// Follow_Up, our Delay_Req and its Delay_Resp; corrections count.
func TestMasterOffset(t *testing.T) {
	const ahead, delay = 1_500_000, 40_000
	self := SelfIdentity([6]byte{2, 0, 0, 0, 0, 1})
	snd := &stampSender{}
	c, err := NewMasterChecker(MasterSettings{Interval: 1, Mode: "unicast"}, self, Env{Sender: snd, Paths: func() []Path { return []Path{simPath()} }})
	if err != nil {
		t.Fatal(err)
	}
	master := decode.PortIdentity{Clock: clockN(16), Port: 1}
	hdr := func(mt decode.MessageType, seq uint16) decode.Header {
		return decode.Header{MessageType: mt, Version: 2, Source: master, Sequence: seq, Flags: decode.FlagTwoStep}
	}
	var f decode.Frame
	fr := source.Frame{TSSource: source.TimestampSoftware}
	base := int64(1_800_000_000) * 1e9
	for i := 0; i < 20; i++ {
		real := base + int64(i)*1e9
		// Sync leaves at real time `real`, stamped by the master's clock;
		// a transparent clock adds 3 µs of residence in the correction.
		fr.Timestamp = real + delay + 3000
		m := decode.Message{Header: hdr(decode.Sync, uint16(i))}
		m.Correction = decode.TimeInterval(1000 << 16)
		masterFrame(t, &m, &f)
		c.Observe(&fr, &f, 0)
		m = decode.Message{Header: hdr(decode.FollowUp, uint16(i)), Timestamp: ts(real + ahead)}
		m.Correction = decode.TimeInterval(2000 << 16)
		masterFrame(t, &m, &f)
		c.Observe(&fr, &f, 0)
		// Our Delay_Req leaves 100 ms later.
		snd.at = real + 100e6
		c.send((*c.targets.Load())[0], &MasterSettings{Interval: 1, Mode: "unicast"})
		var req decode.Frame
		req.Decode(decode.LinkEthernet, snd.frames[len(snd.frames)-1])
		if req.PTP.MessageType != decode.DelayReq || req.PTP.Flags&decode.FlagUnicast == 0 || req.DstIP.String() != "10.9.0.16" || req.DstPort != 319 {
			t.Fatalf("Delay_Req: %v to %v:%d flags %v", req.PTP.MessageType, req.DstIP, req.DstPort, req.PTP.Flags)
		}
		m = decode.Message{Header: hdr(decode.DelayResp, req.PTP.Sequence), Timestamp: ts(snd.at + delay + ahead), RequestingPort: self}
		m.LogMessageInterval = -1
		masterFrame(t, &m, &f)
		fr.Timestamp = snd.at + 2*delay + 5000
		c.Observe(&fr, &f, 0)
	}
	v := c.Masters()
	if len(v.Masters) != 1 {
		t.Fatalf("masters: %+v", v.Masters)
	}
	mv := v.Masters[0]
	if mv.Last == nil || mv.Last.OffsetNs != ahead || mv.Last.DelayNs != delay || mv.Offset24h.N != 20 || mv.Sent != 20 {
		t.Fatalf("last sample %+v, %d samples, %d sent; want offset %d delay %d", mv.Last, mv.Offset24h.N, mv.Sent, ahead, delay)
	}
	if mv.Offset15m.StdDev != 0 || mv.Delay15m.Mean != delay || mv.Last.RX != source.TimestampSoftware.String() {
		t.Errorf("figures: %+v %+v rx %q", mv.Offset15m, mv.Delay15m, mv.Last.RX)
	}
	// A Sync of a known master costs no allocation.
	m := decode.Message{Header: hdr(decode.Sync, 99)}
	masterFrame(t, &m, &f)
	if a := testing.AllocsPerRun(1000, func() { c.Observe(&fr, &f, 0) }); a != 0 {
		t.Errorf("Observe(Sync): %v allocs", a)
	}
}

func TestStability(t *testing.T) {
	flat := make([]int64, 64)
	ramp := make([]int64, 64)
	for i := range ramp {
		flat[i] = 500
		ramp[i] = int64(10 * i)
	}
	for _, tv := range tdev(flat, 1) {
		if tv.Value != 0 {
			t.Errorf("TDEV of a constant at %v s: %v", tv.TauS, tv.Value)
		}
	}
	for _, tv := range tdev(ramp, 1) {
		if math.Abs(tv.Value) > 1e-6 {
			t.Errorf("TDEV of a frequency offset (linear phase) at %v s: %v, want 0", tv.TauS, tv.Value)
		}
	}
	for _, tv := range mtie(ramp, 2) {
		if want := 10 * tv.TauS / 2; tv.Value != want {
			t.Errorf("MTIE of a ramp at %v s: %v, want %v", tv.TauS, tv.Value, want)
		}
	}
	// White phase noise of ±1: TDEV(τ0) = sqrt(1/6 * E[(x2-2x1+x0)^2]) = 1 for alternating ±1... check a known pattern.
	alt := make([]int64, 30)
	for i := range alt {
		alt[i] = int64(1 - 2*(i%2))
	}
	if got := tdev(alt, 1)[0].Value; math.Abs(got-math.Sqrt(16.0/6)) > 1e-9 {
		t.Errorf("TDEV(1) of ±1 alternating: %v, want sqrt(16/6)", got)
	}
	w := stats([]int64{1, 2, 3, 4})
	if w.Min != 1 || w.Max != 4 || w.Mean != 2.5 || math.Abs(w.StdDev-math.Sqrt(5.0/3)) > 1e-12 {
		t.Errorf("stats: %+v", w)
	}
	s := MasterSettings{Interval: 65536, Mode: "unicast"}
	if err := s.Validate(); err == nil || err.Error() != "master_check.interval = 65536: allowed 0-65535" {
		t.Errorf("Validate: %v", err)
	}
}

func TestPerSecond(t *testing.T) {
	s := func(at float64, off, del int64) MasterSample {
		return MasterSample{At: int64(at * 1e9), OffsetNs: off, DelayNs: del}
	}
	tests := []struct {
		name string
		in   []MasterSample
		want []SecondPoint
	}{
		{"none", nil, []SecondPoint{}},
		{"one", []MasterSample{s(100.2, 5, 7)}, []SecondPoint{{100, 5, 7, true}}},
		{"every 2 s, interpolated between", []MasterSample{s(100.1, 0, 1000), s(102.1, 200, 1200), s(104.3, 100, 1000)},
			[]SecondPoint{{100, 0, 1000, true}, {101, 100, 1100, false}, {102, 200, 1200, true}, {103, 150, 1100, false}, {104, 100, 1000, true}}},
		{"two in a second: their mean", []MasterSample{s(10.1, 10, 100), s(10.6, 20, 300), s(11.0, 0, 0)},
			[]SecondPoint{{10, 15, 200, true}, {11, 0, 0, true}}},
	}
	for _, tc := range tests {
		got := perSecond(tc.in)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// A long series keeps the last 900 seconds.
	var long []MasterSample
	for i := range 2000 {
		long = append(long, s(float64(i)+0.5, int64(i), 0))
	}
	if got := perSecond(long); len(got) != 900 || got[0].T != 1100 || got[899].T != 1999 {
		t.Errorf("long series: %d points from %d to %d", len(got), got[0].T, got[len(got)-1].T)
	}
}
