//go:build linux

// Command ptpblast sends PTP Sync frames on an interface as fast as it can
// (or at a given rate), for capture benchmarks and load tests. Frames are
// built with decode's encoders, padded to the requested size, and carry an
// increasing sequenceId so a receiver can count what it lost.
//
// Two ways to send:
//
//   - packet (default): a packet socket with PACKET_QDISC_BYPASS and
//     sendmmsg(2) in batches. Every frame becomes a socket buffer, and a
//     veth peer receives socket buffers, so XDP there runs in its slower
//     socket-buffer mode.
//   - xdp: an XDP program run with BPF_PROG_TEST_RUN in live-frames mode
//     (Linux 5.18 or later) returns XDP_TX for each frame that is due, so
//     the kernel hands frames to the interface's transmit path as XDP
//     frames without a socket buffer. On a veth they reach the peer as a
//     NIC's DMA'd pages reach its driver: XDP runs natively there, and only
//     frames it passes to the stack get socket buffers. It sends several
//     times faster and paces evenly (see pacedTX). The frames of one
//     BPF_PROG_TEST_RUN call (about 500 ms) share a sequenceId.
//
// Usage:
//
//	ptpblast -i IFACE [-d 5s] [-size 100] [-transport udp4|l2] [-rate N] [-cpu N] [-method packet|xdp]
//
// It prints one JSON object: frames sent, seconds, send errors.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ptpwatch/ptpwatch/decode"
)

const batch = 64

func main() {
	ifname := flag.String("i", "", "interface to send on")
	dur := flag.Duration("d", 5*time.Second, "how long to send")
	size := flag.Int("size", 100, "frame size in bytes (at least the encoded message's)")
	transport := flag.String("transport", "udp4", "udp4 or l2")
	rate := flag.Float64("rate", 0, "frames per second; 0 sends as fast as possible")
	cpu := flag.Int("cpu", -1, "pin the sending thread to this CPU")
	method := flag.String("method", "packet", "packet (sendmmsg on a packet socket) or xdp (XDP live frames)")
	flag.Parse()
	if *method != "packet" && *method != "xdp" {
		fmt.Fprintf(os.Stderr, "ptpblast: -method %q: want packet or xdp\n", *method)
		os.Exit(2)
	}
	if err := run(*ifname, *dur, *size, *transport, *rate, *cpu, *method); err != nil {
		fmt.Fprintf(os.Stderr, "ptpblast: %v\n", err)
		os.Exit(1)
	}
}

type result struct {
	Sent    uint64  `json:"sent"`
	Seconds float64 `json:"seconds"`
	Errors  uint64  `json:"errors"`
	Size    int     `json:"size"`
}

func run(ifname string, dur time.Duration, size int, transport string, rate float64, cpu int, method string) error {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return err
	}
	runtime.LockOSThread()
	if cpu >= 0 {
		var set unix.CPUSet
		set.Set(cpu)
		if err := unix.SchedSetaffinity(0, &set); err != nil {
			return fmt.Errorf("pin to CPU %d: %w", cpu, err)
		}
	}
	enc := decode.Encapsulation{SrcMAC: [6]byte{0x02, 0, 0, 0, 0xb1, 0x01}}
	switch transport {
	case "udp4":
		enc.Transport = decode.TransportUDPv4
		enc.SrcIP = netip.MustParseAddr("10.78.0.2")
	case "l2":
		enc.Transport = decode.TransportL2
	default:
		return fmt.Errorf("transport %q: want udp4 or l2", transport)
	}
	m := decode.Message{Header: decode.Header{MessageType: decode.Sync, Version: 2, Flags: 0x0200,
		Source:             decode.PortIdentity{Clock: decode.ClockIdentity{0x02, 0, 0, 0xff, 0xfe, 0, 0xb1, 0x01}, Port: 1},
		LogMessageInterval: -7}}
	frame := enc.AppendFrame(nil, &m)
	if len(frame) > size {
		size = len(frame)
	}
	frame = append(frame, make([]byte, size-len(frame))...)
	seqOff := seqOffset(frame, &enc, &m)
	if method == "xdp" {
		res, err := blastXDP(ifi.Index, frame, seqOff, dur, rate)
		if err != nil {
			return err
		}
		return json.NewEncoder(os.Stdout).Encode(res)
	}

	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("packet socket: %w (needs CAP_NET_RAW)", err)
	}
	defer unix.Close(fd)
	unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_QDISC_BYPASS, 1)
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: ifi.Index}); err != nil {
		return fmt.Errorf("bind %s: %w", ifname, err)
	}

	// One buffer per message of a batch, each its own copy of the frame.
	bufs := make([][]byte, batch)
	iovs := make([]unix.Iovec, batch)
	msgs := make([]mmsghdr, batch)
	for i := range bufs {
		bufs[i] = append([]byte(nil), frame...)
		iovs[i].Base = &bufs[i][0]
		iovs[i].SetLen(len(bufs[i]))
		msgs[i].hdr.Iov = &iovs[i]
		msgs[i].hdr.SetIovlen(1)
	}
	var res result
	res.Size = size
	seq := uint16(0)
	start := time.Now()
	end := start.Add(dur)
	for {
		now := time.Now()
		if now.After(end) {
			break
		}
		if rate > 0 {
			due := start.Add(time.Duration(float64(res.Sent) / rate * float64(time.Second)))
			if d := due.Sub(now); d > 0 {
				time.Sleep(d)
			}
		}
		for i := range bufs {
			bufs[i][seqOff] = byte(seq >> 8)
			bufs[i][seqOff+1] = byte(seq)
			seq++
		}
		sent, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, uintptr(fd), uintptr(unsafe.Pointer(&msgs[0])), batch, 0, 0, 0)
		if errno != 0 {
			if errno == unix.ENOBUFS || errno == unix.EAGAIN {
				res.Errors++
				seq -= batch
				continue
			}
			return fmt.Errorf("sendmmsg: %w", errno)
		}
		res.Sent += uint64(sent)
		seq -= uint16(batch - int(sent))
	}
	res.Seconds = time.Since(start).Seconds()
	return json.NewEncoder(os.Stdout).Encode(res)
}

// mmsghdr is struct mmsghdr.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
	_   [4]byte
}

// seqOffset finds the sequenceId's offset in the frame; with UDP the
// checksum is then left stale, so it is zeroed (no checksum, allowed for
// UDP over IPv4).
func seqOffset(frame []byte, enc *decode.Encapsulation, m *decode.Message) int {
	var d decode.Frame
	if d.Decode(decode.LinkEthernet, frame) != decode.ResultOK {
		panic("ptpblast: its own frame does not decode")
	}
	if enc.Transport == decode.TransportUDPv4 {
		udp := int(d.TransportOffset)
		frame[udp+6], frame[udp+7] = 0, 0
	}
	return int(d.PTPOffset) + 30
}
