package uitest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/httpd"
	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// The HTTP benchmarks of issue 5, run with wrk against the server reading
// a model of a large simulated network:
//
//   - GET /api/v1/devices with 1,000 devices: at least 50,000 requests/s;
//   - wildcard queries over 10,000 devices: p99 under 20 ms (and, for the
//     record, the same while a paced simulation keeps changing the model,
//     so that answers are rebuilt every snapshot);
//   - the pipeline's frames/s with 10 UI-like clients attached within 5 %
//     of its frames/s without.
//
// They use both cores for a while, so they run only when asked:
//
//	PTPWATCH_WRK=1 go test -run Wrk -v ./httpd/uitest
func TestWrk(t *testing.T) {
	if os.Getenv("PTPWATCH_WRK") == "" {
		t.Skip("set PTPWATCH_WRK=1 to run the wrk benchmarks (CPU-heavy, about two minutes)")
	}
	wrk := ensureWrk(t)
	t.Run("devices-1000", func(t *testing.T) {
		b := staticBackend(t, bigNetwork(1000, 1))
		base := serveBackend(t, b)
		for _, gz := range []bool{false, true} {
			res := runWrk(t, wrk, base+"/api/v1/devices", 2, 64, 5*time.Second, gz)
			t.Logf("GET /api/v1/devices, 1,000 devices (%d bytes), gzip %v: %.0f requests/s, p50 %v p99 %v",
				res.bytes, gz, res.rps, res.p50, res.p99)
			if gz && res.rps < 50_000 {
				t.Errorf("%.0f requests/s, want at least 50,000", res.rps)
			}
		}
	})
	wildcards := []string{"/api/v1/devices/*/clockIdentity", "/api/v1/scopes/*/instances/*/portState", "/api/v1/devices/*/roles/*/role"}
	t.Run("wildcard-10000", func(t *testing.T) {
		b := staticBackend(t, bigNetwork(10_000, 4))
		base := serveBackend(t, b)
		if n := len(b.Snapshot().Devices); n < 10_000 {
			t.Fatalf("%d devices in the model, want 10,000", n)
		}
		for _, path := range wildcards {
			res := runWrk(t, wrk, base+path, 2, 8, 5*time.Second, true)
			t.Logf("GET %s, 10,000 devices (%d bytes gzipped): %.0f requests/s, p50 %v p99 %v", path, res.bytes, res.rps, res.p50, res.p99)
			if res.p99 >= 20*time.Millisecond {
				t.Errorf("%s: p99 %v, want under 20 ms", path, res.p99)
			}
		}
	})
	// The same with a paced simulation of the 10,000 clocks feeding the
	// model: a new snapshot (and tree, and encodings) every 250 ms. Its
	// tail is mostly the model's own work (state.Model.Snapshot takes
	// 65-90 ms for 10,000 devices here, shards publish 10,000 instances),
	// so it is reported, not enforced.
	t.Run("wildcard-10000-live", func(t *testing.T) {
		b := liveBackend(t, bigNetwork(10_000, 4))
		base := serveBackend(t, b)
		if n := len(b.Snapshot().Devices); n < 10_000 {
			t.Fatalf("%d devices in the model, want 10,000", n)
		}
		for _, path := range wildcards {
			res := runWrk(t, wrk, base+path, 2, 8, 5*time.Second, true)
			t.Logf("GET %s, 10,000 devices, live model: %.0f requests/s, p50 %v p99 %v", path, res.rps, res.p50, res.p99)
		}
	})
	t.Run("pipeline-with-ui-clients", func(t *testing.T) {
		r := pipelineWithClients(t, 10, "UI", uiClient, nil, 16)
		if r.cpu < -0.05 {
			t.Errorf("10 UI clients cost the pipeline %.1f %% of its speed, want under 5 %%", -100*r.cpu)
		}
	})
	// Issue 12: 100 clients asking for the largest event pages at once
	// (events?limit=100000 over a full log) took intake from 40 k to
	// 6.5 k frames/s. Pages are now bounded, read without the log's lock
	// and encoded in turns (httpd.Config.HeavyReads), so the pipeline's
	// share holds.
	t.Run("pipeline-with-heavy-event-readers", func(t *testing.T) {
		r := pipelineWithClients(t, 100, "heavy event", heavyEventClient, fillEventLog, 16)
		if r.cpu < -0.05 {
			t.Errorf("100 heavy event readers cost the pipeline %.1f %% of its speed per CPU-second, want under 5 %%", -100*r.cpu)
		}
	})
}

// fillEventLog fills the model's event log (100,000 events, its default
// size) so event reads are as heavy as they get.
func fillEventLog(b *modelBackend) {
	for i := range state.DefaultEventLogSize {
		b.model.Events.Add(state.Event{Time: time.Now().UnixNano(), Type: state.SequenceGap, Scope: "seg0 v2 domain 0 UDP/IPv4",
			Subject: "ec4670.fffe.000001-1", Before: strconv.Itoa(i), After: strconv.Itoa(i + 3), Detail: "Sync: 2 sequenceId(s) missing"})
	}
}

// heavyEventClient asks for the largest page of events, again and again.
func heavyEventClient(ctx context.Context, base string) {
	c := &http.Client{Timeout: 60 * time.Second}
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/events?limit=100000", nil)
		resp, err := c.Do(req)
		if err != nil {
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// bigNetwork is scopes scopes of one grandmaster each and followers, devices
// clocks in all.
func bigNetwork(devices, scopes int) sim.Config {
	var cfg sim.Config
	for s := range scopes {
		name := fmt.Sprintf("big%d", s)
		cfg.Scopes = append(cfg.Scopes, sim.Scope{Name: name, Domain: uint8(s), Transport: sim.UDPv4,
			LogSyncInterval: 0, LogAnnounceInterval: 0, LogMinDelayReqInterval: 0})
		cfg.Clocks = append(cfg.Clocks, sim.Clock{Name: "gm-" + name, Role: sim.RoleGrandmaster, Scope: name,
			MAC: fmt.Sprintf("ec:46:70:00:%02x:01", s), ClockClass: 6, ClockAccuracy: 0x21, TimeSource: decode.TimeSourceGNSS,
			TimeTraceable: true, FrequencyTraceable: true, UTCOffsetValid: true})
	}
	for i := scopes; i < devices; i++ {
		cfg.Clocks = append(cfg.Clocks, sim.Clock{Name: fmt.Sprintf("f%d", i), Role: sim.RoleFollower,
			Scope: fmt.Sprintf("big%d", i%scopes), MAC: fmt.Sprintf("a0:36:9f:%02x:%02x:%02x", i>>16, (i>>8)&255, i&255)})
	}
	return cfg
}

// modelBackend serves a model as the appliance's backend does, sharing a
// snapshot for 250 ms.
type modelBackend struct {
	model *state.Model
	pipe  *pipeline.Pipeline
	buf   *ring.Buffer

	mu   sync.Mutex
	snap *state.Snapshot
	at   time.Time
}

func (b *modelBackend) Snapshot() *state.Snapshot {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.snap == nil || time.Since(b.at) > 250*time.Millisecond {
		b.snap, b.at = b.model.Snapshot(), time.Now()
	}
	return b.snap
}
func (b *modelBackend) Events() *state.EventLog { return b.model.Events }
func (b *modelBackend) Buffer() *ring.Buffer    { return b.buf }
func (b *modelBackend) Counters() map[string]uint64 {
	c := &b.pipe.Counters
	return map[string]uint64{"received": c.Received.Load(), "decoded": c.Decoded.Load(), "notPTP": c.NotPTP.Load()}
}
func (b *modelBackend) CaptureStatus() any { return map[string]any{"sources": []any{}} }
func (b *modelBackend) ClearBuffer() error { return nil }

func newModelBackend(t testing.TB, bufBytes int64) *modelBackend {
	m := state.NewModel(1, state.NewEventLog(0))
	p := pipeline.New(m)
	buf, err := ring.NewBuffer(bufBytes)
	if err != nil {
		t.Fatal(err)
	}
	p.Buffer = buf
	return &modelBackend{model: m, pipe: p, buf: buf}
}

// staticBackend runs three simulated seconds of cfg through the pipeline
// as fast as it goes and serves the resulting model.
func staticBackend(t testing.TB, cfg sim.Config) *modelBackend {
	t.Helper()
	n, err := sim.New(cfg, sim.Options{Duration: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	b := newModelBackend(t, 256<<20)
	var last int64
	b.pipe.OnFrame = func(f *source.Frame, _ *decode.Frame, _ *state.Observation, _ bool) { last = max(last, f.Timestamp) }
	if err := b.pipe.Run(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	b.pipe.Tick(last)
	b.model.Shard(0).Publish()
	return b
}

// liveBackend runs cfg paced in real time until the test ends, after
// letting every clock show itself.
func liveBackend(t testing.TB, cfg sim.Config) *modelBackend {
	t.Helper()
	n, err := sim.New(cfg, sim.Options{Start: time.Now().UnixNano()})
	if err != nil {
		t.Fatal(err)
	}
	b := newModelBackend(t, 256<<20)
	b.pipe.Live = true
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.pipe.Run(ctx, &source.Pacer{Source: n, Speed: 1}) }()
	t.Cleanup(func() { cancel(); <-done })
	want := len(cfg.Clocks)
	deadline := time.Now().Add(20 * time.Second)
	for len(b.model.Snapshot().Devices) < want && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	return b
}

// serveBackend serves b on a loopback port until the test ends.
func serveBackend(t testing.TB, b httpd.Backend) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := httpd.New(httpd.Config{Listen: ln.Addr().String()}, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		<-done
	})
	return "http://" + ln.Addr().String()
}

func ensureWrk(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("wrk"); err == nil {
		return p
	}
	if os.Geteuid() != 0 {
		t.Skip("wrk is missing and installing it needs root: apt-get install -y wrk")
	}
	if out, err := exec.Command("apt-get", "install", "-y", "wrk").CombinedOutput(); err != nil {
		t.Skipf("cannot install wrk: %v\n%s", err, tail(out))
	}
	p, err := exec.LookPath("wrk")
	if err != nil {
		t.Skip("wrk installed but not on PATH")
	}
	return p
}

type wrkResult struct {
	rps      float64
	p50, p99 time.Duration
	bytes    int
}

var (
	wrkRPS     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkLatency = regexp.MustCompile(`(?m)^\s+(50|99)(?:\.000)?%\s+([0-9.]+)(us|ms|s)\s*$`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

// runWrk loads url with wrk and reads its summary.
func runWrk(t *testing.T, wrk, url string, threads, conns int, d time.Duration, gzip bool) wrkResult {
	t.Helper()
	var res wrkResult
	req, _ := http.NewRequest("GET", url, nil)
	if gzip {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	if resp, err := http.DefaultClient.Do(req); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res.bytes = len(b)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
		}
	}
	args := []string{"-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns), "-d", d.String(), "--latency"}
	if gzip {
		args = append(args, "-H", "Accept-Encoding: gzip")
	}
	out, err := exec.Command(wrk, append(args, url)...).CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	if m := wrkNon2xx.FindSubmatch(out); m != nil {
		t.Errorf("wrk saw %s non-2xx answers", m[1])
	}
	m := wrkRPS.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no Requests/sec in wrk output:\n%s", out)
	}
	res.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	for _, l := range wrkLatency.FindAllSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(string(l[2]), 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[string(l[3])]
		d := time.Duration(v * float64(unit))
		if string(l[1]) == "50" {
			res.p50 = d
		} else {
			res.p99 = d
		}
	}
	return res
}

// pipelineWithClients measures the pipeline's frames/s through the demo
// network, unpaced, without and with 10 UI-like clients: each follows the
// event stream and polls packets and capture status as the Packets page
// does, and the device list as the Devices page does.
//
// The pipeline runs on one locked OS thread, and the rate that counts is
// frames per second of that thread's CPU time (from its schedstat): the
// wall-clock rate mostly measures how the kernel shares two cores among
// everyone's threads, while the CPU-time rate shows what the HTTP side
// costs the pipeline itself (cache traffic, the capture buffer's reader
// handshake, garbage collection).
//
// This machine's speed drifts by up to a factor of two over seconds (a
// shared host: the same pinned loop runs at 1.0 M frames per CPU-second
// for half a minute and at 1.9 M the next), far more than the 5 % being
// measured. So one pipeline runs throughout and the windows alternate,
// without clients and with them, each compared with the window just
// before it; the verdict is the median of those pairs. Clients are started
// afresh for every window with them and stopped, their requests finished,
// before the next without, so no window gets the other's work.
//
// It returns the median change of the frame rate with clients, per
// CPU-second and per wall-clock second (-0.05 is 5 % slower).
func pipelineWithClients(t testing.TB, clients int, kind string, client func(context.Context, string), prepare func(*modelBackend), pairs int) (change struct{ cpu, wall float64 }) {
	const window = 1500 * time.Millisecond
	n, err := sim.New(sim.DefaultDemo(), sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := newModelBackend(t, 64<<20)
	if prepare != nil {
		prepare(b)
	}
	base := serveBackend(t, b)
	ctx, cancel := context.WithCancel(context.Background())
	tidc, done := make(chan int, 1), make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		tidc <- unix.Gettid()
		b.pipe.Run(ctx, n) // one shard, not live: runs on this thread
	}()
	defer func() { cancel(); <-done }()
	tid := <-tidc
	type rate struct{ wall, cpu float64 }
	measure := func() rate {
		f0, c0, w0 := b.pipe.Counters.Received.Load(), threadRuntime(t, tid), time.Now()
		time.Sleep(window)
		f1, c1, el := b.pipe.Counters.Received.Load(), threadRuntime(t, tid), time.Since(w0)
		frames := float64(f1 - f0)
		return rate{frames / el.Seconds(), frames / (c1 - c0).Seconds()}
	}
	withClients := func() rate {
		cctx, ccancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for range clients {
			wg.Add(1)
			go func() { defer wg.Done(); client(cctx, base) }()
		}
		time.Sleep(100 * time.Millisecond) // connected, first polls under way
		r := measure()
		ccancel()
		wg.Wait()
		return r
	}
	time.Sleep(2 * time.Second) // the buffer fills and starts evicting; every instance seen
	var cpuRatio, wallRatio []float64
	var rates0, rates10, walls0, walls10 []string
	for range pairs {
		a := measure()
		c := withClients()
		cpuRatio, wallRatio = append(cpuRatio, c.cpu/a.cpu), append(wallRatio, c.wall/a.wall)
		rates0, rates10 = append(rates0, strconv.FormatFloat(a.cpu/1e3, 'f', 0, 64)), append(rates10, strconv.FormatFloat(c.cpu/1e3, 'f', 0, 64))
		walls0, walls10 = append(walls0, strconv.FormatFloat(a.wall/1e3, 'f', 0, 64)), append(walls10, strconv.FormatFloat(c.wall/1e3, 'f', 0, 64))
	}
	med := func(v []float64) float64 {
		v = slices.Clone(v)
		slices.Sort(v)
		return (v[(len(v)-1)/2] + v[len(v)/2]) / 2
	}
	dCPU, dWall := med(cpuRatio)-1, med(wallRatio)-1
	t.Logf("pipeline, demo network unpaced, %d %s clients against none, median of %d alternating %v windows: %+.1f %% frames per CPU-second (wall clock %+.1f %%)",
		clients, kind, pairs, window, 100*dCPU, 100*dWall)
	t.Logf("  k frames per CPU-second without: %v", rates0)
	t.Logf("  k frames per CPU-second with:    %v", rates10)
	t.Logf("  k frames per wall second without: %v", walls0)
	t.Logf("  k frames per wall second with:    %v", walls10)
	change.cpu, change.wall = dCPU, dWall
	return change
}

// threadRuntime returns the CPU time thread tid of this process has used,
// from the scheduler's own accounting (nanoseconds, unlike getrusage's
// tick-sampled times).
func threadRuntime(t testing.TB, tid int) time.Duration {
	b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/schedstat")
	if err != nil {
		t.Fatal(err)
	}
	f := bytes.Fields(b)
	if len(f) == 0 {
		t.Fatalf("empty schedstat for thread %d", tid)
	}
	ns, err := strconv.ParseInt(string(f[0]), 10, 64)
	if err != nil {
		t.Fatalf("schedstat of thread %d: %v", tid, err)
	}
	return time.Duration(ns)
}

// uiClient behaves like one browser tab: the event stream, and every
// 500 ms the capture status and the newest packets, every 10 s the device
// list.
func uiClient(ctx context.Context, base string) {
	c := &http.Client{Timeout: 10 * time.Second}
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/events/stream", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<16), 1<<22)
		for sc.Scan() {
		}
	}()
	get := func(path string, v any) {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := c.Do(req)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		if v != nil {
			json.NewDecoder(resp.Body).Decode(v)
		} else {
			io.Copy(io.Discard, resp.Body)
		}
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		var st struct {
			Buffer struct {
				LastFrame uint64 `json:"lastFrame"`
			} `json:"buffer"`
		}
		get("/api/v1/capture", &st)
		// The Packets page on a stream faster than it lists: four pages
		// of 500 frames, then the newest 500 (tail) on the next poll.
		if i%2 == 0 {
			after := st.Buffer.LastFrame - min(st.Buffer.LastFrame, 4000)
			for p := range 4 {
				get("/api/v1/packets?limit=500&after="+strconv.FormatUint(after+uint64(p)*500, 10), nil)
			}
		} else {
			get("/api/v1/packets?tail=500", nil)
		}
		if i%20 == 0 {
			get("/api/v1/devices", nil)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// BenchmarkPipelineBesideHeavyEventReads reports the pipeline's frame
// rate with 100 clients reading the largest event pages against none, as
// ratios (1 is no change): per CPU-second of the pipeline's thread, and
// per wall-clock second (which also shows how two shared cores were
// divided).
//
//	go test -run X -bench PipelineBesideHeavy -benchtime 1x ./httpd/uitest
func BenchmarkPipelineBesideHeavyEventReads(b *testing.B) {
	for b.Loop() {
		r := pipelineWithClients(b, 100, "heavy event", heavyEventClient, fillEventLog, 6)
		b.ReportMetric(1+r.cpu, "cpu-rate-ratio")
		b.ReportMetric(1+r.wall, "wall-rate-ratio")
	}
}

// TestPacedIntakeBesideHeavyEventReads is issue 12's load case as the
// appliance meets it: the demo network with 5,000 extra followers paced in
// real time (live mode, as capture would deliver it) while 100 clients
// read the largest event pages. Capture must keep up: frames taken in
// within 10 % of those due, and no Master Silent (the network does not
// stop; a slow reader is not a silent master).
func TestPacedIntakeBesideHeavyEventReads(t *testing.T) {
	if testing.Short() {
		t.Skip("CPU-heavy for about 10 s")
	}
	net := sim.DefaultDemo()
	if err := sim.AddDemoFollowers(&net, 5000); err != nil {
		t.Fatal(err)
	}
	n, err := sim.New(net, sim.Options{Start: time.Now().UnixNano()})
	if err != nil {
		t.Fatal(err)
	}
	b := newModelBackend(t, 64<<20)
	fillEventLog(b)
	b.pipe.Live = true
	base := serveBackend(t, b)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.pipe.Run(ctx, &source.Pacer{Source: n, Speed: 1}) }()
	defer func() { cancel(); <-done }()
	time.Sleep(3 * time.Second) // every clock seen
	window := func() float64 {
		f0, w0 := b.pipe.Counters.Received.Load(), time.Now()
		time.Sleep(3 * time.Second)
		return float64(b.pipe.Counters.Received.Load()-f0) / time.Since(w0).Seconds()
	}
	idle := window()
	cctx, ccancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() { defer wg.Done(); heavyEventClient(cctx, base) }()
	}
	loaded := window()
	ccancel()
	wg.Wait()
	after := window() // catching up on what waited
	t.Logf("paced demo + 5,000 followers: %.0f frames/s alone, %.0f with 100 heavy event readers (%.1f %%), %.0f after",
		idle, loaded, 100*(loaded/idle-1), after)
	if loaded < 0.9*idle {
		t.Errorf("intake fell to %.0f frames/s with heavy readers from %.0f", loaded, idle)
	}
	for _, e := range b.model.Events.Events(state.DefaultEventLogSize, 0) {
		if e.Type == state.MasterSilent {
			t.Errorf("false %s: %s %s", e.Type, e.Subject, e.Detail)
		}
	}
}
