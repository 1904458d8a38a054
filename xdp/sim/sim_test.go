package sim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// scopeKeyOf describes a decoded frame the way Config describes a scope.
func scopeKeyOf(d *decode.Frame) string {
	var b strings.Builder
	if d.Version == 1 {
		fmt.Fprintf(&b, "v1/%s", d.V1.Subdomain())
	} else {
		fmt.Fprintf(&b, "v2/%d", d.PTP.Domain)
	}
	fmt.Fprintf(&b, "/%v", d.Transport)
	for i := range d.NumVLANs {
		fmt.Fprintf(&b, "/vlan%d", d.VLANs[i].VID)
	}
	return b.String()
}

func scopeKeyOfConfig(s *Scope) string {
	var b strings.Builder
	if s.Version == 1 {
		fmt.Fprintf(&b, "v1/%s", s.Subdomain)
	} else {
		fmt.Fprintf(&b, "v2/%d", s.Domain)
	}
	fmt.Fprintf(&b, "/%v", s.Transport.decode())
	for _, v := range s.VLANs {
		fmt.Fprintf(&b, "/vlan%d", v.ID)
	}
	return b.String()
}

type seqKey struct {
	port decode.PortIdentity
	seq  uint16
	to   netip.Addr // unicast streams have their own sequenceIds
}

// TestDemoCycle runs one whole cycle of the demo script and checks every
// frame: it decodes, it belongs to a configured scope with the configured
// transport, VLANs, versions and sdoId, its sender has a port in that
// scope, its addresses are the PTP ones, timestamps never go back, and
// every second half of an exchange follows its first half.
func TestDemoCycle(t *testing.T) {
	if testing.Short() {
		t.Skip("16 virtual minutes")
	}
	cfg := scriptedDemo()
	scopes := map[string]*Scope{}
	for i := range cfg.Scopes {
		scopes[scopeKeyOfConfig(&cfg.Scopes[i])] = &cfg.Scopes[i]
	}
	n0, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	senders := map[string]map[[6]byte]bool{} // scope -> MACs of its ports
	for _, c := range n0.Truth().Clocks {
		for _, p := range c.Ports {
			if senders[p.Scope] == nil {
				senders[p.Scope] = map[[6]byte]bool{}
			}
			senders[p.Scope][p.MAC] = true
		}
	}
	var (
		last     int64
		frames   int
		syncs    = map[seqKey]bool{}
		dreqs    = map[seqKey]bool{}
		answered = map[seqKey]bool{}
		pdreqs   = map[seqKey]bool{}
		perScope = map[string]int{}
		v1       int
	)
	each(t, cfg, Options{Duration: 16 * time.Minute}, func(r *rec) {
		frames++
		f, d := &r.f, &r.d
		if f.Timestamp < last {
			t.Fatalf("frame %d at %v: timestamp goes back by %dns", frames, r.at, last-f.Timestamp)
		}
		last = f.Timestamp
		if f.TSSource != source.TimestampSimulated || f.Link != decode.LinkEthernet || f.Interface != 0 ||
			f.OrigLen != len(f.Data) || len(f.Data) < 60 {
			t.Fatalf("frame %d: bad frame metadata %+v (len %d)", frames, *f, len(f.Data))
		}
		key := scopeKeyOf(d)
		s := scopes[key]
		if s == nil {
			t.Fatalf("frame %d at %v: no scope %s", frames, r.at, key)
		}
		perScope[s.Name]++
		if !senders[s.Name][d.Src] {
			t.Fatalf("frame %d at %v: %x has no port in scope %s", frames, r.at, d.Src, s.Name)
		}
		for i := range d.NumVLANs {
			if d.VLANs[i].PCP != s.VLANs[i].PCP {
				t.Fatalf("frame %d: VLAN priority %d, want %d", frames, d.VLANs[i].PCP, s.VLANs[i].PCP)
			}
		}
		if d.Version == 1 {
			v1++
			checkV1(t, frames, d)
			return
		}
		m := &d.PTP
		if m.MajorSdoID != s.MajorSdoID || m.MinorVersion != s.MinorVersion {
			t.Fatalf("frame %d: sdoId %d minor version %d, want %d and %d", frames, m.MajorSdoID, m.MinorVersion, s.MajorSdoID, s.MinorVersion)
		}
		checkAddresses(t, frames, d)
		switch m.MessageType {
		case decode.Sync:
			if m.Flags.Has(decode.FlagTwoStep) {
				syncs[seqKey{m.Source, m.Sequence, d.DstIP}] = true
			}
		case decode.FollowUp:
			if !syncs[seqKey{m.Source, m.Sequence, d.DstIP}] {
				t.Fatalf("frame %d at %v: Follow_Up %v/%d without its Sync", frames, r.at, m.Source, m.Sequence)
			}
		case decode.DelayReq:
			dreqs[seqKey{m.Source, m.Sequence, netip.Addr{}}] = true
		case decode.DelayResp:
			k := seqKey{m.RequestingPort, m.Sequence, netip.Addr{}}
			if !dreqs[k] {
				t.Fatalf("frame %d at %v: Delay_Resp for %v/%d, never requested", frames, r.at, m.RequestingPort, m.Sequence)
			}
			// While srv-05 borrows srv-04's identity (8:00 to 9:00) both
			// count the same sequenceIds and both get answers: that is
			// the incident.
			if answered[k] && (r.at < 8*time.Minute || r.at > 9*time.Minute+time.Second) {
				t.Fatalf("frame %d at %v: second Delay_Resp for %v/%d", frames, r.at, m.RequestingPort, m.Sequence)
			}
			answered[k] = true
		case decode.PdelayReq:
			pdreqs[seqKey{m.Source, m.Sequence, netip.Addr{}}] = true
		case decode.PdelayResp, decode.PdelayRespFollowUp:
			if !pdreqs[seqKey{m.RequestingPort, m.Sequence, netip.Addr{}}] {
				t.Fatalf("frame %d at %v: %v for %v/%d, never requested", frames, r.at, m.MessageType, m.RequestingPort, m.Sequence)
			}
		}
	})
	t.Logf("%d frames (%.0f/s), %d PTPv1; per scope %v", frames, float64(frames)/(16*60), v1, perScope)
	for _, s := range cfg.Scopes {
		if perScope[s.Name] == 0 {
			t.Errorf("scope %s sent nothing", s.Name)
		}
	}
}

func checkV1(t *testing.T, i int, d *decode.Frame) {
	t.Helper()
	m := &d.V1
	if m.VersionPTP != 1 || m.VersionNetwork != 1 || d.DstIP != decode.IPv4Primary {
		t.Fatalf("frame %d: PTPv1 version %d/%d to %v", i, m.VersionPTP, m.VersionNetwork, d.DstIP)
	}
	event := m.Control == decode.V1Sync || m.Control == decode.V1DelayReq
	if (m.MessageType == decode.V1EventMessage) != event || (d.DstPort == decode.PortEvent) != event {
		t.Fatalf("frame %d: PTPv1 %v as message type %v to port %d", i, m.Control, m.MessageType, d.DstPort)
	}
	if m.SourceUUID != d.Src {
		t.Fatalf("frame %d: PTPv1 UUID %x from MAC %x", i, m.SourceUUID, d.Src)
	}
}

// checkAddresses checks that a PTPv2 frame goes to the PTP multicast
// address of its kind, or unicast with the unicast flag, on the right port.
func checkAddresses(t *testing.T, i int, d *decode.Frame) {
	t.Helper()
	m := &d.PTP
	pdelay := m.MessageType == decode.PdelayReq || m.MessageType == decode.PdelayResp || m.MessageType == decode.PdelayRespFollowUp
	uni := m.Flags.Has(decode.FlagUnicast)
	switch d.Transport {
	case decode.TransportL2:
		want := decode.MACPrimary
		if pdelay {
			want = decode.MACPdelay
		}
		if !uni && d.Dst != want {
			t.Fatalf("frame %d: %v to %x", i, m.MessageType, d.Dst)
		}
	case decode.TransportUDPv4, decode.TransportUDPv6:
		want := map[[2]bool]netip.Addr{
			{false, false}: decode.IPv4Primary, {false, true}: decode.IPv4Pdelay,
			{true, false}: decode.IPv6Primary, {true, true}: decode.IPv6Pdelay,
		}[[2]bool{d.Transport == decode.TransportUDPv6, pdelay}]
		if uni {
			if d.DstIP.IsMulticast() {
				t.Fatalf("frame %d: unicast %v to %v", i, m.MessageType, d.DstIP)
			}
		} else if d.DstIP != want {
			t.Fatalf("frame %d: %v to %v, want %v", i, m.MessageType, d.DstIP, want)
		}
		port := uint16(decode.PortGeneral)
		if m.MessageType.IsEvent() {
			port = decode.PortEvent
		}
		if d.DstPort != port || d.SrcPort != port {
			t.Fatalf("frame %d: %v on ports %d->%d", i, m.MessageType, d.SrcPort, d.DstPort)
		}
	}
	if uni != (d.Dst[0]&1 == 0) {
		t.Fatalf("frame %d: unicast flag %v but destination MAC %x", i, uni, d.Dst)
	}
}

// TestRates counts every message type per clock over 60 quiet seconds and
// compares with the rates the demo's intervals give.
func TestRates(t *testing.T) {
	const secs = 60
	type key struct {
		clock string
		mt    string
	}
	got := map[key]int{}
	byMAC := macNames(t, quietDemo())
	each(t, quietDemo(), Options{Duration: secs * time.Second, Seed: 3}, func(r *rec) {
		mt := ""
		if r.d.Version == 1 {
			mt = "v1 " + r.d.V1.Control.String()
		} else {
			mt = r.d.PTP.MessageType.String()
		}
		got[key{byMAC[r.src], mt}]++
	})
	// want lists frames per second and the tolerance, as a fraction, for
	// each clock and message type. Periodic messages are exact to a frame
	// or two; Delay_Req intervals are random (uniform up to twice the
	// interval), so their counts wander.
	type rate struct {
		perSec, tol float64
	}
	want := map[key]rate{
		// Multicast plus unicast to srv-06.
		{"gm-meinberg", "Sync"}: {2 * 8, 0.01}, {"gm-meinberg", "Follow_Up"}: {2 * 8, 0.01}, {"gm-meinberg", "Announce"}: {2, 0.04},
		{"gm-meinberg", "Delay_Resp"}: {7 * 4, 0.06}, {"gm-meinberg", "Signaling"}: {1.0 / 30, 0.5},
		{"srv-06", "Signaling"}:    {1.0 / 30, 0.5},
		{"bc-arista", "Delay_Req"}: {4, 0.15}, {"bc-arista", "Sync"}: {16, 0.01}, {"bc-arista", "Announce"}: {1, 0.04},
		{"bc-arista", "Delay_Resp"}: {3 * 8, 0.08},
		{"gm-microchip", "Sync"}:    {8, 0.01}, {"gm-microchip", "Follow_Up"}: {8, 0.01}, {"gm-microchip", "Announce"}: {1, 0.04},
		{"gm-microchip", "Pdelay_Req"}: {1, 0.04}, {"gm-microchip", "Pdelay_Resp"}: {1, 0.04}, {"gm-microchip", "Pdelay_Resp_Follow_Up"}: {1, 0.04},
		{"tc-hirschmann", "Pdelay_Req"}: {4, 0.02}, {"tc-hirschmann", "Pdelay_Resp"}: {4, 0.02}, {"tc-hirschmann", "Pdelay_Resp_Follow_Up"}: {4, 0.02},
		{"master-d44", "Sync"}: {16, 0.01}, {"master-d44", "Follow_Up"}: {16, 0.01}, {"master-d44", "Announce"}: {0.5, 0.07},
		{"master-d44", "Delay_Resp"}: {2, 0.2},
		{"v1-meinberg", "v1 Sync"}:   {1, 0.04}, {"v1-meinberg", "v1 Follow_Up"}: {1, 0.04}, {"v1-meinberg", "v1 Delay_Resp"}: {0.5, 0.45},
		{"pmc-monitor", "Management"}: {1.0 / 16, 0.35},
	}
	for _, c := range []string{"srv-01", "srv-02", "srv-03", "srv-04", "srv-05", "srv-06"} {
		want[key{c, "Delay_Req"}] = rate{4, 0.15}
		want[key{c, "Management"}] = rate{1.0 / 16, 0.35}
	}
	for _, c := range []string{"mx-01", "mx-02", "mx-03"} {
		want[key{c, "Delay_Req"}] = rate{8, 0.1}
	}
	for _, c := range []string{"ecu-1", "ecu-2", "ecu-3"} {
		for _, mt := range []string{"Pdelay_Req", "Pdelay_Resp", "Pdelay_Resp_Follow_Up"} {
			want[key{c, mt}] = rate{1, 0.04}
		}
	}
	for _, c := range []string{"lab-01", "lab-02"} {
		want[key{c, "Delay_Req"}] = rate{1, 0.3}
	}
	for _, c := range []string{"plc-1", "plc-2"} {
		want[key{c, "v1 Delay_Req"}] = rate{0.25, 0.5}
	}
	for _, c := range []string{"gm-meinberg", "gm-oregano", "bc-arista"} {
		want[key{c, "Management"}] = rate{1.0 / 16, 0.35}
	}
	for k, w := range want {
		exp := w.perSec * secs
		if g := float64(got[k]); math.Abs(g-exp) > w.tol*exp+1 {
			t.Errorf("%s %s: %v frames in %ds, want %.0f ± %.0f%%", k.clock, k.mt, g, secs, exp, 100*w.tol)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s %s: %d unexpected frames", k.clock, k.mt, g)
		}
	}
}

// TestDeterminism checks that a seed fixes every byte and every timestamp,
// and that another seed changes them.
func TestDeterminism(t *testing.T) {
	digest := func(seed uint64) [32]byte {
		h := sha256.New()
		var ts [8]byte
		each(t, scriptedDemo(), Options{Duration: 90 * time.Second, Seed: seed}, func(r *rec) {
			for i := range ts {
				ts[i] = byte(r.f.Timestamp >> (8 * i))
			}
			h.Write(ts[:])
			h.Write(r.f.Data)
		})
		return [32]byte(h.Sum(nil))
	}
	a, b, c := digest(42), digest(42), digest(43)
	if a != b {
		t.Error("same seed, different frames")
	}
	if a == c {
		t.Error("different seeds, same frames")
	}
}

// TestNextNoAllocs holds the promise that Next does not allocate once the
// network runs.
func TestNextNoAllocs(t *testing.T) {
	n, err := New(quietDemo(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var f source.Frame
	for range 20000 {
		if err := n.Next(ctx, &f); err != nil {
			t.Fatal(err)
		}
	}
	if a := testing.AllocsPerRun(50000, func() {
		if err := n.Next(ctx, &f); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Next allocates %v times per frame", a)
	}
}

// TestDuration checks io.EOF at the end and that a fixed Start shows up.
func TestDuration(t *testing.T) {
	start := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	var first, last int64
	n := each(t, quietDemo(), Options{Start: start, Duration: 5 * time.Second}, func(r *rec) {
		if first == 0 {
			first = r.f.Timestamp
		}
		last = r.f.Timestamp
	})
	if first < start || last >= start+int64(5*time.Second) || last-first < int64(4*time.Second) {
		t.Errorf("frames from %d to %d, want within [%d, %d)", first, last, start, start+int64(5*time.Second))
	}
	var f source.Frame
	if err := n.Next(context.Background(), &f); err == nil {
		t.Error("Next after the end returned a frame")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n2, _ := New(quietDemo(), Options{})
	if err := n2.Next(ctx, &f); err != context.Canceled {
		t.Errorf("Next with a cancelled context: %v", err)
	}
}

// TestPTPTime checks the timestamps in the frames: the grandmaster's
// precise origin times run 37 s (TAI-UTC) ahead of the capture clock,
// behind it by no more than the path and residence, and the correction of
// a Follow_Up that crossed the transparent clock holds the residence.
func TestPTPTime(t *testing.T) {
	n, _ := New(quietDemo(), Options{})
	gm := mustID(t, n, "gm-meinberg")
	var syncAt = map[uint16]int64{}
	checked := 0
	each(t, quietDemo(), Options{Duration: 10 * time.Second}, func(r *rec) {
		m := &r.d.PTP
		if !sourceIs(r, gm) || m.Flags.Has(decode.FlagUnicast) {
			return
		}
		switch m.MessageType {
		case decode.Sync:
			syncAt[m.Sequence] = r.f.Timestamp
		case decode.FollowUp:
			cap, ok := syncAt[m.Sequence]
			if !ok {
				t.Fatalf("Follow_Up %d before its Sync", m.Sequence)
			}
			origin := m.Timestamp.UnixNano() - taiOffsetNS
			corr := int64(m.Correction.Nanoseconds())
			// capture = departure + path delay (600ns) + residence (2-6µs).
			lag := cap - origin
			if lag < 500 || lag > 7000 {
				t.Fatalf("Sync %d captured %dns after its origin time", m.Sequence, lag)
			}
			if corr < 2000 || corr > 6000 || math.Abs(float64(lag-600-corr)) > 100 {
				t.Fatalf("Follow_Up %d correction %dns for a lag of %dns", m.Sequence, corr, lag)
			}
			checked++
		}
	})
	if checked < 70 {
		t.Errorf("checked %d Follow_Ups", checked)
	}
}

// TestSegments checks that scopes on two segments come out on two
// interfaces.
func TestSegments(t *testing.T) {
	cfg := Config{
		Segments: []Segment{{Name: "lan-a", Number: 1}, {Name: "lan-b", Number: 2}},
		Scopes: []Scope{
			{Name: "a", Segment: "lan-a", LogSyncInterval: -2},
			{Name: "b", Segment: "lan-b", LogSyncInterval: -2},
		},
		Clocks: []Clock{
			{Name: "gm-a", Role: RoleGrandmaster, MAC: "ec:46:70:00:00:0a", Scope: "a"},
			{Name: "gm-b", Role: RoleGrandmaster, MAC: "ec:46:70:00:00:0b", Scope: "b"},
		},
	}
	n, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ifs := n.Interfaces()
	if len(ifs) != 2 || ifs[0] != (source.Interface{Name: "lan-a", Segment: 1}) || ifs[1] != (source.Interface{Name: "lan-b", Segment: 2}) {
		t.Fatalf("interfaces %+v", ifs)
	}
	seen := map[uint16][6]byte{}
	each(t, cfg, Options{Duration: 3 * time.Second}, func(r *rec) {
		if prev, ok := seen[r.f.Interface]; ok && prev != r.src {
			t.Fatalf("interface %d carries %x and %x", r.f.Interface, prev, r.src)
		}
		seen[r.f.Interface] = r.src
	})
	if len(seen) != 2 {
		t.Errorf("frames on %d interfaces", len(seen))
	}
}

func TestConfigDurationText(t *testing.T) {
	var d Duration
	if err := d.UnmarshalText([]byte("2m30s")); err != nil || time.Duration(d) != 150*time.Second {
		t.Fatalf("UnmarshalText: %v %v", d, err)
	}
	if b, _ := d.MarshalText(); !bytes.Equal(b, []byte("2m30s")) {
		t.Errorf("MarshalText: %s", b)
	}
	if err := d.UnmarshalText([]byte("soon")); err == nil {
		t.Error("UnmarshalText accepted garbage")
	}
}
