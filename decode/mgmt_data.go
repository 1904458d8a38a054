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
	if r := mgmtIDRow(id); r != nil && r.body != nil {
		return r.body(d)
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
	// common responses skip the table lookup and the interface call.
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
	}
	r := mgmtIDRow(id)
	switch {
	case r == nil:
		return ErrMgmtUnknownID
	case r.body == nil:
		return nil // a command or NULL_PTP_MANAGEMENT: no data set
	}
	body := r.body(out)
	if h, ok := body.(hostOrderBody); ok {
		return h.DecodeOrder(data, out.HostOrder)
	}
	return body.Decode(data)
}

// hostOrderBody is a data set that linuxptp sends partly in host byte
// order (PORT_STATS_NP, PORT_SERVICE_STATS_NP, PORT_CORRECTIONS_NP), so
// DecodeManagementData passes ManagementData.HostOrder to it.
type hostOrderBody interface {
	DecodeOrder(b []byte, o HostOrder) error
}

// AppendManagementData appends the data field for d.ID, taken from the
// member of d that ID names, to b: what a SET, COMMAND or RESPONSE carries
// in ManagementHeader.Data. IDs without data set append nothing; unknown
// IDs append d.Raw. Use AppendManagementGet for GET requests.
func AppendManagementData(b []byte, d *ManagementData) []byte {
	r := mgmtIDRow(d.ID)
	switch {
	case r == nil:
		return append(b, d.Raw...)
	case r.body == nil:
		return b
	}
	return r.body(d).AppendTo(b)
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
