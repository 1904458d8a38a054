package state

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
