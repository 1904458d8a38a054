package httpd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"github.com/ptpwatch/ptpwatch/state/dashcam"
	"github.com/ptpwatch/ptpwatch/state/store"
)

// Dashcam is implemented by a Backend with a store (ptpwatch --data DIR).
// Either return value may be nil: no store configured, or no recorder.
//
// The server calls Dashcam on every request to the incident and archive
// routes, so it must be cheap and safe for concurrent use. Without a store
// those routes answer 404; with a store but no recorder POST
// /api/v1/incidents answers 501 and the other routes work.
//
// The store must stay open until Shutdown has returned: exports read it
// after their handler has returned (see Shutdown).
type Dashcam interface {
	Dashcam() (*dashcam.Store, *dashcam.Recorder)
}

// Limits on a manual trigger (POST /api/v1/incidents).
const (
	MaxTriggerBody   = 16 << 10 // bytes of the request body
	MaxTriggerNote   = 1024     // bytes of the note
	MaxTriggerScopes = 64       // scope names
)

// triggerTimeout bounds the wait for the recorder to take a manual
// trigger; a variable so that tests can shorten it.
var triggerTimeout = 10 * time.Second

// noStoreMsg answers the dashcam routes when the backend has no store.
const noStoreMsg = "no dashcam store: start ptpwatch with --data DIR"

// dashcamStore returns the backend's store and recorder; the store is not
// nil when err is nil.
func (s *Server) dashcamStore() (*dashcam.Store, *dashcam.Recorder, error) {
	d, ok := s.b.(Dashcam)
	if !ok {
		return nil, nil, errorf(fasthttp.StatusNotFound, noStoreMsg)
	}
	st, rec := d.Dashcam()
	if st == nil {
		return nil, nil, errorf(fasthttp.StatusNotFound, noStoreMsg)
	}
	return st, rec, nil
}

// storeError maps a dashcam error to an API error; what says what was
// being done ("reading incident 3"). The answer says what happened and
// what to do, in one line: details (Pebble's reports may carry stack
// traces) go to the log, never into the answer.
func (s *Server) storeError(st *dashcam.Store, err error, what string) error {
	var t storeTrouble
	if errors.Is(err, store.ErrPaused) {
		t.paused, t.diskFull, t.cause = st.Trouble()
	}
	return s.storeErrorFor(err, t, what)
}

// storeTrouble is what Store.Trouble says.
type storeTrouble struct {
	paused, diskFull bool
	cause            error
}

func (s *Server) storeErrorFor(err error, t storeTrouble, what string) error {
	why := func(e error) string {
		if e == nil {
			return "unknown error"
		}
		return firstLine(e.Error())
	}
	switch {
	case errors.Is(err, store.ErrFailed):
		return errorf(fasthttp.StatusServiceUnavailable,
			"%s: the dashcam store failed (%s) and stays off until ptpwatch restarts; capture continues in RAM. Restart ptpwatch; if the store fails again, check the disk (kernel log, SMART) and move the data directory aside",
			what, why(err))
	case errors.Is(err, store.ErrPaused):
		paused, diskFull, cause := t.paused, t.diskFull, t.cause
		switch {
		case paused && diskFull:
			return errorf(fasthttp.StatusServiceUnavailable,
				"%s: dashcam storage is paused because the disk is nearly full (%s); free space on it (delete old incidents, lower [dashcam] max_bytes): recording resumes by itself once there is room",
				what, why(cause))
		case paused:
			return errorf(fasthttp.StatusServiceUnavailable,
				"%s: dashcam storage is paused because a write to the disk failed (%s); ptpwatch retries writing every few seconds. If it keeps failing, check the disk (kernel log, SMART) and the data directory's permissions",
				what, why(cause))
		}
		return errorf(fasthttp.StatusServiceUnavailable, "%s: dashcam storage was paused by disk trouble and has just resumed; try again", what)
	case errors.Is(err, store.ErrCorrupt):
		s.log.Error("dashcam store damaged", "during", what, "err", err)
		return errorf(fasthttp.StatusInternalServerError,
			"%s: %s. What lies in the damaged part cannot be read; the rest of the store can. Export what you need, then delete the damaged incident (or, for damage outside incidents, stop ptpwatch and move the data directory aside)",
			what, why(err))
	case errors.Is(err, store.ErrClosed):
		return errorf(fasthttp.StatusServiceUnavailable, "%s: the dashcam store is closed (ptpwatch is shutting down)", what)
	}
	s.log.Error("dashcam store error", "during", what, "err", err)
	return errorf(fasthttp.StatusInternalServerError, "%s: %s", what, why(err))
}

// firstLine returns s up to its first line break.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// incidentID parses the {id} path variable.
func incidentID(v string) (uint64, error) {
	id, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, errorf(fasthttp.StatusBadRequest, "bad incident id %q: incident ids are decimal integers (see GET /api/v1/incidents)", v)
	}
	return id, nil
}

// incident returns the store and the incident named by the path.
func (s *Server) incident(c *call) (*dashcam.Store, dashcam.Incident, error) {
	st, _, err := s.dashcamStore()
	if err != nil {
		return nil, dashcam.Incident{}, err
	}
	id, err := incidentID(c.vars[0])
	if err != nil {
		return nil, dashcam.Incident{}, err
	}
	inc, err := st.Incident(id)
	if errors.Is(err, dashcam.ErrNotFound) {
		return nil, inc, errorf(fasthttp.StatusNotFound, "no incident %d (see GET /api/v1/incidents)", id)
	}
	if err != nil {
		return nil, inc, s.storeError(st, err, fmt.Sprintf("reading incident %d", id))
	}
	return st, inc, nil
}

// listIncidents serves GET /api/v1/incidents: every incident, newest first.
func (s *Server) listIncidents(c *call) error {
	st, _, err := s.dashcamStore()
	if err != nil {
		return err
	}
	incs, err := st.Incidents()
	if err != nil {
		return s.storeError(st, err, "reading incidents")
	}
	slices.Reverse(incs) // the store lists them by id, oldest first
	return writeJSON(c.ctx, nonNil(incs))
}

func (s *Server) getIncident(c *call) error {
	_, inc, err := s.incident(c)
	if err != nil {
		return err
	}
	return writeJSON(c.ctx, inc)
}

func (s *Server) deleteIncident(c *call) error {
	st, inc, err := s.incident(c)
	if err != nil {
		return err
	}
	switch err := st.DeleteIncident(inc.ID); {
	case errors.Is(err, dashcam.ErrRecording):
		return errorf(fasthttp.StatusConflict,
			"incident %d is still recording (its window ends at %s capture time); delete it once it is complete or incomplete",
			inc.ID, time.Unix(0, inc.To).UTC().Format(time.RFC3339Nano))
	case errors.Is(err, dashcam.ErrNotFound):
		return errorf(fasthttp.StatusNotFound, "no incident %d (see GET /api/v1/incidents)", inc.ID)
	case err != nil:
		return s.storeError(st, err, fmt.Sprintf("deleting incident %d", inc.ID))
	}
	s.log.Info("dashcam incident deleted", "incident", inc.ID, "by", c.who, "remote", c.ctx.RemoteIP().String())
	c.ctx.SetStatusCode(fasthttp.StatusNoContent)
	return nil
}

// triggerInput is the body of POST /api/v1/incidents.
type triggerInput struct {
	Note   string   `json:"note"`
	Scopes []string `json:"scopes"`
}

func parseTrigger(body []byte) (triggerInput, error) {
	var in triggerInput
	if len(body) > MaxTriggerBody {
		return in, errorf(fasthttp.StatusRequestEntityTooLarge, "trigger body of %d bytes exceeds the limit of %d", len(body), MaxTriggerBody)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return in, nil // both fields are optional
	}
	const want = `the body must be a JSON object {"note": "...", "scopes": ["scope name", ...]}, both optional`
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return in, errorf(fasthttp.StatusBadRequest, "%s: %v", want, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return in, errorf(fasthttp.StatusBadRequest, "%s: the body holds more than one JSON value", want)
	}
	in.Note = strings.TrimSpace(in.Note)
	switch {
	case len(in.Note) > MaxTriggerNote:
		return in, errorf(fasthttp.StatusBadRequest, "note is %d bytes long; the limit is %d", len(in.Note), MaxTriggerNote)
	case !utf8.ValidString(in.Note):
		return in, errorf(fasthttp.StatusBadRequest, "note is not valid UTF-8")
	case strings.ContainsFunc(in.Note, unicode.IsControl):
		return in, errorf(fasthttp.StatusBadRequest, "note contains control characters")
	case len(in.Scopes) > MaxTriggerScopes:
		return in, errorf(fasthttp.StatusBadRequest, "%d scopes named; the limit is %d", len(in.Scopes), MaxTriggerScopes)
	}
	for _, sc := range in.Scopes {
		if sc == "" {
			return in, errorf(fasthttp.StatusBadRequest, "empty scope name: name scopes as GET /api/v1/scopes does, or leave scopes out for all scopes")
		}
	}
	return in, nil
}

type triggerBody struct {
	ID uint64 `json:"id"`
}

// triggerIncident serves POST /api/v1/incidents: a manual trigger.
func (s *Server) triggerIncident(c *call) error {
	st, rec, err := s.dashcamStore()
	if err != nil {
		return err
	}
	if rec == nil {
		return errorf(fasthttp.StatusNotImplemented, "no dashcam recorder: this ptpwatch keeps a store but does not record incidents")
	}
	in, err := parseTrigger(c.ctx.PostBody())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), triggerTimeout)
	defer cancel()
	id, err := rec.Trigger(ctx, in.Note, in.Scopes)
	switch {
	case errors.Is(err, dashcam.ErrUnknownScope):
		return errorf(fasthttp.StatusBadRequest,
			"unknown scope in %q: no frames of it seen yet; name scopes as GET /api/v1/scopes does (\"name\"), or leave scopes out for all scopes",
			in.Scopes)
	case errors.Is(err, context.DeadlineExceeded):
		return errorf(fasthttp.StatusServiceUnavailable, "the dashcam recorder did not take the trigger within %v", triggerTimeout)
	case err != nil:
		return s.storeError(st, err, "recording an incident")
	}
	s.log.Info("dashcam incident triggered", "incident", id, "note", in.Note, "scopes", in.Scopes,
		"by", c.who, "remote", c.ctx.RemoteIP().String())
	c.ctx.Response.Header.Set(fasthttp.HeaderLocation, "/api/v1/incidents/"+strconv.FormatUint(id, 10))
	if err := writeJSON(c.ctx, triggerBody{id}); err != nil {
		return err
	}
	c.ctx.SetStatusCode(fasthttp.StatusCreated)
	return nil
}

// incidentPcapng serves GET /api/v1/incidents/{id}/pcapng. An incident
// still recording is exported as far as it is stored.
func (s *Server) incidentPcapng(c *call) error {
	st, inc, err := s.incident(c)
	if err != nil {
		return err
	}
	id := inc.ID
	name := "ptpwatch-incident-" + strconv.FormatUint(id, 10) + ".pcapng"
	s.streamExport(c, name, func(w io.Writer) (dashcam.ExportStats, error) {
		return st.ExportIncident(id, w, nil)
	}, "incident", id)
	return nil
}

// archivePcapng serves GET /api/v1/archive.pcapng?from=&to=.
func (s *Server) archivePcapng(c *call) error {
	st, _, err := s.dashcamStore()
	if err != nil {
		return err
	}
	if !c.has("from") || !c.has("to") {
		return errorf(fasthttp.StatusBadRequest,
			"parameters \"from\" and \"to\" are both required: RFC 3339 times (2024-05-01T12:00:00Z) or integer nanoseconds since 1970")
	}
	from, to, err := c.timeRange("from", "to")
	if err != nil {
		return err
	}
	name := "ptpwatch-archive-" + time.Unix(0, from).UTC().Format("20060102T150405Z") + ".pcapng"
	s.streamExport(c, name, func(w io.Writer) (dashcam.ExportStats, error) {
		return st.ExportRange(from, to, w, nil)
	}, "from", from, "to", to)
	return nil
}

// errShutdown ends an export when the server shuts down.
var errShutdown = errors.New("httpd: server shutting down")

// abortWriter fails writes once the server shuts down, so that an export
// ends (and releases the store) instead of outliving Shutdown.
type abortWriter struct {
	w    io.Writer
	done <-chan struct{}
}

func (a abortWriter) Write(p []byte) (int, error) {
	select {
	case <-a.done:
		return 0, errShutdown
	default:
	}
	return a.w.Write(p)
}

// streamExport answers with the pcapng file that export writes, streamed:
// fasthttp runs the writer on its own goroutine after the handler has
// returned, so memory use does not grow with the export. Shutdown waits
// for it.
func (s *Server) streamExport(c *call, filename string, export func(io.Writer) (dashcam.ExportStats, error), logArgs ...any) {
	c.ctx.SetContentType("application/x-pcapng")
	c.ctx.Response.Header.Set(fasthttp.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	if c.ctx.IsHead() {
		// The headers only: fasthttp would send the end of an empty
		// chunked body after them, which a HEAD answer must not carry.
		return
	}
	s.exports.Add(1)
	done := s.done
	// An export that fails half way must not look finished: the
	// connection is closed before the chunked body's last chunk, so the
	// client sees a broken download, not a short file.
	conn := c.ctx.Conn()
	c.ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
		defer s.exports.Add(-1)
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic exporting from the dashcam store", append(logArgs, "panic", fmt.Sprint(p))...)
				conn.Close()
			}
		}()
		start := time.Now()
		n, err := export(abortWriter{w, done})
		if err == nil {
			err = w.Flush()
		}
		if err != nil {
			s.log.Warn("dashcam pcapng export ended early; closing the connection", append(logArgs, "frames", n.Frames, "err", err)...)
			conn.Close()
			return
		}
		if s.debug {
			s.log.Debug("dashcam pcapng export", append(logArgs, "frames", n.Frames, "bytes", n.Bytes, "duration", time.Since(start))...)
		}
	})
}
