package pcapng_test

import (
	"bytes"
	"fmt"
	"io"
	"log"

	"github.com/ptpwatch/ptpwatch/decode/pcapng"
)

// Write a PTP Sync frame to a pcapng file and read it back.
func Example() {
	sync := []byte("\x01\x1b\x19\x00\x00\x00\x00\x11\x22\x33\x44\x55\x88\xf7\x10\x02\x00\x2c")

	var file bytes.Buffer
	w, err := pcapng.NewNgWriter(&file, pcapng.NgWriterOptions{Comment: "lab bench"})
	if err != nil {
		log.Fatal(err)
	}
	eth0, err := w.AddInterface(pcapng.Interface{Name: "eth0", LinkType: pcapng.LinkTypeEthernet})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.WritePacket(eth0, 1_700_000_000_123_456_789, sync, 0, "first sync"); err != nil {
		log.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}

	r, err := pcapng.NewReader(&file)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Format(), r.Section().Comment, r.Section().UserApplication)
	var p pcapng.Packet // reused for every packet
	for {
		err := r.Next(&p)
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		ifc := r.Interfaces()[p.Interface]
		fmt.Println(ifc.Name, p.LinkType, p.Timestamp, len(p.Data), p.Comment())
	}
	// Output:
	// pcapng lab bench ptpwatch
	// eth0 Ethernet 1700000000123456789 18 first sync
}
