package pcapng

import "strconv"

// LinkType identifies the link-layer header that starts each packet, using
// the LINKTYPE_* numbers registered for pcap and pcapng (tcpdump.org
// linktypes). Zero is a real value (LinkTypeNull), as in the registry.
type LinkType uint16

// Link types that ptpwatch meets on capture interfaces. PTP arrives over
// Ethernet (IEEE 1588 Annex E) or UDP over IPv4/IPv6 (Annexes C and D), so
// these cover raw sockets, cooked Linux captures and loopback.
const (
	LinkTypeNull      LinkType = 0   // BSD loopback: 4-byte host-order address family
	LinkTypeEthernet  LinkType = 1   // IEEE 802.3 Ethernet
	LinkTypeRaw       LinkType = 101 // raw IPv4 or IPv6, version from the first nibble
	LinkTypeLoop      LinkType = 108 // OpenBSD loopback: 4-byte network-order family
	LinkTypeLinuxSLL  LinkType = 113 // Linux "cooked" capture, version 1
	LinkTypeIPv4      LinkType = 228 // raw IPv4 only
	LinkTypeIPv6      LinkType = 229 // raw IPv6 only
	LinkTypeLinuxSLL2 LinkType = 276 // Linux "cooked" capture, version 2
)

var linkTypeNames = [...]struct {
	t    LinkType
	name string
}{
	{LinkTypeNull, "Null"},
	{LinkTypeEthernet, "Ethernet"},
	{LinkTypeRaw, "Raw"},
	{LinkTypeLoop, "Loop"},
	{LinkTypeLinuxSLL, "LinuxSLL"},
	{LinkTypeIPv4, "IPv4"},
	{LinkTypeIPv6, "IPv6"},
	{LinkTypeLinuxSLL2, "LinuxSLL2"},
}

// AppendTo appends the name of t to b, or "LinkType(N)" for numbers this
// package has no name for. It does not allocate when b has room.
func (t LinkType) AppendTo(b []byte) []byte {
	for _, n := range linkTypeNames {
		if n.t == t {
			return append(b, n.name...)
		}
	}
	b = append(b, "LinkType("...)
	b = strconv.AppendUint(b, uint64(t), 10)
	return append(b, ')')
}

// String returns the name of t, as AppendTo.
func (t LinkType) String() string {
	for _, n := range linkTypeNames {
		if n.t == t {
			return n.name
		}
	}
	return string(t.AppendTo(make([]byte, 0, 16)))
}
