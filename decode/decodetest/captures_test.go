package decodetest

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCapturesDir: $PTPWATCH_CAPTURES wins; without it the folder is found
// relative to this repository's root (whatever its module path), never at
// an absolute path written into the code.
func TestCapturesDir(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatalf("repository root not found from %s: %v", must(os.Getwd()), err)
	}
	if _, err := os.Stat(filepath.Join(root, "decode", "decodetest")); err != nil {
		t.Errorf("root %s is not this repository's", root)
	}
	dir := t.TempDir()
	t.Setenv(CapturesEnv, dir)
	if got, err := CapturesDir(); got != dir || err != nil {
		t.Errorf("with %s=%s: %s, %v", CapturesEnv, dir, got, err)
	}
	t.Setenv(CapturesEnv, filepath.Join(dir, "missing"))
	if _, err := CapturesDir(); err == nil {
		t.Error("a missing $PTPWATCH_CAPTURES folder was accepted")
	}
	t.Setenv(CapturesEnv, "")
	got, err := CapturesDir()
	if want := filepath.Join(root, "..", "shared", "captures"); got != want && err == nil {
		t.Errorf("without %s: %s, want %s", CapturesEnv, got, want)
	}
}

func must(s string, _ error) string { return s }
