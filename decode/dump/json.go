package dump

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/ptpwatch/ptpwatch/decode"
)

// frameJSON writes frames as JSON lines, reusing its buffers: after the
// first frames it allocates nothing per frame.
type frameJSON struct {
	list decode.FieldList
	tmp  []byte // a value or text before it is escaped or compared
}

// appendFrame appends one frame as its JSON line (the Frame type's form,
// keys in field order), written by hand from the frame's FieldList:
// building maps for encoding/json cost more than decoding the frame.
func (j *frameJSON) appendFrame(b []byte, n int, ts int64, length, orig int, fr *decode.Frame, typ string) []byte {
	b = append(b, `{"frame":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `,"time":"`...)
	b = time.Unix(0, ts).UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","length":`...)
	b = strconv.AppendInt(b, int64(length), 10)
	b = append(b, `,"originalLength":`...)
	b = strconv.AppendInt(b, int64(orig), 10)
	b = append(b, `,"result":`...)
	b = AppendJSONString(b, fr.Result.String())
	if r := fr.Reason.String(); r != "" {
		b = append(b, `,"reason":`...)
		b = AppendJSONString(b, r)
	}
	if typ != "" {
		b = append(b, `,"message":`...)
		b = AppendJSONString(b, typ)
	}
	b = append(b, `,"layers":{`...)
	j.list.Describe(fr)
	b = j.appendMembers(b, 0)
	return append(b, "}}\n"...)
}

// appendMembers appends the children of field parent as the members of a
// JSON object keyed by field name; fields of one name become an array at
// the first one's place.
func (j *frameJSON) appendMembers(b []byte, parent int) []byte {
	l := &j.list
	if !l.RepeatsNames(parent) {
		for i := l.First(parent); i > 0; i = l.Next(i) {
			if i != l.First(parent) {
				b = append(b, ',')
			}
			b = appendKey(b, l.Name(i))
			b = j.appendValue(b, i)
		}
		return b
	}
	comma := false
	for i := l.First(parent); i > 0; i = l.Next(i) {
		name := l.Name(i)
		if j.named(l.First(parent), i, name) {
			continue // written with the first of its name
		}
		if comma {
			b = append(b, ',')
		}
		comma = true
		b = appendKey(b, name)
		if !j.named(l.Next(i), 0, name) {
			b = j.appendValue(b, i)
			continue
		}
		b = append(b, '[')
		for k := i; k > 0; k = l.Next(k) {
			if l.Name(k) == name {
				if k > i {
					b = append(b, ',')
				}
				b = j.appendValue(b, k)
			}
		}
		b = append(b, ']')
	}
	return b
}

// appendKey appends a field's name as an object key. Field names are
// identifiers the decoder's source spells, printable ASCII with nothing to
// escape (decode.PlainName; TestFieldNamesPlain and decode's tests hold
// them to it).
func appendKey(b []byte, name string) []byte {
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

// named reports whether a field from from up to (not including) until, in
// one group, is called name.
func (j *frameJSON) named(from, until int, name string) bool {
	for i := from; i > 0 && i != until; i = j.list.Next(i) {
		if j.list.Name(i) == name {
			return true
		}
	}
	return false
}

// appendValue appends field i: a group as an object of its children (its
// own value and text as "_value" and "_text"), a value with a meaning as
// {"value", "text"}, else the value string.
func (j *frameJSON) appendValue(b []byte, i int) []byte {
	l := &j.list
	switch {
	case l.First(i) > 0:
		b = append(b, '{')
		b = j.appendMembers(b, i)
		if l.HasValue(i) {
			b = append(b, `,"_value":`...)
			b = j.appendPlain(b, i)
		}
		if l.HasText(i) {
			b = append(b, `,"_text":`...)
			j.tmp = l.AppendText(j.tmp[:0], i)
			b = AppendJSONString(b, j.tmp)
		}
		return append(b, '}')
	case l.HasText(i):
		j.tmp = l.AppendValue(j.tmp[:0], i)
		v := len(j.tmp)
		j.tmp = l.AppendText(j.tmp, i)
		if string(j.tmp[:v]) == string(j.tmp[v:]) {
			return AppendJSONString(b, j.tmp[:v])
		}
		b = append(b, `{"value":`...)
		b = AppendJSONString(b, j.tmp[:v])
		b = append(b, `,"text":`...)
		b = AppendJSONString(b, j.tmp[v:])
		return append(b, '}')
	}
	return j.appendPlain(b, i)
}

// appendPlain appends field i's value as a JSON string.
func (j *frameJSON) appendPlain(b []byte, i int) []byte {
	l := &j.list
	if l.PlainValue(i) {
		// Digits, hex, dots, colons and dashes: nothing to escape.
		b = append(b, '"')
		b = l.AppendValue(b, i)
		return append(b, '"')
	}
	j.tmp = l.AppendValue(j.tmp[:0], i)
	return AppendJSONString(b, j.tmp)
}

const hexDigits = "0123456789abcdef"

// jsonSafe marks the ASCII octets a JSON string holds as they are.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// AppendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it: control characters, quotes, backslashes, <, > and &, U+2028
// and U+2029, and invalid UTF-8 written as U+FFFD. It serves strings and
// byte slices alike and does not allocate when b has room.
func AppendJSONString[T ~string | ~[]byte](b []byte, s T) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		start := i
		for i < len(s) && s[i] < utf8.RuneSelf && jsonSafe[s[i]] {
			i++
		}
		b = append(b, s[start:i]...)
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
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
			continue
		}
		var rb [utf8.UTFMax]byte
		k := copy(rb[:], s[i:])
		r, n := utf8.DecodeRune(rb[:k])
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}
