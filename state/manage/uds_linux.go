package manage

import "net"

// dialUnixgram opens a datagram socket at local connected to remote.
func dialUnixgram(local, remote string) (*net.UnixConn, error) {
	return net.DialUnix("unixgram", &net.UnixAddr{Name: local, Net: "unixgram"}, &net.UnixAddr{Name: remote, Net: "unixgram"})
}
