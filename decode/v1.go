package decode

// V1Message is a PTPv1 (IEEE 1588-2002) message.
type V1Message struct {
	VersionPTP uint16
}

// Decode decodes a PTPv1 message from b.
func (m *V1Message) Decode(b []byte) (Result, Reason) {
	*m = V1Message{}
	return ResultMalformed, ReasonUnknownVersion
}

// describeV1 lists a PTPv1 message at w.b[off:off+n].
func describeV1(w fieldWriter, off, n int) { w.raw("ptpv1", off, n) }
