package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/xdp/replay"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// fewThenWait delivers the first n frames of a source, then waits as a
// slowly paced replay does between frames.
type fewThenWait struct {
	source.Source
	n int
}

func (s *fewThenWait) Next(ctx context.Context, f *source.Frame) error {
	if s.n == 0 {
		<-ctx.Done()
		return ctx.Err()
	}
	s.n--
	return s.Source.Next(ctx, f)
}

// TestPacedPublishesOnTime: a paced source's first frames reach the
// model's readers within the publish interval, not after 1,024 frames.
func TestPacedPublishesOnTime(t *testing.T) {
	r, err := replay.Open("../../decode/testdata/fixture.pcapng", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m := state.NewModel(1, nil)
	p := New(m)
	p.Paced = true
	p.PublishEvery = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, &fewThenWait{Source: r, n: 20}) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for len(m.Snapshot().Scopes) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no scope published 10 s after %d frames", p.Counters.Received.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := p.Counters.Received.Load(); got != 20 {
		t.Errorf("received %d frames, want 20", got)
	}
}
