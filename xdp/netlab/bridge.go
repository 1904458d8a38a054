//go:build linux

package netlab

import "strings"

// Switch is a namespace holding a bridge, br0, that floods every frame
// (learning off, ageing 0, no multicast snooping, no STP), with hosts
// joined to it: a capture host on it sees all the others' traffic,
// unicast included. Nothing of it is in the test's own namespace.
type Switch struct {
	lab *Lab
	NS  string // the switch's namespace
}

// Switch creates the lab's switch namespace Base+suffix with its bridge.
func (l *Lab) Switch(suffix string) *Switch {
	l.t.Helper()
	s := &Switch{lab: l, NS: l.Netns(suffix)}
	l.IP(s.NS, "link", "add", "br0", "type", "bridge", "ageing_time", "0", "stp_state", "0", "mcast_snooping", "0")
	l.IP(s.NS, "link", "set", "br0", "up")
	return s
}

// Host creates namespace Base+name joined to the bridge through its eth0
// (bridge port p<name>), gives eth0 the addresses (CIDR; IPv6 ones without
// duplicate address detection, so a UDPv6 daemon can start at once), brings
// it up and returns the namespace.
func (s *Switch) Host(name string, addrs ...string) string {
	l := s.lab
	l.t.Helper()
	ns := l.Netns(name)
	port := "p" + name
	l.Veth(End{s.NS, port}, End{ns, "eth0"})
	l.IP(s.NS, "link", "set", port, "master", "br0")
	l.IP(s.NS, "link", "set", port, "type", "bridge_slave", "learning", "off")
	l.IP(s.NS, "link", "set", port, "up")
	Run(l.t, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.eth0.accept_dad=0")
	for _, a := range addrs {
		args := []string{"addr", "add", a, "dev", "eth0"}
		if strings.Contains(a, ":") {
			args = append(args, "nodad")
		}
		l.IP(ns, args...)
	}
	l.IP(ns, "link", "set", "eth0", "up")
	return ns
}
