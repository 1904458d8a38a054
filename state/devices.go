package state

import (
	"sync"

	"github.com/ptpwatch/ptpwatch/decode"
)

// deviceRegistry remembers which clocks and ports any shard has seen, so a
// device seen in two scopes is detected once. Shards consult it only when
// they create an instance, never per frame.
type deviceRegistry struct {
	mu    sync.Mutex
	ports map[decode.ClockIdentity]map[uint16]struct{}
}

func newDeviceRegistry() *deviceRegistry {
	return &deviceRegistry{ports: map[decode.ClockIdentity]map[uint16]struct{}{}}
}

// see records port p and reports whether its clock and the port are new.
func (r *deviceRegistry) see(p decode.PortIdentity) (newDevice, newPort bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ports := r.ports[p.Clock]
	if ports == nil {
		ports = map[uint16]struct{}{}
		r.ports[p.Clock] = ports
		newDevice = true
	}
	if _, ok := ports[p.Port]; !ok {
		ports[p.Port] = struct{}{}
		newPort = true
	}
	return newDevice, newPort
}
