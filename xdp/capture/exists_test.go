package capture

import (
	"errors"
	"net"
	"testing"
)

func TestCheckInterfaces(t *testing.T) {
	ifs, err := net.Interfaces()
	if err != nil || len(ifs) == 0 {
		t.Skipf("no network interfaces to check against (%v)", err)
	}
	if err := CheckInterfaces([]string{ifs[0].Name}); err != nil {
		t.Errorf("%s: %v", ifs[0].Name, err)
	}
	err = CheckInterfaces([]string{ifs[0].Name, "ptpwatch-nosuch0"})
	var ne *NoInterfaceError
	if !errors.As(err, &ne) || ne.Name != "ptpwatch-nosuch0" || len(ne.Known) != len(ifs) {
		t.Errorf("missing interface: %v", err)
	}
}
