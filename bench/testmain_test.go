package bench

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain removes what the benchmarks built once for all of them: the
// simulated capture file and the helper commands.
func TestMain(m *testing.M) {
	code := m.Run()
	if simFile != "" {
		os.RemoveAll(filepath.Dir(simFile))
	}
	if toolsDir != "" {
		os.RemoveAll(toolsDir)
	}
	os.Exit(code)
}
