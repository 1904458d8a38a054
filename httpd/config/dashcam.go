package config

import (
	"time"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/dashcam"
	"github.com/ptpwatch/ptpwatch/state/store"
)

// DashcamOptions turns [dashcam]'s bounds and [model] event_log_size
// into the store's options; the caller adds the logger and where disk
// trouble is reported.
func (c *Config) DashcamOptions() dashcam.Options {
	d := c.Dashcam
	return dashcam.Options{
		MaxBytes: d.MaxBytes, MaxAge: time.Duration(d.MaxDays) * 24 * time.Hour,
		ArchiveMaxBytes: d.ArchiveMaxBytes, ArchiveMaxAge: time.Duration(d.ArchiveMaxHours) * time.Hour,
		Store: store.Options{EventsKept: max(c.Model.EventLogSize, 1000)},
	}
}

// RecorderOptions turns [dashcam] into the recorder's options: with
// dashcam off, no event type triggers (manual triggers still record).
func (c *Config) RecorderOptions() dashcam.RecorderOptions {
	d := c.Dashcam
	o := dashcam.RecorderOptions{Scopes: d.Scopes, AllScopes: d.AllScopes,
		Pre: seconds(d.PreSeconds), Post: seconds(d.PostSeconds), Archive: d.Archive, PersistEvents: true}
	o.Triggers = []state.EventType{}
	if d.Enabled {
		for _, t := range d.Triggers {
			o.Triggers = append(o.Triggers, state.EventType(t))
		}
	}
	return o
}

// seconds turns a configured number of seconds into a duration; 0 means
// none, which the recorder spells as a negative duration.
func seconds(n int) time.Duration {
	if n == 0 {
		return -1
	}
	return time.Duration(n) * time.Second
}
