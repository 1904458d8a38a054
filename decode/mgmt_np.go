package decode

import "encoding/binary"

// This file holds the data fields of linuxptp's implementation-specific
// management IDs (0xC000 and up), laid out as linuxptp's tlv.h and tlv.c
// (releases 3.x and 4.x) put them on the wire. linuxptp converts most
// members to network byte order, like the standard data sets; the
// exceptions are noted on each type and read as HostOrder says.

// MgmtScaledNs is linuxptp's ScaledNs (the 802.1AS ScaledNs of
// lastGmPhaseChange): a 96-bit signed count of 2^-16 nanoseconds, sent as
// 16 high bits, 64 middle bits and 16 fractional bits.
type MgmtScaledNs struct {
	NanosecondsMSB        uint16
	NanosecondsLSB        uint64
	FractionalNanoseconds uint16
}

// Nanoseconds returns the value in nanoseconds. The 96-bit value is
// rounded to float64.
func (s MgmtScaledNs) Nanoseconds() float64 {
	hi := float64(int16(s.NanosecondsMSB)) * 18446744073709551616.0 // 2^64
	return hi + float64(s.NanosecondsLSB) + float64(s.FractionalNanoseconds)/65536
}

func mgmtReadScaledNs(p []byte) MgmtScaledNs {
	return MgmtScaledNs{mgmtBE16(p), mgmtBE64(p[2:]), mgmtBE16(p[10:])}
}

func mgmtAppendScaledNs(b []byte, s MgmtScaledNs) []byte {
	b = binary.BigEndian.AppendUint16(b, s.NanosecondsMSB)
	b = binary.BigEndian.AppendUint64(b, s.NanosecondsLSB)
	return binary.BigEndian.AppendUint16(b, s.FractionalNanoseconds)
}

// MgmtTimeStatusNP is linuxptp's TIME_STATUS_NP (0xC000): the servo's view
// of the current master, plus the 802.1AS follow-up information it last
// received. All members are big-endian.
//
// Older linuxptp releases converted lastGmPhaseChange's 64-bit middle part
// from the wrong member (its 16 high bits), so from those versions
// LastGmPhaseChange.NanosecondsLSB is not meaningful.
type MgmtTimeStatusNP struct {
	MasterOffset               int64 // nanoseconds, not scaled
	IngressTime                int64 // nanoseconds since the PTP epoch, of the last Sync
	CumulativeScaledRateOffset int32 // (rateRatio - 1) * 2^41
	ScaledLastGmPhaseChange    int32
	GmTimeBaseIndicator        uint16
	LastGmPhaseChange          MgmtScaledNs
	GmPresent                  bool // sent as a 32-bit integer
	GmIdentity                 ClockIdentity
}

// RateRatio returns cumulativeScaledRateOffset as a rate ratio.
func (t *MgmtTimeStatusNP) RateRatio() float64 {
	return 1 + float64(t.CumulativeScaledRateOffset)/(1<<41)
}

// Decode decodes b into t.
func (t *MgmtTimeStatusNP) Decode(b []byte) error {
	*t = MgmtTimeStatusNP{}
	if err := mgmtNeed(b, 50); err != nil {
		return err
	}
	*t = MgmtTimeStatusNP{
		MasterOffset:               int64(mgmtBE64(b)),
		IngressTime:                int64(mgmtBE64(b[8:])),
		CumulativeScaledRateOffset: int32(mgmtBE32(b[16:])),
		ScaledLastGmPhaseChange:    int32(mgmtBE32(b[20:])),
		GmTimeBaseIndicator:        mgmtBE16(b[24:]),
		LastGmPhaseChange:          mgmtReadScaledNs(b[26:]),
		GmPresent:                  mgmtBE32(b[38:]) != 0,
		GmIdentity:                 ClockIdentity(b[42:50]),
	}
	return nil
}

// AppendTo appends t's data field.
func (t *MgmtTimeStatusNP) AppendTo(b []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(t.MasterOffset))
	b = binary.BigEndian.AppendUint64(b, uint64(t.IngressTime))
	b = binary.BigEndian.AppendUint32(b, uint32(t.CumulativeScaledRateOffset))
	b = binary.BigEndian.AppendUint32(b, uint32(t.ScaledLastGmPhaseChange))
	b = binary.BigEndian.AppendUint16(b, t.GmTimeBaseIndicator)
	b = mgmtAppendScaledNs(b, t.LastGmPhaseChange)
	b = binary.BigEndian.AppendUint32(b, uint32(mgmtB2U(t.GmPresent)))
	return append(b, t.GmIdentity[:]...)
}

// MgmtGrandmasterSettingsNP is linuxptp's GRANDMASTER_SETTINGS_NP (0xC001):
// what a grandmaster advertises (clockQuality, currentUtcOffset, the
// time properties flags and timeSource).
type MgmtGrandmasterSettingsNP struct {
	ClockQuality     ClockQuality
	CurrentUTCOffset int16
	TimeFlags        TimePropertiesFlags
	TimeSource       TimeSource
}

// Decode decodes b into g.
func (g *MgmtGrandmasterSettingsNP) Decode(b []byte) error {
	*g = MgmtGrandmasterSettingsNP{}
	if err := mgmtNeed(b, 8); err != nil {
		return err
	}
	*g = MgmtGrandmasterSettingsNP{mgmtReadClockQuality(b), int16(mgmtBE16(b[4:])), TimePropertiesFlags(b[6]), TimeSource(b[7])}
	return nil
}

// AppendTo appends g's data field.
func (g *MgmtGrandmasterSettingsNP) AppendTo(b []byte) []byte {
	b = mgmtAppendClockQuality(b, g.ClockQuality)
	b = binary.BigEndian.AppendUint16(b, uint16(g.CurrentUTCOffset))
	return append(b, uint8(g.TimeFlags), uint8(g.TimeSource))
}

// MgmtPortDataSetNP is linuxptp's PORT_DATA_SET_NP (0xC002): 802.1AS port
// members.
type MgmtPortDataSetNP struct {
	NeighborPropDelayThresh uint32 // nanoseconds
	AsCapable               bool   // sent as a 32-bit integer
}

// Decode decodes b into p.
func (p *MgmtPortDataSetNP) Decode(b []byte) error {
	*p = MgmtPortDataSetNP{}
	if err := mgmtNeed(b, 8); err != nil {
		return err
	}
	*p = MgmtPortDataSetNP{mgmtBE32(b), mgmtBE32(b[4:]) != 0}
	return nil
}

// AppendTo appends p's data field.
func (p *MgmtPortDataSetNP) AppendTo(b []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, p.NeighborPropDelayThresh)
	return binary.BigEndian.AppendUint32(b, uint32(mgmtB2U(p.AsCapable)))
}

// Events a SUBSCRIBE_EVENTS_NP bitmask selects: bit n of the mask is bit
// n%8 (least significant first) of octet n/8.
const (
	NotifyPortState     = 0
	NotifyTimeSync      = 1
	NotifyParentDataSet = 2
	NotifyCMLDS         = 3
)

// MgmtSubscribeEventsNP is linuxptp's SUBSCRIBE_EVENTS_NP (0xC003): how
// long a management client wants push notifications, and which.
type MgmtSubscribeEventsNP struct {
	Duration uint16 // seconds
	Bitmask  [64]byte
}

// Has reports whether event (NotifyPortState, ...) is selected.
func (s *MgmtSubscribeEventsNP) Has(event int) bool {
	return event >= 0 && event < 512 && s.Bitmask[event/8]&(1<<(event%8)) != 0
}

// Set selects event.
func (s *MgmtSubscribeEventsNP) Set(event int) {
	if event >= 0 && event < 512 {
		s.Bitmask[event/8] |= 1 << (event % 8)
	}
}

// Decode decodes b into s.
func (s *MgmtSubscribeEventsNP) Decode(b []byte) error {
	*s = MgmtSubscribeEventsNP{}
	if err := mgmtNeed(b, 66); err != nil {
		return err
	}
	s.Duration = mgmtBE16(b)
	s.Bitmask = [64]byte(b[2:66])
	return nil
}

// AppendTo appends s's data field.
func (s *MgmtSubscribeEventsNP) AppendTo(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, s.Duration)
	return append(b, s.Bitmask[:]...)
}

// LinuxTimestamping is PORT_PROPERTIES_NP's timestamping, linuxptp's enum
// timestamp_type (the time_stamping option).
type LinuxTimestamping uint8

// linuxptp timestamping modes.
const (
	TimestampingSoftware LinuxTimestamping = iota // SOFTWARE
	TimestampingHardware                          // HARDWARE
	TimestampingLegacyHW                          // LEGACY_HW
	TimestampingOneStep                           // ONESTEP
	TimestampingP2P1Step                          // P2P1STEP
)

// String returns linuxptp's name, such as "HARDWARE", or UNKNOWN(n).
func (t LinuxTimestamping) String() string {
	return enumName(t.name(), "LinuxTimestamping(", "UNKNOWN(")
}

// MgmtPortPropertiesNP is linuxptp's PORT_PROPERTIES_NP (0xC004): a port's
// identity, state, timestamping mode and network interface name.
type MgmtPortPropertiesNP struct {
	PortIdentity PortIdentity
	PortState    PortState
	Timestamping LinuxTimestamping
	Interface    PTPText // such as "eth0"
}

// Decode decodes b into p. It does not allocate.
func (p *MgmtPortPropertiesNP) Decode(b []byte) error {
	*p = MgmtPortPropertiesNP{}
	if err := mgmtNeed(b, 13); err != nil {
		return err
	}
	p.PortIdentity = mgmtReadPortIdentity(b)
	p.PortState = PortState(b[10])
	p.Timestamping = LinuxTimestamping(b[11])
	var err error
	p.Interface, _, err = mgmtReadPTPText(b, 12)
	return err
}

// AppendTo appends p's data field.
func (p *MgmtPortPropertiesNP) AppendTo(b []byte) []byte {
	start := len(b)
	b = appendPortIdentity(b, p.PortIdentity)
	b = append(b, uint8(p.PortState), uint8(p.Timestamping))
	return mgmtPadEven(mgmtAppendPTPText(b, p.Interface), start)
}

// MgmtPortStatsNP is linuxptp's PORT_STATS_NP (0xC005): messages received
// and sent per messageType.
//
// Unlike the rest of PTP, linuxptp sends these 64-bit counters in host
// byte order (older releases) or explicitly little-endian (4.x), not in
// network order; see HostOrder. Only portIdentity is big-endian.
type MgmtPortStatsNP struct {
	PortIdentity PortIdentity
	RxMsgType    [16]uint64 // indexed by MessageType
	TxMsgType    [16]uint64
	// Order is the byte order the counters were read in (never
	// HostOrderAuto after Decode) and are written in by AppendTo
	// (HostOrderAuto writes little-endian).
	Order HostOrder
}

// Decode decodes b into p, choosing the counters' byte order with
// HostOrderAuto.
func (p *MgmtPortStatsNP) Decode(b []byte) error { return p.DecodeOrder(b, HostOrderAuto) }

// DecodeOrder decodes b into p reading the counters in order o.
func (p *MgmtPortStatsNP) DecodeOrder(b []byte, o HostOrder) error {
	if len(b) < 266 {
		*p = MgmtPortStatsNP{}
		return ErrMgmtShort
	}
	p.PortIdentity = mgmtReadPortIdentity(b)
	c := b[10:266]
	o = mgmtResolveHostOrder(c, 32, false, o)
	p.Order = o
	mgmtReadHostU64s(p.RxMsgType[:], c[:128], o)
	mgmtReadHostU64s(p.TxMsgType[:], c[128:], o)
	return nil
}

// AppendTo appends p's data field.
func (p *MgmtPortStatsNP) AppendTo(b []byte) []byte {
	b = appendPortIdentity(b, p.PortIdentity)
	for _, v := range p.RxMsgType {
		b = mgmtAppendHostU64(b, v, p.Order)
	}
	for _, v := range p.TxMsgType {
		b = mgmtAppendHostU64(b, v, p.Order)
	}
	return b
}

// MgmtSynchronizationUncertainNP is linuxptp's SYNCHRONIZATION_UNCERTAIN_NP
// (0xC006): what a grandmaster puts in the synchronizationUncertain flag
// of its Announce messages.
type MgmtSynchronizationUncertainNP struct {
	// Uncertain is 0 (false), 1 (true) or 0xFF (let ptp4l decide).
	Uncertain uint8
}

// Decode decodes b into s.
func (s *MgmtSynchronizationUncertainNP) Decode(b []byte) error {
	v, _, err := mgmtTwo(b)
	*s = MgmtSynchronizationUncertainNP{v}
	return err
}

// AppendTo appends s's data field.
func (s *MgmtSynchronizationUncertainNP) AppendTo(b []byte) []byte { return append(b, s.Uncertain, 0) }

// MgmtPortServiceStatsNP is linuxptp's PORT_SERVICE_STATS_NP (0xC007):
// counts of timeouts and mismatches on a port. Like PORT_STATS_NP, the
// counters travel in host byte order (explicitly little-endian in linuxptp
// 4.x); see HostOrder.
type MgmtPortServiceStatsNP struct {
	PortIdentity          PortIdentity
	AnnounceTimeout       uint64
	SyncTimeout           uint64
	DelayTimeout          uint64
	UnicastServiceTimeout uint64
	UnicastRequestTimeout uint64
	MasterAnnounceTimeout uint64
	MasterSyncTimeout     uint64
	QualificationTimeout  uint64
	SyncMismatch          uint64
	FollowupMismatch      uint64
	Order                 HostOrder // as for MgmtPortStatsNP
}

// counters returns pointers to the counters in wire order.
func (p *MgmtPortServiceStatsNP) counters() [10]*uint64 {
	return [10]*uint64{&p.AnnounceTimeout, &p.SyncTimeout, &p.DelayTimeout, &p.UnicastServiceTimeout,
		&p.UnicastRequestTimeout, &p.MasterAnnounceTimeout, &p.MasterSyncTimeout, &p.QualificationTimeout,
		&p.SyncMismatch, &p.FollowupMismatch}
}

// Decode decodes b into p, choosing the counters' byte order with
// HostOrderAuto.
func (p *MgmtPortServiceStatsNP) Decode(b []byte) error { return p.DecodeOrder(b, HostOrderAuto) }

// DecodeOrder decodes b into p reading the counters in order o.
func (p *MgmtPortServiceStatsNP) DecodeOrder(b []byte, o HostOrder) error {
	*p = MgmtPortServiceStatsNP{}
	if err := mgmtNeed(b, 90); err != nil {
		return err
	}
	p.PortIdentity = mgmtReadPortIdentity(b)
	p.Order = mgmtResolveHostOrder(b[10:90], 10, false, o)
	for i, c := range p.counters() {
		*c = mgmtHostU64Read(b[10+8*i:], p.Order)
	}
	return nil
}

// AppendTo appends p's data field.
func (p *MgmtPortServiceStatsNP) AppendTo(b []byte) []byte {
	b = appendPortIdentity(b, p.PortIdentity)
	for _, c := range p.counters() {
		b = mgmtAppendHostU64(b, *c, p.Order)
	}
	return b
}

// UnicastStateNP is the state of a unicast master table entry in linuxptp
// (enum unicast_state of its unicast client).
type UnicastStateNP uint8

// linuxptp unicast client states: waiting for an Announce grant, Announce
// granted, selected with Sync and Delay_Resp requested, Sync and
// Delay_Resp granted.
const (
	UnicastWait     UnicastStateNP = iota // WAIT
	UnicastHaveAnn                        // HAVE_ANN
	UnicastNeedSyDy                       // NEED_SYDY
	UnicastHaveSyDy                       // HAVE_SYDY
)

// String returns linuxptp's name, such as "HAVE_SYDY", or UNKNOWN(n).
func (s UnicastStateNP) String() string { return enumName(s.name(), "UnicastStateNP(", "UNKNOWN(") }

// UnicastMasterEntryNP is one entry of UNICAST_MASTER_TABLE_NP.
type UnicastMasterEntryNP struct {
	PortIdentity PortIdentity
	ClockQuality ClockQuality
	Selected     bool
	PortState    UnicastStateNP
	Priority1    uint8
	Priority2    uint8
	Address      PortAddress
}

// mgmtReadUnicastMasterEntry reads the entry at b[off:] and returns the offset
// after it.
func mgmtReadUnicastMasterEntry(b []byte, off int) (UnicastMasterEntryNP, int, error) {
	var e UnicastMasterEntryNP
	if off+18 > len(b) {
		return e, off, ErrMgmtShort
	}
	p := b[off:]
	e.PortIdentity = mgmtReadPortIdentity(p)
	e.ClockQuality = mgmtReadClockQuality(p[10:])
	e.Selected = p[14] != 0
	e.PortState = UnicastStateNP(p[15])
	e.Priority1, e.Priority2 = p[16], p[17]
	a, next, err := mgmtReadPortAddress(b, off+18)
	if err != nil {
		return e, off, err
	}
	e.Address = a
	return e, next, nil
}

// AppendUnicastMasterEntryNP appends one UNICAST_MASTER_TABLE_NP entry.
func AppendUnicastMasterEntryNP(b []byte, e *UnicastMasterEntryNP) []byte {
	b = appendPortIdentity(b, e.PortIdentity)
	b = mgmtAppendClockQuality(b, e.ClockQuality)
	b = append(b, mgmtB2U(e.Selected), uint8(e.PortState), e.Priority1, e.Priority2)
	return e.Address.AppendTo(b)
}

// UnicastMasterIterNP walks the entries of UNICAST_MASTER_TABLE_NP.
type UnicastMasterIterNP struct {
	Data  []byte
	Entry UnicastMasterEntryNP
	Err   error
	off   int
}

// Next advances to the next entry and reports whether there is one.
func (it *UnicastMasterIterNP) Next() bool {
	if it.off >= len(it.Data) || it.Err != nil {
		return false
	}
	e, next, err := mgmtReadUnicastMasterEntry(it.Data, it.off)
	if err != nil {
		it.Err = err
		return false
	}
	it.Entry, it.off = e, next
	return true
}

// MgmtUnicastMasterTableNP is linuxptp's UNICAST_MASTER_TABLE_NP (0xC008):
// the unicast masters a port knows and their negotiation state. Entries
// aliases the entries; walk them with Iter.
type MgmtUnicastMasterTableNP struct {
	ActualTableSize uint16
	Entries         []byte
}

// Iter returns an iterator over the entries.
func (m *MgmtUnicastMasterTableNP) Iter() UnicastMasterIterNP {
	return UnicastMasterIterNP{Data: m.Entries}
}

// Decode decodes b into m and checks every entry. It does not allocate.
func (m *MgmtUnicastMasterTableNP) Decode(b []byte) error {
	*m = MgmtUnicastMasterTableNP{}
	if err := mgmtNeed(b, 2); err != nil {
		return err
	}
	m.ActualTableSize = mgmtBE16(b)
	off := 2
	for i := 0; i < int(m.ActualTableSize); i++ {
		var err error
		if _, off, err = mgmtReadUnicastMasterEntry(b, off); err != nil {
			return err
		}
	}
	m.Entries = b[2:off:off]
	return nil
}

// AppendTo appends m's data field.
func (m *MgmtUnicastMasterTableNP) AppendTo(b []byte) []byte {
	start := len(b)
	b = binary.BigEndian.AppendUint16(b, m.ActualTableSize)
	return mgmtPadEven(append(b, m.Entries...), start)
}

// MgmtPortHWClockNP is linuxptp's PORT_HWCLOCK_NP (0xC009): the PTP
// hardware clock a port timestamps with.
type MgmtPortHWClockNP struct {
	PortIdentity PortIdentity
	PHCIndex     int32 // /dev/ptpN; -1 for none
	Flags        uint8 // bit 0: the PHC is a virtual clock (PORT_HWCLOCK_VCLOCK)
}

// Decode decodes b into p.
func (p *MgmtPortHWClockNP) Decode(b []byte) error {
	*p = MgmtPortHWClockNP{}
	if err := mgmtNeed(b, 16); err != nil {
		return err
	}
	*p = MgmtPortHWClockNP{mgmtReadPortIdentity(b), int32(mgmtBE32(b[10:])), b[14]}
	return nil
}

// AppendTo appends p's data field.
func (p *MgmtPortHWClockNP) AppendTo(b []byte) []byte {
	b = appendPortIdentity(b, p.PortIdentity)
	b = binary.BigEndian.AppendUint32(b, uint32(p.PHCIndex))
	return append(b, p.Flags, 0)
}

// PowerProfileVersion selects the IEEE C37.238 power profile in
// POWER_PROFILE_SETTINGS_NP.
type PowerProfileVersion uint16

// Power profile versions.
const (
	PowerProfileNone PowerProfileVersion = 0 // NONE
	PowerProfile2011 PowerProfileVersion = 1 // 2011
	PowerProfile2017 PowerProfileVersion = 2 // 2017
)

// String returns "NONE", "2011", "2017" or UNKNOWN(n).
func (v PowerProfileVersion) String() string {
	return enumName(v.name(), "PowerProfileVersion(", "UNKNOWN(")
}

// MgmtPowerProfileSettingsNP is linuxptp's POWER_PROFILE_SETTINGS_NP
// (0xC00A): the IEEE C37.238 TLV values a port sends.
type MgmtPowerProfileSettingsNP struct {
	Version                   PowerProfileVersion
	GrandmasterID             uint16
	GrandmasterTimeInaccuracy uint32 // nanoseconds
	NetworkTimeInaccuracy     uint32
	TotalTimeInaccuracy       uint32
}

// Decode decodes b into p.
func (p *MgmtPowerProfileSettingsNP) Decode(b []byte) error {
	*p = MgmtPowerProfileSettingsNP{}
	if err := mgmtNeed(b, 16); err != nil {
		return err
	}
	*p = MgmtPowerProfileSettingsNP{PowerProfileVersion(mgmtBE16(b)), mgmtBE16(b[2:]), mgmtBE32(b[4:]), mgmtBE32(b[8:]), mgmtBE32(b[12:])}
	return nil
}

// AppendTo appends p's data field.
func (p *MgmtPowerProfileSettingsNP) AppendTo(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(p.Version))
	b = binary.BigEndian.AppendUint16(b, p.GrandmasterID)
	b = binary.BigEndian.AppendUint32(b, p.GrandmasterTimeInaccuracy)
	b = binary.BigEndian.AppendUint32(b, p.NetworkTimeInaccuracy)
	return binary.BigEndian.AppendUint32(b, p.TotalTimeInaccuracy)
}

// MgmtCMLDSInfoNP is linuxptp's CMLDS_INFO_NP (0xC00B): the common
// mean link delay service's view of a link.
type MgmtCMLDSInfoNP struct {
	MeanLinkDelay           TimeInterval
	ScaledNeighborRateRatio int32
	AsCapable               uint32
}

// Decode decodes b into c.
func (c *MgmtCMLDSInfoNP) Decode(b []byte) error {
	*c = MgmtCMLDSInfoNP{}
	if err := mgmtNeed(b, 16); err != nil {
		return err
	}
	*c = MgmtCMLDSInfoNP{TimeInterval(mgmtBE64(b)), int32(mgmtBE32(b[8:])), mgmtBE32(b[12:])}
	return nil
}

// AppendTo appends c's data field.
func (c *MgmtCMLDSInfoNP) AppendTo(b []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(c.MeanLinkDelay))
	b = binary.BigEndian.AppendUint32(b, uint32(c.ScaledNeighborRateRatio))
	return binary.BigEndian.AppendUint32(b, c.AsCapable)
}

// MgmtPortCorrectionsNP is linuxptp's PORT_CORRECTIONS_NP (0xC00C): a
// port's latency and asymmetry corrections, as TimeIntervals.
//
// linuxptp's 4.x sources call net2host64/host2net64 on these members
// without storing the result, so they go out in host byte order (little-endian on
// x86 and ARM) although the header file declares network-order
// Integer64s. Decode follows HostOrder as for PORT_STATS_NP.
type MgmtPortCorrectionsNP struct {
	EgressLatency  TimeInterval
	IngressLatency TimeInterval
	DelayAsymmetry TimeInterval
	Order          HostOrder // as for MgmtPortStatsNP
}

// Decode decodes b into p, choosing the byte order with HostOrderAuto.
func (p *MgmtPortCorrectionsNP) Decode(b []byte) error { return p.DecodeOrder(b, HostOrderAuto) }

// DecodeOrder decodes b into p reading the values in order o.
func (p *MgmtPortCorrectionsNP) DecodeOrder(b []byte, o HostOrder) error {
	*p = MgmtPortCorrectionsNP{}
	if err := mgmtNeed(b, 24); err != nil {
		return err
	}
	o = mgmtResolveHostOrder(b[:24], 3, true, o)
	*p = MgmtPortCorrectionsNP{TimeInterval(mgmtHostU64Read(b, o)), TimeInterval(mgmtHostU64Read(b[8:], o)), TimeInterval(mgmtHostU64Read(b[16:], o)), o}
	return nil
}

// AppendTo appends p's data field.
func (p *MgmtPortCorrectionsNP) AppendTo(b []byte) []byte {
	b = mgmtAppendHostU64(b, uint64(p.EgressLatency), p.Order)
	b = mgmtAppendHostU64(b, uint64(p.IngressLatency), p.Order)
	return mgmtAppendHostU64(b, uint64(p.DelayAsymmetry), p.Order)
}

// MgmtExternalGrandmasterPropertiesNP is linuxptp's
// EXTERNAL_GRANDMASTER_PROPERTIES_NP (0xC00D): the grandmaster identity and
// stepsRemoved that a ptp4l fed by an external time source advertises.
type MgmtExternalGrandmasterPropertiesNP struct {
	GmIdentity   ClockIdentity
	StepsRemoved uint16
}

// Decode decodes b into e.
func (e *MgmtExternalGrandmasterPropertiesNP) Decode(b []byte) error {
	*e = MgmtExternalGrandmasterPropertiesNP{}
	if err := mgmtNeed(b, 10); err != nil {
		return err
	}
	*e = MgmtExternalGrandmasterPropertiesNP{ClockIdentity(b[0:8]), mgmtBE16(b[8:])}
	return nil
}

// AppendTo appends e's data field.
func (e *MgmtExternalGrandmasterPropertiesNP) AppendTo(b []byte) []byte {
	b = append(b, e.GmIdentity[:]...)
	return binary.BigEndian.AppendUint16(b, e.StepsRemoved)
}
