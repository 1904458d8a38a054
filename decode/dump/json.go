package dump

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ptpwatch/ptpwatch/decode"
)

// appendFrameJSON appends one frame as its JSON line (the Frame type's
// form, keys in field order), written by hand: building maps for
// encoding/json cost more than decoding the frame.
func appendFrameJSON(b []byte, n int, ts int64, length, orig int, fr *decode.Frame, typ string, fields []decode.Field) []byte {
	b = append(b, `{"frame":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `,"time":"`...)
	b = time.Unix(0, ts).UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","length":`...)
	b = strconv.AppendInt(b, int64(length), 10)
	b = append(b, `,"originalLength":`...)
	b = strconv.AppendInt(b, int64(orig), 10)
	b = append(b, `,"result":`...)
	b = appendJSONString(b, fr.Result.String())
	if r := fr.Reason.String(); r != "" {
		b = append(b, `,"reason":`...)
		b = appendJSONString(b, r)
	}
	if typ != "" {
		b = append(b, `,"message":`...)
		b = appendJSONString(b, typ)
	}
	b = append(b, `,"layers":{`...)
	b = appendMembers(b, fields, false)
	return append(b, "}}\n"...)
}

// appendMembers appends fs as the members of a JSON object keyed by field
// name; fields of one name become an array at the first one's place.
func appendMembers(b []byte, fs []decode.Field, comma bool) []byte {
	for i := range fs {
		name := fs[i].Name
		if seenBefore(fs[:i], name) {
			continue
		}
		if comma {
			b = append(b, ',')
		}
		comma = true
		b = appendJSONString(b, name)
		b = append(b, ':')
		if !seenBefore(fs[i+1:], name) {
			b = appendValue(b, &fs[i])
			continue
		}
		b = append(b, '[')
		for j := i; j < len(fs); j++ {
			if fs[j].Name == name {
				if j > i {
					b = append(b, ',')
				}
				b = appendValue(b, &fs[j])
			}
		}
		b = append(b, ']')
	}
	return b
}

func seenBefore(fs []decode.Field, name string) bool {
	for i := range fs {
		if fs[i].Name == name {
			return true
		}
	}
	return false
}

// appendValue appends a field: a group as an object of its children (its
// own value and text as "_value" and "_text"), a value with a meaning as
// {"value", "text"}, else the value string.
func appendValue(b []byte, f *decode.Field) []byte {
	switch {
	case len(f.Children) > 0:
		b = append(b, '{')
		b = appendMembers(b, f.Children, false)
		if f.Value != "" {
			b = append(b, `,"_value":`...)
			b = appendJSONString(b, f.Value)
		}
		if f.Text != "" {
			b = append(b, `,"_text":`...)
			b = appendJSONString(b, f.Text)
		}
		return append(b, '}')
	case f.Text != "" && f.Text != f.Value:
		b = append(b, `{"value":`...)
		b = appendJSONString(b, f.Value)
		b = append(b, `,"text":`...)
		b = appendJSONString(b, f.Text)
		return append(b, '}')
	}
	return appendJSONString(b, f.Value)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaping as encoding/json
// does (control characters, quotes, backslashes, <, > and &, U+2028 and
// U+2029) and writing invalid UTF-8 as U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			switch r {
			case utf8.RuneError:
				b = append(b, `\ufffd`...)
			default:
				b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
