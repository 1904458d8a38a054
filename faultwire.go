package main

import (
	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/fault"
)

// defaultFault is [fault] as -O prints it: the shipped leap-second table
// is not repeated there (leap_seconds adds rows to it).
func defaultFault() fault.Config {
	c := fault.DefaultConfig()
	c.LeapSeconds, c.Domains, c.Scopes = []string{}, []int{}, nil
	return c
}

// faultConfig is the detectors' configuration: [fault] with the shipped
// leap-second table under the configured rows.
func (c *Config) faultConfig() fault.Config {
	f := c.Fault
	f.LeapSeconds = append(append([]string(nil), fault.DefaultLeapSeconds...), c.Fault.LeapSeconds...)
	return f
}

// startFault attaches the fault detectors to the model (before the
// pipeline runs) and gives the API their verdicts.
func (a *appliance) startFault(cfg Config) *failure {
	e, err := fault.New(cfg.faultConfig(), a.model.Events)
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
func (a *appliance) watchRefusals(Config) *failure {
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
