package httpd

import (
	"testing"
)

func TestSettings(t *testing.T) {
	adminHash, _ := HashPassword("admin-pw")
	viewHash, _ := HashPassword("view-pw")
	cfg := Config{Users: []User{{"admin", RoleAdmin, adminHash}, {"viewer", RoleReadOnly, viewHash}}}
	m := serveMem(t, cfg, shared(t), memOpts{})
	admin := []string{"Authorization", basic("admin", "admin-pw")}
	var got Settings
	decodeJSON(t, m.get(t, "/api/v1/settings", "Authorization", basic("viewer", "view-pw")), &got)
	if got != (Settings{"master-slave", "Master", "Slave"}) {
		t.Errorf("default settings %+v", got)
	}
	for _, tc := range []struct {
		body string
		want Settings
	}{
		{`{"stateTerms":"leader-follower"}`, Settings{"leader-follower", "Leader", "Follower"}},
		{`{"stateTerms":"leader-follower","masterTerm":"ignored"}`, Settings{"leader-follower", "Leader", "Follower"}},
		{`{"stateTerms":"transmitter-receiver"}`, Settings{"transmitter-receiver", "timeTransmitter", "timeReceiver"}},
		{`{"stateTerms":"custom","masterTerm":" Primary ","slaveTerm":"Secondary"}`, Settings{"custom", "Primary", "Secondary"}},
	} {
		r := m.send(t, "PUT", "/api/v1/settings", tc.body, admin...)
		decodeJSON(t, r, &got)
		if got != tc.want {
			t.Errorf("PUT %s: %+v, want %+v", tc.body, got, tc.want)
		}
		decodeJSON(t, m.get(t, "/api/v1/settings", admin...), &got)
		if got != tc.want {
			t.Errorf("GET after PUT %s: %+v", tc.body, got)
		}
	}
	for _, tc := range []struct{ body, msg string }{
		{`{"stateTerms":"boss-minion"}`, "stateTerms"},
		{`{"stateTerms":"custom","masterTerm":"","slaveTerm":"x"}`, "masterTerm"},
		{`{"stateTerms":"custom","masterTerm":"<b>","slaveTerm":"x"}`, "masterTerm"},
		{`{"stateTerms":"custom","masterTerm":"Same","slaveTerm":"same"}`, "both"},
		{`{"stateTerms":"custom","masterTerm":"a","slaveTerm":"this word is far longer than thirty-two characters"}`, "slaveTerm"},
		{`{"theme":"dark"}`, "unknown field"},
		{`not json`, "settings body"},
	} {
		checkError(t, m.send(t, "PUT", "/api/v1/settings", tc.body, admin...), 400, tc.msg)
	}
	checkError(t, m.send(t, "PUT", "/api/v1/settings", `{"stateTerms":"master-slave"}`, "Authorization", basic("viewer", "view-pw")), 403, "admin")
	checkError(t, m.send(t, "PUT", "/api/v1/settings", `{"stateTerms":"master-slave"}`), 401)
}
