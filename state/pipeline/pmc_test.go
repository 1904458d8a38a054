package pipeline_test

import (
	"strings"
	"testing"
	"time"
)

// waitFor polls cond every 250 ms until it holds or d passes; it fails the
// test with what cond last said.
func waitFor(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
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

// pmcReply is one management response as pmc prints it.
type pmcReply struct {
	From   string // portIdentity of the responder
	ID     string // management ID name, e.g. PORT_DATA_SET
	Fields map[string]string
}

// Clock returns the responder's clockIdentity.
func (r pmcReply) Clock() string {
	c, _, _ := strings.Cut(r.From, "-")
	return c
}

// parsePMC reads pmc's text output:
//
//	\t<portIdentity> seq N RESPONSE MANAGEMENT <ID>
//	\t\t<field> <value>
func parsePMC(out string) []pmcReply {
	var replies []pmcReply
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "\t\t"):
			if len(replies) == 0 {
				continue
			}
			f := strings.Fields(line)
			if len(f) >= 2 {
				replies[len(replies)-1].Fields[f[0]] = strings.Join(f[1:], " ")
			}
		case strings.HasPrefix(line, "\t"):
			f := strings.Fields(line)
			if len(f) >= 6 && f[3] == "RESPONSE" && f[4] == "MANAGEMENT" {
				replies = append(replies, pmcReply{From: f[0], ID: f[5], Fields: map[string]string{}})
			}
		}
	}
	return replies
}
