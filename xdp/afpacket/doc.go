// Package afpacket captures PTP frames through an AF_PACKET socket with a
// memory-mapped TPACKET_V3 ring: the fallback live source where XDP cannot
// be used. It also sends raw frames on the captured interface.
//
// # Capture
//
// Open binds a packet socket (ETH_P_ALL) to one interface, attaches the
// classic BPF program of PTPFilter (PTP over Ethernet, UDP 319/320 over
// IPv4 and IPv6, behind up to four VLAN tags), and maps a receive ring of
// Options.NumBlocks blocks. Capture implements source.Source: Next returns
// frames one by one from the ring's blocks and hands a block back to the
// kernel once all its frames have been returned. When the ring is empty it
// waits in poll(2), never spinning, in slices of at most 100 ms so that the
// context's cancellation and deadline are honoured.
//
// # Invariants
//
//   - Frame.Data is valid until the next call to Next: it aliases the ring,
//     whose block is released on that call, or a buffer the Capture reuses.
//     Copy what you keep.
//   - Next does not allocate (BenchmarkNext and TestNextNoAllocs hold it).
//   - Frames decode exactly as they were on the wire. The kernel strips the
//     outer 802.1Q or 802.1ad tag of a received frame and reports it as ring
//     metadata (tp_vlan_tci, tp_vlan_tpid); Next re-inserts it after the MAC
//     addresses, and adds its four bytes to OrigLen.
//   - One goroutine owns Next; Stats may be called from any goroutine.
//
// # Timestamps
//
// Frame.Timestamp is nanoseconds since the Unix epoch. TSSource is
// source.TimestampHardware when the ring carries the NIC's raw hardware
// stamp (TP_STATUS_TS_RAW_HARDWARE: the NIC's PTP hardware clock, which
// must have receive timestamping enabled by ptp4l or hwstamp_ctl), and
// source.TimestampSoftware otherwise: the kernel's CLOCK_REALTIME stamp
// taken on arrival (veth gives only this).
//
// # Sending
//
// Send writes a complete Ethernet frame through a second packet socket
// (github.com/mdlayher/packet) on the same interface and returns the
// kernel's software transmit timestamp from the socket's error queue
// (SO_TIMESTAMPING TX_SOFTWARE), or the time read just before the send when
// none arrives; SendStamped tells which. Unless Options.IgnoreOutgoing is
// set, the capture sees the frames it sends.
//
// # Errors
//
// When the interface goes down or is deleted, Next returns an
// *InterfaceError; the caller closes the Capture and opens it again when the
// interface is back. Missing privileges give an error naming CAP_NET_RAW
// that wraps os.ErrPermission.
package afpacket
