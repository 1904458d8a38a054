package main

import (
	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/httpd/config"
	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
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
	a.back.fault = e
	return nil
}

// Health serves GET /api/v1/health.
func (b *backend) Health() fault.Health { return b.fault.Health() }

// AcknowledgeFinding serves POST /api/v1/health/findings/{id}/acknowledge.
func (b *backend) AcknowledgeFinding(id uint64, by string) error {
	return b.fault.Book.Acknowledge(id, by)
}

// watchRefusals hands the frames that are not PTP (ICMP quoting refused
// PTP messages among them) to the fault engine, after the recorder (set
// up by openStore) has had them.
func (a *appliance) watchRefusals(config.Config) *failure {
	e, next := a.back.fault, a.pipe.OnStored
	ifaces := a.src.Interfaces()
	a.pipe.OnStored = func(n uint64, m *ring.RecordMeta, link decode.LinkType, data []byte, o *state.Observation) {
		if next != nil {
			next(n, m, link, data, o)
		}
		if o == nil && link == decode.LinkEthernet {
			seg := uint16(0)
			if int(m.IfIndex) < len(ifaces) {
				seg = ifaces[m.IfIndex].Segment
			}
			e.Frame(n, m.Time, seg, data)
		}
	}
	return nil
}
