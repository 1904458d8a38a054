package manage_test

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state/manage"
	"github.com/ptpwatch/ptpwatch/xdp/afpacket"
	"github.com/ptpwatch/ptpwatch/xdp/netlab"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// TestQueryV1 runs `ptpwatch query --subdomain _DFLT` on a veth whose far
// end answers PTPv1 management as ptpd 1.x does (a simulated node on a
// packet socket: no daemon here speaks v1): the answer, carrying the
// node's own sequenceId, is printed with its 1588-2002 name and fields.
func TestQueryV1(t *testing.T) {
	p := netlab.NewPair(t, netlab.Options{Prefix: "mqv", NearAddr: "10.88.0.1/24", FarAddr: "10.88.0.2/24"})
	var far *afpacket.Capture
	var mac [6]byte
	if err := netlab.InNetns(p.Far, func() error {
		ifc, err := net.InterfaceByName(p.FarIf)
		if err != nil {
			return err
		}
		copy(mac[:], ifc.HardwareAddr)
		far, err = afpacket.Open(p.FarIf, afpacket.Options{IgnoreOutgoing: true})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer far.Close()
	clock := decode.ClockIdentity{mac[0], mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]}
	node := &manage.Responder{Clock: clock, V1Subdomain: "_DFLT", States: []decode.PortState{decode.PortStateMaster},
		Parent: decode.PortIdentity{Clock: clock, Port: 1}, Grandmaster: clock}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var fr source.Frame
		var f decode.Frame
		for far.Next(ctx, &fr) == nil {
			if f.Decode(fr.Link, fr.Data) != decode.ResultOK || f.Version != 1 {
				continue
			}
			node.AnswerV1(&f.V1, func(msg []byte) {
				e := decode.Encapsulation{Transport: decode.TransportUDPv4, SrcMAC: mac, SrcIP: netip.MustParseAddr("10.88.0.2"), SrcPort: 320, DstPort: 320}
				far.Send(e.AppendFrame(nil, rawV1(msg)))
			})
		}
	}()
	defer func() { cancel(); wg.Wait() }()

	var out, errb bytes.Buffer
	var code int
	if err := netlab.InNetns(p.Near, func() error {
		code = manage.QueryCommand([]string{"-i", p.NearIf, "--local", "--subdomain", "_DFLT", "--timeout", "1500ms", "GET PORT_DATA_SET", "GET PARENT_DATA_SET"}, &out, &errb)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	o := out.String()
	t.Logf("exit %d:\n%s%s", code, o, errb.String())
	want := []string{"PTP_MM_PORT_DATA_SET", "portState", "PTP_MASTER", "PTP_MM_PARENT_DATA_SET", "grandmasterUuid", strings.ReplaceAll(net.HardwareAddr(mac[:]).String(), ":", "")}
	for _, w := range want {
		if !strings.Contains(o, w) {
			t.Errorf("query output lacks %q", w)
		}
	}
	if code != 0 {
		t.Errorf("exit %d", code)
	}
	// A subdomain name longer than 16 octets, or PTPv1 over UDPv6, is refused.
	var o2, e2 bytes.Buffer
	if c := manage.QueryCommand([]string{"-i", p.NearIf, "--local", "--subdomain", "a-name-of-17-octs", "GET PORT_DATA_SET"}, &o2, &e2); c != 2 || !strings.Contains(e2.String(), "16 octets") {
		t.Errorf("long subdomain: exit %d: %s", c, e2.String())
	}
	if c := manage.QueryCommand([]string{"-i", p.NearIf, "-6", "--local", "--subdomain", "_DFLT", "GET PORT_DATA_SET"}, &o2, &e2); c != 2 {
		t.Errorf("PTPv1 over UDPv6: exit %d", c)
	}
}

type rawV1 []byte

func (r rawV1) AppendTo(b []byte) []byte { return append(b, r...) }
