package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ptpwatch/ptpwatch/httpd/config"
)

// unitSettings reads KEY=VALUE lines of a systemd unit.
func unitSettings(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kv := map[string]string{}
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && !strings.HasPrefix(k, "#") {
			kv[k] = v
		}
	}
	return kv
}

// TestSystemdUnit: the unit starts the appliance with options it accepts,
// grants the capture capabilities (real-time scheduling for the capture
// threads included) and no others, never the clock, and
// does not restart on a usage or configuration error.
func TestSystemdUnit(t *testing.T) {
	kv := unitSettings(t, "tools/systemd/ptpwatch.service")
	args := strings.Fields(kv["ExecStart"])
	if len(args) < 2 || args[0] != "/usr/local/bin/ptpwatch" {
		t.Fatalf("ExecStart %q", kv["ExecStart"])
	}
	if _, err := config.ParseFlags(args[1:], nil, nil); err != nil {
		t.Errorf("ExecStart options: %v", err)
	}
	for k, want := range map[string]string{
		"AmbientCapabilities":      "CAP_NET_RAW CAP_NET_ADMIN CAP_BPF CAP_PERFMON CAP_IPC_LOCK CAP_SYS_NICE",
		"CapabilityBoundingSet":    "CAP_NET_RAW CAP_NET_ADMIN CAP_BPF CAP_PERFMON CAP_IPC_LOCK CAP_SYS_NICE",
		"RestrictRealtime":         "no", // the capture threads run SCHED_FIFO
		"ProtectClock":             "yes",
		"NoNewPrivileges":          "yes",
		"ProtectSystem":            "strict",
		"StateDirectory":           "ptpwatch",
		"RestartPreventExitStatus": "2 3",
		"ExecReload":               "/bin/kill -HUP $MAINPID",
	} {
		if kv[k] != want {
			t.Errorf("%s=%q, want %q", k, kv[k], want)
		}
	}
}

// TestMakeInstall: `make install` into a staging directory installs the
// binary, a man page holding every option of the help, the unit naming
// the installed binary (systemd-analyze verifies it when present) and a
// default configuration the binary accepts.
func TestMakeInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary with make")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	dest := t.TempDir()
	prefix := filepath.Join(dest, "usr")
	cmd := exec.Command("make", "install", "DESTDIR=", "OUT="+filepath.Join(dest, "build"), "PREFIX="+prefix, "UNITDIR="+filepath.Join(dest, "unit"), "CONFDIR="+filepath.Join(dest, "etc"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make install: %v\n%s", err, out)
	}
	bin := filepath.Join(prefix, "bin", "ptpwatch")
	if out, err := exec.Command(bin, "-k", "-c", filepath.Join(dest, "etc", "ptpwatch.toml")).CombinedOutput(); err != nil {
		t.Errorf("installed binary with the installed configuration: %v\n%s", err, out)
	}
	man, err := os.ReadFile(filepath.Join(prefix, "share", "man", "man8", "ptpwatch.8"))
	if err != nil {
		t.Fatal(err)
	}
	for _, long := range []string{"config", "check\\-config", "interface", "replay", "exit\\-after\\-replay", "version", "data", "http"} {
		if !strings.Contains(string(man), "\\-\\-"+long) {
			t.Errorf("man page lacks --%s", long)
		}
	}
	unit := filepath.Join(dest, "unit", "ptpwatch.service")
	if kv := unitSettings(t, unit); !strings.HasPrefix(kv["ExecStart"], bin+" -c "+filepath.Join(dest, "etc", "ptpwatch.toml")) {
		t.Errorf("installed unit ExecStart %q", kv["ExecStart"])
	}
	if _, err := exec.LookPath("systemd-analyze"); err == nil {
		verify := exec.Command("systemd-analyze", "verify", unit)
		verify.Env = append(os.Environ(), "MANPATH="+filepath.Join(prefix, "share", "man"))
		if out, err := verify.CombinedOutput(); err != nil {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
	} else {
		t.Log("systemd-analyze not installed: the unit is not verified by systemd")
	}
}
