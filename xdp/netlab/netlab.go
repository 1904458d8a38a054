//go:build linux

// Package netlab builds throwaway network labs for tests of the capture
// code: two network namespaces joined by a veth pair, and a way to run
// code on a thread inside one of them.
//
// Invariants: everything a lab creates is named from its prefix, the test
// process's id and a sequence letter, and is removed by name when the test
// ends; a lab left behind by a test binary that was killed is removed by
// the next one that uses the same prefix, and only once the process its
// name records is gone. Nothing here touches interfaces or namespaces it
// did not name. Labs need root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and the ip
// command; Need skips a test that cannot have them.
package netlab

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// Need skips t under -short, without root, or without iproute2's ip
// command. why names what the test needs root for, for the skip message.
func Need(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping the namespace integration test under -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("skipping: " + why + " needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipping: the ip command (iproute2) is not installed")
	}
}

// Run runs a command and fails t with its output if it fails.
func Run(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Pair is two namespaces joined by a veth: Near holds the end under test,
// Far its peer.
type Pair struct {
	Near, Far     string // namespaces
	NearIf, FarIf string // veth ends
}

// Options shape a Pair.
type Options struct {
	// Prefix starts every name the pair gets: three lower-case letters,
	// different for every package so that packages tested in parallel do
	// not remove each other's labs.
	Prefix string
	// NearAddr and FarAddr are the IPv4 addresses with prefix length given
	// to the ends, e.g. "10.78.0.1/24".
	NearAddr, FarAddr string
	// LinkArgs go to `ip link add` for both ends (numrxqueues 2, say).
	LinkArgs []string
}

var (
	seq       atomic.Int32
	staleMu   sync.Mutex
	staleDone = map[string]bool{}
)

// NewPair makes the namespaces and the veth, addresses both ends, brings
// them up with IPv6 off (no autoconfiguration chatter on the link) and
// removes it all when t ends. It calls Need first.
func NewPair(t testing.TB, o Options) *Pair {
	t.Helper()
	Need(t, "creating network namespaces")
	if len(o.Prefix) != 3 {
		t.Fatalf("netlab: prefix %q must be three letters", o.Prefix)
	}
	removeStale(o.Prefix)
	n := seq.Add(1) - 1
	base := fmt.Sprintf("%s%d%c", o.Prefix, os.Getpid()%1000000, 'a'+n%26)
	p := &Pair{Near: base + "n", Far: base + "f", NearIf: base + "0", FarIf: base + "1"}
	t.Cleanup(func() {
		exec.Command("ip", "-n", p.Near, "link", "del", p.NearIf).Run()
		exec.Command("ip", "netns", "del", p.Near).Run()
		exec.Command("ip", "netns", "del", p.Far).Run()
	})
	Run(t, "ip", "netns", "add", p.Near)
	Run(t, "ip", "netns", "add", p.Far)
	args := []string{"ip", "link", "add", p.NearIf, "netns", p.Near}
	args = append(args, o.LinkArgs...)
	args = append(args, "type", "veth", "peer", "name", p.FarIf, "netns", p.Far)
	Run(t, append(args, o.LinkArgs...)...)
	for _, ns := range []string{p.Near, p.Far} {
		Run(t, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
		Run(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	if o.NearAddr != "" {
		Run(t, "ip", "-n", p.Near, "addr", "add", o.NearAddr, "dev", p.NearIf)
	}
	if o.FarAddr != "" {
		Run(t, "ip", "-n", p.Far, "addr", "add", o.FarAddr, "dev", p.FarIf)
	}
	Run(t, "ip", "-n", p.Near, "link", "set", p.NearIf, "up")
	Run(t, "ip", "-n", p.Far, "link", "set", p.FarIf, "up")
	return p
}

// removeStale deletes the namespaces named with prefix whose test process
// is gone, once per prefix and process.
func removeStale(prefix string) {
	staleMu.Lock()
	defer staleMu.Unlock()
	if staleDone[prefix] {
		return
	}
	staleDone[prefix] = true
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `([0-9]+)[a-z][nf]$`)
	ents, _ := os.ReadDir("/run/netns")
	for _, e := range ents {
		m := re.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		if _, err := os.Stat("/proc/" + m[1]); err == nil {
			continue
		}
		exec.Command("ip", "netns", "del", e.Name()).Run()
	}
}

// InNetns runs fn on a thread switched into namespace ns. The thread goes
// back to its own namespace before it is unlocked; if it cannot, it stays
// locked and dies with the goroutine, so no other goroutine ever runs in
// the wrong namespace.
func InNetns(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer orig.Close()
		target, err := os.Open(filepath.Join("/run/netns", ns))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		ferr := fn()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("restoring the namespace: %w", err) // thread stays locked
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}
