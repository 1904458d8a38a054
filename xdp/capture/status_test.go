package capture

import (
	"maps"
	"testing"
)

func TestStatusDrops(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   Status
		want map[string]uint64
	}{
		{"af_packet", Status{Method: AFPacket, HandoffDrops: 2, Counters: map[string]uint64{"received": 100, "kernelDrops": 7, "emptyPolls": 3}},
			map[string]uint64{"handoff": 2, "ring_full": 7}},
		{"af_xdp", Status{Method: AFXDP, Counters: map[string]uint64{"received": 100, "rxRingFull": 1, "fillRingEmpty": 4, "rxDropped": 5,
			"rxInvalidDescs": 6, "badDescs": 1, "fillKicks": 9}},
			map[string]uint64{"handoff": 0, "ring_full": 1, "no_buffer": 4, "other": 5, "invalid": 7}},
		{"down", Status{}, map[string]uint64{"handoff": 0}},
	} {
		if got := tc.st.Drops(); !maps.Equal(got, tc.want) {
			t.Errorf("%s: Drops = %v, want %v", tc.name, got, tc.want)
		}
	}
}
