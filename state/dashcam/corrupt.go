package dashcam

import (
	"fmt"

	"github.com/ptpwatch/ptpwatch/state/store"
)

// Damage found in the store (see the store's package doc, "Damage") is
// checked against the incidents: those whose frames cannot all be read
// back say so in their description (Incident.Damaged).

// errCorrupt reports a frame chunk that does not parse. Pebble checksums
// every block, so it means a bug or a value written by a newer version.
var errCorrupt = fmt.Errorf("dashcam: malformed frame chunk: %w", store.ErrMalformed)

// damaged runs on the store's maintenance goroutine when a damaged file
// is reported (store.Maintenance.Damaged): it marks the incidents whose
// frames lie in the file's key range [lo, hi] (nil: unknown) and cannot
// be read.
func (s *Store) damaged(lo, hi []byte) {
	incs, err := s.Incidents()
	if err != nil {
		return
	}
	for _, inc := range incs {
		first, end := framesSpan(inc.ID)
		if lo != nil && (string(end) <= string(lo) || hi != nil && string(first) > string(hi)) {
			continue
		}
		if inc.Damaged != "" || s.isRecording(inc.ID) {
			continue
		}
		if err := s.incidentFrames(&inc, func(*Frame) bool { return true }); store.IsCorruption(err) {
			s.markDamaged(inc.ID, s.ReadErr(err))
		}
	}
}

func (s *Store) isRecording(id uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recording[id]
}

// markDamaged notes in incident id's description that its frames cannot
// all be read back, so lists show it. Best effort: the description may be
// in the damaged part itself, or writing paused.
func (s *Store) markDamaged(id uint64, cause error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inc, err := s.Incident(id)
	if err != nil || inc.Damaged != "" {
		return
	}
	inc.Damaged = "frames cannot be read back: " + cause.Error()
	if err := s.putIncident(&inc, true); err != nil {
		s.log.Warn("dashcam: cannot mark the incident damaged", "incident", id, "err", err)
		return
	}
	s.log.Warn("dashcam: incident marked damaged", "incident", id, "err", cause)
}
