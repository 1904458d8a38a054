package manage

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/ptpwatch/ptpwatch/decode"
)

// Persister keeps management data across restarts: *store.Store is one
// (family Managed). PutManaged replaces every record of a kind at once.
type Persister interface {
	PutManaged(kind string, recs map[string][]byte) error
	Managed(kind string) (map[string][]byte, error)
}

// The record kinds kept in a Persister.
const (
	kindNodes   = "node"   // one record per node, named by its key
	kindSweeps  = "sweep"  // "state": the sweep counter, dropped nodes, the last summary
	kindMasters = "master" // one record per checked master
)

// keptSamples is how many of a master's newest samples are stored: 15
// minutes at one a second, enough for the 15-minute figures and the chart
// after a restart.
const keptSamples = 900

type idRecord struct {
	Port       uint16 `json:"port"`
	ID         uint16 `json:"id"`
	Status     Status `json:"status"`
	ErrID      uint16 `json:"errorId,omitempty"`
	ErrText    []byte `json:"errorText,omitempty"`
	Sweep      uint64 `json:"sweep"`
	AskedAt    int64  `json:"askedAt,omitempty"`
	AnsweredAt int64  `json:"answeredAt,omitempty"`
	Tries      int    `json:"tries,omitempty"`
	From       string `json:"from,omitempty"`
	Data       []byte `json:"data,omitempty"`
}

type nodeRecord struct {
	Segment     uint16     `json:"segment"`
	Domain      uint8      `json:"domain"`
	Transport   uint8      `json:"transport"`
	VLAN        uint16     `json:"vlan"`
	Subdomain   string     `json:"subdomain,omitempty"`
	Clock       string     `json:"clock"`
	Addr        string     `json:"addr,omitempty"`
	MAC         [6]byte    `json:"mac"`
	NumberPorts uint16     `json:"numberPorts"`
	Port        uint16     `json:"port"`
	FirstSeen   int64      `json:"firstSeen"`
	LastAnswer  int64      `json:"lastAnswer"`
	LastSet     int64      `json:"lastSet,omitempty"`
	Sweep       uint64     `json:"sweep"`
	Status      string     `json:"status"`
	IDs         []idRecord `json:"ids"`
}

type sweepRecord struct {
	Sweeps  uint64   `json:"sweeps"`
	Dropped int      `json:"dropped"`
	Last    *Summary `json:"last,omitempty"`
}

type masterRecord struct {
	Segment   uint16         `json:"segment"`
	Domain    uint8          `json:"domain"`
	Transport uint8          `json:"transport"`
	VLAN      uint16         `json:"vlan"`
	Port      string         `json:"port"`
	Sent      int            `json:"sent"`
	Samples   []MasterSample `json:"samples"`
}

func (k NodeKey) recordName() string {
	return fmt.Sprintf("%d/%d/%d/%d/%s/%s", k.Segment, k.Domain, k.Transport, k.VLAN, SubdomainName(k.Subdomain), k.Clock)
}

// Persist restores what st holds (nodes with their answers and the
// capability matrix, the sweep counter and last summary, the master
// check's newest samples) and keeps st up to date from now on: after
// every sweep, and every minute while the master check measures. Nodes a
// sweep found before Persist was called are kept as found. A nil Manager
// does nothing. An error (records that could not be read are skipped) is
// logged to log, when given, as well as returned.
func (m *Manager) Persist(st Persister, log *slog.Logger) error {
	if m == nil || st == nil {
		return nil
	}
	err := m.restore(st)
	if err != nil && log != nil {
		log.Warn("management data from the store", "err", err)
	}
	return err
}

func (m *Manager) restore(st Persister) error {
	nodes, err := st.Managed(kindNodes)
	if err != nil {
		return fmt.Errorf("manage: read the stored nodes: %w", err)
	}
	sweeps, err := st.Managed(kindSweeps)
	if err != nil {
		return fmt.Errorf("manage: read the stored sweep state: %w", err)
	}
	var bad int
	m.mu.Lock()
	for _, v := range nodes {
		var r nodeRecord
		if json.Unmarshal(v, &r) != nil {
			bad++
			continue
		}
		n, err := r.node()
		if err != nil {
			bad++
			continue
		}
		if _, ok := m.nodes[n.key]; ok || len(m.nodes) >= m.settings.NodeLimit {
			continue
		}
		m.nodes[n.key] = n
		if n.addr.IsValid() {
			m.byAddr[addrKey{n.key.Segment, n.addr}] = n.key.Clock
		}
	}
	if v, ok := sweeps["state"]; ok {
		var r sweepRecord
		if json.Unmarshal(v, &r) == nil {
			m.sweeps = max(m.sweeps, r.Sweeps)
			m.dropped += r.Dropped
			if m.last == nil {
				m.last = r.Last
			}
		} else {
			bad++
		}
	}
	m.store = st
	m.mu.Unlock()
	if m.Master != nil {
		if err := m.Master.persist(st); err != nil {
			return err
		}
	}
	if bad > 0 {
		return fmt.Errorf("manage: %d stored management records could not be read and were skipped", bad)
	}
	return nil
}

func (r *nodeRecord) node() (*node, error) {
	clock, err := ParseClockIdentity(r.Clock)
	if err != nil {
		return nil, err
	}
	n := &node{key: NodeKey{Scope: Scope{Segment: r.Segment, Domain: r.Domain, Transport: decode.Transport(r.Transport), VLAN: r.VLAN}, Clock: clock},
		mac: r.MAC, numberPorts: r.NumberPorts, port: r.Port, firstSeen: r.FirstSeen, lastAnswer: r.LastAnswer, lastSet: r.LastSet,
		sweep: r.Sweep, status: r.Status, ids: map[idKey]*idStat{}}
	copy(n.key.Subdomain[:], r.Subdomain)
	if r.Addr != "" {
		if n.addr, err = netip.ParseAddr(r.Addr); err != nil {
			return nil, err
		}
	}
	for _, x := range r.IDs {
		st := &idStat{status: x.Status, errID: x.ErrID, errText: x.ErrText, sweep: x.Sweep, askedAt: x.AskedAt,
			answeredAt: x.AnsweredAt, tries: x.Tries, data: x.Data}
		if x.From != "" {
			if st.from, err = ParsePortIdentity(x.From); err != nil {
				return nil, err
			}
		}
		n.ids[idKey{Port: x.Port, ID: decode.ManagementID(x.ID)}] = st
	}
	return n, nil
}

func (n *node) record() nodeRecord {
	r := nodeRecord{Segment: n.key.Segment, Domain: n.key.Domain, Transport: uint8(n.key.Transport), VLAN: n.key.VLAN,
		Subdomain: SubdomainName(n.key.Subdomain), Clock: n.key.Clock.String(), MAC: n.mac,
		NumberPorts: n.numberPorts, Port: n.port, FirstSeen: n.firstSeen, LastAnswer: n.lastAnswer, LastSet: n.lastSet,
		Sweep: n.sweep, Status: n.status, IDs: make([]idRecord, 0, len(n.ids))}
	if n.addr.IsValid() {
		r.Addr = n.addr.String()
	}
	for k, st := range n.ids {
		x := idRecord{Port: k.Port, ID: uint16(k.ID), Status: st.status, ErrID: st.errID, ErrText: st.errText, Sweep: st.sweep,
			AskedAt: st.askedAt, AnsweredAt: st.answeredAt, Tries: st.tries, Data: st.data}
		if st.status != Ignored {
			x.From = st.from.String()
		}
		r.IDs = append(r.IDs, x)
	}
	return r
}

// saveLocked encodes the nodes and sweep state for the store; the caller
// holds m.mu and writes the result with save after unlocking.
func (m *Manager) saveLocked() (nodes, sweeps map[string][]byte) {
	if m.store == nil {
		return nil, nil
	}
	nodes = make(map[string][]byte, len(m.nodes))
	for k, n := range m.nodes {
		if v, err := json.Marshal(n.record()); err == nil {
			nodes[k.recordName()] = v
		}
	}
	v, _ := json.Marshal(sweepRecord{Sweeps: m.sweeps, Dropped: m.dropped, Last: m.last})
	return nodes, map[string][]byte{"state": v}
}

// save writes what saveLocked encoded; a failure is kept for Status.
func (m *Manager) save(nodes, sweeps map[string][]byte) {
	m.mu.Lock()
	st := m.store
	m.mu.Unlock()
	if st == nil || nodes == nil {
		return
	}
	err := st.PutManaged(kindNodes, nodes)
	if err == nil {
		err = st.PutManaged(kindSweeps, sweeps)
	}
	m.mu.Lock()
	m.storeErr = ""
	if err != nil {
		m.storeErr = err.Error()
	}
	m.mu.Unlock()
}

// persist restores the stored samples of each master and keeps st for
// Run's periodic saves.
func (c *MasterChecker) persist(st Persister) error {
	recs, err := st.Managed(kindMasters)
	if err != nil {
		return fmt.Errorf("manage: read the stored master check: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range recs {
		var r masterRecord
		if json.Unmarshal(v, &r) != nil {
			continue
		}
		p, err := ParsePortIdentity(r.Port)
		if err != nil {
			continue
		}
		k := masterKey{Scope: Scope{Segment: r.Segment, Domain: r.Domain, Transport: decode.Transport(r.Transport), VLAN: r.VLAN}, Port: p}
		if c.series[k] != nil {
			continue
		}
		c.series[k] = &masterSeries{key: k, samples: r.Samples, sent: r.Sent}
	}
	c.store = st
	return nil
}

// save stores every master's newest samples, when anything was measured
// since the last save.
func (c *MasterChecker) save() error {
	c.mu.Lock()
	st := c.store
	if st == nil || !c.dirty {
		c.mu.Unlock()
		return nil
	}
	recs := make(map[string][]byte, len(c.series))
	for k, ser := range c.series {
		s := ser.samples
		if len(s) > keptSamples {
			s = s[len(s)-keptSamples:]
		}
		r := masterRecord{Segment: k.Segment, Domain: k.Domain, Transport: uint8(k.Transport), VLAN: k.VLAN, Port: k.Port.String(),
			Sent: ser.sent, Samples: s}
		if v, err := json.Marshal(r); err == nil {
			recs[fmt.Sprintf("%d/%d/%d/%d/%s", k.Segment, k.Domain, k.Transport, k.VLAN, k.Port)] = v
		}
	}
	c.dirty = false
	c.mu.Unlock()
	return st.PutManaged(kindMasters, recs)
}

// SaveNow writes the nodes, the sweep bookkeeping and the master check's
// newest samples to the store given to Persist, at once: the appliance
// calls it when it stops, before the store closes, so that the samples of
// the last minute are kept too. A nil Manager, or one without a store,
// does nothing.
func (m *Manager) SaveNow() {
	if m == nil {
		return
	}
	m.mu.Lock()
	nodes, sweeps := m.saveLocked()
	m.mu.Unlock()
	m.save(nodes, sweeps)
	if m.Master != nil {
		if err := m.Master.save(); err != nil {
			m.mu.Lock()
			m.storeErr = err.Error()
			m.mu.Unlock()
		}
	}
}

// Keep is Persist for the appliance: it restores from st (logging what
// could not be read) and returns SaveNow, for the appliance to call when
// it stops, before st closes. A nil Manager keeps nothing.
func (m *Manager) Keep(st Persister, log *slog.Logger) func() {
	if m == nil {
		return func() {}
	}
	m.Persist(st, log)
	return m.SaveNow
}
