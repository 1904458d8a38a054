package decode

import "strconv"

// String returns the TLV type's name from Table 52.
func (t TLVType) String() string { return "TLV(" + strconv.Itoa(int(t)) + ")" }

// describeTLVValue lists the value of one TLV at w.b[off:off+n].
func describeTLVValue(w fieldWriter, t TLVType, off, n int) { w.raw("value", off, n) }
