package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMain removes the binary the tests built (buildBinary) once they
// have all run.
func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" && buildErr == nil {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}
