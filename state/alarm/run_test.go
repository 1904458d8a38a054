package alarm

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
)

// TestStart checks that Start evaluates on its ticker until stopped:
// the alarm fires without any call to Evaluate, resolve errors reach
// onErr, and nothing is evaluated after stop returns.
func TestStart(t *testing.T) {
	fired := make(chan state.Event, 16)
	e := New(func(ev state.Event) { fired <- ev })
	if err := e.Set(Definition{Name: "faulty", Path: "/api/v1/instances/x/portState", Condition: Condition{Op: Eq, Value: "FAULTY"}}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	calls, fail := 0, false
	resolve := func(pattern string) (map[string]string, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if fail {
			return nil, errors.New("no values")
		}
		return world{"/api/v1/instances/x/portState": "FAULTY"}.resolve(pattern)
	}
	errs := make(chan error, 16)
	stop := e.Start(time.Millisecond, resolve, func(err error) {
		select {
		case errs <- err:
		default:
		}
	})
	select {
	case ev := <-fired:
		if ev.Type != state.CustomAlarmTriggered {
			t.Fatalf("event %v, want a Custom Alarm Triggered", ev.Type)
		}
	case <-time.After(10 * time.Second):
		stop()
		t.Fatal("the alarm did not fire within 10s of Start")
	}
	mu.Lock()
	fail = true
	mu.Unlock()
	select {
	case <-errs:
	case <-time.After(10 * time.Second):
		stop()
		t.Fatal("a resolve error did not reach onErr within 10s")
	}
	stop()
	mu.Lock()
	n := calls
	mu.Unlock()
	time.Sleep(20 * time.Millisecond) // some ticks' worth: none may evaluate now
	mu.Lock()
	defer mu.Unlock()
	if calls != n {
		t.Fatalf("%d evaluations after stop returned", calls-n)
	}
}
