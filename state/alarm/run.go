package alarm

import (
	"context"
	"time"
)

// Run evaluates the definitions against resolve every interval until ctx
// ends, passing each evaluation's error (nil ones are not passed) to
// onErr, which may be nil. It is the one goroutine Evaluate expects.
func (e *Engine) Run(ctx context.Context, every time.Duration, resolve Resolve, onErr func(error)) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if err := e.Evaluate(now.UnixNano(), resolve); err != nil && onErr != nil {
				onErr(err)
			}
		}
	}
}

// Start runs Run in a goroutine of its own; stop ends it and returns
// once it has.
func (e *Engine) Start(every time.Duration, resolve Resolve, onErr func(error)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Run(ctx, every, resolve, onErr)
	}()
	return func() { cancel(); <-done }
}
