//go:build linux

package natsd_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/xdp/netlab"
	"github.com/ptpwatch/ptpwatch/xdp/remote"
	"github.com/ptpwatch/ptpwatch/xdp/remote/natsd"
	"github.com/ptpwatch/ptpwatch/xdp/replay"
)

// TestNetnsOutage runs a collector and two probes as processes in network
// namespaces of their own, joined by a bridge: the probes forward over the
// network, then the collector's link goes down for outage() (3 s; 30 s
// with PTPWATCH_OUTAGE=30s) while they go on capturing, and comes back.
// The collector's consumer stores every frame of each probe once, in
// order, and as many as the probe added.
func TestNetnsOutage(t *testing.T) {
	lab := netlab.New(t, "fwd")
	sw := lab.Switch("sw")
	colNS := sw.Host("col", "10.18.0.1/24")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	colDir := t.TempDir()
	lab.Start(colNS, "collector", "env", crashDirEnv+"="+colDir, crashListenEnv+"=10.18.0.1:4222", self, "-test.run=^$")
	sink := filepath.Join(colDir, "sink")
	sites := map[string]string{}
	for i, site := range []string{"paris", "tokyo"} {
		ns := sw.Host(site[:3], fmt.Sprintf("10.18.0.%d/24", i+2))
		dir := t.TempDir()
		sites[site] = dir
		lab.Start(ns, "probe-"+site, "env", probeDirEnv+"="+dir, probeSiteEnv+"="+site, probeURLEnv+"=nats://10.18.0.1:4222", self, "-test.run=^$")
	}
	perSite := func() map[string][]uint64 {
		out := map[string][]uint64{}
		for _, l := range sinkLines(t, sink) {
			f := strings.Fields(l)
			v, _ := strconv.ParseUint(f[3], 10, 64)
			out[f[0]] = append(out[f[0]], v)
		}
		return out
	}
	waitFor(t, 60*time.Second, "frames from both probes over the network", func() bool {
		got := perSite()
		return len(got["paris"]) > 2000 && len(got["tokyo"]) > 2000
	})
	before := perSite()
	lab.IP(colNS, "link", "set", "eth0", "down")
	t.Logf("collector's link down after %d + %d frames, for %v", len(before["paris"]), len(before["tokyo"]), outage())
	time.Sleep(outage()) // the outage itself: the probes go on and queue
	lab.IP(colNS, "link", "set", "eth0", "up")
	for _, dir := range sites {
		if err := os.WriteFile(filepath.Join(dir, "stop"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]int{}
	for site, dir := range sites {
		waitFor(t, 4*time.Minute, site+"'s count of frames", func() bool {
			b, err := os.ReadFile(filepath.Join(dir, "count"))
			if err == nil {
				want[site], _ = strconv.Atoi(string(b))
			}
			return err == nil
		})
	}
	waitFor(t, 2*time.Minute, "every frame at the collector", func() bool {
		got := perSite()
		return len(got["paris"]) >= want["paris"] && len(got["tokyo"]) >= want["tokyo"]
	})
	got := perSite()
	for site, n := range want {
		if len(got[site]) != n {
			t.Errorf("%s: %d frames stored, %d forwarded", site, len(got[site]), n)
		}
		for i, v := range got[site] {
			if v != uint64(i) {
				t.Fatalf("%s: frame %d is number %d (duplicate, loss or reorder)", site, i, v)
			}
		}
		if n <= len(before[site])+100*int(outage()/(10*time.Millisecond))/2 {
			t.Errorf("%s: %d frames in all, %d before the outage: the probe did not go on during it", site, n, len(before[site]))
		}
	}
	t.Logf("paris %d, tokyo %d frames over the network, each once and in order", want["paris"], want["tokyo"])
}

// TestNetnsTwoSites is TestTwoSites over a network: the collector (this
// process, its embedded server on a veth joined to a bridge) and two
// probe processes in namespaces of their own, each replaying a public
// capture as its segment. The collector's model equals, segment by
// segment, what each capture gives analysed on its own.
func TestNetnsTwoSites(t *testing.T) {
	dir := captures(t)
	files := map[string]string{
		"paris": filepath.Join(dir, "ndpi", "ptpv2.pcap"),
		"tokyo": filepath.Join(dir, "tcpdump", "ptp_ethernet.pcap"),
	}
	segments := map[string]int{"paris": 1, "tokyo": 2}
	lab := netlab.New(t, "fwd")
	sw := lab.Switch("sw")
	near := lab.Base + "c"
	lab.Veth(netlab.End{Name: near}, netlab.End{Netns: sw.NS, Name: "pcol"})
	lab.IP(sw.NS, "link", "set", "pcol", "master", "br0")
	lab.IP(sw.NS, "link", "set", "pcol", "up")
	lab.IP("", "addr", "add", "10.19.0.1/24", "dev", near)
	lab.IP("", "link", "set", near, "up")
	col := startCollector(t, natsd.Config{Listen: "10.19.0.1:0"}, remote.CollectorConfig{})
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]state.Scope{}
	total := 0
	i := 2
	for site, path := range files {
		r, err := replay.Open(path, uint16(segments[site]))
		if err != nil {
			t.Fatal(err)
		}
		own := model(t, r)
		r.Close()
		for name, sc := range scopes(own) {
			want[name] = sc
		}
		ns := sw.Host(site[:3], fmt.Sprintf("10.19.0.%d/24", i))
		i++
		pdir := t.TempDir()
		lab.Start(ns, "probe-"+site, "env", probeDirEnv+"="+pdir, probeSiteEnv+"="+site, probeURLEnv+"="+col.url,
			probeReplayEnv+"="+path, probeSegmentEnv+"="+strconv.Itoa(segments[site]), self, "-test.run=^$")
		waitFor(t, 2*time.Minute, site+"'s probe to forward its capture", func() bool {
			b, err := os.ReadFile(filepath.Join(pdir, "count"))
			if err == nil {
				n, _ := strconv.Atoi(string(b))
				total += n
				t.Logf("%s: %s, %d frames forwarded over the network, %d scopes", site, filepath.Base(path), n, len(own.Scopes))
			}
			return err == nil
		})
	}
	checkSites(t, col.c, want, total)
}
