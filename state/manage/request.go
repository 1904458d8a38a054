package manage

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/ptpwatch/ptpwatch/decode"
)

// NoVLAN marks an untagged path or request.
const NoVLAN uint16 = 0xffff

// Path is how frames leave for one segment: the capture interface and
// the addresses ptpwatch sends from there.
type Path struct {
	Segment uint16
	// Interface is the index of the capture interface (as in the capture
	// source's Interfaces), passed to the Sender.
	Interface int
	Name      string
	MAC       [6]byte
	IPv4      netip.Addr // source address for UDPv4; requests over UDPv4 need one
	IPv6      netip.Addr // source address for UDPv6; requests over UDPv6 need one
}

// Request is one management message to send.
type Request struct {
	Domain    uint8
	Transport decode.Transport
	// VLAN is the VLAN ID to tag the frame with, or NoVLAN.
	VLAN   uint16
	Target decode.PortIdentity
	Action decode.ManagementAction
	ID     decode.ManagementID
	// Data is the data field of a SET or COMMAND; a GET carries the ID's
	// data set zero-filled, as pmc sends it (ptp4l and ptpd answer it).
	Data         []byte
	Sequence     uint16
	BoundaryHops uint8
	// DstIP and DstMAC address a unicast request; zero values send to the
	// PTP multicast group of the transport.
	DstIP  netip.Addr
	DstMAC [6]byte
	// HopLimit is the IPv4 TTL or IPv6 hop limit (multicast); 0 means 1.
	HopLimit uint8
	// IPv6Scope is the scope nibble of ff0X::181 (0 means 0xe, global).
	IPv6Scope uint8
	// Subdomain, when not zero, makes the request a PTPv1 (IEEE 1588-2002)
	// GET in that subdomain (see v1.go); Domain is then unused.
	Subdomain [16]byte
}

// Errors of AppendRequest; the caller branches on them (a path without an
// address cannot carry a transport).
var (
	ErrNoSourceAddress = errors.New("manage: the interface has no address of the request's IP version")
	ErrNoTransport     = errors.New("manage: request has no transport")
)

// Multicast reports whether r goes to a multicast group.
func (r *Request) Multicast() bool { return !r.DstIP.IsValid() && r.DstMAC == [6]byte{} }

// IPv6Group returns ff0X::181 for the scope nibble x (0 means global).
func IPv6Group(x uint8) netip.Addr {
	if x == 0 {
		x = 0xe
	}
	a := decode.IPv6Primary.As16()
	a[1] = x & 0x0f
	return netip.AddrFrom16(a)
}

// AppendRequest appends the Ethernet frame carrying r from self on path p
// to b: PTPv2 management, controlField 4, logMessageInterval 0x7f, UDP
// from and to port 320 for the IP transports. It allocates only when b has
// no room.
func AppendRequest(b []byte, p *Path, self decode.PortIdentity, r *Request) ([]byte, error) {
	if r.Subdomain != [16]byte{} {
		return appendV1Request(b, p, self, r)
	}
	m := decode.Message{Header: decode.Header{MessageType: decode.Management, Version: 2, Domain: r.Domain,
		Source: self, Sequence: r.Sequence, Control: 4, LogMessageInterval: 0x7f}}
	if !r.Multicast() {
		m.Flags |= decode.FlagUnicast
	}
	m.TargetPort = r.Target
	m.Management = decode.ManagementHeader{StartingBoundaryHops: r.BoundaryHops, BoundaryHops: r.BoundaryHops,
		Action: r.Action, ID: r.ID, Data: r.Data}
	if r.Action == decode.ActionGet && r.Data == nil {
		var buf [64]byte
		m.Management.Data = decode.AppendManagementGet(buf[:0], r.ID, true)
	}
	var tags [1]decode.VLANTag
	e := decode.Encapsulation{Transport: r.Transport, SrcMAC: p.MAC, DstMAC: r.DstMAC, SrcPort: decode.PortGeneral,
		DstPort: decode.PortGeneral, HopLimit: r.HopLimit, DstIP: r.DstIP}
	if r.VLAN != NoVLAN {
		tags[0] = decode.VLANTag{VID: r.VLAN & 0x0fff}
		e.VLANs = tags[:]
	}
	switch r.Transport {
	case decode.TransportUDPv4:
		if !p.IPv4.IsValid() {
			return b, fmt.Errorf("%w: %s has no IPv4 address for UDPv4", ErrNoSourceAddress, p.Name)
		}
		e.SrcIP = p.IPv4
	case decode.TransportUDPv6:
		if !p.IPv6.IsValid() {
			return b, fmt.Errorf("%w: %s has no IPv6 address for UDPv6", ErrNoSourceAddress, p.Name)
		}
		e.SrcIP = p.IPv6
		if !e.DstIP.IsValid() {
			e.DstIP = IPv6Group(r.IPv6Scope)
		}
	case decode.TransportL2:
	default:
		return b, ErrNoTransport
	}
	return e.AppendFrame(b, &m), nil
}
