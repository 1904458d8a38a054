package pcapng

import (
	"bufio"
	"io"
	"math"
)

// DefaultSnapLen is the snap length NewPcapWriter uses when given zero or
// less; it is what tcpdump and libpcap use by default.
const DefaultSnapLen = 262144

const writeBufSize = 64 << 10

// zeros supplies padding bytes.
var zeros [4]byte

// PcapWriter writes a classic pcap file: one link type, no options. Use it
// when the consumer predates pcapng; NgWriter keeps more information.
type PcapWriter struct {
	w    *bufio.Writer
	snap int
	nano bool
	hdr  [16]byte
	err  error
}

// NewPcapWriter writes a little-endian pcap file header to w and returns a
// writer for its records. snaplen <= 0 means DefaultSnapLen. With nanosecond
// set the file uses the 0xa1b23c4d magic and keeps full timestamps;
// otherwise timestamps are truncated to microseconds, which every pcap reader
// understands. Output is buffered: call Flush when done.
func NewPcapWriter(w io.Writer, link LinkType, snaplen int, nanosecond bool) (*PcapWriter, error) {
	if snaplen <= 0 {
		snaplen = DefaultSnapLen
	}
	if snaplen > MaxBlockSize-16 {
		return nil, ErrSnapLen
	}
	pw := &PcapWriter{w: bufio.NewWriterSize(w, writeBufSize), snap: snaplen, nano: nanosecond}
	magic := uint32(pcapMicroLE)
	if nanosecond {
		magic = pcapNanoLE
	}
	h := make([]byte, 0, 24)
	h = littleEndian.append32(h, magic)
	h = littleEndian.append16(h, 2) // version 2.4, unchanged since 1998
	h = littleEndian.append16(h, 4)
	h = littleEndian.append32(h, 0) // thiszone: timestamps are UTC
	h = littleEndian.append32(h, 0) // sigfigs: always 0 in practice
	h = littleEndian.append32(h, uint32(snaplen))
	h = littleEndian.append32(h, uint32(link))
	if _, err := pw.w.Write(h); err != nil {
		return nil, err
	}
	return pw, nil
}

// WritePacket appends one record. ts is nanoseconds since the Unix epoch and
// must lie between 1970 and 2106, the range of pcap's unsigned 32-bit
// seconds. Data longer than the snap length is cut to it. origLen is the
// frame's length on the wire; values below len(data), such as 0, are taken
// as len(data). It does not allocate. A failed write to the underlying
// writer is returned by every later call.
func (w *PcapWriter) WritePacket(ts int64, data []byte, origLen int) error {
	if w.err != nil {
		return w.err
	}
	if ts < 0 || ts/1e9 > math.MaxUint32 {
		return ErrTimestampRange
	}
	if origLen < len(data) {
		origLen = len(data)
	}
	if uint64(origLen) > math.MaxUint32 { // origLen >= len(data) >= 0 here
		return ErrPacketTooLarge
	}
	if len(data) > w.snap {
		data = data[:w.snap]
	}
	frac := ts % 1e9
	if !w.nano {
		frac /= 1e3
	}
	h := w.hdr[:]
	littleEndian.put32(h, uint32(ts/1e9))
	littleEndian.put32(h[4:], uint32(frac))
	littleEndian.put32(h[8:], uint32(len(data)))
	littleEndian.put32(h[12:], uint32(origLen))
	w.w.Write(h)
	// bufio.Writer keeps its first error, so checking the last write is
	// enough.
	if _, err := w.w.Write(data); err != nil {
		w.err = err
		return err
	}
	return nil
}

// Flush writes buffered data to the underlying writer.
func (w *PcapWriter) Flush() error {
	if w.err != nil {
		return w.err
	}
	if err := w.w.Flush(); err != nil {
		w.err = err
		return err
	}
	return nil
}

// NgWriterOptions configures the section header an NgWriter writes.
type NgWriterOptions struct {
	// Comment becomes the section's shb_comment; empty means none.
	Comment string
	// Hardware and OS become shb_hardware and shb_os; empty means none.
	Hardware, OS string
	// UserApplication becomes shb_userappl. Default "ptpwatch".
	UserApplication string
	// BigEndian writes the section in big-endian order. Default false:
	// little-endian, as nearly every capture tool writes. Big-endian output
	// exists to exercise readers.
	BigEndian bool
}

// NgWriter writes a pcapng file with one section.
type NgWriter struct {
	w       *bufio.Writer
	order   endian
	ifaces  []ngIface
	scratch [32]byte
	err     error
}

type ngIface struct {
	conv     tickConv
	offsetNs int64
	snap     int
}

// NewNgWriter writes a Section Header Block to w and returns a writer for
// the section. Add interfaces before writing packets on them. Output is
// buffered: call Flush when done.
func NewNgWriter(w io.Writer, opts NgWriterOptions) (*NgWriter, error) {
	nw := &NgWriter{w: bufio.NewWriterSize(w, writeBufSize), order: endian(opts.BigEndian)}
	if opts.UserApplication == "" {
		opts.UserApplication = "ptpwatch"
	}
	o := nw.order
	b := nw.blockStart(make([]byte, 0, 128), blockSHB)
	b = o.append32(b, byteOrderMagic)
	b = o.append16(b, 1) // version 1.0
	b = o.append16(b, 0)
	b = o.append64(b, math.MaxUint64) // section length unknown: -1
	var err error
	if b, err = nw.appendOption(b, optComment, opts.Comment); err != nil {
		return nil, err
	}
	if b, err = nw.appendOption(b, optShbHW, opts.Hardware); err != nil {
		return nil, err
	}
	if b, err = nw.appendOption(b, optShbOS, opts.OS); err != nil {
		return nil, err
	}
	if b, err = nw.appendOption(b, optShbApp, opts.UserApplication); err != nil {
		return nil, err
	}
	b = nw.blockEnd(b)
	if _, err := nw.w.Write(b); err != nil {
		return nil, err
	}
	return nw, nil
}

// AddInterface writes an Interface Description Block and returns the index
// to pass to WritePacket. A zero Resolution means Nanosecond; decimal
// resolutions up to 10^-28 s and binary ones up to 2^-63 s are supported.
// SnapLen 0 means no limit. TSOffset, in seconds, is recorded as if_tsoffset
// and subtracted from packet timestamps before they are stored. Section is
// ignored.
func (w *NgWriter) AddInterface(ifc Interface) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if len(w.ifaces) >= MaxInterfaces {
		return 0, ErrTooManyIfaces
	}
	if ifc.Resolution == 0 {
		ifc.Resolution = Nanosecond
	}
	conv := newTickConv(ifc.Resolution)
	if !ifc.Resolution.IsValid() || !conv.writable() {
		return 0, ErrResolution
	}
	if ifc.SnapLen < 0 || uint64(ifc.SnapLen) > math.MaxUint32 {
		return 0, ErrSnapLen
	}
	if ifc.TSOffset > math.MaxInt64/1_000_000_000 || ifc.TSOffset < math.MinInt64/1_000_000_000 {
		return 0, ErrTimestampRange
	}
	o := w.order
	b := w.blockStart(make([]byte, 0, 64+len(ifc.Name)+len(ifc.Description)), blockIDB)
	b = o.append16(b, uint16(ifc.LinkType))
	b = o.append16(b, 0) // reserved
	b = o.append32(b, uint32(ifc.SnapLen))
	var err error
	if b, err = w.appendOption(b, optIfName, ifc.Name); err != nil {
		return 0, err
	}
	if b, err = w.appendOption(b, optIfDesc, ifc.Description); err != nil {
		return 0, err
	}
	// Always state the resolution: readers assume microseconds otherwise.
	b = o.append16(b, optIfTsresol)
	b = o.append16(b, 1)
	b = append(b, ifc.Resolution.Option(), 0, 0, 0)
	if ifc.TSOffset != 0 {
		b = o.append16(b, optIfTsoff)
		b = o.append16(b, 8)
		b = o.append64(b, uint64(ifc.TSOffset))
	}
	b = w.blockEnd(b)
	if _, err := w.w.Write(b); err != nil {
		w.err = err
		return 0, err
	}
	w.ifaces = append(w.ifaces, ngIface{conv: conv, offsetNs: ifc.TSOffset * 1e9, snap: ifc.SnapLen})
	return len(w.ifaces) - 1, nil
}

// blockStart appends a block header whose length is filled in by blockEnd.
func (w *NgWriter) blockStart(b []byte, typ uint32) []byte {
	b = w.order.append32(b, typ)
	return w.order.append32(b, 0)
}

// blockEnd ends the option list with opt_endofopt (every block this writer
// builds has at least one option), then sets the total length at both ends.
func (w *NgWriter) blockEnd(b []byte) []byte {
	b = w.order.append32(b, 0) // opt_endofopt
	total := uint32(len(b) + 4)
	w.order.put32(b[4:], total)
	return w.order.append32(b, total)
}

// appendOption appends a string option padded to 32 bits; empty values are
// left out.
func (w *NgWriter) appendOption(b []byte, code uint16, v string) ([]byte, error) {
	if v == "" {
		return b, nil
	}
	if len(v) > math.MaxUint16 {
		return b, ErrOptionTooLong
	}
	b = w.order.append16(b, code)
	b = w.order.append16(b, uint16(len(v)))
	b = append(b, v...)
	return append(b, zeros[:pad4(len(v))-len(v)]...), nil
}

// WritePacket appends an Enhanced Packet Block for interface iface (an index
// from AddInterface). ts is nanoseconds since the Unix epoch; it must not
// fall before the interface's TSOffset and is stored in the interface's
// resolution. Data longer than the interface's snap length is cut to it.
// origLen is the frame's length on the wire; values below len(data), such as
// 0, are taken as len(data). A non-empty comment is stored as opt_comment.
// It does not allocate. A failed write to the underlying writer is returned
// by every later call.
func (w *NgWriter) WritePacket(iface int, ts int64, data []byte, origLen int, comment string) error {
	if w.err != nil {
		return w.err
	}
	if uint(iface) >= uint(len(w.ifaces)) {
		return ErrUnknownInterface
	}
	st := &w.ifaces[iface]
	if origLen < len(data) {
		origLen = len(data)
	}
	if uint64(origLen) > math.MaxUint32 { // origLen >= len(data) >= 0 here
		return ErrPacketTooLarge
	}
	if st.snap > 0 && len(data) > st.snap {
		data = data[:st.snap]
	}
	if len(comment) > math.MaxUint16 {
		return ErrOptionTooLong
	}
	// ts - offset without overflow, and it must not be negative: ticks are
	// unsigned.
	if (st.offsetNs > 0 && ts < st.offsetNs) || (st.offsetNs < 0 && ts > math.MaxInt64+st.offsetNs) {
		return ErrTimestampRange
	}
	rel := ts - st.offsetNs
	if rel < 0 {
		return ErrTimestampRange
	}
	ticks, ok := st.conv.ticks(uint64(rel))
	if !ok {
		return ErrTimestampRange
	}
	total := minEPB + pad4(len(data))
	if comment != "" {
		total += 4 + pad4(len(comment)) + 4 // option, then opt_endofopt
	}
	if total > MaxBlockSize {
		return ErrPacketTooLarge
	}
	o := w.order
	h := w.scratch[:28]
	o.put32(h, blockEPB)
	o.put32(h[4:], uint32(total))
	o.put32(h[8:], uint32(iface))
	o.put32(h[12:], uint32(ticks>>32))
	o.put32(h[16:], uint32(ticks))
	o.put32(h[20:], uint32(len(data)))
	o.put32(h[24:], uint32(origLen))
	w.w.Write(h)
	w.w.Write(data)
	w.w.Write(zeros[:pad4(len(data))-len(data)])
	if comment != "" {
		t := w.scratch[:4]
		o.put16(t, optComment)
		o.put16(t[2:], uint16(len(comment)))
		w.w.Write(t)
		w.w.WriteString(comment)
		w.w.Write(zeros[:pad4(len(comment))-len(comment)])
		w.w.Write(zeros[:4]) // opt_endofopt
	}
	t := w.scratch[:4]
	o.put32(t, uint32(total))
	// bufio.Writer keeps its first error, so checking the last write is
	// enough.
	if _, err := w.w.Write(t); err != nil {
		w.err = err
		return err
	}
	return nil
}

// Flush writes buffered data to the underlying writer.
func (w *NgWriter) Flush() error {
	if w.err != nil {
		return w.err
	}
	if err := w.w.Flush(); err != nil {
		w.err = err
		return err
	}
	return nil
}
