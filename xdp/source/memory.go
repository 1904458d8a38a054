package source

import (
	"context"
	"errors"
	"io"
)

// Memory replays frames held in memory, in order, as fast as asked: for
// tests and benchmarks that must not measure file I/O.
type Memory struct {
	Frames []Frame
	Ifaces []Interface
	next   int
}

var memoryIface = []Interface{{Name: "memory"}}

var _ Source = (*Memory)(nil)

// Next returns the next held frame, or io.EOF after the last.
func (m *Memory) Next(ctx context.Context, f *Frame) error {
	if m.next >= len(m.Frames) {
		return io.EOF
	}
	*f = m.Frames[m.next]
	m.next++
	return nil
}

// Rewind starts the replay again from the first frame.
func (m *Memory) Rewind() { m.next = 0 }

// Interfaces returns Ifaces, or one unnamed interface on segment 0.
func (m *Memory) Interfaces() []Interface {
	if len(m.Ifaces) == 0 {
		return memoryIface
	}
	return m.Ifaces
}

// Close does nothing.
func (m *Memory) Close() error { return nil }

// Collect reads src to its end (io.EOF) into a Memory, copying each
// frame's data (a source may reuse its buffer on the next call), for tests
// and benchmarks that replay one capture or simulation many times. The
// Memory keeps src's frames, not its interface names.
func Collect(ctx context.Context, src Source) (*Memory, error) {
	m := &Memory{}
	for {
		var f Frame
		err := src.Next(ctx, &f)
		if errors.Is(err, io.EOF) {
			return m, nil
		}
		if err != nil {
			return m, err
		}
		f.Data = append([]byte(nil), f.Data...)
		m.Frames = append(m.Frames, f)
	}
}
