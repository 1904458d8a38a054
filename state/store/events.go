package store

import (
	"errors"
	"fmt"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
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

// ReportTrouble sets o's OnTrouble, OnDamage and OnRecovered to add a
// Capture Trouble event about subject (the data directory) to log, each
// saying what the trouble means for recording and what the operator can do.
func (o *Options) ReportTrouble(log *state.EventLog, subject string) {
	add := func(detail string) {
		log.Add(state.Event{Time: time.Now().UnixNano(), Type: state.CaptureTrouble, Subject: subject, Detail: detail})
	}
	o.OnTrouble = func(err error) {
		if errors.Is(err, ErrFailed) {
			add("recording stopped: " + err.Error() + "; capture continues in RAM; restart ptpwatch to record again")
			return
		}
		add("recording paused: " + err.Error() + "; capture continues in RAM and recording resumes when the disk allows")
	}
	o.OnDamage = func(err error) {
		add("dashcam store damaged: " + err.Error() + "; what the damaged part held cannot be read, recording continues. Export what you need, then delete damaged incidents or move the data directory aside")
	}
	o.OnRecovered = func() { add("recording resumed") }
}
