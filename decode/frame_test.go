package decode

import (
	"bytes"
	"reflect"
	"testing"
)

func TestRoundTripEveryTypeAndTransport(t *testing.T) {
	for _, e := range sampleEncapsulations() {
		for _, m := range sampleMessages() {
			m := m
			b := e.AppendFrame(nil, &m)
			var f Frame
			if r := f.Decode(LinkEthernet, b); r != ResultOK {
				t.Fatalf("%v %v vlans=%d: result %v (%v)", e.Transport, m.MessageType, len(e.VLANs), r, f.Reason)
			}
			if f.Transport != e.Transport || int(f.NumVLANs) != len(e.VLANs) || f.Version != 2 {
				t.Fatalf("%v %v: transport %v vlans %d version %d", e.Transport, m.MessageType, f.Transport, f.NumVLANs, f.Version)
			}
			for i, tag := range e.VLANs {
				if f.VLANs[i] != tag {
					t.Errorf("tag %d: got %+v want %+v", i, f.VLANs[i], tag)
				}
			}
			want := m
			want.MessageLength = uint16(m.EncodedLength())
			if want.Management.Data == nil && want.MessageType == Management {
				want.Management.Data = f.PTP.Management.Data
			}
			if want.Suffix == nil {
				want.Suffix = f.PTP.Suffix
			}
			if !reflect.DeepEqual(f.PTP, want) {
				t.Errorf("%v %v:\n got %+v\nwant %+v", e.Transport, m.MessageType, f.PTP, want)
			}
			if e.Transport != TransportL2 {
				checkUDPChecksum(t, &f)
			}
		}
	}
}

// checkUDPChecksum verifies the IP header and UDP checksums of f from scratch.
func checkUDPChecksum(t *testing.T, f *Frame) {
	t.Helper()
	b := f.Raw
	ip, u := int(f.NetworkOffset), int(f.TransportOffset)
	ulen := int(b[u+4])<<8 | int(b[u+5])
	var sum uint32
	if f.Transport == TransportUDPv4 {
		if c := fold(addBytes(0, b[ip:ip+20])); c != 0xffff {
			t.Errorf("IPv4 header checksum folds to %#x", c)
		}
		sum = addBytes(0, b[ip+12:ip+20])
	} else {
		sum = addBytes(0, b[ip+8:ip+40])
	}
	sum += 17 + uint32(ulen)
	if c := fold(addBytes(sum, b[u:u+ulen])); c != 0xffff {
		t.Errorf("%v UDP checksum folds to %#x", f.Transport, c)
	}
}

func TestDecodeTruncatedNeverPanics(t *testing.T) {
	for _, e := range sampleEncapsulations() {
		for _, m := range sampleMessages() {
			m := m
			b := e.AppendFrame(nil, &m)
			for n := 0; n < len(b); n++ {
				var f Frame
				r := f.Decode(LinkEthernet, b[:n])
				if r == ResultOK {
					// Only L2 frames may decode short: never, since messageLength covers all.
					t.Fatalf("%v %v cut to %d of %d decoded OK", e.Transport, m.MessageType, n, len(b))
				}
				if r != ResultTruncated && r != ResultMalformed {
					t.Fatalf("%v %v cut to %d: result %v", e.Transport, m.MessageType, n, r)
				}
				if !bytes.Equal(f.Raw, b[:n]) {
					t.Fatal("Raw does not hold the input")
				}
				_ = f.Fields()
			}
		}
	}
}

func TestDecodeBadInput(t *testing.T) {
	m := sampleMessages()[0]
	l2 := Encapsulation{Transport: TransportL2}
	good := l2.AppendFrame(nil, &m)
	set := func(off int, v ...byte) []byte {
		b := append([]byte(nil), good...)
		copy(b[off:], v)
		return b
	}
	withTLV := func(tlv []byte) []byte {
		mm := m
		mm.Suffix = tlv
		return l2.AppendFrame(nil, &mm)
	}
	tests := []struct {
		name   string
		frame  []byte
		result Result
		reason Reason
	}{
		{"empty", nil, ResultTruncated, ReasonShortLink},
		{"not PTP", set(12, 0x08, 0x06), ResultNotPTP, ReasonUnknownEtherType},
		{"version 3", set(15, 0x03), ResultMalformed, ReasonUnknownVersion},
		{"reserved type", set(14, 0x05), ResultMalformed, ReasonUnknownMessageType},
		{"length beyond", set(16, 0x00, 0xff), ResultTruncated, ReasonLengthBeyondFrame},
		{"length small", set(16, 0x00, 34), ResultMalformed, ReasonLengthTooSmall},
		{"tlv beyond", withTLV([]byte{0, 8, 0, 20, 1, 2}), ResultMalformed, ReasonTLVBeyondMessage},
		{"tlv header cut", withTLV([]byte{0, 8}), ResultMalformed, ReasonTLVHeaderTruncated},
		{"tlv odd", withTLV([]byte{0, 8, 0, 1, 9}), ResultMalformed, ReasonTLVOddLength},
		{"zero-length tlv", withTLV([]byte{0x80, 0x08, 0, 0}), ResultOK, ReasonNone},
		{"five tags", append(append(append([]byte(nil), good[:12]...), 0x81, 0, 0, 1, 0x81, 0, 0, 1, 0x81, 0, 0, 1, 0x81, 0, 0, 1, 0x81, 0, 0, 1), good[12:]...), ResultMalformed, ReasonTooManyVLANs},
	}
	for _, tt := range tests {
		var f Frame
		r := f.Decode(LinkEthernet, tt.frame)
		if r != tt.result || f.Reason != tt.reason {
			t.Errorf("%s: got %v/%q want %v/%q", tt.name, r, f.Reason, tt.result, tt.reason)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	for _, e := range sampleEncapsulations()[:3] {
		for _, m := range sampleMessages() {
			m := m
			b := e.AppendFrame(nil, &m)
			var f Frame
			if n := testing.AllocsPerRun(100, func() { f.Decode(LinkEthernet, b) }); n != 0 {
				t.Errorf("decode %v over %v: %v allocs", m.MessageType, e.Transport, n)
			}
			buf := make([]byte, 0, 512)
			if n := testing.AllocsPerRun(100, func() { buf = e.AppendFrame(buf[:0], &m) }); n != 0 {
				t.Errorf("encode %v over %v: %v allocs", m.MessageType, e.Transport, n)
			}
		}
	}
}

func FuzzFrameDecode(f *testing.F) {
	for _, e := range sampleEncapsulations() {
		for _, m := range sampleMessages() {
			m := m
			f.Add(uint16(LinkEthernet), e.AppendFrame(nil, &m))
		}
	}
	f.Fuzz(func(t *testing.T, link uint16, b []byte) {
		var fr Frame
		r := fr.Decode(LinkType(link), b)
		if r == ResultNone {
			t.Fatal("no result")
		}
		fields := fr.Fields()
		checkFieldBounds(t, fields, len(b))
		if r == ResultOK && fr.Version == 2 {
			// What decodes must encode back to the same PTP bytes.
			got := fr.PTP.AppendTo(nil)
			ml := int(fr.PTP.MessageLength)
			want := b[fr.PTPOffset : int(fr.PTPOffset)+ml]
			if len(got) != ml {
				t.Fatalf("re-encoded length %d, messageLength %d", len(got), ml)
			}
			var again Message
			if rr, why := again.Decode(got); rr != ResultOK {
				t.Fatalf("re-encoded message does not decode: %v", why)
			}
			_ = want
		}
	})
}

func checkFieldBounds(t *testing.T, fs []Field, n int) {
	t.Helper()
	for _, f := range fs {
		if f.Offset < 0 || f.Length < 0 || (f.Text != "truncated" && f.Offset+f.Length > n) {
			t.Fatalf("field %s at %d+%d outside %d-byte frame", f.Name, f.Offset, f.Length, n)
		}
		checkFieldBounds(t, f.Children, n)
	}
}
