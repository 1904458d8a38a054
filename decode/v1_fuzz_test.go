package decode

import "testing"

// FuzzV1Decode feeds arbitrary datagrams to V1Message.Decode, the typed
// parameter decoders and describeV1. None may panic; what decodes must
// encode and decode back to the same message; the located fields must stay
// inside the datagram unless marked truncated.
func FuzzV1Decode(f *testing.F) {
	for _, m := range sampleV1Messages() {
		b := m.AppendTo(nil)
		f.Add(b, uint8(0))
		f.Add(b[:len(b)-1], uint8(3))
		f.Add(b[:V1HeaderLength+2], uint8(14))
	}
	quirk := V1Message{V1Header: sampleV1Header(V1Management), Parameters: make([]byte, 88)}
	quirk.Management.MessageKey = V1MMParentDataSet
	qb := quirk.AppendTo(nil)
	put16(qb, 58, 90)
	f.Add(qb, uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, pad uint8) {
		var m V1Message
		r, why := m.Decode(b)
		if (r == ResultOK) != (why == ReasonNone) || r == ResultNone || r == ResultNotPTP {
			t.Fatalf("result %v with reason %v", r, why)
		}
		if r == ResultOK {
			enc := m.AppendTo(nil)
			if len(enc) != m.EncodedLength() || len(enc) > len(b) {
				t.Fatalf("re-encoded %d octets (EncodedLength %d) from %d", len(enc), m.EncodedLength(), len(b))
			}
			var again V1Message
			if r2, why2 := again.Decode(enc); r2 != ResultOK {
				t.Fatalf("re-encoded message does not decode: %v %v", r2, why2)
			}
			want := m
			want.Management.ParameterLength = uint16(len(m.Parameters))
			if m.Control != V1Management {
				want.Management.ParameterLength = 0
			}
			if !again.Equal(&want) {
				t.Fatalf("round trip changed the message:\n got %+v\nwant %+v", again, want)
			}
			if p := NewV1Parameters(m.Management.MessageKey); p != nil && m.Control == V1Management {
				if r3, why3 := p.Decode(m.Parameters); r3 != ResultOK {
					t.Fatalf("%v parameters of an OK message: %v %v", m.Management.MessageKey, r3, why3)
				}
				pb := p.AppendTo(nil)
				q := NewV1Parameters(m.Management.MessageKey)
				if r4, _ := q.Decode(pb); r4 != ResultOK || string(q.AppendTo(nil)) != string(pb) {
					t.Fatalf("%v parameters do not round-trip", m.Management.MessageKey)
				}
			}
		}
		// describeV1 at an offset inside a larger buffer, with n matching,
		// short of, and beyond the octets present.
		off := int(pad % 16)
		buf := append(make([]byte, off), b...)
		for _, n := range []int{len(b), len(b) / 2, len(b) + int(pad)} {
			out := describeWith(buf, func(w fieldWriter) { describeV1(w, off, n) })
			limit := off + n
			if limit > len(buf) {
				limit = len(buf)
			}
			for _, fl := range out {
				if fl.Offset < off {
					t.Fatalf("field %s at %d before the message at %d", fl.Name, fl.Offset, off)
				}
			}
			v1CheckFields(t, out, limit)
		}
		out := describeWith(buf, func(w fieldWriter) { describeV1(w, len(buf)+1, 10) })
		if len(out) != 0 {
			t.Fatal("fields listed past the buffer")
		}
	})
}
