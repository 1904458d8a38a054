package manage

import (
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/ptpwatch/ptpwatch/decode"
)

// Field is one named value of a management answer, worded and formatted
// the way linuxptp's pmc prints it, so answers can be compared with pmc's
// line by line.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func b01(v bool) string {
	if v {
		return "1"
	}
	return "0"
}

func hex2(v uint8) string  { return fmt.Sprintf("0x%02x", v) }
func hex4(v uint16) string { return fmt.Sprintf("0x%04x", v) }
func i64(v int64) string   { return strconv.FormatInt(v, 10) }
func u64(v uint64) string  { return strconv.FormatUint(v, 10) }
func scaled(v decode.TimeInterval) string {
	return strconv.FormatFloat(float64(v)/65536, 'f', 1, 64)
}

// Describe decodes the data field of a management answer for id and
// returns its fields as pmc names and formats them, for the data sets a
// sweep asks; other IDs come back as one "data" field in hex. An error
// says the data field could not be decoded; the fields read so far are
// still returned.
func Describe(id decode.ManagementID, data []byte) ([]Field, error) {
	var d decode.ManagementData
	err := decode.DecodeManagementData(id, data, &d)
	f := func(n, v string) Field { return Field{n, v} }
	switch id {
	case decode.MgmtIDDefaultDataSet:
		x := &d.DefaultDataSet
		return []Field{f("twoStepFlag", b01(x.TwoStepFlag)), f("slaveOnly", b01(x.SlaveOnly)),
			f("numberPorts", u64(uint64(x.NumberPorts))), f("priority1", u64(uint64(x.Priority1))),
			f("clockClass", u64(uint64(x.ClockQuality.Class))), f("clockAccuracy", hex2(x.ClockQuality.Accuracy)),
			f("offsetScaledLogVariance", hex4(x.ClockQuality.OffsetScaledLogVariance)),
			f("priority2", u64(uint64(x.Priority2))), f("clockIdentity", x.ClockIdentity.String()),
			f("domainNumber", u64(uint64(x.DomainNumber)))}, err
	case decode.MgmtIDCurrentDataSet:
		x := &d.CurrentDataSet
		return []Field{f("stepsRemoved", u64(uint64(x.StepsRemoved))), f("offsetFromMaster", scaled(x.OffsetFromMaster)),
			f("meanPathDelay", scaled(x.MeanPathDelay))}, err
	case decode.MgmtIDParentDataSet:
		x := &d.ParentDataSet
		return []Field{f("parentPortIdentity", x.ParentPortIdentity.String()), f("parentStats", b01(x.ParentStats)),
			f("observedParentOffsetScaledLogVariance", hex4(x.ObservedParentOffsetScaledLogVariance)),
			f("observedParentClockPhaseChangeRate", fmt.Sprintf("0x%08x", uint32(x.ObservedParentClockPhaseChangeRate))),
			f("grandmasterPriority1", u64(uint64(x.GrandmasterPriority1))),
			f("gm.ClockClass", u64(uint64(x.GrandmasterClockQuality.Class))),
			f("gm.ClockAccuracy", hex2(x.GrandmasterClockQuality.Accuracy)),
			f("gm.OffsetScaledLogVariance", hex4(x.GrandmasterClockQuality.OffsetScaledLogVariance)),
			f("grandmasterPriority2", u64(uint64(x.GrandmasterPriority2))),
			f("grandmasterIdentity", x.GrandmasterIdentity.String())}, err
	case decode.MgmtIDTimePropertiesDataSet:
		x := &d.TimePropertiesDataSet
		fl := x.Flags
		return []Field{f("currentUtcOffset", i64(int64(x.CurrentUTCOffset))),
			f("leap61", b01(fl&1 != 0)), f("leap59", b01(fl&2 != 0)), f("currentUtcOffsetValid", b01(fl&4 != 0)),
			f("ptpTimescale", b01(fl&8 != 0)), f("timeTraceable", b01(fl&16 != 0)), f("frequencyTraceable", b01(fl&32 != 0)),
			f("timeSource", hex2(uint8(x.TimeSource)))}, err
	case decode.MgmtIDPortDataSet:
		x := &d.PortDataSet
		return []Field{f("portIdentity", x.PortIdentity.String()), f("portState", x.PortState.String()),
			f("logMinDelayReqInterval", i64(int64(x.LogMinDelayReqInterval))),
			f("peerMeanPathDelay", i64(int64(x.PeerMeanPathDelay)>>16)),
			f("logAnnounceInterval", i64(int64(x.LogAnnounceInterval))),
			f("announceReceiptTimeout", u64(uint64(x.AnnounceReceiptTimeout))),
			f("logSyncInterval", i64(int64(x.LogSyncInterval))), f("delayMechanism", u64(uint64(x.DelayMechanism))),
			f("logMinPdelayReqInterval", i64(int64(x.LogMinPdelayReqInterval))),
			f("versionNumber", u64(uint64(x.VersionNumber)))}, err
	case decode.MgmtIDTimeStatusNP:
		x := &d.TimeStatusNP
		gm := "false"
		if x.GmPresent {
			gm = "true"
		}
		return []Field{f("master_offset", i64(x.MasterOffset)), f("ingress_time", i64(x.IngressTime)),
			f("cumulativeScaledRateOffset", strconv.FormatFloat(float64(x.CumulativeScaledRateOffset)/(1<<41), 'f', 9, 64)),
			f("scaledLastGmPhaseChange", i64(int64(x.ScaledLastGmPhaseChange))),
			f("gmTimeBaseIndicator", u64(uint64(x.GmTimeBaseIndicator))),
			f("gmPresent", gm), f("gmIdentity", x.GmIdentity.String())}, err
	case decode.MgmtIDPortDataSetNP:
		x := &d.PortDataSetNP
		return []Field{f("neighborPropDelayThresh", u64(uint64(x.NeighborPropDelayThresh))), f("asCapable", b01(x.AsCapable))}, err
	case decode.MgmtIDClockDescription:
		x := &d.ClockDescription
		return []Field{f("clockType", hex4(uint16(x.ClockType))),
			f("physicalLayerProtocol", x.PhysicalLayerProtocol.String()),
			f("physicalAddress", hex.EncodeToString(x.PhysicalAddress)),
			f("protocolAddress", x.ProtocolAddress.String()),
			f("manufacturerId", hex.EncodeToString(x.ManufacturerIdentity[:])),
			f("productDescription", x.ProductDescription.String()), f("revisionData", x.RevisionData.String()),
			f("userDescription", x.UserDescription.String()),
			f("profileId", hex.EncodeToString(x.ProfileIdentity[:]))}, err
	case decode.MgmtIDUserDescription:
		return []Field{f("userDescription", d.UserDescription.UserDescription.String())}, err
	}
	return []Field{f("data", hex.EncodeToString(data))}, err
}
