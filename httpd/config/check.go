package config

import (
	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
)

// checkBackend lets the configuration check build an HTTP server without a
// model, so -k refuses exactly what the running appliance would.
type checkBackend struct{}

func (checkBackend) Snapshot() *state.Snapshot   { return &state.Snapshot{} }
func (checkBackend) Events() *state.EventLog     { return nil }
func (checkBackend) Buffer() *ring.Buffer        { return nil }
func (checkBackend) Counters() map[string]uint64 { return nil }
func (checkBackend) CaptureStatus() any          { return nil }
func (checkBackend) ClearBuffer() error          { return nil }
