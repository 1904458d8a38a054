package capture

import (
	"fmt"
	"net"
	"strings"
)

// NoInterfaceError is a capture interface that does not exist at start-up,
// most often a misspelt name. (One that disappears later is retried.)
type NoInterfaceError struct {
	Name  string
	Known []string // the interfaces that do exist
}

func (e *NoInterfaceError) Error() string {
	return fmt.Sprintf("capture: no interface %q on this host (there are: %s)", e.Name, strings.Join(e.Known, ", "))
}

// CheckInterfaces returns a *NoInterfaceError for the first name that names
// no network interface now. The appliance calls it once at start-up, so
// that a misspelt -i is an error rather than a capture retrying forever.
func CheckInterfaces(names []string) error {
	for _, n := range names {
		if _, err := net.InterfaceByName(n); err == nil {
			continue
		}
		e := &NoInterfaceError{Name: n}
		if ifs, err := net.Interfaces(); err == nil {
			for _, i := range ifs {
				e.Known = append(e.Known, i.Name)
			}
		}
		return e
	}
	return nil
}
