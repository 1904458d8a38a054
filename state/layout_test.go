package state

import (
	"testing"
	"unsafe"
)

// TestInstanceHotLines checks what instanceState's layout promises: the
// fields every frame of a port touches lie in its first 56 bytes, which
// are one cache line because the object starts on a line or 8 bytes into
// one (behind the allocator's header), so that keeping Health for a
// Watcher costs no line the model does not read anyway.
func TestInstanceHotLines(t *testing.T) {
	var in instanceState
	hot := map[string]uintptr{
		"key": unsafe.Offsetof(in.key) + unsafe.Sizeof(in.key), "mac": unsafe.Offsetof(in.mac) + unsafe.Sizeof(in.mac),
		"hflags": unsafe.Offsetof(in.hflags) + 1, "reqSeq": unsafe.Offsetof(in.reqSeq) + 2,
		"twoSeq": unsafe.Offsetof(in.twoSeq) + unsafe.Sizeof(in.twoSeq), "lastSeen": unsafe.Offsetof(in.lastSeen) + 8,
	}
	for name, end := range hot {
		if end > 56 {
			t.Errorf("instanceState.%s ends at byte %d, beyond the 56 every frame reads", name, end)
		}
	}
	// Check where the allocator puts it rather than reason about it.
	var keep []*instanceState
	for i := 0; i < 64; i++ {
		p := &instanceState{}
		keep = append(keep, p)
		if a := uintptr(unsafe.Pointer(p)) % 64; a+56 > 64 {
			t.Fatalf("instanceState of %d bytes allocated %d bytes into a cache line: its first 56 bytes span two", unsafe.Sizeof(in), a)
		}
	}
	_ = keep
}
