package main

import (
	"github.com/ptpwatch/ptpwatch/httpd/config"
	"github.com/ptpwatch/ptpwatch/state/fault"
)

// startFault attaches the fault detectors to the model (before the
// pipeline runs) and gives the API their verdicts.
func (a *appliance) startFault(cfg config.Config) *failure {
	e, err := fault.New(cfg.FaultConfig(), a.model.Events)
	if err != nil {
		return fail(exitConfig, "invalid [fault] configuration", "err", err)
	}
	e.Attach(a.model)
	a.back.mgmt.SetSampleHook(e.MasterSample)
	a.back.fault = e
	return nil
}

// Health, AcknowledgeFinding, Topology and SetTopology serve /api/v1/health.
func (b *backend) Health() fault.Health { return b.fault.Health() }
func (b *backend) AcknowledgeFinding(id uint64, by string) error {
	return b.fault.Book.Acknowledge(id, by)
}
func (b *backend) Topology() fault.Topology                      { return b.fault.Topology() }
func (b *backend) SetTopology(t fault.Topology, by string) error { return b.fault.SetTopology(t, by) }

// watchRefusals hands the frames that are not PTP (ICMP quoting refused
// PTP messages among them) to the fault engine, after the recorder (set
// up by openStore) has had them.
func (a *appliance) watchRefusals(config.Config) *failure {
	var segments []uint16
	for _, i := range a.src.Interfaces() {
		segments = append(segments, i.Segment)
	}
	a.pipe.OnStored = a.back.fault.OnStored(a.pipe.OnStored, segments)
	return nil
}
