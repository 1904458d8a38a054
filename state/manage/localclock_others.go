//go:build !linux

package manage

// ReadLocalClock is not available off Linux.
func ReadLocalClock() LocalClock { return LocalClock{Error: "adjtimex is Linux only"} }
