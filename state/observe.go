package state

import (
	"hash/maphash"
	"net/netip"

	"github.com/ptpwatch/ptpwatch/decode"
)

// NoVLAN is ScopeKey.VLAN for untagged traffic.
const NoVLAN uint16 = 0xffff

// ScopeKey identifies one PTP scope: the segment it was seen on, the PTP
// version, the domain (v2, with its majorSdoId) or subdomain (v1), the
// transport and the VLAN. It is comparable and used as a map key.
type ScopeKey struct {
	Segment    uint16
	Version    uint8 // 1 or 2
	Domain     uint8 // v2 domainNumber
	MajorSdoID uint8 // v2 majorSdoId (transportSpecific): 1 marks 802.1AS
	Subdomain  [16]byte
	Transport  decode.Transport
	VLAN       uint16 // innermost VID, or NoVLAN
}

// InstanceKey identifies one port's PTP session in one scope.
type InstanceKey struct {
	Scope ScopeKey
	Port  decode.PortIdentity
}

// Kind is the kind of message an observation reports. PTPv1 messages map to
// the v2 kind that plays the same part.
type Kind = decode.MessageType

// AnnounceData is what a master says about its grandmaster: the PTPv2
// Announce body, or the grandmaster fields of a PTPv1 Sync.
type AnnounceData struct {
	GrandmasterIdentity decode.ClockIdentity
	Priority1           uint8
	Quality             decode.ClockQuality
	Priority2           uint8
	StepsRemoved        uint16
	TimeSource          decode.TimeSource
	CurrentUTCOffset    int16
	Flags               decode.Flags
}

// Better reports whether a describes a better grandmaster than b by the
// dataset comparison of IEEE 1588-2019 §9.3.4 (priority1, clockClass,
// clockAccuracy, offsetScaledLogVariance, priority2, identity), then fewer
// steps removed.
func (a *AnnounceData) Better(b *AnnounceData) bool {
	switch {
	case a.Priority1 != b.Priority1:
		return a.Priority1 < b.Priority1
	case a.Quality.Class != b.Quality.Class:
		return a.Quality.Class < b.Quality.Class
	case a.Quality.Accuracy != b.Quality.Accuracy:
		return a.Quality.Accuracy < b.Quality.Accuracy
	case a.Quality.OffsetScaledLogVariance != b.Quality.OffsetScaledLogVariance:
		return a.Quality.OffsetScaledLogVariance < b.Quality.OffsetScaledLogVariance
	case a.Priority2 != b.Priority2:
		return a.Priority2 < b.Priority2
	case a.GrandmasterIdentity != b.GrandmasterIdentity:
		return string(a.GrandmasterIdentity[:]) < string(b.GrandmasterIdentity[:])
	}
	return a.StepsRemoved < b.StepsRemoved
}

// Observation is what the model takes from one decoded PTP frame. It is a
// plain value: building one does not allocate.
type Observation struct {
	Time     int64  // capture time, ns since the Unix epoch
	FrameNum uint64 // number in the RAM capture buffer, 0 when not buffered
	TimeTAI  bool   // Time is on the TAI timescale (XDP TAI or hardware PHC)
	Scope    ScopeKey
	Source   decode.PortIdentity
	Kind     Kind
	Sequence uint16
	Flags    decode.Flags
	// LogInterval is logMessageInterval as sent; 0x7f means unspecified.
	LogInterval int8
	Correction  decode.TimeInterval
	// Timestamp is the message's timestamp field (see decode.Message).
	Timestamp decode.Timestamp
	// Peer is requestingPortIdentity (Delay_Resp, Pdelay_Resp,
	// Pdelay_Resp_Follow_Up) or targetPortIdentity (Management, Signaling).
	Peer        decode.PortIdentity
	HasAnnounce bool
	Announce    AnnounceData
	// Management fields for Kind == Management.
	Action decode.ManagementAction
	MgmtID decode.ManagementID
	// ReportedState is a portState from a PORT_DATA_SET response, 0 if none.
	ReportedState uint8
	// HasReportedParent marks a PARENT_DATA_SET response:
	// ReportedParent is its parentPortIdentity, ReportedGM its
	// grandmasterIdentity.
	HasReportedParent bool
	ReportedParent    decode.PortIdentity
	ReportedGM        decode.ClockIdentity
	SrcMAC            [6]byte
	SrcIP             netip.Addr
	// Gaps is the count of capture gaps (Model.CaptureGap) declared before
	// the frame was read; the shard re-baselines at the first observation
	// that carries a new count. 0 takes the model's count when applied.
	Gaps uint64
}

// v1Identity maps a PTPv1 UUID (a MAC address) to the clockIdentity a PTPv2
// implementation would derive from the same MAC (EUI-48 to EUI-64 with FFFE
// in the middle), so a device running v1 and v2 is recognised as one.
func v1Identity(uuid [6]byte) decode.ClockIdentity {
	return decode.ClockIdentity{uuid[0], uuid[1], uuid[2], 0xff, 0xfe, uuid[3], uuid[4], uuid[5]}
}

// Observe fills o from a frame that decoded as OK PTP and reports whether it
// did. segment is the segment of the interface the frame came from. It does
// not allocate.
func Observe(f *decode.Frame, segment uint16, captured int64, tai bool, o *Observation) bool {
	if f.Result != decode.ResultOK {
		return false
	}
	*o = Observation{Time: captured, TimeTAI: tai, SrcMAC: f.Src, SrcIP: f.SrcIP}
	o.Scope = ScopeKey{Segment: segment, Version: f.Version, Transport: f.Transport, VLAN: NoVLAN}
	if f.NumVLANs > 0 {
		o.Scope.VLAN = f.VLANs[f.NumVLANs-1].VID
	}
	switch f.Version {
	case 2:
		m := &f.PTP
		o.Scope.Domain, o.Scope.MajorSdoID = m.Domain, m.MajorSdoID
		o.Source, o.Kind, o.Sequence = m.Source, m.MessageType, m.Sequence
		o.Flags, o.LogInterval, o.Correction, o.Timestamp = m.Flags, m.LogMessageInterval, m.Correction, m.Timestamp
		switch m.MessageType {
		case decode.DelayResp, decode.PdelayResp, decode.PdelayRespFollowUp:
			o.Peer = m.RequestingPort
		case decode.Signaling:
			o.Peer = m.TargetPort
		case decode.Management:
			o.Peer = m.TargetPort
			o.Action, o.MgmtID = m.Management.Action, m.Management.ID
			if m.Management.Action == decode.ActionResponse && m.Management.TLVType == decode.TLVManagement {
				o.ReportedState = reportedPortState(m.Management.ID, m.Management.Data)
				o.HasReportedParent, o.ReportedParent, o.ReportedGM = reportedParent(m.Management.ID, m.Management.Data)
			}
		case decode.Announce:
			a := &m.Announce
			o.HasAnnounce = true
			o.Announce = AnnounceData{GrandmasterIdentity: a.GrandmasterIdentity, Priority1: a.GrandmasterPriority1,
				Quality: a.GrandmasterClockQuality, Priority2: a.GrandmasterPriority2, StepsRemoved: a.StepsRemoved,
				TimeSource: a.TimeSource, CurrentUTCOffset: a.CurrentUTCOffset, Flags: m.Flags}
		}
	case 1:
		v := &f.V1
		o.Scope.Subdomain = v.SubdomainName
		o.Source = decode.PortIdentity{Clock: v1Identity(v.SourceUUID), Port: v.SourcePortID}
		o.Sequence = v.SequenceID
		switch v.Control {
		case decode.V1Sync, decode.V1DelayReq:
			o.Kind = decode.Sync
			if v.Control == decode.V1DelayReq {
				o.Kind = decode.DelayReq
			}
			s := &v.Sync
			o.LogInterval = s.SyncInterval
			o.Timestamp = v1Timestamp(s.OriginTimestamp)
			if v.Control == decode.V1Sync {
				if v.Flags&decode.V1FlagAssist != 0 {
					o.Flags |= decode.FlagTwoStep
				}
				// A v1 Sync doubles as the announcement of the grandmaster.
				o.HasAnnounce = true
				p1 := uint8(128)
				if s.GrandmasterPreferred {
					p1 = 127
				}
				o.Announce = AnnounceData{GrandmasterIdentity: v1Identity(s.GrandmasterClockUUID), Priority1: p1,
					Quality:   decode.ClockQuality{Class: s.GrandmasterClockStratum, Accuracy: 0xfe, OffsetScaledLogVariance: uint16(s.GrandmasterClockVariance)},
					Priority2: 128, StepsRemoved: s.LocalStepsRemoved, CurrentUTCOffset: s.CurrentUTCOffset}
			}
		case decode.V1FollowUp:
			o.Kind = decode.FollowUp
			o.Timestamp = v1Timestamp(v.FollowUp.PreciseOriginTimestamp)
		case decode.V1DelayResp:
			o.Kind = decode.DelayResp
			o.Timestamp = v1Timestamp(v.DelayResp.DelayReceiptTimestamp)
			o.Peer = decode.PortIdentity{Clock: v1Identity(v.DelayResp.RequestingSourceUUID), Port: v.DelayResp.RequestingSourcePortID}
		case decode.V1Management:
			o.Kind = decode.Management
			o.Peer = decode.PortIdentity{Clock: v1Identity(v.Management.TargetUUID), Port: v.Management.TargetPortID}
			switch v.Management.MessageKey {
			case decode.V1MMDefaultDataSet, decode.V1MMCurrentDataSet, decode.V1MMParentDataSet, decode.V1MMPortDataSet,
				decode.V1MMGlobalTimeDataSet, decode.V1MMClockIdentity, decode.V1MMForeignDataSet:
				// The data set keys are answers (1588-2002 has no action field).
				o.Action = decode.ActionResponse
			}
			// PORT_DATA_SET's portState (octet 7 of its parameters); the
			// 1588-2002 states are the 1588-2008 ones less one.
			if v.Management.MessageKey == decode.V1MMPortDataSet && len(v.Parameters) > 7 && v.Parameters[7] <= uint8(decode.V1PortSlave) {
				o.ReportedState = v.Parameters[7] + 1
			}
		default:
			return false
		}
	default:
		return false
	}
	return true
}

func v1Timestamp(t decode.V1Time) decode.Timestamp {
	ns := int64(t.Nanoseconds)
	secs := int64(t.Seconds)
	if ns < 0 {
		// A negative v1 time: fold the sign into seconds so the v2 form,
		// which has no sign, still orders correctly near zero.
		secs--
		ns += 1e9
	}
	return decode.Timestamp{Seconds: uint64(secs), Nanoseconds: uint32(ns)}
}

// reportedPortState reads portState from a PORT_DATA_SET response
// (portIdentity then portState, §15.5.3.6.1).
func reportedPortState(id decode.ManagementID, data []byte) uint8 {
	if id == 0x2004 && len(data) >= 11 {
		return data[10]
	}
	return 0
}

// reportedParent reads parentPortIdentity and grandmasterIdentity from a
// PARENT_DATA_SET response (§15.5.3.4.1: parentPortIdentity, flags,
// reserved, two statistics, grandmasterPriority1, clockQuality,
// grandmasterPriority2, grandmasterIdentity at octet 24).
func reportedParent(id decode.ManagementID, data []byte) (bool, decode.PortIdentity, decode.ClockIdentity) {
	if id != decode.MgmtIDParentDataSet || len(data) < 32 {
		return false, decode.PortIdentity{}, decode.ClockIdentity{}
	}
	var p decode.PortIdentity
	var gm decode.ClockIdentity
	copy(p.Clock[:], data[0:8])
	p.Port = uint16(data[8])<<8 | uint16(data[9])
	copy(gm[:], data[24:32])
	return true, p, gm
}

// tagSeed fixes the hash behind Tag for the life of the process.
var tagSeed = maphash.MakeSeed()

// Tag returns a 32-bit hash of the scope for tagging frames in the RAM
// capture buffer before a shard has seen them (the stage that stores frames
// runs ahead of the shards). Different scopes may share a tag; readers
// filtering by scope check the frames they get back. It is never zero.
func (k ScopeKey) Tag() uint32 { return uint32(maphash.Comparable(tagSeed, k)) | 1 }

// Tag returns a 32-bit hash of the instance, as ScopeKey.Tag does.
func (k InstanceKey) Tag() uint32 { return uint32(maphash.Comparable(tagSeed, k)) | 1 }
