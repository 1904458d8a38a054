package pipeline_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// This file builds small timing networks out of Linux network namespaces
// for integration tests: one "switch" namespace holding a bridge that
// floods everything (learning off, ageing 0, no multicast snooping) and one
// namespace per host, each joined to the bridge by a veth pair whose host
// end is called eth0. Nothing is created in the test process's own
// namespace: the veth pairs are made inside the switch namespace and their
// far ends moved straight into the host namespaces. Every namespace carries
// a test-specific prefix (pwt<pid>) and is deleted by name in t.Cleanup;
// every process is started by the test and stopped by its PID.

// capSysTime is CAP_SYS_TIME's bit in /proc/PID/status capability masks.
const capSysTime = 25

// labTool is a program a lab test runs, with the Debian package that holds it.
type labTool struct{ name, pkg string }

// requireLab skips t, saying why, unless it may build namespaces: not in
// -short mode, running as root, with every tool installed.
func requireLab(t *testing.T, tools ...labTool) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped in -short mode: builds network namespaces and runs PTP daemons for about a minute")
	}
	if os.Geteuid() != 0 {
		t.Skipf("needs root (CAP_NET_ADMIN to create network namespaces); running as uid %d", os.Geteuid())
	}
	var missing []string
	for _, tl := range tools {
		if _, err := exec.LookPath(tl.name); err != nil {
			missing = append(missing, fmt.Sprintf("%s (Debian package %s)", tl.name, tl.pkg))
		}
	}
	if len(missing) > 0 {
		t.Skipf("needs %s", strings.Join(missing, ", "))
	}
}

// lab is one test's set of namespaces.
type lab struct {
	t      *testing.T
	prefix string // pwt<pid>, the start of every namespace name
	dir    string // config files, logs, sockets, captures
	sw     string // the switch namespace
	seq    atomic.Uint64
}

// newLab creates the switch namespace with its bridge.
func newLab(t *testing.T) *lab {
	t.Helper()
	l := &lab{t: t, prefix: fmt.Sprintf("pwt%d", os.Getpid()), dir: t.TempDir()}
	l.sw = l.prefix + "sw"
	l.addNS(l.sw)
	l.ip("-n", l.sw, "link", "add", "br0", "type", "bridge",
		"ageing_time", "0", "stp_state", "0", "mcast_snooping", "0")
	l.ip("-n", l.sw, "link", "set", "br0", "up")
	return l
}

// ip runs ip(8) with args and fails the test when it fails.
func (l *lab) ip(args ...string) {
	l.t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// addNS creates namespace name and deletes it, by name, when the test ends.
func (l *lab) addNS(name string) {
	l.t.Helper()
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		l.t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	l.t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			l.t.Errorf("cleanup: ip netns del %s: %v: %s", name, err, out)
		}
	})
}

// host is one namespace joined to the lab's bridge through its eth0.
type host struct {
	l    *lab
	name string
	ns   string
	v4   string // IPv4 address on eth0
	v6   string // IPv6 address on eth0
}

// addHost creates host name with addresses 10.77.0.n/24 and fd77::n/64.
func (l *lab) addHost(name string, n int) *host {
	l.t.Helper()
	h := &host{l: l, name: name, ns: l.prefix + name, v4: fmt.Sprintf("10.77.0.%d", n), v6: fmt.Sprintf("fd77::%d", n)}
	l.addNS(h.ns)
	port := "p" + name
	l.ip("-n", l.sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", h.ns)
	l.ip("-n", l.sw, "link", "set", port, "master", "br0")
	l.ip("-n", l.sw, "link", "set", port, "type", "bridge_slave", "learning", "off")
	l.ip("-n", l.sw, "link", "set", port, "up")
	// No duplicate address detection: the link-local address is usable at
	// once, so a UDPv6 daemon can start right away.
	if out, err := exec.Command("ip", "netns", "exec", h.ns, "sysctl", "-q", "-w",
		"net.ipv6.conf.eth0.accept_dad=0").CombinedOutput(); err != nil {
		l.t.Fatalf("sysctl in %s: %v: %s", h.ns, err, out)
	}
	l.ip("-n", h.ns, "addr", "add", h.v4+"/24", "dev", "eth0")
	l.ip("-n", h.ns, "addr", "add", h.v6+"/64", "dev", "eth0", "nodad")
	l.ip("-n", h.ns, "link", "set", "lo", "up")
	l.ip("-n", h.ns, "link", "set", "eth0", "up")
	return h
}

// proc is a process the test started in a namespace.
type proc struct {
	t    *testing.T
	name string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// start runs argv in h's namespace with output to a log file in the lab
// directory. The process is stopped (SIGTERM, then SIGKILL), by its PID,
// when the test ends. `ip netns exec` execs argv in place, so the PID is
// argv's own.
func (h *host) start(name string, argv ...string) *proc {
	l := h.l
	l.t.Helper()
	log := filepath.Join(l.dir, name+".log")
	f, err := os.Create(log)
	if err != nil {
		l.t.Fatal(err)
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", h.ns}, argv...)...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		l.t.Fatalf("start %s in %s: %v", strings.Join(argv, " "), h.ns, err)
	}
	p := &proc{t: l.t, name: name, log: log, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	l.t.Cleanup(func() {
		p.stop()
		if l.t.Failed() {
			p.dumpLog(15)
		}
	})
	return p
}

// startDaemon runs a PTP daemon in h's namespace without CAP_SYS_TIME, so
// it cannot step, slew or set the TAI offset of the clock every namespace
// shares, and checks that the running daemon really lacks it.
func (h *host) startDaemon(name, bin string, args ...string) *proc {
	l := h.l
	l.t.Helper()
	path, err := exec.LookPath(bin)
	if err != nil {
		l.t.Fatal(err)
	}
	p := h.start(name, append([]string{"capsh", "--drop=cap_sys_time", "--shell=" + path, "--"}, args...)...)
	comm := filepath.Base(path)
	if len(comm) > 15 {
		comm = comm[:15]
	}
	pid := p.cmd.Process.Pid
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err == nil && strings.TrimSpace(string(b)) == comm {
			break
		}
		select {
		case <-p.done:
			p.dumpLog(20)
			l.t.Fatalf("%s exited at start: %v", name, p.err)
		default:
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("%s (pid %d) did not become %s", name, pid, comm)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, line := range []string{"CapEff", "CapPrm", "CapBnd"} {
		v, err := procStatus(pid, line)
		if err != nil {
			p.kill()
			l.t.Fatalf("%s: %v", name, err)
		}
		if v&(1<<capSysTime) != 0 {
			p.kill()
			l.t.Fatalf("%s (pid %d) still holds CAP_SYS_TIME (%s %016x); killed it", name, pid, line, v)
		}
	}
	return p
}

// procStatus reads a hexadecimal capability mask from /proc/PID/status.
func procStatus(pid int, key string) (uint64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && k == key {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", key, pid)
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the process by PID (through its pidfd, so a recycled
// PID is never hit) and waits up to d for it to end.
func (p *proc) signal(sig syscall.Signal, d time.Duration) bool {
	if p.exited() {
		return true
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.t.Logf("signal %v to %s (pid %d): %v", sig, p.name, p.cmd.Process.Pid, err)
	}
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

// stop ends the process politely, then by force.
func (p *proc) stop() {
	if !p.signal(syscall.SIGTERM, 5*time.Second) {
		p.kill()
	}
}

// kill ends the process with SIGKILL and waits for it.
func (p *proc) kill() {
	if !p.signal(syscall.SIGKILL, 5*time.Second) {
		p.t.Errorf("%s (pid %d) survived SIGKILL", p.name, p.cmd.Process.Pid)
	}
}

func (p *proc) dumpLog(lines int) {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	p.t.Logf("last lines of %s (%s):\n\t%s", p.name, p.log, strings.Join(all, "\n\t"))
}

// run runs argv in h's namespace and returns its combined output.
func (h *host) run(timeout time.Duration, argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", h.ns}, argv...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// waitFor polls cond every 250 ms until it holds or d passes; it fails the
// test with what cond last said.
func waitFor(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, status := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s: %s", d, what, status)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// pmcReply is one management response as pmc prints it.
type pmcReply struct {
	From   string // portIdentity of the responder
	ID     string // management ID name, e.g. PORT_DATA_SET
	Fields map[string]string
}

// Clock returns the responder's clockIdentity.
func (r pmcReply) Clock() string {
	c, _, _ := strings.Cut(r.From, "-")
	return c
}

// parsePMC reads pmc's text output:
//
//	\t<portIdentity> seq N RESPONSE MANAGEMENT <ID>
//	\t\t<field> <value>
func parsePMC(out string) []pmcReply {
	var replies []pmcReply
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "\t\t"):
			if len(replies) == 0 {
				continue
			}
			f := strings.Fields(line)
			if len(f) >= 2 {
				replies[len(replies)-1].Fields[f[0]] = strings.Join(f[1:], " ")
			}
		case strings.HasPrefix(line, "\t"):
			f := strings.Fields(line)
			if len(f) >= 6 && f[3] == "RESPONSE" && f[4] == "MANAGEMENT" {
				replies = append(replies, pmcReply{From: f[0], ID: f[5], Fields: map[string]string{}})
			}
		}
	}
	return replies
}
