package netlab

import (
	"strings"
	"testing"
	"time"
)

// PMCReply is one management answer as linuxptp's pmc (or ptpwatch query,
// which prints the same layout) shows it.
type PMCReply struct {
	From   string // portIdentity of the responder
	ID     string // management ID name, e.g. PORT_DATA_SET
	Fields map[string]string
}

// Clock returns the responder's clockIdentity.
func (r PMCReply) Clock() string {
	c, _, _ := strings.Cut(r.From, "-")
	return c
}

// ParsePMC reads pmc's text output:
//
//	\t<portIdentity> seq N RESPONSE MANAGEMENT <ID>
//	\t\t<field> <value>
func ParsePMC(out string) []PMCReply {
	var replies []PMCReply
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "\t\t"):
			if f := strings.Fields(line); len(replies) > 0 && len(f) >= 2 {
				replies[len(replies)-1].Fields[f[0]] = strings.Join(f[1:], " ")
			}
		case strings.HasPrefix(line, "\t"):
			if f := strings.Fields(line); len(f) >= 6 && f[3] == "RESPONSE" && f[4] == "MANAGEMENT" {
				replies = append(replies, PMCReply{From: f[0], ID: f[5], Fields: map[string]string{}})
			}
		}
	}
	return replies
}

// WaitFor polls cond every 250 ms until it holds or d passes; then it
// fails the test with what cond last said. Daemons in a lab settle in
// seconds, never at a known moment: tests wait on their state, not a
// fixed sleep.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, status := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s: %s", d, what, status)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
