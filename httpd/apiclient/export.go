package apiclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/ptpwatch/ptpwatch/decode/pcapng"
	"github.com/ptpwatch/ptpwatch/state/dashcam"
)

// Export reads incidents and the archive through a running appliance's
// API, as *dashcam.Store reads them from the store itself. Downloads are read as they arrive, so that the CLI
// shows progress and counts the frames, and a truncated answer is an
// error rather than a short file.
type Export struct{ C *Client }

func (a Export) Close() error { return nil }

func (a Export) Incidents() ([]dashcam.Incident, error) {
	var incs []dashcam.Incident
	return incs, a.getJSON("/api/v1/incidents", &incs)
}

func (a Export) Incident(id uint64) (dashcam.Incident, error) {
	var inc dashcam.Incident
	err := a.getJSON("/api/v1/incidents/"+strconv.FormatUint(id, 10), &inc)
	var ae *Error
	if errors.As(err, &ae) && ae.Code == http.StatusNotFound {
		err = fmt.Errorf("%w: %v", dashcam.ErrNotFound, err)
	}
	return inc, err
}

func (a Export) ExportIncident(id uint64, w io.Writer, progress func(dashcam.Progress)) (dashcam.ExportStats, error) {
	inc, err := a.Incident(id)
	if err != nil {
		return dashcam.ExportStats{}, err
	}
	return a.download("/api/v1/incidents/"+strconv.FormatUint(id, 10)+"/pcapng", w, progress,
		dashcam.Progress{Total: inc.Frames, From: inc.From, To: inc.To})
}

func (a Export) ExportRange(from, to int64, w io.Writer, progress func(dashcam.Progress)) (dashcam.ExportStats, error) {
	return a.download("/api/v1/archive.pcapng?from="+strconv.FormatInt(from, 10)+"&to="+strconv.FormatInt(to, 10), w, progress,
		dashcam.Progress{From: from, To: to})
}

func (a Export) getJSON(path string, v any) error {
	resp, err := a.C.Do(http.MethodGet, path, "", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("GET %s: unexpected answer: %w", path, err)
	}
	return nil
}

// download copies the pcapng at path to w, reading it on the way.
func (a Export) download(path string, w io.Writer, progress func(dashcam.Progress), p dashcam.Progress) (dashcam.ExportStats, error) {
	var st dashcam.ExportStats
	resp, err := a.C.Do(http.MethodGet, path, "", nil)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	r, err := pcapng.NewReader(io.TeeReader(resp.Body, w))
	if err != nil {
		return st, fmt.Errorf("the appliance's answer is not a capture: %w", err)
	}
	var pkt pcapng.Packet
	for {
		err := r.Next(&pkt)
		if err == io.EOF {
			return st, nil
		}
		if err != nil {
			return st, fmt.Errorf("reading the appliance's capture after %d frames: %w", st.Frames, err)
		}
		st.Frames++
		st.Bytes += uint64(pkt.CaptureLength)
		if progress != nil && st.Frames%4096 == 0 {
			p.Frames, p.Time = st.Frames, pkt.Timestamp
			progress(p)
		}
	}
}
