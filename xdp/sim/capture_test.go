package sim

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/decode/pcapng"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// TestWriteCapture writes frames to pcapng and reads them back: same
// count, interface, timestamps and bytes as Next gives.
func TestWriteCapture(t *testing.T) {
	const frames = 5000
	var buf bytes.Buffer
	if err := WriteCapture(&buf, quietDemo(), Options{Seed: 9}, frames); err != nil {
		t.Fatal(err)
	}
	r, err := pcapng.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := New(quietDemo(), Options{Seed: 9})
	var p pcapng.Packet
	var f source.Frame
	got := 0
	for {
		err := r.Next(&p)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Next(context.Background(), &f); err != nil {
			t.Fatal(err)
		}
		ifc := r.Interfaces()[p.Interface]
		if ifc.Name != "sim0" || ifc.Resolution != pcapng.Nanosecond || p.LinkType != pcapng.LinkTypeEthernet ||
			p.Timestamp != f.Timestamp || !bytes.Equal(p.Data, f.Data) {
			t.Fatalf("packet %d differs: %s %v %v at %d, want %d", got, ifc.Name, ifc.Resolution, p.LinkType, p.Timestamp, f.Timestamp)
		}
		got++
	}
	if got != frames {
		t.Errorf("%d packets, want %d", got, frames)
	}
	if err := WriteCapture(io.Discard, quietDemo(), Options{}, 0); err == nil {
		t.Error("endless capture accepted")
	}
}

// TestTshark has Wireshark read 20 virtual seconds of the demo: no
// complaints, nothing malformed, and the same count per message type as
// package decode finds.
func TestTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	file := filepath.Join(t.TempDir(), "demo.pcapng")
	out, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Duration: 20 * time.Second}
	if err := WriteCapture(out, DefaultDemo(), opts, 0); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	total := 0
	each(t, DefaultDemo(), opts, func(r *rec) {
		total++
		if r.d.Version == 1 {
			want["v1/"+strconv.Itoa(int(r.d.V1.Control))]++
		} else {
			want["v2/"+strconv.Itoa(int(r.d.PTP.MessageType))]++
		}
	})

	cmd := exec.Command(tshark, "-r", file, "-T", "fields", "-e", "ptp.versionptp", "-e", "ptp.v2.messagetype",
		"-e", "ptp.controlfield", "-e", "_ws.malformed", "-e", "_ws.expert.severity")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v: %s", err, stderr.String())
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "Running as user") {
			t.Errorf("tshark stderr: %s", line)
		}
	}
	got := map[string]int{}
	lines := 0
	for _, line := range strings.Split(strings.TrimRight(string(stdout), "\n"), "\n") {
		lines++
		f := strings.Split(line, "\t")
		for len(f) < 5 {
			f = append(f, "")
		}
		if f[3] != "" || f[4] != "" {
			t.Fatalf("tshark frame %d: malformed %q expert severity %q", lines, f[3], f[4])
		}
		switch {
		case f[0] == "1":
			got["v1/"+f[2]]++
		case f[1] != "":
			v, err := strconv.ParseUint(f[1], 0, 8)
			if err != nil {
				t.Fatalf("tshark frame %d: message type %q", lines, f[1])
			}
			got["v2/"+strconv.Itoa(int(v))]++
		default:
			t.Fatalf("tshark frame %d: no PTP: %q", lines, line)
		}
	}
	t.Logf("tshark and decode agree on %d frames: %v", total, got)
	if lines != total {
		t.Errorf("tshark read %d frames, decode %d", lines, total)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: tshark counts %d, decode %d", typeName(k), got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: tshark counts %d, decode none", typeName(k), g)
		}
	}
}

func typeName(k string) string {
	v, _ := strconv.Atoi(k[3:])
	if k[:2] == "v1" {
		return "PTPv1 " + decode.V1Control(v).String()
	}
	return decode.MessageType(v).String()
}
