package manage_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state/manage"
	"github.com/ptpwatch/ptpwatch/xdp/netlab"
)

// TestLocalPTP4L reads a real ptp4l's state from its management socket as
// the master check shows it beside adjtimex, and checks it against pmc -u
// on the same socket; a wrong domain gets no answer (said, not guessed);
// no socket means no local ptp4l.
func TestLocalPTP4L(t *testing.T) {
	netlab.Need(t, "running ptp4l in a namespace")
	netlab.NeedTools(t, "capsh", "ptp4l", "pmc")
	p := netlab.NewPair(t, netlab.Options{Prefix: "mal", FarAddr: "10.87.0.2/24", NearAddr: "10.87.0.1/24"})
	d := p.Lab().PTP4L(p.Far, "loc", p.FarIf, "domainNumber 7\nmasterOnly 1\nnetwork_transport UDPv4\nlogAnnounceInterval -2\n")
	sock := filepath.Join(p.Lab().Dir, "loc.uds")
	var pmc []netlab.PMCReply
	netlab.WaitFor(t, 20*time.Second, "ptp4l MASTER on its socket", func() (bool, string) {
		if d.Exited() {
			d.DumpLog(20)
			t.Fatalf("ptp4l exited: %v", d.Err())
		}
		out, _ := p.Lab().Exec(p.Far, 5*time.Second, "pmc", "-u", "-b", "0", "-d", "7", "-s", sock, "-i", filepath.Join(p.Lab().Dir, "pmc.sock"),
			"GET PORT_DATA_SET", "GET PARENT_DATA_SET")
		pmc = netlab.ParsePMC(out)
		return len(pmc) == 2 && pmc[0].Fields["portState"] == "MASTER", out
	})
	got := manage.ReadLocalPTP4L(sock, 7, 2*time.Second)
	if got == nil || got.Error != "" {
		t.Fatalf("local ptp4l: %+v", got)
	}
	parent := pmc[1].Fields
	if got.PortState != "MASTER" || got.Grandmaster != parent["grandmasterIdentity"] || got.Parent != parent["parentPortIdentity"] || got.Domain != 7 {
		t.Errorf("read %+v; pmc says %v %v", got, pmc[0].Fields, parent)
	}
	if w := manage.ReadLocalPTP4L(sock, 8, 500*time.Millisecond); w == nil || !strings.Contains(w.Error, "0 of 3 answers") {
		t.Errorf("wrong domain: %+v", w)
	}
	if n := manage.ReadLocalPTP4L(filepath.Join(p.Lab().Dir, "none.uds"), 7, time.Second); n != nil {
		t.Errorf("no socket: %+v", n)
	}
}
