//go:build !linux

package capture

import (
	"errors"
	"fmt"
)

// SetThreadPriority is supported on Linux only.
func SetThreadPriority(prio int) error {
	return fmt.Errorf("SCHED_FIFO %d: %w", prio, errors.ErrUnsupported)
}

func probeRealtime(prio int) error { return SetThreadPriority(prio) }

func setThreadNormal() error { return nil }
