package manage

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseQueryCmd(t *testing.T) {
	tests := []struct {
		in    string
		write bool
		bad   string
	}{
		{"GET PARENT_DATA_SET", false, ""},
		{"get port_data_set", false, ""},
		{"SET PRIORITY1 data=7f00", true, ""},
		{"SET PRIORITY1 data=7f00", false, "allow-write"},
		{"COMMAND ENABLE_PORT", true, ""},
		{"GET", false, "want ACTION ID"},
		{"FETCH PARENT_DATA_SET", false, "want GET, SET or COMMAND"},
		{"GET NO_SUCH_ID", false, "unknown management ID"},
		{"GET PARENT_DATA_SET data=00", false, "unexpected"},
		{"SET PRIORITY1 data=zz", true, "data"},
	}
	for _, tc := range tests {
		_, err := parseQueryCmd(tc.in, tc.write)
		switch {
		case tc.bad == "" && err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)):
			t.Errorf("%q: error %v, want one saying %q", tc.in, err, tc.bad)
		}
	}
}

// TestQueryThroughAPI: with --api, ptpwatch query posts each command to the
// appliance and prints the answers as pmc does.
func TestQueryThroughAPI(t *testing.T) {
	var got QueryRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/management/query" || r.Header.Get("X-PTPWatch") != "1" || r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, `{"error":"bad request"}`, 400)
			return
		}
		json.NewDecoder(r.Body).Decode(&got)
		json.NewEncoder(w).Encode(QueryAnswer{Replies: []*Reply{{Source: "001b21.fffe.000001-1", Sequence: 3, Action: "RESPONSE", IDName: "PARENT_DATA_SET",
			Fields: []Field{{"parentPortIdentity", "001b21.fffe.000001-0"}, {"grandmasterIdentity", "001b21.fffe.000001"}}}}})
	}))
	defer srv.Close()
	t.Setenv("PTPWATCH_TOKEN", "tok")
	var out, errb bytes.Buffer
	code := QueryCommand([]string{"--api", srv.URL, "-6", "-d", "3", "-b", "0", "GET PARENT_DATA_SET"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if got.Command != "GET PARENT_DATA_SET" || got.Transport != "udpv6" || got.Domain != 3 || got.BoundaryHops != 0 {
		t.Errorf("request %+v", got)
	}
	want := "sending: GET PARENT_DATA_SET\n\t001b21.fffe.000001-1 seq 3 RESPONSE MANAGEMENT PARENT_DATA_SET\n" +
		"\t\tparentPortIdentity  001b21.fffe.000001-0\n\t\tgrandmasterIdentity 001b21.fffe.000001\n"
	if out.String() != want {
		t.Errorf("output\n%q\nwant\n%q", out.String(), want)
	}
}
