package dump

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/decode/decodetest"
	"github.com/ptpwatch/ptpwatch/decode/pcapng"
)

// referenceObject is the field tree as nested maps, the form the JSON
// output had when encoding/json wrote it: the reference the hand-written
// encoder must match.
func referenceObject(fs []decode.Field) map[string]any {
	obj := make(map[string]any, len(fs))
	for _, f := range fs {
		var v any
		if len(f.Children) > 0 {
			child := referenceObject(f.Children)
			if f.Value != "" {
				child["_value"] = f.Value
			}
			if f.Text != "" {
				child["_text"] = f.Text
			}
			v = child
		} else if f.Text != "" && f.Text != f.Value {
			v = map[string]string{"value": f.Value, "text": f.Text}
		} else {
			v = f.Value
		}
		switch prev := obj[f.Name].(type) {
		case nil:
			obj[f.Name] = v
		case []any:
			obj[f.Name] = append(prev, v)
		default:
			obj[f.Name] = []any{prev, v}
		}
	}
	return obj
}

// TestFrameJSON: every frame of the fixture written by frameJSON reads
// back as encoding/json wrote the same frame's tree.
func TestFrameJSON(t *testing.T) {
	data, err := os.ReadFile("../testdata/fixture.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	r, err := pcapng.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var p pcapng.Packet
	var fr decode.Frame
	var j frameJSON
	for n := 1; r.Next(&p) == nil; n++ {
		fr.Decode(decode.LinkType(p.LinkType), p.Data)
		typ := messageName(&fr)
		ref, err := json.Marshal(Frame{Frame: n, Time: time.Unix(0, p.Timestamp).UTC().Format(time.RFC3339Nano),
			Length: len(p.Data), OriginalLength: p.OriginalLength, Result: fr.Result.String(),
			Reason: fr.Reason.String(), Message: typ, Layers: referenceObject(fr.Fields())})
		if err != nil {
			t.Fatal(err)
		}
		got := j.appendFrame(nil, n, p.Timestamp, len(p.Data), p.OriginalLength, &fr, typ)
		var a, b any
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("frame %d: %v\n%s", n, err, got)
		}
		json.Unmarshal(ref, &b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("frame %d:\n got %s\nwant %s", n, got, ref)
		}
	}
}

// TestCaptureJSONGolden: `ptpwatch decode --json` of the fixture is byte
// for byte what it printed before the JSON was written from FieldList
// (testdata/fixture.json.gz, made by the tree-building writer).
func TestCaptureJSONGolden(t *testing.T) {
	gz, err := os.Open("testdata/fixture.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	if err != nil {
		t.Fatal(err)
	}
	want, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open("../testdata/fixture.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var got bytes.Buffer
	out := bufio.NewWriter(&got)
	if err := Capture(in, out, true, false); err != nil {
		t.Fatal(err)
	}
	out.Flush()
	gl, wl := bytes.Split(got.Bytes(), []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := range min(len(gl), len(wl)) {
		if !bytes.Equal(gl[i], wl[i]) {
			t.Fatalf("line %d:\n got %s\nwant %s", i+1, gl[i], wl[i])
		}
	}
	if len(gl) != len(wl) {
		t.Fatalf("%d lines, want %d", len(gl), len(wl))
	}
}

func TestJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\" back\\ slash", "tab\tnew\nline\x01", "<a&b>", "é ✓ \u2028 \u2029", "bad \xff utf8", "end\xe2\x82", "\x7f\u00ff\U0001F600"} {
		want, _ := json.Marshal(s)
		if got := AppendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("string %q: %s, want %s", s, got, want)
		}
		if got := AppendJSONString([]byte("x"), []byte(s)); !bytes.Equal(got[1:], want) {
			t.Errorf("bytes %q: %s, want %s", s, got[1:], want)
		}
	}
	b := make([]byte, 0, 64)
	for _, s := range []string{"plain", "<a&b>\n"} {
		bs := []byte(s)
		if n := testing.AllocsPerRun(100, func() { b = AppendJSONString(b[:0], s) }); n != 0 {
			t.Errorf("string %q: %v allocations", s, n)
		}
		if n := testing.AllocsPerRun(100, func() { b = AppendJSONString(b[:0], bs) }); n != 0 {
			t.Errorf("bytes %q: %v allocations", s, n)
		}
	}
}

// TestFieldNamesPlain: every field name of the fixture's and the public
// captures' frames is plain, so appendKey may write it unescaped.
func TestFieldNamesPlain(t *testing.T) {
	files := []string{"../testdata/fixture.pcapng"}
	if dir, err := decodetest.CapturesDir(); err == nil {
		public, _ := filepath.Glob(filepath.Join(dir, "*", "*.pcap"))
		files = append(files, public...)
	} else {
		t.Logf("only the fixture: %v", err)
	}
	var l decode.FieldList
	var fr decode.Frame
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		r, err := pcapng.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		var p pcapng.Packet
		for r.Next(&p) == nil {
			fr.Decode(decode.LinkType(p.LinkType), p.Data)
			l.Describe(&fr)
			for i := 1; i <= l.Len(); i++ {
				if !decode.PlainName(l.Name(i)) {
					t.Fatalf("%s: field name %q", name, l.Name(i))
				}
			}
		}
	}
}

// BenchmarkAppendJSONString escapes a plain and an escaped string, given as
// a string (events, field texts) and as bytes (the packet list's scratch).
func BenchmarkAppendJSONString(b *testing.B) {
	for _, s := range []string{"a0369f.fffe.000106-1 UDP/IPv4 PTPv2 Sync domain 0 seq 27129", "<tab>\t\"quoted\" é \u2028"} {
		bs := []byte(s)
		buf := make([]byte, 0, 256)
		b.Run("string", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				buf = AppendJSONString(buf[:0], s)
			}
		})
		b.Run("bytes", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				buf = AppendJSONString(buf[:0], bs)
			}
		})
	}
}
