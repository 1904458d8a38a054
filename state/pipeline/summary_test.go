package pipeline

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/ring"
)

// TestLogCounters: the summary names the counters, the RAM buffer and
// every scope with its grandmaster.
func TestLogCounters(t *testing.T) {
	buf, err := ring.NewBuffer(8 << 20)
	if err != nil {
		t.Fatal(err)
	}
	snap, _, p := analyze(t, loadFixture(t), 1, buf)
	var out bytes.Buffer
	p.LogCounters(slog.New(slog.NewTextHandler(&out, nil)), "final", 3*time.Second)
	text := out.String()
	for _, want := range []string{"msg=counters why=final uptime=3s received=", "msg=\"capture buffer\" frames="} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
	if n := strings.Count(text, "msg=scope "); n != len(snap.Scopes) || n == 0 {
		t.Errorf("%d scope lines for %d scopes:\n%s", n, len(snap.Scopes), text)
	}
}
