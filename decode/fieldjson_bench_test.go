package decode

import (
	"testing"
)

// BenchmarkAppendJSON writes one frame of each common message over
// UDP/IPv4 as `ptpwatch decode --json` writes its layers.
func BenchmarkAppendJSON(b *testing.B) {
	enc := sampleEncapsulations()[1] // UDP/IPv4, untagged
	for _, m := range sampleMessages()[:8] {
		raw := enc.AppendFrame(nil, &m)
		var f Frame
		f.Decode(LinkEthernet, raw)
		b.Run(m.MessageType.String(), func(b *testing.B) {
			var l FieldList
			buf := l.AppendJSON(nil, &f)
			b.ReportAllocs()
			for b.Loop() {
				buf = l.AppendJSON(buf[:0], &f)
			}
		})
	}
}
