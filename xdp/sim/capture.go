package sim

import (
	"context"
	"errors"
	"io"

	"github.com/ptpwatch/ptpwatch/decode/pcapng"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// WriteCapture runs the network cfg describes and writes its first frames
// frames to w as pcapng, one interface per segment ("sim0" unless the
// config names its segments), with nanosecond timestamps. frames <= 0
// writes everything up to opts.Duration, which must then be set. A run
// that ends before frames frames writes what it produced.
func WriteCapture(w io.Writer, cfg Config, opts Options, frames int) error {
	if frames <= 0 && opts.Duration <= 0 {
		return errors.New("sim: WriteCapture needs a frame count or a duration")
	}
	n, err := New(cfg, opts)
	if err != nil {
		return err
	}
	nw, err := pcapng.NewNgWriter(w, pcapng.NgWriterOptions{Comment: "ptpwatch simulated network"})
	if err != nil {
		return err
	}
	for _, ifc := range n.Interfaces() {
		if _, err := nw.AddInterface(pcapng.Interface{Name: ifc.Name, LinkType: pcapng.LinkTypeEthernet,
			Resolution: pcapng.Nanosecond}); err != nil {
			return err
		}
	}
	ctx := context.Background()
	var f source.Frame
	for i := 0; frames <= 0 || i < frames; i++ {
		if err := n.Next(ctx, &f); err == io.EOF {
			break
		} else if err != nil {
			return err
		}
		if err := nw.WritePacket(int(f.Interface), f.Timestamp, f.Data, f.OrigLen, ""); err != nil {
			return err
		}
	}
	return nw.Flush()
}
