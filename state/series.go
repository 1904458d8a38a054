package state

import "github.com/ptpwatch/ptpwatch/ring"

// SeriesSeconds is how far back per-second counters reach: one hour.
const SeriesSeconds = 3600

// Series counts messages per type per second for the last hour at one
// second resolution. Slots are reused in a circle; a slot whose second is
// stale reads as zero. Adding does not allocate.
type Series struct {
	sec    [SeriesSeconds]int64
	counts [SeriesSeconds][16]uint32
}

// NewSeries returns an empty series.
func NewSeries() *Series { return &Series{} }

// Add counts one message of kind at time t (ns).
func (s *Series) Add(t int64, kind Kind) {
	sec := t / 1e9
	i := int(sec % SeriesSeconds)
	if i < 0 {
		i += SeriesSeconds
	}
	if s.sec[i] != sec {
		s.sec[i] = sec
		s.counts[i] = [16]uint32{}
	}
	s.counts[i][kind&0x0f]++
}

// At returns the counts of the second containing t, zero if it has left the
// window or never had messages.
func (s *Series) At(t int64) [16]uint32 {
	sec := t / 1e9
	i := int(sec % SeriesSeconds)
	if i < 0 {
		i += SeriesSeconds
	}
	if s.sec[i] != sec {
		return [16]uint32{}
	}
	return s.counts[i]
}

// Point is one second of a series.
type Point struct {
	Second int64             `json:"second"` // Unix seconds
	Counts map[string]uint32 `json:"counts"`
}

// Range returns the seconds from..to inclusive (Unix seconds) that had
// messages, oldest first.
func (s *Series) Range(from, to int64) []Point {
	if to-from >= SeriesSeconds {
		from = to - SeriesSeconds + 1
	}
	var out []Point
	for sec := from; sec <= to; sec++ {
		c := s.At(sec * 1e9)
		var p *Point
		for k, n := range c {
			if n == 0 {
				continue
			}
			if p == nil {
				out = append(out, Point{Second: sec, Counts: map[string]uint32{}})
				p = &out[len(out)-1]
			}
			p.Counts[Kind(k).String()] = n
		}
	}
	return out
}

// InstanceSeries counts one instance's messages per second and type between
// from and to (ns, inclusive), from the frames the RAM capture buffer still
// holds. The model keeps an hour of per-second counts for every scope;
// for instances, of which there may be a hundred thousand, the buffer is
// the history, so the series reaches back as far as the buffer does.
//
// id is the instance's id (Instance.ID, its key's Tag) and scope its
// scope's id; both are checked because tags are hashes.
func InstanceSeries(b *ring.Buffer, scope, id uint32, from, to int64) []Point {
	var out []Point
	q := ring.Query{From: from, To: to, Instance: id, HasInstance: true, Scope: scope, HasScope: true}
	b.Scan(q, func(r *ring.Record) bool {
		sec := r.Time / 1e9
		if len(out) == 0 || out[len(out)-1].Second != sec {
			out = append(out, Point{Second: sec, Counts: map[string]uint32{}})
		}
		out[len(out)-1].Counts[Kind(r.MessageType).String()]++
		return true
	})
	return out
}
