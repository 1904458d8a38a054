package httpd

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/decode/dump"
	"github.com/ptpwatch/ptpwatch/ring"
)

// TestAppendItem holds the hand-written packet list encoding to what
// encoding/json makes of packetItem, frame by frame.
func TestAppendItem(t *testing.T) {
	b := shared(t)
	s, err := New(Config{}, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := s.currentTree()
	links := s.links()
	var d decode.Frame
	var scratch, out []byte
	n := 0
	b.buf.Scan(ring.Query{}, func(r *ring.Record) bool {
		h := held{r.RecordMeta, r.Frame, r.Data}
		want, err := json.Marshal(s.item(&h, tr, links, &d))
		if err != nil {
			t.Fatal(err)
		}
		out, scratch = s.appendItem(out[:0], scratch, &h, tr, links, &d)
		if !bytes.Equal(out, want) {
			t.Fatalf("frame %d:\n got %s\nwant %s", r.Frame, out, want)
		}
		n++
		return true
	})
	if n == 0 {
		t.Fatal("no frames")
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\\back`, "tab\tnl\nrc\r", "\x00\x1f", "<a&b>", "→ µs ü", "\u2028\u2029", "bad \xff utf8", "emoji 🕰"} {
		want, _ := json.Marshal(s)
		if got := dump.AppendJSONString(nil, []byte(s)); !bytes.Equal(got, want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
}

func TestPacketsNoAllocsPerItem(t *testing.T) {
	b := shared(t)
	s, _ := New(Config{}, b, nil)
	tr := s.currentTree()
	links := s.links()
	var r ring.Record
	b.buf.Get(b.buf.Stats().First, &r)
	h := held{r.RecordMeta, r.Frame, r.Data}
	var d decode.Frame
	out := make([]byte, 0, 4096)
	scratch := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(100, func() { out, scratch = s.appendItem(out[:0], scratch, &h, tr, links, &d) })
	if allocs != 0 {
		t.Errorf("%.0f allocations per packet, want none", allocs)
	}
}

func TestPacketsTail(t *testing.T) {
	b := shared(t)
	m := serveMem(t, Config{}, b, memOpts{})
	type page struct {
		Packets []struct {
			Frame       uint64 `json:"frame"`
			MessageType string `json:"messageType"`
		} `json:"packets"`
		Next uint64 `json:"next"`
	}
	var all, tail page
	decodeJSON(t, m.get(t, "/api/v1/packets?limit=10000&type=Announce"), &all)
	decodeJSON(t, m.get(t, "/api/v1/packets?tail=3&type=Announce"), &tail)
	if len(all.Packets) < 4 || len(tail.Packets) != 3 || tail.Next != 0 {
		t.Fatalf("%d announces, tail %d", len(all.Packets), len(tail.Packets))
	}
	for i, p := range tail.Packets {
		if want := all.Packets[len(all.Packets)-3+i]; p != want {
			t.Errorf("tail[%d] = %v, want %v", i, p, want)
		}
	}
	var whole page
	decodeJSON(t, m.get(t, "/api/v1/packets?tail=10000"), &whole)
	if st := b.buf.Stats(); uint64(len(whole.Packets)) != st.Frames || whole.Packets[0].Frame != st.First {
		t.Errorf("tail=10000: %d packets from %d, buffer %d from %d", len(whole.Packets), whole.Packets[0].Frame, st.Frames, st.First)
	}
	checkError(t, m.get(t, "/api/v1/packets?tail=0"), 400, `"tail"`)
	checkError(t, m.get(t, "/api/v1/packets?tail=5&after=3"), 400, `"tail"`)
	checkError(t, m.get(t, "/api/v1/packets?tail=5&limit=3"), 400, `"tail"`)
	checkError(t, m.get(t, "/api/v1/capture.pcapng?tail=5"), 400, `"tail"`)
}
