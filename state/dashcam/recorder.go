package dashcam

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/store"
)

// DefaultTriggers are the event types that start a recording unless
// RecorderOptions.Triggers says otherwise.
var DefaultTriggers = []state.EventType{
	state.GrandmasterChanged, state.PortStateChanged, state.GrandmasterQualityChanged, state.MasterSilent,
}

// ErrUnknownScope is returned by Trigger for a scope name no frame has
// carried yet.
var ErrUnknownScope = errors.New("dashcam: no frames seen of that scope")

// RecorderOptions configure a Recorder. Every default is stated with its
// field.
type RecorderOptions struct {
	// Triggers are the event types that start (or extend) a recording.
	// nil means DefaultTriggers; an empty non-nil slice means only manual
	// triggers.
	Triggers []state.EventType
	// Scopes limits event triggers to events of these scopes (the names
	// ScopeKey.String gives). Empty: events of any scope.
	Scopes []string
	// AllScopes records every scope, and frames that are not PTP, around
	// a trigger instead of only the trigger's scope.
	AllScopes bool
	// Pre and Post are how much before and after a trigger is recorded,
	// in capture time. 0 means 30 s each; negative means none.
	Pre, Post time.Duration
	// Archive writes every frame to the continuous archive.
	Archive bool
	// HandoffBytes is the size of the hand-off log between the capture
	// path and the recorder. 0 means 64 MiB.
	HandoffBytes int
	// ChunkBytes is the size of the frame chunks stored (one Pebble value
	// each). 0 means 64 KiB.
	ChunkBytes int
	// FlushInterval is the longest a received frame waits in memory before
	// it is written (not synced). 0 means 250 ms.
	FlushInterval time.Duration
	// SyncInterval is how often the write-ahead log is synced while
	// frames are being written. 0 means 1 s.
	SyncInterval time.Duration
	// IdleClose: when no frame has arrived for this long (wall clock),
	// capture time is taken to advance with the wall clock, so that a
	// recording ends on a quiet link. 0 means 2 s.
	IdleClose time.Duration
	// PersistEvents stores every event of the watched EventLog (see Watch).
	PersistEvents bool
}

func (o *RecorderOptions) defaults() {
	if o.Triggers == nil {
		o.Triggers = DefaultTriggers
	}
	if o.Pre == 0 {
		o.Pre = 30 * time.Second
	}
	if o.Post == 0 {
		o.Post = 30 * time.Second
	}
	o.Pre, o.Post = max(o.Pre, 0), max(o.Post, 0)
	if o.HandoffBytes <= 0 {
		o.HandoffBytes = 64 << 20
	}
	if o.ChunkBytes <= 0 {
		o.ChunkBytes = 64 << 10
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = 250 * time.Millisecond
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = time.Second
	}
	if o.IdleClose <= 0 {
		o.IdleClose = 2 * time.Second
	}
}

// chunkSpan is the longest capture-time span of one archive chunk; export
// of a range starts this much earlier to find the chunks that reach in.
const chunkSpan = int64(time.Second)

// batchCommitBytes is the size at which the recorder commits its batch.
// Pebble keeps a batch's buffer for reuse only up to 1 MiB; staying under
// that avoids allocating (and faulting in) a fresh buffer per commit.
const batchCommitBytes = 448 << 10

// maxTriggers is how many triggers an incident lists; later ones only
// extend it and are counted.
const maxTriggers = 64

var zeroHeader [recHeader]byte

// maxIfaces is how many interface indexes the recorder learns link types
// for; frames on higher indexes are taken to be Ethernet.
const maxIfaces = 256

// RecorderStats are a Recorder's counters.
type RecorderStats struct {
	Frames      uint64   // frames taken from the hand-off
	Dropped     uint64   // frames the hand-off had no room for
	Repaired    uint64   // missing frames recovered from the RAM buffer
	Lost        uint64   // frames neither handed off nor found in the RAM buffer
	Archived    uint64   // frames written to the archive
	ArchiveLost uint64   // frames the archive missed (disk trouble, loss)
	Recording   []uint64 // incidents being recorded
	HandoffSize int      // bytes of the hand-off log
	HandoffUsed int      // bytes waiting in it
}

// Recorder is the dashcam: it takes frames from the capture path through
// a hand-off that never blocks it, records incidents around triggers
// (events and manual ones), and optionally archives every frame. See the
// package documentation.
type Recorder struct {
	s   *Store
	buf *ring.Buffer
	o   RecorderOptions
	h   *handoff

	armed atomic.Bool

	// Producer side: only the goroutine calling Ingest / OnStored.
	lastTag uint32
	known   map[uint32]struct{}
	links   [maxIfaces]atomic.Uint32 // link type + 1 per interface index

	scopeMu   sync.Mutex
	scopeTags map[string][]uint32

	ifMu   sync.Mutex
	ifaces []string
	follow func() []string // FollowInterfaces; nil: the names are fixed
	// lastFollow is when housekeeping last asked follow; recorder goroutine.
	lastFollow int64

	frames, dropped, repaired, lost, archived, arcLost atomic.Uint64
	statMu                                             sync.Mutex
	recIDs                                             []uint64

	trig    chan trigReq
	syncReq chan chan error
	evMu    sync.Mutex
	events  chan state.Event
	log     *state.EventLog
	running atomic.Bool

	// Consumer side: only the Run goroutine.
	pos       uint64
	lastSeen  uint64 // newest RAM buffer frame number accounted for
	now       int64  // newest capture time processed
	nowWall   int64  // wall time when now last advanced
	wall      int64  // wall clock at the start of the current pass
	active    []*recording
	arc       chunk
	batch     *pebble.Batch
	arcQueued uint64 // archive frames in batch
	dirty     bool   // written without sync since the last sync
	lastSync  int64
	lastHouse int64
	ramRec    ring.Record
	scratch   []byte
	recent    []finished // the latest incidents finished, oldest first
}

// finished remembers an incident that was recorded, so that a later
// trigger reaching back into its window does not store its frames again.
type finished struct {
	id       uint64
	from, to int64
	all      bool
	tags     []uint32
}

// maxRecent is how many finished incidents a Recorder remembers.
const maxRecent = 16

// recording is an incident being recorded.
type recording struct {
	inc      Incident
	all      bool
	tags     []uint32
	cur      chunk
	stored   uint64 // frames committed
	queued   uint64 // frames in the pending batch
	bytesQ   uint64 // their captured bytes
	progress int64  // wall time of the last progress write
	closing  bool   // window over; final description not yet written
	stopped  string // why recording stopped before the window ended
	triggers int    // triggers received, including those not listed
}

type trigReq struct {
	tr     Trigger
	at     bool // tr.Time is set; otherwise now
	scopes []string
	reply  chan trigReply
}

type trigReply struct {
	id  uint64
	err error
}

// NewRecorder returns a recorder writing to s. buf is the pipeline's RAM
// capture buffer: the pre-trigger window comes from it, and frames the
// hand-off had no room for are recovered from it while it holds them. It
// may be nil (no pre-trigger window then). Call Run to start it.
func NewRecorder(s *Store, buf *ring.Buffer, opts RecorderOptions) *Recorder {
	opts.defaults()
	r := &Recorder{
		s: s, buf: buf, o: opts,
		h:         newHandoff(opts.HandoffBytes),
		known:     map[uint32]struct{}{},
		scopeTags: map[string][]uint32{},
		trig:      make(chan trigReq),
		syncReq:   make(chan chan error),
		batch:     s.NewBatchWithSize(1 << 20),
	}
	r.arc.reset()
	if opts.Archive {
		r.arm()
	}
	return r
}

// SetInterfaces names the capture interfaces by the index frames carry
// (ring.RecordMeta.IfIndex). Incidents and archive exports use the names.
func (r *Recorder) SetInterfaces(names []string) {
	r.ifMu.Lock()
	r.ifaces = slices.Clone(names)
	r.ifMu.Unlock()
	_ = r.s.putInterfaces(r.interfaces())
}

// FollowInterfaces names the interfaces by names() now and, once a second
// while recording, again: for a source whose interfaces grow as it runs
// (a collector learning probe sites), new names reach the archive's
// interface table and the incidents being recorded. names must be safe to
// call from any goroutine.
func (r *Recorder) FollowInterfaces(names func() []string) {
	r.ifMu.Lock()
	r.follow = names
	r.ifMu.Unlock()
	r.SetInterfaces(names())
}

// followInterfaces takes new interface names from follow, if any, into
// the store and the active incidents, at most once a second unless
// forced (an incident is about to be finished). Recorder goroutine.
func (r *Recorder) followInterfaces(force bool) {
	r.ifMu.Lock()
	f, known := r.follow, len(r.ifaces)
	r.ifMu.Unlock()
	if f == nil || !force && r.wall-r.lastFollow < int64(time.Second) {
		return
	}
	r.lastFollow = r.wall
	names := f()
	if len(names) <= known {
		return
	}
	r.SetInterfaces(names)
	ifs := r.interfaces()
	for _, a := range r.active {
		a.inc.Interfaces = ifs
	}
}

// interfaces returns the named interfaces with their learned link types.
func (r *Recorder) interfaces() []Interface {
	r.ifMu.Lock()
	defer r.ifMu.Unlock()
	n := len(r.ifaces)
	for i := n; i < maxIfaces; i++ {
		if r.links[i].Load() != 0 {
			n = i + 1
		}
	}
	out := make([]Interface, n)
	for i := range out {
		if i < len(r.ifaces) {
			out[i].Name = r.ifaces[i]
		}
		out[i].Link = r.linkOf(uint16(i))
	}
	return out
}

func (r *Recorder) linkOf(ifIndex uint16) uint16 {
	if ifIndex < maxIfaces {
		if l := r.links[ifIndex].Load(); l != 0 {
			return uint16(l - 1)
		}
	}
	return uint16(decode.LinkEthernet)
}

// OnStored is a pipeline.Pipeline OnStored hook: it learns scope names and
// link types and hands the frame to Ingest under its RAM buffer number n.
// It must run on the pipeline's reading goroutine. It does not block, and
// does not allocate except the first time it sees a scope.
func (r *Recorder) OnStored(n uint64, m *ring.RecordMeta, link decode.LinkType, data []byte, o *state.Observation) {
	if o != nil && m.Scope != r.lastTag {
		r.lastTag = m.Scope
		if _, seen := r.known[m.Scope]; !seen {
			r.known[m.Scope] = struct{}{}
			r.learnScope(o.Scope.String(), m.Scope)
		}
	}
	if m.IfIndex < maxIfaces && r.links[m.IfIndex].Load() != uint32(link)+1 {
		r.links[m.IfIndex].Store(uint32(link) + 1)
	}
	if !r.armed.Load() {
		return
	}
	if r.buf == nil {
		n = 0
	}
	r.Ingest(n, m, uint16(link), data)
}

// learnScope records that frames of the scope called name carry tag.
func (r *Recorder) learnScope(name string, tag uint32) {
	r.scopeMu.Lock()
	if !slices.Contains(r.scopeTags[name], tag) {
		r.scopeTags[name] = append(r.scopeTags[name], tag)
	}
	r.scopeMu.Unlock()
}

// LearnScope tells the recorder that frames of the scope called name carry
// scope tag tag. OnFrame does this itself; Ingest callers must.
func (r *Recorder) LearnScope(name string, tag uint32) { r.learnScope(name, tag) }

// Ingest hands one frame to the recorder: n is its number in the RAM
// capture buffer (0 when it is not there), m its capture facts and tags,
// link its link type. It reports whether the frame was taken: false when
// nothing is being recorded (the frame is not needed) or when the
// hand-off is full (the frame is counted as dropped and recovered from the
// RAM buffer if it still holds it). Only one goroutine may call it. It
// does not block and does not allocate.
func (r *Recorder) Ingest(n uint64, m *ring.RecordMeta, link uint16, data []byte) bool {
	if !r.armed.Load() {
		return false
	}
	if !r.h.push(n, m, link, data) {
		r.dropped.Add(1)
		return false
	}
	return true
}

// Watch subscribes the recorder to log: events of the trigger types start
// recordings, and with PersistEvents every event is stored. Call it before
// Run.
func (r *Recorder) Watch(log *state.EventLog) {
	r.evMu.Lock()
	defer r.evMu.Unlock()
	r.log = log
	r.events = log.Subscribe(4096)
}

// Trigger records an incident around the newest capture time for the
// named scopes (all scopes when none are named), or extends the incident
// being recorded, and returns its id. note is stored with the trigger.
func (r *Recorder) Trigger(ctx context.Context, note string, scopes []string) (uint64, error) {
	return r.trigger(ctx, trigReq{tr: Trigger{Type: ManualTrigger, Detail: note}, scopes: scopes})
}

// TriggerAt is Trigger around capture time t (ns since 1970-01-01).
func (r *Recorder) TriggerAt(ctx context.Context, t int64, note string, scopes []string) (uint64, error) {
	return r.trigger(ctx, trigReq{tr: Trigger{Time: t, Type: ManualTrigger, Detail: note}, at: true, scopes: scopes})
}

func (r *Recorder) trigger(ctx context.Context, q trigReq) (uint64, error) {
	q.reply = make(chan trigReply, 1)
	select {
	case r.trig <- q:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	select {
	case rep := <-q.reply:
		return rep.id, rep.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// Sync waits until the recorder has processed every frame handed over
// before the call and every event its watched log received before the
// call, closed the incidents whose window has passed and
// written everything (synced).
func (r *Recorder) Sync(ctx context.Context) error {
	ch := make(chan error, 1)
	select {
	case r.syncReq <- ch:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats returns the recorder's counters.
func (r *Recorder) Stats() RecorderStats {
	r.statMu.Lock()
	ids := slices.Clone(r.recIDs)
	r.statMu.Unlock()
	return RecorderStats{
		Frames: r.frames.Load(), Dropped: r.dropped.Load(), Repaired: r.repaired.Load(), Lost: r.lost.Load(),
		Archived: r.archived.Load(), ArchiveLost: r.arcLost.Load(), Recording: ids,
		HandoffSize: len(r.h.buf), HandoffUsed: r.h.used(),
	}
}

// Run records until ctx ends, then writes what it holds, marks incidents
// still recording incomplete and returns nil. Only one Run may be active.
func (r *Recorder) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("dashcam: recorder already running")
	}
	defer r.running.Store(false)
	r.evMu.Lock()
	events := r.events
	r.evMu.Unlock()
	r.pos = r.h.position()
	r.wall = time.Now().UnixNano()
	r.nowWall = r.wall
	r.lastSync, r.lastHouse = r.wall, r.wall
	idle := time.NewTimer(time.Hour)
	defer idle.Stop()
	for {
		r.wall = time.Now().UnixNano()
		n := r.drain(8192)
		if n == 0 || r.wall-r.lastHouse >= int64(20*time.Millisecond) {
			r.housekeeping(n == 0)
		}
		select {
		case <-ctx.Done():
			r.shutdown()
			return nil
		case q := <-r.trig:
			r.handleTrigger(q)
			continue
		case e, ok := <-events:
			if !ok {
				events = nil
			} else {
				r.handleEvent(e)
			}
			continue
		case ch := <-r.syncReq:
			events = r.pendingEvents(events)
			ch <- r.syncAll()
			continue
		default:
		}
		if n > 0 {
			continue
		}
		wait := 2 * time.Millisecond
		if !r.armed.Load() {
			wait = 50 * time.Millisecond
		}
		idle.Reset(wait)
		select {
		case <-ctx.Done():
			r.shutdown()
			return nil
		case q := <-r.trig:
			r.handleTrigger(q)
		case e, ok := <-events:
			if !ok {
				events = nil
			} else {
				r.handleEvent(e)
			}
		case ch := <-r.syncReq:
			events = r.pendingEvents(events)
			ch <- r.syncAll()
		case <-idle.C:
		}
	}
}

// pendingEvents handles the events already queued, so that Sync answers
// for every event added to the log before it was called (select would
// otherwise pick the sync request first as often as not). It returns nil
// when the log closed the channel.
func (r *Recorder) pendingEvents(events chan state.Event) chan state.Event {
	for {
		select {
		case e, ok := <-events:
			if !ok {
				return nil
			}
			r.handleEvent(e)
		default:
			return events
		}
	}
}

// drain processes up to max hand-off entries and returns how many.
func (r *Recorder) drain(max int) int {
	pos := r.pos
	k := 0
	for k < max {
		n, rec, next, ok := r.h.peek(pos)
		if !ok {
			break
		}
		r.take(n, rec)
		pos = next
		k++
		if k&255 == 0 {
			r.h.release(pos)
		}
	}
	r.h.release(pos)
	r.pos = pos
	if k > 0 {
		r.frames.Add(uint64(k))
	}
	return k
}

// take processes one handed-off frame numbered n in the RAM buffer.
func (r *Recorder) take(n uint64, rec []byte) {
	if n != 0 && r.buf != nil {
		if n <= r.lastSeen {
			return // already saved from the RAM buffer
		}
		if n > r.lastSeen+1 {
			r.repair(n - 1)
		}
		r.lastSeen = n
	}
	r.save(rec)
}

// repair saves the frames after lastSeen up to and including upTo from
// the RAM buffer, counting those it no longer holds as lost.
func (r *Recorder) repair(upTo uint64) {
	for m := r.lastSeen + 1; m <= upTo; m++ {
		if !r.buf.Get(m, &r.ramRec) {
			r.lost.Add(1)
			if r.o.Archive {
				r.arcLost.Add(1)
			}
			for _, a := range r.active {
				if !a.closing {
					a.inc.Lost++
				}
			}
			continue
		}
		r.repaired.Add(1)
		r.save(r.encodeRAM(&r.ramRec))
	}
	r.lastSeen = max(r.lastSeen, upTo)
}

// encodeRAM encodes a RAM buffer record as a frame record in scratch.
func (r *Recorder) encodeRAM(rec *ring.Record) []byte {
	need := recHeader + len(rec.Data)
	if cap(r.scratch) < need {
		r.scratch = make([]byte, need, max(need, 2048))
	}
	b := r.scratch[:need]
	putRecordHeader(b, &rec.RecordMeta, r.linkOf(rec.IfIndex), len(rec.Data))
	copy(b[recHeader:], rec.Data)
	return b
}

// save stores one frame record in the archive and in the incidents that
// want it.
func (r *Recorder) save(rec []byte) {
	t := recordTime(rec)
	if t > r.now {
		r.now, r.nowWall = t, r.wall
	}
	paused := r.s.isPaused()
	if r.o.Archive {
		if paused {
			r.arcLost.Add(1)
		} else {
			r.archive(rec, t)
		}
	}
	for _, a := range r.active {
		if a.closing || t < a.inc.From || t > a.inc.To || !a.wants(recordScope(rec)) {
			continue
		}
		if paused {
			a.inc.Lost++
			continue
		}
		r.addTo(a, rec)
	}
}

func (a *recording) wants(scope uint32) bool {
	return a.all || slices.Contains(a.tags, scope)
}

func (r *Recorder) archive(rec []byte, t int64) {
	c := &r.arc
	if !c.empty() && (c.size()+len(rec) > r.o.ChunkBytes || t-c.key >= chunkSpan || t < c.key-chunkSpan) {
		r.flushArchive()
	}
	if c.empty() {
		c.key = t
	}
	c.add(rec, r.wall)
}

func (r *Recorder) flushArchive() {
	c := &r.arc
	if c.empty() {
		return
	}
	seq := r.s.arcSeq.Add(1)
	var k [17]byte
	_ = r.batch.Set(archiveKey(k[:0], c.key, seq), c.value(), nil)
	r.arcQueued += uint64(c.count)
	if c.last > r.s.arcNewest.Load() {
		r.s.arcNewest.Store(c.last)
	}
	c.reset()
	if r.batch.Len() >= batchCommitBytes {
		r.commit(false)
	}
}

func (r *Recorder) addTo(a *recording, rec []byte) {
	if !a.cur.empty() && a.cur.size()+len(rec) > r.o.ChunkBytes {
		r.flushIncident(a)
	}
	a.cur.add(rec, r.wall)
	a.inc.Frames++
	a.inc.Bytes += uint64(len(rec) - recHeader)
	t := recordTime(rec)
	if a.inc.First == 0 || t < a.inc.First {
		a.inc.First = t
	}
	a.inc.Last = max(a.inc.Last, t)
}

func (r *Recorder) flushIncident(a *recording) {
	c := &a.cur
	if c.empty() {
		return
	}
	var k [17]byte
	_ = r.batch.Set(framesKey(k[:0], a.inc.ID, a.stored+a.queued), c.value(), nil)
	a.queued += uint64(c.count)
	a.bytesQ += uint64(c.size() - chunkHeader - c.count*recHeader)
	c.reset()
	if r.batch.Len() >= batchCommitBytes {
		r.commit(false)
	}
}

// commit writes the pending batch. Frames it held are counted as lost
// when the write fails.
func (r *Recorder) commit(sync bool) error {
	if r.batch.Empty() {
		return nil
	}
	err := r.s.Write(r.batch, sync)
	for _, a := range r.active {
		if err == nil {
			a.stored += a.queued
		} else {
			a.inc.Lost += a.queued
			a.inc.Frames -= a.queued
			a.inc.Bytes -= a.bytesQ
			// Later frames take the lost ones' numbers.
			for i, m := range a.inc.Runs {
				if m > a.stored {
					a.inc.Runs[i] = max(a.stored, m-min(m, a.queued))
				}
			}
		}
		a.queued, a.bytesQ = 0, 0
	}
	if err == nil {
		r.archived.Add(r.arcQueued)
		r.dirty = r.dirty || !sync
	} else {
		r.arcLost.Add(r.arcQueued)
	}
	r.arcQueued = 0
	r.batch.Reset() // keeps the buffer: commits happen before it passes 1 MiB
	return err
}

// housekeeping flushes chunks that waited long enough, writes progress,
// ends recordings whose window has passed, syncs and disarms.
func (r *Recorder) housekeeping(idle bool) {
	r.lastHouse = r.wall
	r.followInterfaces(false)
	flushBefore := r.wall - int64(r.o.FlushInterval)
	if !r.arc.empty() && r.arc.opened <= flushBefore {
		r.flushArchive()
	}
	for _, a := range r.active {
		if !a.cur.empty() && a.cur.opened <= flushBefore {
			r.flushIncident(a)
		}
	}
	// Capture time, advanced by the wall clock on a quiet link.
	now := r.now
	quiet := idle && r.wall-r.nowWall >= int64(r.o.IdleClose)
	if quiet {
		now += r.wall - r.nowWall
	}
	ending := false
	for _, a := range r.active {
		if !a.closing && now > a.inc.To {
			ending = true
		}
	}
	if ending && idle && r.buf != nil {
		// Frames the producer stored but did not hand off (around arming).
		if last := r.buf.Last(); last > r.lastSeen {
			r.repair(last)
		}
	}
	for _, a := range r.active {
		if !a.closing && now > a.inc.To {
			a.closing = true
			r.flushIncident(a)
		} else if !a.closing && r.wall-a.progress >= int64(time.Second) {
			r.flushIncident(a)
			a.progress = r.wall
			_ = r.s.addIncident(r.batch, r.progressView(a))
		}
	}
	if r.closeFinished() {
		r.lastSync = r.wall
		r.dirty = false
	}
	r.commit(false)
	if r.dirty && r.wall-r.lastSync >= int64(r.o.SyncInterval) {
		if err := r.s.SyncWAL(); err == nil {
			r.dirty = false
		}
		r.lastSync = r.wall
	}
	if len(r.active) == 0 && !r.o.Archive && r.armed.Load() && r.h.used() == 0 {
		r.armed.Store(false)
	}
}

// progressView is a's description as a progress write stores it: counts
// of what is committed or in the pending batch.
func (r *Recorder) progressView(a *recording) *Incident {
	p := a.inc
	p.Triggers = slices.Clone(a.inc.Triggers)
	p.Runs = slices.Clone(a.inc.Runs)
	p.Frames = a.stored + a.queued
	p.Bytes = a.inc.Bytes - uint64(a.cur.size()-chunkHeader-a.cur.count*recHeader)
	return &p
}

// closeFinished writes the final description of recordings whose window
// ended, with their last frames, in one synced batch. It reports whether
// it synced.
func (r *Recorder) closeFinished() bool {
	var done []*recording
	for _, a := range r.active {
		if a.closing {
			done = append(done, a)
		}
	}
	if len(done) == 0 || r.s.isPaused() {
		return false
	}
	r.followInterfaces(true)
	for _, a := range done {
		r.flushIncident(a)
		r.finalize(a)
		_ = r.s.addIncident(r.batch, &a.inc)
	}
	if err := r.commit(true); err != nil {
		// Counted as lost by commit; the descriptions are written again
		// once writing resumes (or recovery marks them incomplete).
		return false
	}
	r.active = slices.DeleteFunc(r.active, func(a *recording) bool { return a.closing })
	for _, a := range done {
		r.s.finished(a.inc.ID)
		r.recent = append(r.recent, finished{a.inc.ID, a.inc.From, a.inc.To, a.all, a.tags})
		if len(r.recent) > maxRecent {
			r.recent = r.recent[1:]
		}
	}
	r.publishIDs()
	return true
}

// finalize sets a's final state and counts. It may run more than once
// when writing the result fails.
func (r *Recorder) finalize(a *recording) {
	a.inc.Frames = a.stored + a.queued
	if a.inc.Ended == 0 {
		a.inc.Ended = r.wall
	}
	a.inc.State, a.inc.Reason = StateComplete, ""
	if a.inc.Lost > 0 {
		a.inc.State = StateIncomplete
		a.inc.Reason = "frames of the window were lost (hand-off overflow or disk trouble)"
	}
	if a.stopped != "" {
		a.inc.State = StateIncomplete
		a.inc.Reason = appendReason(a.inc.Reason, a.stopped)
	}
}

func (r *Recorder) publishIDs() {
	ids := make([]uint64, 0, len(r.active))
	for _, a := range r.active {
		ids = append(ids, a.inc.ID)
	}
	r.statMu.Lock()
	r.recIDs = ids
	r.statMu.Unlock()
}

// syncAll drains the hand-off, ends due recordings, writes and syncs.
func (r *Recorder) syncAll() error {
	r.wall = time.Now().UnixNano()
	for r.drain(1<<16) > 0 {
		r.wall = time.Now().UnixNano()
	}
	r.housekeeping(true)
	r.flushArchive()
	for _, a := range r.active {
		r.flushIncident(a)
	}
	if err := r.commit(false); err != nil {
		return err
	}
	if err := r.s.SyncWAL(); err != nil {
		return err
	}
	r.dirty = false
	return nil
}

// shutdown ends recording when Run's context ends.
func (r *Recorder) shutdown() {
	r.evMu.Lock()
	if r.log != nil {
		r.log.Unsubscribe(r.events)
		r.log = nil
	}
	r.evMu.Unlock()
	r.wall = time.Now().UnixNano()
	for r.drain(1<<16) > 0 {
	}
	if !r.o.Archive {
		r.armed.Store(false)
	}
	r.flushArchive()
	for _, a := range r.active {
		r.flushIncident(a)
		if !a.closing {
			a.closing = true
			a.stopped = "recording stopped before the window ended (ptpwatch shut down)"
		}
		r.finalize(a)
		_ = r.s.addIncident(r.batch, &a.inc)
	}
	if r.commit(true) == nil {
		for _, a := range r.active {
			r.s.finished(a.inc.ID)
		}
		r.active = nil
	}
	r.publishIDs()
}

// arm makes the producer hand frames over, starting after the RAM
// buffer's newest frame.
func (r *Recorder) arm() {
	if r.armed.Load() {
		return
	}
	if r.buf != nil {
		st := r.buf.Stats()
		r.lastSeen = max(r.lastSeen, st.Last)
		if st.Frames > 0 && st.Newest > r.now {
			r.now, r.nowWall = st.Newest, r.wall
		}
	}
	r.armed.Store(true)
}

// captureNow returns the newest capture time known.
func (r *Recorder) captureNow() int64 {
	now := r.now
	if r.buf != nil {
		if st := r.buf.Stats(); st.Frames > 0 {
			now = max(now, st.Newest)
		}
	}
	if now == 0 {
		now = time.Now().UnixNano()
	}
	return now
}

func (r *Recorder) handleEvent(e state.Event) {
	if r.o.PersistEvents {
		if _, err := r.s.AppendEvent(e); err == nil {
			r.dirty = true
		}
	}
	if !slices.Contains(r.o.Triggers, e.Type) {
		return
	}
	if len(r.o.Scopes) > 0 && !slices.Contains(r.o.Scopes, e.Scope) {
		return
	}
	detail := e.Detail
	if e.Before != "" || e.After != "" {
		detail = e.Before + " → " + e.After + appendNote(e.Detail)
	}
	q := trigReq{
		tr: Trigger{Time: e.Time, Type: string(e.Type), Scope: e.Scope, Subject: e.Subject, Detail: detail, EventSeq: e.Seq},
		at: true,
	}
	if !r.o.AllScopes && e.Scope != "" {
		q.scopes = []string{e.Scope}
	}
	r.handleTrigger(q)
}

func appendNote(s string) string {
	if s == "" {
		return ""
	}
	return "; " + s
}

// handleTrigger starts or extends a recording. It runs on Run's goroutine.
func (r *Recorder) handleTrigger(q trigReq) {
	id, err := r.startOrExtend(q)
	if q.reply != nil {
		q.reply <- trigReply{id, err}
	}
}

func (r *Recorder) startOrExtend(q trigReq) (uint64, error) {
	r.wall = time.Now().UnixNano()
	tr := q.tr
	if !q.at {
		tr.Time = r.captureNow()
	}
	// Which scopes: none named means all.
	all := len(q.scopes) == 0
	var tags []uint32
	if !all {
		r.scopeMu.Lock()
		for _, name := range q.scopes {
			tags = append(tags, r.scopeTags[name]...)
		}
		r.scopeMu.Unlock()
		if len(tags) == 0 {
			if tr.Type == ManualTrigger {
				return 0, ErrUnknownScope
			}
			all = true // an event of a scope whose frames we never saw: keep everything
		}
	}
	from, to := tr.Time-int64(r.o.Pre), tr.Time+int64(r.o.Post)
	if paused, perr := r.s.Paused(); paused {
		return 0, errors.Join(store.ErrPaused, perr)
	}
	for _, a := range r.active {
		if from > a.inc.To || to < a.inc.From {
			continue
		}
		r.extend(a, tr, to, all, q.scopes, tags)
		return a.inc.ID, nil
	}
	// A finished incident already holds the start of the window: begin
	// after it rather than store its frames twice, or join it when it
	// holds the whole window.
	for i := len(r.recent) - 1; i >= 0; i-- {
		f := &r.recent[i]
		if from > f.to || to < f.from || !(f.all || !all && subset(tags, f.tags)) {
			continue
		}
		if to <= f.to {
			return f.id, r.s.addTrigger(f.id, tr)
		}
		from = max(from, f.to+1)
	}
	inc := Incident{
		Triggers: []Trigger{tr}, From: from, To: to, Created: r.wall,
		Interfaces: r.interfaces(),
	}
	if !all {
		inc.Scopes = slices.Clone(q.scopes)
	}
	if err := r.s.newIncident(&inc); err != nil {
		return 0, err
	}
	a := &recording{inc: inc, all: all, tags: tags, progress: r.wall, triggers: 1}
	a.cur.reset()
	r.active = append(r.active, a)
	r.publishIDs()
	r.arm()
	r.backfill(a, func(int64, uint32) bool { return true })
	return inc.ID, nil
}

func subset(a, b []uint32) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// extend adds a trigger to a recording: its window grows to end at to,
// and scopes it did not record yet are added. Frames already handed over
// that the grown window now wants are taken from the RAM buffer: the new
// scopes' frames from the window's start, every wanted frame after the
// old end. They follow the frames already saved, in time order among
// themselves: when scopes were added they start a new run (Incident.Runs)
// for readers to merge.
func (r *Recorder) extend(a *recording, tr Trigger, to int64, all bool, names []string, tags []uint32) {
	a.triggers++
	if len(a.inc.Triggers) < maxTriggers {
		a.inc.Triggers = append(a.inc.Triggers, tr)
	}
	oldTo := a.inc.To
	a.inc.To = max(a.inc.To, to)
	a.closing = false
	oldAll, old := a.all, slices.Clone(a.tags)
	if !a.all {
		if all {
			a.all, a.tags, a.inc.Scopes = true, nil, nil
		} else {
			for _, t := range tags {
				if !slices.Contains(a.tags, t) {
					a.tags = append(a.tags, t)
				}
			}
			for _, n := range names {
				if !slices.Contains(a.inc.Scopes, n) {
					a.inc.Scopes = append(a.inc.Scopes, n)
				}
			}
		}
	}
	added := a.all != oldAll || len(a.tags) != len(old)
	if added && a.inc.Frames > 0 && len(a.inc.Runs) < maxRuns {
		a.inc.Runs = append(a.inc.Runs, a.inc.Frames) // the next frame's number
	}
	// The grown window goes into the batch ahead of the frames it admits,
	// so a crash never leaves frames outside the stored window.
	_ = r.s.addIncident(r.batch, r.progressView(a))
	if a.inc.To == oldTo && len(a.tags) == len(old) && a.all == oldAll {
		return
	}
	r.backfill(a, func(t int64, tag uint32) bool {
		return t > oldTo || !oldAll && !slices.Contains(old, tag)
	})
}

// backfill saves the frames of a's window that the RAM buffer holds up to
// the hand-off's position (lastSeen) and that a wants and fresh selects.
func (r *Recorder) backfill(a *recording, fresh func(t int64, scope uint32) bool) {
	if r.buf == nil {
		return
	}
	cut := r.lastSeen
	if st := r.buf.Stats(); st.Evicted > 0 && st.Oldest > a.inc.From {
		a.inc.PreShort = true
	}
	q := ring.Query{From: a.inc.From, To: a.inc.To, Limit: 1024}
	if !a.all && len(a.tags) == 1 {
		q.Scope, q.HasScope = a.tags[0], true
	}
	if q.From == 0 {
		q.From = 1 // 0 leaves the bound open; the window starts at time 0 anyway
	}
	var page []byte
	for {
		page = page[:0]
		got, stop := 0, false
		last := q.AfterFrame
		r.buf.Scan(q, func(rec *ring.Record) bool {
			if rec.Frame > cut {
				stop = true
				return false
			}
			got++
			last = rec.Frame
			if rec.Time < a.inc.From || rec.Time > a.inc.To || !a.wants(rec.Scope) || !fresh(rec.Time, rec.Scope) {
				return true
			}
			off := len(page)
			page = append(page, zeroHeader[:]...)
			putRecordHeader(page[off:], &rec.RecordMeta, r.linkOf(rec.IfIndex), len(rec.Data))
			page = append(page, rec.Data...)
			return true
		})
		for b := page; len(b) > 0; {
			n := recordLen(b)
			if r.s.isPaused() {
				a.inc.Lost++
			} else {
				r.addTo(a, b[:n])
			}
			b = b[n:]
		}
		if got == 0 || stop {
			return
		}
		q.AfterFrame = last
	}
}
