//go:build !linux

package bpf

func load(ifindex int) (*Filter, error) { return nil, ErrUnsupported }

// NoMetadata reports whether the kernel refuses bpf_xdp_adjust_meta; never
// asked off Linux.
func NoMetadata() bool { return false }
