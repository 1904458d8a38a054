package remote

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// CollectorConfig configures a collector: an embedded NATS server with
// JetStream (Server, from natsd.Start), or an external NATS (URL).
type CollectorConfig struct {
	Server nats.InProcessConnProvider // embedded server; nil with URL
	// FileStorage keeps the stream on the server's disk (an embedded
	// server needs a store directory for it); external servers always do.
	FileStorage bool
	// Replicas of the stream in a NATS cluster (default 1).
	Replicas int
	URL      string // external NATS; TLS, User and Password reach it
	TLS      *tls.Config
	User     string
	Pass     string
	Keys     []Key // pre-shared keys batches may be sealed with
	// MaxBytes and MaxAge bound the collector's stream of batches
	// (retention; defaults 10 GiB and 7 days); Duplicates is JetStream's
	// de-duplication window (default 10 min).
	MaxBytes   int64
	MaxAge     time.Duration
	Duplicates time.Duration
	// StateDir keeps the collector's read position and replay state
	// across restarts; empty keeps them in memory.
	StateDir string
	// LostAfter is how long a site may be silent before Probe Lost
	// (default 5 s; probes send a heartbeat every second).
	LostAfter time.Duration
	// ConsumerCommits hands the read position to the consumer: it
	// advances only when the consumer calls Commit, after storing what
	// Next returned together with its Marks. With Resume (the marks the
	// consumer stored last), frames at or below a site's mark are
	// discarded, so delivery stays exactly-once across a crash of the
	// collector's process (see Mark).
	ConsumerCommits bool
	Resume          map[string]Mark
	// AwaitResume holds the collector back from reading the stream until
	// the consumer calls Resume (with the marks it stored last, which turns
	// ConsumerCommits on) or, failing that, the first Next (without
	// marks). The appliance opens its collector this way, before the
	// store that holds its marks.
	AwaitResume bool
	Log         *slog.Logger
	OnEvent     func(Event)
}

// Mark is how far a consumer got with one probe site's frames: the
// probe's run and the per-probe sequence of the last frame it stored.
// Marks are ordered by Run, then Frame.
type Mark = source.Mark

// The collector is a frame source whose frames carry marks.
var _ source.Marked = (*Collector)(nil)

// ErrClosed is returned by Next after Close.
var ErrClosed = errors.New("remote: collector closed")

// Refused counts batches a collector refused, by reason.
type Refused struct {
	NotSealed   uint64 `json:"not_sealed"`
	Truncated   uint64 `json:"truncated"`
	UnknownKey  uint64 `json:"unknown_key"`
	Forged      uint64 `json:"forged"`
	Replayed    uint64 `json:"replayed"`
	Malformed   uint64 `json:"malformed"`
	Address     uint64 `json:"address"`
	Credentials uint64 `json:"credentials"`
	// WrongSubject counts batches whose sealed site is not the one their
	// subject names: with NKEYs bound to sites, a probe that sealed
	// another site's name.
	WrongSubject uint64 `json:"wrong_subject"`
}

// Collector receives forwarded batches and returns their frames as a frame
// source, one goroutine calling Next. Interfaces are named "site/name".
type Collector struct {
	cfg    CollectorConfig
	log    *slog.Logger
	nc     *nats.Conn
	js     jetstream.JetStream
	opener *Opener

	free, ready chan *collBatch
	cur         *collBatch
	timer       *time.Timer
	polls       atomic.Uint64
	waiting     atomic.Bool
	closed      atomic.Bool
	done        chan struct{}
	consumed    atomic.Uint64 // stream sequence of the last batch Next finished
	curSeq      atomic.Uint64 // stream sequence of the batch Next is in
	curN        atomic.Uint64 // frames Next returned from it
	skipSeq     uint64        // on start: the batch Next was in when the last run stopped
	skipN       uint64        // and the frames it had returned from it
	lastDone    uint64        // stream sequence of the last batch Next finished; Next's goroutine
	lastSite    string        // site of the frame Next returned last; Next's goroutine
	lastMark    Mark          // and its mark
	handed      atomic.Uint64 // batches handed to Next
	finished    atomic.Uint64 // batches Next finished
	startPos    uint64        // stream sequence intake starts at
	startOnce   sync.Once
	started     atomic.Bool

	ifaces  atomic.Pointer[[]source.Interface]
	ifIndex map[[2]string]uint16 // intake only
	// Batch buffers are made as needed, up to queueBatches and
	// queueBytes; intake only.
	allocated, allocBytes int

	mu      sync.Mutex // guards sites and refused
	sites   map[string]*SiteStatus
	replay  map[string]*replayState // intake only
	refused Refused
	// pend holds the replay state after each batch taken and not yet
	// finished by Next; housekeep moves what Next finished into
	// committed, which is saved with the position, so both agree.
	pend      []pendState
	committed map[string]replayState
	// stored is what the consumer reported durable through Stored (and
	// Resume), per site; guarded by mu.
	stored map[string]Mark

	iterMu sync.Mutex
	iter   jetstream.MessagesContext
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

type pendState struct {
	seq  uint64
	site string
	st   replayState
	done bool // nothing in it for the consumer (refused, empty or stored before)
}

type collBatch struct {
	buf   []byte
	raw   []byte // the decompressed batch, when it came compressed
	dec   Decoder
	ifmap [MaxInterfaces]uint16
	seq   uint64
	site  string
	run   uint64
	frame uint64 // per-probe sequence of the frame Next returns next
}

// replayState is what the collector accepted last from a site.
type replayState struct {
	Run       uint64 `json:"run"`
	Seq       uint64 `json:"seq"`
	NextFrame uint64 `json:"next_frame"`
}

// SiteStatus is a collector's view of one probe site.
type SiteStatus struct {
	Site        string `json:"site"`
	Connected   bool   `json:"connected"`
	LastSeen    int64  `json:"last_seen_ns"`
	LagNs       int64  `json:"lag_ns"`
	Batches     uint64 `json:"batches"`
	Frames      uint64 `json:"frames"`
	Bytes       uint64 `json:"bytes"`
	Lost        uint64 `json:"frames_lost"` // frames the site's sequence skipped
	CaptureDrop uint64 `json:"probe_capture_drops"`
	QueueDrop   uint64 `json:"probe_queue_drops"`
	Replayed    uint64 `json:"replayed"`
}

const (
	pollSlice    = 60 * time.Millisecond
	queueBatches = 1024     // most batches waiting for Next
	queueBytes   = 32 << 20 // most bytes of buffers for them
	fetchBatches = 64
	maxEnvelope  = 8 << 20
)

// NewCollector starts the embedded server (if configured), connects, and
// starts receiving batches.
func NewCollector(cfg CollectorConfig) (*Collector, error) {
	if len(cfg.Keys) == 0 {
		return nil, errors.New("remote: a collector needs at least one pre-shared key")
	}
	if (cfg.Server == nil) == (cfg.URL == "") {
		return nil, errors.New("remote: a collector needs an embedded server or an external URL, not both")
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 10 << 30
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 7 * 24 * time.Hour
	}
	if cfg.Duplicates <= 0 {
		cfg.Duplicates = 10 * time.Minute
	}
	cfg.Duplicates = min(cfg.Duplicates, cfg.MaxAge)
	if cfg.LostAfter <= 0 {
		cfg.LostAfter = 5 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	opener, err := NewOpener(cfg.Keys)
	if err != nil {
		return nil, err
	}
	c := &Collector{cfg: cfg, log: cfg.Log, opener: opener, free: make(chan *collBatch, queueBatches), ready: make(chan *collBatch, queueBatches),
		done: make(chan struct{}), ifIndex: map[[2]string]uint16{}, sites: map[string]*SiteStatus{}, replay: map[string]*replayState{},
		committed: map[string]replayState{}}
	c.timer = time.NewTimer(time.Hour)
	c.timer.Stop()
	empty := []source.Interface{}
	c.ifaces.Store(&empty)
	opts := []nats.Option{nats.Name("ptpwatch collector"), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
		nats.PingInterval(5 * time.Minute)}
	if cfg.Server != nil {
		opts = append(opts, nats.InProcessServer(cfg.Server))
	} else {
		opts = append(opts, nats.RetryOnFailedConnect(true), nats.PingInterval(20*time.Second))
		if cfg.TLS != nil {
			opts = append(opts, nats.Secure(cfg.TLS))
		}
		if cfg.User != "" {
			opts = append(opts, nats.UserInfo(cfg.User, cfg.Pass))
		}
	}
	if c.nc, err = nats.Connect(cfg.URL, opts...); err != nil {
		return nil, fmt.Errorf("remote: collector connect: %w", err)
	}
	c.js, _ = jetstream.New(c.nc)
	storage := jetstream.MemoryStorage
	if cfg.Server == nil || cfg.FileStorage {
		storage = jetstream.FileStorage
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	ctx, cancel := context.WithTimeout(c.ctx, 15*time.Second)
	defer cancel()
	var stream jetstream.Stream
	for {
		stream, err = c.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: FramesStream, Subjects: []string{FramesSubject + ".>"},
			Storage: storage, MaxBytes: cfg.MaxBytes, MaxAge: cfg.MaxAge, Duplicates: cfg.Duplicates, Discard: jetstream.DiscardOld,
			Retention: jetstream.LimitsPolicy, Replicas: c.replicas()})
		if err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		c.nc.Close()
		return nil, fmt.Errorf("remote: collector stream: %w", err)
	}
	_ = stream
	c.startPos = c.loadState()
	if !cfg.AwaitResume {
		c.start()
	}
	return c, nil
}

// start starts reading the stream and housekeeping, once.
func (c *Collector) start() {
	c.startOnce.Do(func() {
		c.started.Store(true)
		c.wg.Go(func() { c.intake(c.startPos) })
		c.wg.Go(c.housekeep)
	})
}

// Resume hands the collector the marks the consumer stored last, per
// site, and starts it reading with ConsumerCommits: frames at or below the
// marks are discarded, and the saved read position moves only over
// batches whose frames Stored (or Commit) reports stored. Call it once,
// before the first Next, on a collector opened with AwaitResume.
func (c *Collector) Resume(marks map[string]Mark) error {
	if c.started.Load() {
		return errors.New("remote: Resume after the collector started reading; open it with AwaitResume")
	}
	c.cfg.ConsumerCommits = true
	c.cfg.Resume = maps.Clone(marks)
	c.mu.Lock()
	c.stored = maps.Clone(marks)
	if c.stored == nil {
		c.stored = map[string]Mark{}
	}
	c.mu.Unlock()
	c.start()
	return nil
}

// Stored tells a collector with ConsumerCommits that every frame of site
// up to m is stored durably: the read position moves over the batches
// that are now wholly stored, in stream order, and is saved within 100
// ms. Unlike Commit it may be called from any goroutine, and the consumer
// may store frames well after Next returned them. It allocates only for
// a site it has not reported before.
func (c *Collector) Stored(site string, m Mark) {
	if !c.cfg.ConsumerCommits {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stored == nil {
		c.stored = map[string]Mark{}
	}
	c.stored[site] = m
	pos := c.consumed.Load()
	for _, p := range c.pend {
		if !p.done {
			sm, ok := c.stored[p.site]
			if !ok || p.st.NextFrame == 0 || !sm.Covers(p.st.Run, p.st.NextFrame-1) {
				break
			}
		}
		pos = max(pos, p.seq)
	}
	c.consumed.Store(pos)
}

func (c *Collector) replicas() int { return max(c.cfg.Replicas, 1) }

// intake reads the stream in order from pos, checks each batch and hands
// the good ones to Next.
func (c *Collector) intake(pos uint64) {
	for c.ctx.Err() == nil {
		cc := jetstream.OrderedConsumerConfig{FilterSubjects: []string{FramesSubject + ".>"}, DeliverPolicy: jetstream.DeliverAllPolicy}
		if pos > 0 {
			cc.DeliverPolicy, cc.OptStartSeq = jetstream.DeliverByStartSequencePolicy, pos
		}
		cons, err := c.js.OrderedConsumer(c.ctx, FramesStream, cc)
		if err != nil {
			if c.ctx.Err() == nil {
				c.log.Warn("collector: cannot read the stream; retrying", "err", err)
				c.sleep(time.Second)
			}
			continue
		}
		// The server's idle heartbeat comes 5 s after the last batch; a
		// busy or briefly quiet collector sees nothing else.
		it, err := cons.Messages(jetstream.PullMaxMessages(fetchBatches))
		if err != nil {
			c.log.Warn("collector: cannot read the stream; retrying", "err", err)
			c.sleep(time.Second)
			continue
		}
		c.iterMu.Lock()
		c.iter = it
		c.iterMu.Unlock()
		if c.ctx.Err() != nil {
			it.Stop()
			return
		}
		for {
			m, err := it.Next()
			if err != nil {
				if c.ctx.Err() == nil {
					c.log.Warn("collector: reading the stream", "err", err)
				}
				break
			}
			meta, err := m.Metadata()
			if err != nil {
				continue
			}
			c.take(m.Data(), meta.Sequence.Stream, m.Subject())
			pos = meta.Sequence.Stream + 1
		}
		it.Stop()
	}
}

func (c *Collector) sleep(d time.Duration) {
	select {
	case <-c.ctx.Done():
	case <-time.After(d):
	}
}

func (c *Collector) refuse(field *uint64, seq uint64, what string, err error) {
	c.mu.Lock()
	*field++
	c.mu.Unlock()
	c.log.Warn("collector: batch refused", "reason", what, "stream_seq", seq, "err", err)
	c.markDone(seq)
}

// markDone advances the position over a refused batch once Next has
// finished everything before it.
func (c *Collector) markDone(seq uint64) {
	if c.cfg.ConsumerCommits {
		// The consumer's Commit or Stored moves the position; Stored may
		// pass over this batch.
		c.mu.Lock()
		c.pend = append(c.pend, pendState{seq: seq, done: true})
		c.mu.Unlock()
		return
	}
	for c.handed.Load() != c.finished.Load() && c.ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	c.consumed.Store(seq)
}

// take checks one sealed batch and queues it for Next.
func (c *Collector) take(data []byte, seq uint64, subject string) {
	if len(data) > maxEnvelope {
		c.refuse(&c.refused.Malformed, seq, "too large", nil)
		return
	}
	var b *collBatch
	select {
	case b = <-c.free:
	default:
		if c.allocated < queueBatches && c.allocBytes+len(data) <= queueBytes {
			b = &collBatch{}
			c.allocated++
			break
		}
		select {
		case b = <-c.free:
		case <-c.ctx.Done():
			return
		}
	}
	if cap(b.buf) < len(data) {
		c.allocBytes += len(data) - cap(b.buf)
		b.buf = make([]byte, 0, len(data))
	}
	// Decrypt straight from the message into the batch's buffer: no copy
	// of the sealed batch first.
	h, plain, err := c.opener.OpenTo(b.buf[:0], data)
	if err != nil {
		c.free <- b
		switch {
		case errors.Is(err, ErrTruncated):
			c.refuse(&c.refused.Truncated, seq, "truncated", err)
		case errors.Is(err, ErrUnknownKey):
			c.refuse(&c.refused.UnknownKey, seq, "unknown key ID", err)
		case errors.Is(err, ErrForged):
			c.refuse(&c.refused.Forged, seq, "authentication failed", err)
		default:
			c.refuse(&c.refused.NotSealed, seq, "not a sealed batch", err)
		}
		return
	}
	if compressed(plain) {
		raw, err := Decompress(b.raw[:cap(b.raw)], plain)
		if err != nil {
			c.free <- b
			c.refuse(&c.refused.Malformed, seq, "malformed", err)
			return
		}
		if cap(raw) > cap(b.raw) {
			c.allocBytes += cap(raw) - cap(b.raw)
			b.raw = raw[:0]
		}
		plain = raw
	}
	if !subjectOf(subject, h.Site) {
		c.free <- b
		c.refuse(&c.refused.WrongSubject, seq, "site and subject differ", fmt.Errorf("site %q on subject %q", h.Site, subject))
		return
	}
	site := string(h.Site)
	rs := c.replay[site]
	if rs != nil && (h.Run < rs.Run || h.Run == rs.Run && h.Seq <= rs.Seq) {
		c.free <- b
		c.mu.Lock()
		if st := c.sites[site]; st != nil {
			st.Replayed++
		}
		c.mu.Unlock()
		c.refuse(&c.refused.Replayed, seq, "replayed", fmt.Errorf("site %s run %d batch %d is not newer than %d/%d", site, h.Run, h.Seq, rs.Run, rs.Seq))
		return
	}
	// Check every frame before handing any over.
	var f source.Frame
	err = b.dec.Reset(plain)
	for err == nil {
		var ok bool
		if ok, err = b.dec.Next(&f); !ok {
			break
		}
	}
	if err == nil && (b.dec.Count != h.Frames || b.dec.FirstSeq != h.FirstSeq) {
		err = errors.New("header and batch disagree")
	}
	if err != nil {
		c.free <- b
		c.refuse(&c.refused.Malformed, seq, "malformed", err)
		return
	}
	b.dec.Reset(plain)
	skip := uint64(0)
	if seq == c.skipSeq {
		// The last run stopped inside this batch: skip what it returned.
		skip = c.skipN
		c.skipSeq = 0
	}
	if m, ok := c.cfg.Resume[site]; ok && h.Frames > 0 && m.Covers(h.Run, h.FirstSeq) {
		// The consumer stored these frames before the last run ended.
		if m.Run > h.Run {
			skip = uint64(h.Frames)
		} else {
			skip = max(skip, min(m.Frame-h.FirstSeq+1, uint64(h.Frames)))
		}
	}
	for range skip {
		b.dec.Next(&f)
	}
	c.mapInterfaces(site, b)
	if rs == nil {
		rs = &replayState{}
		c.replay[site] = rs
	}
	var lost uint64
	if rs.Run == h.Run && h.FirstSeq > rs.NextFrame {
		lost = h.FirstSeq - rs.NextFrame
	}
	rs.Run, rs.Seq, rs.NextFrame = h.Run, h.Seq, h.FirstSeq+uint64(h.Frames)
	now := time.Now().UnixNano()
	c.mu.Lock()
	c.pend = append(c.pend, pendState{seq: seq, site: site, st: *rs, done: uint64(h.Frames) == skip})
	st := c.sites[site]
	if st == nil {
		st = &SiteStatus{Site: site}
		c.sites[site] = st
	}
	up := !st.Connected
	st.Connected, st.LastSeen, st.LagNs = true, now, now-h.Sealed
	st.Batches++
	st.Frames += uint64(h.Frames)
	st.Bytes += uint64(len(data))
	st.Lost += lost
	st.CaptureDrop, st.QueueDrop = b.dec.Drops.Capture, b.dec.Drops.Queue
	c.mu.Unlock()
	if up {
		c.log.Info("collector: probe connected", "site", site)
		c.emit(newEvent(EventProbeConnected, site, "probe site %s is forwarding", site))
	}
	if lost > 0 {
		c.log.Warn("collector: frames from a probe never arrived", "site", site, "frames", lost)
		e := newEvent(EventForwardingLoss, site, "%d frames from site %s never arrived (dropped on the way)", lost, site)
		e.Lost = lost
		c.emit(e)
	}
	b.seq, b.site, b.run, b.frame = seq, site, h.Run, h.FirstSeq+skip
	if uint64(h.Frames) == skip {
		c.free <- b
		c.markDone(seq)
		return
	}
	c.handed.Add(1)
	select {
	case c.ready <- b:
	case <-c.ctx.Done():
	}
}

// subjectOf reports whether subject is site's subject of frames. It does
// not allocate.
func subjectOf(subject string, site []byte) bool {
	return len(subject) == len(FramesSubject)+1+len(site) && subject[:len(FramesSubject)] == FramesSubject &&
		subject[len(FramesSubject)] == '.' && subject[len(FramesSubject)+1:] == string(site)
}

// mapInterfaces gives each interface of the batch its index among the
// collector's interfaces, adding new ones.
func (c *Collector) mapInterfaces(site string, b *collBatch) {
	var grown []source.Interface
	for i, bi := range b.dec.Ifaces {
		key := [2]string{site, string(bi.Name)}
		idx, ok := c.ifIndex[key]
		if !ok || (*c.ifaces.Load())[idx].Segment != bi.Segment {
			if grown == nil {
				grown = slices.Clone(*c.ifaces.Load())
			}
			if ok {
				grown[idx].Segment = bi.Segment
			} else {
				idx = uint16(len(grown))
				grown = append(grown, source.Interface{Name: site + "/" + string(bi.Name), Segment: bi.Segment})
				c.ifIndex[key] = idx
			}
		}
		b.ifmap[i] = idx
	}
	if grown != nil {
		c.ifaces.Store(&grown)
	}
}

func (c *Collector) emit(e Event) {
	if c.cfg.OnEvent != nil {
		c.cfg.OnEvent(e)
	}
}

// Next returns the next forwarded frame. It waits in slices of 60 ms for
// one to arrive and returns ctx.Err() when ctx ends; it does not allocate.
func (c *Collector) Next(ctx context.Context, f *source.Frame) error {
	for {
		if b := c.cur; b != nil {
			if ok, _ := b.dec.Next(f); ok {
				f.Interface = b.ifmap[f.Interface]
				c.curN.Add(1)
				c.lastSite, c.lastMark = b.site, Mark{Run: b.run, Frame: b.frame}
				b.frame++
				return nil
			}
			c.cur = nil
			c.lastDone = b.seq
			if !c.cfg.ConsumerCommits {
				c.consumed.Store(b.seq)
			}
			c.finished.Add(1)
			c.free <- b
		}
		if c.closed.Load() {
			return ErrClosed
		}
		if !c.started.Load() {
			c.start() // nobody called Resume: read without marks
		}
		select {
		case c.cur = <-c.ready:
			c.startBatch()
			continue
		default:
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		c.waiting.Store(true)
		c.timer.Reset(pollSlice)
		select {
		case c.cur = <-c.ready:
			c.timer.Stop()
			c.startBatch()
		case <-c.timer.C:
			c.polls.Add(1)
		case <-ctx.Done():
			c.timer.Stop()
		case <-c.done:
			c.timer.Stop()
		}
		c.waiting.Store(false)
	}
}

// Mark returns the site and mark of the frame Next returned last ("" when
// none yet). A consumer that stores frames stores the mark of the last
// one with them, atomically, and hands the marks back as
// CollectorConfig.Resume when it starts again. It does not allocate; call
// it from Next's goroutine.
func (c *Collector) Mark() (site string, m Mark) { return c.lastSite, c.lastMark }

// FrameMark is Mark (source.Marked).
func (c *Collector) FrameMark() (site string, m Mark) { return c.lastSite, c.lastMark }

// Commit tells a collector with ConsumerCommits that the consumer has
// stored everything Next returned so far: the read position moves to the
// last batch Next finished, and is saved within 100 ms. A batch Next is
// still in is read again after a crash, its stored frames discarded by
// the consumer's marks. Call it from Next's goroutine.
func (c *Collector) Commit() {
	if c.cfg.ConsumerCommits && c.lastDone > c.consumed.Load() {
		c.consumed.Store(c.lastDone)
	}
}

func (c *Collector) startBatch() {
	c.curN.Store(0)
	c.curSeq.Store(c.cur.seq)
}

// EmptyPolls counts the slices Next waited and found nothing.
func (c *Collector) EmptyPolls() uint64 { return c.polls.Load() }

// CaughtUp reports whether Next is waiting with nothing queued
// (source.Progress).
func (c *Collector) CaughtUp() (caughtUp, ok bool) {
	return c.waiting.Load() && len(c.ready) == 0, true
}

// Interfaces lists the remote interfaces seen so far, "site/name".
func (c *Collector) Interfaces() []source.Interface { return *c.ifaces.Load() }

// housekeep saves the read position and replay state, and raises Probe
// Lost for sites gone quiet.
func (c *Collector) housekeep() {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	saved := uint64(0)
	for {
		select {
		case <-c.ctx.Done():
			c.commit(c.consumed.Load())
			c.saveState(c.consumed.Load())
			return
		case <-t.C:
		}
		if pos := c.consumed.Load(); pos != saved {
			c.commit(pos)
			c.saveState(pos)
			saved = pos
		}
		now := time.Now().UnixNano()
		var lost []string
		c.mu.Lock()
		for _, st := range c.sites {
			if st.Connected && now-st.LastSeen > int64(c.cfg.LostAfter) {
				st.Connected = false
				lost = append(lost, st.Site)
			}
		}
		c.mu.Unlock()
		for _, s := range lost {
			c.log.Warn("collector: probe lost", "site", s)
			c.emit(newEvent(EventProbeLost, s, "no batch from site %s for %v", s, c.cfg.LostAfter))
		}
	}
}

type savedState struct {
	Position uint64                 `json:"position"`            // last stream sequence consumed
	InSeq    uint64                 `json:"in_seq,omitempty"`    // the batch Next was in at Close
	InFrames uint64                 `json:"in_frames,omitempty"` // frames it had returned from it
	Sites    map[string]replayState `json:"sites"`
}

// commit moves the replay state of batches up to pos into committed.
func (c *Collector) commit(pos uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, p := range c.pend {
		if p.seq > pos {
			break
		}
		if p.site != "" {
			c.committed[p.site] = p.st
		}
		n++
	}
	c.pend = append(c.pend[:0], c.pend[n:]...)
}

func (c *Collector) statePath() string {
	if c.cfg.StateDir == "" {
		return ""
	}
	return filepath.Join(c.cfg.StateDir, "collector-state.json")
}

// saveState records the position, the replay state as of that position,
// and at Close how far Next got into the batch it was in, so the next
// run neither repeats nor skips a frame. After a crash, what Next
// returned since the last save (100 ms) is returned again.
func (c *Collector) saveState(pos uint64) {
	path := c.statePath()
	if path == "" {
		return
	}
	c.mu.Lock()
	st := savedState{Position: pos, Sites: maps.Clone(c.committed)}
	c.mu.Unlock()
	if c.closed.Load() && !c.cfg.ConsumerCommits {
		if seq := c.curSeq.Load(); seq > pos && c.curN.Load() > 0 {
			st.InSeq, st.InFrames = seq, c.curN.Load()
		}
	}
	b, _ := json.Marshal(st)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err == nil {
		os.Rename(tmp, path)
	}
}

func (c *Collector) loadState() uint64 {
	path := c.statePath()
	if path == "" {
		return 0
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	var st savedState
	if json.Unmarshal(b, &st) != nil || st.Position == 0 {
		return 0
	}
	for site, rs := range st.Sites {
		c.committed[site] = rs
		c.replay[site] = &rs
	}
	// A run that reads nothing saves this position again at Close, not 0.
	c.consumed.Store(st.Position)
	if st.InSeq == st.Position+1 {
		c.skipSeq, c.skipN = st.InSeq, st.InFrames
	}
	return st.Position + 1
}

// Sites reports every site the collector has heard from, by name.
func (c *Collector) Sites() []SiteStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]SiteStatus, 0, len(c.sites))
	for _, st := range c.sites {
		out = append(out, *st)
	}
	slices.SortFunc(out, func(a, b SiteStatus) int {
		if a.Site < b.Site {
			return -1
		}
		if a.Site > b.Site {
			return 1
		}
		return 0
	})
	return out
}

// Refused returns the refusal counters of batches; Address and
// Credentials are left for the server's owner to fill in.
func (c *Collector) Refused() Refused {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refused
}

// Close stops receiving, saves the position and shuts the embedded server
// down. Next then returns ErrClosed; a second Close does nothing.
func (c *Collector) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	close(c.done)
	c.cancel()
	c.iterMu.Lock()
	if c.iter != nil {
		c.iter.Stop()
	}
	c.iterMu.Unlock()
	c.nc.Close()
	c.wg.Wait()
	return nil
}
