package httpd

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/ptpwatch/ptpwatch/httpd/metrics"
)

func TestWalkSites(t *testing.T) {
	var v any
	json.Unmarshal([]byte(`{"tokyo":{"connected":false,"collectors":[{"url":"a"},{"url":"b"}]},"paris":{"connected":true}}`), &v)
	for _, c := range []struct {
		path []string
		want string
		ok   bool
	}{
		{nil, `{"paris":{"connected":true},"tokyo":{"collectors":[{"url":"a"},{"url":"b"}],"connected":false}}`, true},
		{[]string{"paris", "connected"}, `true`, true},
		{[]string{"*", "connected"}, `[true,false]`, true},
		{[]string{"*", "collectors", "*", "url"}, `[["a","b"]]`, true},
		{[]string{"berlin"}, ``, false},
		{[]string{"paris", "connected", "deeper"}, ``, false},
	} {
		got, ok := walkSites(v, c.path)
		if ok != c.ok {
			t.Errorf("%v: ok %v", c.path, ok)
			continue
		}
		if !ok {
			continue
		}
		var want any
		json.Unmarshal([]byte(c.want), &want)
		if !reflect.DeepEqual(got, want) {
			b, _ := json.Marshal(got)
			t.Errorf("%v = %s, want %s", c.path, b, c.want)
		}
	}
}

// siteBackend is a collector hearing two probe sites.
type siteBackend struct {
	*fixtureBackend
	sites any
}

func (b siteBackend) Sites() any { return b.sites }

// TestSiteMetrics: /metrics carries each site of /api/v1/sites with its
// connection, lag, frames, bytes, drops and queue, labelled by site and role.
func TestSiteMetrics(t *testing.T) {
	var sites any
	json.Unmarshal([]byte(`{"tokyo":{"role":"remote","connected":false,"lagSeconds":0,"framesForwarded":7,"bytesForwarded":700,"droppedFrames":3},
		"paris":{"role":"remote","connected":true,"lagSeconds":0.25,"framesForwarded":10,"bytesForwarded":1000,"queuedBytes":0,"droppedFrames":0}}`), &sites)
	s := &Server{b: siteBackend{shared(t), sites}}
	out := string(partMetrics.Write(nil, s, metrics.Options{PerInstance: true}))
	for _, want := range []string{
		`ptpwatch_site_connected{site="paris",role="remote"} 1` + "\n",
		`ptpwatch_site_connected{site="tokyo",role="remote"} 0` + "\n",
		`ptpwatch_site_lag_seconds{site="paris",role="remote"} 0.25` + "\n",
		`ptpwatch_site_forwarded_frames_total{site="tokyo",role="remote"} 7` + "\n",
		`ptpwatch_site_forwarded_bytes_total{site="paris",role="remote"} 1000` + "\n",
		`ptpwatch_site_dropped_frames_total{site="tokyo",role="remote"} 3` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(out, "ptpwatch_management_") || strings.Contains(out, "ptpwatch_alarm_") {
		t.Errorf("families of parts that do not run:\n%s", out)
	}
}
