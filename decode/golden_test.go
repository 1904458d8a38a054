package decode

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"ptpwatch/decode/pcapng"
)

// publicCaptures is where the shared public PTP captures live relative to
// this package in a checkout with shared/ beside the repository.
const publicCaptures = "../../shared/captures"

// checkedProtocols are the tshark layers whose every field we must cover.
var checkedProtocols = map[string]bool{"eth": true, "vlan": true, "ip": true, "ipv6": true, "udp": true, "ptp": true, "sll": true}

type capturedFrame struct {
	link LinkType
	data []byte
	ts   int64
}

// readCapture reads every frame of a pcap or pcapng file.
func readCapture(t testing.TB, file string) []capturedFrame {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapng.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var out []capturedFrame
	var p pcapng.Packet
	for {
		err := r.Next(&p)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out = append(out, capturedFrame{LinkType(p.LinkType), append([]byte(nil), p.Data...), p.Timestamp})
	}
}

// goldenCompare decodes every frame of file and compares each field with
// tshark's dissection of the same frame.
func goldenCompare(t *testing.T, file string, tsharkOut []byte) goldenReport {
	t.Helper()
	frames := readCapture(t, file)
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
		r := f.Decode(fr.link, fr.data)
		if r != ResultOK {
			t.Errorf("%s frame %d: %v (%v)", filepath.Base(file), i+1, r, f.Reason)
		}
		before := len(rep.problems)
		compareWithTshark(f.Fields(), ts[i], checkedProtocols, len(fr.data), &rep)
		for _, p := range rep.problems[before:] {
			t.Errorf("%s frame %d: %s", filepath.Base(file), i+1, p)
		}
	}
	return rep
}

func TestPublicCapturesAgainstTshark(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(publicCaptures, "*", "*.pcap"))
	if len(files) == 0 {
		t.Skipf("no public captures in %s (shared/ is not beside this checkout)", publicCaptures)
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
