package capture

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ptpDaemons are the programs whose use of an interface makes AF_XDP
// unwelcome on it.
var ptpDaemons = []string{"ptp4l", "ptpd", "ptpd2", "timemaster"}

// sharedWithDaemon reports whether a PTP daemon on this host, in this
// network namespace, uses the interface: a process named like one whose
// command line names the interface, or a packet socket bound to the
// interface for the PTP EtherType (a layer-2 ptp4l). Either way an XDP
// program redirecting PTP frames would starve it.
func sharedWithDaemon(ifname string) (string, bool) {
	if why, ok := daemonProcessOn(ifname, "/proc"); ok {
		return why, true
	}
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return "", false
	}
	if data, err := os.ReadFile("/proc/net/packet"); err == nil && packetSocketOn(data, ifi.Index) {
		return "a packet socket on this host is bound to " + ifname + " for EtherType 0x88F7 (a layer-2 PTP daemon)", true
	}
	return "", false
}

// daemonProcessOn looks for a PTP daemon process in our network namespace
// whose arguments name the interface.
func daemonProcessOn(ifname, proc string) (string, bool) {
	self, err := os.Readlink(filepath.Join(proc, "self/ns/net"))
	if err != nil {
		return "", false
	}
	dirs, err := os.ReadDir(proc)
	if err != nil {
		return "", false
	}
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join(proc, d.Name(), "cmdline"))
		if err != nil || len(cmd) == 0 {
			continue
		}
		args := strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00")
		name := filepath.Base(args[0])
		isDaemon := false
		for _, dn := range ptpDaemons {
			if name == dn {
				isDaemon = true
			}
		}
		if !isDaemon || !namesInterface(args[1:], ifname) {
			continue
		}
		ns, err := os.Readlink(filepath.Join(proc, d.Name(), "ns/net"))
		if err != nil || ns != self {
			continue
		}
		return fmt.Sprintf("%s (pid %d) runs on %s", name, pid, ifname), true
	}
	return "", false
}

// namesInterface reports whether daemon arguments name ifname, as
// "-i IF", "-iIF", "--interface=IF" or "-i" lists such as ptpd's "-i IF".
func namesInterface(args []string, ifname string) bool {
	for i, a := range args {
		switch {
		case (a == "-i" || a == "--interface" || a == "-b") && i+1 < len(args) && args[i+1] == ifname:
			return true
		case a == "-i"+ifname || a == "--interface="+ifname:
			return true
		}
	}
	return false
}

// packetSocketOn parses /proc/net/packet for a socket of protocol 0x88F7
// bound to the interface index.
func packetSocketOn(data []byte, ifindex int) bool {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Scan() // header: sk RefCnt Type Proto Iface R Rmem User Inode
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 5 {
			continue
		}
		proto, err1 := strconv.ParseUint(f[3], 16, 16)
		idx, err2 := strconv.Atoi(f[4])
		// The kernel prints the protocol in network byte order.
		if err1 == nil && err2 == nil && idx == ifindex && (proto == 0xF788 || proto == 0x88F7) {
			return true
		}
	}
	return false
}
