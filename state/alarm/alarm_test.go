package alarm

import (
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
)

type world map[string]string

func (w world) resolve(pattern string) (map[string]string, error) {
	out := map[string]string{}
	for p, v := range w {
		if match(pattern, p) {
			out[p] = v
		}
	}
	return out, nil
}

// match: '*' is one path segment.
func match(pattern, path string) bool {
	ps, xs := split(pattern), split(path)
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if ps[i] != "*" && ps[i] != xs[i] {
			return false
		}
	}
	return true
}

func split(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '/' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

const sec = int64(time.Second)

// TestHoldHysteresisAck: a clockClass alarm on every scope fires only
// after its hold time, per scope; clears only past the hysteresis; is
// acknowledged; and keeps its history.
func TestHoldHysteresisAck(t *testing.T) {
	var evs []state.Event
	e := New(func(ev state.Event) { evs = append(evs, ev) })
	if err := e.Set(Definition{Name: "gm-class", Path: "/api/v1/scopes/*/grandmaster/clockClass",
		Condition: Condition{Op: Gt, Value: "6"}, Hysteresis: 1, Hold: 5, Severity: "critical", Text: "grandmaster lost its reference"}); err != nil {
		t.Fatal(err)
	}
	w := world{"/api/v1/scopes/a/grandmaster/clockClass": "6", "/api/v1/scopes/b/grandmaster/clockClass": "6"}
	step := func(at int64) {
		t.Helper()
		if err := e.Evaluate(at*sec, w.resolve); err != nil {
			t.Fatal(err)
		}
	}
	step(0)
	w["/api/v1/scopes/a/grandmaster/clockClass"] = "7"
	step(1)
	step(5) // held 4 s: not yet
	if len(evs) != 0 {
		t.Fatalf("fired before the hold time: %+v", evs)
	}
	step(6)
	if len(evs) != 1 || evs[0].Type != state.CustomAlarmTriggered || evs[0].Severity != state.Critical ||
		evs[0].Subject != "gm-class /api/v1/scopes/a/grandmaster/clockClass" || evs[0].After != "7" {
		t.Fatalf("events %+v", evs)
	}
	if err := e.Acknowledge("gm-class", "/api/v1/scopes/a/grandmaster/clockClass", "alice", "on it", 7*sec); err != nil {
		t.Fatal(err)
	}
	w["/api/v1/scopes/a/grandmaster/clockClass"] = "6" // not past the hysteresis (6 - 1)
	step(8)
	if len(evs) != 1 {
		t.Fatalf("cleared within the hysteresis: %+v", evs)
	}
	w["/api/v1/scopes/a/grandmaster/clockClass"] = "5"
	step(9)
	if len(evs) != 2 || evs[1].Type != state.CustomAlarmCleared {
		t.Fatalf("events %+v", evs)
	}
	ins := e.Instances()
	if len(ins) != 2 || ins[0].Path != "/api/v1/scopes/a/grandmaster/clockClass" || len(ins[0].History) != 3 ||
		ins[0].History[1].Ack == nil || ins[0].History[1].Ack.Who != "alice" || ins[1].Active {
		t.Fatalf("instances %+v", ins)
	}
}

func TestAbsentUnchangedClear(t *testing.T) {
	var evs []state.Event
	e := New(func(ev state.Event) { evs = append(evs, ev) })
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.Set(Definition{Name: "gone", Path: "/api/v1/instances/x/portState", Condition: Condition{Op: Absent}}))
	must(e.Set(Definition{Name: "stuck", Path: "/api/v1/instances/*/offset", Condition: Condition{Op: Unchanged, Seconds: 3}}))
	must(e.Set(Definition{Name: "state", Path: "/api/v1/instances/x/portState", Condition: Condition{Op: Eq, Value: "FAULTY"},
		Clear: &Condition{Op: Eq, Value: "SLAVE"}}))
	w := world{"/api/v1/instances/x/portState": "FAULTY", "/api/v1/instances/x/offset": "12"}
	for at := int64(0); at <= 4; at++ {
		must(e.Evaluate(at*sec, w.resolve))
	}
	// state fired at once (no hold), stuck after 3 s unchanged.
	if len(evs) != 2 {
		t.Fatalf("events %+v", evs)
	}
	w["/api/v1/instances/x/portState"] = "LISTENING" // not the clear condition
	must(e.Evaluate(5*sec, w.resolve))
	w["/api/v1/instances/x/offset"] = "13" // no longer unchanged: stuck clears
	delete(w, "/api/v1/instances/x/portState")
	must(e.Evaluate(6*sec, w.resolve))
	var types []string
	for _, ev := range evs {
		types = append(types, string(ev.Type)+" "+ev.Subject)
	}
	want := []string{"Custom Alarm Triggered state /api/v1/instances/x/portState", "Custom Alarm Triggered stuck /api/v1/instances/x/offset",
		"Custom Alarm Triggered gone /api/v1/instances/x/portState", "Custom Alarm Cleared stuck /api/v1/instances/x/offset"}
	if len(types) != len(want) {
		t.Fatalf("events %q, want %q", types, want)
	}
	got := map[string]bool{}
	for _, s := range types {
		got[s] = true
	}
	for _, s := range want {
		if !got[s] {
			t.Fatalf("events %q lack %q", types, s)
		}
	}
}

func TestDefinitionCheck(t *testing.T) {
	for _, d := range []Definition{
		{Name: "", Path: "/api/v1/x", Condition: Condition{Op: Eq}},
		{Name: "a", Path: "scopes", Condition: Condition{Op: Eq}},
		{Name: "a", Path: "/api/v1/x", Condition: Condition{Op: "~"}},
		{Name: "a", Path: "/api/v1/x", Condition: Condition{Op: Gt, Value: "high"}},
		{Name: "a", Path: "/api/v1/x", Condition: Condition{Op: Unchanged}},
		{Name: "a", Path: "/api/v1/x", Condition: Condition{Op: Eq}, Severity: "loud"},
	} {
		if err := d.Check(); err == nil {
			t.Errorf("%+v accepted", d)
		}
	}
}

type memStore map[string][]byte

func (m memStore) PutAlarmRecord(kind, name string, v []byte) error {
	if len(v) == 0 {
		delete(m, kind+"/"+name)
	} else {
		m[kind+"/"+name] = v
	}
	return nil
}

func (m memStore) AlarmRecords(kind string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for k, v := range m {
		if n, ok := strings.CutPrefix(k, kind+"/"); ok {
			out[n] = v
		}
	}
	return out, nil
}

// TestPersist: definitions made through Put survive into a new engine
// and replace a configured one of the same name; Remove forgets them.
func TestPersist(t *testing.T) {
	st := memStore{}
	e := New(nil)
	if err := e.Persist(st); err != nil {
		t.Fatal(err)
	}
	if err := e.Put(Definition{Name: "a", Path: "/api/v1/x", Condition: Condition{Op: Eq, Value: "1"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Put(Definition{Name: "bad", Path: "x", Condition: Condition{Op: Eq}}); err == nil {
		t.Fatal("bad definition stored")
	}
	if err := e.Put(Definition{Name: "b", Path: "/api/v1/y", Condition: Condition{Op: Absent}}); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.Remove("b"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	e2 := New(nil)
	if err := e2.Set(Definition{Name: "a", Path: "/api/v1/config", Condition: Condition{Op: Eq, Value: "1"}, Source: "config"}); err != nil {
		t.Fatal(err)
	}
	if err := e2.Persist(st); err != nil {
		t.Fatal(err)
	}
	defs := e2.Definitions()
	if len(defs) != 1 || defs[0].Path != "/api/v1/x" || defs[0].Source != "api" {
		t.Fatalf("definitions after restart: %+v", defs)
	}
}

func (m memStore) PutAlarmRecords(kind string, recs map[string][]byte) error {
	for name, v := range recs {
		m.PutAlarmRecord(kind, name, v)
	}
	return nil
}
