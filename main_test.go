package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeCommandJSON(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"decode", "decode/testdata/fixture.pcapng", "--json"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	frames := 0
	var summary struct {
		Summary struct {
			Frames, PTP int
			Types       map[string]int
			Results     map[string]int
		}
	}
	for sc.Scan() {
		line := sc.Bytes()
		if bytes.HasPrefix(line, []byte(`{"summary"`)) {
			if err := json.Unmarshal(line, &summary); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var f frameJSON
		if err := json.Unmarshal(line, &f); err != nil {
			t.Fatalf("line %d: %v", frames+1, err)
		}
		frames++
		if f.Frame != frames || f.Result != "ok" || f.Layers["ptp"] == nil && f.Layers["ptpv1"] == nil {
			t.Errorf("frame %d: %+v", frames, f)
		}
	}
	if summary.Summary.Frames != frames || summary.Summary.PTP != frames || summary.Summary.Results["ok"] != frames {
		t.Errorf("summary %+v for %d frames", summary.Summary, frames)
	}
	if summary.Summary.Types["PTPv2 Sync"] == 0 || summary.Summary.Types["PTPv2 Management"] == 0 {
		t.Errorf("summary types %v", summary.Summary.Types)
	}
}

func TestDecodeCommandText(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"decode", "-v", "decode/testdata/fixture.pcapng"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	s := out.String()
	for _, want := range []string{"PTPv2 Announce", "grandmasterIdentity: ", "frames,", "vlan 4094", "UDP/IPv6"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestDecodeCommandErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pcap")
	os.WriteFile(garbage, []byte("this is not a capture file at all"), 0o644)
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"decode"}, exitUsage, "exactly one capture file"},
		{[]string{"decode", "a", "b"}, exitUsage, "exactly one capture file"},
		{[]string{"decode", "--bogus", "x"}, exitUsage, "flag provided but not defined"},
		{[]string{"decode", filepath.Join(dir, "missing.pcap")}, exitError, "no such file"},
		{[]string{"decode", garbage}, exitError, garbage},
		{[]string{"frobnicate"}, exitUsage, "unknown command"},
		{nil, exitUsage, "no frame source"},
		{[]string{"-e", "capture:nosuch"}, exitUsage, "no such setting"},
		{[]string{"--bogus"}, exitUsage, "flag provided but not defined"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(tt.args, &out, &errb)
		if code != tt.code || !strings.Contains(errb.String(), tt.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, errb.String(), tt.code, tt.msg)
		}
	}
}

func TestAnalyzeCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"analyze", "decode/testdata/fixture.pcapng", "--json"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var a struct {
		Frames struct{ Received, Decoded uint64 }
		Model  struct {
			Scopes  []struct{ Name string }
			Devices []struct {
				ClockIdentity string
				Roles         []struct{ Role string }
			}
		}
		Events []struct{ Type string }
	}
	if err := json.Unmarshal(out.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	if a.Frames.Received == 0 || a.Frames.Decoded != a.Frames.Received {
		t.Errorf("frames %+v", a.Frames)
	}
	if len(a.Model.Scopes) < 10 || len(a.Model.Devices) < 3 || len(a.Events) == 0 {
		t.Errorf("model too small: %d scopes, %d devices, %d events", len(a.Model.Scopes), len(a.Model.Devices), len(a.Events))
	}
	out.Reset()
	if code := run([]string{"analyze", "decode/testdata/fixture.pcapng"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"SCOPES", "DEVICES", "INSTANCES", "HIERARCHY", "EVENTS", "seg0 v1 subdomain _DFLT UDP/IPv4", "Scope Detected"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text output lacks %q", want)
		}
	}
	errb.Reset()
	if code := run([]string{"analyze", "/nonexistent.pcap"}, &out, &errb); code != exitError || !strings.Contains(errb.String(), "nonexistent") {
		t.Errorf("missing file: exit %d, %q", code, errb.String())
	}
}

func TestConfigFlags(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-O"}, &out, &errb); code != exitOK {
		t.Fatalf("-O: exit %d", code)
	}
	// The printed defaults parse back to exactly DefaultConfig.
	dir := t.TempDir()
	file := filepath.Join(dir, "ptpwatch.toml")
	os.WriteFile(file, out.Bytes(), 0o644)
	cfg, err := LoadConfig(file)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, DefaultConfig()) {
		t.Errorf("-O output parses to\n%+v\nwant\n%+v", cfg, DefaultConfig())
	}
	for _, s := range settings {
		if !strings.Contains(out.String(), "\n"+s.key+" = ") {
			t.Errorf("-O lacks %s", s.key)
		}
	}
	out.Reset()
	if code := run([]string{"-e", "capture:method"}, &out, &errb); code != exitOK || !strings.Contains(out.String(), "af_xdp") {
		t.Errorf("-e capture:method: exit %d %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"-k", "-c", file}, &out, &errb); code != exitOK || !strings.Contains(out.String(), "OK") {
		t.Errorf("-k: exit %d %q %q", code, out.String(), errb.String())
	}
	bad := []struct{ text, msg string }{
		{"[capture]\nmethod = \"pcap\"\n", "capture.method"},
		{"[capture]\nmethd = \"auto\"\n", "unknown setting"},
		{"[model]\nshards = 0\n", "model.shards"},
		{"[http]\nlisten = \"nonsense\"\n", "http.listen"},
		{"[log\nlevel=1", "line 1"},
	}
	for _, b := range bad {
		os.WriteFile(file, []byte(b.text), 0o644)
		errb.Reset()
		if code := run([]string{"-k", "-c", file}, &out, &errb); code != exitConfig || !strings.Contains(errb.String(), b.msg) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", b.text, code, errb.String(), exitConfig, b.msg)
		}
	}
}

func TestReplayAppliance(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"--replay", "decode/testdata/fixture.pcapng"}, &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"ptpwatch started", "frame source finished", "received=242", "Scope Detected"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
}
