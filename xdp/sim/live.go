package sim

import (
	"fmt"
	"time"

	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// LiveDemo is how the appliance runs the demo network: with or without the
// scripted incidents, with extra followers in domain 0.
type LiveDemo struct {
	Incidents bool
	Followers int
	Seed      uint64
	Segment   uint16
	Speed     float64 // pace against the wall clock; 0 as fast as possible
}

// Open builds the demo network starting now, paced against the wall clock
// at d.Speed, so that its timestamps read as live traffic would, and a
// description of it for the log and the capture status.
func (d LiveDemo) Open() (*source.Pacer, string, error) {
	net := DefaultDemo()
	if d.Incidents {
		net.Scenario = DemoScenario()
	}
	if err := AddDemoFollowers(&net, d.Followers); err != nil {
		return nil, "", fmt.Errorf("demo network: %w", err)
	}
	n, err := New(net, Options{Start: time.Now().UnixNano(), Seed: d.Seed, Segment: d.Segment})
	if err != nil {
		return nil, "", fmt.Errorf("demo network: %w", err)
	}
	desc := "demo network"
	if d.Incidents {
		desc += " with scripted incidents"
	}
	if d.Followers > 0 {
		desc += fmt.Sprintf(" and %d extra followers", d.Followers)
	}
	return &source.Pacer{Source: n, Speed: d.Speed}, desc, nil
}
