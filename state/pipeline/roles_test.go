package pipeline

import (
	"slices"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
)

// TestRolesDescribeThePresent is issue 14's "a role that was true for two
// seconds stays forever": in the demo's scripted failover (1:00,
// gm-meinberg stops) the boundary clock bc-arista briefly announces
// itself grandmaster on its master port until gm-oregano takes over. A
// minute and a half later it is a boundary clock again, with grandmaster
// only in its role history.
func TestRolesDescribeThePresent(t *testing.T) {
	n, m := runDemoScenario(t, 2*time.Minute+30*time.Second)
	snap := m.Snapshot()
	bc, _ := n.Identity("bc-arista")
	meinberg, _ := n.Identity("gm-meinberg")
	var dev, gm *state.Device
	for i := range snap.Devices {
		switch snap.Devices[i].ClockIdentity {
		case bc.String():
			dev = &snap.Devices[i]
		case meinberg.String():
			gm = &snap.Devices[i]
		}
	}
	if dev == nil || gm == nil {
		t.Fatalf("no device for bc-arista (%s) or gm-meinberg (%s)", bc, meinberg)
	}
	roles := func(d *state.Device) (now, past []string) {
		for _, r := range d.Roles {
			now = append(now, r.Role)
		}
		for _, h := range d.RoleHistory {
			past = append(past, h.Role)
		}
		return now, past
	}
	now, past := roles(dev)
	t.Logf("bc-arista: roles %q, history %+v", now, dev.RoleHistory)
	if !slices.Equal(now, []string{"boundary clock"}) {
		t.Errorf("bc-arista roles %q, want [boundary clock]", now)
	}
	if !slices.Contains(past, "grandmaster") {
		t.Errorf("bc-arista history %+v, want grandmaster in it", dev.RoleHistory)
	}
	for _, h := range dev.RoleHistory {
		if h.From > h.To || h.To >= snap.Time {
			t.Errorf("history range %+v: want from ≤ to < now (%d)", h, snap.Time)
		}
	}
	// The stopped grandmaster has had no role for a minute and a half:
	// its grandmaster role is history too.
	now, past = roles(gm)
	t.Logf("gm-meinberg: roles %q, history %+v", now, gm.RoleHistory)
	if len(now) != 0 || !slices.Contains(past, "grandmaster") {
		t.Errorf("gm-meinberg roles %q, history %q: want none now, grandmaster in the past", now, past)
	}
}
