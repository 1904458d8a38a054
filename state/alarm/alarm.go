// Package alarm evaluates custom alarms: a condition on the value at an
// API path, wildcards allowed (one alarm instance per matching path),
// held for a time before it fires, cleared by a clear condition or with
// hysteresis, acknowledged by users, with a history per instance. Firing
// and clearing raise Custom Alarm Triggered and Custom Alarm Cleared
// events, which state/notify delivers like any other.
//
// The appliance feeds it the REST API's values (httpd's Server.Values)
// once a second; definitions come from the configuration's [[alarm]]
// tables and the API (Put, Remove), which Persist keeps in the store.
// With a store, each instance's state (active or cleared, since when,
// value, acknowledgement, history) is written whenever it fires, clears
// or is acknowledged, and Persist restores it at start: an alarm active
// before a restart is still active (and acknowledged) after it, raising no
// second Custom Alarm Triggered, and clears with a Custom Alarm Cleared
// when its condition is found gone. A hold time under way when the
// appliance stopped starts again.
//
// # Concurrency
//
// An Engine is safe for concurrent use; Evaluate is meant to be called
// from one goroutine at a steady interval, which Run (or Start, which
// runs it in a goroutine of its own) is.
package alarm

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/ptpwatch/ptpwatch/state"
)

// Op is a condition's comparison.
type Op string

// Comparisons. Ordering comparisons need numbers; == and != compare
// numbers as numbers and anything else as text.
const (
	Eq        Op = "=="
	Ne        Op = "!="
	Lt        Op = "<"
	Le        Op = "<="
	Gt        Op = ">"
	Ge        Op = ">="
	Absent    Op = "absent"    // the path has no value
	Unchanged Op = "unchanged" // the value has not changed for Seconds
)

// Condition is one test of a value.
type Condition struct {
	Op      Op      `toml:"op" json:"op"`
	Value   string  `toml:"value" json:"value,omitempty"`
	Seconds float64 `toml:"seconds" json:"seconds,omitempty"` // for unchanged
}

// Check reports what is wrong with c.
func (c *Condition) Check() error {
	switch c.Op {
	case Eq, Ne:
	case Lt, Le, Gt, Ge:
		if _, err := strconv.ParseFloat(c.Value, 64); err != nil {
			return fmt.Errorf("%s %q: want a number", c.Op, c.Value)
		}
	case Absent:
	case Unchanged:
		if c.Seconds <= 0 {
			return errors.New("unchanged: seconds must be more than 0")
		}
	default:
		return fmt.Errorf("op %q: want ==, !=, <, <=, >, >=, absent or unchanged", c.Op)
	}
	return nil
}

// Definition is one custom alarm.
type Definition struct {
	Name       string     `toml:"name" json:"name"`
	Path       string     `toml:"path" json:"path"` // e.g. /api/v1/scopes/*/grandmaster/clockClass
	Condition  Condition  `toml:"condition" json:"condition"`
	Clear      *Condition `toml:"clear" json:"clear,omitempty"`           // default: the condition no longer holds (with Hysteresis)
	Hysteresis float64    `toml:"hysteresis" json:"hysteresis,omitempty"` // for <, <=, >, >=: how far back the value must go to clear
	Hold       float64    `toml:"hold_seconds" json:"holdSeconds,omitempty"`
	Severity   string     `toml:"severity" json:"severity"` // info, notice, warning, critical; default warning
	Text       string     `toml:"text" json:"text,omitempty"`
	Source     string     `toml:"-" json:"source,omitempty"` // "config" or "api"
}

// Check reports what is wrong with d.
func (d *Definition) Check() error {
	if d.Name == "" || strings.ContainsAny(d.Name, "\x00/") {
		return fmt.Errorf("alarm %q: want a name without '/'", d.Name)
	}
	if !strings.HasPrefix(d.Path, "/api/v1/") {
		return fmt.Errorf("alarm %s: path %q: want an API path such as /api/v1/scopes/*/grandmaster/clockClass", d.Name, d.Path)
	}
	if err := d.Condition.Check(); err != nil {
		return fmt.Errorf("alarm %s: condition: %w", d.Name, err)
	}
	if d.Clear != nil {
		if err := d.Clear.Check(); err != nil {
			return fmt.Errorf("alarm %s: clear: %w", d.Name, err)
		}
	}
	if d.Hysteresis < 0 || d.Hold < 0 {
		return fmt.Errorf("alarm %s: hysteresis and hold_seconds must not be negative", d.Name)
	}
	if _, ok := severity(d.Severity); !ok {
		return fmt.Errorf("alarm %s: severity %q: want info, notice, warning or critical", d.Name, d.Severity)
	}
	return nil
}

func severity(s string) (state.Severity, bool) {
	if s == "" {
		return state.Warning, true
	}
	for v := state.Info; v <= state.Critical; v++ {
		if v.String() == s {
			return v, true
		}
	}
	return 0, false
}

// Ack is an acknowledgement of an active alarm instance.
type Ack struct {
	Who  string `json:"who"`
	When int64  `json:"when"`
	Note string `json:"note,omitempty"`
}

// Change is one entry of an instance's history.
type Change struct {
	Time   int64  `json:"time"`
	Active bool   `json:"active"`
	Value  string `json:"value"`
	Ack    *Ack   `json:"ack,omitempty"`
}

// Instance is one alarm on one matching path.
type Instance struct {
	Alarm   string   `json:"alarm"`
	Path    string   `json:"path"`
	Active  bool     `json:"active"`
	Since   int64    `json:"since"` // when it last fired or cleared
	Value   string   `json:"value"`
	Present bool     `json:"present"`
	Ack     *Ack     `json:"ack,omitempty"`
	History []Change `json:"history"`

	pending   int64 // when the condition began to hold (0: it does not)
	changedAt int64 // when the value last changed
}

// HistoryKept is how many changes an instance keeps.
const HistoryKept = 100

// Engine holds the definitions and their instances.
type Engine struct {
	mu    sync.Mutex
	defs  map[string]*Definition
	insts map[string]*Instance // alarm 0x00 path
	raise func(state.Event)
	store Store           // nil: API-made definitions and instance state are not kept
	dirty map[string]bool // instances (alarm 0x00 path) to write to store; absent from insts: to delete
}

// New returns an engine raising its events through raise.
func New(raise func(state.Event)) *Engine {
	return &Engine{defs: map[string]*Definition{}, insts: map[string]*Instance{}, raise: raise, dirty: map[string]bool{}}
}

// Set adds or replaces a definition (checked). Replacing one drops its
// instances.
func (e *Engine) Set(d Definition) error {
	if err := d.Check(); err != nil {
		return err
	}
	e.mu.Lock()
	if _, ok := e.defs[d.Name]; ok {
		e.dropInstances(d.Name)
	}
	e.defs[d.Name] = &d
	recs := e.takeDirty()
	e.mu.Unlock()
	return e.save(recs)
}

// Delete removes a definition and its instances.
func (e *Engine) Delete(name string) bool {
	e.mu.Lock()
	if _, ok := e.defs[name]; !ok {
		e.mu.Unlock()
		return false
	}
	delete(e.defs, name)
	e.dropInstances(name)
	recs := e.takeDirty()
	e.mu.Unlock()
	_ = e.save(recs) // a failed write stays marked and is retried at the next evaluation
	return true
}

func (e *Engine) dropInstances(name string) {
	for k, in := range e.insts {
		if in.Alarm == name {
			delete(e.insts, k)
			e.dirty[k] = true
		}
	}
}

// Definitions returns the definitions by name.
func (e *Engine) Definitions() []Definition {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Definition, 0, len(e.defs))
	for _, d := range e.defs {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Resolve returns the values at the paths matching pattern ('*' stands
// for one path segment), by path.
type Resolve func(pattern string) (map[string]string, error)

// Evaluate reads every definition's paths through resolve and moves each
// instance on at time now (ns since 1970), raising events as instances
// fire and clear.
func (e *Engine) Evaluate(now int64, resolve Resolve) error {
	e.mu.Lock()
	defs := make([]*Definition, 0, len(e.defs))
	for _, d := range e.defs {
		defs = append(defs, d)
	}
	e.mu.Unlock()
	var errs []error
	for _, d := range defs {
		vals, err := resolve(d.Path)
		if err != nil {
			errs = append(errs, fmt.Errorf("alarm %s: %w", d.Name, err))
			continue
		}
		e.mu.Lock()
		var evs []state.Event
		seen := map[string]bool{}
		for p, v := range vals {
			seen[p] = true
			evs = e.step(evs, d, p, v, true, now)
		}
		// Instances whose path went away: absent.
		for _, in := range e.insts {
			if in.Alarm == d.Name && !seen[in.Path] {
				evs = e.step(evs, d, in.Path, "", false, now)
			}
		}
		if len(vals) == 0 && !strings.Contains(d.Path, "*") {
			evs = e.step(evs, d, d.Path, "", false, now)
		}
		recs := e.takeDirty()
		e.mu.Unlock()
		if err := e.save(recs); err != nil {
			errs = append(errs, err)
		}
		for _, ev := range evs {
			if e.raise != nil {
				e.raise(ev)
			}
		}
	}
	return errors.Join(errs...)
}

func (e *Engine) step(evs []state.Event, d *Definition, path, v string, present bool, now int64) []state.Event {
	k := d.Name + "\x00" + path
	in := e.insts[k]
	if in == nil {
		if !present && d.Condition.Op != Absent {
			return evs
		}
		in = &Instance{Alarm: d.Name, Path: path, Value: v, Present: present, changedAt: now}
		e.insts[k] = in
	} else if in.Value != v || in.Present != present {
		in.changedAt = now
	}
	before := in.Value
	in.Value, in.Present = v, present
	holds := test(&d.Condition, v, present, now-in.changedAt)
	if !in.Active {
		if !holds {
			in.pending = 0
			return evs
		}
		if in.pending == 0 {
			in.pending = now
		}
		if float64(now-in.pending) < d.Hold*1e9 {
			return evs
		}
		in.Active, in.Since, in.Ack, in.pending = true, now, nil, 0
		in.record(Change{Time: now, Active: true, Value: v})
		e.dirty[k] = true
		sev, _ := severity(d.Severity)
		return append(evs, state.Event{Time: now, Type: state.CustomAlarmTriggered, Severity: sev, Subject: d.Name + " " + path,
			Before: before, After: v, Detail: text(d)})
	}
	if !clears(d, v, present, now-in.changedAt, holds) {
		return evs
	}
	in.Active, in.Since = false, now
	in.record(Change{Time: now, Active: false, Value: v})
	e.dirty[k] = true
	return append(evs, state.Event{Time: now, Type: state.CustomAlarmCleared, Severity: state.Notice, Subject: d.Name + " " + path,
		Before: before, After: v, Detail: text(d)})
}

func text(d *Definition) string {
	if d.Text != "" {
		return d.Text
	}
	return fmt.Sprintf("%s %s %s", d.Path, d.Condition.Op, d.Condition.Value)
}

func (in *Instance) record(c Change) {
	in.History = append(in.History, c)
	if len(in.History) > HistoryKept {
		in.History = append(in.History[:0], in.History[len(in.History)-HistoryKept:]...)
	}
}

// test reports whether c holds for value v (present or not), unchanged
// for the given time.
func test(c *Condition, v string, present bool, unchangedFor int64) bool {
	switch c.Op {
	case Absent:
		return !present
	case Unchanged:
		return present && float64(unchangedFor) >= c.Seconds*1e9
	}
	if !present {
		return false
	}
	a, aerr := strconv.ParseFloat(v, 64)
	b, berr := strconv.ParseFloat(c.Value, 64)
	num := aerr == nil && berr == nil
	switch c.Op {
	case Eq:
		if num {
			return a == b
		}
		return v == c.Value
	case Ne:
		if num {
			return a != b
		}
		return v != c.Value
	}
	if !num {
		return false
	}
	switch c.Op {
	case Lt:
		return a < b
	case Le:
		return a <= b
	case Gt:
		return a > b
	case Ge:
		return a >= b
	}
	return false
}

// clears reports whether an active instance clears: its clear condition
// holds, or without one, its condition no longer holds and the value has
// gone back past the hysteresis.
func clears(d *Definition, v string, present bool, unchangedFor int64, holds bool) bool {
	if d.Clear != nil {
		return test(d.Clear, v, present, unchangedFor)
	}
	if holds {
		return false
	}
	if d.Hysteresis == 0 || !present {
		return true
	}
	a, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return true
	}
	b, _ := strconv.ParseFloat(d.Condition.Value, 64)
	switch d.Condition.Op {
	case Gt, Ge:
		return a <= b-d.Hysteresis
	case Lt, Le:
		return a >= b+d.Hysteresis
	}
	return true
}

// ErrNotActive is Acknowledge's error for an instance that does not
// exist or is not active.
var ErrNotActive = errors.New("not active")

// Acknowledge records who acknowledged the active instance of alarm at
// path.
// With a store, it returns once the acknowledgement is written.
func (e *Engine) Acknowledge(alarm, path, who, note string, now int64) error {
	e.mu.Lock()
	k := alarm + "\x00" + path
	in := e.insts[k]
	if in == nil || !in.Active {
		e.mu.Unlock()
		return fmt.Errorf("alarm %s at %s: %w", alarm, path, ErrNotActive)
	}
	in.Ack = &Ack{Who: who, When: now, Note: note}
	in.record(Change{Time: now, Active: true, Value: in.Value, Ack: in.Ack})
	e.dirty[k] = true
	recs := e.takeDirty()
	e.mu.Unlock()
	return e.save(recs)
}

// Instances returns every instance, active ones first, then by alarm
// and path.
func (e *Engine) Instances() []Instance {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Instance, 0, len(e.insts))
	for _, in := range e.insts {
		c := *in
		c.History = append([]Change{}, in.History...) // [] in JSON, never null
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Active != out[j].Active {
			return out[i].Active
		}
		if out[i].Alarm != out[j].Alarm {
			return out[i].Alarm < out[j].Alarm
		}
		return out[i].Path < out[j].Path
	})
	return out
}

// TestFire raises a Custom Alarm Triggered event for alarm name marked as
// a test, without touching its instances, so that the notification path
// can be checked end to end.
func (e *Engine) TestFire(name, who string, now int64) error {
	e.mu.Lock()
	d := e.defs[name]
	e.mu.Unlock()
	if d == nil {
		return fmt.Errorf("no alarm named %q", name)
	}
	sev, _ := severity(d.Severity)
	if e.raise != nil {
		e.raise(state.Event{Time: now, Type: state.CustomAlarmTriggered, Severity: sev, Subject: d.Name + " " + d.Path,
			Detail: "test by " + who + ": " + text(d)})
	}
	return nil
}

// Store keeps definitions made through the API (state/store's alarm
// records, kind "def") and the instances' state (kind "state", named
// alarm 0x00 path).
type Store interface {
	PutAlarmRecord(kind, name string, v []byte) error
	PutAlarmRecords(kind string, recs map[string][]byte) error // one durable write; nil deletes
	AlarmRecords(kind string) (map[string][]byte, error)
}

// stored is an instance as kept in the store.
type stored struct {
	Instance
	ChangedAt int64 `json:"changedAt"` // when the value last changed, for unchanged conditions
}

// takeDirty returns the records to write for the instances changed since
// the last call (nil values: delete), and forgets them; e.mu is held.
// Without a store it returns nil.
func (e *Engine) takeDirty() map[string][]byte {
	if len(e.dirty) == 0 {
		return nil
	}
	if e.store == nil {
		clear(e.dirty)
		return nil
	}
	recs := make(map[string][]byte, len(e.dirty))
	for k := range e.dirty {
		in := e.insts[k]
		if in == nil {
			recs[k] = nil
			continue
		}
		v, err := json.Marshal(stored{Instance: *in, ChangedAt: in.changedAt})
		if err != nil { // cannot happen: plain fields only
			continue
		}
		recs[k] = v
	}
	clear(e.dirty)
	return recs
}

// save writes recs (from takeDirty) to the store. A failed write marks
// them dirty again so that the next evaluation retries.
func (e *Engine) save(recs map[string][]byte) error {
	if len(recs) == 0 {
		return nil
	}
	e.mu.Lock()
	st := e.store
	e.mu.Unlock()
	if err := st.PutAlarmRecords("state", recs); err != nil {
		e.mu.Lock()
		for k := range recs {
			e.dirty[k] = true
		}
		e.mu.Unlock()
		return fmt.Errorf("store %d alarm instances: %w", len(recs), err)
	}
	return nil
}

// Persist makes the engine keep definitions changed through Put and
// Remove, and its instances' state, in st; it loads the definitions st
// holds (they replace configured definitions of the same name), then the
// instances of every alarm now defined (those of alarms no longer
// defined are deleted). Call it before the first Evaluate.
func (e *Engine) Persist(st Store) error {
	recs, err := st.AlarmRecords("def")
	if err != nil {
		return fmt.Errorf("read stored alarm definitions: %w", err)
	}
	var errs []error
	for name, v := range recs {
		var d Definition
		if err := json.Unmarshal(v, &d); err != nil {
			errs = append(errs, fmt.Errorf("stored alarm %s: %w", name, err))
			continue
		}
		d.Source = "api"
		if err := e.Set(d); err != nil {
			errs = append(errs, fmt.Errorf("stored alarm %s: %w", name, err))
		}
	}
	states, err := st.AlarmRecords("state")
	if err != nil {
		errs = append(errs, fmt.Errorf("read stored alarm instances: %w", err))
	}
	e.mu.Lock()
	e.store = st
	for k, v := range states {
		var r stored
		if err := json.Unmarshal(v, &r); err != nil {
			errs = append(errs, fmt.Errorf("stored alarm instance %q: %w", k, err))
			continue
		}
		if e.defs[r.Alarm] == nil || k != r.Alarm+"\x00"+r.Path {
			e.dirty[k] = true // its alarm is gone: forget it
			continue
		}
		in := r.Instance
		in.changedAt = r.ChangedAt
		e.insts[k] = &in
	}
	recs = e.takeDirty()
	e.mu.Unlock()
	if err := e.save(recs); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Put adds or replaces a definition made through the API and stores it
// (when the engine persists).
func (e *Engine) Put(d Definition) error {
	d.Source = "api"
	if err := d.Check(); err != nil {
		return err
	}
	e.mu.Lock()
	st := e.store
	e.mu.Unlock()
	if st != nil {
		v, err := json.Marshal(d)
		if err != nil {
			return err
		}
		if err := st.PutAlarmRecord("def", d.Name, v); err != nil {
			return fmt.Errorf("store alarm %s: %w", d.Name, err)
		}
	}
	return e.Set(d)
}

// Remove deletes a definition and its stored copy. A definition from the
// configuration file comes back at the next start.
func (e *Engine) Remove(name string) (bool, error) {
	e.mu.Lock()
	st := e.store
	e.mu.Unlock()
	if st != nil {
		if err := st.PutAlarmRecord("def", name, nil); err != nil {
			return false, fmt.Errorf("delete stored alarm %s: %w", name, err)
		}
	}
	return e.Delete(name), nil
}
