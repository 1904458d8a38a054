// Package replay is the frame source that reads a pcap or pcapng file, as
// fast as possible or, wrapped in a source.Pacer, at the recorded speed or a
// multiple of it.
package replay

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/decode/pcapng"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// File replays one capture file. It implements source.Source.
type File struct {
	path   string
	f      *os.File
	r      *pcapng.Reader
	p      pcapng.Packet
	ifaces []source.Interface
	closed bool
	// Frames counts the frames returned so far.
	Frames uint64
}

var _ source.Source = (*File)(nil)

// Open opens a capture file for replay; every interface in it is assigned
// the given segment.
func Open(path string, segment uint16) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open capture %s: %w", path, err)
	}
	r, err := pcapng.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read capture %s: %w", path, err)
	}
	rf := &File{path: path, f: f, r: r}
	rf.refreshInterfaces(segment)
	return rf, nil
}

func (rf *File) refreshInterfaces(segment uint16) {
	for i := len(rf.ifaces); i < len(rf.r.Interfaces()); i++ {
		name := rf.r.Interfaces()[i].Name
		if name == "" {
			name = fmt.Sprintf("%s#%d", rf.path, i)
		}
		rf.ifaces = append(rf.ifaces, source.Interface{Name: name, Segment: segment})
	}
}

// Next returns the next frame of the file, or io.EOF at its end. After
// Close it returns an error wrapping os.ErrClosed.
func (rf *File) Next(ctx context.Context, fr *source.Frame) error {
	if rf.closed {
		return fmt.Errorf("replay %s: %w", rf.path, os.ErrClosed)
	}
	if err := rf.r.Next(&rf.p); err != nil {
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		return fmt.Errorf("replay %s frame %d: %w", rf.path, rf.Frames+1, err)
	}
	if rf.p.Interface >= len(rf.ifaces) {
		seg := uint16(0)
		if len(rf.ifaces) > 0 {
			seg = rf.ifaces[0].Segment
		}
		rf.refreshInterfaces(seg)
	}
	rf.Frames++
	*fr = source.Frame{
		Data:      rf.p.Data,
		OrigLen:   rf.p.OriginalLength,
		Timestamp: rf.p.Timestamp,
		TSSource:  source.TimestampFile,
		Link:      decode.LinkType(rf.p.LinkType),
		Interface: uint16(rf.p.Interface),
	}
	return nil
}

// Interfaces lists the file's interfaces seen so far.
func (rf *File) Interfaces() []source.Interface { return rf.ifaces }

// Close closes the file; closing it again does nothing.
func (rf *File) Close() error {
	if rf.closed {
		return nil
	}
	rf.closed = true
	return rf.f.Close()
}
