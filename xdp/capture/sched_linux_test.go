//go:build linux

package capture

import (
	"testing"

	"golang.org/x/sys/unix"
)

// threadPolicy names the calling thread's scheduling policy.
func threadPolicy(t *testing.T) string {
	t.Helper()
	a, err := unix.SchedGetAttr(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	switch a.Policy {
	case unix.SCHED_FIFO:
		return "fifo"
	case unix.SCHED_NORMAL:
		return "normal"
	}
	return "other"
}
