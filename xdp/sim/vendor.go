package sim

import "github.com/ptpwatch/ptpwatch/decode"

// Vendors whose OUIs the demo uses, named as Wireshark's manuf file names
// them. The simulator needs the names only for Truth; ptpwatch's model has
// its own, fuller table.
var vendorOUIs = [...]struct {
	oui  [3]byte
	name string
}{
	{[3]byte{0xec, 0x46, 0x70}, "Meinberg Funkuhren"},
	{[3]byte{0x8c, 0xa5, 0xa1}, "Oregano Systems"},
	{[3]byte{0x00, 0xb0, 0xae}, "Symmetricom (Microchip)"},
	{[3]byte{0x00, 0xa0, 0x87}, "Microsemi (Microchip)"},
	{[3]byte{0xa0, 0x36, 0x9f}, "Intel"},
	{[3]byte{0x0c, 0x42, 0xa1}, "Mellanox (NVIDIA)"},
	{[3]byte{0x28, 0x99, 0x3a}, "Arista Networks"},
	{[3]byte{0x00, 0x1b, 0x0d}, "Cisco Systems"},
	{[3]byte{0x00, 0x80, 0x63}, "Hirschmann"},
	{[3]byte{0x00, 0x0e, 0x8c}, "Siemens"},
}

// Vendor returns the name of the vendor owning oui, or "" when the
// simulator does not know it.
func Vendor(oui [3]byte) string {
	for _, v := range vendorOUIs {
		if v.oui == oui {
			return v.name
		}
	}
	return ""
}

// IdentityFromMAC maps a MAC (EUI-48) to the EUI-64 clockIdentity that
// 1588-2008 §7.5.2.2.2 recommends: the OUI, then ff:fe, then the rest.
func IdentityFromMAC(mac [6]byte) decode.ClockIdentity {
	return decode.ClockIdentity{mac[0], mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]}
}
