//go:build !linux

package manage

import (
	"errors"
	"net"
)

func dialUnixgram(local, remote string) (*net.UnixConn, error) {
	return nil, errors.New("ptp4l's management socket is asked on Linux only")
}
