package main

import (
	"context"
	"github.com/ptpwatch/ptpwatch/state/fault"
	"sync/atomic"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/httpd"
	"github.com/ptpwatch/ptpwatch/ring"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/state/alarm"
	"github.com/ptpwatch/ptpwatch/state/dashcam"
	"github.com/ptpwatch/ptpwatch/state/manage"
	"github.com/ptpwatch/ptpwatch/state/notify"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/xdp/capture"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// maxLinkIfaces is how many capture interfaces remember their link type.
const maxLinkIfaces = 64

// backend is what the HTTP server reads from the running appliance. Its
// methods are safe for concurrent use; nothing here touches the frame path
// beyond the lock-free link-type note taken in noteFrame.
type backend struct {
	fault    *fault.Engine // the fault detectors: health verdicts and findings
	model    *state.Model
	pipe     *pipeline.Pipeline
	buffer   *ring.Buffer
	ifaces   []source.Interface
	desc     string
	method   string
	started  time.Time
	live     atomic.Pointer[capture.Capture] // nil unless capturing live
	ctl      *pipeline.Controller
	meta     httpd.MetadataStore
	store    *storage // nil without --data
	settings httpd.SettingsStore
	links    [maxLinkIfaces]atomic.Uint32 // decode.LinkType+1 per interface; 0: not seen yet
	snaps    httpd.SnapshotCache          // Take is model.Snapshot
	mgmt     *manage.Manager              // nil unless capturing live
	notifier *notify.Notifier             // nil without notification channels
	alarms   *alarm.Engine                // nil without custom alarms
	remote   *remoteParts                 // probe and collector, for /api/v1/sites
}

// Management returns the management sweeper (nil without live capture).
func (b *backend) Management() *manage.Manager { return b.mgmt }

var _ httpd.Backend = (*backend)(nil)
var _ httpd.InterfaceLister = (*backend)(nil)
var _ httpd.CaptureController = (*backend)(nil)

func (b *backend) StartCapture() error                { return b.ctl.Start() }
func (b *backend) StopCapture() error                 { return b.ctl.Stop() }
func (b *backend) MetadataStore() httpd.MetadataStore { return b.meta }
func (b *backend) SettingsStore() httpd.SettingsStore { return b.settings }

// Dashcam gives the API the incident store and recorder (nil without
// --data).
func (b *backend) Dashcam() (*dashcam.Store, *dashcam.Recorder) {
	if b.store == nil {
		return nil, nil
	}
	return b.store.store, b.store.rec
}

// noteFrame remembers the link type of each interface, for packet decoding
// and pcapng export. It runs on the frame path: one load, and a store only
// when the link type changes.
func (b *backend) noteFrame(f *source.Frame) {
	if int(f.Interface) >= maxLinkIfaces {
		return
	}
	v := uint32(f.Link) + 1
	if l := &b.links[f.Interface]; l.Load() != v {
		l.Store(v)
	}
}

func (b *backend) Snapshot() *state.Snapshot { return b.snaps.Snapshot() }

func (b *backend) Events() *state.EventLog { return b.model.Events }
func (b *backend) Buffer() *ring.Buffer    { return b.buffer }

// PipelineLag is how far the pipeline's reader is behind capture.
func (b *backend) PipelineLag() time.Duration { return b.pipe.Lag() }

func (b *backend) Counters() map[string]uint64 {
	c := &b.pipe.Counters
	return map[string]uint64{
		"received": c.Received.Load(), "decoded": c.Decoded.Load(), "notPTP": c.NotPTP.Load(),
		"truncated": c.Truncated.Load(), "malformed": c.Malformed.Load(), "buffered": c.Buffered.Load(),
		"bufferErrors": c.BufferErrors.Load(),
	}
}

// captureStatus is the JSON of GET /api/v1/capture's source part.
type captureStatus struct {
	Sources    []sourceStatus   `json:"sources"`
	Interfaces []capture.Status `json:"interfaces,omitempty"` // live capture, per interface
}

type sourceStatus struct {
	Kind       string   `json:"kind"`
	Name       string   `json:"name"`
	Method     string   `json:"method,omitempty"`
	Running    bool     `json:"running"`
	Started    string   `json:"started"`
	Interfaces []string `json:"interfaces"`
}

func (b *backend) CaptureStatus() any {
	st := sourceStatus{Kind: b.method, Name: b.desc, Running: b.ctl != nil && b.ctl.Running(),
		Started: b.started.UTC().Format(time.RFC3339Nano), Interfaces: source.Names(b.interfaces())}
	out := captureStatus{Sources: []sourceStatus{st}}
	if live := b.live.Load(); live != nil {
		out.Interfaces = live.Status()
	}
	return out
}

// CaptureDrops reports live capture's frame accounting for /metrics.
func (b *backend) CaptureDrops() []httpd.InterfaceDrops {
	live := b.live.Load()
	if live == nil {
		return nil
	}
	var out []httpd.InterfaceDrops
	for _, st := range live.Status() {
		out = append(out, httpd.InterfaceDrops{Interface: st.Interface, Method: string(st.Method), Received: st.Received, Drops: st.Drops()})
	}
	return out
}

// ClearBuffer empties the RAM capture buffer through the pipeline, the
// buffer's only writer.
func (b *backend) ClearBuffer() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return b.pipe.ResetBuffer(ctx)
}

func (b *backend) Interfaces() []httpd.Iface {
	ifaces := b.interfaces()
	out := make([]httpd.Iface, len(ifaces))
	for i, ifc := range ifaces {
		link := decode.LinkEthernet
		if i < maxLinkIfaces {
			if v := b.links[i].Load(); v != 0 {
				link = decode.LinkType(v - 1)
			}
		}
		out[i] = httpd.Iface{Name: ifc.Name, Link: link}
	}
	return out
}
