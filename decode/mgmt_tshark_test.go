package decode

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ptpwatch/ptpwatch/decode/decodetest"
)

// mgmtTSField is one field of tshark's `-T json -x` output.
type mgmtTSField = tsField

// mgmtEther wraps a PTP message in an Ethernet frame to the PTP multicast
// address.
func mgmtEther(msg []byte) []byte {
	b := append([]byte{}, MACPrimary[:]...)
	b = append(b, 0x00, 0x1b, 0x21, 0x12, 0x34, 0x56)
	b = binary.BigEndian.AppendUint16(b, EtherTypePTP)
	return append(b, msg...)
}

// mgmtResponseFrame builds an Ethernet frame with a management RESPONSE
// carrying data for id.
func mgmtResponseFrame(id ManagementID, data []byte) []byte {
	m := Message{Header: Header{MessageType: Management, Version: 2, Domain: 0, Source: mgmtTestPort, Sequence: 7,
		Control: 4, LogMessageInterval: 0x7f},
		TargetPort: PortIdentity{mgmtTestClock2, 1},
		Management: ManagementHeader{StartingBoundaryHops: 1, BoundaryHops: 1, Action: ActionResponse,
			TLVType: TLVManagement, ID: id, Data: data}}
	return mgmtEther(m.AppendTo(nil))
}

// mgmtRunTshark runs tshark over a pcap file and returns each frame's
// fields. It skips the test when tshark is missing.
func mgmtRunTshark(t *testing.T, file string) [][]mgmtTSField {
	t.Helper()
	frames, err := parseTsharkJSON(tsharkJSON(t, file))
	if err != nil {
		t.Fatal(err)
	}
	return frames
}

// mgmtFlatten lists every field of our tree, groups included, with dotted
// names.
func mgmtFlatten(fs []Field, prefix string, out *[]Field) {
	for _, f := range fs {
		f.Name = prefix + f.Name
		*out = append(*out, f)
		mgmtFlatten(f.Children, f.Name+".", out)
	}
}

// mgmtSameValue compares our shown value with tshark's: as numbers when
// both read as numbers (decimal, 0x hex, or our bare hex against tshark's
// 0x form), else as text with tshark's colons removed.
func mgmtSameValue(ours, theirs string) bool {
	o := strings.ToLower(strings.TrimSpace(ours))
	th := strings.ToLower(strings.TrimSpace(theirs))
	if o == th {
		return true
	}
	num := func(s string, bareHex bool) *big.Int {
		n := new(big.Int)
		if h, ok := strings.CutPrefix(s, "0x"); ok {
			if _, ok := n.SetString(h, 16); ok {
				return n
			}
			return nil
		}
		if bareHex {
			if _, ok := n.SetString(s, 16); ok {
				return n
			}
			return nil
		}
		if _, ok := n.SetString(s, 10); ok {
			return n
		}
		return nil
	}
	if a, b := num(o, false), num(th, false); a != nil && b != nil {
		return a.Cmp(b) == 0
	}
	if a, b := num(o, true), num(th, false); a != nil && b != nil && strings.HasPrefix(th, "0x") {
		return a.Cmp(b) == 0
	}
	return strings.ReplaceAll(o, "0x", "") == strings.ReplaceAll(th, ":", "")
}

// mgmtCompare matches every tshark field inside the data field [lo, hi)
// with our field at the same offset, length and mask and compares values.
// TimeIntervals, which tshark splits into 48-bit nanoseconds and 16-bit
// fraction, are matched by their parts. It returns the problems found,
// keyed by tshark field name, and how many fields agreed.
func mgmtCompare(ours []Field, theirs []mgmtTSField, lo, hi int) (problems map[string]string, matched int) {
	problems = map[string]string{}
	var all []Field
	mgmtFlatten(ours, "", &all)
	for _, th := range theirs {
		if !strings.HasPrefix(th.Name, "ptp.v2.mm.") || th.Pos < lo || th.Pos+th.Len > hi || th.Name == "ptp.v2.mm.data" {
			continue
		}
		found, ok := false, false
		var desc string
		for _, l := range all {
			if l.Offset == th.Pos && l.Length == th.Len && l.Mask == th.Mask && (l.Value != "" || len(l.Children) == 0) {
				found = true
				ok = mgmtSameValue(l.Value, th.Show) || mgmtSameValue(l.Text, th.Show)
				desc = fmt.Sprintf("%s=%q vs tshark %s=%q at %d+%d", l.Name, l.Value, th.Name, th.Show, th.Pos, th.Len)
				if ok {
					break
				}
				continue
			}
			// A TimeInterval: tshark's .ns is its first 6 octets, shown as
			// an unsigned 64-bit number; .subns the last 2 as a fraction.
			if l.Length == 8 && strings.HasSuffix(l.Text, " ns") && th.Pos >= l.Offset && th.Pos+th.Len <= l.Offset+8 {
				found = true
				v, _ := strconv.ParseInt(l.Value, 10, 64)
				if th.Len == 6 {
					want := strconv.FormatUint(uint64(v>>16), 10)
					ok = th.Show == want
					desc = fmt.Sprintf("%s=%d (ns part %s) vs tshark %s=%q", l.Name, v, want, th.Name, th.Show)
				} else {
					f, _ := strconv.ParseFloat(th.Show, 64)
					ok = math.Abs(f-float64(v&0xffff)/65536) < 1e-9
					desc = fmt.Sprintf("%s=%d (fraction %v) vs tshark %s=%q", l.Name, v, float64(v&0xffff)/65536, th.Name, th.Show)
				}
				break
			}
		}
		switch {
		case !found:
			problems[th.Name] = fmt.Sprintf("tshark %s=%q at %d+%d mask %#x: no field of ours there", th.Name, th.Show, th.Pos, th.Len, th.Mask)
		case ok:
			matched++
		default:
			problems[th.Name] = desc
		}
	}
	return problems, matched
}

// mgmtTsharkKnown lists where tshark 4.0's PTP dissector and IEEE 1588
// part ways, per management ID: tshark fields whose disagreement with us
// is expected.
var mgmtTsharkKnown = map[ManagementID][]string{
	// 1588-2008 and 2019 put logAlternateMulticastSyncInterval before
	// numberOfAlternateMasters; Wireshark 4.0 reads them the other way
	// round (libptpmgmt and the standard agree with us).
	MgmtIDAlternateMaster: {"ptp.v2.mm.numberOfAlternateMasters", "ptp.v2.mm.AlternateMulticastSyncInterval"},
}

// mgmtTsharkUndecoded lists the 1588-2008 IDs whose data fields tshark
// 4.0 shows only as bytes.
var mgmtTsharkUndecoded = map[ManagementID]bool{
	MgmtIDGrandmasterClusterTable: true, MgmtIDUnicastMasterTable: true, MgmtIDUnicastMasterMaxTableSize: true,
	MgmtIDAcceptableMasterTable: true, MgmtIDAcceptableMasterTableEnabled: true, MgmtIDAcceptableMasterMaxTableSize: true,
}

// TestMgmtTshark builds a management RESPONSE for every sample data set,
// has tshark dissect them, and compares every value and position tshark
// shows inside the data field with our located fields.
//
// tshark 4.0 knows the IDs of 1588-2008 only; it shows the 2019 IDs
// (0x3000-0x3003), linuxptp's, and the table data sets listed in
// mgmtTsharkUndecoded as bytes, so only our own round trip covers those.
// Where it does decode, it shows a negative TimeInterval's nanoseconds as
// an unsigned 64-bit number (mgmtCompare allows for that) and swaps two
// members of ALTERNATE_MASTER (mgmtTsharkKnown).
func TestMgmtTshark(t *testing.T) {
	samples := mgmtSamples()
	var frames [][]byte
	for _, s := range samples {
		frames = append(frames, mgmtResponseFrame(s.id, s.body.AppendTo(nil)))
	}
	file := filepath.Join(t.TempDir(), "mgmt.pcap")
	if err := os.WriteFile(file, decodetest.Pcap(frames), 0o644); err != nil {
		t.Fatal(err)
	}
	ts := mgmtRunTshark(t, file)
	if len(ts) != len(frames) {
		t.Fatalf("tshark returned %d frames, want %d", len(ts), len(frames))
	}
	total := 0
	for i, s := range samples {
		const dataOff = 14 + HeaderLength + 14 + 6 // Ethernet, header, body, TLV header and managementId
		hi := len(frames[i])
		problems, matched := mgmtCompare(Fields(LinkEthernet, frames[i]), ts[i], dataOff, hi)
		total += matched
		for _, name := range mgmtTsharkKnown[s.id] {
			if p, ok := problems[name]; ok {
				t.Logf("%v: known tshark disagreement: %s", s.id, p)
				delete(problems, name)
			}
		}
		for _, p := range problems {
			t.Errorf("%v: %s", s.id, p)
		}
		if undecoded := mgmtTsharkUndecoded[s.id] || s.id.IsImplementationSpecific() || s.id>>12 == 3; !undecoded && matched == 0 {
			t.Errorf("%v: tshark decoded nothing we could compare", s.id)
		}
		if testing.Verbose() {
			t.Logf("%v: %d fields agree", s.id, matched)
		}
	}
	if total == 0 {
		t.Error("no field compared")
	}
}

// mgmtCaptureFile is a public capture of linuxptp's pmc querying ptp4l
// (tcpdump's test suite), in the public captures folder: GETs with
// zero-filled data fields and their RESPONSEs. It is read in place and
// never copied.
const mgmtCaptureFile = "tcpdump/ptp_management.pcap"

// mgmtTsharkValues maps tshark's field names to the decoded value they
// show, per management ID, to check DecodeManagementData (not only the
// detail view) against Wireshark.
var mgmtTsharkValues = map[ManagementID]map[string]func(d *ManagementData) string{
	MgmtIDDefaultDataSet: {
		"ptp.v2.mm.twoStep":       func(d *ManagementData) string { return mgmtBool(d.DefaultDataSet.TwoStepFlag) },
		"ptp.v2.mm.SlavOnly":      func(d *ManagementData) string { return mgmtBool(d.DefaultDataSet.SlaveOnly) },
		"ptp.v2.mm.numberPorts":   func(d *ManagementData) string { return mgmtU(d.DefaultDataSet.NumberPorts) },
		"ptp.v2.mm.priority1":     func(d *ManagementData) string { return mgmtU(d.DefaultDataSet.Priority1) },
		"ptp.v2.mm.clockclass":    func(d *ManagementData) string { return mgmtU(d.DefaultDataSet.ClockQuality.Class) },
		"ptp.v2.mm.clockaccuracy": func(d *ManagementData) string { return mgmtU(d.DefaultDataSet.ClockQuality.Accuracy) },
		"ptp.v2.mm.clockvariance": func(d *ManagementData) string {
			return mgmtU(d.DefaultDataSet.ClockQuality.OffsetScaledLogVariance)
		},
		"ptp.v2.mm.priority2":     func(d *ManagementData) string { return mgmtU(d.DefaultDataSet.Priority2) },
		"ptp.v2.mm.clockidentity": func(d *ManagementData) string { return "0x" + d.DefaultDataSet.ClockIdentity.Hex() },
		"ptp.v2.mm.domainNumber":  func(d *ManagementData) string { return mgmtU(d.DefaultDataSet.DomainNumber) },
	},
	MgmtIDCurrentDataSet: {
		"ptp.v2.mm.stepsRemoved": func(d *ManagementData) string { return mgmtU(d.CurrentDataSet.StepsRemoved) },
		"ptp.v2.mm.offset.ns": func(d *ManagementData) string {
			return strconv.FormatUint(uint64(d.CurrentDataSet.OffsetFromMaster>>16), 10)
		},
		"ptp.v2.mm.pathDelay.ns": func(d *ManagementData) string {
			return strconv.FormatUint(uint64(d.CurrentDataSet.MeanPathDelay>>16), 10)
		},
	},
	MgmtIDParentDataSet: {
		"ptp.v2.mm.parentclockidentity": func(d *ManagementData) string {
			return "0x" + d.ParentDataSet.ParentPortIdentity.Clock.Hex()
		},
		"ptp.v2.mm.parentsourceportid": func(d *ManagementData) string { return mgmtU(d.ParentDataSet.ParentPortIdentity.Port) },
		"ptp.v2.mm.parentstats":        func(d *ManagementData) string { return mgmtBool(d.ParentDataSet.ParentStats) },
		"ptp.v2.mm.observedParentOffsetScaledLogVariance": func(d *ManagementData) string {
			return mgmtU(d.ParentDataSet.ObservedParentOffsetScaledLogVariance)
		},
		"ptp.v2.mm.observedParentClockPhaseChangeRate": func(d *ManagementData) string {
			return strconv.Itoa(int(d.ParentDataSet.ObservedParentClockPhaseChangeRate))
		},
		"ptp.v2.mm.grandmasterPriority1":  func(d *ManagementData) string { return mgmtU(d.ParentDataSet.GrandmasterPriority1) },
		"ptp.v2.mm.grandmasterclockclass": func(d *ManagementData) string { return mgmtU(d.ParentDataSet.GrandmasterClockQuality.Class) },
		"ptp.v2.mm.grandmasterPriority2":  func(d *ManagementData) string { return mgmtU(d.ParentDataSet.GrandmasterPriority2) },
		"ptp.v2.mm.grandmasterclockaccuracy": func(d *ManagementData) string {
			return mgmtU(d.ParentDataSet.GrandmasterClockQuality.Accuracy)
		},
		"ptp.v2.mm.grandmasterclockvariance": func(d *ManagementData) string {
			return mgmtU(d.ParentDataSet.GrandmasterClockQuality.OffsetScaledLogVariance)
		},
		"ptp.v2.mm.grandmasterclockidentity": func(d *ManagementData) string {
			return "0x" + d.ParentDataSet.GrandmasterIdentity.Hex()
		},
	},
	MgmtIDPortDataSet: {
		"ptp.v2.mm.clockidentity":          func(d *ManagementData) string { return "0x" + d.PortDataSet.PortIdentity.Clock.Hex() },
		"ptp.v2.mm.PortNumber":             func(d *ManagementData) string { return mgmtU(d.PortDataSet.PortIdentity.Port) },
		"ptp.v2.mm.portState":              func(d *ManagementData) string { return mgmtU(d.PortDataSet.PortState) },
		"ptp.v2.mm.logMinDelayReqInterval": func(d *ManagementData) string { return strconv.Itoa(int(d.PortDataSet.LogMinDelayReqInterval)) },
		"ptp.v2.mm.peerMeanPathDelay.ns": func(d *ManagementData) string {
			return strconv.FormatUint(uint64(d.PortDataSet.PeerMeanPathDelay>>16), 10)
		},
		"ptp.v2.mm.logAnnounceInterval":     func(d *ManagementData) string { return strconv.Itoa(int(d.PortDataSet.LogAnnounceInterval)) },
		"ptp.v2.mm.announceReceiptTimeout":  func(d *ManagementData) string { return mgmtU(d.PortDataSet.AnnounceReceiptTimeout) },
		"ptp.v2.mm.logSyncInterval":         func(d *ManagementData) string { return strconv.Itoa(int(d.PortDataSet.LogSyncInterval)) },
		"ptp.v2.mm.delayMechanism":          func(d *ManagementData) string { return mgmtU(d.PortDataSet.DelayMechanism) },
		"ptp.v2.mm.logMinPdelayReqInterval": func(d *ManagementData) string { return strconv.Itoa(int(d.PortDataSet.LogMinPdelayReqInterval)) },
		"ptp.v2.mm.versionNumber":           func(d *ManagementData) string { return mgmtU(d.PortDataSet.VersionNumber) },
	},
	MgmtIDClockDescription: {
		"ptp.v2.mm.clockType":             func(d *ManagementData) string { return mgmtU(d.ClockDescription.ClockType) },
		"ptp.v2.mm.physicalLayerProtocol": func(d *ManagementData) string { return d.ClockDescription.PhysicalLayerProtocol.String() },
		"ptp.v2.mm.physicalAddressLength": func(d *ManagementData) string { return strconv.Itoa(len(d.ClockDescription.PhysicalAddress)) },
		"ptp.v2.mm.physicalAddress":       func(d *ManagementData) string { return mgmtColon(d.ClockDescription.PhysicalAddress) },
		"ptp.v2.mm.networkProtocol":       func(d *ManagementData) string { return mgmtU(d.ClockDescription.ProtocolAddress.NetworkProtocol) },
		"ptp.v2.mm.protocolAddress.length": func(d *ManagementData) string {
			return strconv.Itoa(len(d.ClockDescription.ProtocolAddress.Address))
		},
		"ptp.v2.mm.protocolAddress":      func(d *ManagementData) string { return mgmtColon(d.ClockDescription.ProtocolAddress.Address) },
		"ptp.v2.mm.manufacturerIdentity": func(d *ManagementData) string { return mgmtColon(d.ClockDescription.ManufacturerIdentity[:]) },
		"ptp.v2.mm.productDescription":   func(d *ManagementData) string { return d.ClockDescription.ProductDescription.String() },
		"ptp.v2.mm.revisionData":         func(d *ManagementData) string { return d.ClockDescription.RevisionData.String() },
		"ptp.v2.mm.userDescription":      func(d *ManagementData) string { return d.ClockDescription.UserDescription.String() },
		"ptp.v2.mm.profileIdentity":      func(d *ManagementData) string { return mgmtColon(d.ClockDescription.ProfileIdentity[:]) },
	},
}

func mgmtBool(v bool) string { return strconv.Itoa(int(mgmtB2U(v))) }

func mgmtU[T ~uint8 | ~uint16 | ~uint32 | ~uint64](v T) string {
	return strconv.FormatUint(uint64(v), 10)
}

func mgmtColon(p []byte) string { return string(mgmtAppendColonHex(nil, p)) }

// TestMgmtCapture decodes the real pmc/ptp4l capture: every frame must
// decode, every management data field too (the GETs carry pmc's zero
// filled data sets), and the five RESPONSEs must agree with tshark value
// for value and, in the detail view, position for position.
func TestMgmtCapture(t *testing.T) {
	file := filepath.Join(decodetest.Captures(t), mgmtCaptureFile)
	var frames [][]byte
	for _, f := range decodetest.ReadCapture(t, file) {
		if LinkType(f.Link) != LinkEthernet {
			t.Fatalf("capture: link %d", f.Link)
		}
		frames = append(frames, f.Data)
	}
	if len(frames) != 10 {
		t.Fatalf("capture: %d frames", len(frames))
	}
	var ts [][]mgmtTSField
	if decodetest.HaveTshark() {
		ts = mgmtRunTshark(t, file)
		if len(ts) != len(frames) {
			t.Fatalf("tshark saw %d frames", len(ts))
		}
	} else {
		t.Log("tshark not installed: decoding checked, comparison with tshark skipped")
	}
	var responses []ManagementID
	for i, data := range frames {
		var f Frame
		if f.Decode(LinkEthernet, data) != ResultOK || f.PTP.MessageType != Management {
			t.Fatalf("frame %d: %v %v", i+1, f.Result, f.Reason)
		}
		h := &f.PTP.Management
		var d ManagementData
		if err := DecodeManagementData(h.ID, h.Data, &d); err != nil {
			t.Errorf("frame %d %v %v: %v", i+1, h.Action, h.ID, err)
			continue
		}
		if h.Action != ActionResponse {
			continue
		}
		responses = append(responses, h.ID)
		if ts == nil {
			continue
		}
		dataOff := int(f.PTPOffset) + HeaderLength + 14 + 6
		problems, matched := mgmtCompare(f.Fields(), ts[i], dataOff, dataOff+len(h.Data))
		for _, p := range problems {
			t.Errorf("frame %d %v: detail view: %s", i+1, h.ID, p)
		}
		checked := 0
		for _, th := range ts[i] {
			get, ok := mgmtTsharkValues[h.ID][th.Name]
			if !ok || th.Pos < dataOff {
				continue
			}
			if got := get(&d); !mgmtSameValue(got, th.Show) {
				t.Errorf("frame %d %v: %s: decoded %q, tshark %q", i+1, h.ID, th.Name, got, th.Show)
			}
			checked++
		}
		if checked < len(mgmtTsharkValues[h.ID])-1 || matched == 0 {
			t.Errorf("frame %d %v: only %d decoded values and %d fields compared", i+1, h.ID, checked, matched)
		}
		t.Logf("frame %d %v: %d decoded values and %d located fields agree with tshark", i+1, h.ID, checked, matched)
	}
	want := []ManagementID{MgmtIDCurrentDataSet, MgmtIDPortDataSet, MgmtIDDefaultDataSet, MgmtIDParentDataSet, MgmtIDClockDescription}
	if fmt.Sprint(responses) != fmt.Sprint(want) {
		t.Errorf("responses %v, want %v", responses, want)
	}
}
