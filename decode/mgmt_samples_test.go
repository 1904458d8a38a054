package decode

// mgmtSample is one management ID with a data set whose every member
// holds a distinctive value.
type mgmtSample struct {
	id   ManagementID
	body ManagementBody
}

var (
	mgmtTestClock  = ClockIdentity{0x00, 0x1b, 0x21, 0xff, 0xfe, 0x12, 0x34, 0x56}
	mgmtTestClock2 = ClockIdentity{0xa0, 0x36, 0x9f, 0xff, 0xfe, 0x01, 0x02, 0x03}
	mgmtTestPort   = PortIdentity{mgmtTestClock, 1}
	mgmtTestPort2  = PortIdentity{mgmtTestClock2, 0x0203}
	mgmtTestCQ     = ClockQuality{Class: 6, Accuracy: 0x21, OffsetScaledLogVariance: 0x4e5d}
	mgmtTestTS     = Timestamp{Seconds: 0x0001_6a3b_c4d5, Nanoseconds: 123456789}
)

// mgmtAddresses returns n PortAddress entries in wire format: IPv4, IPv6
// and MAC in turn.
func mgmtAddresses(n int) []byte {
	var b []byte
	addrs := []PortAddress{
		{NetworkUDPIPv4, []byte{192, 0, 2, 1}},
		{NetworkUDPIPv6, []byte{0x20, 0x01, 0x0d, 0xb8, 15: 0x42}},
		{NetworkIEEE8023, []byte{0x00, 0x1b, 0x21, 0x12, 0x34, 0x56}},
	}
	for i := 0; i < n; i++ {
		b = addrs[i%len(addrs)].AppendTo(b)
	}
	return b
}

func mgmtFaultRecords() []byte {
	b := AppendFaultRecord(nil, &FaultRecord{FaultTime: mgmtTestTS, SeverityCode: 4,
		FaultName: PTPText("link"), FaultValue: PTPText("down"), FaultDescription: PTPText("carrier lost on eth0")})
	return AppendFaultRecord(b, &FaultRecord{FaultTime: Timestamp{Seconds: 1, Nanoseconds: 2}, SeverityCode: 2,
		FaultName: PTPText("servo"), FaultValue: PTPText("jump"), FaultDescription: PTPText("clock stepped")})
}

func mgmtUnicastEntries() []byte {
	b := AppendUnicastMasterEntryNP(nil, &UnicastMasterEntryNP{PortIdentity: mgmtTestPort, ClockQuality: mgmtTestCQ,
		Selected: true, PortState: UnicastHaveSyDy, Priority1: 128, Priority2: 127,
		Address: PortAddress{NetworkUDPIPv4, []byte{192, 0, 2, 7}}})
	return AppendUnicastMasterEntryNP(b, &UnicastMasterEntryNP{PortIdentity: mgmtTestPort2, ClockQuality: ClockQuality{248, 0xfe, 0xffff},
		PortState: UnicastWait, Priority1: 1, Priority2: 2,
		Address: PortAddress{NetworkUDPIPv6, []byte{0xfe, 0x80, 15: 1}}})
}

// mgmtSamples returns one sample per management ID that has a data set.
func mgmtSamples() []mgmtSample {
	var stats MgmtPortStatsNP
	stats.PortIdentity = mgmtTestPort
	for i := range stats.RxMsgType {
		stats.RxMsgType[i] = uint64(1000*i + 7)
		stats.TxMsgType[i] = uint64(2000*i + 3)
	}
	stats.Order = HostOrderLittle
	var sub MgmtSubscribeEventsNP
	sub.Duration = 180
	sub.Set(NotifyPortState)
	sub.Set(NotifyParentDataSet)
	sub.Set(NotifyCMLDS)
	sub.Bitmask[63] = 0x80

	return []mgmtSample{
		{MgmtIDClockDescription, &MgmtClockDescription{ClockType: ClockTypeOrdinary | ClockTypeBoundary,
			PhysicalLayerProtocol: PTPText("IEEE 802.3"), PhysicalAddress: []byte{0x00, 0x1b, 0x21, 0x12, 0x34, 0x56},
			ProtocolAddress:      PortAddress{NetworkUDPIPv4, []byte{192, 0, 2, 10}},
			ManufacturerIdentity: [3]byte{0x00, 0x1b, 0x21}, ProductDescription: PTPText("Intel;I210;0001"),
			RevisionData: PTPText("1;2.3;linuxptp 4.4"), UserDescription: PTPText("gm1;rack 7"),
			ProfileIdentity: [6]byte{0x00, 0x1b, 0x19, 0x00, 0x01, 0x00}}},
		{MgmtIDUserDescription, &MgmtUserDescription{PTPText("grandmaster;room 101")}},
		{MgmtIDInitialize, &MgmtInitialize{0x1234}},
		{MgmtIDFaultLog, &MgmtFaultLog{NumberOfFaultRecords: 2, Records: mgmtFaultRecords()}},
		{MgmtIDDefaultDataSet, &MgmtDefaultDataSet{TwoStepFlag: true, SlaveOnly: true, NumberPorts: 4, Priority1: 127,
			ClockQuality: mgmtTestCQ, Priority2: 126, ClockIdentity: mgmtTestClock, DomainNumber: 24}},
		{MgmtIDCurrentDataSet, &MgmtCurrentDataSet{StepsRemoved: 2, OffsetFromMaster: -123456789, MeanPathDelay: 987654321}},
		{MgmtIDParentDataSet, &MgmtParentDataSet{ParentPortIdentity: mgmtTestPort2, ParentStats: true,
			ObservedParentOffsetScaledLogVariance: 0x1234, ObservedParentClockPhaseChangeRate: -5000,
			GrandmasterPriority1: 100, GrandmasterClockQuality: mgmtTestCQ, GrandmasterPriority2: 101, GrandmasterIdentity: mgmtTestClock}},
		{MgmtIDTimePropertiesDataSet, &MgmtTimePropertiesDataSet{CurrentUTCOffset: 37,
			Flags: TimeFlagUTCOffsetValid | TimeFlagPTPTimescale | TimeFlagTimeTraceable | TimeFlagLeap61, TimeSource: TimeSourceGNSS}},
		{MgmtIDPortDataSet, &MgmtPortDataSet{PortIdentity: mgmtTestPort, PortState: PortStateSlave, LogMinDelayReqInterval: -4,
			PeerMeanPathDelay: 5 << 16, LogAnnounceInterval: 1, AnnounceReceiptTimeout: 3, LogSyncInterval: -3,
			DelayMechanism: DelayP2P, LogMinPdelayReqInterval: -2, VersionNumber: 2, MinorVersionNumber: 1}},
		{MgmtIDPriority1, &MgmtPriority1{128}},
		{MgmtIDPriority2, &MgmtPriority2{127}},
		{MgmtIDDomain, &MgmtDomain{44}},
		{MgmtIDSlaveOnly, &MgmtSlaveOnly{true}},
		{MgmtIDLogAnnounceInterval, &MgmtLogAnnounceInterval{-2}},
		{MgmtIDAnnounceReceiptTimeout, &MgmtAnnounceReceiptTimeout{4}},
		{MgmtIDLogSyncInterval, &MgmtLogSyncInterval{-7}},
		{MgmtIDVersionNumber, &MgmtVersionNumber{2, 1}},
		{MgmtIDTime, &MgmtTime{mgmtTestTS}},
		{MgmtIDClockAccuracy, &MgmtClockAccuracy{0x21}},
		{MgmtIDUTCProperties, &MgmtUTCProperties{-1, TimeFlagLeap59 | TimeFlagUTCOffsetValid}},
		{MgmtIDTraceabilityProperties, &MgmtTraceabilityProperties{TimeFlagTimeTraceable | TimeFlagFrequencyTraceable}},
		{MgmtIDTimescaleProperties, &MgmtTimescaleProperties{TimeFlagPTPTimescale, TimeSourceAtomicClock}},
		{MgmtIDUnicastNegotiationEnable, &MgmtUnicastNegotiationEnable{true}},
		{MgmtIDPathTraceList, &MgmtPathTraceList{append(append([]byte{}, mgmtTestClock[:]...), mgmtTestClock2[:]...)}},
		{MgmtIDPathTraceEnable, &MgmtPathTraceEnable{true}},
		{MgmtIDGrandmasterClusterTable, &MgmtGrandmasterClusterTable{LogQueryInterval: -1, ActualTableSize: 3, Addresses: mgmtAddresses(3)}},
		{MgmtIDUnicastMasterTable, &MgmtUnicastMasterTable{LogQueryInterval: 2, ActualTableSize: 2, Addresses: mgmtAddresses(2)}},
		{MgmtIDUnicastMasterMaxTableSize, &MgmtUnicastMasterMaxTableSize{0x0102}},
		{MgmtIDAcceptableMasterTable, &MgmtAcceptableMasterTable{ActualTableSize: 2,
			Entries: AppendAcceptableMaster(AppendAcceptableMaster(nil, AcceptableMaster{mgmtTestPort, 10}), AcceptableMaster{mgmtTestPort2, 20})}},
		{MgmtIDAcceptableMasterTableEnabled, &MgmtAcceptableMasterTableEnabled{true}},
		{MgmtIDAcceptableMasterMaxTableSize, &MgmtAcceptableMasterMaxTableSize{16}},
		{MgmtIDAlternateMaster, &MgmtAlternateMaster{true, -3, 2}},
		{MgmtIDAlternateTimeOffsetEnable, &MgmtAlternateTimeOffsetEnable{3, true}},
		{MgmtIDAlternateTimeOffsetName, &MgmtAlternateTimeOffsetName{3, PTPText("EST")}},
		{MgmtIDAlternateTimeOffsetMaxKey, &MgmtAlternateTimeOffsetMaxKey{7}},
		{MgmtIDAlternateTimeOffsetProperties, &MgmtAlternateTimeOffsetProperties{KeyField: 3, CurrentOffset: -18000,
			JumpSeconds: 3600, TimeOfNextJump: 0x0000_6543_2100}},
		{MgmtIDExternalPortConfigurationEnabled, &MgmtExternalPortConfigurationEnabled{true}},
		{MgmtIDMasterOnly, &MgmtMasterOnly{true}},
		{MgmtIDHoldoverUpgradeEnable, &MgmtHoldoverUpgradeEnable{true}},
		{MgmtIDExtPortConfigPortDataSet, &MgmtExtPortConfigPortDataSet{0x01, PortStatePassive}},
		{MgmtIDTransparentClockDefaultDataSet, &MgmtTransparentClockDefaultDataSet{mgmtTestClock, 8, DelayE2E, 3}},
		{MgmtIDTransparentClockPortDataSet, &MgmtTransparentClockPortDataSet{mgmtTestPort2, true, -1, 0x123456789}},
		{MgmtIDPrimaryDomain, &MgmtPrimaryDomain{5}},
		{MgmtIDDelayMechanism, &MgmtDelayMechanism{DelayNoMechanism}},
		{MgmtIDLogMinPdelayReqInterval, &MgmtLogMinPdelayReqInterval{-3}},

		{MgmtIDTimeStatusNP, &MgmtTimeStatusNP{MasterOffset: -42, IngressTime: 1_700_000_000_123_456_789,
			CumulativeScaledRateOffset: -1234, ScaledLastGmPhaseChange: 77, GmTimeBaseIndicator: 9,
			LastGmPhaseChange: MgmtScaledNs{1, 0x0102030405060708, 0x8000}, GmPresent: true, GmIdentity: mgmtTestClock2}},
		{MgmtIDGrandmasterSettingsNP, &MgmtGrandmasterSettingsNP{mgmtTestCQ, 37,
			TimeFlagPTPTimescale | TimeFlagUTCOffsetValid | TimeFlagFrequencyTraceable, TimeSourceInternalOscillator}},
		{MgmtIDPortDataSetNP, &MgmtPortDataSetNP{800, true}},
		{MgmtIDSubscribeEventsNP, &sub},
		{MgmtIDPortPropertiesNP, &MgmtPortPropertiesNP{mgmtTestPort, PortStateMaster, TimestampingHardware, PTPText("enp1s0f0")}},
		{MgmtIDPortStatsNP, &stats},
		{MgmtIDSynchronizationUncertainNP, &MgmtSynchronizationUncertainNP{0xff}},
		{MgmtIDPortServiceStatsNP, &MgmtPortServiceStatsNP{PortIdentity: mgmtTestPort, AnnounceTimeout: 1, SyncTimeout: 2,
			DelayTimeout: 3, UnicastServiceTimeout: 4, UnicastRequestTimeout: 5, MasterAnnounceTimeout: 6,
			MasterSyncTimeout: 7, QualificationTimeout: 8, SyncMismatch: 9, FollowupMismatch: 100000, Order: HostOrderLittle}},
		{MgmtIDUnicastMasterTableNP, &MgmtUnicastMasterTableNP{2, mgmtUnicastEntries()}},
		{MgmtIDPortHWClockNP, &MgmtPortHWClockNP{mgmtTestPort, 3, 1}},
		{MgmtIDPowerProfileSettingsNP, &MgmtPowerProfileSettingsNP{PowerProfile2017, 0x00ff, 50, 200, 1000}},
		{MgmtIDCMLDSInfoNP, &MgmtCMLDSInfoNP{MeanLinkDelay: 1234 << 16, ScaledNeighborRateRatio: -300, AsCapable: 1}},
		{MgmtIDPortCorrectionsNP, &MgmtPortCorrectionsNP{EgressLatency: 100 << 16, IngressLatency: 200 << 16,
			DelayAsymmetry: -50 << 16, Order: HostOrderLittle}},
		{MgmtIDExternalGrandmasterPropertiesNP, &MgmtExternalGrandmasterPropertiesNP{mgmtTestClock2, 3}},
	}
}
