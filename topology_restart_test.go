package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestApplianceTopologyRestart sets the expected topology through the API
// of a demo appliance with a data directory, restarts it, and requires
// the topology back (source "api") and in force: the scope it names is
// judged by its configured grandmaster.
func TestApplianceTopologyRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	start := func() (*exec.Cmd, *safeBuffer, string) {
		var logs safeBuffer
		cmd := exec.Command(bin, "--demo", "--data", data, "--http", "127.0.0.1:0")
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill() })
		return cmd, &logs, waitListen(t, &logs)
	}
	stop := func(cmd *exec.Cmd, logs *safeBuffer) {
		cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("exit: %v\n%s", err, logs.String())
		}
	}
	type topology struct {
		Source    string `json:"source"`
		ChangedBy string `json:"changedBy"`
		Scopes    []struct {
			Match        string `json:"match"`
			Grandmasters []struct {
				Identity string `json:"identity"`
			} `json:"grandmasters"`
		} `json:"scopes"`
	}
	get := func(base string) topology {
		var tp topology
		if err := json.Unmarshal(httpGet(t, base+"/api/v1/health/topology"), &tp); err != nil {
			t.Fatal(err)
		}
		return tp
	}
	const scope = "seg0 v2 domain 24 sdo 1 IEEE 802.3"
	cmd, logs, base := start()
	if tp := get(base); tp.Source != "config" || len(tp.Scopes) != 0 {
		t.Fatalf("first start: %+v", tp)
	}
	req, _ := http.NewRequest(http.MethodPut, base+"/api/v1/health/topology",
		strings.NewReader(`{"scopes": [{"match": "`+scope+`", "grandmasters": [{"identity": "00b0ae.fffe.002401"}]}]}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PUT topology: %d", resp.StatusCode)
	}
	stop(cmd, logs)

	_, logs, base = start()
	tp := get(base)
	if tp.Source != "api" || len(tp.Scopes) != 1 || tp.Scopes[0].Match != scope || tp.Scopes[0].Grandmasters[0].Identity != "00b0ae.fffe.002401" {
		t.Fatalf("after the restart: %+v\n%s", tp, logs.String())
	}
	if !strings.Contains(logs.String(), "expected topology restored from the store") {
		t.Errorf("no restore in the log:\n%s", logs.String())
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		var scopes []struct {
			Name     string `json:"name"`
			Baseline string `json:"baseline"`
		}
		json.Unmarshal(httpGet(t, base+"/api/v1/health/scopes/*"), &scopes)
		found := ""
		for _, s := range scopes {
			if s.Name == scope {
				found = s.Baseline
			}
		}
		if found == "configured" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("scope %s: baseline %q, want configured by the restored topology", scope, found)
		}
	}
}
