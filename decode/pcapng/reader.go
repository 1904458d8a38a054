package pcapng

import (
	"bufio"
	"encoding/binary"
	"io"
	"slices"
)

// Format names the container a Reader found.
type Format uint8

// Formats. The zero value means no file has been recognised.
const (
	FormatUnknown Format = iota
	FormatPcap           // classic libpcap file, one link type, no options
	FormatPcapNG         // pcapng: sections, interfaces, options
)

// String returns "pcap", "pcapng" or "unknown".
func (f Format) String() string {
	switch f {
	case FormatPcap:
		return "pcap"
	case FormatPcapNG:
		return "pcapng"
	}
	return "unknown"
}

// Block types and option codes from the pcapng specification
// (draft-ietf-opsawg-pcapng) that the Reader and NgWriter act on.
const (
	blockIDB = 0x00000001
	blockPB  = 0x00000002 // obsolete Packet Block
	blockSPB = 0x00000003
	blockEPB = 0x00000006
	blockSHB = 0x0a0d0d0a

	byteOrderMagic = 0x1a2b3c4d

	optEndOfOpt  = 0
	optComment   = 1
	optShbHW     = 2
	optShbOS     = 3
	optShbApp    = 4
	optIfName    = 2
	optIfDesc    = 3
	optIfTsresol = 9
	optIfTsoff   = 14

	// Classic pcap magics as read little-endian from the first four bytes.
	pcapMicroLE = 0xa1b2c3d4
	pcapMicroBE = 0xd4c3b2a1
	pcapNanoLE  = 0xa1b23c4d
	pcapNanoBE  = 0x4d3cb2a1

	// Smallest block total lengths: header and trailer plus fixed fields.
	minBlock = 12
	minSHB   = 28
	minIDB   = 20
	minEPB   = 32
	minSPB   = 16
	minPB    = 32

	readBufSize = 64 << 10
)

// Option codes that callers may pass to [Packet.Option].
const (
	OptComment     = 1 // opt_comment: UTF-8 text
	OptEPBFlags    = 2 // epb_flags: 32-bit direction, reception type, FCS length
	OptEPBHash     = 3 // epb_hash
	OptEPBDropped  = 4 // epb_dropcount: 64-bit
	OptEPBPacketID = 5 // epb_packetid: 64-bit
	OptEPBQueue    = 6 // epb_queue: 32-bit
	OptEPBVerdict  = 7 // epb_verdict
)

// Packet is one captured frame. The caller owns the struct and passes it to
// [Reader.Next] again and again; Data and the options alias the Reader's
// buffer and are valid only until the following call.
type Packet struct {
	// Data holds the captured bytes. Its capacity is clipped to its length,
	// so appending to it copies rather than overwriting the Reader's buffer.
	Data []byte
	// CaptureLength is len(Data): the bytes present in the file.
	CaptureLength int
	// OriginalLength is the frame's length on the wire, larger than
	// CaptureLength when the capture was cut by a snap length.
	OriginalLength int
	// Timestamp is nanoseconds since the Unix epoch with the interface's
	// if_tsoffset applied. Simple Packet Blocks carry no time; they read as 0.
	Timestamp int64
	// Interface indexes [Reader.Interfaces]. It counts interfaces over all
	// sections, so it stays unique when a file holds several sections.
	Interface int
	// LinkType is the interface's link type, repeated here for convenience.
	LinkType LinkType

	options []byte
	order   endian
}

// Option returns the value of the first option with the given code attached
// to the packet, such as [OptComment] or [OptEPBFlags]. Multi-byte numbers in
// it are in the section's byte order, reported by [Reader.Section]. The slice
// aliases the Reader's buffer. It does not allocate.
func (p *Packet) Option(code uint16) ([]byte, bool) {
	b := p.options
	for {
		c, v, rest, st := nextOption(b, p.order)
		if st != optOK {
			return nil, false
		}
		if c == code {
			return v, true
		}
		b = rest
	}
}

// Comment returns the packet's first opt_comment, or "" if it has none. It
// allocates the string only when there is a comment.
func (p *Packet) Comment() string {
	v, ok := p.Option(OptComment)
	if !ok {
		return ""
	}
	return string(v)
}

// Interface describes one capture interface: a pcapng Interface Description
// Block, or the single implicit interface of a classic pcap file.
type Interface struct {
	Name        string     // if_name, e.g. "eth0"
	Description string     // if_description
	LinkType    LinkType   // link-layer header of every packet on it
	SnapLen     int        // most bytes stored per packet; 0 means no limit
	Resolution  Resolution // tick length; Microsecond when if_tsresol is absent
	TSOffset    int64      // if_tsoffset: seconds added to every timestamp
	Section     int        // index of the section that declared it (reading only)
}

// Section describes the pcapng section being read (or, for classic pcap, the
// file header).
type Section struct {
	Index           int    // 0 for the first section in the file
	BigEndian       bool   // byte order of the section's numbers
	Major, Minor    uint16 // format version
	Hardware        string // shb_hardware
	OS              string // shb_os
	UserApplication string // shb_userappl
	Comment         string // first opt_comment
}

// ifaceState is what the per-packet path needs from an interface, kept apart
// from Interface so that it stays small and free of strings.
type ifaceState struct {
	conv     tickConv
	offsetNs int64
	snap     int
	link     LinkType
}

// Reader decodes packets from a pcap or pcapng stream. Create one with
// NewReader; the zero Reader is not usable.
type Reader struct {
	br     *bufio.Reader
	big    []byte // holds blocks too large to peek at in br
	off    int64  // bytes consumed so far
	err    error  // sticky: once set, Next returns it
	format Format
	order  endian

	section  Section
	sections int
	ifaces   []Interface
	state    []ifaceState
	base     int // index in ifaces of the current section's interface 0
	meta     int // bytes of interface strings kept
}

// NewReader reads the file header of a pcap or pcapng stream and returns a
// Reader positioned at the first packet. For pcapng it also reads the
// interface blocks that directly follow the section header, so Interfaces is
// complete for ordinary files before the first call to Next. The Reader
// buffers r.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{br: bufio.NewReaderSize(r, readBufSize)}
	m, err := rd.br.Peek(4)
	if len(m) < 4 {
		return nil, rd.truncated(0, "input too short for a file header", err)
	}
	if binary.LittleEndian.Uint32(m) == blockSHB {
		rd.format = FormatPcapNG
		if err := rd.startNG(); err != nil {
			return nil, err
		}
		return rd, nil
	}
	rd.format = FormatPcap
	if err := rd.startPcap(); err != nil {
		return nil, err
	}
	return rd, nil
}

// Format reports which container the Reader is decoding.
func (r *Reader) Format() Format { return r.format }

// Section describes the current section.
func (r *Reader) Section() Section { return r.section }

// Interfaces returns every interface declared so far, across all sections,
// indexed by Packet.Interface. The slice belongs to the Reader: do not modify
// it. Later calls to Next may append to it but never change earlier entries.
func (r *Reader) Interfaces() []Interface { return r.ifaces }

// Offset returns the number of input bytes consumed so far, for progress
// reports and for locating a packet in the file.
func (r *Reader) Offset() int64 { return r.off }

// Next decodes the next packet into p, skipping blocks that carry no packet.
// It returns io.EOF when the input ends cleanly. Any other error is
// permanent: later calls return it again.
func (r *Reader) Next(p *Packet) error {
	if r.err != nil {
		return r.err
	}
	var err error
	if r.format == FormatPcapNG {
		err = r.nextNG(p)
	} else {
		err = r.nextPcap(p)
	}
	if err != nil {
		r.err = err
	}
	return err
}

// take consumes the next n bytes and returns them. The slice is valid until
// the next call to take. It returns io.EOF only when no byte at all was left,
// io.ErrUnexpectedEOF when some were.
func (r *Reader) take(n int) ([]byte, error) {
	if n <= r.br.Size() {
		// Peek lets small blocks be used in place without a copy.
		b, err := r.br.Peek(n)
		if len(b) < n {
			return nil, shortRead(len(b), err)
		}
		r.br.Discard(n)
		r.off += int64(n)
		return b, nil
	}
	if n <= cap(r.big) {
		b := r.big[:n]
		if m, err := io.ReadFull(r.br, b); err != nil {
			return nil, shortRead(m, err)
		}
		r.off += int64(n)
		return b, nil
	}
	// Grow in steps no larger than what has arrived so far, so that a
	// corrupt length on a short input costs about as much memory as the
	// input itself rather than the length it claims.
	b := r.big[:0]
	for len(b) < n {
		step := min(n-len(b), max(len(b), readBufSize))
		b = slices.Grow(b, step)
		m, err := io.ReadFull(r.br, b[len(b):len(b)+step])
		b = b[:len(b)+m]
		if err != nil {
			r.big = b[:0]
			return nil, shortRead(len(b), err)
		}
	}
	r.big = b
	r.off += int64(n)
	return b, nil
}

// skip consumes n bytes without looking at them.
func (r *Reader) skip(n int) error {
	m, err := r.br.Discard(n)
	r.off += int64(m)
	if m < n {
		return shortRead(m, err)
	}
	return nil
}

// shortRead turns the error from a read that returned got bytes too few into
// io.EOF (nothing at all was left), io.ErrUnexpectedEOF (input stopped part
// way) or the underlying I/O error.
func shortRead(got int, err error) error {
	switch {
	case err == nil || err == io.ErrUnexpectedEOF:
		return io.ErrUnexpectedEOF
	case err == io.EOF && got == 0:
		return io.EOF
	case err == io.EOF:
		return io.ErrUnexpectedEOF
	}
	return err
}

// truncated reports input that stopped inside a structure starting at off.
// I/O errors other than end of input are passed through unchanged.
func (r *Reader) truncated(off int64, what string, err error) error {
	if err == nil || err == io.EOF || err == io.ErrUnexpectedEOF {
		return &FormatError{Offset: off, Reason: what, Err: io.ErrUnexpectedEOF}
	}
	return err
}

func formatErr(off int64, reason string) error {
	return &FormatError{Offset: off, Reason: reason}
}

// ---- classic pcap ----

func (r *Reader) startPcap() error {
	h, err := r.take(24)
	if err != nil {
		return r.truncated(0, "truncated pcap file header", err)
	}
	var res Resolution
	switch binary.LittleEndian.Uint32(h) {
	case pcapMicroLE:
		r.order, res = littleEndian, Microsecond
	case pcapMicroBE:
		r.order, res = bigEndian, Microsecond
	case pcapNanoLE:
		r.order, res = littleEndian, Nanosecond
	case pcapNanoBE:
		r.order, res = bigEndian, Nanosecond
	default:
		return formatErr(0, "not a pcap or pcapng file (unknown magic number)")
	}
	major, minor := r.order.u16(h[4:]), r.order.u16(h[6:])
	if major != 2 {
		return formatErr(0, "unsupported pcap version")
	}
	snap := r.order.u32(h[16:])
	// The upper bits of the link type field carry FCS details (and in old
	// files, garbage); the link type proper is the low 16 bits.
	link := LinkType(r.order.u32(h[20:]))
	r.section = Section{BigEndian: bool(r.order), Major: major, Minor: minor}
	r.ifaces = append(r.ifaces, Interface{LinkType: link, SnapLen: int(snap), Resolution: res})
	r.state = append(r.state, ifaceState{conv: newTickConv(res), snap: int(snap), link: link})
	return nil
}

func (r *Reader) nextPcap(p *Packet) error {
	start := r.off
	h, err := r.take(16)
	if err != nil {
		if err == io.EOF {
			return io.EOF
		}
		return r.truncated(start, "truncated pcap record header", err)
	}
	sec, frac := r.order.u32(h), r.order.u32(h[4:])
	capLen, origLen := r.order.u32(h[8:]), r.order.u32(h[12:])
	if capLen > MaxBlockSize-16 {
		return formatErr(start, "pcap record longer than MaxBlockSize")
	}
	data, err := r.take(int(capLen))
	if err != nil {
		return r.truncated(start, "truncated pcap record", err)
	}
	st := &r.state[0]
	p.Data = data[:capLen:capLen]
	p.CaptureLength = int(capLen)
	p.OriginalLength = int(origLen)
	p.Timestamp = int64(sec)*1e9 + int64(st.conv.nanos(uint64(frac)))
	p.Interface = 0
	p.LinkType = st.link
	p.options = nil
	p.order = r.order
	return nil
}

// ---- pcapng ----

func (r *Reader) startNG() error {
	h, err := r.take(8)
	if err != nil {
		return r.truncated(0, "truncated section header", err)
	}
	var total [4]byte
	copy(total[:], h[4:])
	if err := r.readSHB(0, total); err != nil {
		return err
	}
	// Read the interface blocks that follow so Interfaces is useful at once.
	// Anything else, including a short read, is left for Next to handle.
	for {
		h, err := r.br.Peek(8)
		if err != nil || r.order.u32(h) != blockIDB {
			return nil
		}
		start := r.off
		total := r.order.u32(h[4:])
		r.take(8)
		body, err := r.blockBody(start, total, minIDB)
		if err != nil {
			return err
		}
		if err := r.readIDB(start, body); err != nil {
			return err
		}
	}
}

// checkTotal validates a block's total length field.
func checkTotal(start int64, total uint32, minLen int) error {
	switch {
	case total > MaxBlockSize:
		return formatErr(start, "block longer than MaxBlockSize")
	case total%4 != 0:
		return formatErr(start, "block length not a multiple of 4")
	case int(total) < minLen:
		return formatErr(start, "block length too small for its type")
	}
	return nil
}

// blockBody reads the rest of a block whose 8-byte header has been consumed
// and returns its body without the trailing length, after checking that the
// trailing length matches.
func (r *Reader) blockBody(start int64, total uint32, minLen int) ([]byte, error) {
	if err := checkTotal(start, total, minLen); err != nil {
		return nil, err
	}
	b, err := r.take(int(total) - 8)
	if err != nil {
		return nil, r.truncated(start, "truncated block", err)
	}
	n := len(b) - 4
	if r.order.u32(b[n:]) != total {
		return nil, formatErr(start, "block trailing length does not match leading length")
	}
	return b[:n], nil
}

// readSHB handles a Section Header Block whose type field has been consumed
// together with its (still undecoded) total length.
func (r *Reader) readSHB(start int64, rawTotal [4]byte) error {
	bom, err := r.take(4)
	if err != nil {
		return r.truncated(start, "truncated section header", err)
	}
	switch binary.LittleEndian.Uint32(bom) {
	case byteOrderMagic:
		r.order = littleEndian
	case 0x4d3c2b1a:
		r.order = bigEndian
	default:
		return formatErr(start, "bad byte-order magic in section header")
	}
	total := r.order.u32(rawTotal[:])
	if err := checkTotal(start, total, minSHB); err != nil {
		return err
	}
	b, err := r.take(int(total) - 12)
	if err != nil {
		return r.truncated(start, "truncated section header", err)
	}
	n := len(b) - 4
	if r.order.u32(b[n:]) != total {
		return formatErr(start, "block trailing length does not match leading length")
	}
	b = b[:n]
	s := Section{
		Index:     r.sections,
		BigEndian: bool(r.order),
		Major:     r.order.u16(b),
		Minor:     r.order.u16(b[2:]),
	}
	if s.Major != 1 {
		return formatErr(start, "unsupported pcapng major version")
	}
	// b[4:12] is the section length, often -1; sections are found by
	// walking blocks, so it is not needed.
	opts := b[12:]
	for {
		code, v, rest, st := nextOption(opts, r.order)
		if st == optBad {
			return formatErr(start, "malformed section header option")
		}
		if st == optEnd {
			break
		}
		switch code {
		case optComment:
			if s.Comment == "" {
				s.Comment = string(v)
			}
		case optShbHW:
			s.Hardware = string(v)
		case optShbOS:
			s.OS = string(v)
		case optShbApp:
			s.UserApplication = string(v)
		}
		opts = rest
	}
	r.section = s
	r.sections++
	r.base = len(r.ifaces)
	return nil
}

func (r *Reader) readIDB(start int64, b []byte) error {
	if len(r.ifaces) >= MaxInterfaces {
		return formatErr(start, "more than MaxInterfaces interfaces")
	}
	ifc := Interface{
		LinkType:   LinkType(r.order.u16(b)),
		SnapLen:    int(r.order.u32(b[4:])),
		Resolution: Microsecond,
		Section:    r.section.Index,
	}
	opts := b[8:]
	for {
		code, v, rest, st := nextOption(opts, r.order)
		if st == optBad {
			return formatErr(start, "malformed interface option")
		}
		if st == optEnd {
			break
		}
		switch code {
		case optIfName:
			r.meta += len(v)
			ifc.Name = string(v)
		case optIfDesc:
			r.meta += len(v)
			ifc.Description = string(v)
		case optIfTsresol:
			if len(v) != 1 {
				return formatErr(start, "if_tsresol option is not one byte")
			}
			ifc.Resolution = ResolutionFromOption(v[0])
		case optIfTsoff:
			if len(v) != 8 {
				return formatErr(start, "if_tsoffset option is not eight bytes")
			}
			ifc.TSOffset = int64(r.order.u64(v))
		}
		opts = rest
	}
	if r.meta > maxMetadata {
		return formatErr(start, "too many bytes of interface names and descriptions")
	}
	r.ifaces = append(r.ifaces, ifc)
	r.state = append(r.state, ifaceState{
		conv:     newTickConv(ifc.Resolution),
		offsetNs: ifc.TSOffset * 1e9, // wraps for absurd offsets; never panics
		snap:     ifc.SnapLen,
		link:     ifc.LinkType,
	})
	return nil
}

func (r *Reader) nextNG(p *Packet) error {
	for {
		start := r.off
		h, err := r.take(8)
		if err != nil {
			if err == io.EOF {
				return io.EOF
			}
			return r.truncated(start, "truncated block header", err)
		}
		if binary.LittleEndian.Uint32(h) == blockSHB {
			// The length's byte order is only known after the byte-order
			// magic, so keep its raw bytes.
			var total [4]byte
			copy(total[:], h[4:])
			if err := r.readSHB(start, total); err != nil {
				return err
			}
			continue
		}
		typ, total := r.order.u32(h), r.order.u32(h[4:])
		switch typ {
		case blockEPB, blockPB:
			body, err := r.blockBody(start, total, minEPB)
			if err != nil {
				return err
			}
			var id uint32
			if typ == blockEPB {
				id = r.order.u32(body)
			} else {
				id = uint32(r.order.u16(body)) // then a 16-bit drop count
			}
			return r.packet(start, p, id, body)
		case blockSPB:
			body, err := r.blockBody(start, total, minSPB)
			if err != nil {
				return err
			}
			return r.simplePacket(start, p, body)
		case blockIDB:
			body, err := r.blockBody(start, total, minIDB)
			if err != nil {
				return err
			}
			if err := r.readIDB(start, body); err != nil {
				return err
			}
		default:
			// Name resolution, statistics, secrets, custom and future
			// blocks: check the framing and move on without buffering.
			if err := checkTotal(start, total, minBlock); err != nil {
				return err
			}
			if err := r.skip(int(total) - minBlock); err != nil {
				return r.truncated(start, "truncated block", err)
			}
			t, err := r.take(4)
			if err != nil {
				return r.truncated(start, "truncated block", err)
			}
			if r.order.u32(t) != total {
				return formatErr(start, "block trailing length does not match leading length")
			}
		}
	}
}

// packet fills p from the body of an Enhanced or obsolete Packet Block; the
// two share their layout after the interface field.
func (r *Reader) packet(start int64, p *Packet, id uint32, b []byte) error {
	if uint64(id) >= uint64(len(r.ifaces)-r.base) {
		return formatErr(start, "packet refers to an undeclared interface")
	}
	capLen := r.order.u32(b[12:])
	if uint64(capLen) > uint64(len(b)-20) {
		return formatErr(start, "captured length exceeds block")
	}
	end := 20 + int(capLen)
	opts := b[pad4(end):]
	if !validOptions(opts, r.order) {
		return formatErr(start, "malformed packet option")
	}
	idx := r.base + int(id)
	st := &r.state[idx]
	ticks := uint64(r.order.u32(b[4:]))<<32 | uint64(r.order.u32(b[8:]))
	p.Data = b[20:end:end]
	p.CaptureLength = int(capLen)
	p.OriginalLength = int(r.order.u32(b[16:]))
	p.Timestamp = int64(st.conv.nanos(ticks)) + st.offsetNs
	p.Interface = idx
	p.LinkType = st.link
	p.options = opts
	p.order = r.order
	return nil
}

// simplePacket fills p from a Simple Packet Block, which belongs to the
// section's first interface and stores min(original length, snap length)
// bytes.
func (r *Reader) simplePacket(start int64, p *Packet, b []byte) error {
	if len(r.ifaces) == r.base {
		return formatErr(start, "simple packet block before any interface")
	}
	st := &r.state[r.base]
	orig := r.order.u32(b)
	n := uint64(orig)
	if st.snap > 0 && n > uint64(st.snap) {
		n = uint64(st.snap)
	}
	if avail := uint64(len(b) - 4); n > avail {
		n = avail // tolerate writers that trimmed without setting snaplen
	}
	end := 4 + int(n)
	p.Data = b[4:end:end]
	p.CaptureLength = int(n)
	p.OriginalLength = int(orig)
	p.Timestamp = 0
	p.Interface = r.base
	p.LinkType = st.link
	p.options = nil
	p.order = r.order
	return nil
}

// Results of nextOption.
const (
	optOK  = iota // an option was split off
	optEnd        // opt_endofopt or the end of the list
	optBad        // an option's value runs past the end of the list
)

// nextOption splits the first option off an option list.
func nextOption(b []byte, order endian) (code uint16, val, rest []byte, status int) {
	if len(b) < 4 {
		return 0, nil, nil, optEnd
	}
	code = order.u16(b)
	if code == optEndOfOpt {
		return 0, nil, nil, optEnd
	}
	n := int(order.u16(b[2:]))
	if 4+n > len(b) {
		return 0, nil, nil, optBad
	}
	end := 4 + pad4(n)
	if end > len(b) {
		end = len(b) // the last value's padding may be missing
	}
	return code, b[4 : 4+n : 4+n], b[end:], optOK
}

// validOptions reports whether every option in b stays inside b.
func validOptions(b []byte, order endian) bool {
	for {
		_, _, rest, st := nextOption(b, order)
		switch st {
		case optEnd:
			return true
		case optBad:
			return false
		}
		b = rest
	}
}
