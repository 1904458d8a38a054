package natsd_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/xdp/remote"
	"github.com/ptpwatch/ptpwatch/xdp/remote/natsd"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// The relay crash test runs its relay in a child process (this test
// binary again, with relayDirEnv set) so it can be killed outright.
const (
	relayDirEnv    = "PTPWATCH_RELAY_DIR"
	relayListenEnv = "PTPWATCH_RELAY_LISTEN"
	relayDownEnv   = "PTPWATCH_RELAY_DOWNSTREAM"
	// relayTeeEnv makes the child forward the way a collector with
	// [forward] did before relays: the frames its collector returns go
	// into a probe of its own, which seals them anew. TestRelayCrash then
	// fails: after a kill the child reads again what it had already sent
	// (its position is saved every 100 ms), and its new run is news
	// downstream.
	relayTeeEnv = "PTPWATCH_RELAY_TEE"
)

// relayChild is a relay: an embedded server with its store in dir, the
// collector reading it (frames discarded, as a forwarding-only relay's
// pipeline would), and a relay passing the batches on to down; it runs
// until it is killed.
func relayChild(dir, listen, down string, tee bool) error {
	srv, err := natsd.Start(natsd.Config{Listen: listen, StoreDir: filepath.Join(dir, "js")})
	if err != nil {
		return err
	}
	k, err := remote.NewKey(5, bytes.Repeat([]byte{1}, remote.KeyLen))
	if err != nil {
		return err
	}
	c, err := remote.NewCollector(remote.CollectorConfig{Server: srv, FileStorage: true, StateDir: dir, Keys: []remote.Key{k}})
	if err != nil {
		return err
	}
	var add func(*source.Frame)
	if tee {
		q, err := natsd.Start(natsd.Config{StoreDir: filepath.Join(dir, "queue"), MaxStore: 1 << 30})
		if err != nil {
			return err
		}
		p, err := remote.NewProbe(remote.ProbeConfig{Site: "paris", Collectors: []string{down}, Key: k, StoreDir: dir, Queue: q})
		if err != nil {
			return err
		}
		add = func(f *source.Frame) { p.Add(f, c.Interfaces()) }
	} else if _, err := remote.NewProbe(remote.ProbeConfig{Site: "relay", Relay: true, Collectors: []string{down}, Key: k, StoreDir: dir, Queue: srv}); err != nil {
		return err
	}
	var f source.Frame
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Next(ctx, &f)
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		if err == nil && add != nil {
			add(&f)
		}
	}
}

func relayProcess(t *testing.T, dir, listen, down string, tee bool) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), relayDirEnv+"="+dir, relayListenEnv+"="+listen, relayDownEnv+"="+down)
	if tee {
		cmd.Env = append(cmd.Env, relayTeeEnv+"=1")
	}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// TestRelayCrash: a probe forwards 10 k frames a second to a collector
// that relays them to a second collector; the relay's process is killed
// (SIGKILL) five times mid-stream and started again on the same store.
// The second collector returns every frame once, in order, under the
// probe's own site. PTPWATCH_RELAY_TEE=1 shows the same test failing for
// a relay that seals the frames anew.
func TestRelayCrash(t *testing.T) {
	down := startCollector(t, natsd.Config{}, remote.CollectorConfig{})
	r := read(down.c, nil)
	defer r.close()
	dir := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", freePorts(t, 1)[0])
	tee := os.Getenv(relayTeeEnv) != ""
	const kills = 5
	child := relayProcess(t, dir, listen, down.url, tee)
	defer func() {
		child.Process.Kill()
		child.Wait()
	}()
	p := startProbe(t, remote.ProbeConfig{Collectors: []string{"nats://" + listen}, StoreDir: filepath.Join(t.TempDir(), "probe")})
	stop := make(chan struct{})
	count := produce(p, stop)
	for i := range kills {
		from := r.count("paris")
		waitFor(t, 60*time.Second, "frames through the relay", func() bool { return r.count("paris") >= from+1000 })
		if err := child.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		child.Wait()
		t.Logf("kill %d after %d frames downstream", i+1, r.count("paris"))
		child = relayProcess(t, dir, listen, down.url, tee)
	}
	close(stop)
	n := <-count
	drain(t, p)
	waitFor(t, 60*time.Second, "every frame downstream", func() bool { return r.count("paris") >= int(n) })
	r.mu.Lock()
	got := append([]uint64(nil), r.got["paris"]...)
	sites := len(r.got)
	r.mu.Unlock()
	if len(got) != int(n) || sites != 1 {
		t.Errorf("%d frames from %d sites downstream, %d forwarded", len(got), sites, n)
	}
	for i, v := range got {
		if v != uint64(i) {
			t.Fatalf("frame %d downstream is number %d (duplicate, loss or reorder)", i, v)
		}
	}
	for _, s := range down.c.Sites() {
		if s.Lost != 0 {
			t.Errorf("site %+v", s)
		}
	}
	t.Logf("%d frames across %d kills of the relay, each once and in order downstream (refused: %+v)", n, kills, down.c.Refused())
}

// TestOpenForwardRelays: [forward] on an appliance whose collector has
// an embedded server opens a relay, which passes a probe's frames on to
// the next collector under the probe's own site, and needs NKEYs listed
// for the sites it relays there.
func TestOpenForwardRelays(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "psk")
	if err := os.WriteFile(keyFile, []byte(fmt.Sprintf("5 %x\n", bytes.Repeat([]byte{1}, remote.KeyLen))), 0o600); err != nil {
		t.Fatal(err)
	}
	relayKey, kp := newNkey(t)
	seedText, _ := kp.Seed()
	seed := filepath.Join(dir, "relay.nk")
	if err := os.WriteFile(seed, seedText, 0o600); err != nil {
		t.Fatal(err)
	}
	down := startCollector(t, natsd.Config{Nkeys: []string{"paris:" + relayKey.Public()}}, remote.CollectorConfig{})
	r := read(down.c, nil)
	defer r.close()

	csec := remote.DefaultCollector()
	csec.Enabled, csec.Listen, csec.StoreDir, csec.KeyFile = true, "127.0.0.1:0", filepath.Join(dir, "relay"), keyFile
	col, err := natsd.OpenCollector(csec, testLog(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer col.Close()
	fsec := remote.DefaultForward()
	fsec.Enabled, fsec.Site, fsec.Collectors, fsec.KeyFile, fsec.NkeyFile, fsec.Evaluate = true, "relay", []string{down.url}, keyFile, seed, false
	relay, err := natsd.OpenForward(fsec, col, testLog(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	if !relay.IsRelay() {
		t.Fatal("a collector's [forward] did not open a relay")
	}
	p := startProbe(t, remote.ProbeConfig{Collectors: []string{col.Server().ClientURL()}})
	const n = 3000
	for i := range uint64(n) {
		f := numbered(i)
		p.Add(&f, ifaces)
	}
	drain(t, p)
	waitFor(t, 20*time.Second, "the relayed frames", func() bool { return r.count("paris") >= n })
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, v := range r.got["paris"] {
		if v != uint64(i) {
			t.Fatalf("frame %d downstream is number %d", i, v)
		}
	}
	if len(r.got) != 1 || len(r.got["paris"]) != n {
		t.Errorf("downstream got %d sites, %d frames of paris; want 1, %d", len(r.got), len(r.got["paris"]), n)
	}
}
