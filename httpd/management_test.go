package httpd

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ptpwatch/ptpwatch/state/manage"
)

// mgmtBackend is the fixture backend with a management sweeper.
type mgmtBackend struct {
	*fixtureBackend
	m *manage.Manager
}

func (b mgmtBackend) Management() *manage.Manager { return b.m }

type nopSender struct{}

func (nopSender) Send(int, []byte) (int64, error) { return 0, nil }

func TestManagementRoutes(t *testing.T) {
	adminHash, _ := HashPassword("admin-pw")
	cfg := Config{Users: []User{{"admin", RoleAdmin, adminHash}}}
	admin := []string{"Authorization", basic("admin", "admin-pw")}
	m, err := manage.New(manage.Defaults(), manage.Env{Sender: nopSender{}, Paths: func() []manage.Path {
		return []manage.Path{{Name: "eth9"}}
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := serveMem(t, cfg, mgmtBackend{shared(t), m}, memOpts{})
	var st manage.StatusView
	decodeJSON(t, srv.get(t, "/api/v1/management", admin...), &st)
	if st.Settings.Enabled || st.Settings.Interval != 30 || st.PortIdentity == "" {
		t.Errorf("GET /api/v1/management: %+v", st)
	}
	decodeJSON(t, srv.send(t, "PUT", "/api/v1/management", `{"interval":60,"domains":"0,1-5,127","transport":"l2"}`, admin...), &st)
	if st.Settings.Interval != 60 || st.Settings.Domains != "0,1-5,127" || st.Settings.Rate != 10 {
		t.Errorf("after PUT: %+v", st.Settings)
	}
	var plan manage.Plan
	decodeJSON(t, srv.get(t, "/api/v1/management/plan", admin...), &plan)
	if plan.Frames != 7 || plan.PerDomain["127"] != 1 || plan.PerSecond != 10 {
		t.Errorf("plan: %+v", plan)
	}
	for _, tc := range []struct{ body, msg string }{
		{`{"interval":4}`, "management.interval = 4: allowed 5-86400"},
		{`{"boundaryHops":65}`, "management.boundary_hops = 65: allowed 1-64"},
		{`{"domains":"1-x"}`, "management.domains"},
		{`{"rate":"fast"}`, "management settings body"},
		{`{"colour":1}`, "unknown field"},
	} {
		checkError(t, srv.send(t, "PUT", "/api/v1/management", tc.body, admin...), 400, tc.msg)
	}
	checkError(t, srv.send(t, "POST", "/api/v1/management/sweep", ``), 401)
	r := srv.send(t, "POST", "/api/v1/management/sweep", ``, admin...)
	if r.status != 202 || !json.Valid(r.body) {
		t.Errorf("POST sweep: %d %s", r.status, r.body)
	}
	// A pmc-like command through the appliance (ptpwatch query --api).
	var qa manage.QueryAnswer
	decodeJSON(t, srv.send(t, "POST", "/api/v1/management/query", `{"command":"GET PARENT_DATA_SET","transport":"l2","timeoutMs":100}`, admin...), &qa)
	if qa.Replies == nil {
		t.Errorf("query answer: %+v", qa)
	}
	checkError(t, srv.send(t, "POST", "/api/v1/management/query", `{"command":"SET PRIORITY1","transport":"l2"}`, admin...), 400, "allow-write")
	checkError(t, srv.send(t, "POST", "/api/v1/management/query", `{"command":"GET NOPE"}`, admin...), 400, "unknown management ID")
	// Without a sweeper (replay) the routes say why.
	plain := serveMem(t, cfg, shared(t), memOpts{})
	r = plain.get(t, "/api/v1/management", admin...)
	if r.status != 501 || !strings.Contains(string(r.body), "live capture") {
		t.Errorf("without management: %d %s", r.status, r.body)
	}
}
