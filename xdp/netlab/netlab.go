//go:build linux

// Package netlab builds throwaway network labs for tests: network
// namespaces, veth pairs between them (or between one of them and the
// test's own namespace), a flooding bridge with hosts on it, code run on a
// thread inside a namespace, and processes (PTP daemons among them) run in
// a namespace without the right to set the clock. It is the one lab every
// package's tests use.
//
// # Names and clean-up
//
// Everything a lab creates is named from its prefix, the test process's id
// and a sequence letter (Lab.Base), and is removed by name when the test
// ends; processes it started are stopped by their PID first. A lab left
// behind by a test binary that was killed is removed by the next one that
// uses the same prefix, and only once the process its name records is
// gone. Nothing here touches interfaces or namespaces it did not name.
//
// Labs need root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and the ip command; Need
// and NeedTools skip a test that cannot have them.
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
	NeedTools(t, "ip")
}

// packages names the Debian package of each tool a lab test may run.
var packages = map[string]string{
	"ip": "iproute2", "tc": "iproute2", "sysctl": "procps", "capsh": "libcap2-bin",
	"ptp4l": "linuxptp", "pmc": "linuxptp", "ptpd": "ptpd", "tshark": "tshark",
	"dumpcap": "wireshark-common", "tcpdump": "tcpdump", "ethtool": "ethtool",
}

// NeedTools skips t, naming what is missing and the Debian package that
// holds it (make deps installs them), unless every command is installed.
func NeedTools(t testing.TB, cmds ...string) {
	t.Helper()
	var missing []string
	for _, c := range cmds {
		if _, err := exec.LookPath(c); err != nil {
			missing = append(missing, fmt.Sprintf("%s (Debian package %s)", c, packages[c]))
		}
	}
	if len(missing) > 0 {
		t.Skipf("skipping: needs %s", strings.Join(missing, ", "))
	}
}

// Run runs a command and fails t with its output if it fails.
func Run(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Lab is one test's namespaces, links and processes.
type Lab struct {
	t testing.TB
	// Base starts every name the lab gives: prefix, process id, sequence
	// letter. Interface names are at most 15 bytes, so keep suffixes of
	// interfaces in the test's namespace to four.
	Base string
	// Dir is a directory of the test's own for configuration files, logs
	// and sockets.
	Dir string
}

var (
	seq       atomic.Int32
	staleMu   sync.Mutex
	staleDone = map[string]bool{}
)

// New starts a lab named from prefix: three lower-case letters, different
// for every package so that packages tested in parallel keep apart. It
// calls Need first and removes leftovers of killed runs with the prefix.
func New(t testing.TB, prefix string) *Lab {
	t.Helper()
	Need(t, "creating network namespaces")
	if len(prefix) != 3 {
		t.Fatalf("netlab: prefix %q must be three letters", prefix)
	}
	removeStale(prefix)
	n := seq.Add(1) - 1
	return &Lab{t: t, Base: fmt.Sprintf("%s%d%c", prefix, os.Getpid(), 'a'+n%26), Dir: t.TempDir()}
}

// IP runs ip(8) in namespace ns ("" is the test's own) and fails the test
// when it fails.
func (l *Lab) IP(ns string, args ...string) {
	l.t.Helper()
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	Run(l.t, append([]string{"ip"}, args...)...)
}

// Netns creates the namespace Base+suffix with its loopback up, removes it
// when the test ends, and returns its name.
func (l *Lab) Netns(suffix string) string {
	l.t.Helper()
	ns := l.Base + suffix
	l.t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	Run(l.t, "ip", "netns", "add", ns)
	l.IP(ns, "link", "set", "lo", "up")
	return ns
}

// End is one end of a veth: its name and the namespace it lives in (""
// for the test's own).
type End struct{ Netns, Name string }

// Veth creates a veth pair with ends a and b; linkArgs go to `ip link add`
// for both ends (numrxqueues 2, say). An end in the test's own namespace is
// deleted when the test ends (the other goes with its namespace). The ends
// stay down.
func (l *Lab) Veth(a, b End, linkArgs ...string) {
	l.t.Helper()
	for _, e := range []End{a, b} {
		if e.Netns == "" {
			l.t.Cleanup(func() { exec.Command("ip", "link", "del", e.Name).Run() })
		}
	}
	args := []string{"link", "add", a.Name}
	if a.Netns != "" {
		args = append(args, "netns", a.Netns)
	}
	args = append(args, linkArgs...)
	args = append(args, "type", "veth", "peer", "name", b.Name)
	if b.Netns != "" {
		args = append(args, "netns", b.Netns)
	}
	l.IP("", append(args, linkArgs...)...)
}

// NoIPv6 turns IPv6 off in namespace ns, or on interface ifname of the
// test's own namespace when ns is "": no autoconfiguration chatter (MLD,
// neighbour discovery) on links whose frames a test counts.
func (l *Lab) NoIPv6(ns, ifname string) {
	l.t.Helper()
	if ns == "" {
		Run(l.t, "sysctl", "-qw", "net.ipv6.conf."+ifname+".disable_ipv6=1")
		return
	}
	Run(l.t, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
}

// Pair is two ends of a veth: Near the end under test, Far its peer. Near
// is "" when the near end stays in the test's own namespace.
type Pair struct {
	Near, Far     string // namespaces
	NearIf, FarIf string // veth ends
	lab           *Lab
	o             Options
}

// Options shape a Pair.
type Options struct {
	// Prefix starts every name the pair gets (see New).
	Prefix string
	// NearAddr and FarAddr are the IPv4 addresses with prefix length given
	// to the ends, e.g. "10.78.0.1/24".
	NearAddr, FarAddr string
	// LinkArgs go to `ip link add` for both ends (numrxqueues 2, say).
	LinkArgs []string
	// NearInTest keeps the near end in the test's own namespace, where a
	// capture (or the appliance) opens it by name and can watch it go and
	// come back; only the far end gets a namespace.
	NearInTest bool
}

// NewPair makes the namespaces and the veth, addresses both ends, brings
// them up with IPv6 off (no autoconfiguration chatter on the link) and
// removes it all when t ends. It calls Need first.
func NewPair(t testing.TB, o Options) *Pair {
	t.Helper()
	return New(t, o.Prefix).Pair(o)
}

// Pair makes a veth pair of the lab as NewPair does (o.Prefix is unused).
func (l *Lab) Pair(o Options) *Pair {
	l.t.Helper()
	p := &Pair{Far: l.Netns("f"), NearIf: l.Base + "0", FarIf: l.Base + "1", lab: l, o: o}
	if !o.NearInTest {
		p.Near = l.Netns("n")
		l.NoIPv6(p.Near, "")
	}
	l.NoIPv6(p.Far, "")
	p.Link()
	return p
}

// Link (re)creates the pair's veth, addressed and up: a test that deleted
// the near end to see a capture lose its interface puts it back with Link.
func (p *Pair) Link() {
	l := p.lab
	l.t.Helper()
	l.Veth(End{p.Near, p.NearIf}, End{p.Far, p.FarIf}, p.o.LinkArgs...)
	if p.Near == "" {
		l.NoIPv6("", p.NearIf)
	}
	if p.o.NearAddr != "" {
		l.IP(p.Near, "addr", "add", p.o.NearAddr, "dev", p.NearIf)
	}
	if p.o.FarAddr != "" {
		l.IP(p.Far, "addr", "add", p.o.FarAddr, "dev", p.FarIf)
	}
	l.IP(p.Near, "link", "set", p.NearIf, "up")
	l.IP(p.Far, "link", "set", p.FarIf, "up")
}

// Unlink deletes the pair's veth (both ends go).
func (p *Pair) Unlink() {
	p.lab.t.Helper()
	p.lab.IP(p.Near, "link", "del", p.NearIf)
}

// SetUp brings the near end up (true) or takes it down (false).
func (p *Pair) SetUp(up bool) {
	p.lab.t.Helper()
	state := "down"
	if up {
		state = "up"
	}
	p.lab.IP(p.Near, "link", "set", p.NearIf, state)
}

// Lab returns the lab the pair belongs to, for processes and more links.
func (p *Pair) Lab() *Lab { return p.lab }

// staleName matches a name a lab gave, after its prefix: the process id,
// the sequence letter, a suffix.
const staleName = `([0-9]+)[a-z]`

// removeStale deletes the namespaces, and interfaces of the test's own
// namespace, named with prefix whose test process is gone, once per
// prefix and process.
func removeStale(prefix string) {
	staleMu.Lock()
	defer staleMu.Unlock()
	if staleDone[prefix] {
		return
	}
	staleDone[prefix] = true
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + staleName)
	for _, place := range []struct{ dir, kind string }{{"/run/netns", "netns"}, {"/sys/class/net", "link"}} {
		ents, _ := os.ReadDir(place.dir)
		for _, e := range ents {
			m := re.FindStringSubmatch(e.Name())
			if m == nil {
				continue
			}
			if _, err := os.Stat("/proc/" + m[1]); err == nil {
				continue
			}
			exec.Command("ip", place.kind, "del", e.Name()).Run()
		}
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
