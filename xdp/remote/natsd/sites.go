package natsd

import (
	"strings"
	"time"

	"github.com/ptpwatch/ptpwatch/xdp/remote"
)

// SiteView is one site of /api/v1/sites: a probe site this collector
// hears (role "remote") or this appliance's own forwarding (role "probe").
type SiteView struct {
	Role        string                 `json:"role"`
	Connected   bool                   `json:"connected"`
	LastSeen    string                 `json:"lastSeen,omitempty"`
	LagSeconds  float64                `json:"lagSeconds"`
	Frames      uint64                 `json:"framesForwarded"`
	Bytes       uint64                 `json:"bytesForwarded"`
	Queued      uint64                 `json:"queuedBatches"`
	QueuedBytes uint64                 `json:"queuedBytes"`
	Dropped     uint64                 `json:"droppedFrames"`
	CaptureDrop uint64                 `json:"probeCaptureDrops"`
	QueueDrop   uint64                 `json:"probeQueueDrops"`
	Interfaces  []InterfaceView        `json:"interfaces,omitempty"`
	Segment     *int                   `json:"segment,omitempty"`
	Evaluate    *bool                  `json:"evaluate,omitempty"`
	Replayed    uint64                 `json:"replayedBatches"`
	Collectors  []remote.ForwardStatus `json:"collectors,omitempty"`
	Refused     *remote.Refused        `json:"refused,omitempty"`
}

// InterfaceView is one interface a collector heard of a site, with the
// segment the probe gave it.
type InterfaceView struct {
	Name    string `json:"name"`
	Segment uint16 `json:"segment"`
}

// Sites reports the probe sites collector c hears and probe p's own
// forwarding, keyed by site name; either may be nil. A probe forwarding
// to several collectors shows the furthest any got and the worst lag.
func Sites(c *Collector, p *Probe) map[string]SiteView {
	out := map[string]SiteView{}
	if c != nil {
		ref := c.Refused()
		ifaces := map[string][]InterfaceView{}
		for _, i := range c.Interfaces() {
			if site, name, ok := strings.Cut(i.Name, "/"); ok {
				ifaces[site] = append(ifaces[site], InterfaceView{Name: name, Segment: i.Segment})
			}
		}
		for _, s := range c.Sites() {
			out[s.Site] = SiteView{Role: "remote", Connected: s.Connected, LastSeen: nsTime(s.LastSeen), LagSeconds: float64(s.LagNs) / 1e9,
				Frames: s.Frames, Bytes: s.Bytes, Dropped: s.Lost, CaptureDrop: s.CaptureDrop, QueueDrop: s.QueueDrop, Replayed: s.Replayed,
				Interfaces: ifaces[s.Site], Refused: &ref}
		}
	}
	if p != nil {
		st := p.Status()
		v := SiteView{Role: "probe", QueuedBytes: st.QueueBytes, CaptureDrop: st.CaptureDrop, Collectors: st.Collectors, Evaluate: &p.Evaluate}
		if p.Segment >= 0 {
			v.Segment = &p.Segment
		}
		var last int64
		for _, c := range st.Collectors {
			v.Connected = v.Connected || c.Connected
			v.Frames = max(v.Frames, c.Frames)
			v.Bytes = max(v.Bytes, c.Bytes)
			v.Queued = max(v.Queued, c.QueuedBatches)
			v.Dropped = max(v.Dropped, c.LostFrames)
			v.LagSeconds = max(v.LagSeconds, float64(c.LagNs)/1e9)
			last = max(last, c.LastAck)
		}
		v.LastSeen = nsTime(last)
		out[st.Site] = v
	}
	return out
}

func nsTime(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}
