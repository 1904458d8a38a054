//go:build linux

package capture

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/netlab"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// TestCountsMatchSenderSide captures a ptp4l master with each method while
// dumpcap records the same traffic on the sender's side of the veth; per
// message type the counts must be equal. The daemon starts after both
// captures and stops before them, so both see the whole of its traffic.
func TestCountsMatchSenderSide(t *testing.T) {
	needLab(t)
	netlab.NeedTools(t, "dumpcap", "tshark")
	for _, m := range methods() {
		t.Run(string(m), func(t *testing.T) {
			l := newLab(t)
			c, err := Open([]Spec{{Name: l.NearIf, Method: m}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			pcap := filepath.Join(l.Lab().Dir, "sender.pcapng")
			dump := l.Lab().Start(l.Far, "dumpcap", "dumpcap", "-q", "-i", l.FarIf, "-w", pcap,
				"-f", "udp port 319 or udp port 320 or ether proto 0x88f7")
			for deadline := time.Now().Add(10 * time.Second); !strings.Contains(dump.Output(), "File:"); time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("dumpcap did not start: %s", dump.Output())
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			counts := map[string]int{}
			done := make(chan struct{})
			go func() {
				defer close(done)
				var f source.Frame
				var d decode.Frame
				for c.Next(ctx, &f) == nil {
					if d.Decode(f.Link, f.Data) == decode.ResultOK {
						counts[d.PTP.MessageType.String()]++
					} else {
						counts["undecoded"]++
					}
				}
			}()
			l.startPTP()
			time.Sleep(4 * time.Second)
			l.stopPTP()
			time.Sleep(300 * time.Millisecond)
			cancel()
			<-done
			dump.Signal(syscall.SIGINT, 5*time.Second)
			out, err := exec.Command("tshark", "-n", "-r", pcap, "-Y", "ptp", "-T", "fields", "-e", "ptp.v2.messagetype").Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			names := map[string]string{"0x00": "Sync", "0x08": "Follow_Up", "0x0b": "Announce", "0x01": "Delay_Req",
				"0x09": "Delay_Resp", "0x0c": "Signaling", "0x0d": "Management"}
			want := map[string]int{}
			for _, line := range strings.Fields(string(out)) {
				n, ok := names[line]
				if !ok {
					n = line
				}
				want[n]++
			}
			t.Logf("%s: captured %v; sender side (tshark) %v", m, counts, want)
			if len(want) == 0 || want["Sync"] < 10 {
				t.Fatalf("the sender's capture is too thin: %v", want)
			}
			for k, v := range want {
				if counts[k] != v {
					t.Errorf("%s: %d captured, %d on the sender's side", k, counts[k], v)
				}
			}
			for k, v := range counts {
				if _, ok := want[k]; !ok {
					t.Errorf("%s: %d captured, none on the sender's side", k, v)
				}
			}
		})
	}
}
