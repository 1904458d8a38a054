package httpd

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
)

func decodeJSON(t *testing.T, r reply, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body is not JSON (%v): %.300s", err, r.body)
	}
}

// checkError checks a 4xx/5xx reply's shape and that its text mentions
// every one of want.
func checkError(t *testing.T, r reply, status int, want ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type %q", ct)
	}
	var e struct {
		Error  string `json:"error"`
		Status int    `json:"status"`
	}
	decodeJSON(t, r, &e)
	if e.Status != status || e.Error == "" {
		t.Errorf("error body %s", r.body)
	}
	for _, w := range want {
		if !strings.Contains(e.Error, w) {
			t.Errorf("error %q does not mention %q", e.Error, w)
		}
	}
}

func TestRoutes(t *testing.T) {
	b := shared(t)
	base, _ := serve(t, Config{}, b)
	snap := b.snap
	if len(snap.Scopes) < 2 || len(snap.Instances) < 2 || len(snap.Devices) < 2 {
		t.Fatalf("fixture model too small: %d scopes, %d instances, %d devices", len(snap.Scopes), len(snap.Instances), len(snap.Devices))
	}
	sc := snap.Scopes[0]
	for _, s := range snap.Scopes {
		if s.Instances > sc.Instances {
			sc = s
		}
	}
	in := snap.Instances[0]
	dev := snap.Devices[0]
	st := b.buf.Stats()

	type obj = map[string]any
	type arr = []any
	tests := []struct {
		path  string
		check func(t *testing.T, v any)
	}{
		{"/api/v1/scopes", func(t *testing.T, v any) {
			a := v.(arr)
			if len(a) != len(snap.Scopes) {
				t.Errorf("%d scopes, want %d", len(a), len(snap.Scopes))
			}
			for _, k := range []string{"id", "name", "versionPTP", "transport", "counts"} {
				if _, ok := a[0].(obj)[k]; !ok {
					t.Errorf("scope lacks %q", k)
				}
			}
		}},
		{fmt.Sprintf("/api/v1/scopes/%d", sc.ID), func(t *testing.T, v any) {
			if v.(obj)["name"] != sc.Name {
				t.Errorf("got %v", v)
			}
		}},
		{fmt.Sprintf("/api/v1/scopes/%d/instances", sc.ID), func(t *testing.T, v any) {
			a := v.(arr)
			if len(a) != sc.Instances {
				t.Errorf("%d instances, want %d", len(a), sc.Instances)
			}
			for _, x := range a {
				if x.(obj)["scope"] != sc.Name {
					t.Errorf("instance of scope %v", x.(obj)["scope"])
				}
			}
		}},
		{fmt.Sprintf("/api/v1/scopes/%d/grandmaster", sc.ID), func(t *testing.T, v any) {}},
		{"/api/v1/devices", func(t *testing.T, v any) {
			if len(v.(arr)) != len(snap.Devices) {
				t.Errorf("%d devices", len(v.(arr)))
			}
		}},
		{"/api/v1/ports", func(t *testing.T, v any) {
			ports := map[string]int{}
			for _, x := range snap.Instances {
				ports[x.PortIdentity]++
			}
			a := v.(arr)
			if len(a) != len(ports) {
				t.Errorf("%d ports, want %d", len(a), len(ports))
			}
			for _, x := range a {
				p := x.(obj)
				if n := len(p["instances"].(arr)); n != ports[p["portIdentity"].(string)] {
					t.Errorf("port %v has %d instances, want %d", p["portIdentity"], n, ports[p["portIdentity"].(string)])
				}
				for _, k := range []string{"clockIdentity", "portNumber", "macs", "addresses", "firstSeen", "lastSeen"} {
					if _, ok := p[k]; !ok {
						t.Errorf("port lacks %q", k)
					}
				}
			}
		}},
		{"/api/v1/ports/" + in.PortIdentity, func(t *testing.T, v any) {
			p := v.(obj)
			if p["portIdentity"] != in.PortIdentity || p["clockIdentity"] != in.ClockIdentity || p["portNumber"] != float64(in.PortNumber) {
				t.Errorf("got %v", v)
			}
			found := false
			for _, x := range p["instances"].(arr) {
				if x.(obj)["id"] == float64(in.ID) && x.(obj)["scope"] == in.Scope {
					found = true
				}
			}
			if !found {
				t.Errorf("port %s does not list instance %d: %v", in.PortIdentity, in.ID, v)
			}
		}},
		{"/api/v1/ports/" + in.PortIdentity + "/addresses", func(t *testing.T, v any) {
			if in.Address != "" && !slices.Contains(v.(arr), any(in.Address)) {
				t.Errorf("addresses %v lack %s", v, in.Address)
			}
		}},
		{"/api/v1/devices/" + dev.ClockIdentity, func(t *testing.T, v any) {
			if v.(obj)["clockIdentity"] != dev.ClockIdentity {
				t.Errorf("got %v", v)
			}
		}},
		{"/api/v1/devices/" + dev.ClockIdentity + "/roles", func(t *testing.T, v any) { _ = v.(arr) }},
		{"/api/v1/instances", func(t *testing.T, v any) {
			if len(v.(arr)) != len(snap.Instances) {
				t.Errorf("%d instances", len(v.(arr)))
			}
		}},
		{fmt.Sprintf("/api/v1/instances/%d", in.ID), func(t *testing.T, v any) {
			o := v.(obj)
			if o["portIdentity"] != in.PortIdentity || o["portState"] != in.PortState.String() {
				t.Errorf("got %v", v)
			}
		}},
		{fmt.Sprintf("/api/v1/instances/%d/portIdentity", in.ID), func(t *testing.T, v any) {
			if v != in.PortIdentity {
				t.Errorf("got %v", v)
			}
		}},
		{fmt.Sprintf("/api/v1/instances/%d/series", in.ID), func(t *testing.T, v any) {
			pts := v.(obj)["points"].(arr)
			var total float64
			for _, p := range pts {
				for _, n := range p.(obj)["counts"].(obj) {
					total += n.(float64)
				}
			}
			var want uint64
			for _, c := range in.Counters {
				want += c.Count
			}
			if uint64(total) != want {
				t.Errorf("series counts %v messages, counters %d", total, want)
			}
		}},
		{"/api/v1/segments", func(t *testing.T, v any) {
			if len(v.(arr)) != len(snap.Segments) {
				t.Errorf("got %v", v)
			}
		}},
		{"/api/v1/hierarchy", func(t *testing.T, v any) {
			if len(v.(arr)) != len(snap.Hierarchy) {
				t.Errorf("got %d roots", len(v.(arr)))
			}
		}},
		{"/api/v1/capture", func(t *testing.T, v any) {
			o := v.(obj)
			if o["counters"].(obj)["received"].(float64) != float64(b.counters["received"]) {
				t.Errorf("counters %v", o["counters"])
			}
			if o["buffer"].(obj)["frames"].(float64) != float64(st.Frames) {
				t.Errorf("buffer %v", o["buffer"])
			}
			if o["status"] == nil {
				t.Error("no status")
			}
		}},
		{"/api/v1/stats", func(t *testing.T, v any) {
			scopes := v.(obj)["scopes"].(arr)
			if len(scopes) != len(snap.Scopes) {
				t.Fatalf("%d scopes", len(scopes))
			}
			var total float64
			for _, s := range scopes {
				total += s.(obj)["total"].(float64)
			}
			if uint64(total) != b.counters["decoded"] {
				t.Errorf("stats total %v, decoded %d", total, b.counters["decoded"])
			}
		}},
		{fmt.Sprintf("/api/v1/stats/%d/series", sc.ID), func(t *testing.T, v any) {
			pts := v.(obj)["points"].(arr)
			var total uint64
			for _, p := range pts {
				for _, n := range p.(obj)["counts"].(obj) {
					total += uint64(n.(float64))
				}
			}
			var want uint64
			for _, n := range sc.Counts {
				want += n
			}
			if total != want {
				t.Errorf("series total %d, scope counts %d", total, want)
			}
		}},
		{"/api/v1/events", func(t *testing.T, v any) {
			if len(v.(obj)["events"].(arr)) != len(b.events.Events(0, 0)) {
				t.Errorf("got %d events", len(v.(obj)["events"].(arr)))
			}
		}},
		{"/api/v1/packets", func(t *testing.T, v any) {
			o := v.(obj)
			p := o["packets"].(arr)
			if want := min(int(st.Frames), defaultPacketLimit); len(p) != want {
				t.Errorf("%d packets, want %d", len(p), want)
			}
			first := p[0].(obj)
			for _, k := range []string{"frame", "time", "length", "interface", "scope", "messageType", "summary"} {
				if _, ok := first[k]; !ok {
					t.Errorf("packet lacks %q: %v", k, first)
				}
			}
			if first["frame"].(float64) != float64(st.First) {
				t.Errorf("first frame %v", first["frame"])
			}
			if st.Frames > defaultPacketLimit && o["next"] == nil {
				t.Error("no next on a full page")
			}
		}},
		{fmt.Sprintf("/api/v1/packets/%d", st.First), func(t *testing.T, v any) {
			o := v.(obj)
			var r ring.Record
			b.buf.Get(st.First, &r)
			if o["hex"] != hex.EncodeToString(r.Data) || o["base64"] != base64.StdEncoding.EncodeToString(r.Data) {
				t.Error("raw bytes differ")
			}
			fields := o["fields"].(arr)
			if len(fields) == 0 {
				t.Fatal("no fields")
			}
			for _, f := range fields {
				f := f.(obj)
				if _, ok := f["offset"]; !ok {
					t.Errorf("field without offset: %v", f)
				}
				if f["offset"].(float64)+f["length"].(float64) > float64(len(r.Data)) {
					t.Errorf("field %v beyond the frame", f)
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(strings.ReplaceAll(tc.path, "/", "_"), func(t *testing.T) {
			r := do(t, "GET", base+tc.path, "")
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			var v any
			decodeJSON(t, r, &v)
			tc.check(t, v)
		})
	}
}

func TestWildcards(t *testing.T) {
	b := shared(t)
	base, _ := serve(t, Config{}, b)
	snap := b.snap
	get := func(path string) []any {
		t.Helper()
		r := do(t, "GET", base+path, "")
		if r.status != 200 {
			t.Fatalf("%s: status %d: %s", path, r.status, r.body)
		}
		var v []any
		decodeJSON(t, r, &v)
		return v
	}
	strs := func(v []any) []string {
		out := make([]string, len(v))
		for i, x := range v {
			out[i], _ = x.(string)
		}
		return out
	}
	var want []string
	for _, d := range snap.Devices {
		want = append(want, d.ClockIdentity)
	}
	if got := strs(get("/api/v1/devices/*/clockIdentity")); !equal(got, want) {
		t.Errorf("devices/*/clockIdentity = %v, want %v", got, want)
	}
	want = nil
	for _, in := range snap.Instances {
		want = append(want, in.Address)
	}
	if got := strs(get("/api/v1/instances/*/address")); !equal(got, want) {
		t.Errorf("instances/*/address = %v, want %v", got, want)
	}
	// Ports: every instance's port once, in order of first appearance;
	// their instances flatten to every instance's state.
	want = nil
	var states []string
	seen := map[string]bool{}
	byPort := map[string][]string{}
	for _, in := range snap.Instances {
		if !seen[in.PortIdentity] {
			seen[in.PortIdentity] = true
			want = append(want, in.PortIdentity)
		}
		byPort[in.PortIdentity] = append(byPort[in.PortIdentity], in.PortState.String())
	}
	for _, p := range want {
		states = append(states, byPort[p]...)
	}
	if got := strs(get("/api/v1/ports/*/portIdentity")); !equal(got, want) {
		t.Errorf("ports/*/portIdentity = %v, want %v", got, want)
	}
	if got := strs(get("/api/v1/ports/*/instances/*/portState")); !equal(got, states) {
		t.Errorf("ports/*/instances/*/portState = %v, want %v", got, states)
	}
	// Flattened across scopes, in scope then instance order.
	want = nil
	for _, sc := range snap.Scopes {
		for _, in := range snap.Instances {
			if in.ScopeID == sc.ID {
				want = append(want, in.PortState.String())
			}
		}
	}
	if got := strs(get("/api/v1/scopes/*/instances/*/portState")); !equal(got, want) || len(got) != len(snap.Instances) {
		t.Errorf("scopes/*/instances/*/portState = %v, want %v", got, want)
	}
	if got := get("/api/v1/scopes/*"); len(got) != len(snap.Scopes) {
		t.Errorf("scopes/* has %d", len(got))
	}
	if got := get("/api/v1/scopes/*/instances"); len(got) != len(snap.Scopes) {
		t.Errorf("scopes/*/instances has %d", len(got))
	}
	// A map fanned out, and a field of an absent object reading null.
	get("/api/v1/instances/*/counters/*/count")
	if got := get("/api/v1/instances/*/announce/stepsRemoved"); len(got) != len(snap.Instances) {
		t.Errorf("instances/*/announce/stepsRemoved has %d", len(got))
	}
	// Unknown segments are named.
	for path, seg := range map[string]string{
		"/api/v1/devices/*/bogus":                 "bogus",
		"/api/v1/scopes/*/instances/*/nope":       "nope",
		"/api/v1/instances/99999999999":           "99999999999",
		"/api/v1/scopes/*/*":                      "*",
		"/api/v1/instances/*/portIdentity/deeper": "deeper",
		"/api/v1/devices/00.00/clockIdentity":     "00.00",
		"/api/v1/ports/00.00-1/instances":         "00.00-1",
		fmt.Sprintf("/api/v1/scopes/%d/instances/%d/counters/Xx", snap.Instances[0].ScopeID, snap.Instances[0].ID): "Xx",
		fmt.Sprintf("/api/v1/scopes/%d/instances/1", snap.Instances[0].ScopeID):                                    "1",
	} {
		checkError(t, do(t, "GET", base+path, ""), 404, strconv.Quote(seg))
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPacketFilters(t *testing.T) {
	b := shared(t)
	base, _ := serve(t, Config{}, b)
	list := func(q string) []map[string]any {
		t.Helper()
		r := do(t, "GET", base+"/api/v1/packets?"+q, "")
		if r.status != 200 {
			t.Fatalf("%s: status %d: %s", q, r.status, r.body)
		}
		var body struct {
			Packets []map[string]any `json:"packets"`
			Next    uint64           `json:"next"`
		}
		decodeJSON(t, r, &body)
		return body.Packets
	}
	st := b.buf.Stats()
	all := list("limit=10000")
	if len(all) != int(st.Frames) {
		t.Fatalf("%d packets, buffer holds %d", len(all), st.Frames)
	}
	// type by name and number.
	var syncs int
	for _, p := range all {
		if p["messageType"] == "Sync" {
			syncs++
		}
	}
	if got := list("limit=10000&type=Sync"); len(got) != syncs || syncs == 0 {
		t.Errorf("type=Sync: %d, want %d", len(got), syncs)
	}
	if got := list("limit=10000&type=0"); len(got) != syncs {
		t.Errorf("type=0: %d, want %d", len(got), syncs)
	}
	if got := list("limit=10000&type=delay_req"); len(got) == 0 {
		t.Error("type=delay_req found nothing")
	}
	// scope by id and by name.
	sc := b.snap.Scopes[0]
	var want uint64
	for _, n := range sc.Counts {
		want += n
	}
	if got := list(fmt.Sprintf("limit=10000&scope=%d", sc.ID)); len(got) != int(want) {
		t.Errorf("scope=%d: %d, want %d", sc.ID, len(got), want)
	}
	if got := list("limit=10000&scope=" + url.QueryEscape(sc.Name)); len(got) != int(want) {
		t.Errorf("scope=%s: %d, want %d", sc.Name, len(got), want)
	}
	// instance.
	in := b.snap.Instances[0]
	want = 0
	for _, c := range in.Counters {
		want += c.Count
	}
	if got := list(fmt.Sprintf("limit=10000&instance=%d", in.ID)); len(got) != int(want) {
		t.Errorf("instance=%d: %d, want %d", in.ID, len(got), want)
	}
	// src: IP and MAC.
	var ipInst, macInst *state.Instance
	for i := range b.snap.Instances {
		x := &b.snap.Instances[i]
		if x.Address != "" && ipInst == nil {
			ipInst = x
		}
		if x.MAC != "" && x.Address == "" && macInst == nil {
			macInst = x
		}
	}
	for _, x := range []*state.Instance{ipInst, macInst} {
		if x == nil {
			continue
		}
		addr := x.Address
		if addr == "" {
			addr = x.MAC
		}
		got := list("limit=10000&src=" + url.QueryEscape(addr))
		if len(got) == 0 {
			t.Errorf("src=%s found nothing", addr)
		}
		for _, p := range got {
			if !strings.Contains(p["summary"].(string), addr+" →") {
				t.Errorf("src=%s: %v", addr, p["summary"])
			}
		}
	}
	// after and limit paginate.
	page := list("limit=5")
	next := list(fmt.Sprintf("limit=5&after=%v", page[4]["frame"]))
	if len(page) != 5 || next[0]["frame"].(float64) != page[4]["frame"].(float64)+1 {
		t.Errorf("pagination: %v then %v", page[4]["frame"], next[0]["frame"])
	}
	// time range, RFC 3339 and ns, as the buffer's own time search sees it.
	t10 := int64(all[len(all)/2]["time"].(float64))
	scanCount := func(q ring.Query) (n int) {
		b.buf.Scan(q, func(*ring.Record) bool { n++; return true })
		return n
	}
	byNs := list(fmt.Sprintf("limit=10000&from=%d", t10))
	byText := list("limit=10000&from=" + url.QueryEscape(time.Unix(0, t10).UTC().Format(time.RFC3339Nano)))
	if want := scanCount(ring.Query{From: t10}); len(byNs) == 0 || len(byNs) != want || len(byText) != want || want == len(all) {
		t.Errorf("from: %d by ns, %d by text, want %d of %d", len(byNs), len(byText), want, len(all))
	}
	if got, want := list(fmt.Sprintf("limit=10000&to=%d", t10)), scanCount(ring.Query{To: t10}); len(got) != want || want == 0 {
		t.Errorf("to: %d, want %d", len(got), want)
	}
}

func TestEventFilters(t *testing.T) {
	b := shared(t)
	base, _ := serve(t, Config{}, b)
	all := b.events.Events(0, 0)
	if len(all) < 3 {
		t.Fatalf("fixture has %d events", len(all))
	}
	get := func(q string) (evs []state.Event, next uint64) {
		t.Helper()
		r := do(t, "GET", base+"/api/v1/events?"+q, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", q, r.status, r.body)
		}
		var body struct {
			Events []struct {
				Seq      uint64 `json:"seq"`
				Type     string `json:"type"`
				Severity string `json:"severity"`
				Time     int64  `json:"time"`
			} `json:"events"`
			Next uint64 `json:"next"`
		}
		decodeJSON(t, r, &body)
		for _, e := range body.Events {
			evs = append(evs, state.Event{Seq: e.Seq, Type: state.EventType(e.Type), Time: e.Time, Severity: severities[e.Severity]})
		}
		return evs, body.Next
	}
	count := func(f func(e state.Event) bool) int {
		n := 0
		for _, e := range all {
			if f(e) {
				n++
			}
		}
		return n
	}
	typ := all[0].Type
	if got, _ := get("type=" + url.QueryEscape(string(typ))); len(got) != count(func(e state.Event) bool { return e.Type == typ }) {
		t.Errorf("type=%s: %d", typ, len(got))
	}
	snake := strings.ToLower(strings.ReplaceAll(string(typ), " ", "_"))
	if got, _ := get("type=" + snake); len(got) == 0 {
		t.Errorf("type=%s found nothing", snake)
	}
	if got, _ := get("severity=warning"); len(got) != count(func(e state.Event) bool { return e.Severity >= state.Warning }) {
		t.Errorf("severity=warning: %d", len(got))
	}
	got, next := get("limit=2")
	if len(got) != 2 || next != got[1].Seq {
		t.Errorf("limit=2: %d events, next %d", len(got), next)
	}
	if got, _ := get(fmt.Sprintf("after=%d", all[1].Seq)); len(got) != len(all)-2 {
		t.Errorf("after: %d", len(got))
	}
	last := all[len(all)-1].Time
	if got, _ := get(fmt.Sprintf("since=%d", last+1)); len(got) != 0 {
		t.Errorf("since after the last: %d", len(got))
	}
	if got, _ := get("until=" + url.QueryEscape(time.Unix(0, last).UTC().Format(time.RFC3339Nano))); len(got) != len(all) {
		t.Errorf("until the last: %d of %d", len(got), len(all))
	}
}

func TestErrors(t *testing.T) {
	base, _ := serve(t, Config{MaxRequestBody: 1024}, shared(t))
	cases := []struct {
		method, path string
		status       int
		want         []string
	}{
		{"GET", "/api/v1/nothing", 404, []string{`"nothing"`}},
		{"GET", "/nothing/at/all", 404, []string{`"nothing"`}},
		{"GET", "/api/v1/scopes/abc", 404, []string{`"abc"`}},
		{"GET", "/api/v1/packets/999999999", 404, []string{"999999999"}},
		{"GET", "/api/v1/packets/x", 404, []string{`"x"`}},
		{"GET", "/api/v1/stats/5/series", 404, []string{`"5"`}},
		{"GET", "/api/v1/instances/7/series", 404, []string{`"7"`}},
		{"POST", "/api/v1/scopes", 405, []string{"POST", "GET"}},
		{"DELETE", "/api/v1/packets/1", 405, []string{"DELETE"}},
		{"GET", "/api/v1/capture/clear", 405, []string{"POST"}},
		{"GET", "/api/v1/packets?limit=abc", 400, []string{`"limit"`, `"abc"`}},
		{"GET", "/api/v1/packets?limit=10001", 400, []string{`"limit"`, "10000"}},
		{"GET", "/api/v1/packets?limit=0", 400, []string{`"limit"`}},
		{"GET", "/api/v1/packets?type=Bogus", 400, []string{`"type"`, `"Bogus"`}},
		{"GET", "/api/v1/packets?type=16", 400, []string{`"type"`}},
		{"GET", "/api/v1/packets?src=nowhere", 400, []string{`"src"`, `"nowhere"`}},
		{"GET", "/api/v1/packets?scope=nosuch", 400, []string{`"scope"`}},
		{"GET", "/api/v1/packets?from=yesterday", 400, []string{`"from"`, `"yesterday"`}},
		{"GET", "/api/v1/packets?from=20&to=10", 400, []string{`"from"`, `"to"`}},
		{"GET", "/api/v1/packets?bogus=1", 400, []string{`"bogus"`, "scope"}},
		{"GET", "/api/v1/scopes?x=1", 400, []string{`"x"`}},
		{"GET", "/api/v1/events?severity=loud", 400, []string{`"severity"`, `"loud"`}},
		{"GET", "/api/v1/events?after=-1", 400, []string{`"after"`}},
		{"GET", "/api/v1/capture.pcapng?instance=z", 400, []string{`"instance"`}},
	}
	for _, tc := range cases {
		t.Run(tc.method+strings.ReplaceAll(tc.path, "/", "_"), func(t *testing.T) {
			r := do(t, tc.method, base+tc.path, "")
			checkError(t, r, tc.status, tc.want...)
			if tc.status == 405 {
				if allow := r.header.Get("Allow"); allow == "" {
					t.Error("405 without Allow")
				}
			}
		})
	}
	t.Run("body too large", func(t *testing.T) {
		r := do(t, "POST", base+"/api/v1/capture/clear", strings.Repeat("x", 4096))
		checkError(t, r, 413, "1024")
	})
	t.Run("HEAD", func(t *testing.T) {
		if r := do(t, "HEAD", base+"/api/v1/scopes", ""); r.status != 200 || len(r.body) != 0 {
			t.Errorf("HEAD: %d, %d bytes", r.status, len(r.body))
		}
	})
}

func TestCaptureClear(t *testing.T) {
	b := newFixtureBackend(t)
	base, _ := serve(t, Config{}, b)
	if b.buf.Stats().Frames == 0 {
		t.Fatal("empty buffer")
	}
	r := do(t, "POST", base+"/api/v1/capture/clear", "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if b.cleared != 1 || b.buf.Stats().Frames != 0 {
		t.Errorf("cleared %d times, %d frames left", b.cleared, b.buf.Stats().Frames)
	}
	r = do(t, "GET", base+"/api/v1/packets", "")
	if r.status != 200 || !bytes.Contains(r.body, []byte(`"packets":[]`)) {
		t.Errorf("after clear: %d %s", r.status, r.body)
	}
	b.clearErr = fmt.Errorf("capture is being recorded")
	checkError(t, do(t, "POST", base+"/api/v1/capture/clear", ""), 409, "being recorded")
}
