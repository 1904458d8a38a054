package decode

import "encoding/binary"

// This file holds the data fields of the management IDs of IEEE 1588-2019
// Table 59, encoded as §15.5.3 lays them out. Every type decodes with
// Decode, which resets the value, never panics and never allocates, and
// encodes with AppendTo, which appends the data field (with the pad octet
// that keeps an odd-length body even, §15.5.3) to a caller's buffer.
//
// Decode accepts a data field longer than its data set: the extra octets
// are the pad octet, or an extension it does not know, and are ignored.
// Reserved octets and flag bits without a name are read as nothing and
// written as zero. Byte slices (PTPText, addresses, tables) alias the input.

// mgmtNeed reports ErrMgmtShort when b is shorter than n.
func mgmtNeed(b []byte, n int) error {
	if len(b) < n {
		return ErrMgmtShort
	}
	return nil
}

// MgmtClockDescription is CLOCK_DESCRIPTION's data field (§15.5.3).
type MgmtClockDescription struct {
	ClockType             ClockType
	PhysicalLayerProtocol PTPText // such as "IEEE 802.3"
	PhysicalAddress       []byte  // after a 2-octet physicalAddressLength
	ProtocolAddress       PortAddress
	ManufacturerIdentity  [3]byte // an OUI; a reserved octet follows
	ProductDescription    PTPText // "manufacturer;model;serial number"
	RevisionData          PTPText // "hardware;firmware;software revision"
	UserDescription       PTPText // "name;location"
	ProfileIdentity       [6]byte
}

// Decode decodes b into c. It does not allocate.
func (c *MgmtClockDescription) Decode(b []byte) error {
	*c = MgmtClockDescription{}
	if len(b) < 3 {
		return ErrMgmtShort
	}
	c.ClockType = ClockType(mgmtBE16(b))
	var err error
	off := 2
	if c.PhysicalLayerProtocol, off, err = mgmtReadPTPText(b, off); err != nil {
		return err
	}
	if off+2 > len(b) {
		return ErrMgmtShort
	}
	n := int(mgmtBE16(b[off:]))
	off += 2
	if off+n > len(b) {
		return ErrMgmtShort
	}
	c.PhysicalAddress = b[off : off+n : off+n]
	off += n
	if c.ProtocolAddress, off, err = mgmtReadPortAddress(b, off); err != nil {
		return err
	}
	if off+4 > len(b) {
		return ErrMgmtShort
	}
	c.ManufacturerIdentity = [3]byte(b[off : off+3])
	off += 4
	if c.ProductDescription, off, err = mgmtReadPTPText(b, off); err != nil {
		return err
	}
	if c.RevisionData, off, err = mgmtReadPTPText(b, off); err != nil {
		return err
	}
	if c.UserDescription, off, err = mgmtReadPTPText(b, off); err != nil {
		return err
	}
	if off+6 > len(b) {
		return ErrMgmtShort
	}
	c.ProfileIdentity = [6]byte(b[off : off+6])
	return nil
}

// AppendTo appends c's data field. It does not allocate when b has room.
func (c *MgmtClockDescription) AppendTo(b []byte) []byte {
	start := len(b)
	b = binary.BigEndian.AppendUint16(b, uint16(c.ClockType))
	b = mgmtAppendPTPText(b, c.PhysicalLayerProtocol)
	b = binary.BigEndian.AppendUint16(b, uint16(len(c.PhysicalAddress)))
	b = append(b, c.PhysicalAddress...)
	b = c.ProtocolAddress.AppendTo(b)
	b = append(b, c.ManufacturerIdentity[:]...)
	b = append(b, 0)
	b = mgmtAppendPTPText(b, c.ProductDescription)
	b = mgmtAppendPTPText(b, c.RevisionData)
	b = mgmtAppendPTPText(b, c.UserDescription)
	b = append(b, c.ProfileIdentity[:]...)
	return mgmtPadEven(b, start)
}

// MgmtUserDescription is USER_DESCRIPTION's data field (§15.5.3).
type MgmtUserDescription struct {
	UserDescription PTPText
}

// Decode decodes b into u. It does not allocate.
func (u *MgmtUserDescription) Decode(b []byte) error {
	var err error
	*u = MgmtUserDescription{}
	u.UserDescription, _, err = mgmtReadPTPText(b, 0)
	return err
}

// AppendTo appends u's data field.
func (u *MgmtUserDescription) AppendTo(b []byte) []byte {
	start := len(b)
	return mgmtPadEven(mgmtAppendPTPText(b, u.UserDescription), start)
}

// MgmtInitialize is INITIALIZE's data field (§15.5.3).
type MgmtInitialize struct {
	InitializationKey uint16 // 0 is INITIALIZE_EVENT
}

// Decode decodes b into m.
func (m *MgmtInitialize) Decode(b []byte) error {
	*m = MgmtInitialize{}
	if err := mgmtNeed(b, 2); err != nil {
		return err
	}
	m.InitializationKey = mgmtBE16(b)
	return nil
}

// AppendTo appends m's data field.
func (m *MgmtInitialize) AppendTo(b []byte) []byte {
	return binary.BigEndian.AppendUint16(b, m.InitializationKey)
}

// MgmtFaultLog is FAULT_LOG's data field (§15.5.3): a count and that
// many fault records. Records aliases the records' octets; walk them with
// Iter. AppendFaultRecord builds them for encoding.
type MgmtFaultLog struct {
	NumberOfFaultRecords uint16
	Records              []byte
}

// FaultRecord is one fault log entry (§5.3.10).
type FaultRecord struct {
	// FaultRecordLength is the record's length as sent. AppendFaultRecord
	// computes it: the octets after the length member itself.
	FaultRecordLength uint16
	FaultTime         Timestamp
	SeverityCode      FaultSeverity
	FaultName         PTPText
	FaultValue        PTPText
	FaultDescription  PTPText
}

// mgmtReadFaultRecord reads the record at b[off:] and returns the offset after
// it. The record's extent comes from its contents, not faultRecordLength:
// the standard counts the octets after the length member, while some
// implementations (libptpmgmt) count the member too, and both are accepted.
func mgmtReadFaultRecord(b []byte, off int) (FaultRecord, int, error) {
	var r FaultRecord
	if off+13 > len(b) {
		return r, off, ErrMgmtShort
	}
	start := off
	r.FaultRecordLength = mgmtBE16(b[off:])
	r.FaultTime = readTimestamp(b[off+2:])
	r.SeverityCode = FaultSeverity(b[off+12])
	off += 13
	var err error
	if r.FaultName, off, err = mgmtReadPTPText(b, off); err != nil {
		return r, start, err
	}
	if r.FaultValue, off, err = mgmtReadPTPText(b, off); err != nil {
		return r, start, err
	}
	if r.FaultDescription, off, err = mgmtReadPTPText(b, off); err != nil {
		return r, start, err
	}
	if l := int(r.FaultRecordLength); l != off-start-2 && l != off-start {
		return r, start, ErrMgmtBadLength
	}
	return r, off, nil
}

// AppendFaultRecord appends r in wire format, with faultRecordLength
// counting the octets after it.
func AppendFaultRecord(b []byte, r *FaultRecord) []byte {
	n := 10 + 1 + r.FaultName.wireLen() + r.FaultValue.wireLen() + r.FaultDescription.wireLen()
	b = binary.BigEndian.AppendUint16(b, uint16(n))
	b = appendTimestamp(b, r.FaultTime)
	b = append(b, uint8(r.SeverityCode))
	b = mgmtAppendPTPText(b, r.FaultName)
	b = mgmtAppendPTPText(b, r.FaultValue)
	return mgmtAppendPTPText(b, r.FaultDescription)
}

// FaultRecordIter walks the records of a fault log.
type FaultRecordIter struct {
	Data   []byte
	Record FaultRecord
	Err    error
	off    int
}

// Iter returns an iterator over f's records.
func (f *MgmtFaultLog) Iter() FaultRecordIter { return FaultRecordIter{Data: f.Records} }

// Next advances to the next record and reports whether there is one.
func (it *FaultRecordIter) Next() bool {
	if it.off >= len(it.Data) || it.Err != nil {
		return false
	}
	r, next, err := mgmtReadFaultRecord(it.Data, it.off)
	if err != nil {
		it.Err = err
		return false
	}
	it.Record, it.off = r, next
	return true
}

// Decode decodes b into f and checks that every record is well formed.
// It does not allocate.
func (f *MgmtFaultLog) Decode(b []byte) error {
	*f = MgmtFaultLog{}
	if err := mgmtNeed(b, 2); err != nil {
		return err
	}
	f.NumberOfFaultRecords = mgmtBE16(b)
	off := 2
	for i := 0; i < int(f.NumberOfFaultRecords); i++ {
		var err error
		if _, off, err = mgmtReadFaultRecord(b, off); err != nil {
			return err
		}
	}
	f.Records = b[2:off:off]
	return nil
}

// AppendTo appends f's data field.
func (f *MgmtFaultLog) AppendTo(b []byte) []byte {
	start := len(b)
	b = binary.BigEndian.AppendUint16(b, f.NumberOfFaultRecords)
	b = append(b, f.Records...)
	return mgmtPadEven(b, start)
}

// MgmtDefaultDataSet is DEFAULT_DATA_SET's data field (§15.5.3): the
// defaultDS members of §8.2.1.
type MgmtDefaultDataSet struct {
	TwoStepFlag   bool // flags bit 0, TSC
	SlaveOnly     bool // flags bit 1, SO
	NumberPorts   uint16
	Priority1     uint8
	ClockQuality  ClockQuality
	Priority2     uint8
	ClockIdentity ClockIdentity
	DomainNumber  uint8
}

// Decode decodes b into d. It does not allocate.
func (d *MgmtDefaultDataSet) Decode(b []byte) error {
	if len(b) < 20 {
		*d = MgmtDefaultDataSet{}
		return ErrMgmtShort
	}
	*d = MgmtDefaultDataSet{
		TwoStepFlag:   b[0]&1 != 0,
		SlaveOnly:     b[0]&2 != 0,
		NumberPorts:   mgmtBE16(b[2:]),
		Priority1:     b[4],
		ClockQuality:  mgmtReadClockQuality(b[5:]),
		Priority2:     b[9],
		ClockIdentity: ClockIdentity(b[10:18]),
		DomainNumber:  b[18],
	}
	return nil
}

// AppendTo appends d's data field.
func (d *MgmtDefaultDataSet) AppendTo(b []byte) []byte {
	b = append(b, mgmtB2U(d.TwoStepFlag)|mgmtB2U(d.SlaveOnly)<<1, 0)
	b = binary.BigEndian.AppendUint16(b, d.NumberPorts)
	b = append(b, d.Priority1)
	b = mgmtAppendClockQuality(b, d.ClockQuality)
	b = append(b, d.Priority2)
	b = append(b, d.ClockIdentity[:]...)
	return append(b, d.DomainNumber, 0)
}

// MgmtCurrentDataSet is CURRENT_DATA_SET's data field (§15.5.3): the
// currentDS members of §8.2.2.
type MgmtCurrentDataSet struct {
	StepsRemoved     uint16
	OffsetFromMaster TimeInterval
	MeanPathDelay    TimeInterval
}

// Decode decodes b into c.
func (c *MgmtCurrentDataSet) Decode(b []byte) error {
	if len(b) < 18 {
		*c = MgmtCurrentDataSet{}
		return ErrMgmtShort
	}
	*c = MgmtCurrentDataSet{mgmtBE16(b), TimeInterval(mgmtBE64(b[2:])), TimeInterval(mgmtBE64(b[10:]))}
	return nil
}

// AppendTo appends c's data field.
func (c *MgmtCurrentDataSet) AppendTo(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, c.StepsRemoved)
	b = binary.BigEndian.AppendUint64(b, uint64(c.OffsetFromMaster))
	return binary.BigEndian.AppendUint64(b, uint64(c.MeanPathDelay))
}

// MgmtParentDataSet is PARENT_DATA_SET's data field (§15.5.3): the
// parentDS members of §8.2.3.
type MgmtParentDataSet struct {
	ParentPortIdentity                    PortIdentity
	ParentStats                           bool // flags bit 0, PS
	ObservedParentOffsetScaledLogVariance uint16
	ObservedParentClockPhaseChangeRate    int32
	GrandmasterPriority1                  uint8
	GrandmasterClockQuality               ClockQuality
	GrandmasterPriority2                  uint8
	GrandmasterIdentity                   ClockIdentity
}

// Decode decodes b into p. It does not allocate.
func (p *MgmtParentDataSet) Decode(b []byte) error {
	if len(b) < 32 {
		*p = MgmtParentDataSet{}
		return ErrMgmtShort
	}
	*p = MgmtParentDataSet{
		ParentPortIdentity:                    mgmtReadPortIdentity(b),
		ParentStats:                           b[10]&1 != 0,
		ObservedParentOffsetScaledLogVariance: mgmtBE16(b[12:]),
		ObservedParentClockPhaseChangeRate:    int32(mgmtBE32(b[14:])),
		GrandmasterPriority1:                  b[18],
		GrandmasterClockQuality:               mgmtReadClockQuality(b[19:]),
		GrandmasterPriority2:                  b[23],
		GrandmasterIdentity:                   ClockIdentity(b[24:32]),
	}
	return nil
}

// AppendTo appends p's data field.
func (p *MgmtParentDataSet) AppendTo(b []byte) []byte {
	b = appendPortIdentity(b, p.ParentPortIdentity)
	b = append(b, mgmtB2U(p.ParentStats), 0)
	b = binary.BigEndian.AppendUint16(b, p.ObservedParentOffsetScaledLogVariance)
	b = binary.BigEndian.AppendUint32(b, uint32(p.ObservedParentClockPhaseChangeRate))
	b = append(b, p.GrandmasterPriority1)
	b = mgmtAppendClockQuality(b, p.GrandmasterClockQuality)
	b = append(b, p.GrandmasterPriority2)
	return append(b, p.GrandmasterIdentity[:]...)
}

// MgmtTimePropertiesDataSet is TIME_PROPERTIES_DATA_SET's data field
// (§15.5.3): the timePropertiesDS members of §8.2.4.
type MgmtTimePropertiesDataSet struct {
	CurrentUTCOffset int16
	Flags            TimePropertiesFlags
	TimeSource       TimeSource
}

// Decode decodes b into t.
func (t *MgmtTimePropertiesDataSet) Decode(b []byte) error {
	if len(b) < 4 {
		*t = MgmtTimePropertiesDataSet{}
		return ErrMgmtShort
	}
	*t = MgmtTimePropertiesDataSet{int16(mgmtBE16(b)), TimePropertiesFlags(b[2] & 0x3f), TimeSource(b[3])}
	return nil
}

// AppendTo appends t's data field.
func (t *MgmtTimePropertiesDataSet) AppendTo(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(t.CurrentUTCOffset))
	return append(b, uint8(t.Flags&0x3f), uint8(t.TimeSource))
}

// MgmtPortDataSet is PORT_DATA_SET's data field (§15.5.3): the portDS
// members of §8.2.15.
type MgmtPortDataSet struct {
	PortIdentity            PortIdentity
	PortState               PortState
	LogMinDelayReqInterval  int8
	PeerMeanPathDelay       TimeInterval
	LogAnnounceInterval     int8
	AnnounceReceiptTimeout  uint8
	LogSyncInterval         int8
	DelayMechanism          DelayMechanism
	LogMinPdelayReqInterval int8
	// VersionNumber is the low nibble of the last octet: portDS.versionNumber,
	// the major PTP version (2). 1588-2019 puts minorVersionNumber in the
	// high nibble, which 1588-2008 reserved.
	VersionNumber      uint8
	MinorVersionNumber uint8
}

// Decode decodes b into p. It does not allocate.
func (p *MgmtPortDataSet) Decode(b []byte) error {
	if len(b) < 26 {
		*p = MgmtPortDataSet{}
		return ErrMgmtShort
	}
	*p = MgmtPortDataSet{
		PortIdentity:            mgmtReadPortIdentity(b),
		PortState:               PortState(b[10]),
		LogMinDelayReqInterval:  int8(b[11]),
		PeerMeanPathDelay:       TimeInterval(mgmtBE64(b[12:])),
		LogAnnounceInterval:     int8(b[20]),
		AnnounceReceiptTimeout:  b[21],
		LogSyncInterval:         int8(b[22]),
		DelayMechanism:          DelayMechanism(b[23]),
		LogMinPdelayReqInterval: int8(b[24]),
		VersionNumber:           b[25] & 0x0f,
		MinorVersionNumber:      b[25] >> 4,
	}
	return nil
}

// AppendTo appends p's data field.
func (p *MgmtPortDataSet) AppendTo(b []byte) []byte {
	b = appendPortIdentity(b, p.PortIdentity)
	b = append(b, uint8(p.PortState), uint8(p.LogMinDelayReqInterval))
	b = binary.BigEndian.AppendUint64(b, uint64(p.PeerMeanPathDelay))
	return append(b, uint8(p.LogAnnounceInterval), p.AnnounceReceiptTimeout, uint8(p.LogSyncInterval),
		uint8(p.DelayMechanism), uint8(p.LogMinPdelayReqInterval), p.MinorVersionNumber<<4|p.VersionNumber&0x0f)
}

// The data sets below carry one value and a reserved octet (§15.5.3). Decode needs both octets.

// MgmtPriority1 is PRIORITY1's data field: defaultDS.priority1.
type MgmtPriority1 struct{ Priority1 uint8 }

// MgmtPriority2 is PRIORITY2's data field: defaultDS.priority2.
type MgmtPriority2 struct{ Priority2 uint8 }

// MgmtDomain is DOMAIN's data field: defaultDS.domainNumber.
type MgmtDomain struct{ DomainNumber uint8 }

// MgmtSlaveOnly is SLAVE_ONLY's data field: flags bit 0 (SO),
// defaultDS.slaveOnly.
type MgmtSlaveOnly struct{ SlaveOnly bool }

// MgmtLogAnnounceInterval is LOG_ANNOUNCE_INTERVAL's data field:
// portDS.logAnnounceInterval.
type MgmtLogAnnounceInterval struct{ LogAnnounceInterval int8 }

// MgmtAnnounceReceiptTimeout is ANNOUNCE_RECEIPT_TIMEOUT's data field:
// portDS.announceReceiptTimeout.
type MgmtAnnounceReceiptTimeout struct{ AnnounceReceiptTimeout uint8 }

// MgmtLogSyncInterval is LOG_SYNC_INTERVAL's data field:
// portDS.logSyncInterval.
type MgmtLogSyncInterval struct{ LogSyncInterval int8 }

// MgmtVersionNumber is VERSION_NUMBER's data field: portDS.versionNumber
// in the low nibble and, in 1588-2019, minorVersionNumber in the high one.
type MgmtVersionNumber struct{ VersionNumber, MinorVersionNumber uint8 }

// MgmtClockAccuracy is CLOCK_ACCURACY's data field:
// defaultDS.clockQuality.clockAccuracy.
type MgmtClockAccuracy struct{ ClockAccuracy uint8 }

// MgmtTraceabilityProperties is TRACEABILITY_PROPERTIES's data field:
// flags bits 4 (TTRA) and 5 (FTRA).
type MgmtTraceabilityProperties struct{ Flags TimePropertiesFlags }

// MgmtTimescaleProperties is TIMESCALE_PROPERTIES's data field: flags bit 3
// (PTP) and timePropertiesDS.timeSource.
type MgmtTimescaleProperties struct {
	Flags      TimePropertiesFlags
	TimeSource TimeSource
}

// MgmtUnicastNegotiationEnable is UNICAST_NEGOTIATION_ENABLE's data field:
// flags bit 0 (EN), unicastNegotiationPortDS.enable.
type MgmtUnicastNegotiationEnable struct{ Enable bool }

// MgmtPathTraceEnable is PATH_TRACE_ENABLE's data field: flags bit 0 (EN),
// pathTraceDS.enable.
type MgmtPathTraceEnable struct{ Enable bool }

// MgmtUnicastMasterMaxTableSize is UNICAST_MASTER_MAX_TABLE_SIZE's data
// field.
type MgmtUnicastMasterMaxTableSize struct{ MaxTableSize uint16 }

// MgmtAcceptableMasterTableEnabled is ACCEPTABLE_MASTER_TABLE_ENABLED's data
// field: flags bit 0 (EN), acceptableMasterPortDS.enable.
type MgmtAcceptableMasterTableEnabled struct{ Enable bool }

// MgmtAcceptableMasterMaxTableSize is ACCEPTABLE_MASTER_MAX_TABLE_SIZE's
// data field.
type MgmtAcceptableMasterMaxTableSize struct{ MaxTableSize uint16 }

// MgmtAlternateTimeOffsetEnable is ALTERNATE_TIME_OFFSET_ENABLE's data
// field: the key of an alternate timescale and flags bit 0 (EN).
type MgmtAlternateTimeOffsetEnable struct {
	KeyField uint8
	Enable   bool
}

// MgmtAlternateTimeOffsetMaxKey is ALTERNATE_TIME_OFFSET_MAX_KEY's data
// field.
type MgmtAlternateTimeOffsetMaxKey struct{ MaxKey uint8 }

// MgmtExternalPortConfigurationEnabled is
// EXTERNAL_PORT_CONFIGURATION_ENABLED's data field (1588-2019):
// flags bit 0 (EPC), defaultDS.externalPortConfigurationEnabled.
type MgmtExternalPortConfigurationEnabled struct{ Enable bool }

// MgmtMasterOnly is MASTER_ONLY's data field (1588-2019): flags bit 0
// (MO), portDS.masterOnly.
type MgmtMasterOnly struct{ MasterOnly bool }

// MgmtHoldoverUpgradeEnable is HOLDOVER_UPGRADE_ENABLE's data field
// (1588-2019): flags bit 0, holdoverUpgradeDS.enable.
type MgmtHoldoverUpgradeEnable struct{ Enable bool }

// MgmtExtPortConfigPortDataSet is EXT_PORT_CONFIG_PORT_DATA_SET's data
// field (1588-2019): an octet of flags, kept as sent since no
// implementation we know of assigns its bits, and
// externalPortConfigurationPortDS.desiredState.
type MgmtExtPortConfigPortDataSet struct {
	Flags        uint8
	DesiredState PortState
}

// MgmtPrimaryDomain is PRIMARY_DOMAIN's data field:
// transparentClockDefaultDS.primaryDomain (1588-2008).
type MgmtPrimaryDomain struct{ PrimaryDomain uint8 }

// MgmtDelayMechanism is DELAY_MECHANISM's data field:
// portDS.delayMechanism.
type MgmtDelayMechanism struct{ DelayMechanism DelayMechanism }

// MgmtLogMinPdelayReqInterval is LOG_MIN_PDELAY_REQ_INTERVAL's data field:
// portDS.logMinPdelayReqInterval.
type MgmtLogMinPdelayReqInterval struct{ LogMinPdelayReqInterval int8 }

// mgmtTwo returns the mgmtTwo octets of a mgmtTwo-octet body, or ErrMgmtShort.
func mgmtTwo(b []byte) (uint8, uint8, error) {
	if len(b) < 2 {
		return 0, 0, ErrMgmtShort
	}
	return b[0], b[1], nil
}

// Decode decodes b into m.
func (m *MgmtPriority1) Decode(b []byte) error {
	v, _, err := mgmtTwo(b)
	*m = MgmtPriority1{v}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtPriority1) AppendTo(b []byte) []byte { return append(b, m.Priority1, 0) }

// Decode decodes b into m.
func (m *MgmtPriority2) Decode(b []byte) error {
	v, _, err := mgmtTwo(b)
	*m = MgmtPriority2{v}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtPriority2) AppendTo(b []byte) []byte { return append(b, m.Priority2, 0) }

// Decode decodes b into m.
func (m *MgmtDomain) Decode(b []byte) error { v, _, err := mgmtTwo(b); *m = MgmtDomain{v}; return err }

// AppendTo appends m's data field.
func (m *MgmtDomain) AppendTo(b []byte) []byte { return append(b, m.DomainNumber, 0) }

// Decode decodes b into m.
func (m *MgmtSlaveOnly) Decode(b []byte) error {
	v, _, err := mgmtTwo(b)
	*m = MgmtSlaveOnly{v&1 != 0}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtSlaveOnly) AppendTo(b []byte) []byte { return append(b, mgmtB2U(m.SlaveOnly), 0) }

// Decode decodes b into m.
func (m *MgmtLogAnnounceInterval) Decode(b []byte) error {
	v, _, err := mgmtTwo(b)
	*m = MgmtLogAnnounceInterval{int8(v)}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtLogAnnounceInterval) AppendTo(b []byte) []byte {
	return append(b, uint8(m.LogAnnounceInterval), 0)
}

// Decode decodes b into m.
func (m *MgmtAnnounceReceiptTimeout) Decode(b []byte) error {
	v, _, err := mgmtTwo(b)
	*m = MgmtAnnounceReceiptTimeout{v}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtAnnounceReceiptTimeout) AppendTo(b []byte) []byte {
	return append(b, m.AnnounceReceiptTimeout, 0)
}

// Decode decodes b into m.
func (m *MgmtLogSyncInterval) Decode(b []byte) error {
	v, _, err := mgmtTwo(b)
	*m = MgmtLogSyncInterval{int8(v)}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtLogSyncInterval) AppendTo(b []byte) []byte {
	return append(b, uint8(m.LogSyncInterval), 0)
}

// Decode decodes b into m.
func (m *MgmtVersionNumber) Decode(b []byte) error {
	v, _, err := mgmtTwo(b)
	*m = MgmtVersionNumber{v & 0x0f, v >> 4}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtVersionNumber) AppendTo(b []byte) []byte {
	return append(b, m.MinorVersionNumber<<4|m.VersionNumber&0x0f, 0)
}

// Decode decodes b into m.
func (m *MgmtClockAccuracy) Decode(b []byte) error {
	v, _, err := mgmtTwo(b)
	*m = MgmtClockAccuracy{v}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtClockAccuracy) AppendTo(b []byte) []byte { return append(b, m.ClockAccuracy, 0) }

// Decode decodes b into m.
func (m *MgmtTraceabilityProperties) Decode(b []byte) error {
	v, _, err := mgmtTwo(b)
	*m = MgmtTraceabilityProperties{TimePropertiesFlags(v) & (TimeFlagTimeTraceable | TimeFlagFrequencyTraceable)}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtTraceabilityProperties) AppendTo(b []byte) []byte {
	return append(b, uint8(m.Flags&(TimeFlagTimeTraceable|TimeFlagFrequencyTraceable)), 0)
}

// Decode decodes b into m.
func (m *MgmtTimescaleProperties) Decode(b []byte) error {
	v, s, err := mgmtTwo(b)
	*m = MgmtTimescaleProperties{TimePropertiesFlags(v) & TimeFlagPTPTimescale, TimeSource(s)}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtTimescaleProperties) AppendTo(b []byte) []byte {
	return append(b, uint8(m.Flags&TimeFlagPTPTimescale), uint8(m.TimeSource))
}

// Decode decodes b into m.
func (m *MgmtUnicastNegotiationEnable) Decode(b []byte) error {
	v, _, err := mgmtTwo(b)
	*m = MgmtUnicastNegotiationEnable{v&1 != 0}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtUnicastNegotiationEnable) AppendTo(b []byte) []byte {
	return append(b, mgmtB2U(m.Enable), 0)
}

// Decode decodes b into m.
func (m *MgmtPathTraceEnable) Decode(b []byte) error {
	v, _, err := mgmtTwo(b)
	*m = MgmtPathTraceEnable{v&1 != 0}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtPathTraceEnable) AppendTo(b []byte) []byte { return append(b, mgmtB2U(m.Enable), 0) }

// Decode decodes b into m.
func (m *MgmtUnicastMasterMaxTableSize) Decode(b []byte) error {
	v, w, err := mgmtTwo(b)
	*m = MgmtUnicastMasterMaxTableSize{uint16(v)<<8 | uint16(w)}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtUnicastMasterMaxTableSize) AppendTo(b []byte) []byte {
	return binary.BigEndian.AppendUint16(b, m.MaxTableSize)
}

// Decode decodes b into m.
func (m *MgmtAcceptableMasterTableEnabled) Decode(b []byte) error {
	v, _, err := mgmtTwo(b)
	*m = MgmtAcceptableMasterTableEnabled{v&1 != 0}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtAcceptableMasterTableEnabled) AppendTo(b []byte) []byte {
	return append(b, mgmtB2U(m.Enable), 0)
}

// Decode decodes b into m.
func (m *MgmtAcceptableMasterMaxTableSize) Decode(b []byte) error {
	v, w, err := mgmtTwo(b)
	*m = MgmtAcceptableMasterMaxTableSize{uint16(v)<<8 | uint16(w)}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtAcceptableMasterMaxTableSize) AppendTo(b []byte) []byte {
	return binary.BigEndian.AppendUint16(b, m.MaxTableSize)
}

// Decode decodes b into m.
func (m *MgmtAlternateTimeOffsetEnable) Decode(b []byte) error {
	k, v, err := mgmtTwo(b)
	*m = MgmtAlternateTimeOffsetEnable{k, v&1 != 0}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtAlternateTimeOffsetEnable) AppendTo(b []byte) []byte {
	return append(b, m.KeyField, mgmtB2U(m.Enable))
}

// Decode decodes b into m.
func (m *MgmtAlternateTimeOffsetMaxKey) Decode(b []byte) error {
	v, _, err := mgmtTwo(b)
	*m = MgmtAlternateTimeOffsetMaxKey{v}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtAlternateTimeOffsetMaxKey) AppendTo(b []byte) []byte { return append(b, m.MaxKey, 0) }

// Decode decodes b into m.
func (m *MgmtExternalPortConfigurationEnabled) Decode(b []byte) error {
	v, _, err := mgmtTwo(b)
	*m = MgmtExternalPortConfigurationEnabled{v&1 != 0}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtExternalPortConfigurationEnabled) AppendTo(b []byte) []byte {
	return append(b, mgmtB2U(m.Enable), 0)
}

// Decode decodes b into m.
func (m *MgmtMasterOnly) Decode(b []byte) error {
	v, _, err := mgmtTwo(b)
	*m = MgmtMasterOnly{v&1 != 0}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtMasterOnly) AppendTo(b []byte) []byte { return append(b, mgmtB2U(m.MasterOnly), 0) }

// Decode decodes b into m.
func (m *MgmtHoldoverUpgradeEnable) Decode(b []byte) error {
	v, _, err := mgmtTwo(b)
	*m = MgmtHoldoverUpgradeEnable{v&1 != 0}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtHoldoverUpgradeEnable) AppendTo(b []byte) []byte { return append(b, mgmtB2U(m.Enable), 0) }

// Decode decodes b into m.
func (m *MgmtExtPortConfigPortDataSet) Decode(b []byte) error {
	f, s, err := mgmtTwo(b)
	*m = MgmtExtPortConfigPortDataSet{f, PortState(s)}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtExtPortConfigPortDataSet) AppendTo(b []byte) []byte {
	return append(b, m.Flags, uint8(m.DesiredState))
}

// Decode decodes b into m.
func (m *MgmtPrimaryDomain) Decode(b []byte) error {
	v, _, err := mgmtTwo(b)
	*m = MgmtPrimaryDomain{v}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtPrimaryDomain) AppendTo(b []byte) []byte { return append(b, m.PrimaryDomain, 0) }

// Decode decodes b into m.
func (m *MgmtDelayMechanism) Decode(b []byte) error {
	v, _, err := mgmtTwo(b)
	*m = MgmtDelayMechanism{DelayMechanism(v)}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtDelayMechanism) AppendTo(b []byte) []byte { return append(b, uint8(m.DelayMechanism), 0) }

// Decode decodes b into m.
func (m *MgmtLogMinPdelayReqInterval) Decode(b []byte) error {
	v, _, err := mgmtTwo(b)
	*m = MgmtLogMinPdelayReqInterval{int8(v)}
	return err
}

// AppendTo appends m's data field.
func (m *MgmtLogMinPdelayReqInterval) AppendTo(b []byte) []byte {
	return append(b, uint8(m.LogMinPdelayReqInterval), 0)
}

// MgmtTime is TIME's data field (§15.5.3): the PTP Instance's time.
type MgmtTime struct{ CurrentTime Timestamp }

// Decode decodes b into m.
func (m *MgmtTime) Decode(b []byte) error {
	*m = MgmtTime{}
	if err := mgmtNeed(b, 10); err != nil {
		return err
	}
	m.CurrentTime = readTimestamp(b)
	return nil
}

// AppendTo appends m's data field.
func (m *MgmtTime) AppendTo(b []byte) []byte { return appendTimestamp(b, m.CurrentTime) }

// MgmtUTCProperties is UTC_PROPERTIES's data field: currentUtcOffset and
// flags bits 0-2 (LI-61, LI-59, UTCV), then a reserved octet.
type MgmtUTCProperties struct {
	CurrentUTCOffset int16
	Flags            TimePropertiesFlags
}

const mgmtUTCFlags = TimeFlagLeap61 | TimeFlagLeap59 | TimeFlagUTCOffsetValid

// Decode decodes b into m.
func (m *MgmtUTCProperties) Decode(b []byte) error {
	*m = MgmtUTCProperties{}
	if err := mgmtNeed(b, 4); err != nil {
		return err
	}
	*m = MgmtUTCProperties{int16(mgmtBE16(b)), TimePropertiesFlags(b[2]) & mgmtUTCFlags}
	return nil
}

// AppendTo appends m's data field.
func (m *MgmtUTCProperties) AppendTo(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(m.CurrentUTCOffset))
	return append(b, uint8(m.Flags&mgmtUTCFlags), 0)
}

// MgmtPathTraceList is PATH_TRACE_LIST's data field: the
// pathTraceDS.list of clock identities. PathSequence aliases the input; use
// Len and At.
type MgmtPathTraceList struct{ PathSequence []byte }

// Len returns the number of clock identities in the list.
func (m *MgmtPathTraceList) Len() int { return len(m.PathSequence) / 8 }

// At returns the i'th clock identity.
func (m *MgmtPathTraceList) At(i int) ClockIdentity {
	return ClockIdentity(m.PathSequence[8*i : 8*i+8])
}

// Decode decodes b into m. The list fills the data field, so b must be a
// whole number of clock identities.
func (m *MgmtPathTraceList) Decode(b []byte) error {
	*m = MgmtPathTraceList{}
	if len(b)%8 != 0 {
		n := len(b) &^ 7
		m.PathSequence = b[:n:n]
		return ErrMgmtBadLength
	}
	m.PathSequence = b[:len(b):len(b)]
	return nil
}

// AppendTo appends m's data field.
func (m *MgmtPathTraceList) AppendTo(b []byte) []byte { return append(b, m.PathSequence...) }

// MgmtGrandmasterClusterTable is GRANDMASTER_CLUSTER_TABLE's data field
// (§15.5.3): logQueryInterval, actualTableSize and that many PortAddress
// entries. Addresses aliases the entries; walk them with Iter.
type MgmtGrandmasterClusterTable struct {
	LogQueryInterval int8
	ActualTableSize  uint8
	Addresses        []byte
}

// Iter returns an iterator over the table's addresses.
func (m *MgmtGrandmasterClusterTable) Iter() PortAddressIter {
	return PortAddressIter{Data: m.Addresses}
}

// mgmtReadAddressTable checks that n PortAddress entries start at b[off:] and
// returns their octets.
func mgmtReadAddressTable(b []byte, off, n int) ([]byte, error) {
	start := off
	for i := 0; i < n; i++ {
		var err error
		if _, off, err = mgmtReadPortAddress(b, off); err != nil {
			return nil, err
		}
	}
	return b[start:off:off], nil
}

// Decode decodes b into m. It does not allocate.
func (m *MgmtGrandmasterClusterTable) Decode(b []byte) error {
	*m = MgmtGrandmasterClusterTable{}
	if err := mgmtNeed(b, 2); err != nil {
		return err
	}
	m.LogQueryInterval, m.ActualTableSize = int8(b[0]), b[1]
	var err error
	m.Addresses, err = mgmtReadAddressTable(b, 2, int(b[1]))
	return err
}

// AppendTo appends m's data field.
func (m *MgmtGrandmasterClusterTable) AppendTo(b []byte) []byte {
	start := len(b)
	b = append(b, uint8(m.LogQueryInterval), m.ActualTableSize)
	return mgmtPadEven(append(b, m.Addresses...), start)
}

// MgmtUnicastMasterTable is UNICAST_MASTER_TABLE's data field (§15.5.3):
// logQueryInterval, actualTableSize and that many PortAddress entries.
type MgmtUnicastMasterTable struct {
	LogQueryInterval int8
	ActualTableSize  uint16
	Addresses        []byte
}

// Iter returns an iterator over the table's addresses.
func (m *MgmtUnicastMasterTable) Iter() PortAddressIter { return PortAddressIter{Data: m.Addresses} }

// Decode decodes b into m. It does not allocate.
func (m *MgmtUnicastMasterTable) Decode(b []byte) error {
	*m = MgmtUnicastMasterTable{}
	if err := mgmtNeed(b, 3); err != nil {
		return err
	}
	m.LogQueryInterval, m.ActualTableSize = int8(b[0]), mgmtBE16(b[1:])
	var err error
	m.Addresses, err = mgmtReadAddressTable(b, 3, int(m.ActualTableSize))
	return err
}

// AppendTo appends m's data field.
func (m *MgmtUnicastMasterTable) AppendTo(b []byte) []byte {
	start := len(b)
	b = append(b, uint8(m.LogQueryInterval))
	b = binary.BigEndian.AppendUint16(b, m.ActualTableSize)
	return mgmtPadEven(append(b, m.Addresses...), start)
}

// AcceptableMaster is one entry of the acceptable master table:
// a port identity and the priority1 to use for its Announce messages.
type AcceptableMaster struct {
	AcceptablePortIdentity PortIdentity
	AlternatePriority1     uint8
}

// MgmtAcceptableMasterTable is ACCEPTABLE_MASTER_TABLE's data field:
// actualTableSize and that many 11-octet AcceptableMaster entries. Entries
// aliases them; use Len and At.
type MgmtAcceptableMasterTable struct {
	ActualTableSize int16
	Entries         []byte
}

// Len returns the number of entries present.
func (m *MgmtAcceptableMasterTable) Len() int { return len(m.Entries) / 11 }

// At returns the i'th entry.
func (m *MgmtAcceptableMasterTable) At(i int) AcceptableMaster {
	e := m.Entries[11*i : 11*i+11]
	return AcceptableMaster{mgmtReadPortIdentity(e), e[10]}
}

// AppendAcceptableMaster appends one table entry in wire format.
func AppendAcceptableMaster(b []byte, a AcceptableMaster) []byte {
	return append(appendPortIdentity(b, a.AcceptablePortIdentity), a.AlternatePriority1)
}

// Decode decodes b into m. A negative actualTableSize reads as empty.
func (m *MgmtAcceptableMasterTable) Decode(b []byte) error {
	*m = MgmtAcceptableMasterTable{}
	if err := mgmtNeed(b, 2); err != nil {
		return err
	}
	m.ActualTableSize = int16(mgmtBE16(b))
	n := 11 * max(int(m.ActualTableSize), 0)
	if 2+n > len(b) {
		return ErrMgmtShort
	}
	m.Entries = b[2 : 2+n : 2+n]
	return nil
}

// AppendTo appends m's data field.
func (m *MgmtAcceptableMasterTable) AppendTo(b []byte) []byte {
	start := len(b)
	b = binary.BigEndian.AppendUint16(b, uint16(m.ActualTableSize))
	return mgmtPadEven(append(b, m.Entries...), start)
}

// MgmtAlternateMaster is ALTERNATE_MASTER's data field (§15.5.3): flags bit 0
// (S), logAlternateMulticastSyncInterval, numberOfAlternateMasters and a
// reserved octet.
type MgmtAlternateMaster struct {
	TransmitAlternateMulticastSync    bool
	LogAlternateMulticastSyncInterval int8
	NumberOfAlternateMasters          uint8
}

// Decode decodes b into m.
func (m *MgmtAlternateMaster) Decode(b []byte) error {
	*m = MgmtAlternateMaster{}
	if err := mgmtNeed(b, 4); err != nil {
		return err
	}
	*m = MgmtAlternateMaster{b[0]&1 != 0, int8(b[1]), b[2]}
	return nil
}

// AppendTo appends m's data field.
func (m *MgmtAlternateMaster) AppendTo(b []byte) []byte {
	return append(b, mgmtB2U(m.TransmitAlternateMulticastSync), uint8(m.LogAlternateMulticastSyncInterval), m.NumberOfAlternateMasters, 0)
}

// MgmtAlternateTimeOffsetName is ALTERNATE_TIME_OFFSET_NAME's data field
// (§15.5.3): a key and the timescale's displayName.
type MgmtAlternateTimeOffsetName struct {
	KeyField    uint8
	DisplayName PTPText
}

// Decode decodes b into m.
func (m *MgmtAlternateTimeOffsetName) Decode(b []byte) error {
	*m = MgmtAlternateTimeOffsetName{}
	if err := mgmtNeed(b, 2); err != nil {
		return err
	}
	m.KeyField = b[0]
	var err error
	m.DisplayName, _, err = mgmtReadPTPText(b, 1)
	return err
}

// AppendTo appends m's data field.
func (m *MgmtAlternateTimeOffsetName) AppendTo(b []byte) []byte {
	start := len(b)
	b = append(b, m.KeyField)
	return mgmtPadEven(mgmtAppendPTPText(b, m.DisplayName), start)
}

// MgmtAlternateTimeOffsetProperties is ALTERNATE_TIME_OFFSET_PROPERTIES's
// data field (§15.5.3): key, currentOffset, jumpSeconds, the 48-bit
// timeOfNextJump and a reserved octet. The 32-bit members are unaligned
// on the wire.
type MgmtAlternateTimeOffsetProperties struct {
	KeyField       uint8
	CurrentOffset  int32
	JumpSeconds    int32
	TimeOfNextJump uint64 // seconds, 48 bits
}

// Decode decodes b into m.
func (m *MgmtAlternateTimeOffsetProperties) Decode(b []byte) error {
	*m = MgmtAlternateTimeOffsetProperties{}
	if err := mgmtNeed(b, 16); err != nil {
		return err
	}
	*m = MgmtAlternateTimeOffsetProperties{b[0], int32(mgmtBE32(b[1:])), int32(mgmtBE32(b[5:])),
		uint64(mgmtBE16(b[9:]))<<32 | uint64(mgmtBE32(b[11:]))}
	return nil
}

// AppendTo appends m's data field.
func (m *MgmtAlternateTimeOffsetProperties) AppendTo(b []byte) []byte {
	b = append(b, m.KeyField)
	b = binary.BigEndian.AppendUint32(b, uint32(m.CurrentOffset))
	b = binary.BigEndian.AppendUint32(b, uint32(m.JumpSeconds))
	b = binary.BigEndian.AppendUint16(b, uint16(m.TimeOfNextJump>>32))
	b = binary.BigEndian.AppendUint32(b, uint32(m.TimeOfNextJump))
	return append(b, 0)
}

// MgmtTransparentClockDefaultDataSet is TRANSPARENT_CLOCK_DEFAULT_DATA_SET's
// data field (1588-2008 §15.5.3): transparentClockDefaultDS.
type MgmtTransparentClockDefaultDataSet struct {
	ClockIdentity  ClockIdentity
	NumberPorts    uint16
	DelayMechanism DelayMechanism
	PrimaryDomain  uint8
}

// Decode decodes b into m.
func (m *MgmtTransparentClockDefaultDataSet) Decode(b []byte) error {
	*m = MgmtTransparentClockDefaultDataSet{}
	if err := mgmtNeed(b, 12); err != nil {
		return err
	}
	*m = MgmtTransparentClockDefaultDataSet{ClockIdentity(b[0:8]), mgmtBE16(b[8:]), DelayMechanism(b[10]), b[11]}
	return nil
}

// AppendTo appends m's data field.
func (m *MgmtTransparentClockDefaultDataSet) AppendTo(b []byte) []byte {
	b = append(b, m.ClockIdentity[:]...)
	b = binary.BigEndian.AppendUint16(b, m.NumberPorts)
	return append(b, uint8(m.DelayMechanism), m.PrimaryDomain)
}

// MgmtTransparentClockPortDataSet is TRANSPARENT_CLOCK_PORT_DATA_SET's data
// field (1588-2008 §15.5.3): transparentClockPortDS.
type MgmtTransparentClockPortDataSet struct {
	PortIdentity            PortIdentity
	FaultyFlag              bool // flags bit 0, FLT
	LogMinPdelayReqInterval int8
	PeerMeanPathDelay       TimeInterval
}

// Decode decodes b into m.
func (m *MgmtTransparentClockPortDataSet) Decode(b []byte) error {
	*m = MgmtTransparentClockPortDataSet{}
	if err := mgmtNeed(b, 20); err != nil {
		return err
	}
	*m = MgmtTransparentClockPortDataSet{mgmtReadPortIdentity(b), b[10]&1 != 0, int8(b[11]), TimeInterval(mgmtBE64(b[12:]))}
	return nil
}

// AppendTo appends m's data field.
func (m *MgmtTransparentClockPortDataSet) AppendTo(b []byte) []byte {
	b = appendPortIdentity(b, m.PortIdentity)
	b = append(b, mgmtB2U(m.FaultyFlag), uint8(m.LogMinPdelayReqInterval))
	return binary.BigEndian.AppendUint64(b, uint64(m.PeerMeanPathDelay))
}
