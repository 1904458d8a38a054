package capture

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Loss is frames a live capture lost on one interface since the last
// look: every cause Status.Drops counts (kernel ring full, no fill-ring
// chunk, hand-off full, ...).
type Loss struct {
	Interface     string
	Method        Method
	Before, After string // frames lost in all, at the last look and now
	Detail        string // how many were lost, for which causes, and the drop counters
}

// LossWatch turns a capture's drop counters into Loss reports. Call Check
// periodically (once a second: the detail says "in the last second"); the
// zero value is ready to use. It is not safe for concurrent use.
type LossWatch struct {
	seen map[string]uint64 // frames lost per interface and method, and per cause
}

// Check reports through emit each interface of c that lost frames since the
// last Check. A nil c reports nothing.
func (w *LossWatch) Check(c *Capture, emit func(Loss)) {
	if c == nil {
		return
	}
	if w.seen == nil {
		w.seen = map[string]uint64{}
	}
	for _, st := range c.Status() {
		drops := st.Drops()
		var lost uint64
		for _, n := range drops {
			lost += n
		}
		key := st.Interface + "/" + string(st.Method)
		if prev := w.seen[key]; lost > prev {
			emit(Loss{Interface: st.Interface, Method: st.Method,
				Before: strconv.FormatUint(prev, 10), After: strconv.FormatUint(lost, 10),
				Detail: fmt.Sprintf("%d frames lost on %s (%s) in the last second: %s", lost-prev, st.Interface, st.Method,
					w.causes(key, st, drops))})
		}
		w.seen[key] = lost
		for cause, n := range drops {
			w.seen[key+"/"+cause] = n
		}
	}
}

// causes says which causes lost frames since the last look, each with its
// explanation, and lists the capture's drop counters.
func (w *LossWatch) causes(key string, st Status, drops map[string]uint64) string {
	causes := make([]string, 0, len(drops))
	for cause := range drops {
		causes = append(causes, cause)
	}
	sort.Strings(causes)
	var parts []string
	for _, cause := range causes {
		if d := drops[cause] - min(drops[cause], w.seen[key+"/"+cause]); d > 0 {
			parts = append(parts, fmt.Sprintf("%s +%d (%s)", cause, d, CauseText(cause)))
		}
	}
	var counters []string
	for name := range DropCounterNames() {
		if v, ok := st.Counters[name]; ok {
			counters = append(counters, fmt.Sprintf("%s=%d", name, v))
		}
	}
	sort.Strings(counters)
	if st.HandoffDrops > 0 {
		counters = append(counters, fmt.Sprintf("handoffDrops=%d", st.HandoffDrops))
	}
	s := strings.Join(parts, "; ")
	if len(counters) > 0 {
		s += "; counters " + strings.Join(counters, " ")
	}
	return s
}
