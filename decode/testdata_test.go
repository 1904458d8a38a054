package decode

import "net/netip"

// sampleMessages returns one message of every PTPv2 type with every body
// field set to a distinctive value, for round-trip, allocation and fuzz
// seeds.
func sampleMessages() []Message {
	src := PortIdentity{ClockIdentity{0x00, 0x1b, 0x21, 0xff, 0xfe, 0x12, 0x34, 0x56}, 1}
	req := PortIdentity{ClockIdentity{0xa0, 0x36, 0x9f, 0xff, 0xfe, 0x01, 0x02, 0x03}, 2}
	ts := Timestamp{Seconds: 0x0001_6a3b_c4d5, Nanoseconds: 123456789}
	h := func(t MessageType, flags Flags) Header {
		return Header{MessageType: t, Version: 2, MinorVersion: 1, Domain: 24, MinorSdoID: 0,
			Flags: flags, Correction: 36035 << 16, Source: src, Sequence: 4242, Control: 5, LogMessageInterval: -3}
	}
	pathTrace := AppendTLV(nil, TLVPathTrace, []byte{0x00, 0x1b, 0x21, 0xff, 0xfe, 0x12, 0x34, 0x56})
	return []Message{
		{Header: h(Sync, FlagTwoStep|FlagUnicast), Timestamp: ts},
		{Header: h(DelayReq, 0), Timestamp: ts},
		{Header: h(PdelayReq, 0), Timestamp: ts},
		{Header: h(PdelayResp, FlagTwoStep), Timestamp: ts, RequestingPort: req},
		{Header: h(FollowUp, 0), Timestamp: ts},
		{Header: h(DelayResp, 0), Timestamp: ts, RequestingPort: req},
		{Header: h(PdelayRespFollowUp, 0), Timestamp: ts, RequestingPort: req},
		{Header: h(Announce, FlagPTPTimescale|FlagCurrentUTCOffsetValid|FlagTimeTraceable|FlagFrequencyTraceable), Timestamp: ts,
			Announce: AnnounceBody{CurrentUTCOffset: 37, GrandmasterPriority1: 128,
				GrandmasterClockQuality: ClockQuality{6, 0x21, 0x4e5d}, GrandmasterPriority2: 127,
				GrandmasterIdentity: src.Clock, StepsRemoved: 1, TimeSource: TimeSourceGNSS},
			Suffix: pathTrace, NumTLVs: 1},
		{Header: h(Signaling, 0), TargetPort: PortIdentity{AllClocks, AllPorts},
			Suffix: AppendTLV(nil, TLVRequestUnicastTransmission, []byte{0xb0, 0x01, 0, 0, 0x01, 0x2c}), NumTLVs: 1},
		{Header: h(Management, 0), TargetPort: PortIdentity{AllClocks, AllPorts},
			Management: ManagementHeader{StartingBoundaryHops: 3, BoundaryHops: 3, Action: ActionGet, TLVType: TLVManagement, ID: 0x2002}},
		{Header: h(Management, 0), TargetPort: req,
			Management: ManagementHeader{StartingBoundaryHops: 1, BoundaryHops: 0, Action: ActionResponse, TLVType: TLVManagementErrorStatus, ID: 0x2004, ErrorID: 0x0002, Data: []byte{}}},
	}
}

// sampleEncapsulations lists every transport with and without VLAN tags.
func sampleEncapsulations() []Encapsulation {
	mac := [6]byte{0x00, 0x1b, 0x21, 0x12, 0x34, 0x56}
	tags := []VLANTag{{TPID: EtherType8021AD, PCP: 5, VID: 100}, {TPID: EtherType8021Q, PCP: 7, DEI: true, VID: 4094},
		{TPID: EtherTypeQinQ, PCP: 1, VID: 1}, {TPID: EtherType8021Q, PCP: 0, VID: 42}}
	v4 := netip.MustParseAddr("192.0.2.10")
	v6 := netip.MustParseAddr("fe80::21b:21ff:fe12:3456")
	var out []Encapsulation
	for n := 0; n <= MaxVLANs; n++ {
		out = append(out,
			Encapsulation{Transport: TransportL2, SrcMAC: mac, VLANs: tags[:n]},
			Encapsulation{Transport: TransportUDPv4, SrcMAC: mac, VLANs: tags[:n], SrcIP: v4},
			Encapsulation{Transport: TransportUDPv6, SrcMAC: mac, VLANs: tags[:n], SrcIP: v6})
	}
	return out
}
