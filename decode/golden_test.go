package decode

import (
	"path/filepath"
	"testing"

	"github.com/ptpwatch/ptpwatch/decode/decodetest"
)

// checkedProtocols are the tshark layers whose every field we must cover.
var checkedProtocols = map[string]bool{"eth": true, "vlan": true, "ip": true, "ipv6": true, "udp": true, "ptp": true, "sll": true}

// goldenCompare decodes every frame of file and compares each field with
// tshark's dissection of the same frame.
func goldenCompare(t *testing.T, file string, tsharkOut []byte) goldenReport {
	t.Helper()
	frames := decodetest.ReadCapture(t, file)
	ts, err := parseTsharkJSON(tsharkOut)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != len(frames) {
		t.Fatalf("%s: tshark shows %d frames, we read %d", file, len(ts), len(frames))
	}
	var rep goldenReport
	for i, fr := range frames {
		var f Frame
		r := f.Decode(LinkType(fr.Link), fr.Data)
		if r != ResultOK {
			t.Errorf("%s frame %d: %v (%v)", filepath.Base(file), i+1, r, f.Reason)
		}
		before := len(rep.problems)
		compareWithTshark(f.Fields(), ts[i], checkedProtocols, len(fr.Data), &rep)
		for _, p := range rep.problems[before:] {
			t.Errorf("%s frame %d: %s", filepath.Base(file), i+1, p)
		}
	}
	return rep
}

func TestPublicCapturesAgainstTshark(t *testing.T) {
	dir := decodetest.Captures(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.pcap"))
	if len(files) == 0 {
		t.Skipf("no public captures in %s", dir)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			rep := goldenCompare(t, file, tsharkJSON(t, file))
			t.Logf("%d fields agree with tshark, %d have no tshark counterpart", rep.matched, rep.unmatched)
			if rep.matched == 0 {
				t.Error("no field compared")
			}
		})
	}
}
