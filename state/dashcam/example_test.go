package dashcam_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/dashcam"
	"github.com/ptpwatch/ptpwatch/state/store"
)

// Record ten seconds around a manual trigger and export them as pcapng.
func Example() {
	dir, _ := os.MkdirTemp("", "dashcam")
	defer os.RemoveAll(dir)
	s, err := dashcam.Open(dir, dashcam.Options{Store: store.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MinFreeBytes: -1, BallastBytes: -1}})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	rec := dashcam.NewRecorder(s, nil, dashcam.RecorderOptions{
		Triggers: []state.EventType{}, // manual triggers only
		Pre:      -1, Post: 10 * time.Second, IdleClose: 10 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go rec.Run(ctx)

	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	id, err := rec.TriggerAt(ctx, start, "vendor asked for a capture", nil)
	if err != nil {
		log.Fatal(err)
	}
	frame := make([]byte, 60)
	for i := range 20 { // one frame a second; the window holds eleven
		m := ring.RecordMeta{Time: start + int64(i)*int64(time.Second)}
		rec.Ingest(0, &m, 1, frame)
	}
	for len(rec.Stats().Recording) > 0 {
		rec.Sync(ctx)
	}
	inc, _ := s.Incident(id)
	fmt.Println(inc.State, inc.Frames, "frames:", inc.Triggers[0].String())
	st, err := s.ExportIncident(id, io.Discard, nil)
	fmt.Println("exported", st.Frames, "frames", err)
	// Output:
	// complete 11 frames: Manual (vendor asked for a capture)
	// exported 11 frames <nil>
}
