package config

import (
	"slices"
	"testing"
)

func TestChanges(t *testing.T) {
	for _, tc := range []struct {
		name            string
		edit            func(c *Config)
		reload, restart []string
	}{
		{"nothing", func(c *Config) {}, nil, nil},
		{"log level", func(c *Config) { c.Log.Level = "debug" }, []string{"log.level"}, nil},
		{"state terms", func(c *Config) { c.Model.StateTerms = "custom"; c.Model.MasterTerm = "Boss" },
			[]string{"model.state_terms", "model.master_term"}, nil},
		{"demo speed", func(c *Config) { c.Demo.Speed = 4 }, []string{"demo.speed"}, nil},
		{"interfaces", func(c *Config) { c.Capture.Interfaces = []string{"eth1"} }, nil, []string{"capture.interfaces"}},
		{"both", func(c *Config) { c.HTTP.Listen = "127.0.0.1:1"; c.Replay.Speed = 2 }, []string{"replay.speed"}, []string{"http.listen"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old, next := Default(), Default()
			tc.edit(&next)
			reload, restart := Changes(old, next)
			if !slices.Equal(reload, tc.reload) || !slices.Equal(restart, tc.restart) {
				t.Errorf("Changes: reload %v, restart %v; want %v and %v", reload, restart, tc.reload, tc.restart)
			}
			run := Reloaded(old, next)
			if r, s := Changes(run, next); len(r) != 0 || !slices.Equal(s, tc.restart) {
				t.Errorf("after Reloaded, still differing: reload %v, restart %v", r, s)
			}
			if _, s := Changes(old, run); len(s) != 0 {
				t.Errorf("Reloaded changed restart-only settings %v", s)
			}
		})
	}
}
