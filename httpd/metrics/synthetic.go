package metrics

import (
	"fmt"

	"github.com/ptpwatch/ptpwatch/state"
)

// SyntheticSnapshot is a model of n instances in 10 scopes: a master per
// scope sending Sync, the rest followers counting Delay_Req, as a large
// network looks. Benchmarks use it to price a scrape.
func SyntheticSnapshot(n int) *state.Snapshot {
	s := &state.Snapshot{}
	yes := true
	for i := 0; i < 10; i++ {
		d := uint8(i)
		s.Scopes = append(s.Scopes, state.Scope{Name: fmt.Sprintf("seg0 v2 domain %d UDP/IPv4", i), DomainNumber: &d, VersionPTP: 2, Transport: "UDP/IPv4",
			Grandmaster: &state.GrandmasterInfo{GrandmasterIdentity: "ec4670.fffe.00a101", ClockClass: 6, Priority1: 128, Priority2: 128, Flags: []string{"ptpTimescale"}},
			Counts:      map[string]uint64{"Sync": 1000, "Delay_Req": 4000}, Rates: map[string]uint32{"Sync": 1, "Delay_Req": 4}, Instances: n / 10, Followers: n/10 - 1, Masters: 1})
	}
	for i := 0; i < n; i++ {
		sc := &s.Scopes[i%10]
		in := state.Instance{Scope: sc.Name, PortIdentity: fmt.Sprintf("001122.fffe.%06x-1", i), PortState: state.StateSlave, StateSource: state.Inferred,
			Parent: "ec4670.fffe.00a101-1", Grandmaster: "ec4670.fffe.00a101", LastSeen: 1_700_000_000_000_000_000,
			Counters: map[string]state.TypeCounters{"Delay_Req": {Count: 4000, SequenceGaps: 1, MeanIntervalNs: 2.5e8}}}
		if i < 10 {
			in.PortState = state.StateMaster
			in.Announce = sc.Grandmaster
			in.Offset = &state.OffsetInfo{LastNs: 1234}
			in.Counters = map[string]state.TypeCounters{"Sync": {Count: 1000, MeanIntervalNs: 1e9, ExpectedNs: 1e9, Compliant: &yes}}
		}
		s.Instances = append(s.Instances, in)
	}
	return s
}
