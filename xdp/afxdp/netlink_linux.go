//go:build linux

package afxdp

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// A little rtnetlink, enough to see which XDP program an interface has,
// to detach or attach one the pre-bpf_link way (IFLA_XDP through
// RTM_SETLINK), and to follow the interface's state.

// IFLA_XDP_ATTACHED values (XDP_ATTACHED_* in linux/if_link.h).
const (
	xdpAttachedNone  = 0
	xdpAttachedDrv   = 1
	xdpAttachedSKB   = 2
	xdpAttachedHW    = 3
	xdpAttachedMulti = 4
)

const (
	nlmsgHdrLen  = 16 // struct nlmsghdr
	ifinfoLen    = 16 // struct ifinfomsg
	rtattrHdrLen = 4
)

// xdpState is the IFLA_XDP part of an interface's link message.
type xdpState struct {
	attached  uint8  // xdpAttached*
	progID    uint32 // IFLA_XDP_PROG_ID: the program when only one is attached
	drvProgID uint32 // IFLA_XDP_DRV_PROG_ID (multi)
	skbProgID uint32 // IFLA_XDP_SKB_PROG_ID (multi)
}

// modes returns the programs attached, each with the XDP_FLAGS_*_MODE that
// detaches it.
func (s xdpState) modes() (ids []uint32, flags []uint32) {
	switch s.attached {
	case xdpAttachedDrv:
		return []uint32{s.progID}, []uint32{unix.XDP_FLAGS_DRV_MODE}
	case xdpAttachedSKB:
		return []uint32{s.progID}, []uint32{unix.XDP_FLAGS_SKB_MODE}
	case xdpAttachedHW:
		return []uint32{s.progID}, []uint32{unix.XDP_FLAGS_HW_MODE}
	case xdpAttachedMulti:
		if s.drvProgID != 0 {
			ids, flags = append(ids, s.drvProgID), append(flags, unix.XDP_FLAGS_DRV_MODE)
		}
		if s.skbProgID != 0 {
			ids, flags = append(ids, s.skbProgID), append(flags, unix.XDP_FLAGS_SKB_MODE)
		}
	}
	return ids, flags
}

// nlConn is a NETLINK_ROUTE socket for requests.
type nlConn struct {
	fd  int
	seq uint32
	buf []byte
}

func dialRoute() (*nlConn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	// Error messages from the kernel (extended ACK), without a copy of the
	// request in them.
	unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1)
	unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &nlConn{fd: fd, buf: make([]byte, 32<<10)}, nil
}

func (n *nlConn) Close() error { return unix.Close(n.fd) }

// linkRequest builds a request of type typ about ifindex with attrs.
func linkRequest(typ, flags uint16, seq uint32, ifindex int, attrs []byte) []byte {
	b := make([]byte, 0, nlmsgHdrLen+ifinfoLen+len(attrs))
	b = binary.NativeEndian.AppendUint32(b, uint32(nlmsgHdrLen+ifinfoLen+len(attrs)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = binary.NativeEndian.AppendUint16(b, flags)
	b = binary.NativeEndian.AppendUint32(b, seq)
	b = binary.NativeEndian.AppendUint32(b, 0) // port id: the kernel fills it in
	// struct ifinfomsg: family, pad, type, index, flags, change
	b = append(b, unix.AF_UNSPEC, 0, 0, 0)
	b = binary.NativeEndian.AppendUint32(b, uint32(int32(ifindex)))
	b = binary.NativeEndian.AppendUint32(b, 0)
	b = binary.NativeEndian.AppendUint32(b, 0)
	return append(b, attrs...)
}

func appendAttr(b []byte, typ uint16, data []byte) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(rtattrHdrLen+len(data)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// roundTrip sends req and returns the payload of the reply with req's
// sequence number: the message (for a GETLINK) or nil for an ACK. A
// NLMSG_ERROR becomes a *nlError.
func (n *nlConn) roundTrip(req []byte) (typ uint16, msg []byte, err error) {
	n.seq++
	binary.NativeEndian.PutUint32(req[8:], n.seq)
	if err := unix.Sendto(n.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, nil, err
	}
	for {
		k, _, err := unix.Recvfrom(n.fd, n.buf, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, nil, err
		}
		for b := n.buf[:k]; len(b) >= nlmsgHdrLen; {
			l := int(binary.NativeEndian.Uint32(b))
			if l < nlmsgHdrLen || l > len(b) {
				return 0, nil, errors.New("afxdp: malformed netlink reply")
			}
			m := b[:l]
			b = b[nlAlign(l):]
			if binary.NativeEndian.Uint32(m[8:]) != n.seq {
				continue
			}
			typ := binary.NativeEndian.Uint16(m[4:])
			if typ == unix.NLMSG_ERROR {
				return typ, nil, parseNLError(m)
			}
			return typ, m[nlmsgHdrLen:], nil
		}
	}
}

func nlAlign(n int) int { return (n + 3) &^ 3 }

// nlError is a netlink NLMSG_ERROR with the kernel's extended message.
type nlError struct {
	errno unix.Errno
	msg   string
}

func (e *nlError) Error() string {
	if e.msg != "" {
		return e.msg + ": " + e.errno.Error()
	}
	return e.errno.Error()
}

func (e *nlError) Unwrap() error { return e.errno }

// parseNLError returns nil for an ACK, else the error with the extended
// ACK's message if any.
func parseNLError(m []byte) error {
	if len(m) < nlmsgHdrLen+4 {
		return errors.New("afxdp: short netlink error")
	}
	code := int32(binary.NativeEndian.Uint32(m[nlmsgHdrLen:]))
	if code == 0 {
		return nil
	}
	e := &nlError{errno: unix.Errno(-code)}
	flags := binary.NativeEndian.Uint16(m[6:])
	// struct nlmsgerr: error, then the request's header (capped: no payload),
	// then the extended ACK's attributes.
	if off := nlmsgHdrLen + 4 + nlmsgHdrLen; flags&unix.NLM_F_ACK_TLVS != 0 && len(m) > off {
		forAttrs(m[off:], func(typ uint16, data []byte) {
			if typ == unix.NLMSGERR_ATTR_MSG {
				for len(data) > 0 && data[len(data)-1] == 0 {
					data = data[:len(data)-1]
				}
				e.msg = string(data)
			}
		})
	}
	return e
}

// forAttrs calls fn for each rtattr in b (the type without NLA_F_ flags).
// It does not allocate.
func forAttrs(b []byte, fn func(typ uint16, data []byte)) {
	for len(b) >= rtattrHdrLen {
		l := int(binary.NativeEndian.Uint16(b))
		if l < rtattrHdrLen || l > len(b) {
			return
		}
		fn(binary.NativeEndian.Uint16(b[2:])&^(unix.NLA_F_NESTED|unix.NLA_F_NET_BYTEORDER), b[rtattrHdrLen:l])
		b = b[min(nlAlign(l), len(b)):]
	}
}

// queryXDP returns the XDP programs attached to ifindex.
func (n *nlConn) queryXDP(ifindex int) (xdpState, error) {
	var st xdpState
	typ, msg, err := n.roundTrip(linkRequest(unix.RTM_GETLINK, unix.NLM_F_REQUEST, 0, ifindex, nil))
	if err != nil {
		return st, err
	}
	if typ != unix.RTM_NEWLINK || len(msg) < ifinfoLen {
		return st, fmt.Errorf("afxdp: unexpected netlink reply type %d", typ)
	}
	forAttrs(msg[ifinfoLen:], func(typ uint16, data []byte) {
		if typ != unix.IFLA_XDP {
			return
		}
		forAttrs(data, func(typ uint16, d []byte) {
			switch {
			case typ == unix.IFLA_XDP_ATTACHED && len(d) >= 1:
				st.attached = d[0]
			case typ == unix.IFLA_XDP_PROG_ID && len(d) >= 4:
				st.progID = binary.NativeEndian.Uint32(d)
			case typ == unix.IFLA_XDP_DRV_PROG_ID && len(d) >= 4:
				st.drvProgID = binary.NativeEndian.Uint32(d)
			case typ == unix.IFLA_XDP_SKB_PROG_ID && len(d) >= 4:
				st.skbProgID = binary.NativeEndian.Uint32(d)
			}
		})
	})
	return st, nil
}

// setXDP attaches the program fd (or detaches with fd -1) in the mode of
// flags through IFLA_XDP, the netlink way: the attachment outlives the
// process, unlike a bpf_link's.
func (n *nlConn) setXDP(ifindex, fd int, flags uint32) error {
	var nested []byte
	nested = appendAttr(nested, unix.IFLA_XDP_FD, binary.NativeEndian.AppendUint32(nil, uint32(int32(fd))))
	nested = appendAttr(nested, unix.IFLA_XDP_FLAGS, binary.NativeEndian.AppendUint32(nil, flags))
	attrs := appendAttr(nil, unix.IFLA_XDP|unix.NLA_F_NESTED, nested)
	_, _, err := n.roundTrip(linkRequest(unix.RTM_SETLINK, unix.NLM_F_REQUEST|unix.NLM_F_ACK, 0, ifindex, attrs))
	return err
}

// linkWatch is a NETLINK_ROUTE socket subscribed to link notifications,
// polled by Next next to the queue sockets. It was opened in the
// interface's network namespace and keeps hearing about it from any
// thread. Reading it does not allocate.
type linkWatch struct {
	fd      int
	ifindex int
	buf     []byte
	resync  []byte // an RTM_GETLINK for ifindex, sent after a lost notification
	gone    bool   // RTM_DELLINK seen, or the resync found no such link
	down    bool   // IFF_UP is clear
	downNew bool   // went down since Next last reported it
	events  uint64 // messages about ifindex
}

func openLinkWatch(ifindex int) (*linkWatch, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_LINK}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &linkWatch{
		fd:      fd,
		ifindex: ifindex,
		buf:     make([]byte, 32<<10),
		resync:  linkRequest(unix.RTM_GETLINK, unix.NLM_F_REQUEST, 1, ifindex, nil),
	}, nil
}

// read drains the socket and updates the link state.
func (w *linkWatch) read() {
	for {
		n, err := unix.Read(w.fd, w.buf)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.ENOBUFS:
			// Notifications were lost: ask for the current state; the reply
			// comes in like a notification.
			unix.Write(w.fd, w.resync)
			continue
		case err != nil || n <= 0:
			return
		}
		w.parse(w.buf[:n])
	}
}

func (w *linkWatch) parse(b []byte) {
	for len(b) >= nlmsgHdrLen {
		l := int(binary.NativeEndian.Uint32(b))
		if l < nlmsgHdrLen || l > len(b) {
			return
		}
		m := b[:l]
		b = b[min(nlAlign(l), len(b)):]
		typ := binary.NativeEndian.Uint16(m[4:])
		switch typ {
		case unix.NLMSG_ERROR:
			// Only our resync request can fail: the link is gone.
			if len(m) >= nlmsgHdrLen+4 {
				if code := int32(binary.NativeEndian.Uint32(m[nlmsgHdrLen:])); code == -int32(unix.ENODEV) {
					w.gone = true
				}
			}
		case unix.RTM_NEWLINK, unix.RTM_DELLINK:
			if len(m) < nlmsgHdrLen+ifinfoLen {
				continue
			}
			info := m[nlmsgHdrLen:]
			if int(int32(binary.NativeEndian.Uint32(info[4:]))) != w.ifindex {
				continue
			}
			w.events++
			if typ == unix.RTM_DELLINK {
				w.gone = true
				continue
			}
			up := binary.NativeEndian.Uint32(info[8:])&unix.IFF_UP != 0
			if !up && !w.down {
				w.downNew = true
			}
			w.down = !up
		}
	}
}

// AttachedPrograms returns the ids of the XDP programs attached to the
// interface with index ifindex, none when it has none. It needs no
// privileges: tools use it to tell that a capture (ptpwatch's AF_XDP
// one, or another program) owns what arrives on the interface.
func AttachedPrograms(ifindex int) ([]uint32, error) {
	n, err := dialRoute()
	if err != nil {
		return nil, fmt.Errorf("afxdp: netlink: %w", err)
	}
	defer n.Close()
	st, err := n.queryXDP(ifindex)
	if err != nil {
		return nil, fmt.Errorf("afxdp: XDP programs of interface %d: %w", ifindex, err)
	}
	ids, _ := st.modes()
	return ids, nil
}
