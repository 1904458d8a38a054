package decode

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ptpwatch/ptpwatch/decode/decodetest"
)

// FuzzManagementData runs the dispatcher and the detail view over any
// managementId and data field. Whatever decodes must encode to a canonical
// form that decodes again to the same encoding.
func FuzzManagementData(f *testing.F) {
	for _, s := range mgmtSamples() {
		b := s.body.AppendTo(nil)
		f.Add(uint16(s.id), b)
		f.Add(uint16(s.id), b[:len(b)/2])
	}
	for _, info := range mgmtIDs {
		f.Add(uint16(info.id), AppendManagementGet(nil, info.id, true))
	}
	if dir, err := decodetest.CapturesDir(); err == nil {
		if r, err := os.Open(filepath.Join(dir, mgmtCaptureFile)); err == nil {
			frames, _ := decodetest.Read(r)
			r.Close()
			for _, c := range frames {
				var fr Frame
				if fr.Decode(LinkEthernet, c.Data) == ResultOK {
					f.Add(uint16(fr.PTP.Management.ID), fr.PTP.Management.Data)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, id16 uint16, data []byte) {
		id := ManagementID(id16)
		var d ManagementData
		err := DecodeManagementData(id, data, &d)
		if err == nil {
			d.ID = id
			enc := AppendManagementData(nil, &d)
			var d2 ManagementData
			if err := DecodeManagementData(id, enc, &d2); err != nil {
				t.Fatalf("%v: re-encoded %x does not decode: %v", id, enc, err)
			}
			if enc2 := AppendManagementData(nil, &d2); !bytes.Equal(enc, enc2) {
				t.Fatalf("%v: encoding not canonical:\n%x\n%x", id, enc, enc2)
			}
			if d.Body(id) != nil && len(enc)%2 != 0 {
				t.Fatalf("%v: odd data field %x", id, enc)
			}
		}
		_ = id.String()
		// The detail view at an offset inside a larger buffer, with the
		// data field's length right, too long and too short.
		buf := append([]byte{0xaa, 0xbb, 0xcc}, data...)
		for _, n := range []int{len(data), len(data) + 5, len(data) / 2} {
			out := describeWith(buf, func(w fieldWriter) { describeManagementData(w, id, 3, n) })
			mgmtCheckFields(t, out, len(buf))
		}
	})
}

// mgmtCheckFields checks that every field lies inside the buffer or is
// marked truncated.
func mgmtCheckFields(t *testing.T, fs []Field, size int) {
	for _, f := range fs {
		if f.Offset < 0 || f.Length < 0 {
			t.Fatalf("field %s at %d+%d", f.Name, f.Offset, f.Length)
		}
		if f.Offset+f.Length > size && f.Text != "truncated" && len(f.Children) == 0 {
			t.Fatalf("field %s at %d+%d beyond %d octets", f.Name, f.Offset, f.Length, size)
		}
		mgmtCheckFields(t, f.Children, size)
	}
}
