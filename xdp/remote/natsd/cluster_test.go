package natsd_test

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/xdp/remote"
	"github.com/ptpwatch/ptpwatch/xdp/remote/natsd"
)

// freePorts returns n loopback ports free at the time of asking.
func freePorts(t testing.TB, n int) []int {
	var out []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

// TestCluster forwards into a stream replicated over a cluster of three
// embedded NATS servers and kills one of them while forwarding: nothing
// is lost, nothing repeated.
func TestCluster(t *testing.T) {
	dir := t.TempDir()
	ports := freePorts(t, 6)
	var routes, urls []string
	for i := range 3 {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ports[3+i]))
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", ports[i]))
	}
	var servers []*natsd.Server
	for i := range 3 {
		s, err := natsd.Start(natsd.Config{Name: fmt.Sprintf("n%d", i), Listen: fmt.Sprintf("127.0.0.1:%d", ports[i]),
			StoreDir: filepath.Join(dir, fmt.Sprint(i)), ClusterName: "ptpwatch", ClusterListen: fmt.Sprintf("127.0.0.1:%d", ports[3+i]),
			Routes: routes})
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, s)
		t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	}
	waitFor(t, 20*time.Second, "the cluster to form", func() bool {
		for _, s := range servers {
			if s.NumRoutes() < 2 {
				return false
			}
		}
		return true
	})
	waitFor(t, 30*time.Second, "a JetStream meta leader", func() bool {
		for _, s := range servers {
			if s.JetStreamIsLeader() {
				return true
			}
		}
		return false
	})
	all := strings.Join(urls, ",")
	c, err := remote.NewCollector(remote.CollectorConfig{URL: all, Replicas: 3, Keys: []remote.Key{key(t, 5, 1)}, Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	p := startProbe(t, remote.ProbeConfig{Site: "paris", Collectors: []string{all}})
	r := read(c, nil)
	stop := make(chan struct{})
	count := produce(p, stop)
	waitFor(t, 20*time.Second, "frames through the cluster", func() bool { return r.count("paris") > 3000 })
	// Kill a server holding client connections (the probe's, the
	// collector's, or both).
	victim := 0
	for i, s := range servers {
		if s.NumClients() > 0 {
			victim = i
			break
		}
	}
	servers[victim].Shutdown()
	t.Logf("killed server n%d after %d frames", victim, r.count("paris"))
	before := r.count("paris")
	waitFor(t, 30*time.Second, "frames after the kill", func() bool { return r.count("paris") > before+3000 })
	close(stop)
	n := <-count
	drain(t, p)
	waitFor(t, 60*time.Second, "every frame", func() bool { return r.count("paris") >= int(n) })
	r.close()
	r.check(t, "paris", int(n))
	t.Logf("%d frames, each once and in order, across the loss of a server", n)
}
