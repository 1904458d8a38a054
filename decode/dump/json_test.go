package dump

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
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

// TestFrameJSON: every frame of the fixture written by appendFrameJSON
// reads back as encoding/json wrote the same frame.
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
	for n := 1; r.Next(&p) == nil; n++ {
		fr.Decode(decode.LinkType(p.LinkType), p.Data)
		typ := messageName(&fr)
		ref, err := json.Marshal(Frame{Frame: n, Time: time.Unix(0, p.Timestamp).UTC().Format(time.RFC3339Nano),
			Length: len(p.Data), OriginalLength: p.OriginalLength, Result: fr.Result.String(),
			Reason: fr.Reason.String(), Message: typ, Layers: referenceObject(fr.Fields())})
		if err != nil {
			t.Fatal(err)
		}
		got := appendFrameJSON(nil, n, p.Timestamp, len(p.Data), p.OriginalLength, &fr, typ, fr.Fields())
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

func TestJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\" back\\ slash", "tab\tnew\nline\x01", "<a&b>", "é ✓ \u2028", "bad \xff utf8", "end\xe2\x82"} {
		got := appendJSONString(nil, s)
		want, _ := json.Marshal(s)
		if !bytes.Equal(got, want) {
			t.Errorf("%q: %s, want %s", s, got, want)
		}
	}
}
