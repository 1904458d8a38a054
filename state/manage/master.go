package manage

import (
	"context"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
	"github.com/ptpwatch/ptpwatch/state"
	"github.com/ptpwatch/ptpwatch/xdp/source"
)

// MasterSettings is the [master_check] section: ptpwatch measures each
// master itself with Delay_Req messages of its own.
type MasterSettings struct {
	// Interval between Delay_Req to one master, seconds, 0-65535; 0 turns
	// the check off. Default 0 here (the audit server's default is 2);
	// never faster than the master's logMinDelayReqInterval allows.
	Interval int `toml:"interval" json:"interval"`
	// Mode is unicast (to the master's address, as a hybrid follower
	// does; the default) or multicast.
	Mode string `toml:"mode" json:"mode"`
	// Masters limits the check to these portIdentities; empty checks every
	// master seen sending Sync.
	Masters []string `toml:"masters" json:"masters"`
	// LocalPTP4L is the management socket of a ptp4l on the appliance
	// itself, read (GETs only) for the local clock's status beside
	// adjtimex; default /var/run/ptp4l (ptp4l's own default); empty: do
	// not ask. LocalPTP4LDomain is its domainNumber, 0-255.
	LocalPTP4L       string `toml:"local_ptp4l" json:"localPtp4l"`
	LocalPTP4LDomain int    `toml:"local_ptp4l_domain" json:"localPtp4lDomain"`
}

// DefaultMasterSettings returns the defaults of [master_check].
func DefaultMasterSettings() MasterSettings {
	return MasterSettings{Interval: 0, Mode: "unicast", Masters: []string{}, LocalPTP4L: "/var/run/ptp4l"}
}

// Validate checks the settings and returns a *SettingError (with the key
// prefixed by master_check.) for the first bad one.
func (s *MasterSettings) Validate() error {
	if s.Interval < 0 || s.Interval > 65535 {
		return &SettingError{Key: "interval", Value: strconv.Itoa(s.Interval), Allowed: "0-65535", Section: "master_check"}
	}
	if s.Mode != "unicast" && s.Mode != "multicast" {
		return &SettingError{Key: "mode", Value: strconv.Quote(s.Mode), Allowed: "unicast, multicast", Section: "master_check"}
	}
	if s.LocalPTP4LDomain < 0 || s.LocalPTP4LDomain > 255 {
		return &SettingError{Key: "local_ptp4l_domain", Value: strconv.Itoa(s.LocalPTP4LDomain), Allowed: "0-255", Section: "master_check"}
	}
	for _, m := range s.Masters {
		if _, err := ParsePortIdentity(m); err != nil {
			return &SettingError{Key: "masters", Value: strconv.Quote(m), Allowed: `portIdentities "xxxxxx.xxxx.xxxxxx-N"`, Section: "master_check"}
		}
	}
	return nil
}

// masterKey is one master port in one scope.
type masterKey struct {
	Scope
	Port decode.PortIdentity
}

// masterState is what the reading goroutine keeps of one master. Only that
// goroutine touches it.
type masterState struct {
	key      masterKey
	addr     netip.Addr
	mac      [6]byte
	logMinDR int8 // logMinDelayReqInterval from its Delay_Resp (logMessageInterval)
	utcOff   int64
	toTAI    bool // its timestamps are TAI (PTP timescale with a valid UTC offset)
	// The last Sync waiting for its Follow_Up, and the last complete pair.
	syncSeq     uint16
	syncT2      int64
	syncCorr    int64
	syncPending bool
	t1, t2      int64 // ns; t1 corrected, t2 our capture time
	rxSource    source.TimestampSource
	havePair    bool
}

// masterTarget is what the sending goroutine needs of one master.
type masterTarget struct {
	key      masterKey
	addr     netip.Addr
	mac      [6]byte
	logMinDR int8
}

// MasterSample is one measurement of a master against the appliance's
// clock: t1 the master's Sync send time (corrected), t2 our capture of it,
// t3 our Delay_Req send time, t4 the master's receipt of it.
type MasterSample struct {
	At       int64  `json:"at"`
	T1       int64  `json:"t1"`
	T2       int64  `json:"t2"`
	T3       int64  `json:"t3"`
	T4       int64  `json:"t4"`
	OffsetNs int64  `json:"offsetNs"` // master minus appliance: ((t4-t3)-(t2-t1))/2
	DelayNs  int64  `json:"meanPathDelayNs"`
	RX       string `json:"rxTimestamps"` // where t2 came from: hardware, xdp-tai, software
	TX       string `json:"txTimestamps"` // where t3 came from
}

type masterSeries struct {
	key     masterKey
	samples []MasterSample // oldest first, at most maxSamples
	sent    int
}

// maxSamples keeps 24 hours at one sample per second.
const maxSamples = 86400

type dreq struct {
	key    masterKey
	t3     int64
	sentAt time.Time
}

// MasterChecker sends ptpwatch's own Delay_Req to masters and measures
// their offset from the appliance's clock and the mean path delay
// (IEEE 1588-2019 §11.3). It never steers any clock.
//
// Observe runs on the capture's reading goroutine for every frame and owns
// the per-master timing state: Sync and Follow_Up cost a map lookup,
// without lock or allocation. The sending goroutine (Run) reads the list
// of masters through an atomic pointer, replaced only when a master
// appears. Our own Delay_Resp (a few per second) and the API take mu.
type MasterChecker struct {
	env      Env
	self     decode.PortIdentity
	settings atomic.Pointer[MasterSettings]

	masters map[masterKey]*masterState // reading goroutine only
	targets atomic.Pointer[[]masterTarget]

	sample atomic.Pointer[SampleHook]

	mu       sync.Mutex
	seq      uint16
	pending  map[uint16]dreq
	series   map[masterKey]*masterSeries
	last     map[masterKey]time.Time
	buf      []byte
	errors   int
	lastErr  string
	localMu  sync.Mutex // the local clock's status, read at most every 5 s
	local    LocalClock
	localAt  time.Time
	localFor string
	store    Persister // nil until persist
	dirty    bool      // samples taken since the last save
}

// NewMasterChecker returns a checker sending from self.
func NewMasterChecker(s MasterSettings, self decode.PortIdentity, env Env) (*MasterChecker, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if env.Now == nil {
		env.Now = func() int64 { return time.Now().UnixNano() }
	}
	c := &MasterChecker{env: env, self: self, masters: map[masterKey]*masterState{}, pending: map[uint16]dreq{},
		series: map[masterKey]*masterSeries{}, last: map[masterKey]time.Time{}}
	c.settings.Store(&s)
	return c, nil
}

// SetSettings validates and applies s.
func (c *MasterChecker) SetSettings(s MasterSettings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	c.settings.Store(&s)
	return nil
}

// Settings returns the current settings.
func (c *MasterChecker) Settings() MasterSettings { return *c.settings.Load() }

// Observe takes one captured frame (fr) decoded as d on segment seg. It
// does nothing while the check is off. It does not allocate except when a
// master is first seen.
func (c *MasterChecker) Observe(fr *source.Frame, d *decode.Frame, seg uint16) {
	if d.Result != decode.ResultOK || d.Version != 2 || c.settings.Load().Interval == 0 {
		return
	}
	m := &d.PTP
	mt := m.MessageType & 0x0f
	if mt != decode.Sync && mt != decode.FollowUp && mt != decode.DelayResp && mt != decode.Announce {
		return
	}
	key := masterKey{Scope: Scope{Segment: seg, Domain: m.Domain, Transport: d.Transport, VLAN: NoVLAN}, Port: m.Source}
	if d.NumVLANs > 0 {
		key.VLAN = d.VLANs[d.NumVLANs-1].VID
	}
	ms := c.masters[key]
	if ms == nil {
		if mt != decode.Sync {
			return
		}
		ms = &masterState{key: key, logMinDR: 0}
		c.masters[key] = ms
	}
	if (d.SrcIP.IsValid() && ms.addr != d.SrcIP) || ms.mac != d.Src {
		// New, or moved: tell the sending goroutine (rare).
		if d.SrcIP.IsValid() {
			ms.addr = d.SrcIP
		}
		ms.mac = d.Src
		c.publish()
	}
	switch mt {
	case decode.Announce:
		ms.utcOff = int64(m.Announce.CurrentUTCOffset)
		ms.toTAI = m.Flags&decode.FlagPTPTimescale != 0 && m.Flags&decode.FlagCurrentUTCOffsetValid != 0 &&
			fr.TSSource != source.TimestampXDPTAI
	case decode.Sync:
		corr := int64(m.Correction) >> 16
		if m.Flags&decode.FlagTwoStep != 0 {
			ms.syncSeq, ms.syncT2, ms.syncCorr, ms.syncPending = m.Sequence, fr.Timestamp, corr, true
			ms.rxSource = fr.TSSource
			return
		}
		ms.t1, ms.t2, ms.rxSource, ms.havePair = m.Timestamp.UnixNano()+corr, fr.Timestamp, fr.TSSource, true
	case decode.FollowUp:
		if ms.syncPending && ms.syncSeq == m.Sequence {
			ms.t1 = m.Timestamp.UnixNano() + ms.syncCorr + int64(m.Correction)>>16
			ms.t2, ms.havePair, ms.syncPending = ms.syncT2, true, false
		}
	case decode.DelayResp:
		if ms.logMinDR != m.LogMessageInterval && m.LogMessageInterval != 0x7f {
			ms.logMinDR = m.LogMessageInterval
			c.publish()
		}
		if m.RequestingPort == c.self {
			c.delayResp(ms, m)
		}
	}
}

// publish replaces the sending goroutine's list of masters (rare: when a
// master appears or changes its logMinDelayReqInterval).
func (c *MasterChecker) publish() {
	l := make([]masterTarget, 0, len(c.masters))
	for k, ms := range c.masters {
		l = append(l, masterTarget{key: k, addr: ms.addr, mac: ms.mac, logMinDR: ms.logMinDR})
	}
	c.targets.Store(&l)
}

func (c *MasterChecker) delayResp(ms *masterState, m *decode.Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.pending[m.Sequence]
	if !ok || r.key != ms.key || !ms.havePair {
		return
	}
	delete(c.pending, m.Sequence)
	t4 := m.Timestamp.UnixNano() - int64(m.Correction)>>16
	t1 := ms.t1
	if ms.toTAI {
		// PTP time is TAI; the capture clock is UTC.
		t1 -= ms.utcOff * 1e9
		t4 -= ms.utcOff * 1e9
	}
	fwd, back := ms.t2-t1, t4-r.t3
	s := MasterSample{At: c.env.Now(), T1: t1, T2: ms.t2, T3: r.t3, T4: t4, OffsetNs: (back - fwd) / 2, DelayNs: (fwd + back) / 2,
		RX: ms.rxSource.String(), TX: "capture send timestamp"}
	ser := c.series[ms.key]
	if ser == nil {
		ser = &masterSeries{key: ms.key}
		c.series[ms.key] = ser
	}
	if len(ser.samples) >= maxSamples {
		ser.samples = append(ser.samples[:0], ser.samples[1:]...)
	}
	ser.samples = append(ser.samples, s)
	c.dirty = true
	if h := c.sample.Load(); h != nil {
		sk := state.ScopeKey{Segment: ms.key.Segment, Version: 2, Domain: ms.key.Domain, Transport: ms.key.Transport, VLAN: ms.key.VLAN}
		(*h)(sk, ms.key.Port, s.At, s.OffsetNs, s.DelayNs)
	}
}

// SampleHook receives each master check sample: the master's port in its
// scope, when it was measured (ns since 1970), its offset from the
// appliance's clock and the mean path delay, in ns. The fault detectors
// (state/fault's Engine.MasterSample) judge steps and jumps from them.
type SampleHook = func(scope state.ScopeKey, port decode.PortIdentity, at, offsetNs, delayNs int64)

// SetSampleHook installs h (nil removes it); it is called with the
// checker's lock held and must not call back.
func (c *MasterChecker) SetSampleHook(h SampleHook) {
	if h == nil {
		c.sample.Store(nil)
		return
	}
	c.sample.Store(&h)
}

// Run sends Delay_Req to every master each Interval (and never more often
// than a master's logMinDelayReqInterval allows) until ctx ends.
func (c *MasterChecker) Run(ctx context.Context) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	saved := time.Now()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		if time.Since(saved) >= time.Minute {
			saved = time.Now()
			if err := c.save(); err != nil {
				c.mu.Lock()
				c.errors++
				c.lastErr = "store: " + err.Error()
				c.mu.Unlock()
			}
		}
		s := c.settings.Load()
		if s.Interval == 0 {
			continue
		}
		tl := c.targets.Load()
		if tl == nil {
			continue
		}
		for _, mt := range *tl {
			if !wanted(s, mt.key.Port) {
				continue
			}
			every := time.Duration(s.Interval) * time.Second
			if min := time.Duration(math.Pow(2, float64(mt.logMinDR)) * float64(time.Second)); min > every {
				every = min
			}
			c.mu.Lock()
			due := time.Since(c.last[mt.key]) >= every
			c.mu.Unlock()
			if due {
				c.send(mt, s)
			}
		}
	}
}

func wanted(s *MasterSettings, p decode.PortIdentity) bool {
	if len(s.Masters) == 0 {
		return true
	}
	for _, m := range s.Masters {
		if q, err := ParsePortIdentity(m); err == nil && q == p {
			return true
		}
	}
	return false
}

func (c *MasterChecker) send(mt masterTarget, s *MasterSettings) {
	var path Path
	found := false
	if c.env.Paths != nil {
		path, found = pathFor(c.env.Paths(), mt.key.Segment)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last[mt.key] = time.Now()
	if !found {
		return
	}
	c.seq++
	m := decode.Message{Header: decode.Header{MessageType: decode.DelayReq, Version: 2, Domain: mt.key.Domain, Source: c.self,
		Sequence: c.seq, Control: 1, LogMessageInterval: 0x7f}}
	e := decode.Encapsulation{Transport: mt.key.Transport, SrcMAC: path.MAC}
	if s.Mode == "unicast" {
		m.Flags |= decode.FlagUnicast
		e.DstMAC = mt.mac
		if mt.key.Transport != decode.TransportL2 {
			e.DstIP = mt.addr
		}
	}
	switch mt.key.Transport {
	case decode.TransportUDPv4:
		e.SrcIP = path.IPv4
	case decode.TransportUDPv6:
		e.SrcIP = path.IPv6
	}
	var tags [1]decode.VLANTag
	if mt.key.VLAN != NoVLAN {
		tags[0].VID = mt.key.VLAN
		e.VLANs = tags[:]
	}
	m.Timestamp = decode.Timestamp{Seconds: uint64(c.env.Now() / 1e9), Nanoseconds: uint32(c.env.Now() % 1e9)}
	c.buf = e.AppendFrame(c.buf[:0], &m)
	t3, err := c.env.Sender.Send(path.Interface, c.buf)
	if err != nil {
		c.errors++
		c.lastErr = err.Error()
		return
	}
	ser := c.series[mt.key]
	if ser == nil {
		ser = &masterSeries{key: mt.key}
		c.series[mt.key] = ser
	}
	ser.sent++
	for seq, r := range c.pending { // forget requests never answered
		if time.Since(r.sentAt) > 10*time.Second {
			delete(c.pending, seq)
		}
	}
	c.pending[c.seq] = dreq{key: mt.key, t3: t3, sentAt: time.Now()}
}

// WindowStats are the IEEE 1588-2019 Annex J performance figures of one
// quantity over a window.
type WindowStats struct {
	N      int     `json:"samples"`
	Min    int64   `json:"minNs"`
	Max    int64   `json:"maxNs"`
	Mean   float64 `json:"meanNs"`
	StdDev float64 `json:"stdDevNs"`
}

func stats(v []int64) WindowStats {
	if len(v) == 0 {
		return WindowStats{}
	}
	w := WindowStats{N: len(v), Min: v[0], Max: v[0]}
	var sum float64
	for _, x := range v {
		w.Min, w.Max = min(w.Min, x), max(w.Max, x)
		sum += float64(x)
	}
	w.Mean = sum / float64(len(v))
	var sq float64
	for _, x := range v {
		d := float64(x) - w.Mean
		sq += d * d
	}
	if len(v) > 1 {
		w.StdDev = math.Sqrt(sq / float64(len(v)-1))
	}
	return w
}

// TauValue is a stability figure at one observation interval.
type TauValue struct {
	TauS  float64 `json:"tauSeconds"`
	Value float64 `json:"ns"`
}

// mtie returns the maximum time interval error of x (sampled every tau0
// seconds) for windows of 1, 2, 4, ... samples.
func mtie(x []int64, tau0 float64) []TauValue {
	var out []TauValue
	for n := 1; n < len(x); n *= 2 {
		worst := int64(0)
		for i := 0; i+n < len(x); i++ {
			lo, hi := x[i], x[i]
			for _, v := range x[i : i+n+1] {
				lo, hi = min(lo, v), max(hi, v)
			}
			worst = max(worst, hi-lo)
		}
		out = append(out, TauValue{TauS: float64(n) * tau0, Value: float64(worst)})
		if n >= 1024 {
			break
		}
	}
	return out
}

// tdev returns the time deviation of x (sampled every tau0 seconds) for
// tau = n*tau0, n = 1, 2, 4, ... while 3n samples fit (ITU-T G.810).
func tdev(x []int64, tau0 float64) []TauValue {
	var out []TauValue
	N := len(x)
	ps := make([]float64, N+1)
	for i, v := range x {
		ps[i+1] = ps[i] + float64(v)
	}
	sum := func(a, b int) float64 { return ps[b] - ps[a] } // x[a:b]
	for n := 1; 3*n <= N; n *= 2 {
		var acc float64
		m := N - 3*n + 1
		for j := 0; j < m; j++ {
			// sum over i=j..j+n-1 of x[i+2n] - 2x[i+n] + x[i]
			s := sum(j+2*n, j+3*n) - 2*sum(j+n, j+2*n) + sum(j, j+n)
			acc += s * s
		}
		out = append(out, TauValue{TauS: float64(n) * tau0, Value: math.Sqrt(acc / (6 * float64(n*n) * float64(m)))})
	}
	return out
}

// MasterView is one checked master as GET /api/v1/management/masters
// shows it.
type MasterView struct {
	PortIdentity string         `json:"portIdentity"`
	Segment      uint16         `json:"segment"`
	Domain       uint8          `json:"domainNumber"`
	Transport    string         `json:"transport"`
	Sent         int            `json:"delayReqSent"`
	Last         *MasterSample  `json:"last,omitempty"`
	Offset15m    WindowStats    `json:"offset15m"`
	Delay15m     WindowStats    `json:"meanPathDelay15m"`
	Offset24h    WindowStats    `json:"offset24h"`
	Delay24h     WindowStats    `json:"meanPathDelay24h"`
	MTIE         []TauValue     `json:"mtie"`
	TDEV         []TauValue     `json:"tdev"`
	Series       []MasterSample `json:"series"` // the last 15 minutes
	// PerSecond is Series on a one-second grid (see perSecond).
	PerSecond  []SecondPoint `json:"perSecond"`
	Source     string        `json:"source"`
	RelativeTo string        `json:"relativeTo"`
}

// MastersView is GET /api/v1/management/masters.
type MastersView struct {
	Settings   MasterSettings `json:"settings"`
	LocalClock LocalClock     `json:"localClock"`
	Errors     int            `json:"sendErrors"`
	LastError  string         `json:"lastError,omitempty"`
	Masters    []MasterView   `json:"masters"`
}

// Masters returns every checked master with its figures.
func (c *MasterChecker) Masters() MastersView {
	s := c.Settings()
	v := MastersView{Settings: s, LocalClock: c.localClock(&s), Masters: []MasterView{}}
	now := c.env.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	v.Errors, v.LastError = c.errors, c.lastErr
	tau0 := float64(max(s.Interval, 1))
	for k, ser := range c.series {
		mv := MasterView{PortIdentity: k.Port.String(), Segment: k.Segment, Domain: k.Domain, Transport: k.Transport.String(),
			Sent: ser.sent, Source: "measured", RelativeTo: "the appliance's clock (see localClock)", Series: []MasterSample{}}
		var off15, del15, off24, del24 []int64
		for _, x := range ser.samples {
			if now-x.At <= 24*3600e9 {
				off24, del24 = append(off24, x.OffsetNs), append(del24, x.DelayNs)
			}
			if now-x.At <= 15*60e9 {
				off15, del15 = append(off15, x.OffsetNs), append(del15, x.DelayNs)
				mv.Series = append(mv.Series, x)
			}
		}
		if n := len(ser.samples); n > 0 {
			l := ser.samples[n-1]
			mv.Last = &l
		}
		mv.Offset15m, mv.Delay15m, mv.Offset24h, mv.Delay24h = stats(off15), stats(del15), stats(off24), stats(del24)
		mv.MTIE, mv.TDEV = mtie(off24, tau0), tdev(off24, tau0)
		mv.PerSecond = perSecond(mv.Series)
		v.Masters = append(v.Masters, mv)
	}
	sort.Slice(v.Masters, func(i, j int) bool { return v.Masters[i].PortIdentity < v.Masters[j].PortIdentity })
	return v
}

// localClock reads the appliance clock's status (adjtimex) with a local
// ptp4l's and chrony's view of it, at most every few seconds.
func (c *MasterChecker) localClock(s *MasterSettings) LocalClock {
	c.localMu.Lock()
	defer c.localMu.Unlock()
	if c.localAt.IsZero() || time.Since(c.localAt) > 5*time.Second || c.localFor != s.LocalPTP4L {
		lc := ReadLocalClock()
		lc.PTP4L = ReadLocalPTP4L(s.LocalPTP4L, uint8(s.LocalPTP4LDomain), 500*time.Millisecond)
		lc.Chrony = ReadLocalChrony(time.Second)
		c.local, c.localAt, c.localFor = lc, time.Now(), s.LocalPTP4L
	}
	return c.local
}

// SetSampleHook installs h on m's master checker; a nil Manager (no live
// capture) has nothing to measure and ignores it.
func (m *Manager) SetSampleHook(h SampleHook) {
	if m != nil && m.Master != nil {
		m.Master.SetSampleHook(h)
	}
}

// Apply makes s and ms the settings of m and its master check, as a
// configuration reload does; both must have been validated (an invalid
// one is left out). A nil Manager does nothing.
func (m *Manager) Apply(s Settings, ms MasterSettings) {
	if m == nil {
		return
	}
	_ = m.SetSettings(s)
	if m.Master != nil {
		_ = m.Master.SetSettings(ms)
	}
}

// SecondPoint is a master's offset and mean path delay at one whole second
// (T, seconds since the Unix epoch).
type SecondPoint struct {
	T        int64 `json:"t"`
	OffsetNs int64 `json:"offsetNs"`
	DelayNs  int64 `json:"meanPathDelayNs"`
	// Measured says a sample fell in this second (the mean of those that
	// did); otherwise the value is interpolated between the samples on
	// either side.
	Measured bool `json:"measured"`
}

// perSecond puts samples (oldest first) on a one-second grid from the
// first sample's second to the last's: each second holds the mean of its
// samples, or the linear interpolation between its neighbours when the
// check interval left it empty. At most 900 points (the last 15 minutes).
func perSecond(samples []MasterSample) []SecondPoint {
	out := []SecondPoint{}
	if len(samples) == 0 {
		return out
	}
	first, last := samples[0].At/1e9, samples[len(samples)-1].At/1e9
	if last-first >= 900 {
		first = last - 899
	}
	// The measured seconds, in order.
	var meas []SecondPoint
	for i := 0; i < len(samples); {
		sec := samples[i].At / 1e9
		var off, del, n int64
		for ; i < len(samples) && samples[i].At/1e9 == sec; i++ {
			off, del, n = off+samples[i].OffsetNs, del+samples[i].DelayNs, n+1
		}
		if sec >= first {
			meas = append(meas, SecondPoint{T: sec, OffsetNs: off / n, DelayNs: del / n, Measured: true})
		}
	}
	j := 0
	for sec := first; sec <= last && len(meas) > 0; sec++ {
		for j+1 < len(meas) && meas[j+1].T <= sec {
			j++
		}
		a := meas[j]
		switch {
		case a.T == sec:
			out = append(out, a)
		case a.T > sec || j+1 == len(meas):
			continue // before the first measured second in the window
		default:
			b := meas[j+1]
			f := float64(sec-a.T) / float64(b.T-a.T)
			out = append(out, SecondPoint{T: sec, OffsetNs: a.OffsetNs + int64(f*float64(b.OffsetNs-a.OffsetNs)),
				DelayNs: a.DelayNs + int64(f*float64(b.DelayNs-a.DelayNs))})
		}
	}
	return out
}
