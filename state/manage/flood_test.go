package manage_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/manage"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/afpacket"
	"github.com/ptpwatch/ptpwatch/xdp/netlab"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// rawMsg appends already-encoded PTP bytes.
type rawMsg []byte

func (r rawMsg) AppendTo(b []byte) []byte { return append(b, r...) }

// TestFloodOnTheWire sweeps 500 simulated responders behind one host over
// a flooding bridge and counts, with tshark on a third host, the frames
// ptpwatch sends: no second may carry more than the configured rate.
// Replies beyond the reply cap are still captured (the capture drops
// nothing), they only do not become nodes.
func TestFloodOnTheWire(t *testing.T) {
	netlab.Need(t, "building network namespaces")
	netlab.NeedTools(t, "dumpcap", "tshark")
	const responders, rate, replyCap = 500, 20, 300
	l := netlab.New(t, "pwf")
	sw := l.Switch("sw")
	capNS := sw.Host("cap", "10.79.0.100/24")
	simNS := sw.Host("sim", "10.79.0.1/24")
	monNS := sw.Host("mon")
	l.IP(simNS, "link", "set", "eth0", "promisc", "on")

	// The responders: one packet socket answering for 500 clocks.
	var simConn *afpacket.Capture
	if err := netlab.InNetns(simNS, func() error {
		var err error
		simConn, err = afpacket.Open("eth0", afpacket.Options{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer simConn.Close()
	var rs []*manage.Responder
	for i := 0; i < responders; i++ {
		rs = append(rs, &manage.Responder{Clock: decode.ClockIdentity{0x02, 0x79, 0, 0xff, 0xfe, 0, byte(i >> 8), byte(i)}, NumberPorts: 1,
			States: []decode.PortState{decode.PortStateSlave}})
	}
	var repliesSent atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Add(1)
	go func() {
		defer wg.Done()
		var fr source.Frame
		var f decode.Frame
		var out []byte
		for simConn.Next(ctx, &fr) == nil {
			if f.Decode(fr.Link, fr.Data) != decode.ResultOK || f.Version != 2 || f.PTP.MessageType != decode.Management ||
				f.PTP.Management.Action != decode.ActionGet {
				continue
			}
			req := f.PTP
			for i, r := range rs {
				ip := netip.AddrFrom4([4]byte{10, 79, 1 + byte(i>>8), byte(i)})
				if req.Flags&decode.FlagUnicast != 0 && f.DstIP != ip {
					continue
				}
				mac := [6]byte{0x02, 0x79, 0, 0, byte(i >> 8), byte(i)}
				r.Answer(&req, func(msg []byte) {
					e := decode.Encapsulation{Transport: decode.TransportUDPv4, SrcMAC: mac, SrcIP: ip, SrcPort: 320, DstPort: 320}
					out = e.AppendFrame(out[:0], rawMsg(msg))
					if _, err := simConn.Send(out); err == nil {
						repliesSent.Add(1)
					}
				})
			}
		}
	}()

	// The monitor records everything.
	pcap := filepath.Join(l.Dir, "flood.pcapng")
	mon := l.Start(monNS, "dumpcap", "dumpcap", "-q", "-i", "eth0", "-w", pcap)
	netlab.WaitFor(t, 10*time.Second, "dumpcap to start writing", func() (bool, string) {
		st, err := os.Stat(pcap)
		return err == nil && st.Size() > 0, fmt.Sprint(err)
	})

	// ptpwatch.
	conn, path := openEth0(t, capNS)
	model := state.NewModel(1, state.NewEventLog(1000))
	pipe := pipeline.New(model)
	s := manage.Defaults()
	s.Domains, s.IDs, s.Rate, s.GlobalRate, s.ReplyCap, s.TimeoutMs = "0", []string{"PORT_DATA_SET"}, rate, 100, replyCap, 2000
	m, err := manage.New(s, manage.Env{Sender: sendFunc(func(b []byte) (int64, error) { return conn.Send(b) }),
		Paths: func() []manage.Path { return []manage.Path{path} }})
	if err != nil {
		t.Fatal(err)
	}
	pipe.OnFrame = func(f *source.Frame, d *decode.Frame, _ *state.Observation, ok bool) {
		if ok {
			m.HandleFrame(d, 0, f.Timestamp)
		}
	}
	wg.Add(1)
	go func() { defer wg.Done(); pipe.Run(ctx, conn) }()
	plan := m.Plan()
	sum := m.Sweep(ctx)
	t.Logf("plan: %d frames; sweep: sent %d, replies %d (%d over the cap), nodes %d online %d, retries %d, %v",
		plan.Frames, sum.Sent, sum.Replies, sum.Capped, sum.Nodes, sum.Online, sum.Retries, time.Duration(sum.Finished-sum.Started).Round(time.Millisecond))
	if sum.Nodes != replyCap || sum.Capped != responders-replyCap || sum.Online != replyCap {
		t.Errorf("nodes %d (online %d), over cap %d: want %d online and %d over the cap", sum.Nodes, sum.Online, sum.Capped, replyCap, responders-replyCap)
	}
	// Every reply the responders sent was captured.
	netlab.WaitFor(t, 5*time.Second, "the capture to take every reply", func() (bool, string) {
		got, want := int64(pipe.Counters.Decoded.Load()), repliesSent.Load()+int64(sum.Sent)
		return got >= want, fmt.Sprintf("decoded %d PTP frames, %d replies and %d requests were sent", got, repliesSent.Load(), sum.Sent)
	})
	time.Sleep(500 * time.Millisecond) // let dumpcap write the last frames before it stops
	mon.Stop()

	// What left ptpwatch, as tshark counts it on the wire.
	out, err := exec.Command("tshark", "-r", pcap, "-Y", "eth.src == "+net.HardwareAddr(path.MAC[:]).String()+" && ptp",
		"-T", "fields", "-e", "frame.time_epoch").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	var times []float64
	for _, line := range strings.Fields(string(out)) {
		v, err := strconv.ParseFloat(line, 64)
		if err == nil {
			times = append(times, v)
		}
	}
	sort.Float64s(times)
	if len(times) != sum.Sent {
		t.Errorf("tshark saw %d frames from ptpwatch, it sent %d", len(times), sum.Sent)
	}
	worst, j := 0, 0
	for i := range times {
		for times[i]-times[j] >= 1 {
			j++
		}
		worst = max(worst, i-j+1)
	}
	t.Logf("tshark: %d frames from ptpwatch over %.1f s, at most %d in any second (rate %d)", len(times), times[len(times)-1]-times[0], worst, rate)
	if worst > rate {
		t.Errorf("%d frames within one second on the wire; the rate is %d", worst, rate)
	}
}
