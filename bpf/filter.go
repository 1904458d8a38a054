package bpf

import (
	"encoding/binary"
	"errors"

	"github.com/cilium/ebpf"
)

// ErrUnsupported is returned by Load on platforms without XDP.
var ErrUnsupported = errors.New("bpf: XDP is only available on Linux")

// Filter is the loaded XDP program with its maps. It is not attached to any
// interface; the caller attaches Program (for example with
// github.com/cilium/ebpf/link.AttachXDP) and puts AF_XDP sockets into
// XSKMap. Close releases the kernel objects; an attached program stays
// attached until its link is closed too.
type Filter struct {
	prog     *ebpf.Program
	xsks     *ebpf.Map
	counters *ebpf.Map
	hw       bool
}

// Load loads the generic XDP program, xdp_ptp_filter, which works in any
// mode on any driver and writes hw_ns 0 into every metadata block. It needs
// CAP_BPF and CAP_NET_ADMIN (or CAP_SYS_ADMIN); on EPERM the error names
// them and the RLIMIT_MEMLOCK in force, and errors.Is(err,
// os.ErrPermission) holds.
func Load() (*Filter, error) { return load(0) }

// LoadDeviceBound loads xdp_ptp_filter_hw bound to the interface ifindex
// (which must exist in the calling thread's network namespace). Besides the
// TAI timestamp it asks the driver for the frame's hardware RX timestamp
// (bpf_xdp_metadata_rx_timestamp), so it may only be attached to that
// interface, in driver mode. Drivers without hardware timestamps (veth)
// give none, and hw_ns stays 0.
func LoadDeviceBound(ifindex int) (*Filter, error) {
	if ifindex <= 0 {
		return nil, errors.New("bpf: LoadDeviceBound needs an interface index")
	}
	return load(ifindex)
}

// Program returns the XDP program.
func (f *Filter) Program() *ebpf.Program { return f.prog }

// XSKMap returns the XSKMAP (key: RX queue index, value: AF_XDP socket fd)
// that PTP frames are redirected into. It has XSKMapSize slots.
func (f *Filter) XSKMap() *ebpf.Map { return f.xsks }

// DeviceBound reports whether the filter was loaded by LoadDeviceBound.
func (f *Filter) DeviceBound() bool { return f.hw }

// SetSocket puts the AF_XDP socket fd into queue's slot: PTP frames arriving
// on that RX queue go to it from now on.
func (f *Filter) SetSocket(queue uint32, fd int) error {
	return f.xsks.Update(queue, uint32(fd), ebpf.UpdateAny)
}

// ClearSocket empties queue's slot: PTP frames on that queue go on to the
// kernel's stack again. Clearing an empty slot is not an error.
func (f *Filter) ClearSocket(queue uint32) error {
	err := f.xsks.Delete(queue)
	if errors.Is(err, ebpf.ErrKeyNotExist) {
		return nil
	}
	return err
}

// Close releases the program and its maps.
func (f *Filter) Close() error {
	var errs []error
	for _, c := range []interface{ Close() error }{f.prog, f.xsks, f.counters} {
		if c != nil {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

// XSKMapSize is the number of RX queues the XSKMAP has room for.
const XSKMapSize = 64

// Counter slots in the per-CPU array, in the order of ptp_filter.c's enum.
const (
	slotSeen = iota
	slotPTPL2
	slotPTPUDPv4
	slotPTPUDPv6
	slotRedirected
	slotPassed
	slotMalformed
	slotTooDeep
	slotMetaWritten
	slotMetaFailed
	slotHWTimestamps
	slotICMPPTP
	numSlots
)

// Counters are the program's counters summed over all CPUs since it was
// loaded. Every frame ends in exactly one of Redirected and Passed, so
// Seen == Redirected + Passed once the program is quiet.
type Counters struct {
	Seen       uint64 // frames the program ran on
	PTPL2      uint64 // PTP over Ethernet (EtherType 0x88F7)
	PTPUDPv4   uint64 // PTP over UDP/IPv4 (port 319 or 320 on either side)
	PTPUDPv6   uint64 // PTP over UDP/IPv6
	Redirected uint64 // PTP frames handed to an AF_XDP socket
	// Passed counts XDP_PASS verdicts: frames that are not PTP, and PTP
	// frames whose RX queue has no socket in the XSKMAP.
	Passed uint64
	// Malformed counts frames whose headers are cut short or inconsistent
	// (IPv4 header length below 5, wrong IP version); they are passed.
	Malformed uint64
	// TooDeep counts frames the program gave up on: more than 4 VLAN tags
	// or more than 8 IPv6 extension headers. They are passed.
	TooDeep     uint64
	MetaWritten uint64 // metadata blocks written in front of PTP frames
	// MetaFailed counts PTP frames without a metadata block because
	// bpf_xdp_adjust_meta found no room; they are still redirected.
	MetaFailed   uint64
	HWTimestamps uint64 // hardware RX timestamps obtained (device-bound program)
	// ICMPPTP counts ICMP and ICMPv6 destination unreachable messages
	// quoting UDP to or from port 319 or 320 (refused unicast PTP, for the
	// fault detectors' Unicast Refused); they are handed over like PTP.
	ICMPPTP uint64
}

// PTP returns the number of PTP frames matched on all transports.
func (c Counters) PTP() uint64 { return c.PTPL2 + c.PTPUDPv4 + c.PTPUDPv6 }

// Sub returns c - o field by field, the change between two readings.
func (c Counters) Sub(o Counters) Counters {
	return Counters{
		Seen:         c.Seen - o.Seen,
		PTPL2:        c.PTPL2 - o.PTPL2,
		PTPUDPv4:     c.PTPUDPv4 - o.PTPUDPv4,
		PTPUDPv6:     c.PTPUDPv6 - o.PTPUDPv6,
		Redirected:   c.Redirected - o.Redirected,
		Passed:       c.Passed - o.Passed,
		Malformed:    c.Malformed - o.Malformed,
		TooDeep:      c.TooDeep - o.TooDeep,
		MetaWritten:  c.MetaWritten - o.MetaWritten,
		MetaFailed:   c.MetaFailed - o.MetaFailed,
		HWTimestamps: c.HWTimestamps - o.HWTimestamps,
		ICMPPTP:      c.ICMPPTP - o.ICMPPTP,
	}
}

// Counters reads the per-CPU counters and sums them. It allocates; it is
// meant for status pages and metrics, not for a per-frame path.
func (f *Filter) Counters() (Counters, error) {
	var sums [numSlots]uint64
	var perCPU []uint64
	for slot := range sums {
		if err := f.counters.Lookup(uint32(slot), &perCPU); err != nil {
			return Counters{}, err
		}
		for _, v := range perCPU {
			sums[slot] += v
		}
	}
	return Counters{
		Seen:         sums[slotSeen],
		PTPL2:        sums[slotPTPL2],
		PTPUDPv4:     sums[slotPTPUDPv4],
		PTPUDPv6:     sums[slotPTPUDPv6],
		Redirected:   sums[slotRedirected],
		Passed:       sums[slotPassed],
		Malformed:    sums[slotMalformed],
		TooDeep:      sums[slotTooDeep],
		MetaWritten:  sums[slotMetaWritten],
		MetaFailed:   sums[slotMetaFailed],
		HWTimestamps: sums[slotHWTimestamps],
		ICMPPTP:      sums[slotICMPPTP],
	}, nil
}

// MetaLen is the size of the metadata block the program writes in front of
// each PTP frame (between the XDP data_meta and data pointers; with AF_XDP
// the MetaLen octets just before the frame in the UMEM chunk).
const MetaLen = 32

// Meta flags.
const (
	MetaTAIValid = 1 << 0 // TAI holds bpf_ktime_get_tai_ns
	MetaHWValid  = 1 << 1 // HW holds the NIC's RX timestamp
)

// Meta is the decoded metadata block. Layout, host byte order:
//
//	0  u64 tai_ns     bpf_ktime_get_tai_ns() when the XDP program ran
//	8  u64 hw_ns      hardware RX timestamp in ns, 0 when none
//	16 u32 flags      MetaTAIValid | MetaHWValid
//	20 u32 reserved   0
//	24 u64 reserved2  0
type Meta struct {
	TAI   uint64 // software timestamp, ns on CLOCK_TAI
	HW    uint64 // hardware timestamp, ns on the NIC's clock; 0 when none
	Flags uint32
}

// HasTAI reports whether m carries a software TAI timestamp.
func (m Meta) HasTAI() bool { return m.Flags&MetaTAIValid != 0 }

// HasHW reports whether m carries a hardware timestamp.
func (m Meta) HasHW() bool { return m.Flags&MetaHWValid != 0 }

// ParseMeta decodes the metadata block at the start of b, which must hold
// at least MetaLen octets. It reports false for a short b or for a block
// with no valid timestamp or unknown flags, which is what a frame without
// metadata usually looks like. It does not allocate.
func ParseMeta(b []byte) (Meta, bool) {
	if len(b) < MetaLen {
		return Meta{}, false
	}
	m := Meta{
		TAI:   binary.NativeEndian.Uint64(b[0:8]),
		HW:    binary.NativeEndian.Uint64(b[8:16]),
		Flags: binary.NativeEndian.Uint32(b[16:20]),
	}
	if m.Flags == 0 || m.Flags&^(MetaTAIValid|MetaHWValid) != 0 {
		return m, false
	}
	return m, true
}
