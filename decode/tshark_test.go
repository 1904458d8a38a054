package decode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/ptpwatch/ptpwatch/decode/decodetest"
)

// tsField is one field of tshark's `-T json -x` output: its filter name,
// shown value and where it lies in the frame.
type tsField struct {
	Name     string
	Show     string
	Pos, Len int
	Mask     uint64
	Protocol string // the top-level layer it came from, such as "ptp"
}

// tsharkJSON runs tshark over a capture file and returns its JSON output.
// The test is skipped when tshark is not installed.
func tsharkJSON(t testing.TB, file string) []byte {
	t.Helper()
	return decodetest.Tshark(t, "-r", file, "-T", "json", "-x", "-o", "gui.column.format:\"No.\",\"%m\"")
}

// parseTsharkJSON flattens tshark's per-packet layer trees into a field list
// per frame. It reads the output as a token stream because tshark repeats
// keys inside one object for repeated fields, which a map would lose.
func parseTsharkJSON(data []byte) ([][]tsField, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, fmt.Errorf("tshark json: want array, got %v %v", tok, err)
	}
	var frames [][]tsField
	for dec.More() {
		var fields []tsField
		if err := walkTshark(dec, "", "", &fields, nil); err != nil {
			return nil, err
		}
		frames = append(frames, fields)
	}
	return frames, nil
}

// walkTshark consumes one JSON value. Inside objects, a "name_raw" array
// [hex, pos, len, mask, type] precedes the "name" entry holding the shown
// value; the pair becomes one tsField.
func walkTshark(dec *json.Decoder, key, proto string, out *[]tsField, pending map[string][]tsField) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		raw := map[string][]tsField{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			k := kt.(string)
			p := proto
			if key == "layers" {
				p = k
			}
			if strings.HasSuffix(k, "_raw") {
				var arr []any
				if err := dec.Decode(&arr); err != nil {
					return err
				}
				if len(arr) == 5 {
					f := tsField{Name: strings.TrimSuffix(k, "_raw"), Protocol: p}
					f.Pos = num(arr[1])
					f.Len = num(arr[2])
					f.Mask = uint64(num(arr[3]))
					if s, ok := arr[0].(string); ok {
						f.Show = s
					}
					raw[f.Name] = append(raw[f.Name], f)
				}
				continue
			}
			if err := walkTshark(dec, k, p, out, raw); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return err
	case json.Delim('['):
		for dec.More() {
			if err := walkTshark(dec, key, proto, out, pending); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return err
	}
	if s, ok := tok.(string); ok && pending != nil && len(pending[key]) > 0 {
		// Raw entries and values of a repeated key pair up in order.
		f := pending[key][0]
		pending[key] = pending[key][1:]
		f.Show = s
		*out = append(*out, f)
	}
	return nil
}

// knownTsharkDisagreements lists fields tshark 4.0 decodes differently from
// the standard, with the clause we follow.
var knownTsharkDisagreements = map[string]string{
	"ptp.as.fu.cumulativeScaledRateOffset":        "IEEE 802.1AS-2020 §11.4.4.3.6 makes it Integer32; tshark shows it unsigned",
	"ptp.v2.mm.numberOfAlternateMasters":          "ALTERNATE_MASTER (§15.5.3.7.9): tshark swaps it with logAlternateMulticastSyncInterval",
	"ptp.v2.mm.logAlternateMulticastSyncInterval": "ALTERNATE_MASTER (§15.5.3.7.9): tshark swaps it with numberOfAlternateMasters",
}

// isOpaque reports whether a tshark field is undissected octets.
func isOpaque(name string) bool {
	return strings.HasSuffix(name, ".data") || strings.HasSuffix(name, ".payload") || name == "data"
}

func num(v any) int {
	if n, ok := v.(json.Number); ok {
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}

// canonical returns the forms a shown value may take as a number or text,
// so "0x0d", "13" and "0d" can be compared.
func canonical(s string, hexOK bool) []string {
	s = strings.ToLower(strings.TrimSpace(s))
	out := []string{s}
	if len(s) > 2 && s[2] == ':' && !strings.Contains(s, " ") {
		// Colon-separated octets, as tshark shows FT_BYTES.
		s = strings.ReplaceAll(s, ":", "")
		out = append(out, s)
		hexOK = true
	}
	if h, ok := strings.CutPrefix(s, "0x"); ok {
		if n, ok := new(big.Int).SetString(h, 16); ok {
			out = append(out, n.String())
		}
		return out
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		out = append(out, strconv.FormatInt(n, 10))
	}
	if hexOK && len(s)%2 == 0 && len(s) > 0 {
		if n, ok := new(big.Int).SetString(s, 16); ok {
			out = append(out, n.String())
		}
	}
	if f, err := strconv.ParseFloat(strings.Fields(s + " ")[0], 64); err == nil {
		out = append(out, strconv.FormatFloat(f, 'g', -1, 64))
	}
	return out
}

func sameValue(ours, theirs string) bool {
	for _, a := range canonical(ours, true) {
		for _, b := range canonical(theirs, false) {
			if a == b {
				return true
			}
		}
	}
	return false
}

// leafFields flattens our field tree into its leaves.
func leafFields(fs []Field, prefix string, out *[]Field) {
	for _, f := range fs {
		name := prefix + f.Name
		if len(f.Children) == 0 {
			f.Name = name
			*out = append(*out, f)
			continue
		}
		leafFields(f.Children, name+".", out)
	}
}

// goldenReport compares one frame's fields with tshark's. Every field of
// ours that tshark also has at the same offset, length and mask must agree
// in value; every byte tshark explains in the protocols checked must be
// covered by one of our fields.
type goldenReport struct {
	matched, unmatched, mismatched, uncovered int
	problems                                  []string
}

func compareWithTshark(ours []Field, theirs []tsField, protocols map[string]bool, frameLen int, rep *goldenReport) {
	var leaves []Field
	leafFields(ours, "", &leaves)
	covered := make([]bool, frameLen)
	// A group with a value of its own (a bitmask, a port identity) explains
	// its octets even where its children name only some bits.
	var cover func(fs []Field)
	cover = func(fs []Field) {
		for _, f := range fs {
			if len(f.Children) == 0 || f.Value != "" {
				for i := f.Offset; i < f.Offset+f.Length && i < frameLen; i++ {
					covered[i] = true
				}
			}
			cover(f.Children)
		}
	}
	cover(ours)
	for _, l := range leaves {
		var cands []tsField
		for _, t := range theirs {
			if t.Pos == l.Offset && t.Len == l.Length && t.Mask == l.Mask {
				cands = append(cands, t)
			}
		}
		if len(cands) == 0 {
			rep.unmatched++
			continue
		}
		ok := false
		for _, c := range cands {
			if sameValue(l.Value, c.Show) {
				ok = true
				break
			}
		}
		if ok {
			rep.matched++
			continue
		}
		opaque, known := true, false
		for _, c := range cands {
			if !isOpaque(c.Name) {
				opaque = false
			}
			if _, k := knownTsharkDisagreements[c.Name]; k {
				known = true
			}
		}
		if opaque || known {
			// tshark shows octets it has no dissector for, or decodes
			// a field differently from the standard (see the list).
			rep.unmatched++
			continue
		}
		rep.mismatched++
		var names []string
		for _, c := range cands {
			names = append(names, c.Name+"="+c.Show)
		}
		rep.problems = append(rep.problems, fmt.Sprintf("%s=%q at %d+%d mask %#x: tshark has %s", l.Name, l.Value, l.Offset, l.Length, l.Mask, strings.Join(names, ", ")))
	}
	for _, t := range theirs {
		if !protocols[t.Protocol] || t.Len == 0 || t.Pos+t.Len > frameLen {
			continue
		}
		for i := t.Pos; i < t.Pos+t.Len; i++ {
			if !covered[i] {
				rep.uncovered++
				rep.problems = append(rep.problems, fmt.Sprintf("tshark field %s=%q at %d+%d not covered by our fields", t.Name, t.Show, t.Pos, t.Len))
				break
			}
		}
	}
}

var _ = io.EOF
