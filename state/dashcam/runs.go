package dashcam

import (
	"encoding/binary"

	"github.com/cockroachdb/pebble/v2"
)

// An incident's frames are stored in the order they were saved. That is
// time order, except when a trigger adds a scope to a recording: the new
// scope's frames from the window's start are saved after the frames
// already there. Each such extension starts a new run, and Incident.Runs
// records where, so that readers can merge the runs back into time order
// with one cursor per run: memory stays bounded by a chunk per run.

// maxRuns bounds Incident.Runs. Extensions beyond it append to the last
// run, which then is not in time order; readers still see every frame
// once.
const maxRuns = 64

// runCursor walks an incident's frames with numbers in [seq, end), in
// stored order, one chunk at a time.
type runCursor struct {
	it    *pebble.Iterator
	seq   uint64 // number of f
	end   uint64
	rest  []byte // records of the chunk after f
	left  int    // how many of them
	f     Frame  // the current frame; its Data aliases the iterator's chunk
	valid bool
}

// open positions c on frame start of incident id, or past the end.
func (c *runCursor) open(s *Store, id, start, end uint64) error {
	lo, hi := framesSpan(id)
	it, err := s.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	c.it, c.end = it, end
	var k [17]byte
	ok := it.SeekLT(framesKey(k[:0], id, start+1)) // the chunk holding start
	if !ok {
		ok = it.First()
	}
	if err := c.load(ok); err != nil {
		return err
	}
	for c.valid && c.seq < start {
		if err := c.next(); err != nil {
			return err
		}
	}
	return nil
}

// load reads the chunk under the iterator (ok says there is one) and
// makes its first frame current.
func (c *runCursor) load(ok bool) error {
	c.valid = false
	if !ok {
		return c.it.Error()
	}
	key := c.it.Key()
	v, err := c.it.ValueAndErr()
	if err != nil {
		return err
	}
	count, _, _, err := chunkInfo(v)
	if err != nil || len(key) != 17 {
		return errCorrupt
	}
	c.seq = binary.BigEndian.Uint64(key[9:])
	c.rest, c.left = v[chunkHeader:], count
	return c.take()
}

// take decodes the next record of the chunk into f, or moves on to the
// next chunk when this one is done.
func (c *runCursor) take() error {
	if c.left == 0 {
		if len(c.rest) != 0 {
			return errCorrupt
		}
		return c.load(c.it.Next())
	}
	n := decodeRecord(c.rest, &c.f)
	if n < 0 {
		return errCorrupt
	}
	c.rest, c.left = c.rest[n:], c.left-1
	c.valid = c.seq < c.end
	return nil
}

// next moves to the following frame.
func (c *runCursor) next() error {
	c.seq++
	return c.take()
}

func (c *runCursor) close() {
	if c.it != nil {
		c.it.Close()
	}
}

// incidentFrames calls fn with each frame of inc in time order (stored
// order within each run, runs merged by capture time, the earlier run
// first on equal times) until fn returns false.
func (s *Store) incidentFrames(inc *Incident, fn func(f *Frame) bool) error {
	if len(inc.Runs) == 0 {
		lo, hi := framesSpan(inc.ID)
		return s.readChunks(lo, hi, minInt64, maxInt64, fn)
	}
	cs := make([]runCursor, len(inc.Runs)+1)
	defer func() {
		for i := range cs {
			cs[i].close()
		}
	}()
	start := uint64(0)
	for i := range cs {
		end := ^uint64(0) // the last run: as far as it is written
		if i < len(inc.Runs) {
			end = inc.Runs[i]
		}
		if err := cs[i].open(s, inc.ID, start, end); err != nil {
			return err
		}
		start = end
	}
	for {
		best := -1
		for i := range cs {
			if cs[i].valid && (best < 0 || cs[i].f.Time < cs[best].f.Time) {
				best = i
			}
		}
		if best < 0 {
			return nil
		}
		if !fn(&cs[best].f) {
			return nil
		}
		if err := cs[best].next(); err != nil {
			return err
		}
	}
}
