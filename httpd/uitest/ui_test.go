package uitest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// chromiumPath is Debian's chromium, which playwright-core drives.
const chromiumPath = "/usr/bin/chromium"

// TestUI runs ui.test.mjs against a fresh `ptpwatch --demo`.
func TestUI(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
	chromium := ensureChromium(t)
	ensurePlaywright(t)
	bin := buildPtpwatch(t)
	art, err := filepath.Abs("artifacts")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(art, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Run("demo", func(t *testing.T) {
		// With a store, so that incidents are recorded.
		runBrowserChecks(t, chromium, "ui.test.mjs", startDemo(t, bin, "--data", t.TempDir()), art)
	})
	// Accessibility: axe-core on every page in both themes, and the keyboard.
	t.Run("a11y", func(t *testing.T) {
		runBrowserChecks(t, chromium, "ui.a11y.test.mjs", startDemo(t, bin, "--data", t.TempDir()), art)
	})
	// The Alarms and Notifications pages with a custom alarm firing on
	// every scope, a webhook channel to a receiver here and one to a
	// closed port (so that a last error shows); axe on both in both
	// themes.
	t.Run("alarms", func(t *testing.T) {
		rx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
		defer rx.Close()
		dead := httptest.NewServer(http.NotFoundHandler())
		deadURL := dead.URL
		dead.Close() // nothing listens there now
		cfg := filepath.Join(t.TempDir(), "alarms.toml")
		text := "[demo]\nenabled = true\nincidents = false\n" +
			"[[notify.webhook]]\nname = \"hook\"\nurl = \"" + rx.URL + "/in\"\ntypes = [\"Grandmaster Changed\"]\n" +
			"[[notify.webhook]]\nname = \"dead\"\nurl = \"" + deadURL + "/in\"\n" +
			"[[alarm]]\nname = \"gm-class\"\npath = \"/api/v1/scopes/*/grandmaster/clockClass\"\ncondition = { op = \"<=\", value = \"255\" }\nseverity = \"critical\"\n"
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		runBrowserChecks(t, chromium, "ui.alarms.test.mjs", startDemo(t, bin, "-c", cfg, "--data", t.TempDir()), art)
	})
	// Forwarding between sites: a collector and a forwarding-only probe
	// (the demo's frames, evaluate = false) forwarding to it.
	t.Run("sites", func(t *testing.T) {
		dir := t.TempDir()
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			t.Fatal(err)
		}
		keyFile := filepath.Join(dir, "site.key")
		if err := os.WriteFile(keyFile, []byte("1 "+hex.EncodeToString(key)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		nats := l.Addr().String()
		l.Close()
		col := filepath.Join(dir, "collector.toml")
		probe := filepath.Join(dir, "probe.toml")
		if err := os.WriteFile(col, fmt.Appendf(nil, "[collector]\nenabled = true\nlisten = %q\nkey_file = %q\n", nats, keyFile), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(probe, fmt.Appendf(nil, "[forward]\nenabled = true\ncollectors = [\"nats://%s\"]\nsite = \"paris\"\nsegment = 3\nkey_file = %q\nevaluate = false\n",
			nats, keyFile), 0o644); err != nil {
			t.Fatal(err)
		}
		colURL := startPtpwatch(t, bin, "-c", col)
		probeURL := startDemo(t, bin, "-c", probe)
		runBrowserChecks(t, chromium, "ui.sites.test.mjs", colURL, art, probeURL, "paris", "3")
	})
	// The live views under a busy stream: 2,000 more followers, some 16,000
	// frames in 2 s.
	t.Run("2000-followers", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "live.toml")
		if err := os.WriteFile(cfg, []byte("[demo]\nenabled = true\nincidents = false\nfollowers = 2000\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		runBrowserChecks(t, chromium, "ui.live.test.mjs", startDemo(t, bin, "-c", cfg), art)
	})
	// A scope's active problems: the demo's sync loss at master-d44, paced
	// ten times faster so that it comes within a minute or two.
	t.Run("problems", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "problems.toml")
		if err := os.WriteFile(cfg, []byte("[demo]\nenabled = true\nspeed = 10\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		runBrowserChecks(t, chromium, "ui.problems.test.mjs", startDemo(t, bin, "-c", cfg), art)
	})
	// The same UI with 10,000 more followers and some 80,000 frames/s.
	t.Run("10000-devices", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "scale.toml")
		if err := os.WriteFile(cfg, []byte("[demo]\nenabled = true\nincidents = false\nfollowers = 10000\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		runBrowserChecks(t, chromium, "ui.scale.test.mjs", startDemo(t, bin, "-c", cfg), art)
	})
}

// runBrowserChecks runs one of the node scripts against base and logs what
// it printed.
func runBrowserChecks(t *testing.T, chromium, script, base, art string, more ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{script, base, art}, more...)...)
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		t.Log(line)
	}
	if err != nil {
		t.Fatalf("browser checks failed (%v); screenshots in %s", err, art)
	}
	t.Logf("screenshots in %s", art)
}

// ensureChromium finds chromium, installing Debian's package when running
// as root.
func ensureChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	if _, err := os.Stat(chromiumPath); err == nil {
		return chromiumPath
	}
	if os.Geteuid() != 0 {
		t.Skipf("%s is missing and installing it needs root: apt-get install -y chromium", chromiumPath)
	}
	t.Log("installing chromium (apt-get install -y chromium)")
	cmd := exec.Command("apt-get", "install", "-y", "--no-install-recommends", "chromium")
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("cannot install chromium: %v\n%s", err, tail(out))
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("chromium installed but %s is missing", chromiumPath)
	}
	return chromiumPath
}

// ensurePlaywright installs playwright-core and @axe-core/playwright into
// node_modules from package-lock.json when they are not there yet.
func ensurePlaywright(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is missing: apt-get install -y nodejs npm")
	}
	installed := true
	for _, p := range []string{"playwright-core", "@axe-core/playwright"} {
		if _, err := os.Stat(filepath.Join("node_modules", p, "package.json")); err != nil {
			installed = false
		}
	}
	if installed {
		return
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is missing: apt-get install -y npm")
	}
	t.Log("installing playwright-core and @axe-core/playwright (npm ci)")
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("cannot install the browser-test packages with npm: %v\n%s", err, tail(out))
	}
}

// buildPtpwatch builds the binary, or takes PTPWATCH_BIN.
func buildPtpwatch(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PTPWATCH_BIN"); p != "" {
		return p
	}
	bin := filepath.Join(t.TempDir(), "ptpwatch")
	cmd := exec.Command("go", "build", "-o", bin, "../..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building ptpwatch: %v\n%s", err, out)
	}
	return bin
}

var httpLine = regexp.MustCompile(`http=(http://127\.0\.0\.1:\d+/)`)

// startDemo runs `ptpwatch --demo` with args on a free loopback port and
// returns the base URL it logs. The process is stopped when the test ends.
func startDemo(t *testing.T, bin string, args ...string) string {
	t.Helper()
	return startPtpwatch(t, bin, append([]string{"--demo"}, args...)...)
}

// startPtpwatch runs ptpwatch with args on a free loopback HTTP port and
// returns the base URL it logs. The process is stopped when the test ends.
func startPtpwatch(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--http", "127.0.0.1:0"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	found := make(chan string, 1)
	var (
		logMu  sync.Mutex
		logBuf strings.Builder
	)
	logs := func() string { logMu.Lock(); defer logMu.Unlock(); return logBuf.String() }
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			logMu.Lock()
			if logBuf.Len() < 1<<16 {
				logBuf.WriteString(line + "\n")
			}
			logMu.Unlock()
			if m := httpLine.FindStringSubmatch(line); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
		io.Copy(io.Discard, stderr)
		done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Errorf("ptpwatch: %v", err)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Error("ptpwatch did not stop within 10 s of SIGTERM")
		}
	})
	select {
	case u := <-found:
		return strings.TrimSuffix(u, "/")
	case err := <-done:
		t.Fatalf("ptpwatch exited before serving: %v\n%s", err, logs())
	case <-time.After(20 * time.Second):
		t.Fatalf("ptpwatch logged no http= address within 20 s:\n%s", logs())
	}
	return ""
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
