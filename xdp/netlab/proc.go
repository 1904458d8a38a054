//go:build linux

package netlab

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
	"syscall"
	"time"
)

// Proc is a process a lab started in one of its namespaces.
type Proc struct {
	lab  *Lab
	Name string
	Log  string // file holding its standard output and error
	Cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Start runs argv in namespace ns ("" is the test's own) with its output
// in the file Dir/name.log. The process is stopped (SIGTERM, then
// SIGKILL), by its PID, when the test ends; when the test failed, the end
// of its log is logged. `ip netns exec` execs argv in place, so the PID is
// argv's own.
func (l *Lab) Start(ns, name string, argv ...string) *Proc {
	l.t.Helper()
	log := filepath.Join(l.Dir, name+".log")
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644) // a restart appends
	if err != nil {
		l.t.Fatal(err)
	}
	if ns != "" {
		argv = append([]string{"ip", "netns", "exec", ns}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		l.t.Fatalf("start %s: %v", strings.Join(argv, " "), err)
	}
	p := &Proc{lab: l, Name: name, Log: log, Cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	l.t.Cleanup(func() {
		p.Stop()
		if l.t.Failed() {
			p.DumpLog(15)
		}
	})
	return p
}

// capSysTime is CAP_SYS_TIME's bit in /proc/PID/status capability masks.
const capSysTime = 25

// StartDaemon runs program bin in namespace ns as Start does, but without
// CAP_SYS_TIME, so that it cannot step, slew or set the TAI offset of the
// clock every namespace shares; it checks that the running daemon really
// lacks it, and kills it and fails the test otherwise.
func (l *Lab) StartDaemon(ns, name, bin string, args ...string) *Proc {
	l.t.Helper()
	path, err := exec.LookPath(bin)
	if err != nil {
		l.t.Fatal(err)
	}
	p := l.Start(ns, name, append([]string{"capsh", "--drop=cap_sys_time", "--shell=" + path, "--"}, args...)...)
	comm := filepath.Base(path)
	if len(comm) > 15 {
		comm = comm[:15]
	}
	pid := p.Cmd.Process.Pid
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err == nil && strings.TrimSpace(string(b)) == comm {
			break
		}
		select {
		case <-p.done:
			p.DumpLog(20)
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
			p.Kill()
			l.t.Fatalf("%s: %v", name, err)
		}
		if v&(1<<capSysTime) != 0 {
			p.Kill()
			l.t.Fatalf("%s (pid %d) still holds CAP_SYS_TIME (%s %016x); killed it", name, pid, line, v)
		}
	}
	return p
}

// PTP4L writes Dir/name.conf, a [global] section holding the settings every
// test's ptp4l shares (free running, software time stamping, a management
// socket Dir/name.uds, log to standard output) and then conf, and runs
// ptp4l with it on ifname in ns as a daemon (StartDaemon). flags go to
// ptp4l before the others.
func (l *Lab) PTP4L(ns, name, ifname, conf string, flags ...string) *Proc {
	l.t.Helper()
	path := filepath.Join(l.Dir, name+".conf")
	body := "[global]\nfree_running 1\ntime_stamping software\nuse_syslog 0\nverbose 1\nuds_address " +
		filepath.Join(l.Dir, name+".uds") + "\n" + conf
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		l.t.Fatal(err)
	}
	return l.StartDaemon(ns, name, "ptp4l", append(flags, "-f", path, "-i", ifname)...)
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

// Done is closed when the process has ended; Err then says how.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is the process's exit error, once Done is closed.
func (p *Proc) Err() error { return p.err }

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Signal sends sig to the process by PID (through its pidfd, so a recycled
// PID is never hit) and waits up to d for it to end.
func (p *Proc) Signal(sig syscall.Signal, d time.Duration) bool {
	if p.Exited() {
		return true
	}
	if err := p.Cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.lab.t.Logf("signal %v to %s (pid %d): %v", sig, p.Name, p.Cmd.Process.Pid, err)
	}
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

// Stop ends the process politely, then by force. Stopping a stopped
// process does nothing.
func (p *Proc) Stop() {
	if !p.Signal(syscall.SIGTERM, 5*time.Second) {
		p.Kill()
	}
}

// Kill ends the process with SIGKILL and waits for it.
func (p *Proc) Kill() {
	if !p.Signal(syscall.SIGKILL, 5*time.Second) {
		p.lab.t.Errorf("%s (pid %d) survived SIGKILL", p.Name, p.Cmd.Process.Pid)
	}
}

// Output returns what the process has written so far.
func (p *Proc) Output() string {
	b, _ := os.ReadFile(p.Log)
	return string(b)
}

// DumpLog logs the last lines of the process's output.
func (p *Proc) DumpLog(lines int) {
	all := strings.Split(strings.TrimRight(p.Output(), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	p.lab.t.Logf("last lines of %s (%s):\n\t%s", p.Name, p.Log, strings.Join(all, "\n\t"))
}

// Exec runs argv in namespace ns ("" is the test's own), killed after
// timeout, and returns its combined output.
func (l *Lab) Exec(ns string, timeout time.Duration, argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if ns != "" {
		argv = append([]string{"ip", "netns", "exec", ns}, argv...)
	}
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	return string(out), err
}
