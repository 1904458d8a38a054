package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var natsURLRE = regexp.MustCompile(`collector receiving forwarded frames.* nats=(nats://[0-9.:]+)`)

// TestApplianceForwarding runs the binary as a collector and twice as a
// probe replaying a public capture into it with [forward]: the collector
// shows both sites on /api/v1/sites with every frame, and their scopes on
// the segments the probes were given; an incident recorded at the
// collector names the sites' interfaces, which appeared after it started.
func TestApplianceForwarding(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	captures := os.Getenv("PTPWATCH_CAPTURES")
	if captures == "" {
		captures = "../shared/captures"
	}
	capture := filepath.Join(captures, "tcpdump", "ptp_ethernet.pcap")
	if _, err := os.Stat(capture); err != nil {
		t.Skipf("public capture missing (set PTPWATCH_CAPTURES): %v", err)
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "site.key")
	if err := os.WriteFile(keyFile, []byte("7 "+strings.Repeat("5a", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	colCfg := write("collector.toml", fmt.Sprintf("[collector]\nenabled = true\nlisten = \"127.0.0.1:0\"\nkey_file = %q\nallow = [\"127.0.0.0/8\"]\n", keyFile))
	var logs safeBuffer
	col := exec.Command(bin, "-c", colCfg, "--http", "127.0.0.1:0", "--data", filepath.Join(dir, "data"))
	col.Stderr = &logs
	if err := col.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { col.Process.Kill(); col.Wait() }()
	base := waitListen(t, &logs)
	var natsURL string
	for deadline := time.Now().Add(20 * time.Second); natsURL == ""; time.Sleep(50 * time.Millisecond) {
		if m := natsURLRE.FindStringSubmatch(logs.String()); m != nil {
			natsURL = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no NATS address in the collector's log:\n%s", logs.String())
		}
	}
	for i, site := range []string{"paris", "tokyo"} {
		cfg := write(site+".toml", fmt.Sprintf("[forward]\nenabled = true\nsite = %q\nsegment = %d\ncollectors = [%q]\nkey_file = %q\n",
			site, i+1, natsURL, keyFile))
		// A probe that does not end with its replay fails here, not at the
		// suite's timeout.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		out, err := exec.CommandContext(ctx, bin, "-c", cfg, "--replay", capture, "--exit-after-replay", "--http", "127.0.0.1:0").CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("probe %s: %v\n%s", site, err, out)
		}
		if strings.Contains(string(out), strings.Repeat("5a", 32)) {
			t.Fatalf("probe %s logged its key", site)
		}
	}
	get := func(path string, into any) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(b, into); err != nil {
			t.Fatalf("GET %s: %v\n%s", path, err, b)
		}
	}
	const frames = 205 // in ptp_ethernet.pcap
	var counts []int
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		counts = nil
		get("/api/v1/sites/*/framesForwarded", &counts)
		if len(counts) == 2 && counts[0] == frames && counts[1] == frames {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("frames per site %v, want two sites with %d", counts, frames)
		}
	}
	var segs []struct {
		Segment int      `json:"segment"`
		Scopes  []string `json:"scopes"`
	}
	for deadline := time.Now().Add(20 * time.Second); len(segs) < 2; time.Sleep(100 * time.Millisecond) {
		segs = nil
		get("/api/v1/segments", &segs)
		if time.Now().After(deadline) {
			t.Fatalf("segments %+v, want 1 and 2", segs)
		}
	}
	if segs[0].Segment != 1 || segs[1].Segment != 2 || len(segs[0].Scopes) != 1 || len(segs[1].Scopes) != 1 {
		t.Errorf("segments %+v", segs)
	}
	var events struct {
		Events []struct {
			Type    string `json:"type"`
			Subject string `json:"subject"`
		} `json:"events"`
	}
	get("/api/v1/events?type=Probe%20Connected", &events)
	if len(events.Events) != 2 {
		t.Errorf("Probe Connected events %+v", events.Events)
	}
	var status struct {
		Status struct {
			Sources []struct {
				Interfaces []string `json:"interfaces"`
			} `json:"sources"`
		} `json:"status"`
	}
	get("/api/v1/capture", &status)
	if ifs := status.Status.Sources[0].Interfaces; len(ifs) != 2 || !strings.HasPrefix(ifs[0], "paris/") || !strings.HasPrefix(ifs[1], "tokyo/") {
		t.Errorf("collector interfaces %q, want paris/... and tokyo/...", ifs)
	}
	// The dashcam learned the sites' interface names as they appeared.
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/incidents", strings.NewReader(`{"note":"sites"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-PTPWatch", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var inc struct {
		ID uint64 `json:"id"`
	}
	json.NewDecoder(resp.Body).Decode(&inc)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 || inc.ID == 0 {
		t.Fatalf("POST /api/v1/incidents: %d", resp.StatusCode)
	}
	var names []string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var got struct {
			Interfaces []struct {
				Name string `json:"name"`
			} `json:"interfaces"`
		}
		get(fmt.Sprintf("/api/v1/incidents/%d", inc.ID), &got)
		names = names[:0]
		for _, i := range got.Interfaces {
			names = append(names, i.Name)
		}
		if len(names) == 2 && strings.HasPrefix(names[0], "paris/") && strings.HasPrefix(names[1], "tokyo/") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("incident %d names interfaces %q, want paris/... and tokyo/...", inc.ID, names)
		}
	}
	if strings.Contains(logs.String(), strings.Repeat("5a", 32)) {
		t.Error("the collector logged the key")
	}
}
