//go:build !linux

package rtwait

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// FutexWait sleeps for a moment: other systems have no futex here, and
// the real-time capture that uses it runs on Linux only.
func FutexWait(word *atomic.Uint32, val uint32, d time.Duration) {
	if word.Load() == val {
		time.Sleep(min(d, time.Millisecond))
	}
}

// FutexWake does nothing on other systems (FutexWait wakes by itself).
func FutexWake(word *atomic.Uint32) {}

// FutexWakeAll does nothing on other systems (FutexWait wakes by itself).
func FutexWakeAll(word *atomic.Uint32) {}

// Reserve does nothing on other systems.
func Reserve() {}

// Release does nothing on other systems.
func Release() {}

// ReserveN does nothing on other systems.
func ReserveN(int) {}

// ReleaseN does nothing on other systems.
func ReleaseN(int) {}

// Reserved is 0 on other systems.
func Reserved() int { return 0 }

// SetFIFO is supported on Linux only.
func SetFIFO(prio int) error {
	return fmt.Errorf("SCHED_FIFO %d: %w", prio, errors.ErrUnsupported)
}

// SetNormal does nothing on other systems.
func SetNormal() error { return nil }
