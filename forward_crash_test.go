package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state/dashcam"
	"github.com/ptpwatch/ptpwatch/state/store"
)

// crashFrame is frame n of the collector crash test's capture: an
// IEEE 802.3 PTPv2 Sync whose sequenceId and originTimestamp nanoseconds
// carry n, so that each stored frame says which it is.
func crashFrame(n uint32) []byte {
	b := make([]byte, 14+44)
	copy(b, []byte{0x01, 0x1b, 0x19, 0, 0, 0, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xf7})
	p := b[14:]
	p[0], p[1] = 0x00, 0x02 // Sync, PTPv2
	binary.BigEndian.PutUint16(p[2:], 44)
	p[6] = 0x02                                             // twoStep
	copy(p[20:28], []byte{0x02, 0, 0, 0xff, 0xfe, 0, 0, 1}) // clockIdentity
	binary.BigEndian.PutUint16(p[28:], 1)                   // portNumber
	binary.BigEndian.PutUint16(p[30:], uint16(n))           // sequenceId
	p[33] = 0xfd                                            // logMessageInterval -3
	binary.BigEndian.PutUint32(p[40:], n)                   // originTimestamp nanoseconds
	return b
}

// crashFrameNumber returns n of a frame crashFrame made.
func crashFrameNumber(b []byte) (uint32, bool) {
	if len(b) != 14+44 {
		return 0, false
	}
	n := binary.BigEndian.Uint32(b[14+40:])
	return n, bytes.Equal(b, crashFrame(n))
}

// writeCrashCapture writes n frames, one every step from start, as a pcap
// file.
func writeCrashCapture(t *testing.T, path string, n int, start time.Time, step time.Duration) {
	t.Helper()
	var w bytes.Buffer
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr, 0xa1b23c4d) // nanosecond pcap
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1) // Ethernet
	w.Write(hdr)
	for i := range n {
		f := crashFrame(uint32(i))
		ts := start.Add(time.Duration(i) * step)
		rec := make([]byte, 16)
		binary.LittleEndian.PutUint32(rec, uint32(ts.Unix()))
		binary.LittleEndian.PutUint32(rec[4:], uint32(ts.Nanosecond()))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(f)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(f)))
		w.Write(rec)
		w.Write(f)
	}
	if err := os.WriteFile(path, w.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readArchive opens the data directory of a stopped appliance and returns
// the frame numbers its archive holds, in stored order, and the delivery
// mark stored for site.
func readArchive(t *testing.T, data, site string) ([]uint32, uint64, bool) {
	t.Helper()
	s, err := dashcam.Open(data, dashcam.Options{Store: store.Options{MinFreeBytes: -1, BallastBytes: -1}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got []uint32
	err = s.ReadRange(math.MinInt64+int64(2*time.Second), math.MaxInt64-int64(2*time.Second), func(f *dashcam.Frame) bool {
		n, ok := crashFrameNumber(f.Data)
		if !ok {
			t.Errorf("archived frame %x is not one the probe sent", f.Data)
		}
		got = append(got, n)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	marks, err := s.Marks()
	if err != nil {
		t.Fatal(err)
	}
	m, ok := marks[site]
	return got, m.Frame, ok
}

// checkPrefix reports whether got is 0, 1, ..., len(got)-1: every frame
// once and in order.
func checkPrefix(t *testing.T, got []uint32, when string) {
	t.Helper()
	for i, n := range got {
		if n != uint32(i) {
			t.Fatalf("%s: archived frame %d is number %d (want %d): duplicate, loss or reorder; around it %v",
				when, i, n, i, got[max(0, i-3):min(len(got), i+4)])
		}
	}
}

// TestCollectorApplianceCrash runs the binary as a collector with a data
// directory that archives every frame, and the binary as a probe
// replaying 40,000 numbered frames at 2,000 a second into it. The
// collector is killed (SIGKILL) three times mid-stream and started again
// on the same data directory; after each kill the archive holds frames 0
// to k exactly once, in order, with the stored delivery mark at k, and at
// the end it holds every frame the probe forwarded, once, in order.
func TestCollectorApplianceCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const (
		frames = 40000
		step   = 500 * time.Microsecond
		site   = "paris"
	)
	bin := buildBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	capture := filepath.Join(dir, "numbered.pcap")
	writeCrashCapture(t, capture, frames, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), step)
	keyFile := filepath.Join(dir, "site.key")
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("site.key", "3 "+strings.Repeat("c3", 32)+"\n")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	natsAddr := ln.Addr().String()
	ln.Close()
	colCfg := write("collector.toml", fmt.Sprintf("[collector]\nenabled = true\nlisten = %q\nstore_dir = %q\nkey_file = %q\nallow = [\"127.0.0.0/8\"]\n"+
		"[dashcam]\narchive = true\n[log]\nstats_interval = 0\n", natsAddr, filepath.Join(dir, "collector"), keyFile))
	var col *exec.Cmd
	var logs *safeBuffer
	var base string
	start := func() {
		logs = &safeBuffer{}
		col = exec.Command(bin, "-c", colCfg, "--http", "127.0.0.1:0", "--data", data)
		col.Stderr = logs
		if err := col.Start(); err != nil {
			t.Fatal(err)
		}
		base = waitListen(t, logs)
	}
	start()
	defer func() { col.Process.Kill(); col.Wait() }()
	received := func() int64 {
		resp, err := http.Get(base + "/api/v1/capture")
		if err != nil {
			return -1
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var st struct {
			Counters map[string]int64 `json:"counters"`
		}
		if json.Unmarshal(b, &st) != nil {
			return -1
		}
		return st.Counters["received"]
	}
	probeCfg := write("probe.toml", fmt.Sprintf("[forward]\nenabled = true\nsite = %q\ncollectors = [\"nats://%s\"]\nkey_file = %q\nqueue_dir = %q\n"+
		"[replay]\nspeed = 1.0\n[log]\nstats_interval = 0\n", site, natsAddr, keyFile, filepath.Join(dir, "queue")))
	var probeOut safeBuffer
	probe := exec.Command(bin, "-c", probeCfg, "--replay", capture, "--exit-after-replay", "--http", "127.0.0.1:0")
	probe.Stdout, probe.Stderr = &probeOut, &probeOut
	if err := probe.Start(); err != nil {
		t.Fatal(err)
	}
	probeDone := make(chan error, 1)
	go func() { probeDone <- probe.Wait() }()
	defer probe.Process.Kill()

	stored := 0 // frames stored before the running collector started
	for kill := 1; kill <= 3; kill++ {
		deadline := time.Now().Add(60 * time.Second)
		for received() < 3000 {
			if time.Now().After(deadline) {
				t.Fatalf("kill %d: the collector did not receive 3,000 frames in 60 s (received %d)\n%s", kill, received(), logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		rcv := received()
		col.Process.Signal(syscall.SIGKILL)
		col.Wait()
		got, mark, ok := readArchive(t, data, site)
		checkPrefix(t, got, fmt.Sprintf("after kill %d", kill))
		// The probe numbers its frames from 1.
		if !ok || len(got) == 0 || mark != uint64(len(got)) {
			t.Fatalf("after kill %d: %d frames archived, mark %d (stored %v), want the mark at the last", kill, len(got), mark, ok)
		}
		if len(got) >= frames {
			t.Fatalf("kill %d came after the stream ended (%d frames archived): not mid-stream", kill, len(got))
		}
		t.Logf("kill %d: %d frames archived, 0 to %d, mark %d; this run received %d", kill, len(got), len(got)-1, mark, rcv)
		stored = len(got)
		start()
	}
	select {
	case err := <-probeDone:
		if err != nil {
			t.Fatalf("probe: %v\n%s", err, probeOut.String())
		}
	case <-time.After(3 * time.Minute):
		t.Fatalf("the probe did not finish its replay\n%s", probeOut.String())
	}
	want := int64(frames - stored)
	deadline := time.Now().Add(60 * time.Second)
	for received() < want {
		if time.Now().After(deadline) {
			t.Fatalf("the last collector received %d frames, want %d (the %d not stored before it started)", received(), want, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := received(); n != want {
		t.Errorf("the last collector received %d frames, want %d: some were delivered again", n, want)
	}
	col.Process.Signal(syscall.SIGTERM)
	if err := col.Wait(); err != nil {
		t.Errorf("collector exit: %v\n%s", err, logs.String())
	}
	got, mark, _ := readArchive(t, data, site)
	checkPrefix(t, got, "at the end")
	if len(got) != frames || mark != frames {
		t.Fatalf("%d frames archived (mark %d), want %d (mark %d)", len(got), mark, frames, frames)
	}
	t.Logf("%d frames forwarded across 3 kills of the collector, each archived once and in order", frames)
}
