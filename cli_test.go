package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/httpd"
)

// TestCommandLineConventions: the exit codes the help documents, -h of
// every subcommand, --version, and a help that names every option.
func TestCommandLineConventions(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.toml")
	for _, tc := range []struct {
		args []string
		code int
		out  string // in stdout or stderr
	}{
		{[]string{"--version"}, exitOK, "ptpwatch " + httpd.Version()},
		{[]string{"-V"}, exitOK, "ptpwatch " + httpd.Version()},
		{[]string{"-c", missing, "--demo"}, exitError, "no such file"},
		{[]string{"-k", "-c", missing}, exitError, "no such file"},
		{[]string{"--http"}, exitUsage, "flag needs an argument"},
		{[]string{"analyze", "--segment", "x", "decode/testdata/fixture.pcapng"}, exitUsage, "invalid value"},
		{[]string{"-h"}, exitOK, "--exit-after-replay"},
		{[]string{"--help"}, exitOK, "exit codes"},
		{[]string{"decode", "-h"}, exitOK, "-json"},
		{[]string{"analyze", "-h"}, exitOK, "-series"},
		{[]string{"export", "-h"}, exitOK, "-list"},
		{[]string{"passwd", "-h"}, exitOK, "-token"},
		{[]string{"trigger", "-h"}, exitOK, "-note"},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		if code != tc.code || !strings.Contains(out.String()+errb.String(), tc.out) {
			t.Errorf("%v: exit %d, output %q; want %d and %q", tc.args, code, out.String()+errb.String(), tc.code, tc.out)
		}
	}
	var help bytes.Buffer
	run([]string{"--help"}, &help, &help)
	for _, long := range []string{"--config", "--check-config", "--default-config", "--explain", "--interface", "--demo",
		"--replay", "--exit-after-replay", "--data", "--http", "--version", "--help"} {
		if !strings.Contains(help.String(), long) {
			t.Errorf("help lacks %s", long)
		}
	}
}

// TestMisspeltInterface: an -i naming no interface is a start-up error
// (exit 1, naming it), not a capture retrying forever.
func TestMisspeltInterface(t *testing.T) {
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run([]string{"-i", "ptpwatch-nosuch0", "--http", "127.0.0.1:0"}, &out, &errb) }()
	select {
	case code := <-done:
		if code != exitError || !strings.Contains(errb.String(), `no interface \"ptpwatch-nosuch0\"`) {
			t.Errorf("exit %d, stderr %s; want %d naming the interface", code, errb.String(), exitError)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("still running 30 s after start with a misspelt -i")
	}
}
