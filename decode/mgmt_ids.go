package decode

// Management IDs of IEEE 1588-2019 Table 59 (§15.5.2.3), with the 2008
// edition's transparent-clock IDs that 2019 deprecates but still lists, and
// the implementation-specific IDs of linuxptp (range 0xC000-0xDFFF). The
// comment after each names the body type DecodeManagementData fills; the
// rest of what this package knows about an ID is its row in mgmtIDs.
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

// mgmtIDInfo is the one row that describes a known management ID, in the
// manner of gopacket's EnumMetadata: everything else about the ID (its
// name, its data set's length and scope, which member of ManagementData
// holds it, how the detail view lists it) is read from here.
type mgmtIDInfo struct {
	id       ManagementID
	name     string // Table 59's name, or linuxptp's
	size     uint16 // dataField length, the smallest one when variable; 0 for none
	variable bool   // the data set has PTPTexts or tables
	port     bool   // addresses a PTP port rather than the whole PTP Instance
	// body returns the member of d that holds the data set; nil for IDs
	// without data (commands, NULL_PTP_MANAGEMENT).
	body func(d *ManagementData) ManagementBody
	// layout lists a fixed-layout data set's members for the detail view;
	// describe does it for data sets with texts, tables or host-order
	// counters and returns the octets it explained. At most one is set,
	// and one is whenever body is.
	layout   []mgmtSpec
	describe func(w fieldWriter, off, n int) int
}

// mgmtIDs holds a row per known ID, sorted by ID.
var mgmtIDs = [...]mgmtIDInfo{
	{id: MgmtIDNullPTPManagement, name: "NULL_PTP_MANAGEMENT", port: true},
	{id: MgmtIDClockDescription, name: "CLOCK_DESCRIPTION", size: 22, variable: true, port: true,
		body: func(d *ManagementData) ManagementBody { return &d.ClockDescription }, describe: mgmtDescribeClockDescription},
	{id: MgmtIDUserDescription, name: "USER_DESCRIPTION", size: 1, variable: true,
		body: func(d *ManagementData) ManagementBody { return &d.UserDescription }, describe: mgmtDescribeUserDescription},
	{id: MgmtIDSaveInNonVolatileStorage, name: "SAVE_IN_NON_VOLATILE_STORAGE"},
	{id: MgmtIDResetNonVolatileStorage, name: "RESET_NON_VOLATILE_STORAGE"},
	{id: MgmtIDInitialize, name: "INITIALIZE", size: 2,
		body:   func(d *ManagementData) ManagementBody { return &d.Initialize },
		layout: []mgmtSpec{msU("initializationKey", 2)}},
	{id: MgmtIDFaultLog, name: "FAULT_LOG", size: 2, variable: true,
		body: func(d *ManagementData) ManagementBody { return &d.FaultLog }, describe: mgmtDescribeFaultLog},
	{id: MgmtIDFaultLogReset, name: "FAULT_LOG_RESET"},
	{id: MgmtIDDefaultDataSet, name: "DEFAULT_DATA_SET", size: 20,
		body: func(d *ManagementData) ManagementBody { return &d.DefaultDataSet },
		layout: []mgmtSpec{msFlags(mgmtBit{"twoStepFlag", 0x01}, mgmtBit{"slaveOnly", 0x02}), mgmtReserved1,
			msU("numberPorts", 2), msU("priority1", 1), msCQ("clockQuality"), msU("priority2", 1),
			msCI("clockIdentity"), msU("domainNumber", 1), mgmtReserved1}},
	{id: MgmtIDCurrentDataSet, name: "CURRENT_DATA_SET", size: 18,
		body:   func(d *ManagementData) ManagementBody { return &d.CurrentDataSet },
		layout: []mgmtSpec{msU("stepsRemoved", 2), msTI("offsetFromMaster"), msTI("meanPathDelay")}},
	{id: MgmtIDParentDataSet, name: "PARENT_DATA_SET", size: 32,
		body: func(d *ManagementData) ManagementBody { return &d.ParentDataSet },
		layout: []mgmtSpec{msPI("parentPortIdentity"), msFlags(mgmtBit{"parentStats", 0x01}), mgmtReserved1,
			msU("observedParentOffsetScaledLogVariance", 2), msS("observedParentClockPhaseChangeRate", 4),
			msU("grandmasterPriority1", 1), msCQ("grandmasterClockQuality"), msU("grandmasterPriority2", 1),
			msCI("grandmasterIdentity")}},
	{id: MgmtIDTimePropertiesDataSet, name: "TIME_PROPERTIES_DATA_SET", size: 4,
		body: func(d *ManagementData) ManagementBody { return &d.TimePropertiesDataSet },
		layout: []mgmtSpec{msS("currentUtcOffset", 2), msFlags(mgmtBitsTime...),
			msEnum("timeSource", 1, mgmtEnumTimeSource)}},
	{id: MgmtIDPortDataSet, name: "PORT_DATA_SET", size: 26, port: true,
		body: func(d *ManagementData) ManagementBody { return &d.PortDataSet },
		layout: []mgmtSpec{msPI("portIdentity"), msEnum("portState", 1, mgmtEnumPortState),
			msS("logMinDelayReqInterval", 1), msTI("peerMeanPathDelay"), msS("logAnnounceInterval", 1),
			msU("announceReceiptTimeout", 1), msS("logSyncInterval", 1),
			msEnum("delayMechanism", 1, mgmtEnumDelay), msS("logMinPdelayReqInterval", 1),
			{name: "versionNumber", kind: mkNibbles, n: 1, bits: mgmtBitsVerNum}}},
	{id: MgmtIDPriority1, name: "PRIORITY1", size: 2,
		body:   func(d *ManagementData) ManagementBody { return &d.Priority1 },
		layout: []mgmtSpec{msU("priority1", 1), mgmtReserved1}},
	{id: MgmtIDPriority2, name: "PRIORITY2", size: 2,
		body:   func(d *ManagementData) ManagementBody { return &d.Priority2 },
		layout: []mgmtSpec{msU("priority2", 1), mgmtReserved1}},
	{id: MgmtIDDomain, name: "DOMAIN", size: 2,
		body:   func(d *ManagementData) ManagementBody { return &d.Domain },
		layout: []mgmtSpec{msU("domainNumber", 1), mgmtReserved1}},
	{id: MgmtIDSlaveOnly, name: "SLAVE_ONLY", size: 2,
		body:   func(d *ManagementData) ManagementBody { return &d.SlaveOnly },
		layout: []mgmtSpec{msFlags(mgmtBit{"slaveOnly", 0x01}), mgmtReserved1}},
	{id: MgmtIDLogAnnounceInterval, name: "LOG_ANNOUNCE_INTERVAL", size: 2, port: true,
		body:   func(d *ManagementData) ManagementBody { return &d.LogAnnounceInterval },
		layout: []mgmtSpec{msS("logAnnounceInterval", 1), mgmtReserved1}},
	{id: MgmtIDAnnounceReceiptTimeout, name: "ANNOUNCE_RECEIPT_TIMEOUT", size: 2, port: true,
		body:   func(d *ManagementData) ManagementBody { return &d.AnnounceReceiptTimeout },
		layout: []mgmtSpec{msU("announceReceiptTimeout", 1), mgmtReserved1}},
	{id: MgmtIDLogSyncInterval, name: "LOG_SYNC_INTERVAL", size: 2, port: true,
		body:   func(d *ManagementData) ManagementBody { return &d.LogSyncInterval },
		layout: []mgmtSpec{msS("logSyncInterval", 1), mgmtReserved1}},
	{id: MgmtIDVersionNumber, name: "VERSION_NUMBER", size: 2, port: true,
		body:   func(d *ManagementData) ManagementBody { return &d.VersionNumber },
		layout: []mgmtSpec{{name: "versionNumber", kind: mkNibbles, n: 1, bits: mgmtBitsVerNum}, mgmtReserved1}},
	{id: MgmtIDEnablePort, name: "ENABLE_PORT", port: true},
	{id: MgmtIDDisablePort, name: "DISABLE_PORT", port: true},
	{id: MgmtIDTime, name: "TIME", size: 10,
		body:   func(d *ManagementData) ManagementBody { return &d.Time },
		layout: []mgmtSpec{{name: "currentTime", kind: mkTimestamp, n: 10}}},
	{id: MgmtIDClockAccuracy, name: "CLOCK_ACCURACY", size: 2,
		body:   func(d *ManagementData) ManagementBody { return &d.ClockAccuracy },
		layout: []mgmtSpec{msEnum("clockAccuracy", 1, mgmtEnumAccuracy), mgmtReserved1}},
	{id: MgmtIDUTCProperties, name: "UTC_PROPERTIES", size: 4,
		body:   func(d *ManagementData) ManagementBody { return &d.UTCProperties },
		layout: []mgmtSpec{msS("currentUtcOffset", 2), msFlags(mgmtBitsTime[:3]...), mgmtReserved1}},
	{id: MgmtIDTraceabilityProperties, name: "TRACEABILITY_PROPERTIES", size: 2,
		body:   func(d *ManagementData) ManagementBody { return &d.TraceabilityProperties },
		layout: []mgmtSpec{msFlags(mgmtBitsTime[4:6]...), mgmtReserved1}},
	{id: MgmtIDTimescaleProperties, name: "TIMESCALE_PROPERTIES", size: 2,
		body:   func(d *ManagementData) ManagementBody { return &d.TimescaleProperties },
		layout: []mgmtSpec{msFlags(mgmtBitsTime[3]), msEnum("timeSource", 1, mgmtEnumTimeSource)}},
	{id: MgmtIDUnicastNegotiationEnable, name: "UNICAST_NEGOTIATION_ENABLE", size: 2, port: true,
		body:   func(d *ManagementData) ManagementBody { return &d.UnicastNegotiationEnable },
		layout: []mgmtSpec{msFlags(mgmtBitEnable...), mgmtReserved1}},
	{id: MgmtIDPathTraceList, name: "PATH_TRACE_LIST", size: 0, variable: true,
		body: func(d *ManagementData) ManagementBody { return &d.PathTraceList }, describe: mgmtDescribePathTraceList},
	{id: MgmtIDPathTraceEnable, name: "PATH_TRACE_ENABLE", size: 2,
		body:   func(d *ManagementData) ManagementBody { return &d.PathTraceEnable },
		layout: []mgmtSpec{msFlags(mgmtBitEnable...), mgmtReserved1}},
	{id: MgmtIDGrandmasterClusterTable, name: "GRANDMASTER_CLUSTER_TABLE", size: 2, variable: true,
		body: func(d *ManagementData) ManagementBody { return &d.GrandmasterClusterTable }, describe: mgmtDescribeGrandmasterClusterTable},
	{id: MgmtIDUnicastMasterTable, name: "UNICAST_MASTER_TABLE", size: 3, variable: true, port: true,
		body: func(d *ManagementData) ManagementBody { return &d.UnicastMasterTable }, describe: mgmtDescribeUnicastMasterTable},
	{id: MgmtIDUnicastMasterMaxTableSize, name: "UNICAST_MASTER_MAX_TABLE_SIZE", size: 2, port: true,
		body:   func(d *ManagementData) ManagementBody { return &d.UnicastMasterMaxTableSize },
		layout: []mgmtSpec{msU("maxTableSize", 2)}},
	{id: MgmtIDAcceptableMasterTable, name: "ACCEPTABLE_MASTER_TABLE", size: 2, variable: true,
		body: func(d *ManagementData) ManagementBody { return &d.AcceptableMasterTable }, describe: mgmtDescribeAcceptableMasterTable},
	{id: MgmtIDAcceptableMasterTableEnabled, name: "ACCEPTABLE_MASTER_TABLE_ENABLED", size: 2, port: true,
		body:   func(d *ManagementData) ManagementBody { return &d.AcceptableMasterTableEnabled },
		layout: []mgmtSpec{msFlags(mgmtBitEnable...), mgmtReserved1}},
	{id: MgmtIDAcceptableMasterMaxTableSize, name: "ACCEPTABLE_MASTER_MAX_TABLE_SIZE", size: 2,
		body:   func(d *ManagementData) ManagementBody { return &d.AcceptableMasterMaxTableSize },
		layout: []mgmtSpec{msU("maxTableSize", 2)}},
	{id: MgmtIDAlternateMaster, name: "ALTERNATE_MASTER", size: 4, port: true,
		body: func(d *ManagementData) ManagementBody { return &d.AlternateMaster },
		layout: []mgmtSpec{msFlags(mgmtBit{"transmitAlternateMulticastSync", 0x01}),
			msS("logAlternateMulticastSyncInterval", 1), msU("numberOfAlternateMasters", 1), mgmtReserved1}},
	{id: MgmtIDAlternateTimeOffsetEnable, name: "ALTERNATE_TIME_OFFSET_ENABLE", size: 2,
		body:   func(d *ManagementData) ManagementBody { return &d.AlternateTimeOffsetEnable },
		layout: []mgmtSpec{msU("keyField", 1), msFlags(mgmtBitEnable...)}},
	{id: MgmtIDAlternateTimeOffsetName, name: "ALTERNATE_TIME_OFFSET_NAME", size: 2, variable: true,
		body: func(d *ManagementData) ManagementBody { return &d.AlternateTimeOffsetName }, describe: mgmtDescribeAlternateTimeOffsetName},
	{id: MgmtIDAlternateTimeOffsetMaxKey, name: "ALTERNATE_TIME_OFFSET_MAX_KEY", size: 2,
		body:   func(d *ManagementData) ManagementBody { return &d.AlternateTimeOffsetMaxKey },
		layout: []mgmtSpec{msU("maxKey", 1), mgmtReserved1}},
	{id: MgmtIDAlternateTimeOffsetProperties, name: "ALTERNATE_TIME_OFFSET_PROPERTIES", size: 16,
		body: func(d *ManagementData) ManagementBody { return &d.AlternateTimeOffsetProperties },
		layout: []mgmtSpec{msU("keyField", 1), msS("currentOffset", 4), msS("jumpSeconds", 4),
			msU("timeOfNextJump", 6), mgmtReserved1}},
	{id: MgmtIDExternalPortConfigurationEnabled, name: "EXTERNAL_PORT_CONFIGURATION_ENABLED", size: 2,
		body:   func(d *ManagementData) ManagementBody { return &d.ExternalPortConfigurationEnabled },
		layout: []mgmtSpec{msFlags(mgmtBit{"externalPortConfigurationEnabled", 0x01}), mgmtReserved1}},
	{id: MgmtIDMasterOnly, name: "MASTER_ONLY", size: 2, port: true,
		body:   func(d *ManagementData) ManagementBody { return &d.MasterOnly },
		layout: []mgmtSpec{msFlags(mgmtBit{"masterOnly", 0x01}), mgmtReserved1}},
	{id: MgmtIDHoldoverUpgradeEnable, name: "HOLDOVER_UPGRADE_ENABLE", size: 2,
		body:   func(d *ManagementData) ManagementBody { return &d.HoldoverUpgradeEnable },
		layout: []mgmtSpec{msFlags(mgmtBitEnable...), mgmtReserved1}},
	{id: MgmtIDExtPortConfigPortDataSet, name: "EXT_PORT_CONFIG_PORT_DATA_SET", size: 2, port: true,
		body:   func(d *ManagementData) ManagementBody { return &d.ExtPortConfigPortDataSet },
		layout: []mgmtSpec{msHex("flags", 1), msEnum("desiredState", 1, mgmtEnumPortState)}},
	{id: MgmtIDTransparentClockDefaultDataSet, name: "TRANSPARENT_CLOCK_DEFAULT_DATA_SET", size: 12,
		body: func(d *ManagementData) ManagementBody { return &d.TransparentClockDefaultDataSet },
		layout: []mgmtSpec{msCI("clockIdentity"), msU("numberPorts", 2),
			msEnum("delayMechanism", 1, mgmtEnumDelay), msU("primaryDomain", 1)}},
	{id: MgmtIDTransparentClockPortDataSet, name: "TRANSPARENT_CLOCK_PORT_DATA_SET", size: 20, port: true,
		body: func(d *ManagementData) ManagementBody { return &d.TransparentClockPortDataSet },
		layout: []mgmtSpec{msPI("portIdentity"), msFlags(mgmtBit{"faultyFlag", 0x01}),
			msS("logMinPdelayReqInterval", 1), msTI("peerMeanPathDelay")}},
	{id: MgmtIDPrimaryDomain, name: "PRIMARY_DOMAIN", size: 2,
		body:   func(d *ManagementData) ManagementBody { return &d.PrimaryDomain },
		layout: []mgmtSpec{msU("primaryDomain", 1), mgmtReserved1}},
	{id: MgmtIDDelayMechanism, name: "DELAY_MECHANISM", size: 2, port: true,
		body:   func(d *ManagementData) ManagementBody { return &d.DelayMechanism },
		layout: []mgmtSpec{msEnum("delayMechanism", 1, mgmtEnumDelay), mgmtReserved1}},
	{id: MgmtIDLogMinPdelayReqInterval, name: "LOG_MIN_PDELAY_REQ_INTERVAL", size: 2, port: true,
		body:   func(d *ManagementData) ManagementBody { return &d.LogMinPdelayReqInterval },
		layout: []mgmtSpec{msS("logMinPdelayReqInterval", 1), mgmtReserved1}},
	{id: MgmtIDTimeStatusNP, name: "TIME_STATUS_NP", size: 50,
		body: func(d *ManagementData) ManagementBody { return &d.TimeStatusNP },
		layout: []mgmtSpec{msS("masterOffset", 8), msS("ingressTime", 8), msS("cumulativeScaledRateOffset", 4),
			msS("scaledLastGmPhaseChange", 4), msU("gmTimeBaseIndicator", 2), msHex("lastGmPhaseChange", 12),
			msS("gmPresent", 4), msCI("gmIdentity")}},
	{id: MgmtIDGrandmasterSettingsNP, name: "GRANDMASTER_SETTINGS_NP", size: 8,
		body: func(d *ManagementData) ManagementBody { return &d.GrandmasterSettingsNP },
		layout: []mgmtSpec{msCQ("clockQuality"), msS("currentUtcOffset", 2),
			{name: "timeFlags", kind: mkFlags, n: 1, bits: mgmtBitsTime},
			msEnum("timeSource", 1, mgmtEnumTimeSource)}},
	{id: MgmtIDPortDataSetNP, name: "PORT_DATA_SET_NP", size: 8, port: true,
		body:   func(d *ManagementData) ManagementBody { return &d.PortDataSetNP },
		layout: []mgmtSpec{msU("neighborPropDelayThresh", 4), msS("asCapable", 4)}},
	{id: MgmtIDSubscribeEventsNP, name: "SUBSCRIBE_EVENTS_NP", size: 66,
		body: func(d *ManagementData) ManagementBody { return &d.SubscribeEventsNP }, describe: mgmtDescribeSubscribeEventsNP},
	{id: MgmtIDPortPropertiesNP, name: "PORT_PROPERTIES_NP", size: 13, variable: true, port: true,
		body: func(d *ManagementData) ManagementBody { return &d.PortPropertiesNP }, describe: mgmtDescribePortPropertiesNP},
	{id: MgmtIDPortStatsNP, name: "PORT_STATS_NP", size: 266, port: true,
		body: func(d *ManagementData) ManagementBody { return &d.PortStatsNP }, describe: mgmtDescribePortStatsNP},
	{id: MgmtIDSynchronizationUncertainNP, name: "SYNCHRONIZATION_UNCERTAIN_NP", size: 2,
		body:   func(d *ManagementData) ManagementBody { return &d.SynchronizationUncertainNP },
		layout: []mgmtSpec{msEnum("uncertain", 1, mgmtEnumUncertainNP), mgmtReserved1}},
	{id: MgmtIDPortServiceStatsNP, name: "PORT_SERVICE_STATS_NP", size: 90, port: true,
		body: func(d *ManagementData) ManagementBody { return &d.PortServiceStatsNP }, describe: mgmtDescribePortServiceStatsNP},
	{id: MgmtIDUnicastMasterTableNP, name: "UNICAST_MASTER_TABLE_NP", size: 2, variable: true, port: true,
		body: func(d *ManagementData) ManagementBody { return &d.UnicastMasterTableNP }, describe: mgmtDescribeUnicastMasterTableNP},
	{id: MgmtIDPortHWClockNP, name: "PORT_HWCLOCK_NP", size: 16, port: true,
		body: func(d *ManagementData) ManagementBody { return &d.PortHWClockNP },
		layout: []mgmtSpec{msPI("portIdentity"), msS("phcIndex", 4), msFlags(mgmtBit{"vclock", 0x01}),
			mgmtReserved1}},
	{id: MgmtIDPowerProfileSettingsNP, name: "POWER_PROFILE_SETTINGS_NP", size: 16, port: true,
		body: func(d *ManagementData) ManagementBody { return &d.PowerProfileSettingsNP },
		layout: []mgmtSpec{msEnum("version", 2, mgmtEnumPowerProf), msHex("grandmasterID", 2),
			msU("grandmasterTimeInaccuracy", 4), msU("networkTimeInaccuracy", 4), msU("totalTimeInaccuracy", 4)}},
	{id: MgmtIDCMLDSInfoNP, name: "CMLDS_INFO_NP", size: 16, port: true,
		body:   func(d *ManagementData) ManagementBody { return &d.CMLDSInfoNP },
		layout: []mgmtSpec{msTI("meanLinkDelay"), msS("scaledNeighborRateRatio", 4), msU("asCapable", 4)}},
	{id: MgmtIDPortCorrectionsNP, name: "PORT_CORRECTIONS_NP", size: 24, port: true,
		body: func(d *ManagementData) ManagementBody { return &d.PortCorrectionsNP }, describe: mgmtDescribePortCorrectionsNP},
	{id: MgmtIDExternalGrandmasterPropertiesNP, name: "EXTERNAL_GRANDMASTER_PROPERTIES_NP", size: 10,
		body:   func(d *ManagementData) ManagementBody { return &d.ExternalGrandmasterPropertiesNP },
		layout: []mgmtSpec{msCI("gmIdentity"), msU("stepsRemoved", 2)}},
}

// mgmtIDRow returns id's row in mgmtIDs, or nil for an unknown ID. The
// table is sorted by ID, so a binary search keeps String cheap.
func mgmtIDRow(id ManagementID) *mgmtIDInfo {
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
		return &mgmtIDs[lo]
	}
	return nil
}

// IsKnown reports whether id is one of the IDs this package names: Table 59
// or linuxptp's.
func (id ManagementID) IsKnown() bool { return mgmtIDRow(id) != nil }

// IsImplementationSpecific reports whether id lies in the range Table 59
// leaves to implementations (0xC000-0xDFFF), where linuxptp's IDs live.
func (id ManagementID) IsImplementationSpecific() bool { return id >= 0xC000 && id <= 0xDFFF }

// IsPortScoped reports whether id addresses a PTP port rather than the
// whole PTP Instance (the "port" column of Table 59 and the corresponding
// linuxptp definitions): a request for it to portNumber 0xFFFF gets one
// response per port.
func (id ManagementID) IsPortScoped() bool {
	r := mgmtIDRow(id)
	return r != nil && r.port
}

// DataLength returns the length of id's data field before any pad octet,
// and whether that length is fixed. For data sets with texts or tables it
// returns the smallest length, that of all texts empty and all tables
// empty. IDs without data (commands such as ENABLE_PORT) return 0, true;
// unknown IDs return 0, false.
func (id ManagementID) DataLength() (n int, fixed bool) {
	r := mgmtIDRow(id)
	if r == nil {
		return 0, false
	}
	return int(r.size), !r.variable
}

// String returns the management ID's name from Table 59 (or linuxptp's
// name for its implementation-specific IDs), such as "PARENT_DATA_SET".
// Unassigned values read as RESERVED(0x....), IMPLEMENTATION_SPECIFIC(0x....)
// or PROFILE_SPECIFIC(0x....) according to their range.
func (id ManagementID) String() string {
	if r := mgmtIDRow(id); r != nil {
		return r.name
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
	d := fieldWriter{b: w.b[:end], l: w.l, g: w.g}
	g := d.group("dataField", off, n)
	g.setText(id.String())
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
