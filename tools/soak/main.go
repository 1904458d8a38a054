//go:build linux

// Command soak runs the appliance on its demo network at scale and loads it
// the way a busy control room and an attacker would at once, to check that
// it stays up, keeps its memory bounded, does not blame the network for its
// own load, and keeps taking frames in as fast as when it is idle.
//
// It starts bin/ptpwatch (or -bin) with the demo network plus -followers
// extra followers and no scripted incidents, so every Master Silent or
// Sequence Gap event is a false alarm. Then it alternates idle and loaded
// phases of -phase each for -duration. A loaded phase runs -clients API
// clients (a mix of the heaviest reads: the whole event log, packet lists,
// walks of every device and instance, metrics, hierarchy, and held event
// streams) beside -guessers goroutines guessing passwords as fast as the
// server answers. Frame intake is read from /metrics at each phase's ends,
// and the process's resident memory every second.
//
// It fails (exit 1) when the appliance dies, when a loaded phase takes in
// frames more than -tolerance below the idle phases, when any Master Silent
// or Sequence Gap event is raised, or when resident memory in the second
// half of the run grows beyond the first half's peak by more than
// -growth. It prints one line per phase and a summary naming the CPU.
//
// Usage (as make soak does):
//
//	go build -o bin/ptpwatch . && go run ./tools/soak -duration 10m
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type options struct {
	bin        string
	duration   time.Duration
	phase      time.Duration
	warmup     time.Duration
	followers  int
	clients    int
	streams    int
	guessers   int
	tolerance  float64
	growth     float64
	keep       bool
	verboseLog bool
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/ptpwatch", "the ptpwatch binary to soak")
	flag.DurationVar(&o.duration, "duration", 10*time.Minute, "total time of the idle and loaded phases")
	flag.DurationVar(&o.phase, "phase", 30*time.Second, "length of one idle or loaded phase")
	flag.DurationVar(&o.warmup, "warmup", 30*time.Second, "time after start before the first phase (every follower detected)")
	flag.IntVar(&o.followers, "followers", 5000, "extra demo followers")
	flag.IntVar(&o.clients, "clients", 200, "API clients in a loaded phase")
	flag.IntVar(&o.streams, "streams", 20, "of the clients, how many hold an event stream open")
	flag.IntVar(&o.guessers, "guessers", 8, "goroutines guessing passwords in a loaded phase")
	flag.Float64Var(&o.tolerance, "tolerance", 0.05, "largest allowed fall of loaded intake below idle intake")
	flag.Float64Var(&o.growth, "growth", 0.25, "largest allowed growth of peak memory from the first to the second half")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (config, data, appliance log)")
	flag.BoolVar(&o.verboseLog, "v", false, "copy the appliance's log to stderr")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "soak: FAIL:", err)
		os.Exit(1)
	}
	fmt.Println("soak: PASS")
}

const (
	user     = "soak"
	password = "soak-password-1"
)

func run(o options) error {
	if o.phase <= 0 || o.duration < 2*o.phase {
		return fmt.Errorf("-duration %v must hold at least one idle and one loaded phase of %v", o.duration, o.phase)
	}
	if o.streams > o.clients {
		o.streams = o.clients
	}
	bin, err := filepath.Abs(o.bin)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "ptpwatch-soak-")
	if err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	} else {
		fmt.Println("soak: work directory", dir)
	}
	hash, err := passwordHash(bin)
	if err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cfg := fmt.Sprintf(`[demo]
enabled = true
incidents = false
followers = %d

[http]
listen = "127.0.0.1:%d"
users = ["%s:admin:%s"]

[storage]
data_dir = %q

[capture]
buffer_bytes = 33554432

[log]
stats_interval = 0
`, o.followers, port, user, hash, filepath.Join(dir, "data"))
	cfgPath := filepath.Join(dir, "ptpwatch.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(dir, "ptpwatch.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "-c", cfgPath)
	cmd.Stdout = logf
	cmd.Stderr = logf
	if o.verboseLog {
		cmd.Stderr = io.MultiWriter(logf, os.Stderr)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
		}
	}()

	c := &client{base: base, http: &http.Client{Timeout: 60 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: o.clients + o.guessers + 8}}}
	if err := c.waitReady(exited, 60*time.Second); err != nil {
		return err
	}
	fmt.Printf("soak: appliance up (pid %d) at %s with %d followers; warming up %v\n", cmd.Process.Pid, base, o.followers, o.warmup)
	select {
	case err := <-exited:
		return fmt.Errorf("appliance exited during warm-up: %v (log in %s)", err, logf.Name())
	case <-time.After(o.warmup):
	}
	before, err := c.metrics()
	if err != nil {
		return err
	}

	mem := &rssWatch{pid: cmd.Process.Pid}
	memCtx, memStop := context.WithCancel(context.Background())
	memDone := make(chan struct{})
	go func() { defer close(memDone); mem.watch(memCtx) }()
	defer func() { memStop(); <-memDone }()

	var idle, loaded []float64
	var load loadStats
	start := time.Now()
	for i := 0; time.Since(start)+o.phase <= o.duration || i < 2; i++ {
		loadedPhase := i%2 == 1
		var stop func()
		if loadedPhase {
			stop = startLoad(c, o, &load)
		}
		rate, err := c.intake(o.phase, exited)
		if stop != nil {
			stop()
		}
		if err != nil {
			return fmt.Errorf("phase %d: %w", i+1, err)
		}
		kind := "idle  "
		if loadedPhase {
			loaded = append(loaded, rate)
			kind = "loaded"
		} else {
			idle = append(idle, rate)
		}
		fmt.Printf("soak: phase %2d %s %10.0f frames/s  rss %6.0f MiB  requests %d (errors %d)  guesses %d (429: %d)\n",
			i+1, kind, rate, float64(mem.last.Load())/(1<<20), load.requests.Load(), load.errors.Load(),
			load.guesses.Load(), load.throttled.Load())
	}
	select {
	case err := <-exited:
		return fmt.Errorf("appliance exited: %v (log in %s)", err, logf.Name())
	default:
	}
	after, err := c.metrics()
	if err != nil {
		return err
	}
	memStop()
	<-memDone

	var failures []string
	idleMean, loadedMean := mean(idle), mean(loaded)
	ratio := loadedMean / idleMean
	fmt.Printf("soak: CPU %s\n", cpuModel())
	fmt.Printf("soak: intake idle %.0f frames/s, loaded %.0f frames/s: loaded/idle %.3f (limit %.3f)\n",
		idleMean, loadedMean, ratio, 1-o.tolerance)
	if ratio < 1-o.tolerance {
		failures = append(failures, fmt.Sprintf("loaded intake %.1f%% below idle", 100*(1-ratio)))
	}
	first, second := mem.halves()
	fmt.Printf("soak: peak rss first half %.0f MiB, second half %.0f MiB\n", float64(first)/(1<<20), float64(second)/(1<<20))
	if float64(second) > float64(first)*(1+o.growth) {
		failures = append(failures, fmt.Sprintf("memory grew from %d to %d bytes", first, second))
	}
	for _, t := range []string{"Master Silent", "Sequence Gap", "Capture Trouble"} {
		n := after.events[t] - before.events[t]
		fmt.Printf("soak: %q events during the phases: %.0f\n", t, n)
		if n > 0 && t != "Capture Trouble" {
			failures = append(failures, fmt.Sprintf("%.0f %s events the demo did not script", n, t))
		}
	}
	if len(failures) > 0 {
		// What the false alarms said, beside the reader's own reports.
		for _, t := range []string{"Master%20Silent", "Sequence%20Gap", "Capture%20Trouble"} {
			_, body, err := c.body("/api/v1/events?type=" + t + "&tail=20")
			if err == nil {
				fmt.Printf("soak: last %s events: %s\n", strings.ReplaceAll(t, "%20", " "), body)
			}
		}
	}
	fmt.Printf("soak: API requests %d (failed %d), password guesses %d (429: %d)\n",
		load.requests.Load(), load.errors.Load(), load.guesses.Load(), load.throttled.Load())
	if load.requests.Load() == 0 || load.guesses.Load() == 0 {
		failures = append(failures, "the load never reached the appliance")
	}
	if len(failures) > 0 {
		return errors.New(strings.Join(failures, "; "))
	}
	return nil
}

// passwordHash asks the binary under test for the bcrypt hash of password.
func passwordHash(bin string) (string, error) {
	cmd := exec.Command(bin, "passwd", "--role", "admin", user)
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s passwd: %w", bin, err)
	}
	// The line is users = ["NAME:ROLE:HASH"]; keep the hash.
	s := string(out)
	i := strings.Index(s, user+":admin:")
	if i < 0 {
		return "", fmt.Errorf("%s passwd printed no users line: %q", bin, s)
	}
	s = s[i+len(user+":admin:"):]
	if j := strings.IndexByte(s, '"'); j >= 0 {
		s = s[:j]
	}
	return strings.TrimSpace(s), nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

type client struct {
	base string
	http *http.Client
}

func (c *client) get(ctx context.Context, path string, pass string) (int, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return 0, 0, err
	}
	req.SetBasicAuth(user, pass)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, 0, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, n, err
}

func (c *client) body(path string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		return 0, "", err
	}
	req.SetBasicAuth(user, password)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func (c *client) waitReady(exited <-chan error, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("appliance exited before answering: %v", err)
		default:
		}
		code, _, err := c.get(context.Background(), "/api/v1/capture", password)
		if err == nil && code == http.StatusOK {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("appliance not answering after %v: status %d, %v", limit, code, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type sample struct {
	at       time.Time
	received float64
	events   map[string]float64
}

// metrics reads frames received and events by type from /metrics.
func (c *client) metrics() (sample, error) {
	req, _ := http.NewRequest(http.MethodGet, c.base+"/metrics", nil)
	req.SetBasicAuth(user, password)
	resp, err := c.http.Do(req)
	if err != nil {
		return sample{}, fmt.Errorf("read /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return sample{}, fmt.Errorf("read /metrics: status %d", resp.StatusCode)
	}
	s := sample{at: time.Now(), received: math.NaN(), events: map[string]float64{}}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, `ptpwatch_frames_total{result="received"}`):
			s.received = lastFloat(line)
		case strings.HasPrefix(line, `ptpwatch_events_total{type="`):
			name := strings.TrimPrefix(line, `ptpwatch_events_total{type="`)
			if i := strings.IndexByte(name, '"'); i >= 0 {
				s.events[name[:i]] = lastFloat(line)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return s, fmt.Errorf("read /metrics: %w", err)
	}
	if math.IsNaN(s.received) {
		return s, errors.New(`/metrics has no ptpwatch_frames_total{result="received"}`)
	}
	return s, nil
}

func lastFloat(line string) float64 {
	f := strings.Fields(line)
	v, err := strconv.ParseFloat(f[len(f)-1], 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

// intake measures frames received per second over d.
func (c *client) intake(d time.Duration, exited <-chan error) (float64, error) {
	a, err := c.metrics()
	if err != nil {
		return 0, err
	}
	select {
	case err := <-exited:
		return 0, fmt.Errorf("appliance exited: %v", err)
	case <-time.After(d):
	}
	b, err := c.metrics()
	if err != nil {
		return 0, err
	}
	return (b.received - a.received) / b.at.Sub(a.at).Seconds(), nil
}

type loadStats struct {
	requests, errors, guesses, throttled atomic.Int64
}

// heavyReads are what the control room asks for, heaviest first.
var heavyReads = []string{
	"/api/v1/events?limit=100000",
	"/api/v1/packets?limit=1000",
	"/api/v1/devices",
	"/api/v1/instances",
	"/api/v1/hierarchy",
	"/metrics",
	"/api/v1/scopes",
	"/api/v1/stats",
	"/api/v1/capture",
}

// startLoad starts the clients and guessers; the returned func stops them
// and waits until they have.
func startLoad(c *client, o options, st *loadStats) func() {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i < o.streams {
				// A held stream: it reads until the phase ends.
				_, _, err := c.get(ctx, "/api/v1/events/stream", password)
				st.requests.Add(1)
				if err != nil && ctx.Err() == nil {
					st.errors.Add(1)
				}
				return
			}
			for n := i; ctx.Err() == nil; n++ {
				code, _, err := c.get(ctx, heavyReads[n%len(heavyReads)], password)
				if ctx.Err() != nil {
					return
				}
				st.requests.Add(1)
				if err != nil || code != http.StatusOK {
					st.errors.Add(1)
				}
			}
		}()
	}
	for i := range o.guessers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ctx.Err() == nil; n++ {
				code, _, _ := c.get(ctx, "/api/v1/capture", fmt.Sprintf("guess-%d-%d", i, n))
				if ctx.Err() != nil {
					return
				}
				st.guesses.Add(1)
				if code == http.StatusTooManyRequests {
					st.throttled.Add(1)
				}
			}
		}()
	}
	return func() { cancel(); wg.Wait() }
}

// rssWatch samples a process's resident memory every second.
type rssWatch struct {
	pid     int
	last    atomic.Int64
	mu      sync.Mutex
	samples []int64
}

func (w *rssWatch) watch(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		if v, err := rss(w.pid); err == nil {
			w.last.Store(v)
			w.mu.Lock()
			w.samples = append(w.samples, v)
			w.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// halves returns the peak of the first and of the second half of the samples.
func (w *rssWatch) halves() (first, second int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	h := len(w.samples) / 2
	for i, v := range w.samples {
		if i < h {
			first = max(first, v)
		} else {
			second = max(second, v)
		}
	}
	return first, second
}

func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			f := strings.Fields(string(rest))
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS")
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
