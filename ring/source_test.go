package ring

import "testing"

func TestTimestampSourceNames(t *testing.T) {
	for s, want := range map[TimestampSource]string{
		SourceNone: "none", SourceHardware: "hardware", SourceXDPTAI: "xdp-tai",
		SourceSocket: "socket", SourceFile: "file", SourceSimulated: "simulated", 200: "invalid",
	} {
		if s.String() != want || s.IsValid() != (want != "invalid") {
			t.Errorf("TimestampSource(%d): %q valid %v", s, s.String(), s.IsValid())
		}
	}
	var name string
	if n := testing.AllocsPerRun(100, func() { name = SourceHardware.String() }); n != 0 || name != "hardware" {
		t.Errorf("String allocates %.0f times", n)
	}
}
