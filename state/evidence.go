package state

import (
	"fmt"
	"sort"
	"time"
)

// EvidenceKind names one thing a port was seen doing. The API carries the
// kind, not a sentence, so that clients word it (in the operator's state
// terms, or another language).
type EvidenceKind string

// Evidence kinds, one per evidence bit.
const (
	EvAnnounceGM         EvidenceKind = "announce-gm"         // Announce with stepsRemoved 0 naming itself
	EvAnnounceRelay      EvidenceKind = "announce-relay"      // Announce with stepsRemoved ≥ 1
	EvSync               EvidenceKind = "sync"                // sends Sync
	EvDelayReq           EvidenceKind = "delay-req"           // sends Delay_Req
	EvDelayResp          EvidenceKind = "delay-resp"          // answers Delay_Req
	EvNamedInDelayResp   EvidenceKind = "named-in-delay-resp" // named as requester in a Delay_Resp
	EvPdelay             EvidenceKind = "pdelay"              // takes part in peer delay
	EvManagementRequest  EvidenceKind = "management-request"  // sends management GET/SET/COMMAND
	EvManagementResponse EvidenceKind = "management-response" // answers management requests
	EvSignaling          EvidenceKind = "signaling"           // sends Signaling
	EvReportedState      EvidenceKind = "reported-state"      // state reported by PORT_DATA_SET
)

var evidenceKinds = [numEvidence]EvidenceKind{
	EvAnnounceGM, EvAnnounceRelay, EvSync, EvDelayReq, EvDelayResp, EvNamedInDelayResp,
	EvPdelay, EvManagementRequest, EvManagementResponse, EvSignaling, EvReportedState,
}

// Evidence is one observation behind a role or an instance's state: port
// Port in scope Scope has shown Kind since Since (ns since 1970).
type Evidence struct {
	Kind  EvidenceKind `json:"kind"`
	Port  uint16       `json:"port"`
	Scope string       `json:"scope"`
	Since int64        `json:"since"`
}

// String words the evidence in English, for the command line and logs.
func (e Evidence) String() string {
	return fmt.Sprintf("port %d in %s %s (since %s)", e.Port, e.Scope, e.Kind.text(),
		time.Unix(0, e.Since).UTC().Format(time.RFC3339))
}

func (k EvidenceKind) text() string {
	for i, x := range evidenceKinds {
		if x == k {
			return evidenceText[i]
		}
	}
	return string(k)
}

// evidenceOf lists the evidence bits set in ev, in bit order.
func evidenceOf(ev evidence, evAt *[numEvidence]int64, port uint16, scope string) []Evidence {
	var out []Evidence
	for i := 0; i < numEvidence; i++ {
		if ev&(1<<i) != 0 {
			out = append(out, Evidence{Kind: evidenceKinds[i], Port: port, Scope: scope, Since: evAt[i]})
		}
	}
	return out
}

// texts words each piece of evidence.
func texts(es []Evidence) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.String()
	}
	return out
}

// sortEvidence orders es by its English wording, the order the API has
// always given.
func sortEvidence(es []Evidence) {
	if len(es) < 2 {
		return
	}
	type keyed struct {
		key string
		e   Evidence
	}
	ks := make([]keyed, len(es))
	for i, e := range es {
		ks[i] = keyed{e.String(), e}
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].key < ks[j].key })
	for i := range ks {
		es[i] = ks[i].e
	}
}
