package decode

import (
	"bytes"
	"compress/gzip"
	"flag"
	"io"
	"net/netip"
	"os"
	"testing"

	"github.com/ptpwatch/ptpwatch/decode/decodetest"
	"github.com/ptpwatch/ptpwatch/decode/pcapng"
)

// The fixture is a capture this package builds with its own encoders,
// covering every message type, TLV, management ID, transport, VLAN depth,
// link type and PTPv1 message, committed together with tshark's dissection
// of it. `go test ./decode -run TestFixture -update` rebuilds both.
var update = flag.Bool("update", false, "rewrite testdata/fixture.pcapng and its tshark golden")

const (
	fixtureFile = "testdata/fixture.pcapng"
	fixtureGold = "testdata/fixture.tshark.json.gz"
)

// fixtureFrame is one frame of the fixture and the link type it is written with.
type fixtureFrame struct {
	link    LinkType
	data    []byte
	comment string
}

// fixtureFrames builds the fixture's frames.
func fixtureFrames() []fixtureFrame {
	var out []fixtureFrame
	add := func(comment string, e Encapsulation, m Appender) {
		out = append(out, fixtureFrame{LinkEthernet, e.AppendFrame(nil, m), comment})
	}
	encs := sampleEncapsulations()
	// Every message type on every transport, untagged.
	for _, e := range encs[:3] {
		for _, m := range sampleMessages() {
			m := m
			add(e.Transport.String()+" "+m.MessageType.String(), e, &m)
		}
	}
	// One to four VLAN tags of each TPID on every transport.
	for _, e := range encs[3:] {
		for _, m := range sampleMessages()[:1] {
			m := m
			add("tagged", e, &m)
		}
	}
	// IPv4 options and an IPv6 extension-header chain.
	sync := sampleMessages()[0]
	v4 := Encapsulation{Transport: TransportUDPv4, SrcIP: netip.MustParseAddr("192.0.2.1"),
		IPv4Options: []byte{0x94, 0x04, 0x00, 0x00}} // router alert
	add("IPv4 options", v4, &sync)
	v6 := Encapsulation{Transport: TransportUDPv6, SrcIP: netip.MustParseAddr("2001:db8::1"),
		IPv6Extensions: []IPv6Extension{
			{Type: 0, Data: []byte{0, 5, 2, 0, 0, 1, 0}},                                        // hop-by-hop: router alert, PadN
			{Type: 60, Data: []byte{0, 1, 4, 0, 0, 0, 0}},                                       // destination options: PadN
			{Type: 43, Data: []byte{2, 0, 0, 0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 15: 2, 22: 0}}, // routing type 0, no segments left
			{Type: 44, Data: []byte{0, 0, 0, 0x12, 0x34, 0x56, 0x78}},                           // atomic fragment
		}}
	add("IPv6 extension headers", v6, &sync)
	// Linux cooked captures, as `tcpdump -i any` writes them.
	for _, m := range sampleMessages()[:3] {
		m := m
		eth := encs[1].AppendFrame(nil, &m)
		out = append(out, fixtureFrame{LinkSLL, toSLL(eth), "SLL"}, fixtureFrame{LinkSLL2, toSLL2(eth), "SLL2"})
	}
	out = append(out, tlvFixtureFrames()...)
	out = append(out, mgmtFixtureFrames()...)
	for _, h := range extraFrameHooks {
		out = append(out, h()...)
	}
	return out
}

// extraFrameHooks lets other areas' tests add their messages to the fixture.
var extraFrameHooks []func() []fixtureFrame

// tlvFixtureFrames carries every TLV type: the frames the TLV tests check
// against tshark field by field, and Signaling messages holding each typed
// TLV test case.
func tlvFixtureFrames() []fixtureFrame {
	var out []fixtureFrame
	for _, c := range tsharkTLVCases() {
		out = append(out, fixtureFrame{LinkEthernet, c.frame, "TLV " + c.name})
	}
	l2 := Encapsulation{Transport: TransportL2}
	for _, c := range tlvTestCases() {
		m := Message{Header: Header{MessageType: Signaling, Version: 2, MinorVersion: 1, Sequence: 9,
			Source: PortIdentity{ClockIdentity{0x00, 0x1b, 0x21, 0xff, 0xfe, 0x0a, 0x0b, 0x0c}, 1}},
			TargetPort: PortIdentity{AllClocks, AllPorts}, Suffix: c.in.AppendTo(nil)}
		out = append(out, fixtureFrame{LinkEthernet, l2.AppendFrame(nil, &m), "TLV " + c.name})
	}
	return out
}

// mgmtFixtureFrames carries a zero-filled GET (as pmc sends it) for every
// management ID, and a RESPONSE for every data-set sample, over UDP/IPv4.
func mgmtFixtureFrames() []fixtureFrame {
	var out []fixtureFrame
	e := Encapsulation{Transport: TransportUDPv4, SrcIP: netip.MustParseAddr("192.0.2.7")}
	for _, info := range mgmtIDs {
		m := Message{Header: Header{MessageType: Management, Version: 2, Sequence: 1, Control: 4, LogMessageInterval: 0x7f,
			Source: mgmtTestPort}, TargetPort: PortIdentity{AllClocks, AllPorts},
			Management: ManagementHeader{StartingBoundaryHops: 1, BoundaryHops: 1, Action: ActionGet, TLVType: TLVManagement,
				ID: info.id, Data: AppendManagementGet(nil, info.id, true)}}
		out = append(out, fixtureFrame{LinkEthernet, e.AppendFrame(nil, &m), "GET " + info.id.String()})
	}
	for _, s := range mgmtSamples() {
		out = append(out, fixtureFrame{LinkEthernet, mgmtResponseFrame(s.id, s.body.AppendTo(nil)), "RESPONSE " + s.id.String()})
	}
	return out
}

// toSLL rewrites an untagged Ethernet frame as Linux cooked v1.
func toSLL(eth []byte) []byte {
	h := []byte{0, 2, 0, 1, 0, 6} // multicast to us, ARPHRD_ETHER, 6-octet address
	h = append(h, eth[6:12]...)
	h = append(h, 0, 0)
	return append(append(h, eth[12:14]...), eth[14:]...)
}

// toSLL2 rewrites an untagged Ethernet frame as Linux cooked v2.
func toSLL2(eth []byte) []byte {
	h := append([]byte{}, eth[12:14]...)
	h = append(h, 0, 0, 0, 0, 0, 3, 0, 1, 2, 6)
	h = append(h, eth[6:12]...)
	h = append(h, 0, 0)
	return append(h, eth[14:]...)
}

func writeFixture(t *testing.T, frames []fixtureFrame) []byte {
	var buf bytes.Buffer
	w, err := pcapng.NewNgWriter(&buf, pcapng.NgWriterOptions{Comment: "ptpwatch decode fixture"})
	if err != nil {
		t.Fatal(err)
	}
	ifaces := map[LinkType]int{}
	for _, l := range []LinkType{LinkEthernet, LinkSLL, LinkSLL2} {
		id, err := w.AddInterface(pcapng.Interface{Name: "fixture-" + pcapng.LinkType(l).String(), LinkType: pcapng.LinkType(l), SnapLen: 65535})
		if err != nil {
			t.Fatal(err)
		}
		ifaces[l] = id
	}
	ts := int64(1_700_000_000_000_000_000)
	for i, f := range frames {
		if err := w.WritePacket(ifaces[f.link], ts+int64(i)*1_000_000, f.data, len(f.data), f.comment); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFixture checks the committed fixture against the committed tshark
// dissection, and when tshark is installed against a fresh one. With
// -update it rebuilds both.
func TestFixture(t *testing.T) {
	frames := fixtureFrames()
	built := writeFixture(t, frames)
	if *update {
		if err := os.WriteFile(fixtureFile, built, 0o644); err != nil {
			t.Fatal(err)
		}
		out := tsharkJSON(t, fixtureFile)
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write(out)
		zw.Close()
		if err := os.WriteFile(fixtureGold, gz.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(fixtureFile)
	if err != nil {
		t.Fatalf("%v (run: go test ./decode -run TestFixture -update)", err)
	}
	if !bytes.Equal(committed, built) {
		t.Errorf("%s is stale: the encoders now build a different fixture (run with -update and review the diff)", fixtureFile)
	}
	gzf, err := os.Open(fixtureGold)
	if err != nil {
		t.Fatal(err)
	}
	defer gzf.Close()
	zr, err := gzip.NewReader(gzf)
	if err != nil {
		t.Fatal(err)
	}
	gold, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	rep := goldenCompare(t, fixtureFile, gold)
	t.Logf("committed golden: %d frames, %d fields agree with tshark, %d have no tshark counterpart", len(frames), rep.matched, rep.unmatched)
	if decodetest.HaveTshark() && !*update {
		rep := goldenCompare(t, fixtureFile, tsharkJSON(t, fixtureFile))
		t.Logf("installed tshark: %d fields agree", rep.matched)
	}
}
