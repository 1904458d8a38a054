// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
//go:build ignore

// ptp_filter.c: the XDP program of ptpwatch. It passes PTP frames (IEEE 1588
// over Ethernet, UDP/IPv4 and UDP/IPv6, behind up to four VLAN tags), and
// ICMP/ICMPv6 destination unreachable messages quoting UDP to or from port
// 319 or 320 (a refused unicast PTP message), to an AF_XDP socket per RX
// queue, with a 32-byte timestamp block in front of each, and lets
// everything else go on to the kernel's stack. See doc.go.

#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_PTP 0x88F7
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define ETH_P_QINQ1 0x9100

#define PTP_EVENT_PORT 319
#define PTP_GENERAL_PORT 320

#define MAX_VLAN_TAGS 4
#define MAX_IPV6_EXT 8

#define NEXTHDR_HOP 0
#define NEXTHDR_UDP 17
#define NEXTHDR_ROUTING 43
#define NEXTHDR_FRAGMENT 44
#define NEXTHDR_AUTH 51
#define NEXTHDR_DEST 60
#define NEXTHDR_ICMPV6 58

#define IPPROTO_ICMP_ 1
#define ICMP_DEST_UNREACH 3
#define ICMPV6_DEST_UNREACH 1

// Offsets never grow past this mask: it keeps every packet access provably
// bounded for the verifier (the largest legal offset is far below it).
#define OFF_MASK 0x3fff

// Counter slots; the order is part of the Go API (filter.go, Counters).
enum {
	CNT_SEEN = 0,     // every frame the program ran on
	CNT_PTP_L2,       // PTP over Ethernet (EtherType 0x88F7)
	CNT_PTP_UDP4,     // PTP over UDP/IPv4 (port 319 or 320, either side)
	CNT_PTP_UDP6,     // PTP over UDP/IPv6
	CNT_REDIRECTED,   // bpf_redirect_map returned XDP_REDIRECT
	CNT_PASSED,       // verdict XDP_PASS (not PTP, or no socket on the queue)
	CNT_MALFORMED,    // headers truncated or inconsistent
	CNT_TOO_DEEP,     // more than 4 VLAN tags or 8 IPv6 extension headers
	CNT_META_WRITTEN, // metadata block written in front of a PTP frame
	CNT_META_FAILED,  // bpf_xdp_adjust_meta refused (no headroom)
	CNT_HW_VALID,     // hardware RX timestamp obtained (device-bound variant)
	CNT_ICMP_PTP,     // ICMP/ICMPv6 destination unreachable quoting UDP port 319/320
	CNT_MAX = 16,
};

// ptp_meta is the block written in front of every matched frame (between
// data_meta and data). Host byte order. Mirrored by Meta in filter.go.
struct ptp_meta {
	__u64 tai_ns;    // bpf_ktime_get_tai_ns() when the program ran
	__u64 hw_ns;     // hardware RX timestamp, 0 when none
	__u32 flags;     // META_TAI_VALID | META_HW_VALID
	__u32 reserved;  // 0
	__u64 reserved2; // 0
};

#define META_TAI_VALID (1u << 0)
#define META_HW_VALID (1u << 1)

_Static_assert(sizeof(struct ptp_meta) == 32, "ptp_meta must be 32 bytes");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

// The hardware RX timestamp kfunc. It only links into a device-bound
// program (loaded with prog_ifindex and BPF_F_XDP_DEV_BOUND_ONLY); weak so
// the object still loads where the kernel lacks it.
extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym __weak;

static __always_inline void count(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &slot);
	if (v)
		*v += 1;
}

// Verdicts of classify.
enum {
	CLS_PASS = 0,   // not PTP
	CLS_MALFORMED,  // truncated or inconsistent headers
	CLS_TOO_DEEP,   // gave up: nesting beyond the program's bounds
	CLS_L2,
	CLS_UDP4,
	CLS_UDP6,
	CLS_ICMP, // ICMP or ICMPv6 destination unreachable quoting PTP over UDP
};

// ptp_ports reports whether the UDP header at off has port 319 or 320 on
// either side: 1 if so, 0 if not, -1 if the header is cut short.
static __always_inline int ptp_ports(void *data, void *data_end, __u32 off)
{
	off &= OFF_MASK;
	__u8 *udp = data + off;
	if ((void *)(udp + 8) > data_end)
		return -1;
	__u16 sport = ((__u16)udp[0] << 8) | udp[1];
	__u16 dport = ((__u16)udp[2] << 8) | udp[3];
	if (sport == PTP_EVENT_PORT || sport == PTP_GENERAL_PORT ||
	    dport == PTP_EVENT_PORT || dport == PTP_GENERAL_PORT)
		return 1;
	return 0;
}

// icmp4_quotes_ptp looks at the ICMP message at off: a destination
// unreachable (type 3) whose quoted IPv4 header carries UDP whose header
// (the first 8 octets of the datagram, RFC 792) has port 319 or 320 on
// either side. A quote cut short is no match: ICMP is not PTP's to judge.
static __always_inline int icmp4_quotes_ptp(void *data, void *data_end, __u32 off)
{
	off &= OFF_MASK;
	__u8 *icmp = data + off;
	if ((void *)(icmp + 8 + 20) > data_end)
		return CLS_PASS;
	if (icmp[0] != ICMP_DEST_UNREACH)
		return CLS_PASS;
	__u8 *q = icmp + 8;
	__u32 qihl = q[0] & 0x0f;
	if ((q[0] >> 4) != 4 || qihl < 5 || q[9] != IPPROTO_UDP)
		return CLS_PASS;
	return ptp_ports(data, data_end, off + 8 + qihl * 4) == 1 ? CLS_ICMP : CLS_PASS;
}

// icmp6_quotes_ptp is icmp4_quotes_ptp for ICMPv6 (type 1, RFC 4443): the
// quoted IPv6 header's next header must be UDP (no extension headers in the
// quote are walked).
static __always_inline int icmp6_quotes_ptp(void *data, void *data_end, __u32 off)
{
	off &= OFF_MASK;
	__u8 *icmp = data + off;
	if ((void *)(icmp + 8 + 40) > data_end)
		return CLS_PASS;
	if (icmp[0] != ICMPV6_DEST_UNREACH)
		return CLS_PASS;
	__u8 *q = icmp + 8;
	if ((q[0] >> 4) != 6 || q[6] != NEXTHDR_UDP)
		return CLS_PASS;
	return ptp_ports(data, data_end, off + 8 + 40) == 1 ? CLS_ICMP : CLS_PASS;
}

static __always_inline int classify_ipv4(void *data, void *data_end, __u32 off)
{
	off &= OFF_MASK;
	__u8 *ip = data + off;
	if ((void *)(ip + 20) > data_end)
		return CLS_MALFORMED;
	__u32 ihl = ip[0] & 0x0f;
	if ((ip[0] >> 4) != 4 || ihl < 5)
		return CLS_MALFORMED;
	if (ip[9] == IPPROTO_ICMP_) {
		if ((((__u16)ip[6] << 8 | ip[7]) & 0x1fff) != 0)
			return CLS_PASS;
		return icmp4_quotes_ptp(data, data_end, off + ihl * 4);
	}
	if (ip[9] != IPPROTO_UDP)
		return CLS_PASS;
	// Only unfragmented datagrams and first fragments carry the UDP header.
	if ((((__u16)ip[6] << 8 | ip[7]) & 0x1fff) != 0)
		return CLS_PASS;
	// The UDP header follows the options and must be whole.
	int r = ptp_ports(data, data_end, off + ihl * 4);
	if (r < 0)
		return CLS_MALFORMED;
	return r ? CLS_UDP4 : CLS_PASS;
}

static __always_inline int classify_ipv6(void *data, void *data_end, __u32 off)
{
	off &= OFF_MASK;
	__u8 *ip = data + off;
	if ((void *)(ip + 40) > data_end)
		return CLS_MALFORMED;
	if ((ip[0] >> 4) != 6)
		return CLS_MALFORMED;
	__u8 next = ip[6];
	off += 40;

	// Walk the extension headers, a bounded number of them.
#pragma unroll
	for (int i = 0; i < MAX_IPV6_EXT; i++) {
		off &= OFF_MASK;
		__u8 *h = data + off;
		switch (next) {
		case NEXTHDR_UDP:
			goto udp;
		case NEXTHDR_ICMPV6:
			return icmp6_quotes_ptp(data, data_end, off);
		case NEXTHDR_HOP:
		case NEXTHDR_ROUTING:
		case NEXTHDR_DEST:
			if ((void *)(h + 2) > data_end)
				return CLS_MALFORMED;
			next = h[0];
			off += ((__u32)h[1] + 1) * 8;
			break;
		case NEXTHDR_AUTH:
			if ((void *)(h + 2) > data_end)
				return CLS_MALFORMED;
			next = h[0];
			off += ((__u32)h[1] + 2) * 4;
			break;
		case NEXTHDR_FRAGMENT:
			if ((void *)(h + 8) > data_end)
				return CLS_MALFORMED;
			// A non-first fragment has no UDP header.
			if ((((__u16)h[2] << 8 | h[3]) & 0xfff8) != 0)
				return CLS_PASS;
			next = h[0];
			off += 8;
			break;
		default: // TCP, ICMPv6, ESP, No Next Header, ...
			return CLS_PASS;
		}
	}
	if (next != NEXTHDR_UDP)
		return CLS_TOO_DEEP;
udp:;
	int r = ptp_ports(data, data_end, off);
	if (r < 0)
		return CLS_MALFORMED;
	return r ? CLS_UDP6 : CLS_PASS;
}

static __always_inline int classify(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *eth = data;

	if ((void *)(eth + ETH_HLEN) > data_end)
		return CLS_MALFORMED;
	__u16 proto = ((__u16)eth[12] << 8) | eth[13];
	__u32 off = ETH_HLEN;

	// Up to four VLAN tags of any of the three TPIDs, in any order.
#pragma unroll
	for (int i = 0; i < MAX_VLAN_TAGS; i++) {
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD && proto != ETH_P_QINQ1)
			break;
		__u8 *tag = data + off;
		if ((void *)(tag + 4) > data_end)
			return CLS_MALFORMED;
		proto = ((__u16)tag[2] << 8) | tag[3];
		off += 4;
	}

	switch (proto) {
	case ETH_P_PTP:
		return CLS_L2;
	case ETH_P_IP:
		return classify_ipv4(data, data_end, off);
	case ETH_P_IPV6:
		return classify_ipv6(data, data_end, off);
	case ETH_P_8021Q:
	case ETH_P_8021AD:
	case ETH_P_QINQ1:
		return CLS_TOO_DEEP;
	}
	return CLS_PASS;
}

static __always_inline int pass(void)
{
	count(CNT_PASSED);
	return XDP_PASS;
}

static __always_inline int ptp_filter(struct xdp_md *ctx, int hw)
{
	count(CNT_SEEN);

	int cls = classify(ctx);
	switch (cls) {
	case CLS_L2:
		count(CNT_PTP_L2);
		break;
	case CLS_UDP4:
		count(CNT_PTP_UDP4);
		break;
	case CLS_UDP6:
		count(CNT_PTP_UDP6);
		break;
	case CLS_ICMP:
		count(CNT_ICMP_PTP);
		break;
	case CLS_MALFORMED:
		count(CNT_MALFORMED);
		return pass();
	case CLS_TOO_DEEP:
		count(CNT_TOO_DEEP);
		return pass();
	default:
		return pass();
	}

	struct ptp_meta m = {};
	m.tai_ns = bpf_ktime_get_tai_ns();
	m.flags = META_TAI_VALID;
	if (hw && bpf_xdp_metadata_rx_timestamp) {
		__u64 ts = 0;
		if (bpf_xdp_metadata_rx_timestamp(ctx, &ts) == 0 && ts != 0) {
			m.hw_ns = ts;
			m.flags |= META_HW_VALID;
			count(CNT_HW_VALID);
		}
	}

	// Packet pointers are stale after adjust_meta: reload them.
	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(struct ptp_meta)) == 0) {
		void *data = (void *)(long)ctx->data;
		struct ptp_meta *meta = (void *)(long)ctx->data_meta;
		if ((void *)(meta + 1) <= data) {
			*meta = m;
			count(CNT_META_WRITTEN);
		} else {
			count(CNT_META_FAILED);
		}
	} else {
		count(CNT_META_FAILED);
	}

	// With no socket in the queue's slot the lookup fails and the flags'
	// low bits, XDP_PASS, come back: the frame goes on to the stack.
	long verdict = bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
	if (verdict == XDP_REDIRECT)
		count(CNT_REDIRECTED);
	else
		count(CNT_PASSED);
	return verdict;
}

// xdp_ptp_filter is the generic program: any driver, any mode. hw_ns is
// always 0 in its metadata.
SEC("xdp")
int xdp_ptp_filter(struct xdp_md *ctx)
{
	return ptp_filter(ctx, 0);
}

// xdp_ptp_filter_hw also asks the driver for the hardware RX timestamp. It
// must be loaded device-bound (ProgramSpec.Ifindex and
// BPF_F_XDP_DEV_BOUND_ONLY) and attached in driver mode to that device.
SEC("xdp")
int xdp_ptp_filter_hw(struct xdp_md *ctx)
{
	return ptp_filter(ctx, 1);
}

char __license[] SEC("license") = "Dual BSD/GPL";
