package apiclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ptpwatch/ptpwatch/state/dashcam"
	"github.com/ptpwatch/ptpwatch/state/store"
)

// ExportSource is what `ptpwatch export` reads: the data store itself when
// its appliance is stopped (*dashcam.Store), or the running appliance's API
// (Export), which holds the store's lock while it runs.
type ExportSource interface {
	Incidents() ([]dashcam.Incident, error)
	Incident(id uint64) (dashcam.Incident, error)
	ExportIncident(id uint64, w io.Writer, progress func(dashcam.Progress)) (dashcam.ExportStats, error)
	ExportRange(from, to int64, w io.Writer, progress func(dashcam.Progress)) (dashcam.ExportStats, error)
	Close() error
}

var (
	_ ExportSource = (*dashcam.Store)(nil)
	_ ExportSource = Export{}
)

// OpenExport chooses where export reads. With useAPI (--api given) it is
// c's API, and note says so, pointing out a different address recorded in
// dir. Otherwise it is the store in dir, unless the running appliance holds
// it: then the API at the address that appliance recorded in the store (or
// DefaultAPI when none is), and note says why. where names the choice for
// messages. c.Base is set to the API used.
func OpenExport(dir string, c *Client, useAPI bool) (src ExportSource, where, note string, err error) {
	if useAPI {
		note = "exporting through the appliance API at " + c.Base
		if dir != "" {
			note += " (--api wins over --data " + dir
			if rec, _ := store.RecordedAPI(dir); rec != "" && strings.TrimRight(rec, "/") != strings.TrimRight(c.Base, "/") {
				note += "; note: the appliance using that store recorded its API at " + rec
			}
			note += ")"
		}
		return Export{C: c}, c.Base, note, nil
	}
	st, err := dashcam.Open(dir, dashcam.Options{Store: store.Options{MustExist: true, MinFreeBytes: -1, BallastBytes: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}})
	switch {
	case err == nil:
		return st, dir, "", nil
	case errors.Is(err, store.ErrNoStore):
		return nil, dir, "", fmt.Errorf("%s holds no ptpwatch data store", dir)
	case !errors.Is(err, store.ErrInUse):
		return nil, dir, "", err
	}
	how := "the address its appliance recorded"
	rec, rerr := store.RecordedAPI(dir)
	if rec == "" {
		how = "no address is recorded in the store, so the default"
		if rerr != nil {
			how = fmt.Sprintf("the recorded address cannot be read (%v), so the default", rerr)
		}
		rec = DefaultAPI
	}
	c.Base = rec
	note = fmt.Sprintf("the store in %s is in use by the running appliance; exporting through its API at %s (%s; give --api URL to choose)", dir, rec, how)
	return Export{C: c}, rec, note, nil
}

// WriteIncidents lists incidents as an indented JSON array or a table.
func WriteIncidents(w io.Writer, incs []dashcam.Incident, asJSON bool) error {
	if asJSON {
		if incs == nil {
			incs = []dashcam.Incident{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(incs)
	}
	if len(incs) == 0 {
		_, err := fmt.Fprintln(w, "no incidents")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tFROM\tTO\tFRAMES\tBYTES\tTRIGGER")
	for _, inc := range incs {
		trig := ""
		if len(inc.Triggers) > 0 {
			trig = inc.Triggers[0].String()
			if n := len(inc.Triggers) - 1; n > 0 {
				trig += fmt.Sprintf(" (+%d more)", n)
			}
		}
		state := inc.State.String()
		if inc.Damaged != "" {
			state += " (damaged)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%s\n", inc.ID, state,
			time.Unix(0, inc.From).UTC().Format(time.RFC3339Nano), time.Unix(0, inc.To).UTC().Format(time.RFC3339Nano),
			inc.Frames, inc.Bytes, trig)
	}
	return tw.Flush()
}

// Progress returns a progress callback drawing one line on a terminal w at
// most five times a second, or nil when w is nil.
func Progress(w io.Writer) func(dashcam.Progress) {
	if w == nil {
		return nil
	}
	last := time.Time{}
	return func(p dashcam.Progress) {
		if time.Since(last) < 200*time.Millisecond {
			return
		}
		last = time.Now()
		pct := 0.0
		switch {
		case p.Total > 0:
			pct = 100 * float64(p.Frames) / float64(p.Total)
		case p.To > p.From:
			pct = 100 * float64(p.Time-p.From) / float64(p.To-p.From)
		}
		fmt.Fprintf(w, "\r\033[Kexporting: %d frames, %.0f%%", p.Frames, min(max(pct, 0), 100))
	}
}
