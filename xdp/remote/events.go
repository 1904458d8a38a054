package remote

import (
	"fmt"
	"regexp"
	"time"
)

// Event types a probe or collector raises; the appliance turns them into
// model events of the same names.
const (
	EventProbeConnected = "Probe Connected" // a collector hears from a site (again), or a probe reaches its collector
	EventProbeLost      = "Probe Lost"      // a collector has not heard from a site for LostAfter, or a probe lost its collector
	EventForwardingLoss = "Forwarding Loss" // frames were dropped unforwarded (local queue full or too old) or never arrived
)

// Event is something a probe or collector reports.
type Event struct {
	Time    int64  // ns since the Unix epoch
	Type    string // one of the Event constants
	Subject string // the site, or the collector URL
	Detail  string
	Lost    uint64 // frames lost, for Forwarding Loss
}

func newEvent(typ, subject, format string, args ...any) Event {
	return Event{Time: time.Now().UnixNano(), Type: typ, Subject: subject, Detail: fmt.Sprintf(format, args...)}
}

var siteName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidSite reports whether s can name a site: 1 to 64 letters, digits,
// '-' or '_' (it becomes a NATS subject token).
func ValidSite(s string) bool { return siteName.MatchString(s) }

// Subject prefix of forwarded batches; the site is the last token.
const (
	FramesSubject = "ptpwatch.frames"
	FramesStream  = "PTPWATCH_FRAMES"
	queueSubject  = "ptpwatch.queue"
	queueStream   = "PTPWATCH_QUEUE"
)
