package decode

import "testing"

// TestMgmtIDRows checks that every row of the registry is whole: a data set
// has a member and one way of being listed, and a fixed layout covers
// exactly the data field length the row states.
func TestMgmtIDRows(t *testing.T) {
	var d ManagementData
	for _, r := range mgmtIDs {
		hasBody := r.body != nil
		listed := r.layout != nil || r.describe != nil
		switch {
		case hasBody != listed:
			t.Errorf("%v: body %v but layout or describer %v", r.id, hasBody, listed)
		case r.layout != nil && r.describe != nil:
			t.Errorf("%v: both a layout and a describer", r.id)
		case !hasBody && r.size != 0:
			t.Errorf("%v: %d octets of data but no member to hold them", r.id, r.size)
		}
		if hasBody && r.body(&d) == nil {
			t.Errorf("%v: body returns nil", r.id)
		}
		if r.layout == nil {
			continue
		}
		n := 0
		for _, sp := range r.layout {
			n += sp.n
		}
		if r.variable || n != int(r.size) {
			t.Errorf("%v: layout covers %d octets, row says %d (variable %v)", r.id, n, r.size, r.variable)
		}
	}
}
