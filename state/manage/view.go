package manage

import (
	"net"
	"sort"
	"strconv"

	"github.com/ptpwatch/ptpwatch/decode"
)

// AnswerView is what one node said (or did not say) for one ID, with its
// source and age.
type AnswerView struct {
	ID string `json:"id"`
	// Port is the port asked, or "all" for a clock-scoped ID.
	Port       string  `json:"port"`
	Status     Status  `json:"status"`
	Error      string  `json:"error,omitempty"`
	ErrorText  string  `json:"errorText,omitempty"`
	From       string  `json:"from,omitempty"`
	Tries      int     `json:"tries,omitempty"`
	AskedAt    int64   `json:"askedAt,omitempty"`
	AnsweredAt int64   `json:"answeredAt,omitempty"`
	AgeMs      int64   `json:"ageMs,omitempty"`
	Source     string  `json:"source"`
	Fields     []Field `json:"fields,omitempty"`
	// Note flags values whose meaning the standard leaves to the
	// implementation (offsetFromMaster and meanPathDelay may be the last
	// measurement or what the servo applied).
	Note string `json:"note,omitempty"`
}

// NodeView is one node as the API shows it.
type NodeView struct {
	ClockIdentity string `json:"clockIdentity"`
	Segment       uint16 `json:"segment"`
	Domain        uint8  `json:"domainNumber"`
	// Version is 1 for a PTPv1 (IEEE 1588-2002) node, asked in Subdomain;
	// 2 otherwise.
	Version     int     `json:"versionPTP"`
	Subdomain   string  `json:"subdomain,omitempty"`
	Transport   string  `json:"transport"`
	VLAN        *uint16 `json:"vlan,omitempty"`
	Address     string  `json:"address,omitempty"`
	MAC         string  `json:"mac,omitempty"`
	NumberPorts uint16  `json:"numberPorts"`
	Status      string  `json:"status"`
	FirstSeen   int64   `json:"firstSeen"`
	LastAnswer  int64   `json:"lastAnswer"`
	// Answers, Ignores and Refuses list the IDs by answer state: the
	// node's row of the capability matrix.
	Answers []string     `json:"answers"`
	Ignores []string     `json:"ignores"`
	Refuses []string     `json:"refuses"`
	Data    []AnswerView `json:"data"`
	// Reported sums up what the node says about itself, from its newest
	// answers (source "management").
	Reported NodeReport `json:"reported"`
}

// NodeReport is what a node reports about itself, each value taken from
// its newest answer of the ID that carries it.
type NodeReport struct {
	Source string `json:"source"` // always "management"
	// PortStates are the states of its ports from PORT_DATA_SET, by port.
	PortStates map[string]string `json:"portStates,omitempty"`
	// OffsetFromMasterNs and MeanPathDelayNs come from CURRENT_DATA_SET
	// and are given only while a port is SLAVE, as the node reports them:
	// whether before or after its servo corrected is implementation-
	// dependent (OffsetNote says so).
	OffsetFromMasterNs *float64 `json:"offsetFromMasterNs,omitempty"`
	MeanPathDelayNs    *float64 `json:"meanPathDelayNs,omitempty"`
	OffsetNote         string   `json:"offsetNote,omitempty"`
	StepsRemoved       *uint16  `json:"stepsRemoved,omitempty"`
	Parent             string   `json:"parentPortIdentity,omitempty"`
	Grandmaster        string   `json:"grandmasterIdentity,omitempty"`
	TimeSource         string   `json:"timeSource,omitempty"`
	Description        string   `json:"productDescription,omitempty"`
	UserDescription    string   `json:"userDescription,omitempty"`
	// LastSetAt is when the node last reported a port MASTER or SLAVE:
	// PTP has no "time since last set", so, as the audit server does, a
	// node claiming either state is taken to have set its clock when it
	// answered. TimeSinceLastSetMs counts from then while the node
	// answers; it is null ("unknown") for a node offline or never seen
	// MASTER or SLAVE.
	LastSetAt          int64  `json:"lastSetAt,omitempty"`
	TimeSinceLastSetMs *int64 `json:"timeSinceLastSetMs"`
}

// StatusView is GET /api/v1/management.
type StatusView struct {
	Settings     Settings `json:"settings"`
	PortIdentity string   `json:"portIdentity"`
	// Interfaces are the capture interfaces requests leave from: `ptpwatch
	// query` looks here to tell whether this appliance owns an interface.
	Interfaces   []string `json:"interfaces"`
	Sweeping     bool     `json:"sweeping"`
	Paused       bool     `json:"paused"`
	Sweeps       uint64   `json:"sweeps"`
	LastSweep    *Summary `json:"lastSweep,omitempty"`
	Current      *Summary `json:"currentSweep,omitempty"`
	DroppedNodes int      `json:"droppedNodes"`
	// StoreError is the last failure to store the nodes, if the last
	// attempt failed.
	StoreError string     `json:"storeError,omitempty"`
	Nodes      []NodeView `json:"nodes"`
}

func (k idKey) portText() string {
	if k.Port == decode.AllPorts {
		return "all"
	}
	return strconv.Itoa(int(k.Port))
}

// Status returns the settings, the last sweep and every node with its
// answers.
func (m *Manager) Status() StatusView {
	ifaces := []string{}
	if m.env.Paths != nil {
		for _, p := range m.env.Paths() {
			ifaces = append(ifaces, p.Name)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v := StatusView{Settings: m.settings, PortIdentity: m.Self().String(), Interfaces: ifaces, Sweeping: m.sweeping, Paused: m.paused,
		Sweeps: m.sweeps, DroppedNodes: m.dropped, StoreError: m.storeErr, Nodes: []NodeView{}}
	if m.last != nil {
		l := *m.last
		v.LastSweep = &l
	}
	if m.cur != nil {
		c := *m.cur
		v.Current = &c
	}
	now := m.env.Now()
	for _, n := range m.nodes {
		nv := NodeView{ClockIdentity: n.key.Clock.String(), Segment: n.key.Segment, Domain: n.key.Domain,
			Transport: n.key.Transport.String(), NumberPorts: n.numberPorts, Status: n.status, FirstSeen: n.firstSeen,
			LastAnswer: n.lastAnswer, Answers: []string{}, Ignores: []string{}, Refuses: []string{}, Data: []AnswerView{}}
		if n.key.VLAN != NoVLAN {
			vl := n.key.VLAN
			nv.VLAN = &vl
		}
		nv.Version = 2
		if n.key.V1() {
			nv.Version, nv.Subdomain = 1, SubdomainName(n.key.Subdomain)
		}
		if nv.Status == "" {
			nv.Status = Offline
		}
		if n.addr.IsValid() {
			nv.Address = n.addr.String()
		}
		if n.mac != ([6]byte{}) {
			nv.MAC = net.HardwareAddr(n.mac[:]).String()
		}
		keys := make([]idKey, 0, len(n.ids))
		for k := range n.ids {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if keys[i].ID != keys[j].ID {
				return keys[i].ID < keys[j].ID
			}
			return keys[i].Port < keys[j].Port
		})
		seen := map[string]Status{}
		for _, k := range keys {
			st := n.ids[k]
			a := AnswerView{ID: n.idName(k.ID), Port: k.portText(), Status: st.status, Tries: st.tries, AskedAt: st.askedAt,
				AnsweredAt: st.answeredAt, Source: "management"}
			if st.status != Ignored {
				a.From = st.from.String()
				a.AgeMs = (now - st.answeredAt) / 1e6
			}
			switch {
			case st.status == Refused:
				a.Error, a.ErrorText = decode.ManagementErrorID(st.errID).String(), string(st.errText)
			case st.status == Answered && n.key.V1():
				a.Fields = DescribeV1(k.ID, st.data)
			case st.status == Answered:
				a.Fields, _ = Describe(k.ID, st.data)
			}
			if k.ID == decode.MgmtIDCurrentDataSet {
				a.Note = "offsetFromMaster and meanPathDelay as the node reports them: implementation-dependent"
			}
			nv.Data = append(nv.Data, a)
			// An ID counts as answered when any port answered it.
			if prev, ok := seen[a.ID]; !ok || prev != Answered {
				seen[a.ID] = st.status
			}
		}
		for _, k := range keys {
			name := n.idName(k.ID)
			st, ok := seen[name]
			if !ok {
				continue
			}
			delete(seen, name)
			switch st {
			case Answered:
				nv.Answers = append(nv.Answers, name)
			case Refused:
				nv.Refuses = append(nv.Refuses, name)
			default:
				nv.Ignores = append(nv.Ignores, name)
			}
		}
		nv.Reported = n.report(keys, now)
		v.Nodes = append(v.Nodes, nv)
	}
	sort.Slice(v.Nodes, func(i, j int) bool {
		a, b := v.Nodes[i], v.Nodes[j]
		if a.Segment != b.Segment {
			return a.Segment < b.Segment
		}
		if a.Domain != b.Domain {
			return a.Domain < b.Domain
		}
		if a.Transport != b.Transport {
			return a.Transport < b.Transport
		}
		return a.ClockIdentity < b.ClockIdentity
	})
	return v
}

// PlanScope is what the next sweep sends to one scope.
type PlanScope struct {
	Segment   uint16  `json:"segment"`
	Interface string  `json:"interface"`
	Domain    uint8   `json:"domainNumber"`
	Subdomain string  `json:"subdomain,omitempty"` // a PTPv1 scope's; domainNumber is then unused
	Transport string  `json:"transport"`
	VLAN      *uint16 `json:"vlan,omitempty"`
	Discovery int     `json:"discoveryFrames"`
	// KnownNodes are the nodes that answered the last sweep there;
	// FollowUps the frames asking them, before retries.
	KnownNodes int `json:"knownNodes"`
	FollowUps  int `json:"followUpFrames"`
}

// Plan is GET /api/v1/management/plan: what the next sweep would send,
// computed from the settings and the nodes known from the last sweep.
type Plan struct {
	Enabled  bool        `json:"enabled"`
	Interval int         `json:"intervalSeconds"`
	Scopes   []PlanScope `json:"scopes"`
	// Frames is the total before retries; MaxFrames with every request
	// retried Retries times.
	Frames    int            `json:"frames"`
	MaxFrames int            `json:"maxFrames"`
	PerDomain map[string]int `json:"framesPerDomain"`
	// PerSecond is the most frames any second can carry (the lower of the
	// per-segment rate times segments and the global rate).
	PerSecond int `json:"maxFramesPerSecond"`
	// Seconds is how long the sweep takes at least: the discovery wait
	// plus the frames at the allowed rate.
	Seconds float64  `json:"minSeconds"`
	Notes   []string `json:"notes,omitempty"`
}

// Plan computes what the next sweep would send.
func (m *Manager) Plan() Plan {
	s := m.Settings()
	scopes, paths, notes := m.Scopes(&s)
	ids := s.followIDs()
	p := Plan{Enabled: s.Enabled, Interval: s.Interval, Scopes: []PlanScope{}, PerDomain: map[string]int{}, Notes: notes}
	m.mu.Lock()
	segs := map[uint16]int{}
	for _, sc := range scopes {
		ps := PlanScope{Segment: sc.Segment, Domain: sc.Domain, Transport: sc.Transport.String(), Discovery: 1}
		dom := strconv.Itoa(int(sc.Domain))
		if sc.V1() {
			ps.Subdomain = SubdomainName(sc.Subdomain)
			dom = "v1:" + ps.Subdomain
		}
		if path, ok := pathFor(paths, sc.Segment); ok {
			ps.Interface = path.Name
		}
		if sc.VLAN != NoVLAN {
			v := sc.VLAN
			ps.VLAN = &v
		}
		for k, n := range m.nodes {
			if k.Scope == sc && n.status != Offline && n.status != "" {
				ps.KnownNodes++
				ps.FollowUps += len(followQueue(ids, n.numberPorts, n.key.V1()))
			}
		}
		frames := ps.Discovery + ps.FollowUps
		segs[sc.Segment] += frames
		p.Frames += frames
		p.MaxFrames += ps.Discovery + ps.FollowUps*(1+s.Retries)
		p.PerDomain[dom] += frames
		p.Scopes = append(p.Scopes, ps)
	}
	m.mu.Unlock()
	p.PerSecond = min(s.Rate*len(segs), s.GlobalRate)
	var slowest float64
	for _, n := range segs {
		slowest = max(slowest, float64(n)/float64(s.Rate))
	}
	p.Seconds = s.Collect().Seconds() + max(slowest, float64(p.Frames)/float64(s.GlobalRate))
	if len(scopes) == 0 {
		p.Notes = append(p.Notes, "nothing to ask: no capture interface, or no domain configured and none seen on the wire")
	}
	return p
}

// idName names id as n's PTP version does.
func (n *node) idName(id decode.ManagementID) string {
	if n.key.V1() {
		return v1Name(id)
	}
	return id.String()
}

// report sums up n's newest answers; keys are its answered IDs in order.
func (n *node) report(keys []idKey, now int64) NodeReport {
	if n.key.V1() {
		return n.reportV1(keys, now)
	}
	r := NodeReport{Source: "management", LastSetAt: n.lastSet}
	n.sinceSet(&r, now)
	slave := false
	var d decode.ManagementData
	for _, k := range keys {
		st := n.ids[k]
		if st.status != Answered || decode.DecodeManagementData(k.ID, st.data, &d) != nil {
			continue
		}
		switch k.ID {
		case decode.MgmtIDPortDataSet:
			if r.PortStates == nil {
				r.PortStates = map[string]string{}
			}
			r.PortStates[strconv.Itoa(int(d.PortDataSet.PortIdentity.Port))] = d.PortDataSet.PortState.String()
			slave = slave || d.PortDataSet.PortState == decode.PortStateSlave
		case decode.MgmtIDCurrentDataSet:
			off, del, steps := float64(d.CurrentDataSet.OffsetFromMaster)/65536, float64(d.CurrentDataSet.MeanPathDelay)/65536, d.CurrentDataSet.StepsRemoved
			r.OffsetFromMasterNs, r.MeanPathDelayNs, r.StepsRemoved = &off, &del, &steps
		case decode.MgmtIDParentDataSet:
			r.Parent, r.Grandmaster = d.ParentDataSet.ParentPortIdentity.String(), d.ParentDataSet.GrandmasterIdentity.String()
		case decode.MgmtIDTimePropertiesDataSet:
			r.TimeSource = d.TimePropertiesDataSet.TimeSource.String()
		case decode.MgmtIDClockDescription:
			r.Description = d.ClockDescription.ProductDescription.String()
		case decode.MgmtIDUserDescription:
			r.UserDescription = d.UserDescription.UserDescription.String()
		}
	}
	if !slave {
		r.OffsetFromMasterNs, r.MeanPathDelayNs = nil, nil
	} else if r.OffsetFromMasterNs != nil {
		r.OffsetNote = "as the node reports them: whether before or after its servo's correction is implementation-dependent"
	}
	return r
}

func (n *node) sinceSet(r *NodeReport, now int64) {
	if n.lastSet != 0 && n.status != Offline && n.status != "" {
		ms := (now - n.lastSet) / 1e6
		r.TimeSinceLastSetMs = &ms
	}
}

// reportV1 is report for a PTPv1 node, from its 1588-2002 data sets.
func (n *node) reportV1(keys []idKey, now int64) NodeReport {
	r := NodeReport{Source: "management", LastSetAt: n.lastSet}
	n.sinceSet(&r, now)
	slave := false
	for _, k := range keys {
		st := n.ids[k]
		if st.status != Answered {
			continue
		}
		switch k.ID {
		case decode.MgmtIDPortDataSet:
			var d decode.V1PortDataSet
			if res, _ := d.Decode(st.data); res == decode.ResultOK {
				if r.PortStates == nil {
					r.PortStates = map[string]string{}
				}
				ps := v1State(d.PortState)
				r.PortStates[strconv.Itoa(int(d.ReturnedPortNumber))] = ps.String()
				slave = slave || ps == decode.PortStateSlave
			}
		case decode.MgmtIDCurrentDataSet:
			var d decode.V1CurrentDataSet
			if res, _ := d.Decode(st.data); res == decode.ResultOK {
				off, del, steps := float64(d.OffsetFromMaster.Duration()), float64(d.OneWayDelay.Duration()), d.StepsRemoved
				r.OffsetFromMasterNs, r.MeanPathDelayNs, r.StepsRemoved = &off, &del, &steps
			}
		case decode.MgmtIDParentDataSet:
			var d decode.V1ParentDataSet
			if res, _ := d.Decode(st.data); res == decode.ResultOK {
				r.Parent = decode.PortIdentity{Clock: v1Identity(d.ParentUUID), Port: d.ParentPortID}.String()
				r.Grandmaster = v1Identity(d.GrandmasterUUID).String()
				r.TimeSource = d.GrandmasterIdentifier.String()
			}
		}
	}
	if !slave {
		r.OffsetFromMasterNs, r.MeanPathDelayNs = nil, nil
	} else if r.OffsetFromMasterNs != nil {
		r.OffsetNote = "as the node reports them (1588-2002 offsetFromMaster and oneWayDelay): implementation-dependent"
	}
	return r
}
