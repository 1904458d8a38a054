package decode

import (
	"fmt"
	"testing"
)

// TestEnumNames pins the names the generated String methods give, known
// values and unknown ones alike, as the hand-written methods gave them.
func TestEnumNames(t *testing.T) {
	for _, c := range []struct {
		v    fmt.Stringer
		want string
	}{
		{PortState(0), "NONE"}, {PortStateSlave, "SLAVE"}, {PortStateGrandMaster, "GRAND_MASTER"}, {PortState(11), "RESERVED(11)"},
		{DelayE2E, "E2E"}, {DelayNoMechanism, "NO_MECHANISM"}, {DelayMechanism(5), "RESERVED(5)"},
		{NetworkIEEE8023, "IEEE 802.3"}, {NetworkUnknownProt, "UNKNOWN"}, {NetworkProtocol(7), "RESERVED(7)"},
		{TimestampingP2P1Step, "P2P1STEP"}, {LinuxTimestamping(9), "UNKNOWN(9)"},
		{UnicastHaveSyDy, "HAVE_SYDY"}, {UnicastStateNP(4), "UNKNOWN(4)"},
		{PowerProfile2017, "2017"}, {PowerProfileVersion(300), "UNKNOWN(300)"},
		{TimeSourceGNSS, "GNSS"}, {TimeSource(0xF1), "ALTERNATE_PROFILE"}, {TimeSource(0x11), "RESERVED"},
		{ActionAcknowledge, "ACKNOWLEDGE"}, {ManagementAction(5), "RESERVED"},
		{HostOrderBig, "big-endian"}, {HostOrder(7), "HostOrder(7)"},
		{TransportUDPv6, "UDP/IPv6"}, {Transport(9), "Transport(9)"},
		{V1Management, "Management"}, {V1Control(5), "Reserved(5)"},
		{V1GeneralMessage, "General"}, {V1MessageType(0), "Reserved(0)"},
		{V1PortSlave, "PTP_SLAVE"}, {V1PortState(9), "Reserved(9)"},
		{V1MMSetTime, "PTP_MM_SET_TIME"}, {V1ManagementKey(28), "Reserved(28)"},
	} {
		if got := c.v.String(); got != c.want {
			t.Errorf("%T(%v): %q, want %q", c.v, c.v, got, c.want)
		}
	}
	var s string
	if n := testing.AllocsPerRun(100, func() { s = PortStateMaster.String(); s = V1PortSlave.String() }); n != 0 {
		t.Errorf("String of a named value allocates (%v per run, %q)", n, s)
	}
}
