package dashcam

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/decode/pcapng"
	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

func openTest(t testing.TB, dir string, opts Options) *Store {
	t.Helper()
	opts.Store.Logger = quiet
	if opts.Store.MinFreeBytes == 0 {
		opts.Store.MinFreeBytes = -1
	}
	if opts.Store.BallastBytes == 0 {
		opts.Store.BallastBytes = -1
	}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func firstNamed(src []tagged, name string) int {
	for i := range src {
		if src[i].name == name {
			return i
		}
	}
	return -1
}

// TestIncidentWindow records two manual incidents, one for a scope and one
// for all scopes, and checks they hold exactly the source frames of their
// windows: the pre-trigger part from the RAM buffer, the rest handed off.
func TestIncidentWindow(t *testing.T) {
	frames, ifaces := simFrames(t, 20000)
	src := tagFrames(frames)
	s := openTest(t, t.TempDir(), Options{})
	defer s.Close()
	rec := NewRecorder(s, nil, RecorderOptions{Triggers: []state.EventType{}, Pre: 5 * time.Second, Post: 3 * time.Second, IdleClose: 50 * time.Millisecond})
	fd := newFeeder(t, frames, ifaces, 64<<20)
	rec.buf = fd.buf
	rec.SetInterfaces([]string{"tap0"})
	startRecorder(t, rec)

	scopeName := src[5000].name
	if scopeName == "" {
		t.Fatal("frame 5000 has no scope")
	}
	var id1, id2 uint64
	t1 := frames[5000].Timestamp
	t2 := frames[12000].Timestamp
	fd.at[5000] = func() {
		var err error
		if id1, err = rec.TriggerAt(context.Background(), t1, "scoped", []string{scopeName}); err != nil {
			t.Error(err)
		}
	}
	fd.at[12000] = func() {
		var err error
		if id2, err = rec.Trigger(context.Background(), "everything", nil); err != nil {
			t.Error(err)
		}
	}
	fd.run(t, rec)
	waitIdle(t, rec, 10*time.Second)

	inc1, err := s.Incident(id1)
	if err != nil {
		t.Fatal(err)
	}
	if inc1.State != StateComplete || !reflect.DeepEqual(inc1.Scopes, []string{scopeName}) {
		t.Fatalf("incident 1: %+v", inc1)
	}
	want := expected(src, t1-int64(5*time.Second), t1+int64(3*time.Second), func(f *tagged) bool { return f.name == scopeName })
	if got := readIncident(t, s, id1); !reflect.DeepEqual(got, want) {
		t.Fatalf("incident 1: %d frames, want %d", len(got), len(want))
	}
	if inc1.Frames != uint64(len(want)) || inc1.Interfaces[0].Name != "tap0" {
		t.Fatalf("incident 1: %d frames recorded as %d; interfaces %+v", len(want), inc1.Frames, inc1.Interfaces)
	}

	inc2, err := s.Incident(id2)
	if err != nil {
		t.Fatal(err)
	}
	if inc2.Triggers[0].Time != t2 {
		t.Errorf("manual trigger at %d, want the newest frame's time %d", inc2.Triggers[0].Time, t2)
	}
	want = expected(src, inc2.From, inc2.To, nil)
	if got := readIncident(t, s, id2); !reflect.DeepEqual(got, want) || inc2.State != StateComplete {
		t.Fatalf("incident 2 (%s): %d frames, want %d", inc2.State, len(got), len(want))
	}
	if st := rec.Stats(); st.Dropped != 0 || st.Lost != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestOverlapExtends checks that a trigger inside a recording's window
// extends it instead of starting another, and that adding a scope brings
// that scope's earlier frames in without duplicating any.
func TestOverlapExtends(t *testing.T) {
	frames, ifaces := simFrames(t, 20000)
	src := tagFrames(frames)
	s := openTest(t, t.TempDir(), Options{})
	defer s.Close()
	fd := newFeeder(t, frames, ifaces, 64<<20)
	rec := NewRecorder(s, fd.buf, RecorderOptions{Triggers: []state.EventType{}, Pre: 2 * time.Second, Post: 2 * time.Second, IdleClose: 50 * time.Millisecond})
	startRecorder(t, rec)
	a, b := src[6000].name, ""
	for i := 6000; i < len(src); i++ {
		if src[i].name != "" && src[i].name != a {
			b = src[i].name
			break
		}
	}
	ids := make([]uint64, 3)
	trig := func(k int, at int, scope string) func() {
		return func() {
			var err error
			ids[k], err = rec.TriggerAt(context.Background(), frames[at].Timestamp, "t", []string{scope})
			if err != nil {
				t.Error(err)
			}
		}
	}
	fd.at[6000] = trig(0, 6000, a)
	fd.at[6200] = trig(1, 6200, a) // same scope, overlapping
	fd.at[6400] = trig(2, 6400, b) // another scope, overlapping
	fd.run(t, rec)
	waitIdle(t, rec, 10*time.Second)
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Fatalf("ids %v, want one incident", ids)
	}
	inc, err := s.Incident(ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(inc.Triggers) != 3 || inc.To != frames[6400].Timestamp+int64(2*time.Second) || len(inc.Scopes) != 2 {
		t.Fatalf("incident %+v", inc)
	}
	got := readIncident(t, s, inc.ID)
	want := expected(src, inc.From, inc.To, func(f *tagged) bool { return f.name == a || f.name == b })
	if len(got) != len(want) {
		t.Fatalf("%d frames, want %d", len(got), len(want))
	}
	seen := map[storedFrame]int{}
	for _, f := range got {
		seen[f]++
	}
	for _, f := range want {
		if seen[f] != 1 {
			t.Fatalf("frame at %d stored %d times", f.Time, seen[f])
		}
	}
	// Scope b's earlier frames were saved after a's: a second run, which
	// readers and exports merge back into time order.
	if len(inc.Runs) != 1 || inc.Runs[0] == 0 || inc.Runs[0] >= inc.Frames {
		t.Fatalf("runs %v of %d frames, want one boundary inside", inc.Runs, inc.Frames)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Time < got[i-1].Time {
			t.Fatalf("frame %d (%d) read before an earlier one (%d)", i-1, got[i-1].Time, got[i].Time)
		}
	}
	var out bytes.Buffer
	if _, err := s.ExportIncident(inc.ID, &out, nil); err != nil {
		t.Fatal(err)
	}
	r, err := pcapng.NewReader(&out)
	if err != nil {
		t.Fatal(err)
	}
	var p pcapng.Packet
	n, last := 0, int64(0)
	for r.Next(&p) == nil {
		if p.Timestamp < last {
			t.Fatalf("exported frame %d at %d after one at %d", n, p.Timestamp, last)
		}
		n, last = n+1, p.Timestamp
	}
	if n != len(want) {
		t.Fatalf("exported %d frames, want %d", n, len(want))
	}
}

// TestEventTriggers feeds the demo scenario's grandmaster failover through
// the model: the Grandmaster Changed event must start a recording of its
// scope, and with PersistEvents the events must be stored.
func TestEventTriggers(t *testing.T) {
	frames, ifaces := simFrames(t, 40000) // a little over two virtual minutes
	s := openTest(t, t.TempDir(), Options{})
	defer s.Close()
	fd := newFeeder(t, frames, ifaces, 64<<20)
	rec := NewRecorder(s, fd.buf, RecorderOptions{Pre: 5 * time.Second, Post: 5 * time.Second, IdleClose: 50 * time.Millisecond, PersistEvents: true})
	rec.Watch(fd.log)
	startRecorder(t, rec)
	fd.run(t, rec)
	waitIdle(t, rec, 10*time.Second)
	incs, err := s.Incidents()
	if err != nil {
		t.Fatal(err)
	}
	var gm *Incident
	for i := range incs {
		for _, tr := range incs[i].Triggers {
			if tr.Type == string(state.GrandmasterChanged) {
				gm = &incs[i]
			}
		}
	}
	if gm == nil {
		t.Fatalf("no Grandmaster Changed incident among %+v", incs)
	}
	if gm.State != StateComplete || gm.Frames == 0 || len(gm.Scopes) == 0 {
		t.Fatalf("incident %+v", *gm)
	}
	// Every frame of its scopes in its window, once (extensions by other
	// scopes' events bring earlier frames in after later ones).
	src := tagFrames(frames)
	want := expected(src, gm.From, gm.To, func(f *tagged) bool { return slices.Contains(gm.Scopes, f.name) })
	got := readIncident(t, s, gm.ID)
	if len(got) != len(want) {
		t.Fatalf("%d frames, want %d", len(got), len(want))
	}
	count := map[storedFrame]int{}
	for _, f := range got {
		count[f]++
	}
	for _, f := range want {
		if count[f] != 1 {
			t.Fatalf("frame at %d stored %d times", f.Time, count[f])
		}
	}
	evs, err := s.Events(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 || len(evs) != len(fd.log.Events(0, 0)) {
		t.Fatalf("%d events stored, log has %d", len(evs), len(fd.log.Events(0, 0)))
	}
}

// TestRecoverInterrupted leaves an incident recording (as a crash would)
// and checks that Open marks it incomplete with the counts of what was
// stored.
func TestRecoverInterrupted(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, Options{})
	inc := Incident{From: 1, To: 100, Created: time.Now().UnixNano(), Triggers: []Trigger{{Time: 50, Type: ManualTrigger}}}
	if err := s.newIncident(&inc); err != nil {
		t.Fatal(err)
	}
	var c chunk
	c.reset()
	rec := make([]byte, recHeader+10)
	for i := range 5 {
		m := ring.RecordMeta{Time: int64(10 + i)}
		putRecordHeader(rec, &m, 1, 10)
		c.add(rec, 0)
	}
	b := s.NewBatch()
	b.Set(framesKey(nil, inc.ID, 0), c.value(), nil)
	if err := s.Write(b, true); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openTest(t, dir, Options{})
	defer s.Close()
	got, err := s.Incident(inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != StateIncomplete || got.Frames != 5 || got.Bytes != 50 || got.First != 10 || got.Last != 14 || got.Reason == "" {
		t.Fatalf("recovered %+v", got)
	}
	if err := s.DeleteIncident(inc.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Incident(inc.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}

func TestHandoff(t *testing.T) {
	h := newHandoff(1 << 20)
	data := bytes.Repeat([]byte{0xab}, 1000)
	var pos uint64
	pushed, popped := 0, 0
	for round := 0; round < 5000; round++ {
		for i := 0; i < 7; i++ {
			m := ring.RecordMeta{Time: int64(pushed)}
			if h.push(uint64(pushed+1), &m, 1, data[:pushed%1000]) {
				pushed++
			}
		}
		for i := 0; i < 5+round%5; i++ {
			n, rec, next, ok := h.peek(pos)
			if !ok {
				break
			}
			var f Frame
			if n != uint64(popped+1) || decodeRecord(rec, &f) != len(rec) || f.Time != int64(popped) || len(f.Data) != popped%1000 {
				t.Fatalf("entry %d: n %d time %d len %d", popped, n, f.Time, len(f.Data))
			}
			pos = next
			h.release(pos)
			popped++
		}
	}
	if pushed < 20000 {
		t.Fatalf("only %d pushed", pushed)
	}
	// Full: push fails without blocking.
	for h.push(1, &ring.RecordMeta{}, 1, data) {
	}
	m := ring.RecordMeta{Time: 1}
	if a := testing.AllocsPerRun(100, func() { h.push(1, &m, 1, data) }); a != 0 {
		t.Errorf("push allocates %v", a)
	}
}

// TestIngestNoAlloc checks the promise the frame path relies on.
func TestIngestNoAlloc(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	defer s.Close()
	rec := NewRecorder(s, nil, RecorderOptions{Archive: true, HandoffBytes: 1 << 20})
	data := make([]byte, 100)
	m := ring.RecordMeta{Time: 1, Scope: 3}
	i := 0
	a := testing.AllocsPerRun(100000, func() {
		i++
		m.Time = int64(i)
		rec.Ingest(0, &m, 1, data)
	})
	if a != 0 {
		t.Fatalf("Ingest allocates %v per frame", a)
	}
	if rec.Stats().Dropped == 0 {
		t.Fatal("a full hand-off did not drop")
	}
}

// TestOnStoredNoAlloc checks the pipeline hook once it knows the scope.
func TestOnStoredNoAlloc(t *testing.T) {
	frames, _ := simFrames(t, 100)
	s := openTest(t, t.TempDir(), Options{})
	defer s.Close()
	buf, err := ring.NewBuffer(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(s, buf, RecorderOptions{Archive: true, HandoffBytes: 1 << 20})
	var d decode.Frame
	var o state.Observation
	f := &frames[10]
	if d.Decode(f.Link, f.Data) != decode.ResultOK || !state.Observe(&d, 0, f.Timestamp, false, &o) {
		t.Fatal("frame does not decode")
	}
	m := ring.RecordMeta{Time: f.Timestamp, IfIndex: f.Interface, MessageType: uint8(o.Kind), Version: d.Version, Scope: o.Scope.Tag()}
	rec.OnStored(0, &m, f.Link, f.Data, &o)
	a := testing.AllocsPerRun(10000, func() {
		n, _ := buf.Append(m, f.Data)
		rec.OnStored(n, &m, f.Link, f.Data, &o)
	})
	if a != 0 {
		t.Fatalf("OnStored allocates %v per frame", a)
	}
	if _, ok := rec.scopeTags[o.Scope.String()]; !ok {
		t.Fatal("scope not learned")
	}
}

// TestFollowInterfaces: a source whose interfaces grow while recording (a
// collector hearing a new probe site) names the new interface in the
// incident being recorded and in the archive's interface table; with
// SetInterfaces alone the name would stay unknown.
func TestFollowInterfaces(t *testing.T) {
	frames, ifaces := simFrames(t, 6000)
	for i := 3000; i < len(frames); i += 2 {
		frames[i].Interface = 1 // the new site's frames
	}
	ifaces = append(slices.Clone(ifaces[:1]), source.Interface{Name: "tokyo/eth1"})
	s := openTest(t, t.TempDir(), Options{})
	defer s.Close()
	// The window ends half a second (of a quiet link's wall clock) after
	// the last frame.
	post := time.Duration(frames[len(frames)-1].Timestamp-frames[1000].Timestamp) + 500*time.Millisecond
	rec := NewRecorder(s, nil, RecorderOptions{Triggers: []state.EventType{}, Pre: time.Second, Post: post, IdleClose: 50 * time.Millisecond})
	fd := newFeeder(t, frames, ifaces, 64<<20)
	rec.buf = fd.buf
	var names atomic.Pointer[[]string]
	names.Store(&[]string{"paris/eth0"})
	rec.FollowInterfaces(func() []string { return *names.Load() })
	startRecorder(t, rec)
	var id uint64
	fd.at[1000] = func() {
		var err error
		if id, err = rec.Trigger(context.Background(), "everything", nil); err != nil {
			t.Error(err)
		}
	}
	fd.at[2999] = func() { names.Store(&[]string{"paris/eth0", "tokyo/eth1"}) }
	fd.run(t, rec)
	waitIdle(t, rec, 10*time.Second)
	inc, err := s.Incident(id)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, i := range inc.Interfaces {
		got = append(got, i.Name)
	}
	if want := []string{"paris/eth0", "tokyo/eth1"}; !slices.Equal(got, want) {
		t.Errorf("incident interfaces %q, want %q", got, want)
	}
	if a := s.archiveInterfaces(); len(a) != 2 || a[1].Name != "tokyo/eth1" {
		t.Errorf("archive interfaces %+v", a)
	}
}
