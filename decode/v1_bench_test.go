package decode

import "testing"

// BenchmarkV1Encode encodes one message of each control, as the demo's
// PTPv1 scope and the tests do.
func BenchmarkV1Encode(b *testing.B) {
	for _, m := range sampleV1Messages()[:5] {
		buf := make([]byte, 0, 256)
		b.Run(m.Control.String(), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(m.EncodedLength()))
			for b.Loop() {
				buf = m.AppendTo(buf[:0])
			}
		})
	}
}
