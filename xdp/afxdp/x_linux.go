//go:build linux

package afxdp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/ptpwatch/ptpwatch/bpf"
	"github.com/ptpwatch/ptpwatch/xdp/rtwait"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// bindBusyWait is how long Open retries a bind that finds its queue taken,
// for the kernel to finish releasing a socket just closed.
const bindBusyWait = 500 * time.Millisecond

// capture is the Linux part of a Capture.
type capture struct {
	filter *bpf.Filter
	link   link.Link
	watch  *linkWatch
	pfds   []unix.PollFd // the queue sockets, then the link watch
	gone   error         // sticky *InterfaceError once the interface is deleted
	timex  unix.Timex
}

// Capabilities by number (linux/capability.h).
const (
	capNetAdmin = 12
	capNetRaw   = 13
	capIPCLock  = 14
	capSysAdmin = 21
	capBPF      = 39
)

var capNames = map[int]string{capNetAdmin: "CAP_NET_ADMIN", capNetRaw: "CAP_NET_RAW", capIPCLock: "CAP_IPC_LOCK",
	capSysAdmin: "CAP_SYS_ADMIN", capBPF: "CAP_BPF"}

// hasCap reports whether the calling thread has capability c in its
// effective set.
func hasCap(c int) bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if unix.Capget(&hdr, &data[0]) != nil {
		return false
	}
	return data[c/32].Effective&(1<<(c%32)) != 0
}

// missingCaps lists those of caps the process lacks.
func missingCaps(caps ...int) string {
	var m []string
	for _, c := range caps {
		if !hasCap(c) {
			m = append(m, capNames[c])
		}
	}
	return strings.Join(m, " and ")
}

func isPerm(err error) bool { return errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) }

func permErr(op string, err error, caps ...int) error {
	names := make([]string, len(caps))
	for i, c := range caps {
		names[i] = capNames[c]
	}
	return &PermissionError{Op: op, Caps: strings.Join(names, " and "), Missing: missingCaps(caps...), Err: err}
}

func isInterfaceErrno(err error) bool {
	return errors.Is(err, unix.ENETDOWN) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO)
}

// memlockLimit returns RLIMIT_MEMLOCK's soft limit in bytes.
func memlockLimit() uint64 {
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_MEMLOCK, &rl) != nil {
		return ^uint64(0)
	}
	if rl.Cur == unix.RLIM_INFINITY {
		return ^uint64(0)
	}
	return rl.Cur
}

// ethtoolChannels is struct ethtool_channels.
type ethtoolChannels struct {
	cmd                                         uint32
	maxRX, maxTX, maxOther, maxCombined         uint32
	rxCount, txCount, otherCount, combinedCount uint32
}

// ifreqData is struct ifreq with ifr_data.
type ifreqData struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [24 - unsafe.Sizeof(uintptr(0))]byte
}

// rxQueues returns the number of active RX queues of ifname: the ethtool
// channels' rx plus combined count, else the rx-* directories in sysfs
// (which show the namespace sysfs was mounted in, so they are checked
// against ifindex), else 1.
func rxQueues(ifname string, ifindex int) int {
	if fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0); err == nil {
		defer unix.Close(fd)
		ch := ethtoolChannels{cmd: unix.ETHTOOL_GCHANNELS}
		var ifr ifreqData
		copy(ifr.name[:unix.IFNAMSIZ-1], ifname)
		ifr.data = unsafe.Pointer(&ch)
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr)))
		if e == 0 {
			if n := int(ch.rxCount + ch.combinedCount); n > 0 {
				return n
			}
		}
	}
	dir := "/sys/class/net/" + ifname
	if b, err := os.ReadFile(dir + "/ifindex"); err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(ifindex) {
		if ents, err := os.ReadDir(dir + "/queues"); err == nil {
			n := 0
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), "rx-") {
					n++
				}
			}
			if n > 0 {
				return n
			}
		}
	}
	return 1
}

func open(ifname string, o Options) (*Capture, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, &InterfaceError{Op: "open", Ifname: ifname, Err: unix.ENODEV}
	}
	active := rxQueues(ifname, ifi.Index)
	o, err = o.resolve(ifname, active, hasCap(capIPCLock), memlockLimit())
	if err != nil {
		return nil, err
	}
	c := &Capture{
		ifname:    ifname,
		ifindex:   ifi.Index,
		ifaces:    []source.Interface{{Name: ifname, Segment: o.Segment}},
		opts:      o,
		chunkMask: uint64(o.ChunkSize - 1),
		info: Info{
			Ifname: ifname, Ifindex: ifi.Index, Queues: o.Queues, ActiveQueues: active,
			ChunkSize: o.ChunkSize, NumFrames: o.NumFrames,
			UMEMBytes: uint64(len(o.Queues)) * uint64(o.NumFrames) * uint64(o.ChunkSize),
		},
	}
	c.socks = make([]xsk, len(o.Queues))
	for i := range c.socks {
		c.socks[i].fd = -1
	}
	ok := false
	defer func() {
		if !ok {
			c.close()
		}
	}()
	// Watch the link before anything else, so no change goes unseen.
	if c.sys.watch, err = openLinkWatch(ifi.Index); err != nil {
		return nil, fmt.Errorf("afxdp: opening a netlink socket: %w", err)
	}
	zc := true
	for i, q := range o.Queues {
		s := &c.socks[i]
		s.queue = q
		if err := c.openSocket(s, i == 0); err != nil {
			return nil, err
		}
		zc = zc && s.zc
	}
	c.info.ZeroCopy = zc
	if err := c.loadAndAttach(); err != nil {
		return nil, err
	}
	c.readTAIOffset()
	c.info.TAIOffset = int(c.taiOffset / int64(time.Second))
	for i := range c.socks {
		c.sys.pfds = append(c.sys.pfds, unix.PollFd{Fd: int32(c.socks[i].fd), Events: unix.POLLIN})
	}
	c.sys.pfds = append(c.sys.pfds, unix.PollFd{Fd: int32(c.sys.watch.fd), Events: unix.POLLIN})
	ok = true
	return c, nil
}

func setsockoptPtr(fd, level, opt int, p unsafe.Pointer, n uintptr) error {
	_, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt), uintptr(p), n, 0)
	if e != 0 {
		return e
	}
	return nil
}

func getsockoptPtr(fd, level, opt int, p unsafe.Pointer, n uintptr) error {
	l := uint32(n)
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt), uintptr(p), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		return e
	}
	return nil
}

// openSocket creates s's socket and UMEM, maps its rings, fills the fill
// ring and binds it to s.queue. The first socket also gets the TX ring and
// keeps the first TXRingSize chunks of its UMEM for Send.
func (c *Capture) openSocket(s *xsk, withTX bool) error {
	o := &c.opts
	qname := c.ifname + " queue " + strconv.Itoa(s.queue)
	fd, err := unix.Socket(unix.AF_XDP, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		if isPerm(err) {
			return permErr("creating an AF_XDP socket", err, capNetRaw)
		}
		return fmt.Errorf("afxdp: creating an AF_XDP socket: %w", err)
	}
	s.fd = fd
	size := o.NumFrames * o.ChunkSize
	s.umem, err = unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE)
	if err != nil {
		return fmt.Errorf("afxdp: allocating a %d-byte UMEM for %s: %w", size, qname, err)
	}
	reg := unix.XDPUmemReg{
		Addr: uint64(uintptr(unsafe.Pointer(&s.umem[0]))),
		Len:  uint64(size),
		Size: uint32(o.ChunkSize),
	}
	if err := setsockoptPtr(fd, unix.SOL_XDP, unix.XDP_UMEM_REG, unsafe.Pointer(&reg), unsafe.Sizeof(reg)); err != nil {
		if err == unix.ENOBUFS {
			return &MemlockError{Requested: c.info.UMEMBytes, Limit: memlockLimit(), Queues: len(o.Queues),
				NumFrames: o.NumFrames, ChunkSize: o.ChunkSize, Err: err}
		}
		return fmt.Errorf("afxdp: registering the UMEM for %s: %w", qname, err)
	}
	rings := []struct {
		opt  int
		size int
		name string
	}{
		{unix.XDP_UMEM_FILL_RING, o.NumFrames, "fill"},
		{unix.XDP_UMEM_COMPLETION_RING, o.TXRingSize, "completion"},
		{unix.XDP_RX_RING, o.RXRingSize, "RX"},
		{unix.XDP_TX_RING, o.TXRingSize, "TX"},
	}
	if !withTX {
		rings = rings[:3]
	}
	for _, r := range rings {
		if err := unix.SetsockoptInt(fd, unix.SOL_XDP, r.opt, r.size); err != nil {
			return fmt.Errorf("afxdp: creating the %d-entry %s ring for %s: %w", r.size, r.name, qname, err)
		}
	}
	var off unix.XDPMmapOffsets
	if err := getsockoptPtr(fd, unix.SOL_XDP, unix.XDP_MMAP_OFFSETS, unsafe.Pointer(&off), unsafe.Sizeof(off)); err != nil {
		return fmt.Errorf("afxdp: reading the ring offsets for %s: %w", qname, err)
	}
	mapRing := func(pgoff int64, ro unix.XDPRingOffset, entries, entSize int) (ring, []byte, error) {
		m, err := unix.Mmap(fd, pgoff, int(ro.Desc)+entries*entSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
		if err != nil {
			return ring{}, nil, fmt.Errorf("afxdp: mapping a ring for %s: %w", qname, err)
		}
		s.maps = append(s.maps, m)
		r := newRing((*uint32)(unsafe.Pointer(&m[ro.Producer])), (*uint32)(unsafe.Pointer(&m[ro.Consumer])),
			(*uint32)(unsafe.Pointer(&m[ro.Flags])), uint32(entries))
		return r, m[ro.Desc:], nil
	}
	var raw []byte
	if s.fill.ring, raw, err = mapRing(unix.XDP_UMEM_PGOFF_FILL_RING, off.Fr, o.NumFrames, 8); err != nil {
		return err
	}
	s.fill.addrs = unsafe.Slice((*uint64)(unsafe.Pointer(&raw[0])), o.NumFrames)
	if s.comp.ring, raw, err = mapRing(unix.XDP_UMEM_PGOFF_COMPLETION_RING, off.Cr, o.TXRingSize, 8); err != nil {
		return err
	}
	s.comp.addrs = unsafe.Slice((*uint64)(unsafe.Pointer(&raw[0])), o.TXRingSize)
	if s.rx.ring, raw, err = mapRing(unix.XDP_PGOFF_RX_RING, off.Rx, o.RXRingSize, int(unsafe.Sizeof(desc{}))); err != nil {
		return err
	}
	s.rx.descs = unsafe.Slice((*desc)(unsafe.Pointer(&raw[0])), o.RXRingSize)
	s.fill.initProducer()
	s.comp.initConsumer()
	s.rx.initConsumer()
	first := 0
	if withTX {
		if s.tx.ring, raw, err = mapRing(unix.XDP_PGOFF_TX_RING, off.Tx, o.TXRingSize, int(unsafe.Sizeof(desc{}))); err != nil {
			return err
		}
		s.tx.descs = unsafe.Slice((*desc)(unsafe.Pointer(&raw[0])), o.TXRingSize)
		s.tx.initProducer()
		first = o.TXRingSize
		s.txFree = make([]uint64, 0, o.TXRingSize)
		for i := range o.TXRingSize {
			s.txFree = append(s.txFree, uint64(i*o.ChunkSize))
		}
	}
	for i := first; i < o.NumFrames; i++ {
		s.fill.put(uint64(i * o.ChunkSize))
	}
	s.fill.submit()

	flags := uint16(unix.XDP_USE_NEED_WAKEUP)
	switch o.Bind {
	case BindCopy:
		flags |= unix.XDP_COPY
	case BindZeroCopy:
		flags |= unix.XDP_ZEROCOPY
	}
	sa := &unix.SockaddrXDP{Flags: flags, Ifindex: uint32(c.ifindex), QueueID: uint32(s.queue)}
	err = unix.Bind(fd, sa)
	// A socket closed a moment ago (by a Capture closed just before this
	// Open) releases its queue from a kernel work queue: EBUSY until then.
	for deadline := time.Now().Add(bindBusyWait); err == unix.EBUSY && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		err = unix.Bind(fd, sa)
	}
	if err != nil {
		switch {
		case o.Bind == BindZeroCopy && (err == unix.EOPNOTSUPP || err == unix.EINVAL):
			return fmt.Errorf("afxdp: binding %s zero-copy: the driver has no AF_XDP zero-copy support (use BindAuto or BindCopy): %w", qname, err)
		case err == unix.EBUSY:
			return &BusyError{Ifname: c.ifname, Reason: "queue " + strconv.Itoa(s.queue) + " already has an AF_XDP socket or zero-copy pool", Err: err}
		case isInterfaceErrno(err):
			return &InterfaceError{Op: "open", Ifname: c.ifname, Err: err}
		case isPerm(err):
			return permErr("binding an AF_XDP socket to "+qname, err, capNetRaw)
		}
		return fmt.Errorf("afxdp: binding to %s: %w", qname, err)
	}
	if o.BusyPoll > 0 {
		us := int((o.BusyPoll + time.Microsecond - 1) / time.Microsecond)
		for _, so := range []struct {
			opt, val int
			name     string
		}{
			{unix.SO_PREFER_BUSY_POLL, 1, "SO_PREFER_BUSY_POLL"},
			{unix.SO_BUSY_POLL, us, "SO_BUSY_POLL"},
			{unix.SO_BUSY_POLL_BUDGET, o.BusyPollBudget, "SO_BUSY_POLL_BUDGET"},
		} {
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, so.opt, so.val); err != nil {
				if isPerm(err) {
					return permErr("setting "+so.name+" on "+qname, err, capNetAdmin)
				}
				return fmt.Errorf("afxdp: setting %s %d on %s: %w", so.name, so.val, qname, err)
			}
		}
	}
	if v, err := unix.GetsockoptInt(fd, unix.SOL_XDP, unix.XDP_OPTIONS); err == nil {
		s.zc = v&unix.XDP_OPTIONS_ZEROCOPY != 0
	}
	return nil
}

// loadAndAttach loads the XDP program, puts the sockets in its XSKMAP and
// attaches it in driver mode (or generic mode when allowed and driver mode
// is refused), first replacing a stale program.
func (c *Capture) loadAndAttach() error {
	o := &c.opts
	var err error
	if !o.NoHardwareTimestamps {
		// Device-bound programs attach only in driver mode; fall back to the
		// generic program when the driver or kernel will not load one.
		if c.sys.filter, err = bpf.LoadDeviceBound(c.ifindex); err != nil {
			c.sys.filter = nil
		}
	}
	if c.sys.filter == nil {
		if c.sys.filter, err = bpf.Load(); err != nil {
			if errors.Is(err, os.ErrPermission) {
				return permErr("loading the XDP program", err, capBPF, capNetAdmin)
			}
			return fmt.Errorf("afxdp: %w", err)
		}
	}
	if err := c.fillXSKMap(); err != nil {
		return err
	}
	if err := c.replaceStale(); err != nil {
		return err
	}
	l, err := link.AttachXDP(link.XDPOptions{Program: c.sys.filter.Program(), Interface: c.ifindex, Flags: link.XDPDriverMode})
	mode := AttachDriver
	if err != nil && o.AllowGeneric && !isPerm(err) && !errors.Is(err, unix.EBUSY) && !errors.Is(err, unix.EEXIST) {
		// Driver mode refused: the generic program in generic mode.
		if c.sys.filter.DeviceBound() {
			c.sys.filter.Close()
			if c.sys.filter, err = bpf.Load(); err != nil {
				return fmt.Errorf("afxdp: %w", err)
			}
			if err := c.fillXSKMap(); err != nil {
				return err
			}
		}
		l, err = link.AttachXDP(link.XDPOptions{Program: c.sys.filter.Program(), Interface: c.ifindex, Flags: link.XDPGenericMode})
		mode = AttachGeneric
	}
	if err != nil {
		switch {
		case isPerm(err):
			return permErr("attaching the XDP program to "+c.ifname, err, capNetAdmin)
		case errors.Is(err, unix.EBUSY) || errors.Is(err, unix.EEXIST):
			return &BusyError{Ifname: c.ifname, Reason: "another XDP program is attached (through a bpf_link of a running process, or in another mode)", Err: err}
		case isInterfaceErrno(err):
			return &InterfaceError{Op: "open", Ifname: c.ifname, Err: err}
		}
		return fmt.Errorf("afxdp: attaching the XDP program to %s in %s mode: %w", c.ifname, mode, err)
	}
	c.sys.link = l
	c.info.Attach = mode
	c.info.DeviceBound = c.sys.filter.DeviceBound()
	c.info.NoMetadata = bpf.NoMetadata()
	return nil
}

func (c *Capture) fillXSKMap() error {
	for i := range c.socks {
		s := &c.socks[i]
		if err := c.sys.filter.SetSocket(uint32(s.queue), s.fd); err != nil {
			return fmt.Errorf("afxdp: putting the socket of queue %d into the XSKMAP: %w", s.queue, err)
		}
	}
	return nil
}

// ourProgPrefix is the name of ptpwatch's XDP programs as the kernel keeps
// it (xdp_ptp_filter, xdp_ptp_filter_hw cut to 15 characters).
const ourProgPrefix = "xdp_ptp_filter"

// replaceStale detaches an XDP program attached to the interface through
// netlink: ptpwatch's own left by a crashed run (a bpf_link's program goes
// away with its process, a netlink-attached one stays), or any with
// Options.ReplaceForeign. A program held by a live bpf_link cannot be
// detached this way, and the kernel says EBUSY.
func (c *Capture) replaceStale() error {
	nl, err := dialRoute()
	if err != nil {
		return fmt.Errorf("afxdp: opening a netlink socket: %w", err)
	}
	defer nl.Close()
	st, err := nl.queryXDP(c.ifindex)
	if err != nil {
		if isInterfaceErrno(err) {
			return &InterfaceError{Op: "open", Ifname: c.ifname, Err: err}
		}
		return fmt.Errorf("afxdp: reading the XDP state of %s: %w", c.ifname, err)
	}
	ids, flags := st.modes()
	for i, id := range ids {
		name := progName(id)
		if !strings.HasPrefix(name, ourProgPrefix) && !c.opts.ReplaceForeign {
			reason := "a foreign XDP program is attached (set ReplaceForeign, or remove it with `ip link set dev " + c.ifname + " xdp off`)"
			if name == "" {
				reason = "an XDP program that cannot be identified is attached (set ReplaceForeign to replace it)"
			}
			return &BusyError{Ifname: c.ifname, ProgID: id, ProgName: name, Reason: reason}
		}
		if err := nl.setXDP(c.ifindex, -1, flags[i]); err != nil {
			if errors.Is(err, unix.EBUSY) {
				return &BusyError{Ifname: c.ifname, ProgID: id, ProgName: name,
					Reason: "the attached XDP program is held by a bpf_link of a running process", Err: err}
			}
			if isPerm(err) {
				return permErr("detaching the stale XDP program from "+c.ifname, err, capNetAdmin)
			}
			return fmt.Errorf("afxdp: detaching XDP program %d from %s: %w", id, c.ifname, err)
		}
		c.info.ReplacedProgID = id
	}
	return nil
}

// progName returns the name of the program with id, or "" when it cannot
// be read (that needs CAP_SYS_ADMIN).
func progName(id uint32) string {
	p, err := ebpf.NewProgramFromID(ebpf.ProgramID(id))
	if err != nil {
		return ""
	}
	defer p.Close()
	info, err := p.Info()
	if err != nil {
		return ""
	}
	return info.Name
}

// readTAIOffset reads the kernel's TAI offset (adjtimex with no modes
// changes nothing and needs no privilege).
func (c *Capture) readTAIOffset() {
	c.sys.timex = unix.Timex{}
	if _, err := unix.Adjtimex(&c.sys.timex); err == nil {
		c.taiOffset = int64(c.sys.timex.Tai) * int64(time.Second)
	}
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_TAI, &ts) == nil {
		c.taiAt = ts.Nano()
	}
}

// refreshTAI rereads the TAI offset; tai is the stamp that asked for it.
func (c *Capture) refreshTAI(tai int64) {
	c.sys.timex.Modes = 0
	if _, err := unix.Adjtimex(&c.sys.timex); err == nil {
		c.taiOffset = int64(c.sys.timex.Tai) * int64(time.Second)
	}
	c.taiAt = tai
}

// kickRX wakes the kernel to refill from the fill ring (needed only when
// it set XDP_RING_NEED_WAKEUP, which zero-copy drivers do).
func (c *Capture) kickRX(s *xsk) {
	unix.Syscall6(unix.SYS_RECVFROM, uintptr(s.fd), 0, 0, unix.MSG_DONTWAIT, 0, 0)
}

// wait blocks in poll(2) on the queue sockets and the link watch for at
// most one slice (or limit, when shorter and not 0), or returns why it
// cannot.
func (c *Capture) wait(ctx context.Context, limit time.Duration) error {
	if c.sys.gone != nil {
		return c.sys.gone
	}
	d, err := waitTimeout(ctx, limit)
	if err != nil {
		return err
	}
	pfds := c.sys.pfds
	if len(pfds) == 0 {
		return ErrClosed
	}
	for i := range pfds {
		pfds[i].Revents = 0
	}
	ms := int((d + time.Millisecond - 1) / time.Millisecond)
	t0 := time.Now()
	if c.holdP.Load() {
		_, err = rtwait.Poll(pfds, d)
	} else {
		_, err = unix.Poll(pfds, ms)
	}
	c.pollNs.Add(uint64(time.Since(t0)))
	if err != nil {
		if err == unix.EINTR {
			return nil
		}
		return fmt.Errorf("afxdp: poll on %s: %w", c.ifname, err)
	}
	for i := range pfds[:len(pfds)-1] {
		if pfds[i].Revents&unix.POLLNVAL != 0 {
			return ErrClosed
		}
	}
	if pfds[len(pfds)-1].Revents == 0 {
		return nil
	}
	w := c.sys.watch
	before := w.events
	w.read()
	c.linkEvents.Add(w.events - before)
	before = w.events
	switch {
	case w.gone:
		c.sys.gone = &InterfaceError{Op: "next", Ifname: c.ifname, Err: unix.ENODEV}
		return c.sys.gone
	case w.downNew:
		// Deleting a link takes it down first: give the RTM_DELLINK that
		// may follow a moment to arrive, so a deletion reads as ENODEV.
		unix.Poll(pfds[len(pfds)-1:], 20)
		w.read()
		c.linkEvents.Add(w.events - before)
		w.downNew = false
		if w.gone {
			c.sys.gone = &InterfaceError{Op: "next", Ifname: c.ifname, Err: unix.ENODEV}
			return c.sys.gone
		}
		return &InterfaceError{Op: "next", Ifname: c.ifname, Err: unix.ENETDOWN}
	}
	return nil
}

// send copies frame into a free TX chunk, queues it on the TX ring and
// kicks the kernel when it asks for it. c.txMu is held.
func (c *Capture) send(frame []byte) (int64, error) {
	if c.sys.gone != nil {
		return 0, &InterfaceError{Op: "send", Ifname: c.ifname, Err: unix.ENODEV}
	}
	s := &c.socks[0]
	c.reapTX(s)
	for deadline := time.Now().Add(DefaultTXWait); len(s.txFree) == 0; {
		// Everything in flight: the kernel may need a kick to finish.
		if err := c.kickTX(s); err != nil {
			return 0, err
		}
		c.reapTX(s)
		if len(s.txFree) > 0 {
			break
		}
		if time.Now().After(deadline) {
			return 0, ErrTXBusy
		}
		time.Sleep(50 * time.Microsecond)
	}
	if s.tx.free(1) == 0 {
		return 0, ErrTXBusy // cannot happen: the TX ring has a slot per TX chunk
	}
	addr := s.txFree[len(s.txFree)-1]
	s.txFree = s.txFree[:len(s.txFree)-1]
	copy(s.umem[addr:addr+uint64(c.opts.ChunkSize)], frame)
	s.tx.put(desc{Addr: addr, Len: uint32(len(frame))})
	s.tx.submit()
	t := time.Now().UnixNano()
	if s.tx.needWakeup() {
		if err := c.kickTX(s); err != nil {
			return 0, err
		}
	}
	c.reapTX(s)
	return t, nil
}

// kickTX asks the kernel to send what is on the TX ring. EAGAIN, EBUSY and
// ENOBUFS mean it is busy and will be asked again.
func (c *Capture) kickTX(s *xsk) error {
	c.txKicks.Add(1)
	for {
		_, _, e := unix.Syscall6(unix.SYS_SENDTO, uintptr(s.fd), 0, 0, unix.MSG_DONTWAIT, 0, 0)
		switch e {
		case 0, unix.EAGAIN, unix.EBUSY, unix.ENOBUFS:
			return nil
		case unix.EINTR:
			continue
		case unix.ENETDOWN, unix.ENXIO, unix.ENODEV:
			return &InterfaceError{Op: "send", Ifname: c.ifname, Err: e}
		}
		return fmt.Errorf("afxdp: send on %s: %w", c.ifname, e)
	}
}

// kernelStats sums XDP_STATISTICS over the sockets. c.mu is held.
func (c *Capture) kernelStats() (Stats, error) {
	var st Stats
	for i := range c.socks {
		var x unix.XDPStatistics
		if err := getsockoptPtr(c.socks[i].fd, unix.SOL_XDP, unix.XDP_STATISTICS, unsafe.Pointer(&x), unsafe.Sizeof(x)); err != nil {
			return st, fmt.Errorf("afxdp: reading statistics of %s queue %d: %w", c.ifname, c.socks[i].queue, err)
		}
		dropped := x.Rx_dropped
		if !c.info.ZeroCopy {
			// In copy mode the kernel counts a frame that found the fill
			// ring empty in rx_dropped as well as in
			// rx_fill_ring_empty_descs; RxDropped keeps the other causes
			// only, so that summing the two counts each frame once.
			dropped -= min(dropped, x.Rx_fill_ring_empty_descs)
		}
		st.RxDropped += dropped
		st.RxInvalidDescs += x.Rx_invalid_descs
		st.TxInvalidDescs += x.Tx_invalid_descs
		st.RxRingFull += x.Rx_ring_full
		st.RxFillRingEmptyDescs += x.Rx_fill_ring_empty_descs
		st.TxRingEmptyDescs += x.Tx_ring_empty_descs
	}
	return st, nil
}

func (c *Capture) filterCounters() (bpf.Counters, error) {
	if c.sys.filter == nil {
		return bpf.Counters{}, ErrClosed
	}
	return c.sys.filter.Counters()
}

// close detaches the program (closing the bpf_link detaches it at once),
// then releases the program, the sockets and their memory.
func (c *Capture) close() error {
	var errs []error
	if c.sys.link != nil {
		errs = append(errs, c.sys.link.Close())
		c.sys.link = nil
	}
	if c.sys.filter != nil {
		errs = append(errs, c.sys.filter.Close())
		c.sys.filter = nil
	}
	for i := range c.socks {
		s := &c.socks[i]
		if s.fd >= 0 {
			errs = append(errs, unix.Close(s.fd))
			s.fd = -1
		}
		for _, m := range s.maps {
			errs = append(errs, unix.Munmap(m))
		}
		s.maps = nil
		if s.umem != nil {
			errs = append(errs, unix.Munmap(s.umem))
			s.umem = nil
		}
	}
	c.socks = nil
	c.sys.pfds = nil
	if c.sys.watch != nil {
		errs = append(errs, unix.Close(c.sys.watch.fd))
		c.sys.watch = nil
	}
	return errors.Join(errs...)
}
