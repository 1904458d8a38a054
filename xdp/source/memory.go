package source

import (
	"context"
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
