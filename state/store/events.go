package store

import (
	"errors"
	"fmt"

	"ptpwatch/state"
)

// RestoreEvents puts the newest n stored events back into log, so that
// the event history survives a restart. Call it before anything else
// adds to log. Damage is reported by the store (log and OnDamage);
// the history that could be read is restored without an error.
func (s *Store) RestoreEvents(log *state.EventLog, n int) error {
	last := s.LastEventSeq()
	after := uint64(0)
	if last > uint64(n) {
		after = last - uint64(n)
	}
	evs, err := s.Events(after, n)
	if errors.Is(err, ErrCorrupt) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the stored event log: %w", err)
	}
	for _, e := range evs {
		log.Add(e)
	}
	return nil
}
