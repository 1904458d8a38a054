package remote

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// ProbeConfig configures a forwarding probe.
type ProbeConfig struct {
	Site       string   // names this probe at the collectors (ValidSite)
	Collectors []string // NATS URLs of the collectors; each gets every batch
	Key        Key      // pre-shared key batches are sealed with
	// Segment, from 0 to 65534, replaces the segment of every forwarded
	// interface; -1 keeps the capture's own.
	Segment int
	// StoreDir, when the Queue server keeps its streams on disk, holds
	// the forwarders' positions too, so a restart resumes where it
	// stopped; empty keeps the queue in memory.
	StoreDir string
	// MaxBytes and MaxAge bound the local queue; the oldest batches are
	// dropped (and counted) beyond them. Defaults 1 GiB and 24 h.
	MaxBytes int64
	MaxAge   time.Duration
	// BatchBytes bounds one batch (default 1 MiB); FlushInterval is the
	// longest a frame waits for its batch to fill (default 100 ms).
	BatchBytes    int
	FlushInterval time.Duration
	// NoCompress sends batches as they are; by default each is
	// compressed (Compress) before it is sealed, when that makes it
	// smaller.
	NoCompress bool
	// Queue is the local NATS server with JetStream (natsd.Start with no
	// listen address) that holds batches until collectors have them.
	Queue nats.InProcessConnProvider
	// Relay makes a relay of a collector: Queue is the collector's own
	// server, and the probe forwards the sealed batches of its stream
	// (FramesStream) as they are, each on its site's subject with the
	// message ID its probe gave it, so that downstream collectors see the
	// original sites and remove what a restarted relay sends again. A
	// relay takes no frames (Add) and removes nothing from the stream; its
	// position per collector (kept in StoreDir) moves only over batches a
	// downstream collector acknowledged. Site then names the relay only.
	Relay bool
	// TLS for the links to the collectors (set Certificates for mutual
	// TLS); User and Password their NATS account.
	TLS            *tls.Config
	User, Password string
	// Nkey, when set, authenticates the probe to the collectors instead
	// of User and Password; a collector binds it to this probe's site.
	Nkey    Nkey
	Log     *slog.Logger
	OnEvent func(Event)
}

// Probe forwards frames to collectors through a local JetStream queue.
// Add is called by one goroutine, the capture's.
type Probe struct {
	cfg    ProbeConfig
	log    *slog.Logger
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	source string // the stream forwarded: the local queue, or a relay's collector stream
	sealer *Sealer

	// The encoder belongs to whoever holds owner: the capture goroutine
	// per frame, or the flush ticker when capture is quiet.
	owner    atomic.Int32
	flushReq atomic.Bool
	enc      *Encoder
	nIfaces  int
	nextSeq  uint64
	lastShip time.Time
	ifaces   []source.Interface

	free, full chan *plainBatch
	drops      atomic.Uint64 // capture drops reported by the caller

	queued   atomic.Uint64 // batches sealed into the local queue
	shipped  atomic.Uint64 // batches handed to the publisher
	frames   atomic.Uint64 // frames added
	fwd      []*forwarder
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	pubDone  chan struct{}
	closeErr error
	closed   bool
}

type plainBatch struct {
	data     []byte
	firstSeq uint64
	frames   uint32
}

// forwarder copies the local queue to one collector.
type forwarder struct {
	url       string
	posFile   string
	pos       atomic.Uint64 // next local stream sequence to forward
	connected atomic.Bool
	batches   atomic.Uint64
	frames    atomic.Uint64
	bytes     atomic.Uint64
	lost      atomic.Uint64 // frames dropped from the local queue before this collector had them
	lostBatch atomic.Uint64
	lastAck   atomic.Int64
	lastErr   atomic.Pointer[string] // why the link last failed
	failures  atomic.Uint64
	lagNs     atomic.Int64
	lastRun   uint64
	nextFrame uint64
}

// NewProbe starts a probe's local queue and its forwarders.
func NewProbe(cfg ProbeConfig) (*Probe, error) {
	if !ValidSite(cfg.Site) {
		return nil, fmt.Errorf("remote: site %q: use 1 to 64 letters, digits, '-' or '_'", cfg.Site)
	}
	if len(cfg.Collectors) == 0 {
		return nil, errors.New("remote: a probe needs at least one collector URL")
	}
	if cfg.Segment > 65534 {
		return nil, fmt.Errorf("remote: segment %d: at most 65534", cfg.Segment)
	}
	if cfg.BatchBytes > MaxBatchBytes {
		return nil, fmt.Errorf("remote: batch of %d bytes: at most %d", cfg.BatchBytes, MaxBatchBytes)
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 1 << 30
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 24 * time.Hour
	}
	if cfg.BatchBytes <= 0 {
		cfg.BatchBytes = 1 << 20
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = 100 * time.Millisecond
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	run := uint64(time.Now().UnixNano())
	sealer, err := NewSealer(cfg.Key, cfg.Site, run)
	if err != nil {
		return nil, err
	}
	p := &Probe{cfg: cfg, log: cfg.Log, sealer: sealer, enc: NewEncoder(cfg.BatchBytes), nextSeq: 1, lastShip: time.Now(),
		free: make(chan *plainBatch, 8), full: make(chan *plainBatch, 8), pubDone: make(chan struct{})}
	p.setInterfaces(nil)
	for range cap(p.free) {
		p.free <- &plainBatch{data: make([]byte, 0, cfg.BatchBytes+2*MaxCaptured)}
	}
	if cfg.Queue == nil {
		return nil, errors.New("remote: a probe needs its local queue server")
	}
	if p.nc, err = nats.Connect("", nats.InProcessServer(cfg.Queue), nats.Name("ptpwatch probe queue")); err != nil {
		return nil, fmt.Errorf("remote: local queue: %w", err)
	}
	p.js, _ = jetstream.New(p.nc)
	storage := jetstream.MemoryStorage
	if cfg.StoreDir != "" {
		storage = jetstream.FileStorage
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p.source = queueStream
	if cfg.Relay {
		p.source = FramesStream
		p.stream, err = p.js.Stream(ctx, FramesStream)
	} else {
		p.stream, err = p.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: queueStream, Subjects: []string{queueSubject},
			Storage: storage, MaxBytes: cfg.MaxBytes, MaxAge: cfg.MaxAge, Discard: jetstream.DiscardOld, Retention: jetstream.LimitsPolicy})
	}
	if err != nil {
		p.nc.Close()
		return nil, fmt.Errorf("remote: local queue stream %s: %w", p.source, err)
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	go p.publish()
	for _, u := range cfg.Collectors {
		f := &forwarder{url: u}
		if cfg.StoreDir != "" {
			sum := sha256.Sum256([]byte(u))
			f.posFile = filepath.Join(cfg.StoreDir, "forward-"+hex.EncodeToString(sum[:6])+".pos")
			if b, err := os.ReadFile(f.posFile); err == nil && len(b) == 8 {
				f.pos.Store(binary.BigEndian.Uint64(b))
			}
		}
		p.fwd = append(p.fwd, f)
		p.wg.Go(func() { p.forward(f) })
	}
	p.wg.Go(p.tick)
	return p, nil
}

func (p *Probe) lock() {
	for !p.owner.CompareAndSwap(0, 1) {
		runtime.Gosched()
	}
}

func (p *Probe) unlock() { p.owner.Store(0) }

// IsRelay reports whether p relays its collector's batches (ProbeConfig.Relay).
func (p *Probe) IsRelay() bool { return p.cfg.Relay }

// SetCaptureDrops tells the probe its capture's cumulative drop count, to
// carry in the next batches.
func (p *Probe) SetCaptureDrops(n uint64) { p.drops.Store(n) }

// Add queues a copy of f for forwarding; ifaces are the capture's
// interfaces, which f.Interface indexes. It does not allocate unless the
// interfaces changed, and waits only when the local queue's publisher is
// eight batches behind.
func (p *Probe) Add(f *source.Frame, ifaces []source.Interface) {
	if p.cfg.Relay {
		return
	}
	p.lock()
	if len(ifaces) != p.nIfaces {
		p.setInterfaces(ifaces)
	}
	if !p.enc.Add(f) {
		p.ship()
		p.enc.Add(f)
	}
	p.nextSeq++
	if p.flushReq.Load() {
		p.ship()
	}
	p.unlock()
	p.frames.Add(1)
}

func (p *Probe) setInterfaces(ifaces []source.Interface) {
	if p.enc.Len() > 0 {
		p.ship()
	}
	p.nIfaces = len(ifaces)
	p.ifaces = append(p.ifaces[:0], ifaces...)
	if p.cfg.Segment >= 0 {
		for i := range p.ifaces {
			p.ifaces[i].Segment = uint16(p.cfg.Segment)
		}
	}
	if len(p.ifaces) == 0 {
		p.ifaces = append(p.ifaces, source.Interface{Name: "capture"})
	}
	p.enc.SetInterfaces(p.ifaces)
	p.enc.Reset(p.nextSeq, Drops{Capture: p.drops.Load()})
}

// ship hands the batch to the publisher and starts the next. The caller
// holds the encoder.
func (p *Probe) ship() {
	p.flushReq.Store(false)
	p.shipped.Add(1)
	b := <-p.free
	b.firstSeq, b.frames = p.enc.FirstSeq(), uint32(p.enc.Len())
	b.data = p.enc.Swap(b.data) // the batch changes hands, not bytes
	p.full <- b
	p.enc.Reset(p.nextSeq, Drops{Capture: p.drops.Load()})
	p.lastShip = time.Now()
}

// Flush ships the frames added so far now.
func (p *Probe) Flush() {
	p.lock()
	if p.enc.Len() > 0 {
		p.ship()
	}
	p.unlock()
}

// tick ships a partial batch every FlushInterval, and an empty one (a
// heartbeat carrying the drop counters) after a quiet second.
func (p *Probe) tick() {
	t := time.NewTicker(p.cfg.FlushInterval)
	defer t.Stop()
	purge := time.Now()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-t.C:
		}
		if p.cfg.Relay {
			continue // the relayed probes send their own heartbeats
		}
		if p.owner.CompareAndSwap(0, 1) {
			if p.ctx.Err() != nil {
				p.unlock()
				return
			}
			if p.enc.Len() > 0 || time.Since(p.lastShip) >= time.Second {
				p.ship()
			}
			p.unlock()
		} else {
			p.flushReq.Store(true)
		}
		if time.Since(purge) >= time.Second {
			purge = time.Now()
			p.purgeForwarded()
		}
	}
}

// publish seals batches and stores them in the local queue, in order.
func (p *Probe) publish() {
	defer close(p.pubDone)
	plainMax := p.cfg.BatchBytes + 2*MaxCaptured + batchHeaderLen + frameHeaderLen
	env := make([]byte, 0, CompressedLen(plainMax)+256)
	var comp []byte
	if !p.cfg.NoCompress {
		comp = make([]byte, 0, CompressedLen(plainMax))
	}
	for b := range p.full {
		var h EnvelopeHeader
		data := b.data
		if comp != nil {
			if comp = Compress(comp[:0], b.data); len(comp) < len(data) {
				data = comp
			}
		}
		env, h = p.sealer.Seal(env[:0], data, b.firstSeq, b.frames)
		p.free <- b
		for attempt := 0; ; attempt++ {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := p.js.Publish(ctx, queueSubject, env)
			cancel()
			if err == nil {
				p.queued.Add(1)
				break
			}
			if attempt%10 == 0 {
				p.log.Warn("forward: cannot store a batch in the local queue; retrying", "err", err)
			}
			if p.ctx.Err() != nil && attempt > 2 {
				p.log.Error("forward: batch lost at shutdown", "frames", h.Frames)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// forward copies the local queue to one collector until the probe closes.
func (p *Probe) forward(f *forwarder) {
	opts := []nats.Option{nats.Name("ptpwatch probe " + p.cfg.Site), nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond), nats.ReconnectBufSize(-1), nats.Timeout(5 * time.Second),
		nats.ConnectHandler(func(*nats.Conn) { p.linkUp(f, true) }),
		nats.ReconnectHandler(func(*nats.Conn) { p.linkUp(f, true) }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { p.linkUp(f, false) }),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) { f.fail(err) }),
		// A refused publish (the subject not this site's) arrives here.
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { f.fail(err) }),
	}
	if p.cfg.TLS != nil {
		opts = append(opts, nats.Secure(p.cfg.TLS))
	}
	if !p.cfg.Nkey.IsZero() {
		opts = append(opts, p.cfg.Nkey.option())
	} else if p.cfg.User != "" {
		opts = append(opts, nats.UserInfo(p.cfg.User, p.cfg.Password))
	}
	nc, err := nats.Connect(f.url, opts...)
	if err != nil {
		p.log.Error("forward: collector URL", "url", f.url, "err", err)
		return
	}
	defer nc.Close()
	rjs, _ := jetstream.New(nc)
	backoff := 100 * time.Millisecond
	for p.ctx.Err() == nil {
		if !nc.IsConnected() {
			p.sleep(backoff)
			continue
		}
		if err := p.forwardSome(f, rjs); err != nil {
			if p.ctx.Err() != nil {
				return
			}
			f.fail(err)
			p.log.Debug("forward: collector not taking batches; retrying", "url", f.url, "err", err)
			p.sleep(backoff)
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
	}
}

func (p *Probe) sleep(d time.Duration) {
	select {
	case <-p.ctx.Done():
	case <-time.After(d):
	}
}

func (p *Probe) linkUp(f *forwarder, up bool) {
	if f.connected.Swap(up) == up {
		return
	}
	if up {
		p.log.Info("forward: collector connected", "url", f.url)
		p.emit(newEvent(EventProbeConnected, f.url, "site %s reached collector %s", p.cfg.Site, f.url))
	} else {
		p.log.Warn("forward: collector lost; batches wait in the local queue", "url", f.url)
		p.emit(newEvent(EventProbeLost, f.url, "site %s lost collector %s; batches wait in the local queue", p.cfg.Site, f.url))
	}
}

func (p *Probe) emit(e Event) {
	if p.cfg.OnEvent != nil {
		p.cfg.OnEvent(e)
	}
}

// forwardSome forwards what the local queue holds from the forwarder's
// position, a window at a time, and returns when the queue is drained or
// the collector fails to acknowledge.
func (p *Probe) forwardSome(f *forwarder, rjs jetstream.JetStream) error {
	ctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	cc := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if pos := f.pos.Load(); pos > 0 {
		cc = jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: pos}
	}
	cons, err := p.js.OrderedConsumer(ctx, p.source, cc)
	if err != nil {
		return err
	}
	expect := max(f.pos.Load(), 1) // the local sequence the next batch should have
	for ctx.Err() == nil {
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(250*time.Millisecond))
		if err != nil {
			return err
		}
		sent := 0
		for m := range batch.Messages() {
			meta, err := m.Metadata()
			if err != nil {
				return err
			}
			seq := meta.Sequence.Stream
			h, _, err := ParseEnvelope(m.Data())
			if err != nil || !ValidSite(string(h.Site)) {
				// Not a batch (a relay's collector refuses and counts it).
				expect = seq + 1
				f.pos.Store(seq + 1)
				continue
			}
			p.noteLoss(f, expect, seq, h)
			expect = seq + 1
			site := string(h.Site)
			subject := FramesSubject + "." + site
			id := site + "." + strconv.FormatUint(h.Run, 36) + "." + strconv.FormatUint(h.Seq, 36)
			// One batch at a time: with several in flight, one that fails
			// while a later one is stored would reach the collector out of
			// order when it is sent again.
			pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
			_, err = rjs.PublishMsg(pctx, &nats.Msg{Subject: subject, Data: m.Data()}, jetstream.WithMsgID(id))
			pcancel()
			if err != nil {
				return err
			}
			f.pos.Store(seq + 1)
			f.batches.Add(1)
			f.frames.Add(uint64(h.Frames))
			f.bytes.Add(uint64(len(m.Data())))
			now := time.Now().UnixNano()
			f.lastAck.Store(now)
			f.lagNs.Store(now - h.Sealed)
			sent++
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		if sent > 0 {
			f.savePos()
		}
		if sent == 0 {
			return nil
		}
	}
	return ctx.Err()
}

// noteLoss counts batches the local queue dropped before this forwarder
// had them: a jump in the queue's sequence.
func (p *Probe) noteLoss(f *forwarder, expect, seq uint64, h EnvelopeHeader) {
	lostBatches := uint64(0)
	if expect > 0 && seq > expect {
		lostBatches = seq - expect
	}
	var lostFrames uint64
	switch {
	case f.lastRun == h.Run && h.FirstSeq > f.nextFrame:
		lostFrames = h.FirstSeq - f.nextFrame
	case f.lastRun == 0 && lostBatches > 0 && h.FirstSeq > 1:
		lostFrames = h.FirstSeq - 1 // nothing forwarded yet: the run's frames count from 1
	}
	f.lastRun, f.nextFrame = h.Run, h.FirstSeq+uint64(h.Frames)
	if lostBatches == 0 {
		return
	}
	f.lostBatch.Add(lostBatches)
	f.lost.Add(lostFrames)
	p.log.Warn("forward: the local queue dropped batches before they reached the collector", "url", f.url,
		"batches", lostBatches, "frames", lostFrames)
	e := newEvent(EventForwardingLoss, f.url, "site %s: %d batches (%d frames) dropped from the local queue before reaching %s",
		p.cfg.Site, lostBatches, lostFrames, f.url)
	e.Lost = lostFrames
	p.emit(e)
}

func (f *forwarder) fail(err error) {
	if err == nil {
		return
	}
	s := err.Error()
	f.lastErr.Store(&s)
	f.failures.Add(1)
}

func (f *forwarder) savePos() {
	if f.posFile == "" {
		return
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], f.pos.Load())
	tmp := f.posFile + ".tmp"
	if err := os.WriteFile(tmp, b[:], 0o600); err == nil {
		os.Rename(tmp, f.posFile)
	}
}

// purgeForwarded removes from the local queue what every collector has;
// a relay leaves its collector's stream to the collector's retention.
func (p *Probe) purgeForwarded() {
	if p.cfg.Relay {
		return
	}
	low := uint64(0)
	for i, f := range p.fwd {
		pos := f.pos.Load()
		if i == 0 || pos < low {
			low = pos
		}
	}
	if low <= 1 {
		return
	}
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	p.stream.Purge(ctx, jetstream.WithPurgeSequence(low))
}

// ForwardStatus is one collector link of a probe.
type ForwardStatus struct {
	URL           string `json:"url"`
	Connected     bool   `json:"connected"`
	Batches       uint64 `json:"batches_forwarded"`
	Frames        uint64 `json:"frames_forwarded"`
	Bytes         uint64 `json:"bytes_forwarded"`
	QueuedBatches uint64 `json:"queued_batches"`
	LostBatches   uint64 `json:"dropped_batches"`
	LostFrames    uint64 `json:"dropped_frames"`
	LastAck       int64  `json:"last_ack_ns,omitempty"`
	LagNs         int64  `json:"lag_ns"`
	Failures      uint64 `json:"link_failures"`
	LastError     string `json:"last_error,omitempty"`
}

// ProbeStatus is what a probe reports of itself.
type ProbeStatus struct {
	Site        string          `json:"site"`
	Frames      uint64          `json:"frames"`
	Batches     uint64          `json:"batches_queued_total"`
	QueueBytes  uint64          `json:"queue_bytes"`
	QueueMsgs   uint64          `json:"queue_batches"`
	QueueLimit  int64           `json:"queue_limit_bytes"`
	CaptureDrop uint64          `json:"capture_drops"`
	Collectors  []ForwardStatus `json:"collectors"`
}

// Status reports the probe's counters and each collector link.
func (p *Probe) Status() ProbeStatus {
	s := ProbeStatus{Site: p.cfg.Site, Frames: p.frames.Load(), Batches: p.queued.Load(), QueueLimit: p.cfg.MaxBytes, CaptureDrop: p.drops.Load()}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var last uint64
	if info, err := p.stream.Info(ctx); err == nil {
		s.QueueBytes, s.QueueMsgs, last = info.State.Bytes, info.State.Msgs, info.State.LastSeq
	}
	for _, f := range p.fwd {
		fs := ForwardStatus{URL: f.url, Connected: f.connected.Load(), Batches: f.batches.Load(), Frames: f.frames.Load(),
			Bytes: f.bytes.Load(), LostBatches: f.lostBatch.Load(), LostFrames: f.lost.Load(), LastAck: f.lastAck.Load(), LagNs: f.lagNs.Load(),
			Failures: f.failures.Load()}
		if e := f.lastErr.Load(); e != nil {
			fs.LastError = *e
		}
		if pos := max(f.pos.Load(), 1); last+1 > pos {
			fs.QueuedBatches = last + 1 - pos
		}
		s.Collectors = append(s.Collectors, fs)
	}
	return s
}

// Drain waits until every collector has every batch queued so far, or
// until ctx ends.
func (p *Probe) Drain(ctx context.Context) error {
	p.Flush()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if p.shipped.Load() != p.queued.Load() {
			continue
		}
		info, err := p.stream.Info(ctx)
		if err != nil {
			continue
		}
		done := true
		for _, f := range p.fwd {
			if f.pos.Load() <= info.State.LastSeq {
				done = false
			}
		}
		if done {
			return nil
		}
	}
}

// Close ships what is left into the local queue and stops forwarding;
// what has not reached a collector stays queued (on disk with StoreDir)
// for the next start.
func (p *Probe) Close() error {
	if p.closed {
		return p.closeErr
	}
	p.closed = true
	p.cancel()
	p.lock()
	if p.enc.Len() > 0 {
		p.ship()
	}
	close(p.full)
	p.unlock()
	<-p.pubDone
	p.wg.Wait()
	p.nc.Close()
	return nil
}
