package natsd_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/remote"
	"github.com/ptpwatch/ptpwatch/xdp/remote/natsd"
	"github.com/ptpwatch/ptpwatch/xdp/source"
	"github.com/ptpwatch/ptpwatch/xdp/source/sourcetest"
)

func key(t testing.TB, id uint32, fill byte) remote.Key {
	k, err := remote.NewKey(id, bytes.Repeat([]byte{fill}, remote.KeyLen))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testLog(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// collector is a collector's embedded server and the collector reading it.
type collector struct {
	srv *natsd.Server
	c   *remote.Collector
	url string
}

// startCollector starts an embedded server on a loopback port (listen
// "127.0.0.1:0" picks a free one) and a collector on it.
func startCollector(t testing.TB, scfg natsd.Config, ccfg remote.CollectorConfig) *collector {
	t.Helper()
	if scfg.Listen == "" {
		scfg.Listen = "127.0.0.1:0"
	}
	srv, err := natsd.Start(scfg)
	if err != nil {
		t.Fatal(err)
	}
	if ccfg.Keys == nil {
		ccfg.Keys = []remote.Key{key(t, 5, 1)}
	}
	if ccfg.Log == nil {
		ccfg.Log = testLog(t)
	}
	ccfg.Server = srv
	ccfg.FileStorage = scfg.StoreDir != ""
	c, err := remote.NewCollector(ccfg)
	if err != nil {
		srv.Shutdown()
		t.Fatal(err)
	}
	col := &collector{srv: srv, c: c, url: srv.ClientURL()}
	t.Cleanup(col.stop)
	return col
}

func (col *collector) stop() {
	col.c.Close()
	col.srv.Shutdown()
	col.srv.WaitForShutdown()
}

// startProbe starts a probe with its own in-process queue server.
func startProbe(t testing.TB, cfg remote.ProbeConfig) *remote.Probe {
	t.Helper()
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = 64 << 20
	}
	q, err := natsd.Start(natsd.Config{StoreDir: cfg.StoreDir, MaxStore: cfg.MaxBytes + 16<<20})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Key.ID == 0 {
		cfg.Key = key(t, 5, 1)
	}
	if cfg.Site == "" {
		cfg.Site = "paris"
	}
	if cfg.Log == nil {
		cfg.Log = testLog(t)
	}
	cfg.Queue = q
	p, err := remote.NewProbe(cfg)
	if err != nil {
		q.Shutdown()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Close()
		q.Shutdown()
		q.WaitForShutdown()
	})
	return p
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
	}
}

func next(c *remote.Collector, f *source.Frame, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return c.Next(ctx, f)
}

func drain(t testing.TB, p *remote.Probe) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Drain(ctx); err != nil {
		t.Fatalf("drain: %v (status %+v)", err, p.Status())
	}
}

var ifaces = []source.Interface{{Name: "eth1", Segment: 3}, {Name: "eth2", Segment: 4}}

// numbered returns a PTP frame whose last 8 bytes carry n, so a receiver
// can check order and uniqueness.
func numbered(n uint64) source.Frame {
	b := slices.Clone(sourcetest.PTPFrames()[0])
	b = binary.BigEndian.AppendUint64(b, n)
	return source.Frame{Data: b, OrigLen: len(b), Timestamp: 1_700_000_000_000_000_000 + int64(n), TSSource: source.TimestampSoftware,
		Link: decode.LinkEthernet, Interface: uint16(n % 2)}
}

func number(f *source.Frame) uint64 { return binary.BigEndian.Uint64(f.Data[len(f.Data)-8:]) }

func TestForwardOneProbe(t *testing.T) {
	col := startCollector(t, natsd.Config{}, remote.CollectorConfig{})
	p := startProbe(t, remote.ProbeConfig{Collectors: []string{col.url}, Segment: 7})
	const n = 5000
	for i := range uint64(n) {
		f := numbered(i)
		p.Add(&f, ifaces)
	}
	drain(t, p)
	var f source.Frame
	for i := range uint64(n) {
		if err := next(col.c, &f, 5*time.Second); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		w := numbered(i)
		if !bytes.Equal(f.Data, w.Data) || f.Timestamp != w.Timestamp || f.TSSource != w.TSSource {
			t.Fatalf("frame %d differs: got %d", i, number(&f))
		}
		ifc := col.c.Interfaces()[f.Interface]
		if want := "paris/" + ifaces[w.Interface].Name; ifc.Name != want || ifc.Segment != 7 {
			t.Fatalf("frame %d: interface %+v, want %s on segment 7", i, ifc, want)
		}
	}
	if err := next(col.c, &f, 200*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("after the last frame: %v", err)
	}
	sites := col.c.Sites()
	if len(sites) != 1 || sites[0].Frames != n || !sites[0].Connected || sites[0].Lost != 0 {
		t.Fatalf("sites %+v", sites)
	}
	st := p.Status()
	if st.Frames != n || st.Collectors[0].Frames != n || !st.Collectors[0].Connected || st.Collectors[0].LostFrames != 0 {
		t.Fatalf("probe status %+v", st)
	}
}

// reader collects what a collector delivers, per site, in order.
type reader struct {
	mu   sync.Mutex
	got  map[string][]uint64
	stop chan struct{}
	done chan struct{}
}

// read reads c until close; it continues from, when given, so one view
// spans a collector's restart.
func read(c *remote.Collector, from *reader) *reader {
	r := &reader{got: map[string][]uint64{}, stop: make(chan struct{}), done: make(chan struct{})}
	if from != nil {
		r.got = from.got
	}
	go func() {
		defer close(r.done)
		var f source.Frame
		for {
			select {
			case <-r.stop:
				return
			default:
			}
			if err := next(c, &f, 100*time.Millisecond); err != nil {
				if errors.Is(err, context.DeadlineExceeded) {
					continue
				}
				return
			}
			name := c.Interfaces()[f.Interface].Name
			site := name[:bytes.IndexByte([]byte(name), '/')]
			r.mu.Lock()
			r.got[site] = append(r.got[site], number(&f))
			r.mu.Unlock()
		}
	}()
	return r
}

func (r *reader) count(site string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got[site])
}

func (r *reader) close() {
	close(r.stop)
	<-r.done
}

// check holds that site's frames arrived exactly once, in order: 0..n-1.
func (r *reader) check(t *testing.T, site string, n int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.got[site]
	if len(got) != n {
		t.Errorf("site %s: %d frames, want %d", site, len(got), n)
	}
	for i, v := range got {
		if v != uint64(i) {
			t.Fatalf("site %s: frame %d is number %d (duplicate, loss or reorder)", site, i, v)
		}
	}
}

var _ = netip.Prefix{}

// produce adds numbered frames to p, a hundred every 10 ms, until stop
// closes, and returns how many it added.
func produce(p *remote.Probe, stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		var n uint64
		for {
			select {
			case <-stop:
				p.Flush()
				out <- n
				return
			case <-t.C:
			}
			for range 100 {
				f := numbered(n)
				p.Add(&f, ifaces)
				n++
			}
		}
	}()
	return out
}

// outage is how long TestOutage stops the collector: 3 s, or
// PTPWATCH_OUTAGE (a Go duration, e.g. 30s). Its length changes only how
// much waits in the probes' queues (here 10 k frames a second each), not
// the path the frames take.
func outage() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("PTPWATCH_OUTAGE")); err == nil {
		return d
	}
	return 3 * time.Second
}

// TestOutage stops the collector while two probes forward, then starts it
// again on the same store: every frame arrives exactly once, in order per
// probe.
func TestOutage(t *testing.T) {
	dir := t.TempDir()
	scfg := natsd.Config{Listen: "127.0.0.1:0", StoreDir: filepath.Join(dir, "js")}
	ccfg := remote.CollectorConfig{StateDir: dir, LostAfter: time.Second}
	var evMu sync.Mutex
	var events []string
	ccfg.OnEvent = func(e remote.Event) { evMu.Lock(); events = append(events, e.Type+" "+e.Subject); evMu.Unlock() }
	col := startCollector(t, scfg, ccfg)
	u, _ := url.Parse(col.url)
	scfg.Listen = u.Host // the same port again after the outage
	probes := map[string]*remote.Probe{}
	stops := map[string]chan struct{}{}
	counts := map[string]<-chan uint64{}
	for _, site := range []string{"paris", "tokyo"} {
		probes[site] = startProbe(t, remote.ProbeConfig{Site: site, Collectors: []string{col.url}, StoreDir: filepath.Join(dir, site)})
		stops[site] = make(chan struct{})
		counts[site] = produce(probes[site], stops[site])
	}
	r := read(col.c, nil)
	waitFor(t, 10*time.Second, "frames from both probes", func() bool { return r.count("paris") > 2000 && r.count("tokyo") > 2000 })
	r.close()
	col.stop()
	t.Logf("collector stopped after %d + %d frames; out for %v", r.count("paris"), r.count("tokyo"), outage())
	waitFor(t, 10*time.Second, "the probes to notice", func() bool {
		return !probes["paris"].Status().Collectors[0].Connected && !probes["tokyo"].Status().Collectors[0].Connected
	})
	time.Sleep(outage()) // the outage itself: frames keep coming and wait in the probes' queues
	for site, p := range probes {
		if st := p.Status(); st.Collectors[0].QueuedBatches == 0 {
			t.Errorf("%s: nothing queued during the outage: %+v", site, st)
		}
	}
	col2 := startCollector(t, scfg, ccfg)
	r2 := read(col2.c, r)
	for site := range probes {
		close(stops[site])
	}
	want := map[string]uint64{}
	for site, p := range probes {
		want[site] = <-counts[site]
		drain(t, p)
	}
	waitFor(t, 60*time.Second+4*outage(), "every frame", func() bool {
		return r2.count("paris") >= int(want["paris"]) && r2.count("tokyo") >= int(want["tokyo"])
	})
	r2.close()
	for site, n := range want {
		r2.check(t, site, int(n))
		if st := probes[site].Status().Collectors[0]; st.LostFrames != 0 || st.LostBatches != 0 {
			t.Errorf("%s: the probe counted loss: %+v", site, st)
		}
	}
	for _, s := range col2.c.Sites() {
		if s.Lost != 0 || s.Replayed != 0 {
			t.Errorf("site %+v", s)
		}
	}
	t.Logf("paris %d, tokyo %d frames, each once and in order", want["paris"], want["tokyo"])
	evMu.Lock()
	t.Logf("events: %q", events)
	evMu.Unlock()
}

// TestAddNoAllocs: queueing a frame for forwarding allocates nothing (the
// local queue's publisher, on its own goroutine, allocates per batch of
// hundreds of frames, which the average over many frames rounds away).
func TestAddNoAllocs(t *testing.T) {
	col := startCollector(t, natsd.Config{}, remote.CollectorConfig{})
	p := startProbe(t, remote.ProbeConfig{Collectors: []string{col.url}})
	f := frame100(1)
	if a := testing.AllocsPerRun(20000, func() { p.Add(&f, ifaces) }); a != 0 {
		t.Errorf("Add allocates %.2f times per frame", a)
	}
}

// TestQueueOverflow: while no collector answers, a probe's local queue
// fills past its bound; the oldest batches are dropped, and once a
// collector appears the loss is counted at both ends and raised as
// Forwarding Loss, and everything after it arrives in order.
func TestQueueOverflow(t *testing.T) {
	port := freePorts(t, 1)[0]
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var mu sync.Mutex
	var events []remote.Event
	// Uncompressed: these frames differ only in their numbers and would
	// compress to less than the bound.
	p := startProbe(t, remote.ProbeConfig{Collectors: []string{"nats://" + addr}, MaxBytes: 256 << 10, BatchBytes: 16 << 10, NoCompress: true,
		OnEvent: func(e remote.Event) { mu.Lock(); events = append(events, e); mu.Unlock() }})
	const n = 20000 // about 2.4 MB of frames into a 256 KiB queue
	for i := range uint64(n) {
		f := numbered(i)
		p.Add(&f, ifaces)
	}
	p.Flush()
	col := startCollector(t, natsd.Config{Listen: addr}, remote.CollectorConfig{})
	drain(t, p)
	st := p.Status().Collectors[0]
	if st.LostBatches == 0 || st.LostFrames == 0 || st.Frames+st.LostFrames != n {
		t.Fatalf("probe: forwarded %d, lost %d frames in %d batches; want %d in all", st.Frames, st.LostFrames, st.LostBatches, n)
	}
	r := read(col.c, nil)
	waitFor(t, 10*time.Second, "the surviving frames", func() bool { return r.count("paris") == int(st.Frames) })
	r.close()
	got := r.got["paris"]
	for i := 1; i < len(got); i++ {
		if got[i] != got[i-1]+1 {
			t.Fatalf("frames %d then %d after the loss", got[i-1], got[i])
		}
	}
	if got[len(got)-1] != n-1 || got[0] != st.LostFrames {
		t.Errorf("frames %d..%d arrived, want %d..%d", got[0], got[len(got)-1], st.LostFrames, n-1)
	}
	mu.Lock()
	defer mu.Unlock()
	var lost uint64
	for _, e := range events {
		if e.Type == remote.EventForwardingLoss {
			lost += e.Lost
		}
	}
	if lost != st.LostFrames {
		t.Errorf("Forwarding Loss events count %d frames, the status %d", lost, st.LostFrames)
	}
	t.Logf("%d of %d frames dropped from the full queue, counted and raised; the other %d arrived in order", st.LostFrames, n, st.Frames)
}
