// Package afxdp captures PTP frames through AF_XDP sockets fed by the XDP
// program of package bpf: ptpwatch's default live source, and the fastest,
// since PTP frames leave the driver for a memory-mapped ring before the
// kernel builds a socket buffer, and everything else goes on to the stack
// untouched. It is written on golang.org/x/sys/unix and
// github.com/cilium/ebpf, and also sends raw frames on the interface.
//
// # Capture
//
// Open finds the interface's active RX queues (ethtool channels, else
// sysfs) and opens one AF_XDP socket per queue (Options.Queues to choose),
// each with a UMEM of its own: a fill, completion and RX ring, and on the
// first socket a TX ring. It loads the XDP program (the device-bound
// variant, which asks the driver for hardware RX timestamps, where it
// loads; the generic one otherwise), puts each socket into the program's
// XSKMAP at its queue index and attaches the program in driver (native)
// mode through a bpf_link; generic mode only with Options.AllowGeneric.
// Capture implements source.Source: Next takes RX descriptors in batches,
// returns frames one by one across the queues, and when every RX ring is
// empty blocks in poll(2) on all the sockets at once (never spinning), in
// slices of at most 100 ms so that the context's cancellation and deadline
// are honoured.
//
// One UMEM per socket rather than one shared: each queue's chunks, fill and
// completion rings then belong to its socket alone (a shared UMEM would
// still need a fill and completion ring per queue since Linux 5.10), no
// queue can starve another of chunks, and the per-queue, per-core layout of
// the rest of the pipeline (one ring per RX queue) carries over unchanged.
// The cost is a static split of the memory, which the default size
// accounts for.
//
// # Invariants
//
//   - Frame.Data aliases the frame's UMEM chunk and is valid until the next
//     call to Next, which hands the chunk back to the kernel through the
//     fill ring (published in batches). Copy what you keep. Close
//     invalidates it too.
//   - Next does not allocate (TestLiveNoAllocs and TestMemNoAllocs hold it).
//   - Frames are byte-identical to the wire (VLAN tags included: XDP sees
//     the frame before any tag is stripped). OrigLen is the frame's length;
//     frames longer than ChunkSize-256 bytes are dropped by the kernel and
//     counted in Stats.RxDropped.
//   - Ring producer and consumer indices are free-running uint32s shared
//     with the kernel, read and written with sync/atomic; see ring.
//   - Every size is checked before anything is created: ChunkSize a power
//     of two from 2048 to 4096, ring sizes and NumFrames powers of two,
//     queues below the interface's active RX queue count (*OptionError,
//     *QueueError, both matching ErrInvalidOption), and the UMEM against
//     RLIMIT_MEMLOCK (*MemlockError).
//   - One goroutine owns Next; Stats, Info and FilterCounters may be called
//     from any goroutine; Send is safe for concurrent use; Close must not
//     run concurrently with Next.
//
// # Copy and zero-copy
//
// BindAuto (the default) lets the kernel try zero-copy and fall back to
// copy mode; Info.ZeroCopy records which it got. veth, the interface of
// the tests, has native XDP but no AF_XDP zero-copy (its driver has no
// ndo_xsk_wakeup), so there the kernel copies each PTP frame, metadata
// block included, into the UMEM: one copy of a small frame, nothing next to
// the cost of the stack the frame skips. XDP_USE_NEED_WAKEUP is always
// asked for, and the kernel is kicked (recvfrom for the fill ring, sendto
// for TX) only when it set XDP_RING_NEED_WAKEUP on the ring.
//
// # Losses on a shared CPU (issue #19)
//
// In copy mode a frame is lost, and counted in
// Stats.RxFillRingEmptyDescs, when the kernel finds no chunk on the fill
// ring. The fill ring starts with every chunk and Next gives each back at
// the next call, so it runs empty only when the RX ring holds the whole
// UMEM: the reader is NumFrames frames behind. Measured on veth with the
// benchmark's set-up (bench, PTPWATCH_BENCH_TRACE=1, which samples
// Stats.RxQueued and Stats.FillQueued and the threads' schedstat every
// millisecond; AMD EPYC, 2 vCPUs, kernel 6.18, other work on the host),
// the reader needed 50-100 ns of CPU a frame but, under normal
// scheduling, waited runnable for the CPU 1.3-2.5 s of each 3 s blast,
// behind the receive (NAPI) thread that the benchmark runs SCHED_FIFO as
// a NIC's softirq or a PREEMPT_RT IRQ thread would run; the longest
// stretches without the reader running while frames queued were 0.1-0.44
// s, and at 0.7-0.9 M frames/s that is more than the 32,704 chunks of a
// 64 MiB UMEM: the RX backlog reached 32,704, the fill ring 0, and the
// drops began. AF_PACKET's reader waited as long, but its kernel work was
// cheaper: on veth, whose XDP runs on socket buffers already built, copy
// mode copies each frame twice (into a page for XDP, then into the UMEM)
// and wakes the reader for every few frames, about 700-900 ns of NAPI
// time a frame against AF_PACKET's 550-700 ns, so the receive thread left
// fewer and shorter gaps. What was measured and did not help (normal
// scheduling, 0.7 and 0.9 M/s, same run as AF_PACKET):
//
//   - a bigger UMEM: 256 MiB (131,072 chunks) still ran dry, after a 0.44
//     s gap;
//   - refilling sooner: the fill ring was never the short side (at idle it
//     holds every chunk; when the drops came, every chunk was on the RX
//     ring waiting for the reader), so refill size and order cannot help;
//   - the reader on the other CPU than the receive thread: fewer gaps, but
//     still one over the UMEM, and 240 ns a frame of cache traffic;
//   - busy polling (Options.BusyPoll: SO_PREFER_BUSY_POLL, SO_BUSY_POLL 50
//     µs, recvfrom before poll): the NAPI thread kept the receive work,
//     the reader still waited up to 0.19 s, and lost 3,573-72,256 frames;
//   - SCHED_FIFO below the receive thread (49 against its 50): gaps of
//     0.07-0.14 s remained.
//
// What fixed it: the reader at SCHED_FIFO above the receive thread (51 or
// more). Its wait for the CPU fell to 0.2 s per blast, its longest gap to
// 11-20 ms (RX backlog at most 10,145), and no frame was lost with 0.9
// and 1.1 M/s asked of the sender (it reached 0.60-0.62 M/s; AF_PACKET,
// also at 51, took 0.78-0.79 M/s without loss), at the cost of twice the
// wake-ups (about 180 ns of CPU a frame). xdp/capture runs its readers so (capture.Options.Priority, the
// appliance's capture.priority, default 60) on a thread that only takes
// frames and hands them to the pipeline, and its auto method keeps
// AF_XDP in copy mode only when that priority is granted.
//
// A real-time thread is not enough in Go: a goroutine back from a
// blocking system call or woken through a channel needs a P, and normal-
// priority threads hand Ps over. A Go execution trace of the pipeline
// over AF_XDP (bench, PTPWATCH_BENCH_GOTRACE) showed the capture thread
// ready without a P for 1.4 s of a 3 s blast. KeepProcessor makes Next
// poll with a raw ppoll that keeps the P; xdp/capture sets it on its
// real-time capture threads and reserves them a P each (package rtwait).
//
// # Timestamps
//
// The XDP program writes a bpf.MetaLen-byte block in front of each frame,
// in the chunk's headroom. Frame.Timestamp is the hardware RX timestamp
// when the block has one (TSSource source.TimestampHardware; it is on the
// NIC's clock, as afpacket's hardware stamps are), else the program's
// bpf_ktime_get_tai_ns stamp converted to the Unix epoch (TSSource
// source.TimestampXDPTAI): CLOCK_TAI minus the kernel's TAI offset, read
// with adjtimex(2) (no modes: read-only, unprivileged) at Open and again
// whenever a frame's stamp is more than a second past the last reading. A
// frame in the second after the offset changes (a leap second, or ptp4l
// setting it) may be converted with the old one. veth has no hardware
// stamps; where the block is missing (counted in Stats.NoMeta) Next stamps
// the frame with CLOCK_REALTIME and TimestampSoftware.
//
// # Sending
//
// Send copies a frame into one of the TXRingSize chunks the first queue's
// UMEM keeps for transmission, queues it on the TX ring, kicks the kernel
// when it asks, and reaps the completion ring. The frame goes straight to
// the driver, past qdiscs and packet sockets of this host. Its timestamp is
// CLOCK_REALTIME read before the kick: AF_XDP in copy mode has no transmit
// timestamp (veth has none at all).
//
// # The XDP hook and stale programs
//
// The program is attached through a bpf_link, which the kernel removes when
// the link's last descriptor closes: Close detaches it, and so does the
// death of a crashed process. A program attached the older netlink way
// (IFLA_XDP), which outlives its process, is detached by Open before it
// attaches its own when it is ptpwatch's (named xdp_ptp_filter*), or any
// with Options.ReplaceForeign; Info.ReplacedProgID names it. A program held
// by another live bpf_link, or a queue that already has an AF_XDP socket,
// makes Open fail with a *BusyError: a second capture never takes an
// interface from a running one.
//
// While attached, the program takes every PTP frame arriving on the
// interface away from the kernel's stack: a PTP daemon on the same
// interface no longer receives them. Capture on a mirror or tap port, not
// on the port a local ptp4l uses.
//
// # Errors
//
// When the interface goes down, Next returns an *InterfaceError with
// ENETDOWN (once per transition; capture resumes when it is up again); when
// it is deleted, an *InterfaceError with ENODEV from then on. Both are
// noticed at once through an rtnetlink socket subscribed to link
// notifications that Next polls with the queue sockets. The caller closes
// the Capture and opens it again when the interface is back. Missing
// privileges give a *PermissionError naming the capability (CAP_NET_RAW
// for the sockets, CAP_BPF and CAP_NET_ADMIN for the program) that wraps
// os.ErrPermission; a UMEM over RLIMIT_MEMLOCK (charged per user unless
// the process has CAP_IPC_LOCK) gives a *MemlockError with the bytes asked
// for and the limit.
//
// # Tests
//
// The unit tests (sizes, ring arithmetic, Next over rings in memory) need
// no privileges. The integration tests need root: they make two network
// namespaces joined by a veth (names starting axt, removed afterwards),
// capture on one end and send from the other, with crafted frames and a
// free-running ptp4l that may not set the clock.
package afxdp
