package decode

import (
	"net/netip"
	"strconv"
)

// FieldList is a frame's located field tree (the one Frame.Fields returns)
// kept flat in buffers that are reused from frame to frame, for writers
// that print every frame: `ptpwatch decode -v` walks it with First and
// Next and appends each value with AppendValue, and nothing is allocated
// per field. AppendJSON writes the same fields as JSON without keeping
// them. Most values are not formatted when the list is
// built but when they are appended, straight from the frame's octets.
//
// Fields are numbered from 1 in the order they were listed; 0 stands for
// the top level, whose children are the layers. The zero value is an
// empty list ready for Describe. A FieldList is not safe for concurrent
// use.
type FieldList struct {
	raw   []byte      // the frame the values are read from
	nodes []fieldNode // nodes[0] is the top level
	arena []byte      // values and texts the list holds itself

	// While AppendJSON runs, fields are written as JSON as they are
	// listed instead of kept in nodes (see fieldjson.go).
	streaming bool
	js        jsonState
	tmp       []byte // a value or text before it is escaped or compared
}

// fieldNode is one field. Its value is formatted from the frame's octets
// raw[voff:voff+vn] as kind says, or is arena[voff:voff+vn] (valueArena);
// its text is text, or arena[ts:ts+tn] (textArena), or the clockIdentity
// of the value's octets (textClockIdentity).
type fieldNode struct {
	name              string
	text              string
	off, n            int32
	voff, vn          int32
	ts, tn            int32
	mask              uint64
	sig               uint64 // one bit per child name's signature, to spot repeats cheaply
	first, last, next int32
	kind              valueKind
	flags             uint8
}

// valueKind says how a field's value is formatted from its octets.
type valueKind uint8

const (
	valueNone         valueKind = iota
	valueArena                  // the octets are the value, held in the arena
	valueUint                   // big-endian unsigned decimal, masked and shifted down by mask if set
	valueInt                    // big-endian two's complement decimal
	valueHex                    // "0x" and lower-case hex
	valueRaw                    // lower-case hex
	valueMAC                    // six octets as aa:bb:cc:dd:ee:ff
	valuePortIdentity           // clockIdentity-portNumber
	valueTimestamp              // seconds.nanoseconds
	valueIP                     // an IPv4 (4 octets) or IPv6 (16) address as netip writes it
)

const (
	textArena         uint8 = 1 << iota // text is arena[ts:ts+tn]
	textClockIdentity                   // text is the value's octets as a ClockIdentity
	repeatsName                         // two children share a name
)

// reset empties l for the fields of frame raw, keeping its buffers.
func (l *FieldList) reset(raw []byte) {
	l.raw = raw
	l.nodes = append(l.nodes[:0], fieldNode{})
	l.arena = l.arena[:0]
}

// add appends a field without a value to group parent and returns its
// index.
func (l *FieldList) add(parent int32, name string, off, n int, text string) int32 {
	return l.addLazy(parent, name, off, n, valueNone, 0, text)
}

// addGroup is add for a field that fieldWriter.group gives children.
func (l *FieldList) addGroup(parent int32, name string, off, n int, text string) int32 {
	if l.streaming {
		return l.jsonAdd(parent, name, off, n, valueNone, 0, text, true)
	}
	return l.addLazy(parent, name, off, n, valueNone, 0, text)
}

// addLazy appends a field to group parent whose value is formatted from
// its own octets as k says, and returns its index.
func (l *FieldList) addLazy(parent int32, name string, off, n int, k valueKind, mask uint64, text string) int32 {
	if l.streaming {
		return l.jsonAdd(parent, name, off, n, k, mask, text, false)
	}
	i := int32(len(l.nodes))
	if int(i) == cap(l.nodes) {
		l.nodes = append(l.nodes, fieldNode{})
	} else {
		l.nodes = l.nodes[:i+1]
	}
	// Field by field: a whole-struct store holding strings is a typed
	// move, with a write barrier call while the GC runs.
	nd := &l.nodes[i]
	nd.name, nd.text = name, text
	nd.off, nd.n, nd.voff, nd.vn = int32(off), int32(n), int32(off), int32(n)
	nd.ts, nd.tn, nd.mask, nd.sig = 0, 0, mask, 0
	nd.first, nd.last, nd.next = 0, 0, 0
	nd.kind, nd.flags = k, 0
	p := &l.nodes[parent]
	if p.last == 0 {
		p.first = i
	} else {
		l.nodes[p.last].next = i
	}
	p.last = i
	sig := nameSig(name)
	if p.sig&sig != 0 && p.flags&repeatsName == 0 {
		// A sibling may share the name: look.
		for k := p.first; k != i; k = l.nodes[k].next {
			if l.nodes[k].name == name {
				p.flags |= repeatsName
				break
			}
		}
	}
	p.sig |= sig
	return i
}

// nameSig is a bit picked by a name's length and its first and last
// octets: equal names have equal signatures.
func nameSig(name string) uint64 {
	if name == "" {
		return 1
	}
	return 1 << ((uint(len(name)) + uint(name[0])*7 + uint(name[len(name)-1])*3) & 63)
}

func (l *FieldList) setValueString(i int32, v string) {
	start := len(l.arena)
	l.arena = append(l.arena, v...)
	nd := l.node(i)
	nd.kind, nd.voff, nd.vn, nd.mask = valueArena, int32(start), int32(len(v)), 0
	if v == "" {
		nd.kind = valueNone
	}
}

func (l *FieldList) setValueBytes(i int32, v []byte) {
	start := len(l.arena)
	l.arena = append(l.arena, v...)
	nd := l.node(i)
	nd.kind, nd.voff, nd.vn, nd.mask = valueArena, int32(start), int32(len(v)), 0
	if len(v) == 0 {
		nd.kind = valueNone
	}
}

func (l *FieldList) setText(i int32, text string) {
	nd := l.node(i)
	nd.text = text
	nd.flags &^= textArena | textClockIdentity
}

func (l *FieldList) setTextSpan(i int32, start, end int) {
	nd := l.node(i)
	nd.text = ""
	nd.ts, nd.tn = int32(start), int32(end-start)
	nd.flags = nd.flags&^textClockIdentity | textArena
}

// node returns field i for a writer to change: in the list, or while
// AppendJSON runs, among the fields not yet written.
func (l *FieldList) node(i int32) *fieldNode {
	if l.streaming {
		return l.jsonNode(i)
	}
	return &l.nodes[i]
}

// last returns the index of the newest field of group g, or 0 when it has
// none.
func (l *FieldList) last(g int32) int32 {
	if l.streaming {
		return l.jsonLast(g)
	}
	return l.nodes[g].last
}

// Len returns the number of fields; they are numbered 1 to Len.
func (l *FieldList) Len() int { return len(l.nodes) - 1 }

// First returns the first child of field i (of the top level for 0), or 0
// when it has none.
func (l *FieldList) First(i int) int { return int(l.nodes[i].first) }

// Next returns the field after i in the same group, or 0 after the last.
func (l *FieldList) Next(i int) int { return int(l.nodes[i].next) }

// Name returns field i's name.
func (l *FieldList) Name(i int) string { return l.nodes[i].name }

// Offset returns where field i starts, counted from the frame's first octet.
func (l *FieldList) Offset(i int) int { return int(l.nodes[i].off) }

// Length returns field i's length in octets.
func (l *FieldList) Length(i int) int { return int(l.nodes[i].n) }

// Mask returns the bits field i names within its octets, or 0 for a field
// of whole octets.
func (l *FieldList) Mask(i int) uint64 {
	if l.nodes[i].kind != valueUint {
		return 0
	}
	return l.nodes[i].mask
}

// RepeatsNames reports whether two children of field i (of the top level
// for 0) share a name.
func (l *FieldList) RepeatsNames(i int) bool { return l.nodes[i].flags&repeatsName != 0 }

// HasValue reports whether field i has a value.
func (l *FieldList) HasValue(i int) bool { return l.nodes[i].kind != valueNone }

// HasText reports whether field i has a text (what its value means).
func (l *FieldList) HasText(i int) bool { return hasText(&l.nodes[i]) }

func hasText(nd *fieldNode) bool {
	return nd.text != "" || nd.flags&textClockIdentity != 0 || nd.flags&textArena != 0 && nd.tn > 0
}

// PlainValue reports whether field i's value is formatted by the list
// itself (numbers, hex, addresses, identities, timestamps), so it holds only
// letters, digits and . : - x; a value taken from the frame's text or
// made by a describer may hold anything.
func (l *FieldList) PlainValue(i int) bool { return l.nodes[i].kind > valueArena }

// AppendValue appends field i's value to b. It does not allocate when b
// has room.
func (l *FieldList) AppendValue(b []byte, i int) []byte { return l.appendValueOf(b, &l.nodes[i]) }

func (l *FieldList) appendValueOf(b []byte, nd *fieldNode) []byte {
	switch nd.kind {
	case valueArena:
		return append(b, l.arena[nd.voff:nd.voff+nd.vn]...)
	case valueNone:
		return b
	}
	return appendFormatted(b, nd.kind, l.raw[nd.voff:nd.voff+nd.vn], nd.mask)
}

// appendFormatted appends the value of octets v as kind k says (a kind
// after valueArena), masked by mask for valueUint.
func appendFormatted(b []byte, k valueKind, v []byte, mask uint64) []byte {
	switch k {
	case valueUint:
		x := readBE(v)
		if mask != 0 {
			x = maskBits(x, mask)
		}
		return appendDecimal(b, x)
	case valueInt:
		if x := readInt(v); x >= 0 {
			return appendDecimal(b, uint64(x))
		}
		return strconv.AppendInt(b, readInt(v), 10)
	case valueHex:
		return appendHexOctets(append(b, '0', 'x'), v)
	case valueRaw:
		return appendHexOctets(b, v)
	case valueMAC:
		const digits = "0123456789abcdef"
		for j, c := range v {
			if j > 0 {
				b = append(b, ':')
			}
			b = append(b, digits[c>>4], digits[c&0xf])
		}
		return b
	case valuePortIdentity:
		return PortIdentity{ClockIdentity(v[:8]), uint16(v[8])<<8 | uint16(v[9])}.AppendTo(b)
	case valueTimestamp:
		return readTimestamp(v).AppendTo(b)
	case valueIP:
		if len(v) == 4 {
			return netip.AddrFrom4([4]byte(v)).AppendTo(b)
		}
		return netip.AddrFrom16([16]byte(v)).AppendTo(b)
	}
	return b
}

// AppendText appends field i's text to b. It does not allocate when b has
// room.
func (l *FieldList) AppendText(b []byte, i int) []byte { return l.appendTextOf(b, &l.nodes[i]) }

func (l *FieldList) appendTextOf(b []byte, nd *fieldNode) []byte {
	switch {
	case nd.flags&textArena != 0:
		return append(b, l.arena[nd.ts:nd.ts+nd.tn]...)
	case nd.flags&textClockIdentity != 0:
		return ClockIdentity(l.raw[nd.voff : nd.voff+8]).AppendTo(b)
	}
	return append(b, nd.text...)
}

// Tree returns the fields as the nested Field form Frame.Fields returns.
// It allocates.
func (l *FieldList) Tree() []Field { return l.tree(0, nil) }

func (l *FieldList) tree(parent int, scratch []byte) []Field {
	var out []Field
	for i := l.First(parent); i > 0; i = l.Next(i) {
		scratch = l.AppendValue(scratch[:0], i)
		f := Field{Name: l.Name(i), Value: string(scratch), Offset: l.Offset(i), Length: l.Length(i), Mask: l.Mask(i)}
		scratch = l.AppendText(scratch[:0], i)
		f.Text = string(scratch)
		if l.First(i) > 0 {
			f.Children = l.tree(i, scratch)
		}
		out = append(out, f)
	}
	return out
}

// PlainName reports whether a field name is printable ASCII without
// quotes, backslashes, <, > or &, as every name the decoder lists is: such
// a name is written into JSON or HTML as it is.
func PlainName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return name != ""
}

// appendDecimal appends x in decimal; the one- and two-digit values most
// fields hold are written without strconv's copy through a buffer.
func appendDecimal(b []byte, x uint64) []byte {
	switch {
	case x < 10:
		return append(b, byte('0'+x))
	case x < 100:
		return append(b, byte('0'+x/10), byte('0'+x%10))
	}
	return strconv.AppendUint(b, x, 10)
}

func appendHexOctets(b, v []byte) []byte {
	const digits = "0123456789abcdef"
	for _, c := range v {
		b = append(b, digits[c>>4], digits[c&0xf])
	}
	return b
}
