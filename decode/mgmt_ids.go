package decode

import "strconv"

// String returns the management ID's name from Table 59.
func (id ManagementID) String() string { return "ID(" + strconv.Itoa(int(id)) + ")" }

// ManagementErrorID is a managementErrorId (§15.5.4.1.4, Table 109).
type ManagementErrorID uint16

// String returns the error's name.
func (e ManagementErrorID) String() string { return "ERR(" + strconv.Itoa(int(e)) + ")" }

// describeManagementData lists a management TLV's data field at w.b[off:off+n].
func describeManagementData(w fieldWriter, id ManagementID, off, n int) { w.raw("dataField", off, n) }
