package replay_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ptpwatch/ptpwatch/decode/pcapng"
	"github.com/ptpwatch/ptpwatch/xdp/replay"
	"github.com/ptpwatch/ptpwatch/xdp/source"
	"github.com/ptpwatch/ptpwatch/xdp/source/sourcetest"
)

// TestSource runs the frame source conformance suite on a pcap file of
// the suite's frames.
func TestSource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "frames.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pcapng.NewPcapWriter(f, pcapng.LinkTypeEthernet, 65535, true)
	if err != nil {
		t.Fatal(err)
	}
	for i, fr := range sourcetest.PTPFrames() {
		if err := w.WritePacket(1_700_000_000_000_000_000+int64(i)*1000, fr, len(fr)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	sourcetest.Run(t, sourcetest.Harness{
		Open: func(t *testing.T) source.Source {
			src, err := replay.Open(path, 0)
			if err != nil {
				t.Fatal(err)
			}
			return src
		},
		TSSource:  source.TimestampFile,
		ErrClosed: os.ErrClosed,
	})
}
