package ring

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewBufferLimits(t *testing.T) {
	for _, l := range []int64{-1, 1, MinBufferBytes - 1, MaxBufferBytes + 1} {
		if _, err := NewBuffer(l); !errors.Is(err, ErrLimit) {
			t.Errorf("NewBuffer(%d): err = %v, want ErrLimit", l, err)
		}
	}
	b, err := NewBuffer(0)
	if err != nil {
		t.Fatal(err)
	}
	if b.Limit() != DefaultBufferBytes {
		t.Errorf("NewBuffer(0).Limit() = %d", b.Limit())
	}
	// The default budget leaves most of the limit to frame bytes.
	if a := float64(len(b.arena)*8) / DefaultBufferBytes; a < 0.78 {
		t.Errorf("arena gets %.2f of the default limit", a)
	}
	for _, l := range []int64{MinBufferBytes, 100_000, 1 << 20, DefaultBufferBytes, MaxBufferBytes} {
		s, w, e := plan(l)
		if int64(w*8+s*slotBytes+e*entryBytes) > l || w > math.MaxUint32 || s*planRecord > w*8+planRecord {
			t.Errorf("plan(%d) = %d slots, %d words, %d entries", l, s, w, e)
		}
	}
}

// genMeta returns tags drawn mostly from small sets, so values repeat and
// chains grow, with the odd fresh value to fill the key table.
func genMeta(rng *rand.Rand, clock *int64) RecordMeta {
	switch rng.IntN(20) {
	case 0:
		*clock -= rng.Int64N(5000) // a clock step back: the index key clamps
	case 1:
		// same timestamp as the previous frame
	default:
		*clock += rng.Int64N(2000)
	}
	m := RecordMeta{
		Time:        *clock,
		IfIndex:     uint16(rng.IntN(4)),
		Source:      TimestampSource(rng.IntN(int(numSources))),
		MessageType: uint8(rng.IntN(16)),
		Version:     uint8(1 + rng.IntN(2)),
		Tags:        uint16(rng.Uint32()),
		Scope:       uint32(rng.IntN(4)),
		Instance:    uint32(rng.IntN(40)),
	}
	if rng.IntN(4) == 0 {
		m.OrigLen = uint32(rng.IntN(10000))
	}
	if rng.IntN(10) == 0 {
		m.Instance = rng.Uint32()
	}
	if rng.IntN(50) == 0 {
		m.Scope = rng.Uint32()
	}
	return m
}

func genFrame(rng *rand.Rand, buf []byte, maxLen int) []byte {
	n := 1 + rng.IntN(maxLen)
	p := buf[:n]
	for i := range p {
		p[i] = byte(rng.Uint32())
	}
	return p
}

// genQuery returns a query over the frames the model holds, with time
// bounds near the held keys and tags that often but not always match.
func genQuery(rng *rand.Rand, m *model) Query {
	var q Query
	if len(m.held) > 0 {
		pick := func() int64 { return m.held[rng.IntN(len(m.held))].key + rng.Int64N(3) - 1 }
		if rng.IntN(2) == 0 {
			q.From = pick()
		}
		if rng.IntN(2) == 0 {
			q.To = pick()
		}
		if rng.IntN(4) == 0 {
			q.AfterFrame = m.held[rng.IntN(len(m.held))].n
		}
		f := m.held[rng.IntN(len(m.held))].meta
		q.Scope, q.HasScope = f.Scope, rng.IntN(3) == 0
		q.MessageType, q.HasMessageType = f.MessageType, rng.IntN(3) == 0
		q.Instance, q.HasInstance = f.Instance, rng.IntN(3) == 0
	}
	if rng.IntN(8) == 0 {
		q.Instance, q.HasInstance = rng.Uint32(), true // most likely absent
	}
	if rng.IntN(4) == 0 {
		q.Limit = 1 + rng.IntN(10)
	}
	return q
}

// TestBufferRandomized appends random frame mixes (1..9216 bytes, clock
// steps back, repeated and fresh tags) under several limits and seeds and
// checks after every append that the accounted size stays within the limit,
// that eviction removed the oldest frames and only when the record did not
// fit, and periodically that Get, Search and Scan agree with brute force.
func TestBufferRandomized(t *testing.T) {
	appends, seeds := 3000, uint64(4)
	if testing.Short() || raceEnabled {
		appends, seeds = 800, 2
	}
	for _, c := range []struct {
		limit  int64
		maxLen int
	}{
		{16 << 10, 9216}, {64 << 10, 9216}, {1 << 20, 9216},
		{128 << 10, 200}, // hundreds of PTP-sized frames: long chains
	} {
		limit, appends := c.limit, appends
		if c.maxLen < 1000 {
			appends = max(appends, 2500) // enough to fill and wrap
		}
		for seed := range seeds {
			rng := rand.New(rand.NewPCG(seed, uint64(limit)))
			m := newModel(t, limit)
			var clock int64 = 1_700_000_000e9
			buf := make([]byte, c.maxLen)
			var r Record
			for i := range appends {
				m.append(genMeta(rng, &clock), genFrame(rng, buf, c.maxLen))
				if i%25 != 0 {
					continue
				}
				m.checkChains()
				for range 5 {
					m.checkScan(genQuery(rng, m))
				}
				if len(m.held) > 0 {
					lo, hi := m.held[0].n, m.held[len(m.held)-1].n
					for _, n := range []uint64{0, lo - 1, lo, hi, hi + 1, hi + 1000, lo + uint64(rng.IntN(int(hi-lo+1)))} {
						m.checkGet(&r, n)
					}
					m.checkSearch(m.held[rng.IntN(len(m.held))].key)
				}
				m.checkSearch(clock + 1)
				m.checkSearch(math.MinInt64)
			}
			if m.evicted == 0 || m.wraps == 0 {
				t.Errorf("limit %d seed %d: %d evictions, %d wraps: test did not reach the interesting cases", limit, seed, m.evicted, m.wraps)
			}
			if limit == 16<<10 && m.overflows == 0 {
				t.Errorf("limit %d seed %d: key table never overflowed", limit, seed)
			}
		}
	}
}

// TestBufferTinyFrames fills the index before the arena: with 1-byte frames
// the buffer runs out of slots first and must evict for them.
func TestBufferTinyFrames(t *testing.T) {
	m := newModel(t, 32<<10)
	rng := rand.New(rand.NewPCG(7, 7))
	var clock int64
	buf := make([]byte, 8)
	for range 3 * int(m.b.nslots) {
		m.append(genMeta(rng, &clock), genFrame(rng, buf, 8))
	}
	if m.slotBound == 0 {
		t.Fatal("no eviction was caused by a full index")
	}
	if uint64(len(m.held)) != m.b.nslots {
		t.Fatalf("holds %d frames, want all %d slots in use", len(m.held), m.b.nslots)
	}
	m.checkChains()
	for range 50 {
		m.checkScan(genQuery(rng, m))
	}
}

// TestBufferEvictionOrder appends equal frames to a full buffer: each new
// frame evicts exactly the oldest one, and evicted numbers stay gone.
func TestBufferEvictionOrder(t *testing.T) {
	b, _ := NewBuffer(MinBufferBytes)
	frame := make([]byte, 100)
	var r Record
	var full uint64
	for i := uint64(1); i <= 500; i++ {
		frame[0] = byte(i)
		n, err := b.Append(RecordMeta{Time: int64(i)}, frame)
		if err != nil || n != i {
			t.Fatalf("Append %d = %d, %v", i, n, err)
		}
		s := b.Stats()
		if s.Evicted > 0 && full == 0 {
			full = s.Frames + 1
		}
		if full != 0 {
			if s.First != i-full+2 || s.Frames != full-1 {
				t.Fatalf("after frame %d: First %d Frames %d, want oldest-first eviction of one frame", i, s.First, s.Frames)
			}
			if b.Get(s.First-1, &r) {
				t.Fatalf("Get(%d) found an evicted frame", s.First-1)
			}
		}
		if !b.Get(i, &r) || r.Data[0] != byte(i) || r.Time != int64(i) {
			t.Fatalf("Get(%d) = %+v", i, r)
		}
	}
	if full == 0 {
		t.Fatal("buffer never filled")
	}
}

func TestBufferTooLarge(t *testing.T) {
	m := newModel(t, MinBufferBytes)
	m.append(RecordMeta{Time: 1}, make([]byte, 10))
	m.append(RecordMeta{Time: 2}, make([]byte, m.b.MaxFrame()+1))
	if m.rejected != 1 || len(m.held) != 1 {
		t.Fatalf("rejected %d, held %d", m.rejected, len(m.held))
	}
	_, err := m.b.Append(RecordMeta{}, make([]byte, MinBufferBytes))
	if err == nil || err.Error() == "" {
		t.Fatal("no error for a frame larger than the limit")
	}
	// The largest accepted frame empties the buffer and takes it whole.
	m.append(RecordMeta{Time: 3}, make([]byte, m.b.MaxFrame()))
	m.append(RecordMeta{Time: 4}, make([]byte, 1))
	if len(m.held) != 1 || m.held[0].n != 3 {
		t.Fatalf("held %v", m.held)
	}
}

func TestBufferReset(t *testing.T) {
	m := newModel(t, 64<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	clock := int64(1e12)
	buf := make([]byte, 2000)
	for range 200 {
		m.append(genMeta(rng, &clock), genFrame(rng, buf, 2000))
	}
	last := m.b.Last()
	m.reset()
	var r Record
	if m.b.Get(last, &r) || m.b.Stats().Evicted != 0 {
		t.Fatal("frames or evictions survive Reset")
	}
	m.checkScan(Query{})
	// Numbering continues and timestamps may restart lower.
	clock = 5
	for range 100 {
		m.append(genMeta(rng, &clock), genFrame(rng, buf, 2000))
	}
	if m.held[0].n <= last {
		t.Fatalf("frame numbers restarted at %d after %d", m.held[0].n, last)
	}
	m.checkChains()
	for range 20 {
		m.checkScan(genQuery(rng, m))
	}
}

// TestBufferTimeOrder appends a frame stamped earlier than its
// predecessor: the record keeps its real time, the index clamps.
func TestBufferTimeOrder(t *testing.T) {
	b, _ := NewBuffer(MinBufferBytes)
	for _, ts := range []int64{100, 200, 150, 300} {
		b.Append(RecordMeta{Time: ts}, []byte{1})
	}
	var r Record
	if !b.Get(3, &r) || r.Time != 150 {
		t.Fatalf("frame 3 time %d, want the real 150", r.Time)
	}
	if n, ok := b.Search(150); !ok || n != 2 {
		t.Fatalf("Search(150) = %d, %v; want frame 2 (index times 100 200 200 300)", n, ok)
	}
	if n, ok := b.Search(201); !ok || n != 4 {
		t.Fatalf("Search(201) = %d, %v", n, ok)
	}
	if _, ok := b.Search(301); ok {
		t.Fatal("Search past the newest frame found one")
	}
	var got []uint64
	b.Scan(Query{From: 200, To: 200}, func(r *Record) bool { got = append(got, r.Frame); return true })
	if !equalFrames(got, []uint64{2, 3}) {
		t.Fatalf("Scan [200,200] = %v, want [2 3]", got)
	}
}

// concurrentFrame derives frame n's contents from its number so readers
// can check any record they get without talking to the writer.
func concurrentFrame(n uint64, buf []byte) (RecordMeta, []byte) {
	size := 1 + int(n*7919%700)
	p := buf[:size]
	for i := range p {
		p[i] = byte(n) ^ byte(i*13)
	}
	m := RecordMeta{
		Time:        int64(n) * 1000,
		OrigLen:     uint32(size + 4),
		IfIndex:     uint16(n),
		MessageType: uint8(n % 16),
		Version:     2,
		Tags:        uint16(n >> 3),
		Scope:       uint32(n % 3),
		Instance:    uint32(n % 50),
	}
	if n%9 == 0 {
		m.Instance = uint32(n) // fresh values keep the small table overflowing
	}
	return m, p
}

func checkConcurrentRecord(r *Record) bool {
	var buf [700]byte
	m, p := concurrentFrame(r.Frame, buf[:])
	if r.RecordMeta != m || len(r.Data) != len(p) {
		return false
	}
	for i := range p {
		if r.Data[i] != p[i] {
			return false
		}
	}
	return true
}

// TestBufferConcurrent runs the writer flat out while readers Get, Search,
// Scan and read Stats. Every record a reader receives must be exactly the
// one appended under that number. Run it with -race.
func TestBufferConcurrent(t *testing.T) {
	dur := time.Second
	if raceEnabled || testing.Short() {
		dur = 300 * time.Millisecond
	}
	b, _ := NewBuffer(256 << 10)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var gets, scans, visits atomic.Int64
	fail := make(chan string, 8)
	report := func(msg string) {
		select {
		case fail <- msg:
		default:
		}
	}
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			var r Record
			for !stop.Load() {
				if rng.IntN(4) == 0 {
					// Step out now and then, so the writer keeps switching
					// between plain and atomic stores under the readers.
					time.Sleep(time.Duration(rng.IntN(30)) * time.Microsecond)
				}
				s := b.Stats()
				if s.Bytes > s.Limit {
					report("Stats.Bytes above limit")
				}
				last := b.Last()
				if last == 0 {
					runtime.Gosched()
					continue
				}
				switch rng.IntN(3) {
				case 0:
					for range 50 {
						n := last - uint64(rng.IntN(int(min(last, 400))))
						if b.Get(n, &r) {
							gets.Add(1)
							if r.Frame != n || !checkConcurrentRecord(&r) {
								report("Get returned a corrupt record")
							}
						}
					}
				case 1:
					t0 := int64(last-uint64(rng.IntN(int(min(last, 300))))) * 1000
					if n, ok := b.Search(t0); ok && (n < t0Frame(t0)) {
						report("Search returned a frame older than the time asked")
					}
				default:
					q := Query{AfterFrame: last - min(last, 300)}
					switch rng.IntN(4) {
					case 0:
						q.Scope, q.HasScope = uint32(rng.IntN(3)), true
					case 1:
						q.MessageType, q.HasMessageType = uint8(rng.IntN(16)), true
					case 2:
						q.Instance, q.HasInstance = uint32(rng.IntN(50)), true
						q.From = int64(q.AfterFrame) * 1000
					}
					var prev uint64
					b.Scan(q, func(r *Record) bool {
						visits.Add(1)
						if r.Frame <= prev || r.Frame <= q.AfterFrame || !checkConcurrentRecord(r) ||
							(q.HasScope && r.Scope != q.Scope) ||
							(q.HasMessageType && r.MessageType != q.MessageType) ||
							(q.HasInstance && r.Instance != q.Instance) {
							report("Scan visited a wrong or corrupt record")
						}
						prev = r.Frame
						return true
					})
					scans.Add(1)
				}
			}
		}()
	}
	buf := make([]byte, 700)
	// Run for dur, but long enough to pass a Reset, and not forever on a
	// slow machine.
	start := time.Now()
	n := uint64(1)
	for ; (time.Since(start) < dur || n < 25000) && time.Since(start) < 10*dur; n++ {
		m, p := concurrentFrame(n, buf)
		if got, err := b.Append(m, p); err != nil || got != n {
			t.Fatalf("Append = %d, %v; want %d", got, err, n)
		}
		if n%20000 == 0 {
			b.Reset() // readers must cope with everything vanishing
		}
	}
	stop.Store(true)
	wg.Wait()
	select {
	case msg := <-fail:
		t.Fatal(msg)
	default:
	}
	t.Logf("%d appends, %d gets, %d scans visiting %d records, %d evicted", n, gets.Load(), scans.Load(), visits.Load(), b.Stats().Evicted)
	if gets.Load() == 0 || visits.Load() == 0 {
		t.Fatal("readers never got a record")
	}
}

// t0Frame returns the first frame number stamped at or after t0 by
// concurrentFrame.
func t0Frame(t0 int64) uint64 { return uint64((t0 + 999) / 1000) }

// TestBufferNoAllocs checks the hot path in steady state: Append into a
// full buffer, Get into a reused Record, and Scan.
func TestBufferNoAllocs(t *testing.T) {
	b, _ := NewBuffer(256 << 10)
	rng := rand.New(rand.NewPCG(3, 3))
	var clock int64
	frame := make([]byte, 120)
	metas := make([]RecordMeta, 256)
	for i := range metas {
		metas[i] = genMeta(rng, &clock)
		metas[i].Instance %= 40 // a stable population of tags
		metas[i].Scope %= 4
	}
	i := 0
	appendOne := func() {
		m := metas[i%len(metas)]
		m.Time = int64(i)
		i++
		if _, err := b.Append(m, frame); err != nil {
			t.Fatal(err)
		}
	}
	for range 20000 {
		appendOne()
	}
	if b.Stats().Evicted == 0 {
		t.Fatal("buffer not yet in steady state")
	}
	if n := testing.AllocsPerRun(5000, appendOne); n != 0 {
		t.Errorf("Append allocates %.2f times per frame", n)
	}
	r := Record{Data: make([]byte, 0, 200)}
	if n := testing.AllocsPerRun(1000, func() { b.Get(b.Last()-10, &r) }); n != 0 {
		t.Errorf("Get allocates %.2f times", n)
	}
	visits := 0
	fn := func(*Record) bool { visits++; return true }
	q := Query{Scope: 2, HasScope: true, From: int64(i - 500), Limit: 20}
	if n := testing.AllocsPerRun(1000, func() { b.Scan(q, fn) }); n != 0 {
		t.Errorf("Scan allocates %.2f times", n)
	}
	if visits == 0 {
		t.Error("Scan found nothing")
	}
}

func TestStatsEmpty(t *testing.T) {
	b, _ := NewBuffer(MinBufferBytes)
	if s := b.Stats(); s != (Stats{Limit: MinBufferBytes}) {
		t.Fatalf("empty Stats = %+v", s)
	}
	if b.First() != 0 || b.Last() != 0 {
		t.Fatal("empty buffer has frames")
	}
	var r Record
	if b.Get(0, &r) || b.Get(1, &r) {
		t.Fatal("Get on empty buffer succeeded")
	}
	b.Scan(Query{}, func(*Record) bool { t.Fatal("Scan on empty buffer visited a frame"); return false })
	if _, ok := b.Search(0); ok {
		t.Fatal("Search on empty buffer succeeded")
	}
}
