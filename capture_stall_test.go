//go:build linux

package main

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/xdp/capture"
	"github.com/ptpwatch/ptpwatch/xdp/netlab"
)

// blastFrom sends n PTP Sync frames over UDPv4 from the far end of p as
// fast as a packet socket takes them and returns how many it took.
func blastFrom(t *testing.T, p *netlab.Pair, n int) int {
	t.Helper()
	enc := decode.Encapsulation{SrcMAC: [6]byte{0x02, 0, 0, 0, 0xb1, 0x01}, Transport: decode.TransportUDPv4,
		SrcIP: netip.MustParseAddr("10.79.0.2")}
	m := decode.Message{Header: decode.Header{MessageType: decode.Sync, Version: 2,
		Source: decode.PortIdentity{Clock: decode.ClockIdentity{0x02, 0, 0, 0xff, 0xfe, 0, 0xb1, 0x01}, Port: 1}}}
	frame := enc.AppendFrame(nil, &m)
	sent := 0
	err := netlab.InNetns(p.Far, func() error {
		ifi, err := net.InterfaceByName(p.FarIf)
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		sa := &unix.SockaddrLinklayer{Ifindex: ifi.Index}
		for range n {
			if unix.Sendto(fd, frame, 0, sa) == nil {
				sent++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sent
}

// TestCaptureTroubleLive opens capture on a veth, lets auto (and then
// af_packet) choose and explain itself, stalls the reader (nobody calls
// Next) while the far end blasts more frames than the method's buffer
// holds, and checks that the loss is raised as Capture Trouble naming its
// cause: for AF_XDP the empty fill ring, for AF_PACKET its full ring.
// On veth AF_XDP runs in copy mode, so auto takes it only with the
// capture thread at real-time priority (capture.priority), and AF_PACKET
// with priority 0, saying so.
func TestCaptureTroubleLive(t *testing.T) {
	for _, tc := range []struct {
		name     string
		method   capture.Method
		priority int
		blast    int
		want     capture.Method // auto's choice
	}{
		{"auto-priority", capture.Auto, capture.DefaultPriority, 120_000, capture.AFXDP},
		{"auto-normal", capture.Auto, 0, 120_000, capture.AFPacket},
		{"af_packet", capture.AFPacket, 0, 120_000, capture.AFPacket},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := netlab.NewPair(t, netlab.Options{Prefix: "ctl", NearAddr: "10.79.0.1/24", FarAddr: "10.79.0.2/24"})
			var live *capture.Capture
			err := netlab.InNetns(p.Near, func() (err error) {
				live, err = capture.Open([]capture.Spec{{Name: p.NearIf, Method: tc.method}}, capture.Options{Priority: tc.priority})
				return err
			})
			var pe *capture.PrivilegeError
			if errors.As(err, &pe) {
				t.Skipf("skipping: %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer live.Close()
			st := live.Status()[0]
			t.Logf("%s chose %s: %s", tc.method, st.Method, st.Reason)
			wantReason := string(st.Method) + ": "
			if tc.method != capture.Auto {
				wantReason = "configured"
			}
			if st.State != capture.StateCapturing || !strings.HasPrefix(st.Reason, wantReason) {
				t.Fatalf("status %+v: want capturing, with the method's reason", st)
			}
			if tc.method == capture.Auto {
				want := []string{"driver mode", "copy mode", "SCHED_FIFO 60"}
				if tc.want == capture.AFPacket {
					want = []string{"copy mode", "real-time priority", "capture.priority is 0"}
				} else if st.Method == capture.AFPacket && strings.Contains(st.Reason, "refused") {
					t.Skipf("skipping: this process may not use SCHED_FIFO, and auto said so: %s", st.Reason)
				}
				if st.Method != tc.want {
					t.Errorf("auto on veth chose %s, want %s: %s", st.Method, tc.want, st.Reason)
				}
				for _, w := range want {
					if !strings.Contains(st.Reason, w) {
						t.Errorf("auto on veth: reason %q does not say %q", st.Reason, w)
					}
				}
			}

			a := &appliance{model: state.NewModel(1, state.NewEventLog(100)), back: &backend{}}
			a.back.live.Store(live)
			a.watchCapture()
			sent := blastFrom(t, p, tc.blast)
			var drops map[string]uint64
			for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				if drops = live.Status()[0].Drops(); drops["no_buffer"]+drops["ring_full"] > 0 {
					break
				}
			}
			t.Logf("sent %d with the reader stalled; drops %v", sent, drops)
			a.watchCapture()
			var trouble []state.Event
			for _, e := range a.model.Events.Events(0, 100) {
				if e.Type == state.CaptureTrouble {
					trouble = append(trouble, e)
				}
			}
			if len(trouble) != 1 {
				t.Fatalf("Capture Trouble events %+v, want one", trouble)
			}
			want := map[capture.Method][]string{
				capture.AFXDP:    {"no_buffer +", "fill ring was empty", "fillRingEmpty="},
				capture.AFPacket: {"ring_full +", "ring to the reader was full", "kernelDrops="},
			}[st.Method]
			for _, w := range want {
				if !strings.Contains(trouble[0].Detail, w) {
					t.Errorf("Capture Trouble %q does not say %q", trouble[0].Detail, w)
				}
			}
			t.Logf("Capture Trouble: %s", trouble[0].Detail)
		})
	}
}
