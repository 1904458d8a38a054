package decode

import (
	"bytes"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/ptpwatch/ptpwatch/decode/decodetest"
)

// jsonFromList is the reference AppendJSON must match: the frame listed
// into the list, then written from it.
func jsonFromList(f *Frame) []byte {
	var l FieldList
	l.Describe(f)
	return l.AppendMembersJSON(nil, 0)
}

// appendJSONChecked writes f with AppendJSON and fails t unless it is the
// list's JSON byte for byte; it reports whether the frame went to the list.
func appendJSONChecked(t *testing.T, l *FieldList, f *Frame, what string) (viaList bool) {
	t.Helper()
	got := l.AppendJSON([]byte("prefix"), f)
	if want := jsonFromList(f); !bytes.Equal(got[6:], want) || string(got[:6]) != "prefix" {
		t.Fatalf("%s:\n got %s\nwant %s", what, got, want)
	}
	return l.js.bad
}

// TestAppendJSONMatchesList: for every frame of the fixture, the public
// captures and the fuzz seeds, AppendJSON writes what the list's writer
// writes; messages without TLVs under at most one VLAN tag never need
// the list (stacked tags, all called "vlan", become an array).
func TestAppendJSONMatchesList(t *testing.T) {
	var frames []decodetest.Frame
	frames = append(frames, decodetest.ReadCapture(t, fixtureFile)...)
	if dir, err := decodetest.CapturesDir(); err == nil {
		public, _ := filepath.Glob(filepath.Join(dir, "*", "*.pcap*"))
		for _, name := range public {
			frames = append(frames, decodetest.ReadCapture(t, name)...)
		}
	} else {
		t.Logf("only the fixture: %v", err)
	}
	var l FieldList // reused, as `ptpwatch decode` reuses it
	var f Frame
	viaList, simple := 0, 0
	for n, fr := range frames {
		f.Decode(LinkType(fr.Link), fr.Data)
		list := appendJSONChecked(t, &l, &f, "frame "+strconv.Itoa(n+1))
		if list {
			viaList++
		}
		if f.Result == ResultOK && f.Version == 2 && f.PTP.MessageType != Management && f.PTP.MessageType != Signaling && len(f.PTP.Suffix) == 0 && f.NumVLANs <= 1 {
			simple++
			if list {
				t.Errorf("frame %d (%v, %v, %d tags) went to the list", n+1, f.PTP.MessageType, f.Transport, f.NumVLANs)
			}
		}
	}
	t.Logf("%d frames (%d event and general messages without TLVs), %d written from the list", len(frames), simple, viaList)
	if simple == 0 || viaList == 0 {
		t.Errorf("the frames should hold both kinds: %d simple, %d via the list", simple, viaList)
	}
}

// TestAppendJSONNoAllocs: once its buffers have grown, AppendJSON
// allocates nothing, for a frame it writes directly (with and without
// TLVs), one it writes as it lists and one that goes to the list.
func TestAppendJSONNoAllocs(t *testing.T) {
	frames := decodetest.ReadCapture(t, fixtureFile)
	var l FieldList
	var f Frame
	buf := make([]byte, 0, 1<<16)
	kinds := map[string]bool{}
	for _, fr := range frames {
		f.Decode(LinkType(fr.Link), fr.Data)
		buf = l.AppendJSON(buf[:0], &f)
		kind := "as listed"
		switch {
		case l.js.bad:
			kind = "via the list"
		case l.js.direct && f.PTP.NumTLVs > 0:
			kind = "directly with TLVs"
		case l.js.direct:
			kind = "directly"
		}
		if kinds[kind] {
			continue
		}
		kinds[kind] = true
		if n := testing.AllocsPerRun(50, func() { buf = l.AppendJSON(buf[:0], &f) }); n != 0 {
			t.Errorf("%s: %v allocations", kind, n)
		}
	}
	if len(kinds) != 4 {
		t.Errorf("the fixture should hold frames of all four kinds: %v", kinds)
	}
}

// FuzzAppendJSON: whatever the octets, AppendJSON writes what the list's
// writer writes.
func FuzzAppendJSON(f *testing.F) {
	for _, e := range sampleEncapsulations() {
		for _, m := range sampleMessages() {
			f.Add(uint16(LinkEthernet), e.AppendFrame(nil, &m))
		}
	}
	var l FieldList
	f.Fuzz(func(t *testing.T, link uint16, b []byte) {
		var fr Frame
		fr.Decode(LinkType(link), b)
		appendJSONChecked(t, &l, &fr, "frame")
	})
}

// TestCorrectionNs: appendCorrectionNs writes what AppendFloat writes.
func TestCorrectionNs(t *testing.T) {
	vals := []int64{0, 1, -1, 65536, -65536, 65535, 1 << 47, math.MaxInt64, math.MinInt64, math.MinInt64 + 65536, 2361589760, -2361589760}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		v := int64(r.Uint64())
		vals = append(vals, v, v&^0xffff, v>>20, (v>>20)&^0xffff)
	}
	for _, v := range vals {
		want := strconv.AppendFloat(nil, float64(v)/65536, 'f', -1, 64)
		if got := appendCorrectionNs(nil, v); !bytes.Equal(got, want) {
			t.Fatalf("%d: %s, want %s", v, got, want)
		}
	}
}

// TestAppendDecimal: appendDecimal writes what strconv writes.
func TestAppendDecimal(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range uint64(100000) {
		x := i
		if i >= 1000 {
			x = r.Uint64() >> (r.Uint64() % 64)
		}
		if got, want := appendDecimal([]byte("x"), x), strconv.AppendUint([]byte("x"), x, 10); !bytes.Equal(got, want) {
			t.Fatalf("%d: %s, want %s", x, got, want)
		}
	}
}

// TestAppendJSONDirect: the direct writer (appendDirectJSON) writes what
// the list's writer writes for every message it knows over every
// encapsulation it knows, with and without a TLV, with values changed at
// random: each sample frame with one to four random octets set at random
// places, some with octets appended (padding). The unchanged frames and
// most changed ones must take the direct way, except a message with two
// TLVs (both called "tlv"), which goes to the list.
func TestAppendJSONDirect(t *testing.T) {
	var msgs []Message
	for _, m := range sampleMessages() {
		if m.MessageType == Signaling || m.MessageType == Management {
			continue
		}
		msgs = append(msgs, m)
		if m.NumTLVs > 0 {
			m.Suffix, m.NumTLVs = nil, 0
			msgs = append(msgs, m)
		}
	}
	fu := msgs[4] // Follow_Up, with 802.1AS's Follow_Up information TLV
	info := FollowUpInfoTLV{CumulativeScaledRateOffset: -1234, GMTimeBaseIndicator: 7, ScaledLastGMFreqChange: 99}
	fu.Suffix, fu.NumTLVs = info.AppendTo(nil), 1
	msgs = append(msgs, fu)
	two := msgs[0] // Sync with two TLVs
	two.Suffix = AppendTLV(info.AppendTo(nil), TLVPathTrace, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	two.NumTLVs = 2
	msgs = append(msgs, two)
	r := rand.New(rand.NewPCG(5, 6))
	var l FieldList
	var f Frame
	direct, changed := 0, 0
	for _, e := range sampleEncapsulations() {
		if len(e.VLANs) > 1 {
			continue
		}
		for _, m := range msgs {
			frame := e.AppendFrame(nil, &m)
			f.Decode(LinkEthernet, frame)
			if list := appendJSONChecked(t, &l, &f, m.MessageType.String()); list != (m.NumTLVs > 1) || !list && !l.js.direct {
				t.Fatalf("%v with %d TLVs over %v with %d tags: direct %v, via the list %v", m.MessageType, m.NumTLVs, e.Transport, len(e.VLANs), l.js.direct, list)
			}
			b := make([]byte, len(frame), len(frame)+8)
			for range 2000 {
				b = append(b[:0], frame...)
				for range 1 + r.IntN(4) {
					b[r.IntN(len(b))] = byte(r.Uint32())
				}
				if r.IntN(8) == 0 {
					b = append(b, make([]byte, r.IntN(8))...)
				}
				f.Decode(LinkEthernet, b)
				appendJSONChecked(t, &l, &f, m.MessageType.String()+" changed")
				changed++
				if l.js.direct {
					direct++
				}
			}
		}
	}
	t.Logf("%d changed frames, %d written directly", changed, direct)
	if direct < changed/2 {
		t.Errorf("only %d of %d changed frames were written directly", direct, changed)
	}
}
