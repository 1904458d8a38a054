package pipeline

import (
	"ptpwatch/ring"
	"ptpwatch/state"
)

// InstanceSeries counts one instance's messages per second and type between
// from and to (ns, inclusive), from the frames the RAM capture buffer still
// holds. The model keeps an hour of per-second counts for every scope;
// for instances, of which there may be a hundred thousand, the buffer is
// the history, so the series reaches back as far as the buffer does.
//
// id is the instance's id (state.Instance.ID, its key's Tag) and scope its
// scope's id; both are checked because tags are hashes.
func InstanceSeries(b *ring.Buffer, scope, id uint32, from, to int64) []state.Point {
	var out []state.Point
	q := ring.Query{From: from, To: to, Instance: id, HasInstance: true, Scope: scope, HasScope: true}
	b.Scan(q, func(r *ring.Record) bool {
		sec := r.Time / 1e9
		if len(out) == 0 || out[len(out)-1].Second != sec {
			out = append(out, state.Point{Second: sec, Counts: map[string]uint32{}})
		}
		out[len(out)-1].Counts[state.Kind(r.MessageType).String()]++
		return true
	})
	return out
}
