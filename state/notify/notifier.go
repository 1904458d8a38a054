package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
)

// Backing is the durable side of the outbox: the store (state/store's
// PutOutbox, DeleteOutbox, EachOutbox) or, without a data directory,
// [NewMemoryBacking].
type Backing interface {
	PutOutbox(channel string, seqs []uint64, values [][]byte) error
	DeleteOutbox(channel string, seqs []uint64) error
	EachOutbox(channel string, fn func(seq uint64, v []byte) error) error
}

// A Sender delivers to one receiver. Send returns nil only when the
// receiver has the delivery as far as the protocol can tell.
type Sender interface {
	Kind() string   // "webhook", "syslog", "smtp", "snmp"
	Target() string // where it sends, without secrets
	// Reliable reports whether Send's nil means the receiver has it
	// (acknowledged): then failures are retried. Unreliable senders
	// (UDP, SNMP traps) get each entry once.
	Reliable() bool
	Send(ctx context.Context, d *Delivery) error
	Close() error
}

// Options configure a Notifier. Zero values take the defaults named.
type Options struct {
	MaxQueue   int           // entries per channel outbox; default 100,000
	MaxAge     time.Duration // entries older are dropped (counted as expired); default 7 days
	MinBackoff time.Duration // first retry delay; default 1 s
	MaxBackoff time.Duration // longest retry delay; default 5 min
	Timeout    time.Duration // one send; default 30 s
	UIURL      string        // base URL of the web UI for links; "" for none
	Hostname   string        // names the appliance in notifications; default os.Hostname
	Logger     *slog.Logger
	// Heartbeat sends a heartbeat notification on every channel this
	// often, past filters; 0: never.
	Heartbeat time.Duration
	// Raise adds an event to the model (Notifications Lost on overflow);
	// nil: only logged.
	Raise func(state.Event)
	// Agent, when its Listen is set, makes Start run an SNMP agent
	// serving the active alarms (Notifier.Active).
	Agent AgentConfig
}

// ChannelOptions configure one channel.
type ChannelOptions struct {
	Name          string        // unique; names the outbox
	Filter        Filter        // which events it sends
	RatePerMinute int           // deliveries per minute (a digest is one); 0: unlimited
	Burst         int           // deliveries allowed at once beyond the rate; default 1
	DigestAfter   int           // backlog at which entries go out as one digest; 0: never
	DigestMax     int           // most entries in one digest; default 1,000
	Dedup         time.Duration // drop an event equal to one queued this long ago or less; 0: no de-duplication
}

// ChannelStatus is one channel's state, for the API and /metrics. It
// holds no secret.
type ChannelStatus struct {
	Name          string `json:"name"`
	Kind          string `json:"kind"`
	Target        string `json:"target"`
	Reliable      bool   `json:"reliable"`
	Queue         int    `json:"queue"`        // entries waiting
	Queued        uint64 `json:"queued"`       // entries accepted into the outbox
	Delivered     uint64 `json:"delivered"`    // entries delivered (each in a digest counted)
	Deliveries    uint64 `json:"deliveries"`   // sends that succeeded
	Digests       uint64 `json:"digests"`      // of which digests
	Failures      uint64 `json:"failures"`     // sends that failed
	Filtered      uint64 `json:"filtered"`     // events the filter did not pass
	Deduplicated  uint64 `json:"deduplicated"` // events dropped as repeats
	Overflow      uint64 `json:"overflow"`     // events refused: outbox full
	Expired       uint64 `json:"expired"`      // entries dropped: older than the maximum age
	Lost          uint64 `json:"lost"`         // unreliable sends that failed (not retried)
	LastError     string `json:"lastError,omitempty"`
	LastErrorTime int64  `json:"lastErrorTime,omitempty"`
	LastDelivered int64  `json:"lastDelivered,omitempty"`
	NextRetry     int64  `json:"nextRetry,omitempty"`
}

// Notifier feeds events to channels through the outbox.
type Notifier struct {
	opts Options // as given to New; limits() has the reloadable ones
	lim  atomic.Pointer[limits]
	back Backing
	log  *slog.Logger

	mu       sync.Mutex
	channels []*channel
	byName   map[string]*channel
	active   *ActiveAlarms // the alarms raised and not cleared, from every event published
	memory   bool          // the outbox is a MemoryBacking made by Start (no --data)

	agentMu sync.Mutex
	agent   *Agent // the SNMP agent running, nil for none (ReloadAgent)

	evlog    *state.EventLog
	wake     chan state.Event
	lastSeq  uint64
	readBuf  []state.Event // readLog's, reused
	missed   atomic.Uint64 // events the log dropped before the reader got to them
	running  atomic.Bool
	stopped  bool // Run is ending (n.mu): no worker may start
	ctx      context.Context
	workerWG sync.WaitGroup
}

// New returns a Notifier writing its outbox to back.
func New(back Backing, o Options) *Notifier {
	o = withDefaults(o)
	n := &Notifier{opts: o, back: back, log: o.Logger, byName: map[string]*channel{}, active: NewActiveAlarms()}
	n.setLimits(o)
	return n
}

// limits are the options a reload may change (SetLimits); every reader
// loads them afresh.
type limits struct {
	maxQueue               int
	maxAge                 time.Duration
	minBackoff, maxBackoff time.Duration
	uiURL                  string
	heartbeat              time.Duration
}

func (n *Notifier) limits() *limits { return n.lim.Load() }

func (n *Notifier) setLimits(o Options) {
	n.lim.Store(&limits{maxQueue: o.MaxQueue, maxAge: o.MaxAge, minBackoff: o.MinBackoff, maxBackoff: o.MaxBackoff,
		uiURL: o.UIURL, heartbeat: o.Heartbeat})
}

// SetLimits applies o's MaxQueue, MaxAge, MinBackoff, MaxBackoff, UIURL
// and Heartbeat (zero values taking the defaults, as in New) to the
// running Notifier: the next entry queued, the next expiry check and
// retry, the next delivery's links and the heartbeat (within a quarter
// second) follow them. A smaller MaxQueue drops nothing queued: new
// entries are refused until the outbox is below it; a shorter MaxAge
// expires what is older at the channel's next check.
func (n *Notifier) SetLimits(o Options) {
	n.setLimits(withDefaults(o))
	n.mu.Lock()
	for _, c := range n.channels {
		select { // let the workers check expiry now
		case c.wake <- struct{}{}:
		default:
		}
	}
	n.mu.Unlock()
}

// withDefaults fills in o's zero values.
func withDefaults(o Options) Options {
	if o.MaxQueue <= 0 {
		o.MaxQueue = 100_000
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 7 * 24 * time.Hour
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(5*time.Minute, o.MinBackoff)
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Hostname == "" {
		o.Hostname, _ = os.Hostname()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

// AddChannel adds a channel sending through s, taking up the entries its
// outbox still holds from before. Call it before Run.
func (n *Notifier) AddChannel(co ChannelOptions, s Sender) error {
	co, err := channelOptions(co)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, dup := n.byName[co.Name]; dup {
		return fmt.Errorf("notify: two channels named %q", co.Name)
	}
	c := &channel{n: n, opts: co, s: s, wake: make(chan struct{}, 1), dedup: map[string]int64{}, tokens: float64(co.Burst)}
	err = n.back.EachOutbox(co.Name, func(seq uint64, v []byte) error {
		m := new(Message)
		if err := unmarshalMessage(v, m); err != nil {
			n.log.Warn("notify: outbox entry unreadable, dropped", "channel", co.Name, "seq", seq, "err", err)
			c.broken = append(c.broken, seq)
			return nil
		}
		m.Seq = seq
		if m.ID == "" {
			m.ID = co.Name + "/" + strconv.FormatUint(seq, 10)
		}
		c.queue = append(c.queue, m)
		c.next = seq
		return nil
	})
	if err != nil {
		return fmt.Errorf("notify: channel %s: read its outbox: %w", co.Name, err)
	}
	// Sequence numbers go on from the newest entry or from the time in
	// microseconds, whichever is larger, so that a notification's ID is
	// not given again after a restart that found the outbox empty.
	c.next = max(c.next, uint64(time.Now().UnixMicro()))
	if len(c.broken) > 0 {
		_ = n.back.DeleteOutbox(co.Name, c.broken)
	}
	if len(c.queue) > 0 {
		n.log.Info("notify: outbox taken up", "channel", co.Name, "entries", len(c.queue))
	}
	n.channels = append(n.channels, c)
	n.byName[co.Name] = c
	if n.running.Load() && !n.stopped {
		n.startWorker(c)
	}
	return nil
}

// channelOptions checks co and fills in its defaults.
func channelOptions(co ChannelOptions) (ChannelOptions, error) {
	if co.Name == "" {
		return co, errors.New("notify: channel without a name")
	}
	if err := co.Filter.Check(); err != nil {
		return co, fmt.Errorf("notify: channel %s: %w", co.Name, err)
	}
	if co.Burst <= 0 {
		co.Burst = 1
	}
	if co.DigestMax <= 0 {
		co.DigestMax = 1000
	}
	return co, nil
}

// Watch makes Run read events from log, beginning after those it holds
// now (restored history is not sent again). Call it before Run.
func (n *Notifier) Watch(log *state.EventLog) {
	n.evlog = log
	n.wake = log.Subscribe(64)
	snap := log.Snapshot()
	n.lastSeq = snap.Next() - 1
	for seq := snap.From(0); seq < snap.Next(); seq++ {
		n.active.Observe(*snap.At(seq)) // alarms raised before, restored history included
	}
}

// Active is the table of alarms raised and not cleared.
func (n *Notifier) Active() *ActiveAlarms { return n.active }

// Run reads events and delivers until ctx ends; then it stops the
// workers (what is not delivered stays in the outbox) and closes the
// senders.
func (n *Notifier) Run(ctx context.Context) error {
	if !n.running.CompareAndSwap(false, true) {
		return errors.New("notify: already running")
	}
	n.mu.Lock()
	n.ctx = ctx
	for _, c := range n.channels {
		n.startWorker(c)
	}
	n.mu.Unlock()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var (
		beat      <-chan time.Time
		beatT     *time.Ticker
		beatEvery time.Duration
	)
	defer func() {
		if beatT != nil {
			beatT.Stop()
		}
	}()
	gap := time.NewTimer(0)
	defer gap.Stop()
	for {
		if every := n.limits().heartbeat; every != beatEvery { // at the start and after SetLimits
			if beatT != nil {
				beatT.Stop()
				beatT, beat = nil, nil
			}
			if beatEvery = every; every > 0 {
				beatT = time.NewTicker(every)
				beat = beatT.C
			}
		}
		if n.evlog != nil {
			n.readLog()
		}
		// Events read together share one outbox write per channel: after
		// a read, the next waits readGap, so that a burst is taken in a
		// few large writes rather than many small ones.
		gap.Reset(readGap)
		select {
		case <-ctx.Done():
		case <-gap.C:
		}
		select {
		case <-ctx.Done():
			if n.evlog != nil {
				n.evlog.Unsubscribe(n.wake)
				n.readLog()
			}
			n.mu.Lock()
			n.stopped = true
			n.mu.Unlock()
			n.workerWG.Wait()
			n.mu.Lock()
			for _, c := range n.channels {
				_ = c.s.Close()
			}
			n.mu.Unlock()
			return nil
		case <-n.wake:
		case <-tick.C:
		case <-beat:
			n.heartbeat()
		}
	}
}

// readGap is the least time between two reads of the event log.
const readGap = 20 * time.Millisecond

// startWorker starts c's delivery worker under n.ctx; n.mu is held.
func (n *Notifier) startWorker(c *channel) {
	ctx, cancel := context.WithCancel(n.ctx)
	done := make(chan struct{})
	c.stopWorker = func() { cancel(); <-done }
	n.workerWG.Add(1)
	go func() {
		defer n.workerWG.Done()
		defer close(done)
		c.run(ctx)
	}()
}

// readLog hands every event after lastSeq to the channels.
func (n *Notifier) readLog() {
	// Drain pending wake-ups: the log itself is the source.
	for {
		select {
		case _, ok := <-n.wake:
			if ok {
				continue
			}
		default:
		}
		break
	}
	snap := n.evlog.Snapshot()
	from := snap.From(n.lastSeq)
	if from > n.lastSeq+1 && n.lastSeq+1 < snap.Next() {
		n.missed.Add(from - n.lastSeq - 1)
	}
	if from >= snap.Next() {
		return
	}
	evs := n.readBuf[:0]
	for seq := from; seq < snap.Next(); seq++ {
		evs = append(evs, *snap.At(seq))
	}
	n.lastSeq = snap.Next() - 1
	n.Publish(evs...)
	clear(evs) // let the strings go
	n.readBuf = evs[:0]
}

// Publish offers events to every channel (the reader calls it with the
// log's events; tests and other layers may call it directly).
func (n *Notifier) Publish(evs ...state.Event) {
	n.active.Observe(evs...)
	n.mu.Lock()
	chans := append([]*channel(nil), n.channels...)
	n.mu.Unlock()
	if len(chans) == 0 || len(evs) == 0 {
		return
	}
	b := n.encode(evs, KindEvent)
	for _, c := range chans {
		c.enqueue(evs, b, false)
	}
}

// encoded is a batch of events in the outbox's stored form, made once
// and shared by every channel they go to.
type encoded struct {
	kind   Kind
	queued int64
	values [][]byte // values[i] is evs[i]'s entry
}

// encode makes evs' outbox entries, in one buffer.
func (n *Notifier) encode(evs []state.Event, kind Kind) *encoded {
	b := &encoded{kind: kind, queued: time.Now().UnixNano(), values: make([][]byte, len(evs))}
	size := 0
	for i := range evs {
		e := &evs[i]
		size += 64 + len(kind) + len(n.opts.Hostname) + len(e.Type) + len(e.Scope) + len(e.Subject) + len(e.Before) + len(e.After) + len(e.Detail)
	}
	buf := make([]byte, 0, size)
	for i := range evs {
		at := len(buf)
		buf = appendMessage(buf, kind, b.queued, n.opts.Hostname, &evs[i])
		b.values[i] = buf[at:len(buf):len(buf)]
	}
	return b
}

// Test queues a test notification on the named channel (every channel
// when name is ""), past its filter, de-duplication and digest.
func (n *Notifier) Test(name, note string) error {
	n.mu.Lock()
	var chans []*channel
	if name == "" {
		chans = append(chans, n.channels...)
	} else if c := n.byName[name]; c != nil {
		chans = append(chans, c)
	}
	n.mu.Unlock()
	if len(chans) == 0 {
		return &UnknownChannelError{name}
	}
	detail := "test notification"
	if note != "" {
		detail += ": " + note
	}
	evs := []state.Event{{Time: time.Now().UnixNano(), Type: "Test", Severity: state.Notice, Subject: n.opts.Hostname, Detail: detail}}
	b := n.encode(evs, KindTest)
	var errs []error
	for _, c := range chans {
		if err := c.enqueue(evs, b, true); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// heartbeat queues a heartbeat on every channel.
func (n *Notifier) heartbeat() {
	n.mu.Lock()
	chans := append([]*channel(nil), n.channels...)
	n.mu.Unlock()
	evs := []state.Event{{Time: time.Now().UnixNano(), Type: "Heartbeat", Severity: state.Info, Subject: n.opts.Hostname, Detail: "ptpwatch is running"}}
	b := n.encode(evs, KindHeartbeat)
	for _, c := range chans {
		_ = c.enqueue(evs, b, true)
	}
}

// UnknownChannelError is returned for a channel name not configured.
type UnknownChannelError struct{ Name string }

func (e *UnknownChannelError) Error() string {
	if e.Name == "" {
		return "notify: no channel configured"
	}
	return fmt.Sprintf("notify: no channel named %q", e.Name)
}

// Status returns every channel's status, in name order.
func (n *Notifier) Status() []ChannelStatus {
	n.mu.Lock()
	chans := append([]*channel(nil), n.channels...)
	n.mu.Unlock()
	out := make([]ChannelStatus, 0, len(chans))
	for _, c := range chans {
		out = append(out, c.status())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Missed is how many events the event log let go before the reader took
// them (a log far too small for the event rate).
func (n *Notifier) Missed() uint64 { return n.missed.Load() }

// Idle reports whether every channel's outbox is empty.
func (n *Notifier) Idle() bool {
	for _, s := range n.Status() {
		if s.Queue > 0 {
			return false
		}
	}
	return true
}

// channel is one configured channel: its outbox mirror and worker state.
type channel struct {
	n    *Notifier
	opts ChannelOptions
	s    Sender
	wake chan struct{}
	// fingerprint is the configuration the channel was built from
	// (Channel.fingerprint), so that Apply can tell a changed channel.
	fingerprint string
	// stopWorker ends the worker and returns once it has (nil: none
	// started); n.mu guards it.
	stopWorker func()

	mu        sync.Mutex
	queue     []*Message // the outbox's entries, oldest first
	next      uint64     // last sequence number given
	dedup     map[string]int64
	broken    []uint64
	st        ChannelStatus
	lastRaise int64
	// the rate limit's token bucket, touched only by the worker
	tokens   float64
	tokensAt time.Time
}

func (c *channel) status() ChannelStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.st
	st.Name, st.Kind, st.Target, st.Reliable, st.Queue = c.opts.Name, c.s.Kind(), c.s.Target(), c.s.Reliable(), len(c.queue)
	return st
}

// enqueue filters evs and writes what passes, b's entries, to the outbox
// in one synced write. The messages are allocated together and their IDs
// share one string: a burst costs a few allocations per channel, not
// several per event.
func (c *channel) enqueue(evs []state.Event, b *encoded, force bool) error {
	now := b.queued
	maxQueue := c.n.limits().maxQueue
	c.mu.Lock()
	var (
		seqs   = make([]uint64, 0, len(evs))
		values = make([][]byte, 0, len(evs))
		slab   = make([]Message, 0, len(evs))
		ids    = make([]byte, 0, len(evs)*(len(c.opts.Name)+18))
		idEnd  = make([]int, 0, len(evs))
		over   uint64
	)
	for i := range evs {
		e := &evs[i]
		if !force {
			if !c.opts.Filter.Match(e) {
				c.st.Filtered++
				continue
			}
			if c.opts.Dedup > 0 {
				k := dedupKey(e)
				if t, ok := c.dedup[k]; ok && now-t <= int64(c.opts.Dedup) {
					c.st.Deduplicated++
					continue
				}
				c.dedup[k] = now
				if len(c.dedup) > 4*maxQueue/100+1024 {
					for k, t := range c.dedup {
						if now-t > int64(c.opts.Dedup) {
							delete(c.dedup, k)
						}
					}
				}
			}
		}
		if len(c.queue)+len(slab) >= maxQueue {
			over++
			continue
		}
		c.next++
		ids = strconv.AppendUint(append(append(ids, c.opts.Name...), '/'), c.next, 10)
		idEnd = append(idEnd, len(ids))
		slab = append(slab, Message{Seq: c.next, Kind: b.kind, Event: *e, Queued: now, Hostname: c.n.opts.Hostname})
		seqs, values = append(seqs, c.next), append(values, b.values[i])
	}
	var msgs []*Message
	if len(slab) > 0 {
		all := string(ids)
		msgs = make([]*Message, len(slab))
		from := 0
		for i := range slab {
			slab[i].ID = all[from:idEnd[i]]
			from = idEnd[i]
			msgs[i] = &slab[i]
		}
	}
	var err error
	if len(msgs) > 0 {
		if err = c.n.back.PutOutbox(c.opts.Name, seqs, values); err != nil {
			// The store refused (disk full, failed): the events are lost
			// for this channel; count them as overflow.
			over += uint64(len(msgs))
			msgs = nil
			err = fmt.Errorf("notify: channel %s: write the outbox: %w", c.opts.Name, err)
		} else {
			c.queue = append(c.queue, msgs...)
			c.st.Queued += uint64(len(msgs))
		}
	}
	raise := false
	if over > 0 {
		c.st.Overflow += over
		if now-c.lastRaise >= int64(time.Minute) {
			c.lastRaise = now
			raise = true
		}
	}
	total := c.st.Overflow
	c.mu.Unlock()
	if len(msgs) > 0 {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	if raise {
		c.lost(fmt.Sprintf("%d notifications refused (%d in all): the outbox is full (%d entries) or cannot be written", over, total, maxQueue), err)
	}
	return err
}

// lost logs and raises a Notifications Lost event about the channel.
func (c *channel) lost(detail string, err error) {
	args := []any{"channel", c.opts.Name, "detail", detail}
	if err != nil {
		args = append(args, "err", err)
	}
	c.n.log.Warn("notify: notifications lost", args...)
	if c.n.opts.Raise != nil {
		c.n.opts.Raise(state.Event{Time: time.Now().UnixNano(), Type: state.NotificationsLost, Subject: c.opts.Name, Detail: detail})
	}
}

func dedupKey(e *state.Event) string {
	return string(e.Type) + "\x00" + e.Scope + "\x00" + e.Subject + "\x00" + e.Before + "\x00" + e.After + "\x00" + e.Detail
}

// run is the channel's delivery worker.
func (c *channel) run(ctx context.Context) {
	backoff := time.Duration(0)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	wait := func(d time.Duration) bool {
		if d <= 0 {
			return ctx.Err() == nil
		}
		timer.Reset(d)
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		}
	}
	for {
		c.expire()
		c.mu.Lock()
		empty := len(c.queue) == 0
		c.mu.Unlock()
		if empty {
			select {
			case <-ctx.Done():
				return
			case <-c.wake:
				continue
			case <-time.After(time.Minute): // expiry check
				continue
			}
		}
		if d := c.takeToken(); d > 0 {
			if !wait(d) {
				return
			}
			continue
		}
		d := c.batch()
		if d == nil {
			continue
		}
		err := c.deliver(ctx, d)
		if ctx.Err() != nil && err != nil {
			return
		}
		if err != nil && c.s.Reliable() {
			if backoff == 0 {
				backoff = c.n.limits().minBackoff
			} else {
				backoff = min(2*backoff, c.n.limits().maxBackoff)
			}
			c.mu.Lock()
			c.st.NextRetry = time.Now().Add(backoff).UnixNano()
			c.mu.Unlock()
			if !wait(backoff) {
				return
			}
			continue
		}
		backoff = 0
	}
}

// takeToken takes one delivery from the rate limit, or returns how long
// until one is there.
func (c *channel) takeToken() time.Duration {
	if c.opts.RatePerMinute <= 0 {
		return 0
	}
	now := time.Now()
	if !c.tokensAt.IsZero() {
		c.tokens = min(float64(c.opts.Burst), c.tokens+now.Sub(c.tokensAt).Minutes()*float64(c.opts.RatePerMinute))
	}
	c.tokensAt = now
	if c.tokens >= 1 {
		c.tokens--
		return 0
	}
	need := (1 - c.tokens) / float64(c.opts.RatePerMinute)
	return time.Duration(need*float64(time.Minute)) + time.Millisecond
}

// batch is the next delivery: the oldest entry, or a digest of the
// oldest when the backlog has reached DigestAfter.
func (c *channel) batch() *Delivery {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) == 0 {
		return nil
	}
	d := &Delivery{Channel: c.opts.Name, UIURL: c.n.limits().uiURL, Hostname: c.n.opts.Hostname}
	if c.opts.DigestAfter > 0 && len(c.queue) >= c.opts.DigestAfter {
		// Test notifications go alone.
		n := 0
		for n < len(c.queue) && n < c.opts.DigestMax && c.queue[n].Kind == KindEvent {
			n++
		}
		if n > 1 {
			d.Messages, d.Digest = append([]*Message(nil), c.queue[:n]...), true
			return d
		}
	}
	d.Messages = []*Message{c.queue[0]}
	return d
}

// deliver sends d and takes its entries out of the outbox: after the
// acknowledgement on a reliable channel, before the one attempt on an
// unreliable one.
func (c *channel) deliver(ctx context.Context, d *Delivery) error {
	seqs := make([]uint64, len(d.Messages))
	for i, m := range d.Messages {
		seqs[i] = m.Seq
	}
	reliable := c.s.Reliable()
	if !reliable {
		if err := c.remove(seqs); err != nil {
			return err
		}
	}
	sctx, cancel := context.WithTimeout(ctx, c.n.opts.Timeout)
	err := c.s.Send(sctx, d)
	cancel()
	now := time.Now().UnixNano()
	if err != nil {
		c.mu.Lock()
		c.st.Failures++
		c.st.LastError, c.st.LastErrorTime = err.Error(), now
		if !reliable {
			c.st.Lost += uint64(len(seqs))
		}
		c.mu.Unlock()
		c.n.log.Warn("notify: send failed", "channel", c.opts.Name, "kind", c.s.Kind(), "target", c.s.Target(), "err", err)
		return err
	}
	if reliable {
		if err := c.remove(seqs); err != nil {
			return err
		}
	}
	c.mu.Lock()
	c.st.Deliveries++
	c.st.Delivered += uint64(len(seqs))
	if d.Digest {
		c.st.Digests++
	}
	c.st.LastDelivered, c.st.NextRetry = now, 0
	c.mu.Unlock()
	return nil
}

// remove deletes the delivered entries seqs (the oldest of the queue)
// from the outbox and its mirror.
func (c *channel) remove(seqs []uint64) error {
	if err := c.n.back.DeleteOutbox(c.opts.Name, seqs); err != nil {
		c.mu.Lock()
		c.st.LastError, c.st.LastErrorTime = "outbox: "+err.Error(), time.Now().UnixNano()
		c.mu.Unlock()
		return fmt.Errorf("notify: channel %s: delete delivered entries: %w", c.opts.Name, err)
	}
	c.mu.Lock()
	if isPrefix(c.queue, seqs) { // the usual case: the oldest went
		n := copy(c.queue, c.queue[len(seqs):])
		clear(c.queue[n:])
		c.queue = c.queue[:n]
		c.mu.Unlock()
		return nil
	}
	drop := map[uint64]bool{}
	for _, s := range seqs {
		drop[s] = true
	}
	kept := c.queue[:0]
	for _, m := range c.queue {
		if !drop[m.Seq] {
			kept = append(kept, m)
		}
	}
	clear(c.queue[len(kept):])
	c.queue = kept
	c.mu.Unlock()
	return nil
}

// isPrefix reports whether seqs are the sequence numbers of q's first
// entries, in order.
func isPrefix(q []*Message, seqs []uint64) bool {
	if len(seqs) > len(q) {
		return false
	}
	for i, s := range seqs {
		if q[i].Seq != s {
			return false
		}
	}
	return true
}

// expire drops entries older than MaxAge.
func (c *channel) expire() {
	maxAge := c.n.limits().maxAge
	limit := time.Now().Add(-maxAge).UnixNano()
	c.mu.Lock()
	var seqs []uint64
	for _, m := range c.queue {
		if m.Queued >= limit {
			break
		}
		seqs = append(seqs, m.Seq)
	}
	c.mu.Unlock()
	if len(seqs) == 0 {
		return
	}
	if err := c.remove(seqs); err != nil {
		return
	}
	c.mu.Lock()
	c.st.Expired += uint64(len(seqs))
	c.mu.Unlock()
	c.lost(fmt.Sprintf("%d notifications expired undelivered after %s", len(seqs), maxAge), nil)
}

// MemoryBacking is an outbox kept in memory, for an appliance without a
// data directory (notifications then do not survive a restart) and tests.
type MemoryBacking struct {
	mu sync.Mutex
	m  map[string]map[uint64][]byte
}

// NewMemoryBacking returns an empty in-memory outbox.
func NewMemoryBacking() *MemoryBacking { return &MemoryBacking{m: map[string]map[uint64][]byte{}} }

// PutOutbox implements Backing.
func (b *MemoryBacking) PutOutbox(ch string, seqs []uint64, values [][]byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m[ch] == nil {
		b.m[ch] = map[uint64][]byte{}
	}
	for i, s := range seqs {
		b.m[ch][s] = append([]byte(nil), values[i]...)
	}
	return nil
}

// DeleteOutbox implements Backing.
func (b *MemoryBacking) DeleteOutbox(ch string, seqs []uint64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range seqs {
		delete(b.m[ch], s)
	}
	return nil
}

// EachOutbox implements Backing.
func (b *MemoryBacking) EachOutbox(ch string, fn func(uint64, []byte) error) error {
	b.mu.Lock()
	var seqs []uint64
	for s := range b.m[ch] {
		seqs = append(seqs, s)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	vals := make([][]byte, len(seqs))
	for i, s := range seqs {
		vals[i] = b.m[ch][s]
	}
	b.mu.Unlock()
	for i, s := range seqs {
		if err := fn(s, vals[i]); err != nil {
			return err
		}
	}
	return nil
}
