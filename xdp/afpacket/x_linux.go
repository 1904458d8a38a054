//go:build linux

package afpacket

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
	"unsafe"

	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/ptpwatch/ptpwatch/xdp/rtwait"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// capture is the Linux part of a Capture.
type capture struct {
	fd      int
	ifindex int
	pfd     [1]unix.PollFd
	down    bool // an interface error was reported; watch the link

	tx    *packet.Conn
	txFd  int  // tx's descriptor, for the error queue
	txTS  bool // SO_TIMESTAMPING TX_SOFTWARE is on
	txOOB []byte
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// sysErr wraps a failed system call; a permission error names the
// capability that is missing.
func sysErr(op, ifname string, err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("afpacket: %s on %s needs CAP_NET_RAW: %w", op, ifname, err)
	}
	if isInterfaceErrno(err) {
		return &InterfaceError{Op: "open", Ifname: ifname, Err: err}
	}
	return fmt.Errorf("afpacket: %s on %s: %w", op, ifname, err)
}

func isInterfaceErrno(err error) bool {
	return errors.Is(err, unix.ENETDOWN) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO)
}

func open(ifname string, opts Options) (*Capture, error) {
	o, err := opts.withDefaults(os.Getpagesize())
	if err != nil {
		return nil, err
	}
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, &InterfaceError{Op: "open", Ifname: ifname, Err: unix.ENODEV}
	}
	filter := o.Filter
	if filter == nil {
		if filter, err = assembledFilter(uint32(o.Snaplen)); err != nil {
			return nil, fmt.Errorf("afpacket: assembling the PTP filter: %w", err)
		}
	}

	// Protocol 0: the socket receives nothing until bind, by which time the
	// filter and the ring are in place.
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, sysErr("opening a packet socket", ifname, err)
	}
	c := &Capture{
		ifname: ifname,
		ifaces: []source.Interface{{Name: ifname, Segment: o.Segment}},
		opts:   o,
		sys:    capture{fd: fd, ifindex: ifi.Index, txFd: -1},
	}
	ok := false
	defer func() {
		if !ok {
			c.close()
		}
	}()
	if err := c.setup(filter); err != nil {
		return nil, err
	}
	if err := c.openTX(ifi); err != nil {
		return nil, err
	}
	ok = true
	return c, nil
}

func (c *Capture) setup(filter []bpf.RawInstruction) error {
	fd, name, o := c.sys.fd, c.ifname, &c.opts
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3); err != nil {
		return sysErr("selecting TPACKET_V3", name, err)
	}
	// Hardware timestamps in the ring where the NIC gives them (its
	// timestamping must be enabled, by ptp4l or hwstamp_ctl), software
	// otherwise. SO_TIMESTAMPING with RX_SOFTWARE makes the kernel stamp
	// frames as they arrive rather than when they reach the ring.
	if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_TIMESTAMP, unix.SOF_TIMESTAMPING_RAW_HARDWARE); err != nil {
		return sysErr("setting PACKET_TIMESTAMP", name, err)
	}
	ts := unix.SOF_TIMESTAMPING_RX_HARDWARE | unix.SOF_TIMESTAMPING_RAW_HARDWARE |
		unix.SOF_TIMESTAMPING_RX_SOFTWARE | unix.SOF_TIMESTAMPING_SOFTWARE
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPING, ts); err != nil {
		return sysErr("setting SO_TIMESTAMPING", name, err)
	}
	prog := make([]unix.SockFilter, len(filter))
	for i, ins := range filter {
		prog[i] = unix.SockFilter{Code: ins.Op, Jt: ins.Jt, Jf: ins.Jf, K: ins.K}
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &fprog); err != nil {
		return sysErr("attaching the filter", name, err)
	}
	req := unix.TpacketReq3{
		Block_size:     uint32(o.BlockSize),
		Block_nr:       uint32(o.NumBlocks),
		Frame_size:     uint32(o.FrameSize),
		Frame_nr:       uint32(o.BlockSize / o.FrameSize * o.NumBlocks),
		Retire_blk_tov: uint32(o.RetireTimeout / time.Millisecond),
	}
	if err := unix.SetsockoptTpacketReq3(fd, unix.SOL_PACKET, unix.PACKET_RX_RING, &req); err != nil {
		return sysErr(fmt.Sprintf("creating a %d×%d-byte RX ring", o.NumBlocks, o.BlockSize), name, err)
	}
	mem, err := unix.Mmap(fd, 0, o.BlockSize*o.NumBlocks, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return sysErr("mapping the RX ring", name, err)
	}
	c.r = newRing(mem, o.BlockSize, o.NumBlocks)
	if !o.NoPromiscuous {
		mreq := unix.PacketMreq{Ifindex: int32(c.sys.ifindex), Type: unix.PACKET_MR_PROMISC}
		if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
			return sysErr("entering promiscuous mode", name, err)
		}
	}
	if o.IgnoreOutgoing {
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1); err != nil {
			return sysErr("setting PACKET_IGNORE_OUTGOING", name, err)
		}
	}
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: c.sys.ifindex}
	if err := unix.Bind(fd, sa); err != nil {
		return sysErr("binding", name, err)
	}
	if o.FanoutGroup != 0 {
		arg := int(o.FanoutGroup) | unix.PACKET_FANOUT_HASH<<16
		if err := unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_FANOUT, arg); err != nil {
			return sysErr("joining fanout group", name, err)
		}
	}
	c.sys.pfd[0] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN | unix.POLLERR}
	return nil
}

// openTX opens the send socket: protocol 0, so it receives nothing, with
// software TX timestamps reported on its error queue where the kernel
// supports them.
func (c *Capture) openTX(ifi *net.Interface) error {
	tx, err := packet.Listen(ifi, packet.Raw, 0, nil)
	if err != nil {
		return sysErr("opening the send socket", c.ifname, err)
	}
	c.sys.tx = tx
	rc, err := tx.SyscallConn()
	if err != nil {
		return sysErr("opening the send socket", c.ifname, err)
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		c.sys.txFd = int(fd)
		flags := unix.SOF_TIMESTAMPING_TX_SOFTWARE | unix.SOF_TIMESTAMPING_SOFTWARE | unix.SOF_TIMESTAMPING_OPT_TSONLY
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPING, flags)
	})
	// Without TX timestamps Send falls back to the time before the send.
	c.sys.txTS = err == nil && serr == nil
	c.sys.txOOB = make([]byte, 512)
	return nil
}

// wait blocks in poll(2) for at most one slice, or returns why it cannot.
func (c *Capture) wait(ctx context.Context, limit time.Duration) error {
	d, err := waitTimeout(ctx, limit)
	if err != nil {
		return err
	}
	if c.sys.fd < 0 {
		return ErrClosed
	}
	if c.sys.down {
		// An interface error was reported; the socket resumes by itself if
		// the link comes back up, but not if the interface was deleted.
		if err := c.linkGone(); err != nil {
			return err
		}
	}
	ms := int((d + time.Millisecond - 1) / time.Millisecond)
	c.sys.pfd[0].Revents = 0
	if c.holdP.Load() {
		_, err = rtwait.Poll(c.sys.pfd[:], d)
	} else {
		_, err = unix.Poll(c.sys.pfd[:], ms)
	}
	if err != nil {
		if err == unix.EINTR {
			return nil
		}
		return fmt.Errorf("afpacket: poll on %s: %w", c.ifname, err)
	}
	rev := c.sys.pfd[0].Revents
	if rev&unix.POLLNVAL != 0 {
		return ErrClosed
	}
	if rev&unix.POLLERR != 0 {
		soerr, err := unix.GetsockoptInt(c.sys.fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			return fmt.Errorf("afpacket: reading the socket error on %s: %w", c.ifname, err)
		}
		if soerr != 0 {
			e := unix.Errno(soerr)
			if isInterfaceErrno(e) {
				c.sys.down = true
				if err := c.linkGone(); err != nil {
					return err
				}
				return &InterfaceError{Op: "next", Ifname: c.ifname, Err: e}
			}
			return fmt.Errorf("afpacket: capture on %s: %w", c.ifname, e)
		}
	}
	return nil
}

// linkGone returns an *InterfaceError with ENODEV when the capture's
// interface no longer exists, and clears the down state when it is up
// again. It asks through the packet socket, so the answer comes from the
// socket's network namespace whatever the calling thread's. It runs only
// after an interface error.
func (c *Capture) linkGone() error {
	gone := &InterfaceError{Op: "next", Ifname: c.ifname, Err: unix.ENODEV}
	ifr, err := unix.NewIfreq("")
	if err != nil {
		return gone
	}
	ifr.SetUint32(uint32(c.sys.ifindex))
	if err := unix.IoctlIfreq(c.sys.fd, unix.SIOCGIFNAME, ifr); err != nil || ifr.Name() != c.ifname {
		return gone
	}
	if err := unix.IoctlIfreq(c.sys.fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return gone
	}
	if ifr.Uint16()&unix.IFF_UP != 0 {
		c.sys.down = false
	}
	return nil
}

// kernelStats adds PACKET_STATISTICS, which reset on every read, to
// c.kstats. c.mu is held.
func (c *Capture) kernelStats() error {
	if c.sys.fd < 0 {
		return nil
	}
	st, err := unix.GetsockoptTpacketStatsV3(c.sys.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return fmt.Errorf("afpacket: reading statistics on %s: %w", c.ifname, err)
	}
	// The kernel already adds drops into tp_packets.
	c.kstats.FilteredIn += uint64(st.Packets)
	c.kstats.Drops += uint64(st.Drops)
	c.kstats.FreezeQ += uint64(st.Freeze_q_cnt)
	return nil
}

func (c *Capture) close() error {
	var err error
	if c.sys.tx != nil {
		err = c.sys.tx.Close()
		c.sys.tx = nil
	}
	if c.r.mem != nil {
		if e := unix.Munmap(c.r.mem); e != nil && err == nil {
			err = e
		}
		c.r.mem = nil
	}
	if c.sys.fd >= 0 {
		if e := unix.Close(c.sys.fd); e != nil && err == nil {
			err = e
		}
		c.sys.fd = -1
	}
	return err
}

// send writes frame and collects its software TX timestamp from the error
// queue. Stale timestamps (from a send whose wait timed out) are drained
// first so the one read belongs to this frame.
func (c *Capture) send(frame []byte) (int64, TXSource, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed || c.sys.tx == nil {
		return 0, TXNone, ErrClosed
	}
	if c.sys.txTS {
		for {
			if _, ok := c.readTXStamp(); !ok {
				break
			}
		}
	}
	dst := &packet.Addr{HardwareAddr: net.HardwareAddr(frame[0:6])}
	before := time.Now().UnixNano()
	if _, err := c.sys.tx.WriteTo(frame, dst); err != nil {
		if isInterfaceErrno(err) {
			return 0, TXNone, &InterfaceError{Op: "send", Ifname: c.ifname, Err: err}
		}
		return 0, TXNone, fmt.Errorf("afpacket: send on %s: %w", c.ifname, err)
	}
	if !c.sys.txTS {
		return before, TXUser, nil
	}
	deadline := time.Now().Add(c.opts.TXStampWait)
	for {
		if t, ok := c.readTXStamp(); ok {
			return t, TXSoftware, nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return before, TXUser, nil
		}
		pfd := []unix.PollFd{{Fd: int32(c.sys.txFd), Events: unix.POLLERR}}
		unix.Poll(pfd, int((left+time.Millisecond-1)/time.Millisecond))
	}
}

// readTXStamp reads one message from the send socket's error queue and
// returns the software timestamp it carries.
func (c *Capture) readTXStamp() (int64, bool) {
	for {
		_, oobn, _, _, err := unix.Recvmsg(c.sys.txFd, nil, c.sys.txOOB, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, false
		}
		msgs, err := unix.ParseSocketControlMessage(c.sys.txOOB[:oobn])
		if err != nil {
			return 0, false
		}
		for _, m := range msgs {
			if m.Header.Level != unix.SOL_SOCKET || m.Header.Type != unix.SO_TIMESTAMPING {
				continue
			}
			// struct scm_timestamping: ts[0] software, ts[1] legacy, ts[2] hardware.
			var ts unix.Timespec
			if len(m.Data) < int(unsafe.Sizeof(ts)) {
				continue
			}
			ts = *(*unix.Timespec)(unsafe.Pointer(&m.Data[0]))
			if n := ts.Nano(); n != 0 {
				return n, true
			}
		}
		return 0, false
	}
}

func noSys() capture { return capture{fd: -1, txFd: -1} }
