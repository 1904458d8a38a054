package sim

import (
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
)

// TestUnicastNegotiation follows srv-06, which negotiates unicast service:
// requests and grants every 30 s for 60 s, then Announce, Sync and
// Follow_Up addressed to it alone, with their own sequenceIds.
func TestUnicastNegotiation(t *testing.T) {
	const secs = 70
	n0, _ := New(quietDemo(), Options{})
	tr := n0.Truth()
	srv, gm := clockInfo(t, tr, "srv-06"), clockInfo(t, tr, "gm-meinberg")
	var requests, grants, announces, syncs, followUps int
	lastSync := -1
	each(t, quietDemo(), Options{Duration: secs * time.Second}, func(r *rec) {
		m := &r.d.PTP
		if r.d.Version != 2 || m.Domain != 0 {
			return
		}
		uni := m.Flags.Has(decode.FlagUnicast)
		switch {
		case m.MessageType == decode.Signaling && m.Source.Clock == srv.Identity:
			if !uni || r.d.DstIP != gm.IPv4 || m.TargetPort != (decode.PortIdentity{Clock: gm.Identity, Port: 1}) {
				t.Fatalf("request to %v, target %v", r.d.DstIP, m.TargetPort)
			}
			var got []decode.MessageType
			it := decode.TLVIter{Data: m.Suffix}
			for it.Next() {
				var x decode.RequestUnicastTLV
				if it.TLV.Type != decode.TLVRequestUnicastTransmission || x.Decode(it.TLV.Value) != nil || x.Duration != 60 {
					t.Fatalf("request TLV %v %+v", it.TLV.Type, x)
				}
				got = append(got, x.MessageType)
			}
			if len(got) != 3 || got[0] != decode.Announce || got[1] != decode.Sync || got[2] != decode.DelayResp {
				t.Fatalf("requested %v", got)
			}
			requests++
		case m.MessageType == decode.Signaling && m.Source.Clock == gm.Identity:
			if r.d.DstIP != srv.IPv4 || m.TargetPort.Clock != srv.Identity {
				t.Fatalf("grant to %v", r.d.DstIP)
			}
			it := decode.TLVIter{Data: m.Suffix}
			k := 0
			for it.Next() {
				var x decode.GrantUnicastTLV
				if it.TLV.Type != decode.TLVGrantUnicastTransmission || x.Decode(it.TLV.Value) != nil || x.Duration != 60 || !x.RenewalInvited {
					t.Fatalf("grant TLV %v %+v", it.TLV.Type, x)
				}
				k++
			}
			if k != 3 {
				t.Fatalf("%d grant TLVs", k)
			}
			grants++
		case uni && r.d.DstIP == srv.IPv4 && m.Source.Clock == gm.Identity:
			switch m.MessageType {
			case decode.Announce:
				announces++
			case decode.Sync:
				if lastSync >= 0 && int(m.Sequence) != lastSync+1 {
					t.Fatalf("unicast Sync %d after %d", m.Sequence, lastSync)
				}
				lastSync = int(m.Sequence)
				syncs++
			case decode.FollowUp:
				if int(m.Sequence) != lastSync || m.LogMessageInterval != lmiUnicast {
					t.Fatalf("unicast Follow_Up %d after Sync %d", m.Sequence, lastSync)
				}
				followUps++
			}
		}
	})
	if requests < 2 || requests > 3 || grants != requests || announces < secs-1 || syncs < 8*secs-2 || followUps < syncs-1 {
		t.Errorf("requests %d grants %d unicast Announce %d Sync %d Follow_Up %d", requests, grants, announces, syncs, followUps)
	}
}

// TestUnicastFailover checks that a unicast follower asks the backup once
// it takes over, and gets its service from it.
func TestUnicastFailover(t *testing.T) {
	cfg := withScript(GrandmasterFailover(10*time.Second, "gm-meinberg"))
	n0, _ := New(cfg, Options{})
	tr := n0.Truth()
	srv, oreg := clockInfo(t, tr, "srv-06"), clockInfo(t, tr, "gm-oregano")
	var asked time.Duration
	var syncs int
	each(t, cfg, Options{Duration: 20 * time.Second}, func(r *rec) {
		m := &r.d.PTP
		if r.d.Version != 2 || m.Domain != 0 {
			return
		}
		if m.MessageType == decode.Signaling && m.Source.Clock == srv.Identity && r.d.DstIP == oreg.IPv4 && asked == 0 {
			asked = r.at
		}
		if m.MessageType == decode.Sync && r.d.DstIP == srv.IPv4 && m.Source.Clock == oreg.Identity {
			if asked == 0 {
				t.Fatalf("unicast Sync from the backup at %v before any request", r.at)
			}
			syncs++
		}
	})
	if asked < 15*time.Second || asked > 15*time.Second+20*ms || syncs < 30 {
		t.Errorf("asked the backup at %v; %d unicast Syncs from it", asked, syncs)
	}
}
