//go:build !linux

package afxdp

import (
	"context"
	"time"

	"github.com/ptpwatch/ptpwatch/bpf"
)

// capture is empty where AF_XDP does not exist.
type capture struct{}

func open(string, Options) (*Capture, error) { return nil, ErrUnsupported }

func (c *Capture) wait(ctx context.Context, limit time.Duration) error {
	if _, err := waitTimeout(ctx, limit); err != nil {
		return err
	}
	return ErrUnsupported
}

func (c *Capture) refreshTAI(tai int64) { c.taiAt = tai }

func (c *Capture) kickRX(*xsk) {}

func (c *Capture) kernelStats() (Stats, error) { return Stats{}, nil }

func (c *Capture) filterCounters() (bpf.Counters, error) { return bpf.Counters{}, ErrUnsupported }

func (c *Capture) close() error { return nil }

func (c *Capture) send([]byte) (int64, error) { return 0, ErrUnsupported }

// AttachedPrograms returns nothing where XDP does not exist.
func AttachedPrograms(int) ([]uint32, error) { return nil, nil }
