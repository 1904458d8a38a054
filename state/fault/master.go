package fault

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
)

// Findings from the master check (state/manage measuring each master
// against the appliance's clock).
const (
	// MasterOffsetStep: a master's offset from the appliance's clock moved
	// by more than offset_step_ns and stayed there.
	MasterOffsetStep Kind = "Master Offset Step"
	// PathDelayJump: the mean path delay to a master moved by more than
	// delay_jump_ns and stayed there (a new route, a switch without
	// transparent clock, asymmetry).
	PathDelayJump Kind = "Path Delay Jump"
)

func init() {
	for _, k := range []Kind{MasterOffsetStep, PathDelayJump} {
		Kinds = append(Kinds, struct {
			Kind     Kind
			Severity state.Severity
		}{k, state.Warning})
		state.RegisterEventType(k, state.Warning)
	}
}

// stepWindow is how many samples before a new one its median is taken
// over; stepConfirm is how many samples in a row must lie beyond the
// threshold (on the same side) for a step: one outlier is no step.
const (
	stepWindow  = 9
	stepConfirm = 3
)

type sampleKey struct {
	scope state.ScopeKey
	port  decode.PortIdentity
}

// series is one master's recent samples and what they showed.
type series struct {
	offsets, delays []int64 // the latest stepWindow+stepConfirm, oldest first
	at              []int64
	lastStep        [2]int64 // when the latest offset step and delay jump were seen
	open            [2]bool
	subject         [2]string
}

// masters follows the master check's samples.
type masters struct {
	mu  sync.Mutex
	ser map[sampleKey]*series
}

// MasterSample takes one master check measurement: master port of scope
// measured at (ns since 1970) offsetNs from the appliance's clock with a
// mean path delay of delayNs. It is the master checker's sample hook
// (state/manage), called a few times a second at most.
func (e *Engine) MasterSample(scope state.ScopeKey, port decode.PortIdentity, at, offsetNs, delayNs int64) {
	if e == nil || !e.cfg.cfg.Enabled {
		return
	}
	e.ms.mu.Lock()
	defer e.ms.mu.Unlock()
	if e.ms.ser == nil {
		e.ms.ser = map[sampleKey]*series{}
	}
	k := sampleKey{scope, port}
	s := e.ms.ser[k]
	if s == nil {
		s = &series{}
		e.ms.ser[k] = s
	}
	s.offsets, s.delays, s.at = push(s.offsets, offsetNs), push(s.delays, delayNs), push(s.at, at)
	name := scope.String()
	for i, x := range [2]struct {
		vals  []int64
		limit int64
		kind  Kind
		what  string
	}{{s.offsets, e.cfg.cfg.OffsetStepNs, MasterOffsetStep, "offset from the appliance's clock"},
		{s.delays, e.cfg.cfg.DelayJumpNs, PathDelayJump, "mean path delay"}} {
		if x.limit > 0 {
			if before, after, ok := step(x.vals, x.limit); ok {
				s.lastStep[i] = at
				if !s.open[i] {
					s.open[i] = true
					s.subject[i] = port.String()
					ev := make([]Evidence, 0, stepConfirm)
					n := len(x.vals)
					for j := n - stepConfirm; j < n; j++ {
						ev = append(ev, Evidence{Time: s.at[j], Scope: name, Port: port.String(),
							What: fmt.Sprintf("master check sample: %s %d ns", x.what, x.vals[j])})
					}
					e.Book.raise(report{kind: x.kind, severity: state.Warning, segment: scope.Segment, scope: name, subject: s.subject[i],
						port: port.String(), at: at, evidence: ev,
						explanation: fmt.Sprintf("the %s of master %s moved from %s (median of the %d samples before) to %s over %d samples in a row, more than %s",
							x.what, port, time.Duration(before), stepWindow, time.Duration(after), stepConfirm, time.Duration(x.limit))})
				}
			}
		}
		if s.open[i] && at-s.lastStep[i] >= e.cfg.clear+minute {
			s.open[i] = false
			e.Book.release(x.kind, scope.Segment, s.subject[i], name, at, "no further step for "+time.Duration(at-s.lastStep[i]).Round(time.Second).String())
		}
	}
}

func push(v []int64, x int64) []int64 {
	if len(v) == stepWindow+stepConfirm {
		copy(v, v[1:])
		v = v[:len(v)-1]
	}
	return append(v, x)
}

// step reports whether the last stepConfirm values all lie more than
// limit beyond the median of the stepWindow values before them, on one
// side, with that median and the latest value.
func step(v []int64, limit int64) (before, after int64, ok bool) {
	if len(v) < stepWindow+stepConfirm {
		return 0, 0, false
	}
	w := slices.Clone(v[:stepWindow])
	slices.Sort(w)
	med := w[stepWindow/2]
	up, down := 0, 0
	for _, x := range v[stepWindow:] {
		switch {
		case x-med > limit:
			up++
		case med-x > limit:
			down++
		}
	}
	return med, v[len(v)-1], up == stepConfirm || down == stepConfirm
}
