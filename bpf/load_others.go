//go:build !linux

package bpf

func load(ifindex int) (*Filter, error) { return nil, ErrUnsupported }
