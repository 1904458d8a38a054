//go:build !linux

package afpacket

import (
	"context"
	"time"
)

// capture is empty where AF_PACKET does not exist.
type capture struct{}

func open(string, Options) (*Capture, error) { return nil, ErrUnsupported }

func (c *Capture) wait(ctx context.Context, limit time.Duration) error {
	if _, err := waitTimeout(ctx, limit); err != nil {
		return err
	}
	return ErrUnsupported
}

func (c *Capture) kernelStats() error { return nil }

func (c *Capture) close() error { return nil }

func (c *Capture) send([]byte) (int64, TXSource, error) { return 0, TXNone, ErrUnsupported }

func noSys() capture { return capture{} }
