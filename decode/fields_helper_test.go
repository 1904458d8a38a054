package decode

import "fmt"

// describeWith runs describe with a writer over a fresh list for b and
// returns the fields it listed, as Frame.Fields would. It panics on a field
// name the JSON output could not write unescaped (see dump's appendKey),
// so every describer the tests reach is held to plain names.
func describeWith(b []byte, describe func(w fieldWriter)) []Field {
	var l FieldList
	l.reset(b)
	describe(fieldWriter{b: b, l: &l})
	for i := 1; i <= l.Len(); i++ {
		if !PlainName(l.Name(i)) {
			panic(fmt.Sprintf("field name %q is not plain", l.Name(i)))
		}
	}
	return l.Tree()
}
