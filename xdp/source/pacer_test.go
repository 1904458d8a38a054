package source

import (
	"context"
	"testing"
	"time"
)

func TestPacerDelaysByRecordedTime(t *testing.T) {
	frames := []Frame{{Timestamp: 0}, {Timestamp: 1e9}, {Timestamp: 3e9}}
	var waits []time.Duration
	p := &Pacer{Source: &Memory{Frames: frames}, Speed: 2,
		Sleep: func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
	var f Frame
	for range frames {
		if err := p.Next(context.Background(), &f); err != nil {
			t.Fatal(err)
		}
	}
	// At double speed, frames 1 s and 3 s after the first are due 0.5 s
	// and 1.5 s after the start.
	if len(waits) != 2 || waits[0] > 500*time.Millisecond || waits[0] < 400*time.Millisecond ||
		waits[1] > 1500*time.Millisecond || waits[1] < 1400*time.Millisecond {
		t.Errorf("waits %v", waits)
	}
}

func TestPacerStopsOnCancel(t *testing.T) {
	p := &Pacer{Source: &Memory{Frames: []Frame{{Timestamp: 0}, {Timestamp: 3600e9}}}, Speed: 1}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var f Frame
	p.Next(ctx, &f)
	if err := p.Next(ctx, &f); err != context.DeadlineExceeded {
		t.Errorf("got %v, want the context's error", err)
	}
}

// TestPacerSetSpeed: a speed set while pacing applies from the next frame,
// paced from that frame on.
func TestPacerSetSpeed(t *testing.T) {
	frames := []Frame{{Timestamp: 0}, {Timestamp: 1e9}, {Timestamp: 2e9}, {Timestamp: 6e9}}
	var waits []time.Duration
	p := &Pacer{Source: &Memory{Frames: frames}, Speed: 1,
		Sleep: func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
	var f Frame
	for i := range frames {
		if i == 2 {
			p.SetSpeed(4)
		}
		if err := p.Next(context.Background(), &f); err != nil {
			t.Fatal(err)
		}
	}
	// Frame 1 waits ~1 s at speed 1; frame 2 restarts the pace at speed 4;
	// frame 3, 4 s later, waits ~1 s.
	if len(waits) != 2 || waits[0] < 900*time.Millisecond || waits[1] > 1000*time.Millisecond || waits[1] < 900*time.Millisecond {
		t.Errorf("waits %v", waits)
	}
	if n := testing.AllocsPerRun(100, func() { p.Next(context.Background(), &f) }); n != 0 {
		t.Errorf("Next allocates %v per frame", n)
	}
}
