package decode

// Management IDs of IEEE 1588-2019 Table 59 (§15.5.2.3), with the 2008
// edition's transparent-clock IDs that 2019 deprecates but still lists, and
// the implementation-specific IDs of linuxptp (range 0xC000-0xDFFF). The
// comment after each names the body type DecodeManagementData fills.
const (
	// Applicable to all PTP Instances.
	MgmtIDNullPTPManagement        ManagementID = 0x0000 // no data (NULL_MANAGEMENT in 1588-2008)
	MgmtIDClockDescription         ManagementID = 0x0001 // MgmtClockDescription
	MgmtIDUserDescription          ManagementID = 0x0002 // MgmtUserDescription
	MgmtIDSaveInNonVolatileStorage ManagementID = 0x0003 // no data
	MgmtIDResetNonVolatileStorage  ManagementID = 0x0004 // no data
	MgmtIDInitialize               ManagementID = 0x0005 // MgmtInitialize
	MgmtIDFaultLog                 ManagementID = 0x0006 // MgmtFaultLog
	MgmtIDFaultLogReset            ManagementID = 0x0007 // no data

	// Applicable to ordinary and boundary clocks.
	MgmtIDDefaultDataSet                ManagementID = 0x2000 // MgmtDefaultDataSet
	MgmtIDCurrentDataSet                ManagementID = 0x2001 // MgmtCurrentDataSet
	MgmtIDParentDataSet                 ManagementID = 0x2002 // MgmtParentDataSet
	MgmtIDTimePropertiesDataSet         ManagementID = 0x2003 // MgmtTimePropertiesDataSet
	MgmtIDPortDataSet                   ManagementID = 0x2004 // MgmtPortDataSet
	MgmtIDPriority1                     ManagementID = 0x2005 // MgmtPriority1
	MgmtIDPriority2                     ManagementID = 0x2006 // MgmtPriority2
	MgmtIDDomain                        ManagementID = 0x2007 // MgmtDomain
	MgmtIDSlaveOnly                     ManagementID = 0x2008 // MgmtSlaveOnly
	MgmtIDLogAnnounceInterval           ManagementID = 0x2009 // MgmtLogAnnounceInterval
	MgmtIDAnnounceReceiptTimeout        ManagementID = 0x200A // MgmtAnnounceReceiptTimeout
	MgmtIDLogSyncInterval               ManagementID = 0x200B // MgmtLogSyncInterval
	MgmtIDVersionNumber                 ManagementID = 0x200C // MgmtVersionNumber
	MgmtIDEnablePort                    ManagementID = 0x200D // no data
	MgmtIDDisablePort                   ManagementID = 0x200E // no data
	MgmtIDTime                          ManagementID = 0x200F // MgmtTime
	MgmtIDClockAccuracy                 ManagementID = 0x2010 // MgmtClockAccuracy
	MgmtIDUTCProperties                 ManagementID = 0x2011 // MgmtUTCProperties
	MgmtIDTraceabilityProperties        ManagementID = 0x2012 // MgmtTraceabilityProperties
	MgmtIDTimescaleProperties           ManagementID = 0x2013 // MgmtTimescaleProperties
	MgmtIDUnicastNegotiationEnable      ManagementID = 0x2014 // MgmtUnicastNegotiationEnable
	MgmtIDPathTraceList                 ManagementID = 0x2015 // MgmtPathTraceList
	MgmtIDPathTraceEnable               ManagementID = 0x2016 // MgmtPathTraceEnable
	MgmtIDGrandmasterClusterTable       ManagementID = 0x2017 // MgmtGrandmasterClusterTable
	MgmtIDUnicastMasterTable            ManagementID = 0x2018 // MgmtUnicastMasterTable
	MgmtIDUnicastMasterMaxTableSize     ManagementID = 0x2019 // MgmtUnicastMasterMaxTableSize
	MgmtIDAcceptableMasterTable         ManagementID = 0x201A // MgmtAcceptableMasterTable
	MgmtIDAcceptableMasterTableEnabled  ManagementID = 0x201B // MgmtAcceptableMasterTableEnabled
	MgmtIDAcceptableMasterMaxTableSize  ManagementID = 0x201C // MgmtAcceptableMasterMaxTableSize
	MgmtIDAlternateMaster               ManagementID = 0x201D // MgmtAlternateMaster
	MgmtIDAlternateTimeOffsetEnable     ManagementID = 0x201E // MgmtAlternateTimeOffsetEnable
	MgmtIDAlternateTimeOffsetName       ManagementID = 0x201F // MgmtAlternateTimeOffsetName
	MgmtIDAlternateTimeOffsetMaxKey     ManagementID = 0x2020 // MgmtAlternateTimeOffsetMaxKey
	MgmtIDAlternateTimeOffsetProperties ManagementID = 0x2021 // MgmtAlternateTimeOffsetProperties

	// Added by 1588-2019 (external port configuration, holdover upgrade).
	MgmtIDExternalPortConfigurationEnabled ManagementID = 0x3000 // MgmtExternalPortConfigurationEnabled
	MgmtIDMasterOnly                       ManagementID = 0x3001 // MgmtMasterOnly
	MgmtIDHoldoverUpgradeEnable            ManagementID = 0x3002 // MgmtHoldoverUpgradeEnable
	MgmtIDExtPortConfigPortDataSet         ManagementID = 0x3003 // MgmtExtPortConfigPortDataSet

	// Applicable to transparent clocks. 1588-2019 deprecates the 2008
	// transparent clock data sets (it models transparent clocks with
	// per-instance data sets instead) but keeps the IDs in Table 59.
	MgmtIDTransparentClockDefaultDataSet ManagementID = 0x4000 // MgmtTransparentClockDefaultDataSet
	MgmtIDTransparentClockPortDataSet    ManagementID = 0x4001 // MgmtTransparentClockPortDataSet
	MgmtIDPrimaryDomain                  ManagementID = 0x4002 // MgmtPrimaryDomain

	// Applicable to ordinary, boundary and transparent clocks.
	MgmtIDDelayMechanism          ManagementID = 0x6000 // MgmtDelayMechanism
	MgmtIDLogMinPdelayReqInterval ManagementID = 0x6001 // MgmtLogMinPdelayReqInterval

	// linuxptp's implementation-specific IDs ("_NP": not portable), as
	// linuxptp's tlv.h defines them (releases 3.x and 4.x).
	MgmtIDTimeStatusNP                    ManagementID = 0xC000 // MgmtTimeStatusNP
	MgmtIDGrandmasterSettingsNP           ManagementID = 0xC001 // MgmtGrandmasterSettingsNP
	MgmtIDPortDataSetNP                   ManagementID = 0xC002 // MgmtPortDataSetNP
	MgmtIDSubscribeEventsNP               ManagementID = 0xC003 // MgmtSubscribeEventsNP
	MgmtIDPortPropertiesNP                ManagementID = 0xC004 // MgmtPortPropertiesNP
	MgmtIDPortStatsNP                     ManagementID = 0xC005 // MgmtPortStatsNP
	MgmtIDSynchronizationUncertainNP      ManagementID = 0xC006 // MgmtSynchronizationUncertainNP
	MgmtIDPortServiceStatsNP              ManagementID = 0xC007 // MgmtPortServiceStatsNP
	MgmtIDUnicastMasterTableNP            ManagementID = 0xC008 // MgmtUnicastMasterTableNP
	MgmtIDPortHWClockNP                   ManagementID = 0xC009 // MgmtPortHWClockNP
	MgmtIDPowerProfileSettingsNP          ManagementID = 0xC00A // MgmtPowerProfileSettingsNP
	MgmtIDCMLDSInfoNP                     ManagementID = 0xC00B // MgmtCMLDSInfoNP
	MgmtIDPortCorrectionsNP               ManagementID = 0xC00C // MgmtPortCorrectionsNP
	MgmtIDExternalGrandmasterPropertiesNP ManagementID = 0xC00D // MgmtExternalGrandmasterPropertiesNP
)

// mgmtIDInfo describes one known management ID: its Table 59 name, the
// length of its data field (before the pad octet that keeps the TLV even,
// §14.1.1), and whether it applies to a port rather than to the whole
// PTP Instance.
type mgmtIDInfo struct {
	id       ManagementID
	name     string
	size     uint16 // dataField length, the smallest one when variable; 0 for none
	variable bool   // the data set has PTPTexts or tables
	port     bool
}

var mgmtIDs = [...]mgmtIDInfo{
	{id: MgmtIDNullPTPManagement, name: "NULL_PTP_MANAGEMENT", port: true},
	{id: MgmtIDClockDescription, name: "CLOCK_DESCRIPTION", size: 22, variable: true, port: true},
	{id: MgmtIDUserDescription, name: "USER_DESCRIPTION", size: 1, variable: true},
	{id: MgmtIDSaveInNonVolatileStorage, name: "SAVE_IN_NON_VOLATILE_STORAGE"},
	{id: MgmtIDResetNonVolatileStorage, name: "RESET_NON_VOLATILE_STORAGE"},
	{id: MgmtIDInitialize, name: "INITIALIZE", size: 2},
	{id: MgmtIDFaultLog, name: "FAULT_LOG", size: 2, variable: true},
	{id: MgmtIDFaultLogReset, name: "FAULT_LOG_RESET"},
	{id: MgmtIDDefaultDataSet, name: "DEFAULT_DATA_SET", size: 20},
	{id: MgmtIDCurrentDataSet, name: "CURRENT_DATA_SET", size: 18},
	{id: MgmtIDParentDataSet, name: "PARENT_DATA_SET", size: 32},
	{id: MgmtIDTimePropertiesDataSet, name: "TIME_PROPERTIES_DATA_SET", size: 4},
	{id: MgmtIDPortDataSet, name: "PORT_DATA_SET", size: 26, port: true},
	{id: MgmtIDPriority1, name: "PRIORITY1", size: 2},
	{id: MgmtIDPriority2, name: "PRIORITY2", size: 2},
	{id: MgmtIDDomain, name: "DOMAIN", size: 2},
	{id: MgmtIDSlaveOnly, name: "SLAVE_ONLY", size: 2},
	{id: MgmtIDLogAnnounceInterval, name: "LOG_ANNOUNCE_INTERVAL", size: 2, port: true},
	{id: MgmtIDAnnounceReceiptTimeout, name: "ANNOUNCE_RECEIPT_TIMEOUT", size: 2, port: true},
	{id: MgmtIDLogSyncInterval, name: "LOG_SYNC_INTERVAL", size: 2, port: true},
	{id: MgmtIDVersionNumber, name: "VERSION_NUMBER", size: 2, port: true},
	{id: MgmtIDEnablePort, name: "ENABLE_PORT", port: true},
	{id: MgmtIDDisablePort, name: "DISABLE_PORT", port: true},
	{id: MgmtIDTime, name: "TIME", size: 10},
	{id: MgmtIDClockAccuracy, name: "CLOCK_ACCURACY", size: 2},
	{id: MgmtIDUTCProperties, name: "UTC_PROPERTIES", size: 4},
	{id: MgmtIDTraceabilityProperties, name: "TRACEABILITY_PROPERTIES", size: 2},
	{id: MgmtIDTimescaleProperties, name: "TIMESCALE_PROPERTIES", size: 2},
	{id: MgmtIDUnicastNegotiationEnable, name: "UNICAST_NEGOTIATION_ENABLE", size: 2, port: true},
	{id: MgmtIDPathTraceList, name: "PATH_TRACE_LIST", size: 0, variable: true},
	{id: MgmtIDPathTraceEnable, name: "PATH_TRACE_ENABLE", size: 2},
	{id: MgmtIDGrandmasterClusterTable, name: "GRANDMASTER_CLUSTER_TABLE", size: 2, variable: true},
	{id: MgmtIDUnicastMasterTable, name: "UNICAST_MASTER_TABLE", size: 3, variable: true, port: true},
	{id: MgmtIDUnicastMasterMaxTableSize, name: "UNICAST_MASTER_MAX_TABLE_SIZE", size: 2, port: true},
	{id: MgmtIDAcceptableMasterTable, name: "ACCEPTABLE_MASTER_TABLE", size: 2, variable: true},
	{id: MgmtIDAcceptableMasterTableEnabled, name: "ACCEPTABLE_MASTER_TABLE_ENABLED", size: 2, port: true},
	{id: MgmtIDAcceptableMasterMaxTableSize, name: "ACCEPTABLE_MASTER_MAX_TABLE_SIZE", size: 2},
	{id: MgmtIDAlternateMaster, name: "ALTERNATE_MASTER", size: 4, port: true},
	{id: MgmtIDAlternateTimeOffsetEnable, name: "ALTERNATE_TIME_OFFSET_ENABLE", size: 2},
	{id: MgmtIDAlternateTimeOffsetName, name: "ALTERNATE_TIME_OFFSET_NAME", size: 2, variable: true},
	{id: MgmtIDAlternateTimeOffsetMaxKey, name: "ALTERNATE_TIME_OFFSET_MAX_KEY", size: 2},
	{id: MgmtIDAlternateTimeOffsetProperties, name: "ALTERNATE_TIME_OFFSET_PROPERTIES", size: 16},
	{id: MgmtIDExternalPortConfigurationEnabled, name: "EXTERNAL_PORT_CONFIGURATION_ENABLED", size: 2},
	{id: MgmtIDMasterOnly, name: "MASTER_ONLY", size: 2, port: true},
	{id: MgmtIDHoldoverUpgradeEnable, name: "HOLDOVER_UPGRADE_ENABLE", size: 2},
	{id: MgmtIDExtPortConfigPortDataSet, name: "EXT_PORT_CONFIG_PORT_DATA_SET", size: 2, port: true},
	{id: MgmtIDTransparentClockDefaultDataSet, name: "TRANSPARENT_CLOCK_DEFAULT_DATA_SET", size: 12},
	{id: MgmtIDTransparentClockPortDataSet, name: "TRANSPARENT_CLOCK_PORT_DATA_SET", size: 20, port: true},
	{id: MgmtIDPrimaryDomain, name: "PRIMARY_DOMAIN", size: 2},
	{id: MgmtIDDelayMechanism, name: "DELAY_MECHANISM", size: 2, port: true},
	{id: MgmtIDLogMinPdelayReqInterval, name: "LOG_MIN_PDELAY_REQ_INTERVAL", size: 2, port: true},
	{id: MgmtIDTimeStatusNP, name: "TIME_STATUS_NP", size: 50},
	{id: MgmtIDGrandmasterSettingsNP, name: "GRANDMASTER_SETTINGS_NP", size: 8},
	{id: MgmtIDPortDataSetNP, name: "PORT_DATA_SET_NP", size: 8, port: true},
	{id: MgmtIDSubscribeEventsNP, name: "SUBSCRIBE_EVENTS_NP", size: 66},
	{id: MgmtIDPortPropertiesNP, name: "PORT_PROPERTIES_NP", size: 13, variable: true, port: true},
	{id: MgmtIDPortStatsNP, name: "PORT_STATS_NP", size: 266, port: true},
	{id: MgmtIDSynchronizationUncertainNP, name: "SYNCHRONIZATION_UNCERTAIN_NP", size: 2},
	{id: MgmtIDPortServiceStatsNP, name: "PORT_SERVICE_STATS_NP", size: 90, port: true},
	{id: MgmtIDUnicastMasterTableNP, name: "UNICAST_MASTER_TABLE_NP", size: 2, variable: true, port: true},
	{id: MgmtIDPortHWClockNP, name: "PORT_HWCLOCK_NP", size: 16, port: true},
	{id: MgmtIDPowerProfileSettingsNP, name: "POWER_PROFILE_SETTINGS_NP", size: 16, port: true},
	{id: MgmtIDCMLDSInfoNP, name: "CMLDS_INFO_NP", size: 16, port: true},
	{id: MgmtIDPortCorrectionsNP, name: "PORT_CORRECTIONS_NP", size: 24, port: true},
	{id: MgmtIDExternalGrandmasterPropertiesNP, name: "EXTERNAL_GRANDMASTER_PROPERTIES_NP", size: 10},
}

// mgmtIDIndex finds id in mgmtIDs, or returns -1. The table is sorted by
// ID, so a binary search keeps String cheap.
func mgmtIDIndex(id ManagementID) int {
	lo, hi := 0, len(mgmtIDs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if mgmtIDs[m].id < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(mgmtIDs) && mgmtIDs[lo].id == id {
		return lo
	}
	return -1
}

// IsKnown reports whether id is one of the IDs this package names: Table 59
// or linuxptp's.
func (id ManagementID) IsKnown() bool { return mgmtIDIndex(id) >= 0 }

// IsImplementationSpecific reports whether id lies in the range Table 59
// leaves to implementations (0xC000-0xDFFF), where linuxptp's IDs live.
func (id ManagementID) IsImplementationSpecific() bool { return id >= 0xC000 && id <= 0xDFFF }

// IsPortScoped reports whether id addresses a PTP port rather than the
// whole PTP Instance (the "port" column of Table 59 and the corresponding
// linuxptp definitions): a request for it to portNumber 0xFFFF gets one
// response per port.
func (id ManagementID) IsPortScoped() bool {
	i := mgmtIDIndex(id)
	return i >= 0 && mgmtIDs[i].port
}

// DataLength returns the length of id's data field before any pad octet,
// and whether that length is fixed. For data sets with texts or tables it
// returns the smallest length, that of all texts empty and all tables
// empty. IDs without data (commands such as ENABLE_PORT) return 0, true;
// unknown IDs return 0, false.
func (id ManagementID) DataLength() (n int, fixed bool) {
	i := mgmtIDIndex(id)
	if i < 0 {
		return 0, false
	}
	return int(mgmtIDs[i].size), !mgmtIDs[i].variable
}

// String returns the management ID's name from Table 59 (or linuxptp's
// name for its implementation-specific IDs), such as "PARENT_DATA_SET".
// Unassigned values read as RESERVED(0x....), IMPLEMENTATION_SPECIFIC(0x....)
// or PROFILE_SPECIFIC(0x....) according to their range.
func (id ManagementID) String() string {
	if i := mgmtIDIndex(id); i >= 0 {
		return mgmtIDs[i].name
	}
	var prefix string
	switch {
	case id.IsImplementationSpecific():
		prefix = "IMPLEMENTATION_SPECIFIC(0x"
	case id >= 0xE000 && id <= 0xFFFE:
		prefix = "PROFILE_SPECIFIC(0x"
	default:
		prefix = "RESERVED(0x"
	}
	return prefix + mgmtHex4(uint16(id)) + ")"
}

// mgmtHex4 formats v as four upper-case hex digits.
func mgmtHex4(v uint16) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[v>>12], digits[v>>8&0xf], digits[v>>4&0xf], digits[v&0xf]})
}

// ManagementErrorID is a managementErrorId (§15.5.4, Table 109).
type ManagementErrorID uint16

// Management error IDs of Table 109.
const (
	MgmtErrResponseTooBig ManagementErrorID = 0x0001
	MgmtErrNoSuchID       ManagementErrorID = 0x0002
	MgmtErrWrongLength    ManagementErrorID = 0x0003
	MgmtErrWrongValue     ManagementErrorID = 0x0004
	MgmtErrNotSetable     ManagementErrorID = 0x0005
	MgmtErrNotSupported   ManagementErrorID = 0x0006
	MgmtErrUnpopulated    ManagementErrorID = 0x0007 // new in 1588-2019
	MgmtErrGeneralError   ManagementErrorID = 0xFFFE
)

// String returns the error's name from Table 109, such as "NO_SUCH_ID".
// Unassigned values read as RESERVED(0x....), IMPLEMENTATION_SPECIFIC(0x....)
// (0xC000-0xDFFF) or PROFILE_SPECIFIC(0x....) (0xE000-0xFFFD).
func (e ManagementErrorID) String() string {
	switch e {
	case MgmtErrResponseTooBig:
		return "RESPONSE_TOO_BIG"
	case MgmtErrNoSuchID:
		return "NO_SUCH_ID"
	case MgmtErrWrongLength:
		return "WRONG_LENGTH"
	case MgmtErrWrongValue:
		return "WRONG_VALUE"
	case MgmtErrNotSetable:
		return "NOT_SETABLE"
	case MgmtErrNotSupported:
		return "NOT_SUPPORTED"
	case MgmtErrUnpopulated:
		return "UNPOPULATED"
	case MgmtErrGeneralError:
		return "GENERAL_ERROR"
	}
	switch {
	case e >= 0xC000 && e <= 0xDFFF:
		return "IMPLEMENTATION_SPECIFIC(0x" + mgmtHex4(uint16(e)) + ")"
	case e >= 0xE000 && e <= 0xFFFD:
		return "PROFILE_SPECIFIC(0x" + mgmtHex4(uint16(e)) + ")"
	}
	return "RESERVED(0x" + mgmtHex4(uint16(e)) + ")"
}

// describeManagementData lists a management TLV's data field at
// w.b[off:off+n]: one group named dataField holding the data set's members
// with their IEEE 1588 names. Reads stop at the end of the data field, so a
// data set cut short shows truncated members rather than octets of whatever
// follows the TLV.
func describeManagementData(w fieldWriter, id ManagementID, off, n int) {
	if n <= 0 || off < 0 || off > len(w.b) {
		return
	}
	end := off + n
	if end > len(w.b) {
		end = len(w.b)
	}
	d := fieldWriter{b: w.b[:end], out: w.out, f: w.f}
	g := d.group("dataField", off, n)
	g.f.Text = id.String()
	used := describeMgmtBody(g, id, off, n)
	if used < 0 {
		g.raw("data", off, n)
		return
	}
	if rest := n - used; rest > 0 {
		if rest == 1 {
			g.raw("pad", off+used, 1)
		} else {
			g.raw("trailing", off+used, rest)
		}
	}
}
