package config

import "github.com/ptpwatch/ptpwatch/state/fault"

// defaultFault is [fault] as -O prints it: the shipped leap-second table
// is not repeated there (leap_seconds adds rows to it).
func defaultFault() fault.Config {
	c := fault.DefaultConfig()
	c.LeapSeconds, c.Domains, c.Scopes = []string{}, []int{}, nil
	return c
}

// FaultConfig is the detectors' configuration: [fault] with the shipped
// leap-second table under the configured rows.
func (c *Config) FaultConfig() fault.Config {
	f := c.Fault
	f.LeapSeconds = append(append([]string(nil), fault.DefaultLeapSeconds...), c.Fault.LeapSeconds...)
	return f
}
