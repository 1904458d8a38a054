package decode

import "fmt"

// A monitor decodes a management response in two steps: the message, then
// the data set named by its managementId, into values it reuses.
func ExampleDecodeManagementData() {
	// A PARENT_DATA_SET response, as ptp4l would send it.
	body := (&MgmtParentDataSet{
		ParentPortIdentity:      PortIdentity{ClockIdentity{0x00, 0x1b, 0x21, 0xff, 0xfe, 0x12, 0x34, 0x56}, 1},
		GrandmasterPriority1:    128,
		GrandmasterClockQuality: ClockQuality{Class: 6, Accuracy: 0x21, OffsetScaledLogVariance: 0x4e5d},
		GrandmasterPriority2:    128,
		GrandmasterIdentity:     ClockIdentity{0x00, 0x1b, 0x21, 0xff, 0xfe, 0x12, 0x34, 0x56},
	}).AppendTo(nil)
	wire := (&Message{Header: Header{MessageType: Management, Version: 2},
		Management: ManagementHeader{Action: ActionResponse, ID: MgmtIDParentDataSet, Data: body}}).AppendTo(nil)

	var m Message
	var d ManagementData
	if r, _ := m.Decode(wire); r != ResultOK {
		return
	}
	if err := DecodeManagementData(m.Management.ID, m.Management.Data, &d); err != nil {
		return
	}
	p := &d.ParentDataSet
	fmt.Println(d.ID, p.GrandmasterIdentity, p.GrandmasterPriority1, p.GrandmasterClockQuality.Class)

	// The GET that asks for it, with pmc's zero-filled data field.
	get := AppendManagementGet(nil, MgmtIDParentDataSet, true)
	fmt.Println(len(get), "octets")
	// Output:
	// PARENT_DATA_SET 001b21.fffe.123456 128 6
	// 32 octets
}
