package manage

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/xdp/afpacket"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// Exit codes of QueryCommand, as package main uses them.
const (
	queryOK      = 0
	queryError   = 1
	queryUsage   = 2
	queryNoReply = 1 // a command got no answer: a runtime failure, as package main counts them
)

// QueryUsage is the synopsis of `ptpwatch query`.
const QueryUsage = `ptpwatch query -i IFACE [-2|-4|-6] [-d DOMAIN | --subdomain NAME] [-b HOPS] [-t PORTIDENTITY] [--timeout D] [--json] [--allow-write] [--local | --api URL] 'GET PARENT_DATA_SET' ...`

// queryCmd is one parsed command: ACTION ID [data=HEX].
type queryCmd struct {
	action decode.ManagementAction
	id     decode.ManagementID
	data   []byte
}

func parseQueryCmd(text string, allowWrite bool) (queryCmd, error) {
	f := strings.Fields(text)
	if len(f) < 2 {
		return queryCmd{}, fmt.Errorf("command %q: want ACTION ID, such as 'GET PARENT_DATA_SET'", text)
	}
	var c queryCmd
	switch strings.ToUpper(f[0]) {
	case "GET":
		c.action = decode.ActionGet
	case "SET":
		c.action = decode.ActionSet
	case "CMD", "COMMAND":
		c.action = decode.ActionCommand
	default:
		return c, fmt.Errorf("command %q: action %q: want GET, SET or COMMAND", text, f[0])
	}
	id, ok := LookupID(f[1])
	if !ok {
		return c, fmt.Errorf("command %q: unknown management ID %q", text, f[1])
	}
	c.id = id
	if c.action != decode.ActionGet && !allowWrite {
		return c, fmt.Errorf("command %q: SET and COMMAND change a clock's configuration; give --allow-write to send them", text)
	}
	for _, arg := range f[2:] {
		v, ok := strings.CutPrefix(arg, "data=")
		if !ok || c.action == decode.ActionGet {
			return c, fmt.Errorf("command %q: unexpected %q (SET and COMMAND take data=HEX, the data field)", text, arg)
		}
		b, err := hex.DecodeString(v)
		if err != nil {
			return c, fmt.Errorf("command %q: data: %v", text, err)
		}
		c.data = b
	}
	if c.action != decode.ActionGet && c.data == nil {
		c.data = []byte{}
	}
	return c, nil
}

// packetSender sends through the query's packet socket.
type packetSender struct{ c *afpacket.Capture }

func (p packetSender) Send(_ int, frame []byte) (int64, error) { return p.c.Send(frame) }

// QueryCommand runs `ptpwatch query`, a pmc-like client: it sends each
// command as a management message from UDP port 320 (or over layer 2)
// through a packet socket on the interface, never binding 319 or 320, so
// it works beside a PTP daemon on the same host, and prints every answer
// that arrives within --timeout, in pmc's layout (or one JSON object per
// answer with --json). It exits 0 when every command got an answer, 3 when
// one got none.
func QueryCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("query", flag.ContinueOnError)
	fs.SetOutput(stderr)
	iface := fs.String("i", "", "interface to send from and listen on (required)")
	l2 := fs.Bool("2", false, "IEEE 802.3 (layer 2)")
	v4 := fs.Bool("4", false, "UDP over IPv4 (default)")
	v6 := fs.Bool("6", false, "UDP over IPv6")
	domain := fs.Uint("d", 0, "domainNumber")
	hops := fs.Uint("b", 1, "boundaryHops")
	target := fs.String("t", "", "targetPortIdentity, xxxxxx.xxxx.xxxxxx-N (default all clocks, all ports)")
	timeout := fs.Duration("timeout", time.Second, "how long to collect answers to each command")
	asJSON := fs.Bool("json", false, "print one JSON object per answer")
	allowWrite := fs.Bool("allow-write", false, "allow SET and COMMAND")
	self := fs.String("self", "", "source portIdentity (default derived from the interface's MAC, unlike any clock's)")
	scope := fs.Uint("ipv6-scope", 14, "scope of the IPv6 group ff0X::181: 2, 5, 8 or 14")
	ttl := fs.Uint("ttl", 1, "IPv4 TTL / IPv6 hop limit")
	vlan := fs.Int("vlan", -1, "VLAN ID to tag requests with")
	subdomain := fs.String("subdomain", "", "ask PTPv1 (IEEE 1588-2002) in this subdomain (such as _DFLT), over UDPv4, GET only")
	api := fs.String("api", "", "send through the running appliance at this URL (its capture interface -i), e.g. http://127.0.0.1:8319")
	user := fs.String("user", "", "with --api: user for basic authentication; the password comes from $PTPWATCH_PASSWORD ($PTPWATCH_TOKEN for a bearer token)")
	configFile := fs.String("config", "", "the appliance's configuration file: where to look for a running appliance owning -i ([http] listen, [storage] data_dir)")
	dataDir := fs.String("data", "", "the appliance's data directory: where to look for a running appliance owning -i (the API it recorded)")
	local := fs.Bool("local", false, "send from here even when a running appliance captures -i")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s\n", QueryUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return queryUsage
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "ptpwatch query: "+format+"\n", a...)
		return code
	}
	if *iface == "" && *api == "" {
		return fail(queryUsage, "-i IFACE is required")
	}
	n := 0
	transport := decode.TransportUDPv4
	for _, t := range []struct {
		on bool
		t  decode.Transport
	}{{*l2, decode.TransportL2}, {*v4, decode.TransportUDPv4}, {*v6, decode.TransportUDPv6}} {
		if t.on {
			n++
			transport = t.t
		}
	}
	if n > 1 {
		return fail(queryUsage, "give one of -2, -4, -6")
	}
	var sub [16]byte
	if *subdomain != "" {
		if len(*subdomain) > 16 || transport != decode.TransportUDPv4 {
			return fail(queryUsage, "--subdomain: a name of at most 16 octets, over UDPv4 (PTPv1 has no other transport here)")
		}
		copy(sub[:], *subdomain)
	}
	if *domain > 255 || *hops > 255 || *ttl < 1 || *ttl > 255 || *vlan > 4095 {
		return fail(queryUsage, "-d and -b take 0-255, --ttl 1-255, --vlan 0-4095")
	}
	switch *scope {
	case 2, 5, 8, 14:
	default:
		return fail(queryUsage, "--ipv6-scope %d: want 2, 5, 8 or 14", *scope)
	}
	tgt := decode.PortIdentity{Clock: decode.AllClocks, Port: decode.AllPorts}
	if *target != "" {
		var err error
		if tgt, err = ParsePortIdentity(*target); err != nil {
			return fail(queryUsage, "-t: %v", err)
		}
	}
	if fs.NArg() == 0 {
		return fail(queryUsage, "no command; try 'GET PARENT_DATA_SET'")
	}
	var cmds []queryCmd
	for _, a := range fs.Args() {
		c, err := parseQueryCmd(a, *allowWrite)
		if err != nil {
			return fail(queryUsage, "%v", err)
		}
		cmds = append(cmds, c)
	}
	if *api == "" && !*local {
		// An appliance capturing the interface over AF_XDP takes the
		// answers before a packet socket here sees them: find one and go
		// through its API ($PTPWATCH_API, --config, --data, the default
		// address are asked whether they capture -i).
		d, _ := findOwner(*iface, *configFile, *dataDir, *user)
		if d.err != "" {
			return fail(queryError, "%s", d.err)
		}
		if d.note != "" {
			fmt.Fprintf(stderr, "ptpwatch query: %s\n", d.note)
		}
		*api = d.api
	}
	if *api != "" {
		tname := map[decode.Transport]string{decode.TransportUDPv4: "udpv4", decode.TransportUDPv6: "udpv6", decode.TransportL2: "l2"}[transport]
		code := queryOK
		enc := json.NewEncoder(stdout)
		for i, c := range cmds {
			a, err := queryAPI(*api, *user, QueryRequest{Command: fs.Args()[i], Interface: *iface, Transport: tname, Domain: uint8(*domain),
				BoundaryHops: uint8(*hops), Target: *target, TimeoutMs: int(timeout.Milliseconds()), AllowWrite: *allowWrite, Subdomain: *subdomain})
			if err != nil {
				return fail(queryError, "%v", err)
			}
			if !*asJSON {
				fmt.Fprintf(stdout, "sending: %s %s\n", c.action, c.id)
			}
			if len(a.Replies) == 0 {
				code = queryNoReply
			}
			for _, r := range a.Replies {
				if *asJSON {
					enc.Encode(r)
				} else {
					printReply(stdout, r)
				}
			}
		}
		return code
	}
	path, err := InterfacePath(0, *iface, 0)
	if err != nil {
		return fail(queryError, "%s: %v", *iface, err)
	}
	conn, err := afpacket.Open(*iface, afpacket.Options{})
	if err != nil {
		return fail(queryError, "opening a packet socket on %s: %v", *iface, err)
	}
	defer conn.Close()
	s := Defaults()
	s.PortIdentity = *self
	if s.PortIdentity == "" {
		s.PortIdentity = SelfIdentity(path.MAC).String()
	}
	m, err := New(s, Env{Sender: packetSender{conn}})
	if err != nil {
		return fail(queryUsage, "%v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	readerDone := make(chan error, 1)
	go func() { readerDone <- readReplies(ctx, conn, m) }()

	enc := json.NewEncoder(stdout)
	code := queryOK
	for _, c := range cmds {
		req := Request{Domain: uint8(*domain), Transport: transport, VLAN: NoVLAN, Target: tgt, Action: c.action, ID: c.id,
			Data: c.data, BoundaryHops: uint8(*hops), HopLimit: uint8(*ttl), IPv6Scope: uint8(*scope), Subdomain: sub}
		if *vlan >= 0 {
			req.VLAN = uint16(*vlan)
		}
		var mu sync.Mutex
		var got []*Reply
		if !*asJSON {
			fmt.Fprintf(stdout, "sending: %s %s\n", c.action, c.id)
		}
		err := m.Query(ctx, path, req, *timeout, func(r *Reply) {
			mu.Lock()
			got = append(got, r)
			mu.Unlock()
		})
		if err != nil {
			return fail(queryError, "%v", err)
		}
		mu.Lock()
		replies := append([]*Reply(nil), got...)
		mu.Unlock()
		sort.SliceStable(replies, func(i, j int) bool { return replies[i].At < replies[j].At })
		if len(replies) == 0 {
			code = queryNoReply
		}
		for _, r := range replies {
			if *asJSON {
				if err := enc.Encode(r); err != nil {
					return fail(queryError, "%v", err)
				}
				continue
			}
			printReply(stdout, r)
		}
	}
	cancel()
	if err := <-readerDone; err != nil && !errors.Is(err, context.Canceled) {
		return fail(queryError, "reading %s: %v", *iface, err)
	}
	return code
}

// printReply prints an answer the way pmc does: a header line, then one
// field per line.
func printReply(w io.Writer, r *Reply) {
	kind := "MANAGEMENT"
	if r.Error != "" {
		kind = "MANAGEMENT_ERROR_STATUS"
	}
	fmt.Fprintf(w, "\t%s seq %d %s %s %s\n", r.Source, r.Sequence, r.Action, kind, r.IDName)
	if r.Error != "" {
		fmt.Fprintf(w, "\t\t%s\n", r.Error)
		if r.ErrorText != "" {
			fmt.Fprintf(w, "\t\t%s\n", r.ErrorText)
		}
		return
	}
	width := 0
	for _, f := range r.Fields {
		width = max(width, len(f.Name))
	}
	for _, f := range r.Fields {
		fmt.Fprintf(w, "\t\t%-*s %s\n", width, f.Name, f.Value)
	}
}

// readReplies hands every frame captured on conn to m until ctx ends.
func readReplies(ctx context.Context, conn *afpacket.Capture, m *Manager) error {
	var fr source.Frame
	var d decode.Frame
	for {
		if err := conn.Next(ctx, &fr); err != nil {
			return err
		}
		if d.Decode(fr.Link, fr.Data) == decode.ResultOK {
			m.HandleFrame(&d, 0, fr.Timestamp)
		}
	}
}

// QueryRequest is one pmc-like command for a running appliance
// (POST /api/v1/management/query), as `ptpwatch query --api` sends it.
type QueryRequest struct {
	Command      string `json:"command"`             // such as "GET PARENT_DATA_SET"
	Interface    string `json:"interface,omitempty"` // capture interface; empty: the first
	Transport    string `json:"transport,omitempty"` // udpv4 (default), udpv6, l2
	Domain       uint8  `json:"domain"`
	BoundaryHops uint8  `json:"boundaryHops"`
	Target       string `json:"target,omitempty"` // portIdentity; empty: all clocks, all ports
	TimeoutMs    int    `json:"timeoutMs,omitempty"`
	AllowWrite   bool   `json:"allowWrite,omitempty"`
	// Subdomain, when set, asks PTPv1 in that subdomain (GET only, UDPv4).
	Subdomain string `json:"subdomain,omitempty"`
}

// QueryAnswer is the answer to a QueryRequest.
type QueryAnswer struct {
	Replies []*Reply `json:"replies"`
}

// ErrBadQuery marks a QueryRequest that cannot be sent as given.
var ErrBadQuery = errors.New("manage: bad query")

// RunQuery sends one command from the appliance's capture interface and
// returns the answers that arrive within its timeout (default 1 s, at most
// 10 s).
func (m *Manager) RunQuery(ctx context.Context, q QueryRequest) (QueryAnswer, error) {
	c, err := parseQueryCmd(q.Command, q.AllowWrite)
	if err != nil {
		return QueryAnswer{}, fmt.Errorf("%w: %v", ErrBadQuery, err)
	}
	tr := decode.TransportUDPv4
	switch strings.ToLower(q.Transport) {
	case "", "udpv4":
	case "udpv6":
		tr = decode.TransportUDPv6
	case "l2":
		tr = decode.TransportL2
	default:
		return QueryAnswer{}, fmt.Errorf("%w: transport %q: want udpv4, udpv6 or l2", ErrBadQuery, q.Transport)
	}
	tgt := decode.PortIdentity{Clock: decode.AllClocks, Port: decode.AllPorts}
	if q.Target != "" {
		if tgt, err = ParsePortIdentity(q.Target); err != nil {
			return QueryAnswer{}, fmt.Errorf("%w: %v", ErrBadQuery, err)
		}
	}
	var sub [16]byte
	if q.Subdomain != "" {
		copy(sub[:], q.Subdomain)
		if len(q.Subdomain) > 16 || tr != decode.TransportUDPv4 {
			return QueryAnswer{}, fmt.Errorf("%w: subdomain %q: PTPv1 asks a name of at most 16 octets over UDPv4", ErrBadQuery, q.Subdomain)
		}
	}
	var path Path
	found := false
	if m.env.Paths != nil {
		for _, p := range m.env.Paths() {
			if q.Interface == "" || p.Name == q.Interface {
				path, found = p, true
				break
			}
		}
	}
	if !found {
		return QueryAnswer{}, fmt.Errorf("%w: no capture interface %q to send from", ErrBadQuery, q.Interface)
	}
	wait := time.Duration(q.TimeoutMs) * time.Millisecond
	if wait <= 0 {
		wait = time.Second
	}
	wait = min(wait, 10*time.Second)
	s := m.Settings()
	req := Request{Domain: q.Domain, Transport: tr, VLAN: NoVLAN, Target: tgt, Action: c.action, ID: c.id, Data: c.data,
		BoundaryHops: q.BoundaryHops, HopLimit: uint8(s.TTL), IPv6Scope: uint8(s.IPv6Scope), Subdomain: sub}
	var mu sync.Mutex
	a := QueryAnswer{Replies: []*Reply{}}
	err = m.Query(ctx, path, req, wait, func(r *Reply) { mu.Lock(); a.Replies = append(a.Replies, r); mu.Unlock() })
	mu.Lock()
	defer mu.Unlock()
	sort.SliceStable(a.Replies, func(i, j int) bool { return a.Replies[i].At < a.Replies[j].At })
	return a, err
}

// queryAPI sends the commands to a running appliance's API instead of a
// packet socket: the appliance owns the interface (with AF_XDP its
// answers never reach another socket). Credentials come from
// $PTPWATCH_TOKEN, or --user with $PTPWATCH_PASSWORD, as for the other
// subcommands.
func queryAPI(base, user string, q QueryRequest) (QueryAnswer, error) {
	body, _ := json.Marshal(q)
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(base, "/")+"/api/v1/management/query", bytes.NewReader(body))
	if err != nil {
		return QueryAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-PTPWatch", "1") // the appliance refuses writes an HTML form could send
	if tok := os.Getenv("PTPWATCH_TOKEN"); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	} else if user != "" {
		req.SetBasicAuth(user, os.Getenv("PTPWATCH_PASSWORD"))
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return QueryAnswer{}, fmt.Errorf("%w (is the appliance running at %s?)", err, base)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		json.Unmarshal(b, &e)
		return QueryAnswer{}, fmt.Errorf("%s: %s", resp.Status, e.Error)
	}
	var a QueryAnswer
	if err := json.Unmarshal(b, &a); err != nil {
		return a, fmt.Errorf("answer of %s: %v", base, err)
	}
	return a, nil
}
