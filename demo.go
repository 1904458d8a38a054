package main

import (
	"fmt"
	"time"

	"github.com/ptpwatch/ptpwatch/state/manage"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// newDemoSource builds the built-in demo network, paced against the wall
// clock at cfg.Demo.Speed and starting now, so its timestamps read as live
// traffic would.
func newDemoSource(cfg Config) (source.Source, string, error) {
	net := sim.DefaultDemo()
	if cfg.Demo.Incidents {
		net.Scenario = sim.DemoScenario()
	}
	if err := sim.AddDemoFollowers(&net, cfg.Demo.Followers); err != nil {
		return nil, "", fmt.Errorf("demo network: %w", err)
	}
	n, err := sim.New(net, sim.Options{Start: time.Now().UnixNano(), Seed: cfg.Demo.Seed, Segment: cfg.Capture.Segment})
	if err != nil {
		return nil, "", fmt.Errorf("demo network: %w", err)
	}
	desc := "demo network"
	if cfg.Demo.Incidents {
		desc += " with scripted incidents"
	}
	if cfg.Demo.Followers > 0 {
		desc += fmt.Sprintf(" and %d extra followers", cfg.Demo.Followers)
	}
	return manage.NewDemoSource(&source.Pacer{Source: n, Speed: cfg.Demo.Speed}, n), desc, nil
}
