//go:build !linux

package capture

import "testing"

func threadPolicy(t *testing.T) string { return "unknown" }
