package decode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestMgmtSamplesCoverEveryID makes sure the round-trip tests below reach
// every named ID that has a data set.
func TestMgmtSamplesCoverEveryID(t *testing.T) {
	have := map[ManagementID]bool{}
	for _, s := range mgmtSamples() {
		have[s.id] = true
	}
	var d ManagementData
	for _, info := range mgmtIDs {
		if d.Body(info.id) != nil && !have[info.id] {
			t.Errorf("%v has a data set but no sample", info.id)
		}
		if d.Body(info.id) == nil && info.size != 0 {
			t.Errorf("%v has size %d but no body type", info.id, info.size)
		}
	}
}

func TestMgmtIDTable(t *testing.T) {
	for i := 1; i < len(mgmtIDs); i++ {
		if mgmtIDs[i-1].id >= mgmtIDs[i].id {
			t.Fatalf("mgmtIDs not sorted at %v", mgmtIDs[i].id)
		}
	}
	tests := []struct {
		id   ManagementID
		want string
	}{
		{0x0000, "NULL_PTP_MANAGEMENT"}, {0x0001, "CLOCK_DESCRIPTION"}, {0x0007, "FAULT_LOG_RESET"},
		{0x2000, "DEFAULT_DATA_SET"}, {0x2002, "PARENT_DATA_SET"}, {0x200A, "ANNOUNCE_RECEIPT_TIMEOUT"},
		{0x2021, "ALTERNATE_TIME_OFFSET_PROPERTIES"}, {0x3000, "EXTERNAL_PORT_CONFIGURATION_ENABLED"},
		{0x3003, "EXT_PORT_CONFIG_PORT_DATA_SET"}, {0x4000, "TRANSPARENT_CLOCK_DEFAULT_DATA_SET"},
		{0x4001, "TRANSPARENT_CLOCK_PORT_DATA_SET"}, {0x4002, "PRIMARY_DOMAIN"}, {0x6000, "DELAY_MECHANISM"},
		{0x6001, "LOG_MIN_PDELAY_REQ_INTERVAL"}, {0xC000, "TIME_STATUS_NP"}, {0xC005, "PORT_STATS_NP"},
		{0xC00A, "POWER_PROFILE_SETTINGS_NP"}, {0xC00B, "CMLDS_INFO_NP"}, {0xC00D, "EXTERNAL_GRANDMASTER_PROPERTIES_NP"},
		{0x0008, "RESERVED(0x0008)"}, {0x2022, "RESERVED(0x2022)"}, {0xC0FF, "IMPLEMENTATION_SPECIFIC(0xC0FF)"},
		{0xE001, "PROFILE_SPECIFIC(0xE001)"}, {0xFFFF, "RESERVED(0xFFFF)"},
	}
	for _, tt := range tests {
		if got := tt.id.String(); got != tt.want {
			t.Errorf("%#04x: got %q want %q", uint16(tt.id), got, tt.want)
		}
	}
	if n, fixed := MgmtIDParentDataSet.DataLength(); n != 32 || !fixed {
		t.Errorf("PARENT_DATA_SET length %d %v", n, fixed)
	}
	if n, fixed := MgmtIDClockDescription.DataLength(); n != 22 || fixed {
		t.Errorf("CLOCK_DESCRIPTION length %d %v", n, fixed)
	}
	if !MgmtIDPortDataSet.IsPortScoped() || MgmtIDDefaultDataSet.IsPortScoped() {
		t.Error("IsPortScoped")
	}
	if !MgmtIDPortStatsNP.IsImplementationSpecific() || MgmtIDPortDataSet.IsImplementationSpecific() {
		t.Error("IsImplementationSpecific")
	}
}

func TestMgmtErrorIDString(t *testing.T) {
	tests := map[ManagementErrorID]string{
		1: "RESPONSE_TOO_BIG", 2: "NO_SUCH_ID", 3: "WRONG_LENGTH", 4: "WRONG_VALUE", 5: "NOT_SETABLE",
		6: "NOT_SUPPORTED", 7: "UNPOPULATED", 0xFFFE: "GENERAL_ERROR", 0: "RESERVED(0x0000)",
		0xC001: "IMPLEMENTATION_SPECIFIC(0xC001)", 0xE000: "PROFILE_SPECIFIC(0xE000)", 0xFFFF: "RESERVED(0xFFFF)",
	}
	for e, want := range tests {
		if got := e.String(); got != want {
			t.Errorf("%#04x: got %q want %q", uint16(e), got, want)
		}
	}
}

func TestMgmtEnumStrings(t *testing.T) {
	checks := []struct{ got, want string }{
		{PortStateInitializing.String(), "INITIALIZING"}, {PortStatePreMaster.String(), "PRE_MASTER"},
		{PortStateSlave.String(), "SLAVE"}, {PortStateGrandMaster.String(), "GRAND_MASTER"}, {PortState(0).String(), "NONE"},
		{PortState(11).String(), "RESERVED(11)"}, {DelayE2E.String(), "E2E"}, {DelayP2P.String(), "P2P"},
		{DelayCommonP2P.String(), "COMMON_P2P"}, {DelayNoMechanism.String(), "NO_MECHANISM"},
		{(ClockTypeOrdinary | ClockTypeE2ETransparent).String(), "ordinaryClock|e2eTransparentClock"},
		{ClockType(0).String(), "none"}, {ClockType(0x0001).String(), "reserved(0x0001)"},
		{TimestampingP2P1Step.String(), "P2P1STEP"}, {UnicastHaveSyDy.String(), "HAVE_SYDY"},
		{NetworkIEEE8023.String(), "IEEE 802.3"}, {FaultSeverity(4).String(), "WARNING"},
		{PowerProfile2011.String(), "2011"}, {HostOrderLittle.String(), "little-endian"},
		{PortAddress{NetworkUDPIPv4, []byte{192, 0, 2, 1}}.String(), "192.0.2.1"},
		{PortAddress{NetworkIEEE8023, []byte{0, 0x1b, 0x21, 1, 2, 3}}.String(), "00:1b:21:01:02:03"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("got %q want %q", c.got, c.want)
		}
	}
}

// TestMgmtRoundTrip encodes every sample, checks the data field is even,
// decodes it through the dispatcher and compares, then re-encodes.
func TestMgmtRoundTrip(t *testing.T) {
	for _, s := range mgmtSamples() {
		t.Run(s.id.String(), func(t *testing.T) {
			b := s.body.AppendTo(nil)
			if len(b)%2 != 0 {
				t.Fatalf("odd data field length %d", len(b))
			}
			if n, fixed := s.id.DataLength(); fixed && len(b) != n+n%2 {
				t.Errorf("length %d, table says %d", len(b), n)
			}
			var d ManagementData
			if err := DecodeManagementData(s.id, b, &d); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if d.ID != s.id || d.Empty || !bytes.Equal(d.Raw, b) {
				t.Errorf("ID %v Empty %v", d.ID, d.Empty)
			}
			got := d.Body(s.id)
			if !reflect.DeepEqual(got, s.body) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, s.body)
			}
			d.ID = s.id
			if again := AppendManagementData(nil, &d); !bytes.Equal(again, b) {
				t.Errorf("re-encode:\n got %x\nwant %x", again, b)
			}
			// The data field carried in a whole message decodes the same.
			m := Message{Header: Header{MessageType: Management, Version: 2}, Management: ManagementHeader{
				Action: ActionResponse, TLVType: TLVManagement, ID: s.id, Data: b}}
			var m2 Message
			if r, why := m2.Decode(m.AppendTo(nil)); r != ResultOK {
				t.Fatalf("message decode: %v %v", r, why)
			}
			var d2 ManagementData
			if err := DecodeManagementData(m2.Management.ID, m2.Management.Data, &d2); err != nil ||
				!reflect.DeepEqual(d2.Body(s.id), s.body) {
				t.Errorf("via message: %v %+v", err, d2.Body(s.id))
			}
		})
	}
}

// TestMgmtZeroValues encodes every body's zero value: it must decode back
// to the zero value (slices compared by content) and be as long as
// DataLength's smallest length, which AppendManagementGet fills with
// zeros.
func TestMgmtZeroValues(t *testing.T) {
	for _, info := range mgmtIDs {
		var d ManagementData
		body := d.Body(info.id)
		if body == nil {
			continue
		}
		b := body.AppendTo(nil)
		n, _ := info.id.DataLength()
		if len(b) != n+n%2 {
			t.Errorf("%v: zero value encodes to %d octets, DataLength %d", info.id, len(b), n)
		}
		if get := AppendManagementGet(nil, info.id, true); !bytes.Equal(get, b) {
			t.Errorf("%v: AppendManagementGet %x, zero body %x", info.id, get, b)
		}
		var d2 ManagementData
		if err := DecodeManagementData(info.id, b, &d2); err != nil {
			t.Errorf("%v: %v", info.id, err)
			continue
		}
		if again := d2.Body(info.id).AppendTo(nil); !bytes.Equal(again, b) {
			t.Errorf("%v: zero round trip %x != %x", info.id, again, b)
		}
	}
	if got := AppendManagementGet(nil, MgmtIDParentDataSet, false); len(got) != 0 {
		t.Errorf("GET without zero fill carries %d octets", len(got))
	}
}

// TestMgmtTruncation cuts every sample at every length: decoding must not
// panic, must fail while the data set is incomplete, and the detail view
// must not panic either.
func TestMgmtTruncation(t *testing.T) {
	for _, s := range mgmtSamples() {
		full := s.body.AppendTo(nil)
		// The data set proper ends before a pad octet, if any.
		var d ManagementData
		end := len(full)
		if len(full) > 0 && full[len(full)-1] == 0 {
			if err := DecodeManagementData(s.id, full[:len(full)-1], &d); err == nil {
				end = len(full) - 1
			}
		}
		for k := 0; k < end; k++ {
			data := append([]byte(nil), full[:k]...) // exact capacity: reads past k would panic
			err := DecodeManagementData(s.id, data, &d)
			switch {
			case k == 0 && err != nil:
				t.Errorf("%v: empty data: %v", s.id, err)
			case k > 0 && err == nil && !(s.id == MgmtIDPathTraceList && k%8 == 0):
				t.Errorf("%v: %d of %d octets decoded without error", s.id, k, end)
			case err != nil && !errors.Is(err, ErrMgmtShort) && !errors.Is(err, ErrMgmtBadLength):
				t.Errorf("%v: unexpected error %v", s.id, err)
			}
			mgmtDescribeFrame(s.id, data)
		}
	}
}

// mgmtDescribeFrame runs the detail view over a management response
// carrying data, the way Frame.Fields reaches describeManagementData.
func mgmtDescribeFrame(id ManagementID, data []byte) []Field {
	return describeWith(data, func(w fieldWriter) { describeManagementData(w, id, 0, len(data)) })
}

func TestMgmtEmptyAndUnknown(t *testing.T) {
	var d ManagementData
	d.ParentDataSet.GrandmasterPriority1 = 99
	for _, info := range mgmtIDs {
		if err := DecodeManagementData(info.id, nil, &d); err != nil || !d.Empty || d.ID != info.id {
			t.Errorf("%v: empty data: %v %v", info.id, err, d.Empty)
		}
	}
	if d.ParentDataSet.GrandmasterPriority1 != 99 {
		t.Error("empty data touched a member")
	}
	if err := DecodeManagementData(0x2022, nil, &d); err != nil {
		t.Errorf("empty unknown: %v", err)
	}
	if err := DecodeManagementData(0xC0FF, []byte{1, 2}, &d); err != ErrMgmtUnknownID || !bytes.Equal(d.Raw, []byte{1, 2}) {
		t.Errorf("unknown id: %v %x", err, d.Raw)
	}
	if got := AppendManagementData(nil, &d); !bytes.Equal(got, []byte{1, 2}) {
		t.Errorf("unknown re-encode %x", got)
	}
	// A command's stray octets are ignored.
	if err := DecodeManagementData(MgmtIDEnablePort, []byte{0, 0}, &d); err != nil || d.Empty {
		t.Errorf("ENABLE_PORT with data: %v", err)
	}
	d.ID = MgmtIDEnablePort
	if got := AppendManagementData(nil, &d); len(got) != 0 {
		t.Errorf("ENABLE_PORT encodes %x", got)
	}
	var err error = ErrMgmtShort
	if !strings.Contains(err.Error(), "shorter") || ManagementDataError(9).Error() == "" {
		t.Error("error text")
	}
}

// TestMgmtPadAndTrailing checks that a pad octet and unknown trailing
// octets are accepted and shown.
func TestMgmtPadAndTrailing(t *testing.T) {
	b := (&MgmtUserDescription{PTPText("ab")}).AppendTo(nil)
	if !bytes.Equal(b, []byte{2, 'a', 'b', 0}) {
		t.Fatalf("padded text %x", b)
	}
	fs := mgmtDescribeFrame(MgmtIDUserDescription, b)
	if len(fs) != 1 || fs[0].Name != "dataField" || fs[0].Children[len(fs[0].Children)-1].Name != "pad" {
		t.Errorf("pad not listed: %+v", fs)
	}
	long := append((&MgmtPriority1{5}).AppendTo(nil), 9, 9)
	var d ManagementData
	if err := DecodeManagementData(MgmtIDPriority1, long, &d); err != nil || d.Priority1.Priority1 != 5 {
		t.Errorf("trailing: %v", err)
	}
	fs = mgmtDescribeFrame(MgmtIDPriority1, long)
	if last := fs[0].Children[len(fs[0].Children)-1]; last.Name != "trailing" || last.Offset != 2 {
		t.Errorf("trailing not listed: %+v", last)
	}
}

// TestMgmtHostOrder checks the linuxptp host-order data sets: explicit
// orders, and the automatic choice for real-looking values either way.
func TestMgmtHostOrder(t *testing.T) {
	for _, s := range mgmtSamples() {
		var order func(ManagementBody) *HostOrder
		switch s.id {
		case MgmtIDPortStatsNP:
			order = func(b ManagementBody) *HostOrder { return &b.(*MgmtPortStatsNP).Order }
		case MgmtIDPortServiceStatsNP:
			order = func(b ManagementBody) *HostOrder { return &b.(*MgmtPortServiceStatsNP).Order }
		case MgmtIDPortCorrectionsNP:
			order = func(b ManagementBody) *HostOrder { return &b.(*MgmtPortCorrectionsNP).Order }
		default:
			continue
		}
		for _, o := range []HostOrder{HostOrderLittle, HostOrderBig} {
			*order(s.body) = o
			b := s.body.AppendTo(nil)
			for _, setting := range []HostOrder{HostOrderAuto, o} {
				d := ManagementData{HostOrder: setting}
				if err := DecodeManagementData(s.id, b, &d); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(d.Body(s.id), s.body) {
					t.Errorf("%v written %v read %v: got %+v", s.id, o, setting, d.Body(s.id))
				}
				if d.HostOrder != setting {
					t.Error("HostOrder setting changed")
				}
			}
		}
		*order(s.body) = HostOrderAuto // encodes little-endian
		b := s.body.AppendTo(nil)
		*order(s.body) = HostOrderLittle
		if !bytes.Equal(b, s.body.AppendTo(nil)) {
			t.Errorf("%v: HostOrderAuto does not encode little-endian", s.id)
		}
	}
	// linuxptp on x86: PORT_STATS_NP counters little-endian, portNumber big.
	raw := make([]byte, 266)
	copy(raw, mgmtTestClock[:])
	binary.BigEndian.PutUint16(raw[8:], 1)
	binary.LittleEndian.PutUint64(raw[10+8*int(Sync):], 12345)
	binary.LittleEndian.PutUint64(raw[138+8*int(Announce):], 678)
	var d ManagementData
	if err := DecodeManagementData(MgmtIDPortStatsNP, raw, &d); err != nil {
		t.Fatal(err)
	}
	p := &d.PortStatsNP
	if p.PortIdentity != mgmtTestPort || p.RxMsgType[Sync] != 12345 || p.TxMsgType[Announce] != 678 || p.Order != HostOrderLittle {
		t.Errorf("x86 stats: %+v", p)
	}
	fs := mgmtDescribeFrame(MgmtIDPortStatsNP, raw)
	if !strings.Contains(fs[0].Text, "little-endian") || mgmtFind(fs, "dataField.rx_Sync").Value != "12345" {
		t.Errorf("detail view: %q %+v", fs[0].Text, mgmtFind(fs, "dataField.rx_Sync"))
	}
}

// mgmtFind returns the field at a dotted path, or a zero Field.
func mgmtFind(fs []Field, path string) Field {
	name, rest, more := strings.Cut(path, ".")
	for _, f := range fs {
		if f.Name == name {
			if !more {
				return f
			}
			return mgmtFind(f.Children, rest)
		}
	}
	return Field{}
}

func TestMgmtIterators(t *testing.T) {
	var d ManagementData
	for _, s := range mgmtSamples() {
		if err := DecodeManagementData(s.id, s.body.AppendTo(nil), &d); err != nil {
			t.Fatal(err)
		}
	}
	it := d.FaultLog.Iter()
	var names []string
	for it.Next() {
		names = append(names, it.Record.FaultName.String()+"="+it.Record.FaultValue.String())
		if want := uint16(11 + it.Record.FaultName.wireLen() + it.Record.FaultValue.wireLen() + it.Record.FaultDescription.wireLen()); it.Record.FaultRecordLength != want {
			t.Errorf("faultRecordLength %d want %d", it.Record.FaultRecordLength, want)
		}
	}
	if it.Err != nil || strings.Join(names, ",") != "link=down,servo=jump" {
		t.Errorf("fault log: %v %v", names, it.Err)
	}
	if d.PathTraceList.Len() != 2 || d.PathTraceList.At(1) != mgmtTestClock2 {
		t.Errorf("path trace %v", d.PathTraceList)
	}
	ai := d.GrandmasterClusterTable.Iter()
	var addrs []string
	for ai.Next() {
		addrs = append(addrs, ai.Address.String())
	}
	if strings.Join(addrs, " ") != "192.0.2.1 2001:db8::42 00:1b:21:12:34:56" {
		t.Errorf("cluster table %v", addrs)
	}
	if ip, ok := (PortAddress{NetworkUDPIPv6, []byte{0x20, 0x01, 0x0d, 0xb8, 15: 0x42}}).IP(); !ok || ip.String() != "2001:db8::42" {
		t.Errorf("IP %v", ip)
	}
	if d.AcceptableMasterTable.Len() != 2 || d.AcceptableMasterTable.At(1) != (AcceptableMaster{mgmtTestPort2, 20}) {
		t.Errorf("acceptable masters %+v", d.AcceptableMasterTable)
	}
	ui := d.UnicastMasterTableNP.Iter()
	var states []string
	for ui.Next() {
		states = append(states, ui.Entry.PortState.String()+"@"+ui.Entry.Address.String())
	}
	if strings.Join(states, " ") != "HAVE_SYDY@192.0.2.7 WAIT@fe80::1" {
		t.Errorf("unicast masters %v", states)
	}
	if !d.SubscribeEventsNP.Has(NotifyCMLDS) || d.SubscribeEventsNP.Has(NotifyTimeSync) {
		t.Error("subscribe events bits")
	}
	if r := d.TimeStatusNP.RateRatio(); r >= 1 || r < 0.999999 {
		t.Errorf("rate ratio %v", r)
	}
	if ns := d.TimeStatusNP.LastGmPhaseChange.Nanoseconds(); ns < 1.8e19 {
		t.Errorf("scaled ns %v", ns)
	}
}

// TestMgmtBadLengths covers the length checks inside variable data sets.
func TestMgmtBadLengths(t *testing.T) {
	var d ManagementData
	// A fault record whose faultRecordLength matches neither convention.
	rec := mgmtFaultRecords()
	binary.BigEndian.PutUint16(rec[0:], 99)
	data := append([]byte{0, 1}, rec...)
	if err := DecodeManagementData(MgmtIDFaultLog, data, &d); err != ErrMgmtBadLength {
		t.Errorf("bad fault record length: %v", err)
	}
	// libptpmgmt counts the length member itself: accepted.
	rec = mgmtFaultRecords()
	binary.BigEndian.PutUint16(rec[0:], binary.BigEndian.Uint16(rec[0:])+2)
	if err := DecodeManagementData(MgmtIDFaultLog, append([]byte{0, 1}, rec...), &d); err != nil {
		t.Errorf("fault record length counting itself: %v", err)
	}
	if err := DecodeManagementData(MgmtIDPathTraceList, make([]byte, 12), &d); err != ErrMgmtBadLength || d.PathTraceList.Len() != 1 {
		t.Errorf("path trace 12 octets: %v", err)
	}
	// More entries announced than present.
	if err := DecodeManagementData(MgmtIDUnicastMasterTable, []byte{0, 0, 3, 0, 1, 0, 0}, &d); err != ErrMgmtShort {
		t.Errorf("table count: %v", err)
	}
	if err := DecodeManagementData(MgmtIDAcceptableMasterTable, []byte{0xff, 0xff}, &d); err != nil || d.AcceptableMasterTable.Len() != 0 {
		t.Errorf("negative table size: %v", err)
	}
}

func TestMgmtPTPTextLimit(t *testing.T) {
	long := bytes.Repeat([]byte{'x'}, 300)
	b := (&MgmtUserDescription{PTPText(long)}).AppendTo(nil)
	if len(b) != 256 || b[0] != 255 {
		t.Errorf("long text encodes to %d octets, length %d", len(b), b[0])
	}
}

// mgmtAllocIDs are the responses a monitoring sweep decodes most.
var mgmtAllocIDs = []ManagementID{MgmtIDParentDataSet, MgmtIDDefaultDataSet, MgmtIDPortDataSet,
	MgmtIDClockDescription, MgmtIDCurrentDataSet, MgmtIDTimePropertiesDataSet, MgmtIDPortStatsNP}

func TestMgmtDecodeNoAllocs(t *testing.T) {
	bodies := map[ManagementID][]byte{}
	for _, s := range mgmtSamples() {
		bodies[s.id] = s.body.AppendTo(nil)
	}
	var d ManagementData
	for _, id := range mgmtAllocIDs {
		data := bodies[id]
		n := testing.AllocsPerRun(200, func() {
			if err := DecodeManagementData(id, data, &d); err != nil {
				t.Fatal(err)
			}
		})
		if n != 0 {
			t.Errorf("%v: %v allocations per decode", id, n)
		}
	}
	// Every other data set too, and their encoders into a buffer with room.
	buf := make([]byte, 0, 1024)
	for _, s := range mgmtSamples() {
		data := bodies[s.id]
		n := testing.AllocsPerRun(50, func() {
			_ = DecodeManagementData(s.id, data, &d)
			d.ID = s.id
			buf = AppendManagementData(buf[:0], &d)
		})
		if n != 0 {
			t.Errorf("%v: %v allocations per decode+encode", s.id, n)
		}
	}
	odd := []byte{1}
	n := testing.AllocsPerRun(50, func() { _ = DecodeManagementData(0xC0FF, odd, &d) })
	if n != 0 {
		t.Errorf("error path allocates %v", n)
	}
}

func BenchmarkDecodeManagementData(b *testing.B) {
	bodies := map[ManagementID][]byte{}
	for _, s := range mgmtSamples() {
		bodies[s.id] = s.body.AppendTo(nil)
	}
	for _, id := range mgmtAllocIDs {
		data := bodies[id]
		b.Run(id.String(), func(b *testing.B) {
			var d ManagementData
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if err := DecodeManagementData(id, data, &d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeManagementResponse decodes a whole PARENT_DATA_SET
// response: the PTP message, then its data set.
func BenchmarkDecodeManagementResponse(b *testing.B) {
	body := (&MgmtParentDataSet{ParentPortIdentity: mgmtTestPort2, GrandmasterIdentity: mgmtTestClock}).AppendTo(nil)
	msg := (&Message{Header: Header{MessageType: Management, Version: 2, Source: mgmtTestPort},
		Management: ManagementHeader{Action: ActionResponse, ID: MgmtIDParentDataSet, Data: body}}).AppendTo(nil)
	var m Message
	var d ManagementData
	b.ReportAllocs()
	for b.Loop() {
		if r, _ := m.Decode(msg); r != ResultOK {
			b.Fatal(r)
		}
		if err := DecodeManagementData(m.Management.ID, m.Management.Data, &d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendManagementData(b *testing.B) {
	d := ManagementData{ID: MgmtIDParentDataSet, ParentDataSet: MgmtParentDataSet{GrandmasterIdentity: mgmtTestClock}}
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendManagementData(buf[:0], &d)
	}
}
