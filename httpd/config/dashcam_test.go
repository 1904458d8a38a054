package config

import (
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
)

// TestDashcamOptions: [dashcam] becomes the store's and the recorder's
// options: days and hours as durations, at least 1000 events kept, 0
// seconds as the recorder's "none", and no trigger while dashcam is off.
func TestDashcamOptions(t *testing.T) {
	c := Default()
	c.Model.EventLogSize = 10
	c.Dashcam.MaxDays, c.Dashcam.ArchiveMaxHours, c.Dashcam.MaxBytes = 2, 3, 4096
	c.Dashcam.PreSeconds, c.Dashcam.PostSeconds = 0, 5
	c.Dashcam.Enabled, c.Dashcam.Triggers = true, []string{"Master Silent"}
	o := c.DashcamOptions()
	if o.MaxAge != 48*time.Hour || o.ArchiveMaxAge != 3*time.Hour || o.MaxBytes != 4096 || o.Store.EventsKept != 1000 {
		t.Fatalf("store options %+v", o)
	}
	r := c.RecorderOptions()
	if r.Pre >= 0 || r.Post != 5*time.Second || !r.PersistEvents || len(r.Triggers) != 1 || r.Triggers[0] != state.EventType("Master Silent") {
		t.Fatalf("recorder options %+v", r)
	}
	c.Dashcam.Enabled = false
	if r := c.RecorderOptions(); r.Triggers == nil || len(r.Triggers) != 0 {
		t.Fatalf("dashcam off: triggers %#v, want empty and not nil", r.Triggers)
	}
}
