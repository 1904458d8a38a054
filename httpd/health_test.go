package httpd

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/fault"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/sim"
)

// healthBackend is the fixture backend with fault detectors that watched
// the demo network up to its rogue master (6:30).
type healthBackend struct {
	*fixtureBackend
	e *fault.Engine
}

func (b *healthBackend) Health() fault.Health { return b.e.Health() }
func (b *healthBackend) AcknowledgeFinding(id uint64, by string) error {
	return b.e.Book.Acknowledge(id, by)
}
func (b *healthBackend) Topology() fault.Topology { return b.e.Topology() }
func (b *healthBackend) SetTopology(t fault.Topology, by string) error {
	return b.e.SetTopology(t, by)
}

func newHealthBackend(t *testing.T) *healthBackend {
	cfg := sim.DefaultDemo()
	cfg.Scenario = sim.DemoScenario()
	n, err := sim.New(cfg, sim.Options{Seed: 1, Duration: 6*time.Minute + 30*time.Second})
	if err != nil {
		t.Fatal(err)
	}
	m := state.NewModel(1, nil)
	e, err := fault.New(fault.DefaultConfig(), m.Events)
	if err != nil {
		t.Fatal(err)
	}
	e.Attach(m)
	p := pipeline.New(m)
	if err := p.Run(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	return &healthBackend{shared(t), e}
}

// TestHealthAPI reads verdicts and findings through /api/v1/health, with
// wildcards, acknowledges the open finding, and finds the verdicts in
// /metrics.
func TestHealthAPI(t *testing.T) {
	b := newHealthBackend(t)
	base, _ := serve(t, Config{}, b)
	get := func(path string, v any) {
		t.Helper()
		r := do(t, "GET", base+path, "")
		if r.status != 200 {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
		if err := json.Unmarshal(r.body, v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	var verdict string
	get("/api/v1/health/verdict", &verdict)
	if verdict != "fault" {
		t.Errorf("verdict %q, want fault (a rogue master is announcing)", verdict)
	}
	var kinds []string
	get("/api/v1/health/findings/*/kind", &kinds)
	// the demo's PTPv1 island beside PTPv2 domain 0 is a standing notice
	if strings.Join(kinds, ",") != string(fault.MixedProfiles)+","+string(fault.RogueMaster) {
		t.Errorf("open findings %v, want Mixed Profiles and Rogue Master", kinds)
	}
	var closed []string
	get("/api/v1/health/closed/*/kind", &closed)
	if strings.Join(closed, ",") != "Failover,Degradation" {
		t.Errorf("closed findings %v, want Failover, Degradation", closed)
	}
	var verdicts map[string]int
	var scopes []struct {
		Name     string   `json:"name"`
		Verdict  string   `json:"verdict"`
		Baseline string   `json:"baseline"`
		Findings []uint64 `json:"findings"`
	}
	get("/api/v1/health/scopes/*", &scopes)
	verdicts = map[string]int{}
	for _, s := range scopes {
		verdicts[s.Verdict]++
		if s.Baseline != "learnt" {
			t.Errorf("scope %s: baseline %q, want learnt", s.Name, s.Baseline)
		}
	}
	// The rogue wins in the UDP/IPv4 scope and, through the boundary
	// clock, in the VLAN scope; the PTPv1 scope is degraded by the notice.
	if verdicts["fault"] != 2 || verdicts["degraded"] != 1 || verdicts["ok"] != 2 {
		t.Errorf("scope verdicts %v, want 2 fault, 1 degraded and 2 ok", verdicts)
	}
	var ids []uint64
	get("/api/v1/health/findings/*/id", &ids)
	if len(ids) != 2 {
		t.Fatalf("ids %v", ids)
	}
	ids = ids[1:] // the Rogue Master
	if r := do(t, "POST", base+"/api/v1/health/findings/"+strconv.FormatUint(ids[0], 10)+"/acknowledge", "", "X-PTPWatch", "1"); r.status != 200 || !strings.Contains(string(r.body), `"acknowledged":true`) {
		t.Errorf("acknowledge: %d %s", r.status, r.body)
	}
	if r := do(t, "POST", base+"/api/v1/health/findings/999/acknowledge", "", "X-PTPWatch", "1"); r.status != 404 {
		t.Errorf("acknowledging a finding that does not exist: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", base+"/api/v1/health/nonsense", ""); r.status != 404 {
		t.Errorf("GET /api/v1/health/nonsense: %d", r.status)
	}
	r := do(t, "GET", base+"/metrics", "")
	for _, line := range []string{
		`ptpwatch_scope_health{segment="0",scope="seg0 v2 domain 0 UDP/IPv4",verdict="fault"} 1`,
		`ptpwatch_segment_health{segment="0",verdict="fault"} 1`,
		`ptpwatch_findings_open{kind="Rogue Master",severity="critical"} 1`,
	} {
		if !strings.Contains(string(r.body), line+"\n") {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}

// TestHealthWithoutDetectors: a backend without fault detectors answers
// 501, and /metrics leaves the health families out.
func TestHealthWithoutDetectors(t *testing.T) {
	base, _ := serve(t, Config{}, shared(t))
	if r := do(t, "GET", base+"/api/v1/health", ""); r.status != 501 {
		t.Errorf("GET /api/v1/health: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", base+"/metrics", ""); strings.Contains(string(r.body), "ptpwatch_scope_health") {
		t.Error("/metrics has health families without detectors")
	}
}

// TestTopologyAPI reads and replaces the expected topology through
// /api/v1/health/topology: bad bodies and topologies that do not validate
// are 400 and change nothing; a good one is in force and says who set it.
// (Kept across a restart: state/fault's TestTopologyAcrossRestart.)
func TestTopologyAPI(t *testing.T) {
	b := newHealthBackend(t)
	base, _ := serve(t, Config{}, b)
	get := func() fault.Topology {
		t.Helper()
		r := do(t, "GET", base+"/api/v1/health/topology", "")
		if r.status != 200 {
			t.Fatalf("GET topology: %d %s", r.status, r.body)
		}
		var tp fault.Topology
		if err := json.Unmarshal(r.body, &tp); err != nil {
			t.Fatal(err)
		}
		return tp
	}
	if tp := get(); tp.Source != "config" || len(tp.Scopes) != 0 {
		t.Fatalf("initial topology %+v", tp)
	}
	for _, bad := range []struct{ body, want string }{
		{`{"scopes": [`, "expected topology body"},
		{`{"scope": []}`, "unknown field"},
		{`{"scopes": [{"match": "*", "grandmasters": [{"identity": "xyz"}]}]}`, "sixteen hex digits"},
		{`{"profile": "fast"}`, `profile \"fast\"`},
		{`{"scopes": [{"match": "*", "grandmasters": [{"identity": "ec4670.fffe.00a101"}], "syncInterval": [1, -1]}]}`, "[min, max]"},
	} {
		r := do(t, "PUT", base+"/api/v1/health/topology", bad.body)
		if r.status != 400 || !strings.Contains(string(r.body), bad.want) {
			t.Errorf("PUT %s: %d %s, want 400 saying %q", bad.body, r.status, r.body, bad.want)
		}
	}
	if tp := get(); tp.Source != "config" {
		t.Fatalf("after refused PUTs: %+v", tp)
	}
	good := `{"domains": [0, 24], "utcOffset": 37, "profile": "default",
		"scopes": [{"match": "seg0 v2 domain 0 *", "grandmasters": [{"identity": "ec4670.fffe.00a101", "priority1": 128}]}],
		"agree": [{"name": "plant", "scopes": ["seg0 v2 domain 0 *"]}]}`
	if r := do(t, "PUT", base+"/api/v1/health/topology", good); r.status != 200 {
		t.Fatalf("PUT topology: %d %s", r.status, r.body)
	}
	tp := get()
	if tp.Source != "api" || tp.ChangedBy == "" || len(tp.Scopes) != 1 || tp.Scopes[0].Grandmasters[0].Identity != "ec4670.fffe.00a101" ||
		len(tp.Domains) != 2 || tp.Agree[0].Name != "plant" {
		t.Fatalf("topology after PUT: %+v", tp)
	}
}
