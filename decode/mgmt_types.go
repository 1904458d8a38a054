package decode

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
	"strconv"
)

// ManagementDataError says why a management data field could not be
// decoded. It is a small integer, so returning one as an error does not
// allocate; compare with == or errors.Is.
type ManagementDataError uint8

// Management data decoding errors.
const (
	// ErrMgmtShort: the data field ends inside a member of its data set.
	ErrMgmtShort ManagementDataError = iota + 1
	// ErrMgmtBadLength: a length or count inside the data set contradicts
	// the octets present (a fault record length, a table whose entries do
	// not fill the data field exactly).
	ErrMgmtBadLength
	// ErrMgmtUnknownID: the ID has no known data set; the data field is
	// left in ManagementData.Raw.
	ErrMgmtUnknownID
)

func (e ManagementDataError) Error() string {
	switch e {
	case ErrMgmtShort:
		return "management data field shorter than its data set"
	case ErrMgmtBadLength:
		return "management data set length or count inconsistent with its data field"
	case ErrMgmtUnknownID:
		return "unknown managementId: data field not decoded"
	}
	return "management data error " + strconv.Itoa(int(e))
}

// PTPText is the text of a PTPText (§5.3.9): up to 255 octets of UTF-8
// that travel after a one-octet length. Decoded values alias the input.
type PTPText []byte

// String returns the text. It allocates a copy.
func (t PTPText) String() string { return string(t) }

// wireLen returns the octets t occupies on the wire: the length octet and at
// most 255 octets of text.
func (t PTPText) wireLen() int { return 1 + min(len(t), 255) }

// mgmtAppendPTPText appends t as a PTPText. Text beyond 255 octets, which the
// length octet cannot express, is cut off.
func mgmtAppendPTPText(b []byte, t PTPText) []byte {
	if len(t) > 255 {
		t = t[:255]
	}
	b = append(b, byte(len(t)))
	return append(b, t...)
}

// mgmtReadPTPText reads the PTPText at b[off:] and returns it with the offset
// after it.
func mgmtReadPTPText(b []byte, off int) (PTPText, int, error) {
	if off >= len(b) {
		return nil, off, ErrMgmtShort
	}
	n := int(b[off])
	end := off + 1 + n
	if end > len(b) {
		return nil, off, ErrMgmtShort
	}
	return PTPText(b[off+1 : end : end]), end, nil
}

// NetworkProtocol is a PortAddress's networkProtocol (§7.4.1, Table 3).
type NetworkProtocol uint16

// Network protocols.
const (
	NetworkUDPIPv4     NetworkProtocol = 1      // UDP/IPv4
	NetworkUDPIPv6     NetworkProtocol = 2      // UDP/IPv6
	NetworkIEEE8023    NetworkProtocol = 3      // IEEE 802.3
	NetworkDeviceNet   NetworkProtocol = 4      // DeviceNet
	NetworkControlNet  NetworkProtocol = 5      // ControlNet
	NetworkPROFINET    NetworkProtocol = 6      // PROFINET
	NetworkUnknownProt NetworkProtocol = 0xFFFE // UNKNOWN
)

// String returns the protocol's name from Table 3, or RESERVED(n).
func (p NetworkProtocol) String() string { return enumName(p.name(), "NetworkProtocol(", "RESERVED(") }

// PortAddress is a protocol address (§5.3.6): networkProtocol,
// addressLength and that many octets of address. Address aliases the
// decoded input.
type PortAddress struct {
	NetworkProtocol NetworkProtocol
	Address         []byte
}

// wireLen returns the octets a occupies on the wire.
func (a PortAddress) wireLen() int { return 4 + len(a.Address) }

// AppendTo appends a in wire format. It does not allocate when b has room.
func (a PortAddress) AppendTo(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(a.NetworkProtocol))
	b = binary.BigEndian.AppendUint16(b, uint16(len(a.Address)))
	return append(b, a.Address...)
}

// IP returns the address as an IP address when the protocol is UDP/IPv4 or
// UDP/IPv6 and the length fits, and reports whether it is.
func (a PortAddress) IP() (netip.Addr, bool) {
	switch {
	case a.NetworkProtocol == NetworkUDPIPv4 && len(a.Address) == 4:
		return netip.AddrFrom4([4]byte(a.Address)), true
	case a.NetworkProtocol == NetworkUDPIPv6 && len(a.Address) == 16:
		return netip.AddrFrom16([16]byte(a.Address)), true
	}
	return netip.Addr{}, false
}

// AppendText appends the address in its usual text form: dotted or colon
// IP for UDP, colon-separated hex for IEEE 802.3 and anything else.
func (a PortAddress) AppendText(b []byte) []byte {
	if ip, ok := a.IP(); ok {
		return ip.AppendTo(b)
	}
	return mgmtAppendColonHex(b, a.Address)
}

// String returns the address as AppendText writes it.
func (a PortAddress) String() string { return string(a.AppendText(nil)) }

func mgmtAppendColonHex(b, p []byte) []byte {
	const digits = "0123456789abcdef"
	for i, c := range p {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, digits[c>>4], digits[c&0xf])
	}
	return b
}

// mgmtReadPortAddress reads the PortAddress at b[off:] and returns it with the
// offset after it.
func mgmtReadPortAddress(b []byte, off int) (PortAddress, int, error) {
	if off+4 > len(b) {
		return PortAddress{}, off, ErrMgmtShort
	}
	n := int(binary.BigEndian.Uint16(b[off+2:]))
	end := off + 4 + n
	if end > len(b) {
		return PortAddress{}, off, ErrMgmtShort
	}
	return PortAddress{NetworkProtocol(binary.BigEndian.Uint16(b[off:])), b[off+4 : end : end]}, end, nil
}

// PortAddressIter walks the PortAddress entries of a table (UNICAST_MASTER_TABLE,
// GRANDMASTER_CLUSTER_TABLE). The zero value is empty.
type PortAddressIter struct {
	Data    []byte
	Address PortAddress
	Err     error // set when an entry runs past Data
	off     int
}

// Next advances to the next address and reports whether there is one.
func (it *PortAddressIter) Next() bool {
	if it.off >= len(it.Data) || it.Err != nil {
		return false
	}
	a, next, err := mgmtReadPortAddress(it.Data, it.off)
	if err != nil {
		it.Err = err
		return false
	}
	it.Address, it.off = a, next
	return true
}

// PortState is a portState (§8.2.15), as carried in
// PORT_DATA_SET and linuxptp's PORT_PROPERTIES_NP.
type PortState uint8

// Port states. PortStateGrandMaster is linuxptp's internal state for a
// master port of a grandmaster; ptp4l maps it to MASTER in the data sets it
// reports, but other linuxptp messages (and its notifications) may show it.
const (
	portStateNone         PortState = 0 // NONE
	PortStateInitializing PortState = 1 // INITIALIZING
	PortStateFaulty       PortState = 2 // FAULTY
	PortStateDisabled     PortState = 3 // DISABLED
	PortStateListening    PortState = 4 // LISTENING
	PortStatePreMaster    PortState = 5 // PRE_MASTER
	PortStateMaster       PortState = 6 // MASTER
	PortStatePassive      PortState = 7 // PASSIVE
	PortStateUncalibrated PortState = 8 // UNCALIBRATED
	PortStateSlave        PortState = 9 // SLAVE
	// linuxptp only.
	PortStateGrandMaster PortState = 10 // GRAND_MASTER
)

// String returns the state's name from IEEE 1588 (linuxptp's GRAND_MASTER
// for 10, and NONE for 0, which linuxptp prints for an unset state), or
// RESERVED(n).
func (s PortState) String() string { return enumName(s.name(), "PortState(", "RESERVED(") }

// DelayMechanism is a delayMechanism (§8.2.15).
type DelayMechanism uint8

// Delay mechanisms. 1588-2008 named 0xFE DISABLED.
// COMMON_P2P and SPECIAL are new in 1588-2019.
const (
	DelayE2E         DelayMechanism = 0x01 // E2E
	DelayP2P         DelayMechanism = 0x02 // P2P
	DelayCommonP2P   DelayMechanism = 0x03 // COMMON_P2P
	DelaySpecial     DelayMechanism = 0x04 // SPECIAL
	DelayNoMechanism DelayMechanism = 0xFE // NO_MECHANISM
)

// String returns the mechanism's name from IEEE 1588, or RESERVED(n).
func (d DelayMechanism) String() string { return enumName(d.name(), "DelayMechanism(", "RESERVED(") }

// ClockType is CLOCK_DESCRIPTION's clockType bit set (§15.5.3). Bit 0
// of the standard is the most significant bit of the first octet, as
// linuxptp and Wireshark read it (an ordinary clock sends 0x8000).
type ClockType uint16

// Clock type bits.
const (
	ClockTypeOrdinary       ClockType = 0x8000
	ClockTypeBoundary       ClockType = 0x4000
	ClockTypeP2PTransparent ClockType = 0x2000
	ClockTypeE2ETransparent ClockType = 0x1000
	ClockTypeManagement     ClockType = 0x0800 // management node; deprecated in 1588-2019
)

var mgmtClockTypeNames = [...]struct {
	bit  ClockType
	name string
}{
	{ClockTypeOrdinary, "ordinaryClock"},
	{ClockTypeBoundary, "boundaryClock"},
	{ClockTypeP2PTransparent, "p2pTransparentClock"},
	{ClockTypeE2ETransparent, "e2eTransparentClock"},
	{ClockTypeManagement, "managementNode"},
}

// String lists the set bits' names joined by "|", or "none".
func (c ClockType) String() string {
	var b []byte
	for _, n := range mgmtClockTypeNames {
		if c&n.bit != 0 {
			if len(b) > 0 {
				b = append(b, '|')
			}
			b = append(b, n.name...)
		}
	}
	if rest := c &^ 0xf800; rest != 0 {
		if len(b) > 0 {
			b = append(b, '|')
		}
		b = append(b, "reserved(0x"...)
		b = append(b, mgmtHex4(uint16(rest))...)
		b = append(b, ')')
	}
	if len(b) == 0 {
		return "none"
	}
	return string(b)
}

// TimePropertiesFlags is the flags octet of TIME_PROPERTIES_DATA_SET and
// its parts (UTC_PROPERTIES, TRACEABILITY_PROPERTIES, TIMESCALE_PROPERTIES)
// and linuxptp's GRANDMASTER_SETTINGS_NP (§15.5.3). Bit 0 is the least
// significant.
type TimePropertiesFlags uint8

// Time properties flag bits.
const (
	TimeFlagLeap61             TimePropertiesFlags = 1 << 0 // LI-61
	TimeFlagLeap59             TimePropertiesFlags = 1 << 1 // LI-59
	TimeFlagUTCOffsetValid     TimePropertiesFlags = 1 << 2 // UTCV
	TimeFlagPTPTimescale       TimePropertiesFlags = 1 << 3 // PTP
	TimeFlagTimeTraceable      TimePropertiesFlags = 1 << 4 // TTRA
	TimeFlagFrequencyTraceable TimePropertiesFlags = 1 << 5 // FTRA
)

// Has reports whether every bit of f2 is set.
func (f TimePropertiesFlags) Has(f2 TimePropertiesFlags) bool { return f&f2 == f2 }

// mgmtTimeFlagNames names the flag bits with the timePropertiesDS members they
// mirror, in bit order.
var mgmtTimeFlagNames = [...]string{"leap61", "leap59", "currentUtcOffsetValid", "ptpTimescale", "timeTraceable", "frequencyTraceable"}

// FaultSeverity is a fault record's severityCode (§5.3.10).
type FaultSeverity uint8

var mgmtFaultSeverityNames = [...]string{"EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFORMATIONAL", "DEBUG"}

// String returns the severity's name, such as "WARNING".
func (s FaultSeverity) String() string {
	if int(s) < len(mgmtFaultSeverityNames) {
		return mgmtFaultSeverityNames[s]
	}
	return "RESERVED(" + strconv.Itoa(int(s)) + ")"
}

// HostOrder says how to read the linuxptp data sets whose 64-bit values
// travel in the sender's byte order instead of network order:
// PORT_STATS_NP and PORT_SERVICE_STATS_NP (older linuxptp releases copy
// their host-order counters into the message as they are; the 4.x sources
// convert them explicitly to little-endian, so from x86 and ARM both give
// little-endian) and PORT_CORRECTIONS_NP (the 4.x sources call
// net2host64/host2net64 on its members without storing the result, so
// they too go out in host order). Every other member of those data sets,
// and every other data set, is big-endian as §5.3 requires.
//
// The zero value, HostOrderAuto, picks per message the order under which
// the largest value is smaller: real counters and latencies are far below
// 2^48, while a byte-swapped small number is at least 2^56 (ties, such as
// all zeros, read as little-endian, what linuxptp on x86 and ARM sends).
type HostOrder uint8

// Host byte orders: HostOrderAuto decides per message (and encodes
// little-endian), HostOrderLittle is what linuxptp sends on x86 and ARM,
// HostOrderBig what an older linuxptp sends from a big-endian host. String
// (generated) returns the name in each comment.
const (
	HostOrderAuto   HostOrder = iota // auto
	HostOrderLittle                  // little-endian
	HostOrderBig                     // big-endian
)

// mgmtHostU64Read reads a host-order 64-bit value in the resolved order o.
func mgmtHostU64Read(b []byte, o HostOrder) uint64 {
	if o == HostOrderBig {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

// mgmtReadHostU64s fills dst from the 8*len(dst) octets of c in order o.
func mgmtReadHostU64s(dst []uint64, c []byte, o HostOrder) {
	c = c[:8*len(dst)]
	if o == HostOrderBig {
		for i := range dst {
			dst[i] = binary.BigEndian.Uint64(c[8*i:])
		}
		return
	}
	for i := range dst {
		dst[i] = binary.LittleEndian.Uint64(c[8*i:])
	}
}

func mgmtAppendHostU64(b []byte, v uint64, o HostOrder) []byte {
	if o == HostOrderBig {
		return binary.BigEndian.AppendUint64(b, v)
	}
	return binary.LittleEndian.AppendUint64(b, v)
}

// mgmtResolveHostOrder decides HostOrderAuto for the n 64-bit values at b: it
// compares the largest mgmtMagnitude each order gives. signed treats the
// values as mgmtTwo's complement (latencies), unsigned as counters.
func mgmtResolveHostOrder(b []byte, n int, signed bool, o HostOrder) HostOrder {
	if o != HostOrderAuto {
		return o
	}
	var le, be uint64
	b = b[:8*n]
	for i := 0; i < n; i++ {
		l := binary.LittleEndian.Uint64(b[8*i:])
		g := bits.ReverseBytes64(l)
		if signed {
			l, g = mgmtMagnitude(l), mgmtMagnitude(g)
		}
		le, be = max(le, l), max(be, g)
	}
	if be < le {
		return HostOrderBig
	}
	return HostOrderLittle
}

func mgmtMagnitude(v uint64) uint64 {
	if int64(v) < 0 {
		return -v
	}
	return v
}

// mgmtPadEven appends a zero octet when the body appended since start has odd
// length, as a TLV's lengthField must be even (§14.1.1, §15.5.3).
func mgmtPadEven(b []byte, start int) []byte {
	if (len(b)-start)&1 != 0 {
		b = append(b, 0)
	}
	return b
}

func mgmtReadPortIdentity(p []byte) PortIdentity {
	return PortIdentity{ClockIdentity(p[0:8]), binary.BigEndian.Uint16(p[8:10])}
}

func mgmtReadClockQuality(p []byte) ClockQuality {
	return ClockQuality{p[0], p[1], binary.BigEndian.Uint16(p[2:4])}
}

func mgmtAppendClockQuality(b []byte, q ClockQuality) []byte {
	b = append(b, q.Class, q.Accuracy)
	return binary.BigEndian.AppendUint16(b, q.OffsetScaledLogVariance)
}

func mgmtBE16(p []byte) uint16 { return binary.BigEndian.Uint16(p) }
func mgmtBE32(p []byte) uint32 { return binary.BigEndian.Uint32(p) }
func mgmtBE64(p []byte) uint64 { return binary.BigEndian.Uint64(p) }

func mgmtB2U(v bool) uint8 {
	if v {
		return 1
	}
	return 0
}
