package remote

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// needNATSServer returns the path of Debian's nats-server, installing the
// package when it is missing and the test runs as root; otherwise the
// test skips.
func needNATSServer(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("nats-server"); err == nil {
		return p
	}
	if os.Getuid() != 0 {
		t.Skip("nats-server is missing and installing it needs root: apt-get install -y nats-server")
	}
	t.Log("installing nats-server (apt-get install -y nats-server)")
	cmd := exec.Command("apt-get", "install", "-y", "-q", "--no-install-recommends", "nats-server")
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("nats-server is missing and apt-get install nats-server failed: %v\n%s", err, out)
	}
	p, err := exec.LookPath("nats-server")
	if err != nil {
		t.Skip("nats-server still missing after installing it")
	}
	return p
}

var listening = regexp.MustCompile(`Listening for client connections on (\S+)`)

// serverProcess starts Debian's nats-server with JetStream on a loopback
// port it picks, in another process (the conformance suite's allocation
// checks count every goroutine of this one), and returns its URL; the
// test's end stops it.
func serverProcess(t testing.TB) string {
	t.Helper()
	bin := needNATSServer(t)
	cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", "-1", "-js", "-sd", t.TempDir())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	addr := make(chan string, 1)
	go func() {
		defer close(done)
		defer cmd.Wait()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case a := <-addr:
		return "nats://" + a
	case <-time.After(15 * time.Second):
		t.Fatal("nats-server did not report its client port within 15 s")
	}
	return ""
}
