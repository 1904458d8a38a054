package httpd

import (
	"bufio"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/decode/dump"
	"github.com/ptpwatch/ptpwatch/decode/pcapng"
	"github.com/ptpwatch/ptpwatch/ring"
)

const defaultPacketLimit, maxPacketLimit = 100, 10000

// packetFilter is a parsed packet query.
type packetFilter struct {
	q         ring.Query
	hasSrc    bool
	srcIP     netip.Addr
	srcMAC    [6]byte
	srcIsMAC  bool
	needsPTP  bool // a type filter: non-PTP frames carry type 0 too
	limit     int  // 0: no limit
	limitSet  bool
	scopeName string // for error messages
}

// parsePacketFilter reads the packet query parameters. defLimit and
// maxLimit apply to limit (0 max means unbounded).
func (s *Server) parsePacketFilter(c *call, t *tree, defLimit, maxLimit int) (*packetFilter, error) {
	f := &packetFilter{limit: defLimit}
	if c.has("scope") {
		v := c.str("scope")
		id, err := strconv.ParseUint(v, 10, 32)
		if err != nil || t.scopeByID[uint32(id)] == nil {
			found := false
			for i := range t.snap.Scopes {
				if t.snap.Scopes[i].Name == v {
					id, found = uint64(t.snap.Scopes[i].ID), true
					break
				}
			}
			if !found && err != nil {
				return nil, badParam("scope", v, "want a scope id (see /api/v1/scopes) or a scope name")
			}
		}
		f.q.Scope, f.q.HasScope = uint32(id), true
	}
	if c.has("type") {
		v := c.str("type")
		mt, ok := parseMessageType(v)
		if !ok {
			return nil, badParam("type", v, "want a PTP message type name (Sync, Delay_Req, Pdelay_Req, Pdelay_Resp, Follow_Up, Delay_Resp, Pdelay_Resp_Follow_Up, Announce, Signaling, Management) or number 0-15")
		}
		f.q.MessageType, f.q.HasMessageType, f.needsPTP = uint8(mt), true, true
	}
	if c.has("instance") {
		v := c.str("instance")
		id, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, badParam("instance", v, "want an instance id (see /api/v1/instances)")
		}
		f.q.Instance, f.q.HasInstance = uint32(id), true
	}
	if c.has("src") {
		v := c.str("src")
		f.hasSrc = true
		if ip, err := netip.ParseAddr(v); err == nil {
			f.srcIP = ip.Unmap()
		} else if mac, err := net.ParseMAC(v); err == nil && len(mac) == 6 {
			f.srcMAC, f.srcIsMAC = [6]byte(mac), true
		} else {
			return nil, badParam("src", v, "want an IPv4 or IPv6 address or a MAC address (00:11:22:33:44:55)")
		}
	}
	from, to, err := c.timeRange("from", "to")
	if err != nil {
		return nil, err
	}
	// ring.Query takes 0 as an open end; a bound of exactly 0 becomes 1 ns
	// away, which holds no frame anyway.
	if from != math.MinInt64 {
		f.q.From = nonZero(from, 1)
	}
	if to != math.MaxInt64 {
		f.q.To = nonZero(to, -1)
	}
	if v, ok, err := c.uintParam("after", math.MaxUint64); err != nil {
		return nil, err
	} else if ok {
		f.q.AfterFrame = v
	}
	lim := uint64(math.MaxInt32)
	if maxLimit > 0 {
		lim = uint64(maxLimit)
	}
	if v, ok, err := c.uintParam("limit", lim); err != nil {
		return nil, err
	} else if ok {
		if v == 0 {
			return nil, badParam("limit", c.str("limit"), "want 1 or more")
		}
		f.limit, f.limitSet = int(v), true
	}
	return f, nil
}

func nonZero(v, alt int64) int64 {
	if v == 0 {
		return alt
	}
	return v
}

// parseMessageType accepts a messageType name (case-insensitive, with or
// without underscores) or its number.
func parseMessageType(v string) (decode.MessageType, bool) {
	if n, err := strconv.ParseUint(v, 0, 8); err == nil {
		return decode.MessageType(n), n <= 15
	}
	norm := func(s string) string {
		return strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(s, "_", ""), "-", ""))
	}
	for t := decode.MessageType(0); t < 16; t++ {
		name := t.String()
		if !strings.HasPrefix(name, "Reserved") && norm(name) == norm(v) {
			return t, true
		}
	}
	return 0, false
}

// accept applies the filters Query cannot: PTP only, source address. d is
// a scratch decoder.
func (f *packetFilter) accept(r *ring.Record, link decode.LinkType, d *decode.Frame) bool {
	if f.needsPTP && r.Version == 0 {
		return false
	}
	if !f.hasSrc {
		return true
	}
	d.Decode(link, r.Data)
	if f.srcIsMAC {
		return d.Src == f.srcMAC
	}
	return d.SrcIP.IsValid() && d.SrcIP.Unmap() == f.srcIP
}

// held is a copy of one buffered frame.
type held struct {
	ring.RecordMeta
	frame uint64
	data  []byte
}

// collect scans the buffer for up to n frames (0: all) matching f after
// frame after, copying them into arena, and returns them with whether more may
// follow. Scans run in pages so that none holds the buffer's readers count
// for long while slow work (encoding, network writes) waits.
func (s *Server) collect(b *ring.Buffer, f *packetFilter, after uint64, n int, links linkTable, arena []byte, out []held) ([]held, []byte, bool) {
	var d decode.Frame
	q := f.q
	q.AfterFrame = after
	q.Limit = 0
	more := false
	b.Scan(q, func(r *ring.Record) bool {
		if !f.accept(r, links.link(r.IfIndex), &d) {
			return true
		}
		if n > 0 && len(out) == n {
			more = true
			return false
		}
		start := len(arena)
		arena = append(arena, r.Data...)
		out = append(out, held{r.RecordMeta, r.Frame, arena[start:len(arena):len(arena)]})
		return true
	})
	return out, arena, more
}

// linkTable maps interface indexes to link types and names.
type linkTable []Iface

func (s *Server) links() linkTable {
	if l, ok := s.b.(InterfaceLister); ok {
		return l.Interfaces()
	}
	return nil
}

func (l linkTable) link(i uint16) decode.LinkType {
	if int(i) < len(l) && l[i].Link != 0 {
		return l[i].Link
	}
	return decode.LinkEthernet
}

func (l linkTable) name(i uint16) string {
	if int(i) < len(l) && l[i].Name != "" {
		return l[i].Name
	}
	return "if" + strconv.Itoa(int(i))
}

// packetItem is one entry of a packet list.
type packetItem struct {
	Frame          uint64 `json:"frame"`
	Time           int64  `json:"time"`
	TimeText       string `json:"timeText"`
	TimestampSrc   string `json:"timestampSource"`
	Length         uint32 `json:"length"`
	CapturedLength int    `json:"capturedLength"`
	Interface      uint16 `json:"interface"`
	InterfaceName  string `json:"interfaceName"`
	ScopeID        uint32 `json:"scopeId,omitempty"`
	Scope          string `json:"scope,omitempty"`
	InstanceID     uint32 `json:"instanceId,omitempty"`
	VersionPTP     uint8  `json:"versionPTP,omitempty"`
	MessageType    string `json:"messageType,omitempty"`
	Summary        string `json:"summary"`
}

func (s *Server) buffer() (*ring.Buffer, error) {
	b := s.b.Buffer()
	if b == nil {
		return nil, errorf(fasthttp.StatusServiceUnavailable, "no RAM capture buffer is configured")
	}
	return b, nil
}

func (s *Server) packets(c *call) error {
	b, err := s.buffer()
	if err != nil {
		return err
	}
	t := s.currentTree()
	f, err := s.parsePacketFilter(c, t, defaultPacketLimit, maxPacketLimit)
	if err != nil {
		return err
	}
	links := s.links()
	var frames []held
	var more bool
	if c.has("tail") {
		n, _, err := c.uintParam("tail", maxPacketLimit)
		if err != nil {
			return err
		}
		if n == 0 || f.limitSet || f.q.AfterFrame != 0 {
			return badParam("tail", c.str("tail"), fmt.Sprintf("want 1 to %d, and not together with after or limit", maxPacketLimit))
		}
		frames = s.tail(b, f, int(n), links)
	} else {
		frames, _, more = s.collect(b, f, f.q.AfterFrame, f.limit, links, make([]byte, 0, 64*f.limit), make([]held, 0, f.limit))
	}
	// Encoded by hand: a busy Packets page asks for hundreds of frames a
	// second per browser, and this is five times cheaper than building
	// packetItems for encoding/json.
	out := make([]byte, 0, 64+400*len(frames))
	out = append(out, `{"packets":[`...)
	var d decode.Frame
	var scratch []byte
	for i := range frames {
		if i > 0 {
			out = append(out, ',')
		}
		out, scratch = s.appendItem(out, scratch, &frames[i], t, links, &d)
	}
	out = append(out, ']')
	if more && len(frames) > 0 {
		out = append(out, `,"next":`...)
		out = strconv.AppendUint(out, frames[len(frames)-1].frame, 10)
	}
	out = append(out, "}\n"...)
	c.ctx.SetContentType("application/json")
	c.ctx.Response.SetBodyRaw(out)
	return nil
}

// maxTailWindow bounds how many frames back tail looks.
const maxTailWindow = 1 << 22

// tail returns the newest n frames matching f, oldest first. The buffer
// is read forwards only, so it reads windows ending at the newest frame,
// four times longer each time, until one holds n matches or the whole
// buffer (or maxTailWindow frames) has been read.
func (s *Server) tail(b *ring.Buffer, f *packetFilter, n int, links linkTable) []held {
	last := b.Last()
	if last == 0 {
		return nil
	}
	first := b.First()
	for w := uint64(4 * n); ; w *= 4 {
		after := uint64(0)
		if last > w {
			after = last - w
		}
		frames, _, _ := s.collect(b, f, after, 0, links, nil, nil)
		if len(frames) >= n || after < first || w >= maxTailWindow {
			return frames[max(0, len(frames)-n):]
		}
	}
}

// appendItem appends the JSON of one packet list entry, exactly as
// encoding/json encodes item's packetItem; scratch is reused.
func (s *Server) appendItem(b, scratch []byte, h *held, t *tree, links linkTable, d *decode.Frame) ([]byte, []byte) {
	link := links.link(h.IfIndex)
	d.Decode(link, h.data)
	b = append(b, `{"frame":`...)
	b = strconv.AppendUint(b, h.frame, 10)
	b = append(b, `,"time":`...)
	b = strconv.AppendInt(b, h.Time, 10)
	b = append(b, `,"timeText":`...)
	scratch = time.Unix(0, h.Time).UTC().AppendFormat(scratch[:0], time.RFC3339Nano)
	b = dump.AppendJSONString(b, scratch)
	b = append(b, `,"timestampSource":`...)
	b = dump.AppendJSONString(b, h.Source.String())
	b = append(b, `,"length":`...)
	b = strconv.AppendUint(b, uint64(max(h.OrigLen, uint32(len(h.data)))), 10)
	b = append(b, `,"capturedLength":`...)
	b = strconv.AppendInt(b, int64(len(h.data)), 10)
	b = append(b, `,"interface":`...)
	b = strconv.AppendUint(b, uint64(h.IfIndex), 10)
	b = append(b, `,"interfaceName":`...)
	b = dump.AppendJSONString(b, links.name(h.IfIndex))
	if h.Version != 0 {
		if h.Scope != 0 {
			b = append(b, `,"scopeId":`...)
			b = strconv.AppendUint(b, uint64(h.Scope), 10)
		}
		if sc := t.scopeByID[h.Scope]; sc != nil && sc.Name != "" {
			b = append(b, `,"scope":`...)
			b = dump.AppendJSONString(b, sc.Name)
		}
		if h.Instance != 0 {
			b = append(b, `,"instanceId":`...)
			b = strconv.AppendUint(b, uint64(h.Instance), 10)
		}
		b = append(b, `,"versionPTP":`...)
		b = strconv.AppendUint(b, uint64(h.Version), 10)
		b = append(b, `,"messageType":`...)
		b = dump.AppendJSONString(b, decode.MessageType(h.MessageType).String())
	}
	b = append(b, `,"summary":`...)
	scratch = appendSummary(scratch[:0], d)
	b = dump.AppendJSONString(b, scratch)
	return append(b, '}'), scratch
}

func (s *Server) item(h *held, t *tree, links linkTable, d *decode.Frame) packetItem {
	it := packetItem{Frame: h.frame, Time: h.Time, TimeText: time.Unix(0, h.Time).UTC().Format(time.RFC3339Nano),
		TimestampSrc: h.Source.String(), Length: max(h.OrigLen, uint32(len(h.data))), CapturedLength: len(h.data),
		Interface: h.IfIndex, InterfaceName: links.name(h.IfIndex)}
	link := links.link(h.IfIndex)
	d.Decode(link, h.data)
	it.Summary = summary(d)
	if h.Version != 0 {
		it.ScopeID, it.InstanceID, it.VersionPTP = h.Scope, h.Instance, h.Version
		it.MessageType = decode.MessageType(h.MessageType).String()
		if sc := t.scopeByID[h.Scope]; sc != nil {
			it.Scope = sc.Name
		}
	}
	return it
}

// summary is a one-line description of a decoded frame.
func summary(d *decode.Frame) string { return string(appendSummary(make([]byte, 0, 160), d)) }

// appendSummary appends the one-line description of a decoded frame.
func appendSummary(b []byte, d *decode.Frame) []byte {
	if d.Result != decode.ResultOK {
		b = append(b, d.Result.String()...)
		if d.Reason != decode.ReasonNone {
			b = append(b, " ("...)
			b = append(b, d.Reason.String()...)
			b = append(b, ')')
		}
		if d.Version == 0 {
			return appendAddrs(b, d)
		}
		b = append(b, ": "...)
	}
	switch d.Version {
	case 1:
		h := &d.V1.V1Header
		b = append(b, "PTPv1 "...)
		b = append(b, h.Control.String()...)
		b = append(b, " seq "...)
		b = strconv.AppendUint(b, uint64(h.SequenceID), 10)
		b = append(b, " subdomain "...)
		b = append(b, h.Subdomain()...)
		b = append(b, " from "...)
		b = appendMAC(b, h.SourceUUID)
		b = append(b, '-')
		b = strconv.AppendUint(b, uint64(h.SourcePortID), 10)
	case 2:
		m := &d.PTP
		b = append(b, "PTPv2 "...)
		b = append(b, m.MessageType.String()...)
		if m.MessageType == decode.Management {
			b = append(b, ' ')
			b = append(b, m.Management.Action.String()...)
			b = append(b, ' ')
			b = append(b, m.Management.ID.String()...)
		}
		b = append(b, " seq "...)
		b = strconv.AppendUint(b, uint64(m.Sequence), 10)
		b = append(b, " domain "...)
		b = strconv.AppendUint(b, uint64(m.Domain), 10)
		b = append(b, " from "...)
		b = m.Source.AppendTo(b)
		switch m.MessageType {
		case decode.DelayResp, decode.PdelayResp, decode.PdelayRespFollowUp:
			b = append(b, " for "...)
			b = m.RequestingPort.AppendTo(b)
		case decode.Announce:
			b = append(b, " gm "...)
			b = m.Announce.GrandmasterIdentity.AppendTo(b)
			b = append(b, " steps "...)
			b = strconv.AppendUint(b, uint64(m.Announce.StepsRemoved), 10)
		}
	}
	b = append(b, " via "...)
	b = append(b, d.Transport.String()...)
	return appendAddrs(b, d)
}

func appendAddrs(b []byte, d *decode.Frame) []byte {
	switch {
	case d.SrcIP.IsValid():
		b = append(b, ' ')
		b = d.SrcIP.AppendTo(b)
		b = append(b, " → "...)
		b = d.DstIP.AppendTo(b)
	case d.Src != [6]byte{}:
		b = append(b, ' ')
		b = appendMAC(b, d.Src)
		b = append(b, " → "...)
		b = appendMAC(b, d.Dst)
	}
	if d.NumVLANs > 0 {
		b = append(b, " vlan"...)
		for i := 0; i < int(d.NumVLANs); i++ {
			b = append(b, ' ')
			b = strconv.AppendUint(b, uint64(d.VLANs[i].VID), 10)
		}
	}
	return b
}

// appendMAC appends a MAC address as net.HardwareAddr prints it.
func appendMAC(b []byte, mac [6]byte) []byte {
	const digits = "0123456789abcdef"
	for i, x := range mac {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, digits[x>>4], digits[x&0xf])
	}
	return b
}

type packetBody struct {
	packetItem
	LinkType string         `json:"linkType"`
	Fields   []decode.Field `json:"fields"`
	Hex      string         `json:"hex"`
	Base64   string         `json:"base64"`
}

func (s *Server) packet(c *call) error {
	b, err := s.buffer()
	if err != nil {
		return err
	}
	n, err := strconv.ParseUint(c.vars[0], 10, 64)
	if err != nil {
		return errorf(fasthttp.StatusNotFound, "unknown path segment %q: frame numbers are decimal integers", c.vars[0])
	}
	var r ring.Record
	if !b.Get(n, &r) {
		st := b.Stats()
		return errorf(fasthttp.StatusNotFound, "frame %d is not in the capture buffer (it holds frames %d to %d)", n, st.First, st.Last)
	}
	links := s.links()
	h := held{r.RecordMeta, r.Frame, r.Data}
	var d decode.Frame
	body := packetBody{packetItem: s.item(&h, s.currentTree(), links, &d)}
	link := links.link(r.IfIndex)
	body.LinkType = pcapng.LinkType(link).String()
	body.Fields = nonNil(decode.Fields(link, r.Data))
	body.Hex = hex.EncodeToString(r.Data)
	body.Base64 = base64.StdEncoding.EncodeToString(r.Data)
	return writeJSON(c.ctx, body)
}

// pcapngPage is how many frames the export copies per buffer scan.
const pcapngPage = 1024

func (s *Server) pcapng(c *call) error {
	b, err := s.buffer()
	if err != nil {
		return err
	}
	t := s.currentTree()
	f, err := s.parsePacketFilter(c, t, 0, 0)
	if err != nil {
		return err
	}
	links := s.links()
	// The last frame when the request came: later frames are not part of
	// this export, so it ends even while capture goes on.
	last := b.Last()
	name := "ptpwatch-" + time.Now().UTC().Format("20060102T150405Z") + ".pcapng"
	c.ctx.SetContentType("application/x-pcapng")
	c.ctx.Response.Header.Set(fasthttp.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	if c.ctx.IsHead() {
		return nil // headers only, without an empty chunked body after them
	}
	c.ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
		if err := s.writePcapng(w, b, f, last, links); err != nil {
			s.log.Warn("pcapng export ended early", "err", err)
		}
	})
	return nil
}

func (s *Server) writePcapng(w *bufio.Writer, b *ring.Buffer, f *packetFilter, last uint64, links linkTable) error {
	nw, err := pcapng.NewNgWriter(w, pcapng.NgWriterOptions{Comment: "exported from the ptpwatch RAM capture buffer"})
	if err != nil {
		return err
	}
	ifaces := map[uint16]int{}
	after, written := f.q.AfterFrame, 0
	var arena []byte
	var page []held
	for last != 0 {
		n := pcapngPage
		if f.limitSet {
			n = min(n, f.limit-written)
		}
		if n <= 0 {
			break
		}
		var more bool
		page, arena, more = s.collect(b, f, after, n, links, arena[:0], page[:0])
		for i := range page {
			h := &page[i]
			if h.frame > last {
				more = false
				break
			}
			idx, ok := ifaces[h.IfIndex]
			if !ok {
				idx, err = nw.AddInterface(pcapng.Interface{Name: links.name(h.IfIndex),
					LinkType: pcapng.LinkType(links.link(h.IfIndex)), Resolution: pcapng.Nanosecond})
				if err != nil {
					return err
				}
				ifaces[h.IfIndex] = idx
			}
			comment := ""
			if err := nw.WritePacket(idx, max(h.Time, 0), h.data, int(h.OrigLen), comment); err != nil {
				return err
			}
			written++
			after = h.frame
		}
		if !more || len(page) == 0 {
			break
		}
	}
	if len(ifaces) == 0 {
		// An empty capture still names an interface, so readers accept it.
		if _, err := nw.AddInterface(pcapng.Interface{Name: links.name(0), LinkType: pcapng.LinkType(links.link(0))}); err != nil {
			return err
		}
	}
	return nw.Flush()
}
