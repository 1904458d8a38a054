package ring

import (
	"testing"
	"unsafe"
)

func TestDescriptorSize(t *testing.T) {
	if s := unsafe.Sizeof(Descriptor{}); s > 48 {
		t.Fatalf("Descriptor is %d bytes, want at most 48", s)
	}
	// Comparable: usable as a map key and with ==.
	m := map[Descriptor]int{{Frame: 1, Loc: LocBuffer}: 1}
	if m[Descriptor{Frame: 1, Loc: LocBuffer}] != 1 || (Descriptor{} != Descriptor{}) {
		t.Fatal("Descriptor is not usable as a map key")
	}
}

func TestEnumNames(t *testing.T) {
	for s, want := range map[TimestampSource]string{
		SourceNone: "none", SourceHardware: "hardware", SourceXDPTAI: "xdp-tai",
		SourceSocket: "socket", SourceFile: "file", 200: "invalid",
	} {
		if s.String() != want || s.IsValid() != (want != "invalid") {
			t.Errorf("TimestampSource(%d): %q valid %v", s, s.String(), s.IsValid())
		}
	}
	for l, want := range map[Location]string{
		LocNone: "none", LocOffset: "offset", LocSlot: "slot", LocBuffer: "buffer", 9: "invalid",
	} {
		if l.String() != want || l.IsValid() != (want != "invalid") {
			t.Errorf("Location(%d): %q valid %v", l, l.String(), l.IsValid())
		}
	}
	var name string
	if n := testing.AllocsPerRun(100, func() { name = SourceHardware.String(); name = LocSlot.String() }); n != 0 || name != "slot" {
		t.Errorf("String allocates %.0f times", n)
	}
}
