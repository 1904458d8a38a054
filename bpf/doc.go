// Package bpf holds ptpwatch's XDP program, which hands PTP frames to AF_XDP
// sockets and lets every other frame go on to the kernel's stack.
//
// # What it matches
//
// The program (ptp_filter.c, xdp_ptp_filter) matches IEEE 1588 frames of
// every version (PTPv1 and PTPv2/2.1 alike; it reads no PTP octet):
//
//   - PTP over Ethernet: EtherType 0x88F7, whatever the destination MAC.
//   - PTP over UDP/IPv4: source or destination port 319 or 320, so unicast
//     replies from port 319 to an ephemeral port (hybrid mode) match too.
//     The header length comes from IHL (options are skipped); only
//     unfragmented datagrams and first fragments match.
//   - PTP over UDP/IPv6: the same ports behind up to 8 extension headers
//     (hop-by-hop, routing, destination options, fragment, AH); a non-first
//     fragment is not matched.
//   - ICMP destination unreachable (type 3) and ICMPv6 destination
//     unreachable (type 1) whose quoted IP header (IPv4 with any IHL; IPv6
//     with UDP as its next header) carries UDP with port 319 or 320 on
//     either side in the quoted 8 octets: a refused unicast PTP message,
//     which the fault detectors (state/fault, Unicast Refused) read.
//     Counted as ICMPPTP, handed over as PTP frames are.
//   - Any of these behind up to 4 VLAN tags with TPID 0x8100, 0x88A8 or
//     0x9100 in any order.
//
// Frames with more tags or extension headers are passed and counted as too
// deep; frames whose headers are cut short (or have IHL below 5, or the
// wrong IP version) are passed and counted as malformed. TCP, other ICMP,
// ESP and all other EtherTypes are passed.
//
// # Verdicts
//
// A matched frame is redirected with bpf_redirect_map(&xsks,
// rx_queue_index, XDP_PASS) into the XSKMAP slot of its RX queue. When the
// slot holds no socket the call returns XDP_PASS and the frame reaches the
// stack as if no program were attached (so does every BPF_PROG_TEST_RUN of
// this package's tests, whose XSKMAP is empty).
//
// # Maps
//
//   - xsks: XSKMAP, XSKMapSize (64) slots, key RX queue, value AF_XDP socket
//     fd; Filter.SetSocket and Filter.ClearSocket manage it.
//   - counters: PERCPU_ARRAY of u64; Filter.Counters sums it into Counters.
//     Every frame is counted as seen and as exactly one of redirected and
//     passed.
//
// # Metadata
//
// Each matched frame gets a MetaLen (32) octet block in front of it, made
// with bpf_xdp_adjust_meta and readable by AF_XDP in the octets before the
// frame in its UMEM chunk. ParseMeta decodes it. Host byte order:
//
//	offset size field
//	0      8    tai_ns     bpf_ktime_get_tai_ns() when the program ran
//	8      8    hw_ns      hardware RX timestamp, 0 when none
//	16     4    flags      bit 0 tai_ns valid, bit 1 hw_ns valid
//	20     4    reserved   0
//	24     8    reserved2  0
//
// When the driver has no room for metadata the frame is still redirected,
// without the block, and counted in MetaFailed.
//
// Hardware timestamps: the generic program loaded by Load never asks for
// one (hw_ns 0, bit 1 clear). LoadDeviceBound loads the second program of
// the object, xdp_ptp_filter_hw, bound to one interface; it calls the
// bpf_xdp_metadata_rx_timestamp kfunc, which the kernel links only into a
// device-bound program attached in driver mode to that interface. Drivers
// without the hook or without a timestamp for the frame (veth always) give
// none.
//
// # Regenerating
//
// The bpf2go output (ptpfilter_bpfel.go/.o, ptpfilter_bpfeb.go/.o) is
// committed, so building needs no clang. After changing ptp_filter.c run
// `make generate` (or `go generate ./bpf/`), which needs clang and
// libbpf-dev (apt-get install clang libbpf-dev); bpf2go is pinned by the
// tool directive in go.mod.
//
// # Tests
//
// The tests run the program with BPF_PROG_TEST_RUN on crafted frames and
// need root (CAP_BPF, CAP_NET_ADMIN); without them they skip. The attach
// tests make a network namespace of their own with a veth pair and remove
// it afterwards.
package bpf
