package decode

import "unicode/utf8"

// jsonState is AppendJSON's progress through a frame: the output, the
// open groups from the top level down, and the newest value field, which
// is written when the next field is listed or its group ends, so that
// the describer may still change it (its text, say).
type jsonState struct {
	b      []byte
	open   []jsonGroup
	names  []string // the names of each open group's children, for repeats
	next   int32    // the next field's number
	topEnd int      // where the top level's last field ends
	bad    bool     // the frame needs the list (see AppendJSON)
	direct bool     // the frame was written by appendDirectJSON

	leaf       fieldNode // the newest field that is not a group, unwritten
	leafIdx    int32     // its number, 0 when none
	leafParent int32
	spare      fieldNode
}

// jsonGroup is an open group.
type jsonGroup struct {
	nd        fieldNode // sig: the signatures of its children's names
	i         int32
	kids      int32 // children listed
	nameStart int32 // where its children's names start in names
}

// AppendJSON appends the frame's fields as the members of a JSON object
// keyed by field name, the "layers" of `ptpwatch decode --json`: a group
// is an object of its children with its own value and text as "_value"
// and "_text", a value with a meaning is {"value", "text"} (just the
// value when the two read alike), else the value as a string; fields of
// one name become an array at the first one's place. The output is the
// one AppendMembersJSON writes from Describe's list, but it is written
// while the fields are listed, without keeping them. A frame that lists
// two fields of one name in a group, which JSON must gather, or changes a
// field written already, is listed again into the list and written from
// there; a PTPv1 message, which always does, goes to the list at once.
// The frames most captures are made of, event and general PTPv2 messages
// over Ethernet, IPv4 or IPv6, are written straight from their octets
// instead (appendDirectJSON), their TLVs as they are listed, in the same
// bytes. It does not allocate once l's buffers have grown.
func (l *FieldList) AppendJSON(b []byte, f *Frame) []byte {
	start := len(b)
	s := &l.js
	switch d, r := l.appendDirectJSON(b, f); r {
	case directDone:
		s.bad, s.direct = false, true
		return d
	case directList:
		s.bad, s.direct = true, false
		l.Describe(f)
		return l.AppendMembersJSON(b[:start], 0)
	}
	s.direct = false
	if f.Version == 1 {
		// PTPv1's layouts fill the gaps between fields with "reserved"
		// entries, which JSON gathers into an array: straight to the list.
		s.bad = true
		l.Describe(f)
		return l.AppendMembersJSON(b, 0)
	}
	s.b = b
	s.open = append(s.open[:0], jsonGroup{})
	s.names = s.names[:0]
	s.next, s.topEnd, s.bad = 1, 0, false
	s.leafIdx = 0
	l.streaming = true
	l.describe(f)
	l.jsonLeafDone()
	for len(s.open) > 1 {
		l.jsonClose()
	}
	l.streaming = false
	b, s.b = s.b, nil
	if s.bad {
		l.Describe(f)
		return l.AppendMembersJSON(b[:start], 0)
	}
	return b
}

// level returns where group g is among the open groups, or -1.
func (s *jsonState) level(g int32) int {
	for k := len(s.open) - 1; k >= 0; k-- {
		if s.open[k].i == g {
			return k
		}
	}
	return -1
}

// jsonLeafDone writes the newest value field, if one waits.
func (l *FieldList) jsonLeafDone() {
	if l.js.leafIdx != 0 {
		l.jsonWriteLeaf()
	}
}

func (l *FieldList) jsonWriteLeaf() {
	s := &l.js
	s.b = l.appendLeafJSON(s.b, &s.leaf)
	s.leafIdx = 0
}

// jsonAdd is addLazy while AppendJSON runs: it closes the groups after
// group parent's, writes the separator and the new field's key, and for
// a value field its value.
func (l *FieldList) jsonAdd(parent int32, name string, off, n int, k valueKind, mask uint64, text string, group bool) int32 {
	s := &l.js
	i := s.next
	s.next++
	if s.bad {
		return i
	}
	l.jsonLeafDone()
	lv := len(s.open) - 1
	if s.open[lv].i != parent {
		if lv = s.level(parent); lv < 0 {
			// A group whose fields are written already: only the list
			// can take it.
			s.bad = true
			return i
		}
		for len(s.open)-1 > lv {
			l.jsonClose()
		}
	}
	p := &s.open[lv]
	b := s.b
	if p.kids > 0 {
		b = append(b, ',', '"')
	} else if lv > 0 {
		b = append(b, '{', '"')
	} else {
		b = append(b, '"')
	}
	p.kids++
	b = append(b, name...)
	s.b = append(b, '"', ':')
	sig := nameSig(name)
	if p.nd.sig&sig != 0 {
		for _, m := range s.names[p.nameStart:] {
			if m == name {
				s.bad = true // JSON gathers them into an array
			}
		}
	}
	p.nd.sig |= sig
	if lv == 0 && off+n > s.topEnd {
		s.topEnd = off + n
	}
	s.names = append(s.names, name)
	var nd *fieldNode
	if group {
		top := len(s.open)
		if top == cap(s.open) {
			s.open = append(s.open, jsonGroup{})
		} else {
			s.open = s.open[:top+1]
		}
		// Field by field, as in addLazy: a whole-struct store holding
		// strings is a typed move.
		o := &s.open[top]
		o.i, o.kids, o.nameStart = i, 0, int32(len(s.names))
		nd = &o.nd
	} else {
		nd = &s.leaf
		s.leafIdx, s.leafParent = i, parent
	}
	nd.text = text // its name is written
	nd.off, nd.n, nd.voff, nd.vn = int32(off), int32(n), int32(off), int32(n)
	nd.ts, nd.tn, nd.mask, nd.sig = 0, 0, mask, 0
	nd.kind, nd.flags = k, 0
	return i
}

// jsonNode returns field i for a describer to change: the newest value
// field or an open group, unwritten; else a spare node, and the frame goes
// to the list.
func (l *FieldList) jsonNode(i int32) *fieldNode {
	s := &l.js
	if s.bad {
		return &s.spare
	}
	if i == s.leafIdx && i != 0 {
		return &s.leaf
	}
	if k := s.level(i); k >= 0 {
		return &s.open[k].nd
	}
	s.bad = true
	return &s.spare
}

// jsonLast returns the newest field of open group g, or 0.
func (l *FieldList) jsonLast(g int32) int32 {
	s := &l.js
	if s.leafIdx != 0 && s.leafParent == g {
		return s.leafIdx
	}
	k := s.level(g)
	if k < 0 || k+1 == len(s.open) && s.open[k].kids > 0 {
		// Written already (jsonFlags' fields): only the list knows.
		s.bad = true
		return 0
	}
	if k+1 < len(s.open) {
		return s.open[k+1].i
	}
	return 0
}

// flagJSON holds the keys of a flagField's members as AppendJSON writes
// them, each with the separator before it and the quote opening the
// value; flagSig is their names' signatures.
var flagJSON, flagSig = func() (keys [len(FlagNames)]string, sig uint64) {
	for k, nf := range FlagNames {
		sep := `","`
		if k == 0 {
			sep = `{"`
		}
		keys[k] = sep + nf.Name + `":"`
		sig |= nameSig(nf.Name)
	}
	return
}()

// jsonFlags writes the flags of the flagField at off as the members of
// group g, which must be open and empty (else it reports false and
// writes nothing).
func (l *FieldList) jsonFlags(g int32, off int) bool {
	s := &l.js
	top := len(s.open) - 1
	if s.bad || s.open[top].i != g || s.open[top].kids > 0 || s.leafIdx != 0 {
		return false
	}
	v := Flags(l.raw[off])<<8 | Flags(l.raw[off+1])
	b := s.b
	for k := range FlagNames {
		b = append(b, flagJSON[k]...)
		if v&FlagNames[k].Flag != 0 {
			b = append(b, '1')
		} else {
			b = append(b, '0')
		}
	}
	s.b = append(b, '"')
	o := &s.open[top]
	o.kids = int32(len(FlagNames))
	o.nd.sig |= flagSig
	for _, nf := range FlagNames {
		s.names = append(s.names, nf.Name)
	}
	s.next += int32(len(FlagNames))
	return true
}

// jsonClose writes the innermost open group's end: its own value and
// text and the closing brace, or, when it has no children, its value as
// a value field's.
func (l *FieldList) jsonClose() {
	s := &l.js
	l.jsonLeafDone()
	o := &s.open[len(s.open)-1]
	if o.kids > 0 {
		s.b = l.appendGroupEnd(s.b, &o.nd)
	} else {
		s.b = l.appendLeafJSON(s.b, &o.nd)
	}
	s.names = s.names[:o.nameStart]
	s.open = s.open[:len(s.open)-1]
}

// AppendMembersJSON appends the children of field parent of the list (0:
// the layers) as the members of a JSON object, as AppendJSON writes them.
func (l *FieldList) AppendMembersJSON(b []byte, parent int) []byte {
	if !l.RepeatsNames(parent) {
		for i := l.First(parent); i > 0; i = l.Next(i) {
			if i != l.First(parent) {
				b = append(b, ',')
			}
			b = appendKey(b, l.Name(i))
			b = l.appendValueJSON(b, i)
		}
		return b
	}
	comma := false
	for i := l.First(parent); i > 0; i = l.Next(i) {
		name := l.Name(i)
		if l.named(l.First(parent), i, name) {
			continue // written with the first of its name
		}
		if comma {
			b = append(b, ',')
		}
		comma = true
		b = appendKey(b, name)
		if !l.named(l.Next(i), 0, name) {
			b = l.appendValueJSON(b, i)
			continue
		}
		b = append(b, '[')
		for k := i; k > 0; k = l.Next(k) {
			if l.Name(k) == name {
				if k > i {
					b = append(b, ',')
				}
				b = l.appendValueJSON(b, k)
			}
		}
		b = append(b, ']')
	}
	return b
}

// appendKey appends a field's name as an object key. Field names are
// identifiers the decoder's source spells, printable ASCII with nothing to
// escape (PlainName; the dump package's TestFieldNamesPlain holds them
// to it).
func appendKey(b []byte, name string) []byte {
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

// named reports whether a field from from up to (not including) until, in
// one group, is called name.
func (l *FieldList) named(from, until int, name string) bool {
	for i := from; i > 0 && i != until; i = l.Next(i) {
		if l.Name(i) == name {
			return true
		}
	}
	return false
}

// appendValueJSON appends field i of the list: a group as an object of
// its children, else as appendLeafJSON.
func (l *FieldList) appendValueJSON(b []byte, i int) []byte {
	if l.First(i) > 0 {
		b = append(b, '{')
		b = l.AppendMembersJSON(b, i)
		return l.appendGroupEnd(b, &l.nodes[i])
	}
	return l.appendLeafJSON(b, &l.nodes[i])
}

// appendGroupEnd appends a group's own value and text as "_value" and
// "_text" after its children, and the closing brace.
func (l *FieldList) appendGroupEnd(b []byte, nd *fieldNode) []byte {
	if nd.kind != valueNone {
		b = append(b, `,"_value":`...)
		b = l.appendPlainJSON(b, nd)
	}
	if hasText(nd) {
		b = append(b, `,"_text":`...)
		l.tmp = l.appendTextOf(l.tmp[:0], nd)
		b = AppendJSONString(b, l.tmp)
	}
	return append(b, '}')
}

// appendLeafJSON appends a field without children: a value with a
// meaning as {"value", "text"} (the value alone when they read alike),
// else the value string.
func (l *FieldList) appendLeafJSON(b []byte, nd *fieldNode) []byte {
	if !hasText(nd) {
		return l.appendPlainJSON(b, nd)
	}
	l.tmp = l.appendValueOf(l.tmp[:0], nd)
	v := len(l.tmp)
	l.tmp = l.appendTextOf(l.tmp, nd)
	if string(l.tmp[:v]) == string(l.tmp[v:]) {
		return AppendJSONString(b, l.tmp[:v])
	}
	b = append(b, `{"value":`...)
	b = AppendJSONString(b, l.tmp[:v])
	b = append(b, `,"text":`...)
	b = AppendJSONString(b, l.tmp[v:])
	return append(b, '}')
}

// appendPlainJSON appends a field's value as a JSON string.
func (l *FieldList) appendPlainJSON(b []byte, nd *fieldNode) []byte {
	if nd.kind > valueArena {
		// Digits, hex, dots, colons and dashes: nothing to escape.
		b = append(b, '"')
		b = l.appendValueOf(b, nd)
		return append(b, '"')
	}
	l.tmp = l.appendValueOf(l.tmp[:0], nd)
	return AppendJSONString(b, l.tmp)
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

// fieldRun is a fixed run of value fields without texts at offsets from a
// base, such as the IPv4 header's. fieldWriter.run lists them one by one
// into the list, and while AppendJSON runs writes them in one go with
// keys made once.
type fieldRun struct {
	fields []runField
	end    int    // octets from the base the run reads
	sig    uint64 // its names' signatures
}

// runField is one field of a run: its octets are base+off, n; kind and
// mask as addLazy takes them.
type runField struct {
	name   string
	off, n int
	kind   valueKind
	mask   uint64
	key    string // `,"name":"`
}

// newFieldRun makes a run of fields of distinct names and kinds formatted
// from the octets alone (after valueArena).
func newFieldRun(fs ...runField) *fieldRun {
	r := &fieldRun{fields: fs}
	for i := range r.fields {
		f := &r.fields[i]
		f.key = `,"` + f.name + `":"`
		r.end = max(r.end, f.off+f.n)
		r.sig |= nameSig(f.name)
		for _, g := range fs[:i] {
			if g.name == f.name || f.kind <= valueArena {
				panic("decode: field run " + f.name) // a mistake in this file's tables
			}
		}
	}
	return r
}

// jsonRun writes run r at base as the next members of group g and reports
// true, or reports false, having written nothing, unless g is the
// innermost open group and none of its children so far may share a name
// with the run's.
func (l *FieldList) jsonRun(g int32, r *fieldRun, base int) bool {
	s := &l.js
	top := len(s.open) - 1
	if s.bad || top == 0 || s.open[top].i != g || s.open[top].nd.sig&r.sig != 0 {
		return false
	}
	l.jsonLeafDone()
	o := &s.open[top]
	b := s.b
	for k := range r.fields {
		f := &r.fields[k]
		key := f.key
		if k == 0 && o.kids == 0 {
			b = append(b, '{')
			key = key[1:]
		}
		b = append(b, key...)
		b = appendFormatted(b, f.kind, l.raw[base+f.off:base+f.off+f.n], f.mask)
		b = append(b, '"')
	}
	s.b = b
	for k := range r.fields {
		s.names = append(s.names, r.fields[k].name)
	}
	o.kids += int32(len(r.fields))
	o.nd.sig |= r.sig
	s.next += int32(len(r.fields))
	return true
}
