package manage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecideOwner(t *testing.T) {
	c := []string{"http://a", "http://b"}
	tests := []struct {
		name     string
		results  []probeResult
		attached bool
		api      string
		err      bool
		note     string
	}{
		{"nobody", []probeResult{probeAbsent, probeAbsent}, false, "", false, ""},
		{"first owner wins", []probeResult{probeOwns, probeOwns}, true, "http://a", false, "captured by the appliance at http://a"},
		{"owner after a locked one", []probeResult{probeLocked, probeOwns}, true, "http://b", false, "http://b"},
		{"other interfaces only", []probeResult{probeOther, probeAbsent}, false, "", false, ""},
		{"XDP but no appliance", []probeResult{probeAbsent, probeOther}, true, "", false, "no appliance found claims it"},
		{"XDP and a locked appliance", []probeResult{probeAbsent, probeLocked}, true, "", true, ""},
		{"locked appliance, no XDP", []probeResult{probeLocked, probeAbsent}, false, "", false, ""},
	}
	for _, tc := range tests {
		d := decideOwner("eth0", c, tc.results, tc.attached)
		if d.api != tc.api || (d.err != "") != tc.err || !strings.Contains(d.note, tc.note) || (tc.note == "" && d.note != "") {
			t.Errorf("%s: %+v", tc.name, d)
		}
	}
}

func TestAPICandidates(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	os.Mkdir(data, 0o755)
	os.WriteFile(filepath.Join(data, "appliance.api"), []byte("http://127.0.0.1:9001\n"), 0o644)
	conf := filepath.Join(dir, "p.toml")
	os.WriteFile(conf, []byte("[http]\nlisten = \"0.0.0.0:9000\"\n[storage]\ndata_dir = \""+data+"\"\n"), 0o644)
	t.Setenv("PTPWATCH_API", "http://10.0.0.1:8319/")
	got, notes := apiCandidates(conf, "")
	want := []string{"http://10.0.0.1:8319", "http://127.0.0.1:9000", "http://127.0.0.1:9001", defaultAPI}
	if fmt.Sprint(got) != fmt.Sprint(want) || len(notes) != 0 {
		t.Errorf("candidates %v notes %v, want %v", got, notes, want)
	}
	t.Setenv("PTPWATCH_API", "")
	if got, _ := apiCandidates("", ""); fmt.Sprint(got) != fmt.Sprint([]string{defaultAPI}) {
		t.Errorf("no configuration: %v", got)
	}
	if _, notes := apiCandidates(filepath.Join(dir, "missing.toml"), ""); len(notes) != 1 {
		t.Errorf("a missing configuration file is not noted: %v", notes)
	}
}

// TestQueryFindsAppliance: without --api, ptpwatch query asks the
// appliance named by the configuration file whether it captures -i, and
// goes through its API when it does; an appliance capturing other
// interfaces, or one that wants credentials while no XDP program is
// attached, is passed by.
func TestQueryFindsAppliance(t *testing.T) {
	var ifaces []string
	locked := false
	posted := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if locked {
			http.Error(w, `{"error":"authentication required"}`, 401)
			return
		}
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1/management":
			json.NewEncoder(w).Encode(map[string]any{"interfaces": ifaces, "nodes": []any{}})
		case r.Method == http.MethodPost && r.URL.Path == "/api/v1/management/query":
			posted++
			json.NewEncoder(w).Encode(QueryAnswer{Replies: []*Reply{{Source: "001b21.fffe.000001-1", Sequence: 1, Action: "RESPONSE", IDName: "PARENT_DATA_SET",
				Fields: []Field{{"grandmasterIdentity", "001b21.fffe.000001"}}}}})
		default:
			http.Error(w, `{"error":"not found"}`, 404)
		}
	}))
	defer srv.Close()
	conf := filepath.Join(t.TempDir(), "p.toml")
	os.WriteFile(conf, []byte("[http]\nlisten = \""+strings.TrimPrefix(srv.URL, "http://")+"\"\n"), 0o644)
	t.Setenv("PTPWATCH_API", "")
	t.Setenv("PTPWATCH_TOKEN", "")
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := QueryCommand(append([]string{"-i", "lo", "--config", conf, "--timeout", "200ms"}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}

	ifaces = []string{"lo"}
	code, out, errs := run("GET PARENT_DATA_SET")
	if code != 0 || posted != 1 || !strings.Contains(out, "grandmasterIdentity 001b21.fffe.000001") || !strings.Contains(errs, "lo is captured by the appliance at "+srv.URL) {
		t.Fatalf("appliance owning lo: exit %d, %d posts, out %q, err %q", code, posted, out, errs)
	}
	// --local sends from here: no post. From here, lo answers nothing.
	for _, tc := range []struct {
		name  string
		setup func()
		args  []string
	}{
		{"--local", func() { ifaces = []string{"lo"} }, []string{"--local"}},
		{"appliance on other interfaces", func() { ifaces = []string{"eth9"} }, nil},
		{"locked appliance, no XDP on lo", func() { locked = true }, nil},
	} {
		tc.setup()
		posted = 0
		code, _, errs := run(append(tc.args, "GET PARENT_DATA_SET")...)
		if strings.Contains(errs, "packet socket") && strings.Contains(errs, "not permitted") {
			t.Skipf("%s: sending from here needs CAP_NET_RAW: %s", tc.name, errs)
		}
		if posted != 0 || code != queryNoReply || strings.Contains(errs, "captured by") {
			t.Errorf("%s: exit %d, %d posts, err %q", tc.name, code, posted, errs)
		}
	}
}

func TestParseChronyTracking(t *testing.T) {
	// chronyc -c tracking, as chrony 4 prints it.
	line := "C0A80101,192.168.1.1,3,1765100000.123456789,-0.000012345,0.000001234,0.000005678,-12.345,0.001,0.020,0.012345,0.001234,64.5,Normal\n"
	c := parseChronyTracking(line)
	if c.Error != "" || c.ReferenceID != "C0A80101 (192.168.1.1)" || c.Stratum != 3 || c.SystemTimeS != -0.000012345 || c.RootDelayS != 0.012345 || c.Leap != "Normal" {
		t.Errorf("%+v", c)
	}
	if c := parseChronyTracking("506 Cannot talk to daemon"); c.Error == "" {
		t.Errorf("garbage accepted: %+v", c)
	}
}
