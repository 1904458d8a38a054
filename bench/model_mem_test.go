package bench

import (
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
)

// rssBytes reads the resident set size of this process.
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkModel100kInstances builds a model of 100,000 follower instances
// (each sending Delay_Req and answered by one of 100 masters, spread over 10
// domains) and reports the heap and RSS it needs. Target: RSS ≤ 256 MiB.
func BenchmarkModel100kInstances(b *testing.B) {
	const followers, masters = 100_000, 100
	for b.Loop() {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		m := state.NewModel(1, state.NewEventLog(1000))
		sh := m.Shard(0)
		var f decode.Frame
		var o state.Observation
		e := decode.Encapsulation{Transport: decode.TransportUDPv4, SrcIP: netip.MustParseAddr("10.0.0.1")}
		buf := make([]byte, 0, 256)
		t := int64(1_700_000_000e9)
		for i := 0; i < followers; i++ {
			id := decode.ClockIdentity{0xa0, 0x36, 0x9f, 0xff, 0xfe, byte(i >> 16), byte(i >> 8), byte(i)}
			dom := uint8(i % 10)
			req := decode.Message{Header: decode.Header{MessageType: decode.DelayReq, Version: 2, Domain: dom,
				Source: decode.PortIdentity{Clock: id, Port: 1}, Sequence: 1, LogMessageInterval: 0x7f}}
			buf = e.AppendFrame(buf[:0], &req)
			f.Decode(decode.LinkEthernet, buf)
			state.Observe(&f, 0, t, false, &o)
			sh.Apply(&o)
			mi := i % masters
			resp := decode.Message{Header: decode.Header{MessageType: decode.DelayResp, Version: 2, Domain: dom,
				Source: decode.PortIdentity{Clock: decode.ClockIdentity{0xec, 0x46, 0x70, 0xff, 0xfe, 0, 0, byte(mi)}, Port: 1}, Sequence: 1},
				RequestingPort: req.Source}
			buf = e.AppendFrame(buf[:0], &resp)
			f.Decode(decode.LinkEthernet, buf)
			state.Observe(&f, 0, t, false, &o)
			sh.Apply(&o)
			t += 10_000
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/followers, "heap-B/instance")
		b.ReportMetric(float64(rssBytes())/(1<<20), "RSS-MiB")
		runtime.KeepAlive(m)
	}
}
