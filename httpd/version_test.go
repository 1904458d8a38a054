package httpd

import (
	"encoding/json"
	"html"
	"strings"
	"testing"
)

// TestVersion: GET /api/v1/status names the running version, which the
// UI shows beside its name.
func TestVersion(t *testing.T) {
	m := serveMem(t, Config{}, shared(t), memOpts{})
	// The UI's files are read once, when the package loads.
	if index := m.get(t, "/"); !strings.Contains(string(index.body), `<small class="version" title="ptpwatch version">`+html.EscapeString(Version())+"<") {
		t.Errorf("the UI does not show the version %s:\n%s", Version(), index.body)
	}
	old := version
	version = "v9.8.7-test"
	defer func() { version = old }()
	r := m.get(t, "/api/v1/status")
	var st statusBody
	if r.status != 200 || json.Unmarshal(r.body, &st) != nil || st.Version != "v9.8.7-test" || st.GoVersion == "" {
		t.Fatalf("GET /api/v1/status: %d %s", r.status, r.body)
	}
	version = ""
	if v := Version(); v == "" || !strings.HasPrefix(VersionLine(), "ptpwatch "+v+" (go") {
		t.Errorf("Version %q, VersionLine %q", v, VersionLine())
	}
}
