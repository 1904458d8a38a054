package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestHelperLowNofile is not a test: TestConnectionExhaustion runs the
// test binary through it to start ptpwatch with a low RLIMIT_NOFILE
// (soft and hard, so the Go runtime cannot raise it again).
func TestHelperLowNofile(t *testing.T) {
	limit := os.Getenv("PTPWATCH_TEST_NOFILE")
	if limit == "" {
		t.Skip("helper process for TestConnectionExhaustion")
	}
	n, err := strconv.ParseUint(limit, 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: n, Max: n}); err != nil {
		fmt.Fprintln(os.Stderr, "setrlimit:", err)
		os.Exit(2)
	}
	err = syscall.Exec(args[0], args, os.Environ())
	fmt.Fprintln(os.Stderr, "exec:", err)
	os.Exit(2)
}

// TestConnectionExhaustion runs the demo appliance with 256 file
// descriptors and opens 400 slow-header connections to it: the appliance
// stays up, and once they are closed the API answers and capture goes on.
// With the default limits the surplus is refused at accept; with limits
// above the descriptor limit accept runs out of descriptors (EMFILE),
// pauses and goes on.
func TestConnectionExhaustion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	const nofile, flood = 256, 400
	for _, tc := range []struct {
		name, http string
		waitLog    string // a log line that shows the flood was met; "" to wait for refusals
		metric     *regexp.Regexp
		logLine    string // logged, rate-limited
	}{
		{"default limits", "", "", regexp.MustCompile(`ptpwatch_http_connections_refused_total\{reason="max_conns"\} [1-9]`),
			"refusing HTTP connections at accept"},
		{"limits above the descriptors", "max_conns = 100000\nheader_timeout = 2\n", "accepting HTTP connections failed",
			regexp.MustCompile(`ptpwatch_http_accept_errors_total [1-9]`), "too many open files"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "c.toml")
			os.WriteFile(cfg, []byte("[demo]\nenabled = true\n[log]\nstats_interval = 0\n[http]\nlisten = \"127.0.0.1:0\"\n"+tc.http), 0o644)
			var logs safeBuffer
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLowNofile$", "--", bin, "-c", cfg)
			cmd.Env = append(os.Environ(), "PTPWATCH_TEST_NOFILE="+strconv.Itoa(nofile))
			cmd.Stderr = &logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			exited := make(chan struct{})
			var waitErr error
			go func() { waitErr = cmd.Wait(); close(exited) }()
			alive := func() {
				t.Helper()
				select {
				case <-exited:
					t.Fatalf("the appliance exited: %v\n%s", waitErr, tail(logs.String(), 30))
				default:
				}
			}
			base := waitListen(t, &logs)
			received := func() (uint64, error) {
				resp, err := http.Get(base + "/api/v1/capture")
				if err != nil {
					return 0, err
				}
				defer resp.Body.Close()
				var c struct{ Counters map[string]uint64 }
				if resp.StatusCode != 200 {
					return 0, fmt.Errorf("status %d", resp.StatusCode)
				}
				if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
					return 0, err
				}
				return c.Counters["received"], nil
			}
			waitUntil := func(what string, cond func() bool) {
				t.Helper()
				for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
					alive()
					if time.Now().After(deadline) {
						t.Fatalf("%s: not within 30 s\n%s", what, tail(logs.String(), 30))
					}
				}
			}
			waitUntil("capture running", func() bool { n, err := received(); return err == nil && n > 0 })

			// The flood: connections that send half a header and wait.
			host := strings.TrimPrefix(base, "http://")
			var conns []net.Conn
			var closed atomic.Int32
			var readers sync.WaitGroup
			defer func() {
				for _, c := range conns {
					c.Close()
				}
				readers.Wait()
			}()
			for range flood {
				c, err := net.DialTimeout("tcp", host, 10*time.Second)
				if errors.Is(err, syscall.ECONNRESET) {
					closed.Add(1) // refused at accept before connect returned
					continue
				}
				if err != nil {
					select { // an appliance that died says so
					case <-exited:
					case <-time.After(5 * time.Second):
					}
					alive()
					t.Fatalf("dial %d: %v", len(conns), err)
				}
				conns = append(conns, c)
				io.WriteString(c, "GET /api/v1/capture HTTP/1.1\r\nHost: "+host+"\r\n")
				readers.Go(func() {
					c.SetReadDeadline(time.Now().Add(60 * time.Second))
					var b [1]byte
					if _, err := c.Read(b[:]); err != nil {
						closed.Add(1)
					}
				})
			}
			if tc.waitLog != "" {
				waitUntil("log line "+tc.waitLog, func() bool { return strings.Contains(logs.String(), tc.waitLog) })
			} else {
				// Over the limit, connections are closed at once.
				waitUntil("refused connections closed", func() bool { return closed.Load() >= flood-nofile/2 })
			}
			alive()
			for _, c := range conns {
				c.Close()
			}
			readers.Wait()
			conns = nil

			// The API answers again and capture goes on.
			var before uint64
			waitUntil("the API answering", func() bool {
				n, err := received()
				before = n
				return err == nil
			})
			waitUntil("capture going on", func() bool { n, err := received(); return err == nil && n > before })
			resp, err := http.Get(base + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			metrics, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !tc.metric.Match(metrics) {
				t.Errorf("/metrics lacks %s:\n%s", tc.metric, grepLines(string(metrics), "ptpwatch_http_"))
			}
			if !strings.Contains(logs.String(), tc.logLine) {
				t.Errorf("the log lacks %q", tc.logLine)
			}
			cmd.Process.Signal(os.Interrupt)
			select {
			case <-exited:
				if waitErr != nil {
					t.Errorf("exit after SIGINT: %v\n%s", waitErr, tail(logs.String(), 30))
				}
			case <-time.After(20 * time.Second):
				t.Error("no exit 20 s after SIGINT")
			}
		})
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
