package fault

import (
	"strconv"

	"github.com/ptpwatch/ptpwatch/state"
)

// Verdict is a scope's or segment's health.
type Verdict string

// Verdicts: OK (no open finding above info), Degraded (open findings of
// notice or warning severity), Fault (an open critical finding).
const (
	OK       Verdict = "ok"
	Degraded Verdict = "degraded"
	Faulty   Verdict = "fault"
)

// Level orders verdicts (0 ok, 1 degraded, 2 fault), for metrics.
func (v Verdict) Level() int {
	switch v {
	case Degraded:
		return 1
	case Faulty:
		return 2
	}
	return 0
}

func verdictOf(sev state.Severity) Verdict {
	switch {
	case sev >= state.Critical:
		return Faulty
	case sev >= state.Notice:
		return Degraded
	}
	return OK
}

// ScopeHealth is one scope's verdict with the open findings behind it.
type ScopeHealth struct {
	ID       uint32 `json:"id"`
	Name     string `json:"name"`
	Segment  uint16 `json:"segment"`
	Baseline string `json:"baseline"` // "configured", "learning" (nothing judged yet) or "learnt"
	// LearntAt is the capture time the baseline was (or will be) learnt.
	LearntAt     int64    `json:"learntAt,omitempty"`
	Grandmasters []string `json:"expectedGrandmasters"`
	Verdict      Verdict  `json:"verdict"`
	Findings     []uint64 `json:"findings"`
}

// SegmentHealth is one segment's verdict: the worst of its scopes'.
type SegmentHealth struct {
	Segment  uint16   `json:"segment"`
	Verdict  Verdict  `json:"verdict"`
	Findings []uint64 `json:"findings"`
}

// Health is the verdict per scope and segment and the findings: what
// GET /api/v1/health serves. Maps are keyed by scope ID, segment number
// and finding ID, so API paths can select them (and "*" all of them).
type Health struct {
	Verdict  Verdict                  `json:"verdict"` // the worst of all
	Scopes   map[string]ScopeHealth   `json:"scopes"`
	Segments map[string]SegmentHealth `json:"segments"`
	Findings map[string]Finding       `json:"findings"` // open ones
	Closed   []Finding                `json:"closed"`   // the most recent closed ones, oldest first
}

// maxClosedInHealth bounds Health.Closed.
const maxClosedInHealth = 100

// Health computes the verdicts from the open findings.
func (e *Engine) Health() Health {
	h := Health{Verdict: OK, Scopes: map[string]ScopeHealth{}, Segments: map[string]SegmentHealth{}, Findings: map[string]Finding{},
		Closed: []Finding{}}
	byName := map[string]string{}
	for _, s := range e.Book.Scopes() {
		k := strconv.FormatUint(uint64(s.ID), 10)
		byName[s.Name] = k
		if s.Grandmasters == nil {
			s.Grandmasters = []string{}
		}
		h.Scopes[k] = ScopeHealth{ID: s.ID, Name: s.Name, Segment: s.Segment, Baseline: s.Baseline, LearntAt: s.LearntAt,
			Grandmasters: s.Grandmasters, Verdict: OK, Findings: []uint64{}}
		sk := strconv.Itoa(int(s.Segment))
		if _, ok := h.Segments[sk]; !ok {
			h.Segments[sk] = SegmentHealth{Segment: s.Segment, Verdict: OK, Findings: []uint64{}}
		}
	}
	for _, f := range e.Book.Findings(true) {
		if !f.Open {
			h.Closed = append(h.Closed, f)
			continue
		}
		h.Findings[strconv.FormatUint(f.ID, 10)] = f
		v := verdictOf(f.Severity)
		for _, name := range f.Scopes {
			if k, ok := byName[name]; ok {
				sh := h.Scopes[k]
				sh.Findings = append(sh.Findings, f.ID)
				if v.Level() > sh.Verdict.Level() {
					sh.Verdict = v
				}
				h.Scopes[k] = sh
			}
		}
		sk := strconv.Itoa(int(f.Segment))
		sg, ok := h.Segments[sk]
		if !ok {
			sg = SegmentHealth{Segment: f.Segment, Verdict: OK}
		}
		sg.Findings = append(sg.Findings, f.ID)
		if v.Level() > sg.Verdict.Level() {
			sg.Verdict = v
		}
		h.Segments[sk] = sg
		if v.Level() > h.Verdict.Level() {
			h.Verdict = v
		}
	}
	if len(h.Closed) > maxClosedInHealth {
		h.Closed = h.Closed[len(h.Closed)-maxClosedInHealth:]
	}
	return h
}
