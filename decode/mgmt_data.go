package decode

// ManagementBody is the data field of one management ID: every Mgmt* type
// of this package.
type ManagementBody interface {
	// Decode resets the body and decodes the data field b into it.
	Decode(b []byte) error
	// AppendTo appends the data field, padded to even length.
	AppendTo(b []byte) []byte
}

// ManagementData holds the decoded data field of a MANAGEMENT TLV, in the
// way of a union: one member per data set, of which only the one named by
// ID is meaningful after DecodeManagementData. The caller owns it and
// reuses it; decoding overwrites only the member it fills, so it costs the
// same whatever the struct's size, and the other members keep whatever
// earlier calls left there.
//
// Byte slices in the members alias the decoded data field.
type ManagementData struct {
	ID ManagementID
	// Empty reports a data field with no octets: a GET, or a COMMAND such
	// as ENABLE_PORT that carries none. No member is filled.
	Empty bool
	// Raw is the whole data field as given, pad octet included.
	Raw []byte
	// HostOrder is a setting, not a result: how to read the linuxptp data
	// sets sent in host byte order (PORT_STATS_NP, PORT_SERVICE_STATS_NP,
	// PORT_CORRECTIONS_NP). DecodeManagementData reads it and leaves it
	// as it is; the zero value detects the order per message.
	HostOrder HostOrder

	ClockDescription                 MgmtClockDescription
	UserDescription                  MgmtUserDescription
	Initialize                       MgmtInitialize
	FaultLog                         MgmtFaultLog
	DefaultDataSet                   MgmtDefaultDataSet
	CurrentDataSet                   MgmtCurrentDataSet
	ParentDataSet                    MgmtParentDataSet
	TimePropertiesDataSet            MgmtTimePropertiesDataSet
	PortDataSet                      MgmtPortDataSet
	Priority1                        MgmtPriority1
	Priority2                        MgmtPriority2
	Domain                           MgmtDomain
	SlaveOnly                        MgmtSlaveOnly
	LogAnnounceInterval              MgmtLogAnnounceInterval
	AnnounceReceiptTimeout           MgmtAnnounceReceiptTimeout
	LogSyncInterval                  MgmtLogSyncInterval
	VersionNumber                    MgmtVersionNumber
	Time                             MgmtTime
	ClockAccuracy                    MgmtClockAccuracy
	UTCProperties                    MgmtUTCProperties
	TraceabilityProperties           MgmtTraceabilityProperties
	TimescaleProperties              MgmtTimescaleProperties
	UnicastNegotiationEnable         MgmtUnicastNegotiationEnable
	PathTraceList                    MgmtPathTraceList
	PathTraceEnable                  MgmtPathTraceEnable
	GrandmasterClusterTable          MgmtGrandmasterClusterTable
	UnicastMasterTable               MgmtUnicastMasterTable
	UnicastMasterMaxTableSize        MgmtUnicastMasterMaxTableSize
	AcceptableMasterTable            MgmtAcceptableMasterTable
	AcceptableMasterTableEnabled     MgmtAcceptableMasterTableEnabled
	AcceptableMasterMaxTableSize     MgmtAcceptableMasterMaxTableSize
	AlternateMaster                  MgmtAlternateMaster
	AlternateTimeOffsetEnable        MgmtAlternateTimeOffsetEnable
	AlternateTimeOffsetName          MgmtAlternateTimeOffsetName
	AlternateTimeOffsetMaxKey        MgmtAlternateTimeOffsetMaxKey
	AlternateTimeOffsetProperties    MgmtAlternateTimeOffsetProperties
	ExternalPortConfigurationEnabled MgmtExternalPortConfigurationEnabled
	MasterOnly                       MgmtMasterOnly
	HoldoverUpgradeEnable            MgmtHoldoverUpgradeEnable
	ExtPortConfigPortDataSet         MgmtExtPortConfigPortDataSet
	TransparentClockDefaultDataSet   MgmtTransparentClockDefaultDataSet
	TransparentClockPortDataSet      MgmtTransparentClockPortDataSet
	PrimaryDomain                    MgmtPrimaryDomain
	DelayMechanism                   MgmtDelayMechanism
	LogMinPdelayReqInterval          MgmtLogMinPdelayReqInterval

	TimeStatusNP                    MgmtTimeStatusNP
	GrandmasterSettingsNP           MgmtGrandmasterSettingsNP
	PortDataSetNP                   MgmtPortDataSetNP
	SubscribeEventsNP               MgmtSubscribeEventsNP
	PortPropertiesNP                MgmtPortPropertiesNP
	PortStatsNP                     MgmtPortStatsNP
	SynchronizationUncertainNP      MgmtSynchronizationUncertainNP
	PortServiceStatsNP              MgmtPortServiceStatsNP
	UnicastMasterTableNP            MgmtUnicastMasterTableNP
	PortHWClockNP                   MgmtPortHWClockNP
	PowerProfileSettingsNP          MgmtPowerProfileSettingsNP
	CMLDSInfoNP                     MgmtCMLDSInfoNP
	PortCorrectionsNP               MgmtPortCorrectionsNP
	ExternalGrandmasterPropertiesNP MgmtExternalGrandmasterPropertiesNP
}

// Body returns the member that holds id's data set, or nil for IDs that
// carry no data (NULL_PTP_MANAGEMENT, SAVE_IN_NON_VOLATILE_STORAGE,
// RESET_NON_VOLATILE_STORAGE, FAULT_LOG_RESET, ENABLE_PORT, DISABLE_PORT)
// and for unknown IDs. It does not allocate.
func (d *ManagementData) Body(id ManagementID) ManagementBody {
	switch id {
	case MgmtIDClockDescription:
		return &d.ClockDescription
	case MgmtIDUserDescription:
		return &d.UserDescription
	case MgmtIDInitialize:
		return &d.Initialize
	case MgmtIDFaultLog:
		return &d.FaultLog
	case MgmtIDDefaultDataSet:
		return &d.DefaultDataSet
	case MgmtIDCurrentDataSet:
		return &d.CurrentDataSet
	case MgmtIDParentDataSet:
		return &d.ParentDataSet
	case MgmtIDTimePropertiesDataSet:
		return &d.TimePropertiesDataSet
	case MgmtIDPortDataSet:
		return &d.PortDataSet
	case MgmtIDPriority1:
		return &d.Priority1
	case MgmtIDPriority2:
		return &d.Priority2
	case MgmtIDDomain:
		return &d.Domain
	case MgmtIDSlaveOnly:
		return &d.SlaveOnly
	case MgmtIDLogAnnounceInterval:
		return &d.LogAnnounceInterval
	case MgmtIDAnnounceReceiptTimeout:
		return &d.AnnounceReceiptTimeout
	case MgmtIDLogSyncInterval:
		return &d.LogSyncInterval
	case MgmtIDVersionNumber:
		return &d.VersionNumber
	case MgmtIDTime:
		return &d.Time
	case MgmtIDClockAccuracy:
		return &d.ClockAccuracy
	case MgmtIDUTCProperties:
		return &d.UTCProperties
	case MgmtIDTraceabilityProperties:
		return &d.TraceabilityProperties
	case MgmtIDTimescaleProperties:
		return &d.TimescaleProperties
	case MgmtIDUnicastNegotiationEnable:
		return &d.UnicastNegotiationEnable
	case MgmtIDPathTraceList:
		return &d.PathTraceList
	case MgmtIDPathTraceEnable:
		return &d.PathTraceEnable
	case MgmtIDGrandmasterClusterTable:
		return &d.GrandmasterClusterTable
	case MgmtIDUnicastMasterTable:
		return &d.UnicastMasterTable
	case MgmtIDUnicastMasterMaxTableSize:
		return &d.UnicastMasterMaxTableSize
	case MgmtIDAcceptableMasterTable:
		return &d.AcceptableMasterTable
	case MgmtIDAcceptableMasterTableEnabled:
		return &d.AcceptableMasterTableEnabled
	case MgmtIDAcceptableMasterMaxTableSize:
		return &d.AcceptableMasterMaxTableSize
	case MgmtIDAlternateMaster:
		return &d.AlternateMaster
	case MgmtIDAlternateTimeOffsetEnable:
		return &d.AlternateTimeOffsetEnable
	case MgmtIDAlternateTimeOffsetName:
		return &d.AlternateTimeOffsetName
	case MgmtIDAlternateTimeOffsetMaxKey:
		return &d.AlternateTimeOffsetMaxKey
	case MgmtIDAlternateTimeOffsetProperties:
		return &d.AlternateTimeOffsetProperties
	case MgmtIDExternalPortConfigurationEnabled:
		return &d.ExternalPortConfigurationEnabled
	case MgmtIDMasterOnly:
		return &d.MasterOnly
	case MgmtIDHoldoverUpgradeEnable:
		return &d.HoldoverUpgradeEnable
	case MgmtIDExtPortConfigPortDataSet:
		return &d.ExtPortConfigPortDataSet
	case MgmtIDTransparentClockDefaultDataSet:
		return &d.TransparentClockDefaultDataSet
	case MgmtIDTransparentClockPortDataSet:
		return &d.TransparentClockPortDataSet
	case MgmtIDPrimaryDomain:
		return &d.PrimaryDomain
	case MgmtIDDelayMechanism:
		return &d.DelayMechanism
	case MgmtIDLogMinPdelayReqInterval:
		return &d.LogMinPdelayReqInterval
	case MgmtIDTimeStatusNP:
		return &d.TimeStatusNP
	case MgmtIDGrandmasterSettingsNP:
		return &d.GrandmasterSettingsNP
	case MgmtIDPortDataSetNP:
		return &d.PortDataSetNP
	case MgmtIDSubscribeEventsNP:
		return &d.SubscribeEventsNP
	case MgmtIDPortPropertiesNP:
		return &d.PortPropertiesNP
	case MgmtIDPortStatsNP:
		return &d.PortStatsNP
	case MgmtIDSynchronizationUncertainNP:
		return &d.SynchronizationUncertainNP
	case MgmtIDPortServiceStatsNP:
		return &d.PortServiceStatsNP
	case MgmtIDUnicastMasterTableNP:
		return &d.UnicastMasterTableNP
	case MgmtIDPortHWClockNP:
		return &d.PortHWClockNP
	case MgmtIDPowerProfileSettingsNP:
		return &d.PowerProfileSettingsNP
	case MgmtIDCMLDSInfoNP:
		return &d.CMLDSInfoNP
	case MgmtIDPortCorrectionsNP:
		return &d.PortCorrectionsNP
	case MgmtIDExternalGrandmasterPropertiesNP:
		return &d.ExternalGrandmasterPropertiesNP
	}
	return nil
}

// DecodeManagementData decodes the data field of a MANAGEMENT TLV with
// managementId id (ManagementHeader.Data) into the member of out that id
// names, and sets out.ID, out.Raw and out.Empty. An empty data field, as a
// GET carries, decodes without error and fills no member. A known ID
// without data set ignores any octets given; an unknown ID with octets
// returns ErrMgmtUnknownID. Other errors are ErrMgmtShort and
// ErrMgmtBadLength; the member then holds what could be read.
//
// It does not allocate, and its cost does not depend on the size of out:
// decoding a PARENT_DATA_SET response takes a few tens of nanoseconds.
func DecodeManagementData(id ManagementID, data []byte, out *ManagementData) error {
	out.ID = id
	out.Raw = data
	out.Empty = len(data) == 0
	if out.Empty {
		return nil
	}
	// The data sets a monitor polls come first, called directly so the
	// common responses skip the interface call.
	switch id {
	case MgmtIDParentDataSet:
		return out.ParentDataSet.Decode(data)
	case MgmtIDPortDataSet:
		return out.PortDataSet.Decode(data)
	case MgmtIDCurrentDataSet:
		return out.CurrentDataSet.Decode(data)
	case MgmtIDDefaultDataSet:
		return out.DefaultDataSet.Decode(data)
	case MgmtIDTimePropertiesDataSet:
		return out.TimePropertiesDataSet.Decode(data)
	case MgmtIDClockDescription:
		return out.ClockDescription.Decode(data)
	case MgmtIDPortStatsNP:
		return out.PortStatsNP.DecodeOrder(data, out.HostOrder)
	case MgmtIDPortServiceStatsNP:
		return out.PortServiceStatsNP.DecodeOrder(data, out.HostOrder)
	case MgmtIDPortCorrectionsNP:
		return out.PortCorrectionsNP.DecodeOrder(data, out.HostOrder)
	}
	if body := out.Body(id); body != nil {
		return body.Decode(data)
	}
	if id.IsKnown() {
		return nil // a command or NULL_PTP_MANAGEMENT: no data set
	}
	return ErrMgmtUnknownID
}

// AppendManagementData appends the data field for d.ID, taken from the
// member of d that ID names, to b: what a SET, COMMAND or RESPONSE carries
// in ManagementHeader.Data. IDs without data set append nothing; unknown
// IDs append d.Raw. Use AppendManagementGet for GET requests.
func AppendManagementData(b []byte, d *ManagementData) []byte {
	if body := d.Body(d.ID); body != nil {
		return body.AppendTo(b)
	}
	if d.ID.IsKnown() {
		return b
	}
	return append(b, d.Raw...)
}

// AppendManagementGet appends the data field of a GET for id. A GET may
// carry no data at all; linuxptp's pmc instead sends the data set with
// every member zero (for CLOCK_DESCRIPTION, 22 octets of empty texts and
// addresses), unless given -z, and ptp4l answers both. zeroFill chooses
// pmc's form, which some implementations require. It does not allocate
// when b has room.
func AppendManagementGet(b []byte, id ManagementID, zeroFill bool) []byte {
	if !zeroFill {
		return b
	}
	n, _ := id.DataLength()
	for i := 0; i < n+n&1; i++ {
		b = append(b, 0)
	}
	return b
}
