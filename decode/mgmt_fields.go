package decode

import (
	"encoding/binary"
	"strconv"
)

// This file lists the members of management data sets as located fields
// for the detail view (see describeManagementData). Each ID's row in
// mgmtIDs gives its layout: a table of mgmtSpec for a fixed layout, or one
// of the describers below for data sets with texts or tables. Field names
// are the data set members' names in IEEE 1588 (linuxptp's for its own data
// sets).

type mgmtKind uint8

const (
	mkUint          mgmtKind = iota // big-endian unsigned
	mkInt                           // big-endian mgmtTwo's complement
	mkHex                           // octets shown as 0x hex
	mkReserved                      // "reserved", shown as hex
	mkClockIdentity                 // 8 octets
	mkPortIdentity                  // 10 octets
	mkClockQuality                  // 4 octets
	mkTimestamp                     // 10 octets
	mkTimeInterval                  // 8 octets, scaled nanoseconds
	mkEnum                          // unsigned, with enum naming it
	mkFlags                         // one octet of named bits
	mkNibbles                       // one octet, bits named as in mkFlags with multi-bit masks
)

// mgmtBit names some bits of a flags octet.
type mgmtBit struct {
	name string
	mask uint8
}

// mgmtSpec is one member of a fixed-layout data set.
type mgmtSpec struct {
	name string
	kind mgmtKind
	n    int
	enum func(uint64) string
	bits []mgmtBit
}

var (
	mgmtEnumPortState   = func(v uint64) string { return PortState(v).String() }
	mgmtEnumDelay       = func(v uint64) string { return DelayMechanism(v).String() }
	mgmtEnumTimeSource  = func(v uint64) string { return TimeSource(v).String() }
	mgmtEnumAccuracy    = func(v uint64) string { return ClockAccuracyString(uint8(v)) }
	mgmtEnumPowerProf   = func(v uint64) string { return PowerProfileVersion(v).String() }
	mgmtEnumTimestamp   = func(v uint64) string { return LinuxTimestamping(v).String() }
	mgmtEnumUncertainNP = func(v uint64) string {
		switch v {
		case 0:
			return "false"
		case 1:
			return "true"
		case 0xff:
			return "don't care"
		}
		return "invalid"
	}

	mgmtReserved1  = mgmtSpec{name: "reserved", kind: mkReserved, n: 1}
	mgmtBitEnable  = []mgmtBit{{"enable", 0x01}}
	mgmtBitsTime   = []mgmtBit{{"leap61", 0x01}, {"leap59", 0x02}, {"currentUtcOffsetValid", 0x04}, {"ptpTimescale", 0x08}, {"timeTraceable", 0x10}, {"frequencyTraceable", 0x20}}
	mgmtBitsVerNum = []mgmtBit{{"minorVersionNumber", 0xf0}, {"versionNumber", 0x0f}}
)

func msU(name string, n int) mgmtSpec   { return mgmtSpec{name: name, kind: mkUint, n: n} }
func msS(name string, n int) mgmtSpec   { return mgmtSpec{name: name, kind: mkInt, n: n} }
func msTI(name string) mgmtSpec         { return mgmtSpec{name: name, kind: mkTimeInterval, n: 8} }
func msCI(name string) mgmtSpec         { return mgmtSpec{name: name, kind: mkClockIdentity, n: 8} }
func msPI(name string) mgmtSpec         { return mgmtSpec{name: name, kind: mkPortIdentity, n: 10} }
func msCQ(name string) mgmtSpec         { return mgmtSpec{name: name, kind: mkClockQuality, n: 4} }
func msHex(name string, n int) mgmtSpec { return mgmtSpec{name: name, kind: mkHex, n: n} }
func msEnum(name string, n int, f func(uint64) string) mgmtSpec {
	return mgmtSpec{name: name, kind: mkEnum, n: n, enum: f}
}
func msFlags(bits ...mgmtBit) mgmtSpec {
	return mgmtSpec{name: "flags", kind: mkFlags, n: 1, bits: bits}
}

// describeMgmtBody lists id's data set at w.b[off:off+n] (w.b ends where
// the data field does) and returns the octets it explained, or -1 when it
// does not know the ID. The layout comes from id's row in mgmtIDs.
func describeMgmtBody(w fieldWriter, id ManagementID, off, n int) int {
	r := mgmtIDRow(id)
	switch {
	case r == nil:
		return -1
	case r.layout != nil:
		return mgmtDescribeSpecs(w, r.layout, off)
	case r.describe != nil:
		return r.describe(w, off, n)
	}
	return 0 // no data set
}

// The describers below list the data sets that fixed layouts cannot: those
// with texts, tables or linuxptp's host-order counters. Each has the
// signature of mgmtIDInfo.describe.

func mgmtDescribeUserDescription(w fieldWriter, off, _ int) int {
	return w.ptpText("userDescription", off)
}

func mgmtDescribePathTraceList(w fieldWriter, off, n int) int {
	m := n &^ 7
	for i := 0; i < m; i += 8 {
		w.clockIdentity("pathSequence", off+i)
	}
	return m
}

func mgmtDescribeGrandmasterClusterTable(w fieldWriter, off, _ int) int {
	w.int("logQueryInterval", off, 1)
	k := int(w.uint("actualTableSize", off+1, 1))
	return 2 + mgmtDescribeAddresses(w, "portAddress", off+2, k)
}

func mgmtDescribeUnicastMasterTable(w fieldWriter, off, _ int) int {
	w.int("logQueryInterval", off, 1)
	k := int(w.uint("actualTableSize", off+1, 2))
	return 3 + mgmtDescribeAddresses(w, "portAddress", off+3, k)
}

func mgmtDescribeAcceptableMasterTable(w fieldWriter, off, _ int) int {
	k := int(w.int("actualTableSize", off, 2))
	p := off + 2
	for i := 0; i < k && p < len(w.b); i++ {
		g := w.group("acceptableMaster", p, 11)
		g.portIdentity("acceptablePortIdentity", p)
		g.uint("alternatePriority1", p+10, 1)
		p += 11
	}
	return min(p, len(w.b)) - off
}

func mgmtDescribeAlternateTimeOffsetName(w fieldWriter, off, _ int) int {
	w.uint("keyField", off, 1)
	return 1 + w.ptpText("displayName", off+1)
}

var mgmtPortPropertiesNPHead = []mgmtSpec{msPI("portIdentity"), msEnum("portState", 1, mgmtEnumPortState),
	msEnum("timestamping", 1, mgmtEnumTimestamp)}

func mgmtDescribePortPropertiesNP(w fieldWriter, off, _ int) int {
	used := mgmtDescribeSpecs(w, mgmtPortPropertiesNPHead, off)
	return used + w.ptpText("interface", off+used)
}

func mgmtDescribeSubscribeEventsNP(w fieldWriter, off, _ int) int {
	w.uint("duration", off, 2)
	g := w.group("bitmask", off+2, 64)
	if w.ok(off+2, 64) {
		g.setValueLazy(valueHex, off+2, 64)
	}
	for i, name := range [...]string{"notifyPortState", "notifyTimeSync", "notifyParentDataSet", "notifyCmlds"} {
		g.bits(name, off+2, 1, 1<<i, "")
	}
	return 66
}

// mgmtDescribeSpecs lists a fixed layout starting at off and returns its
// length.
func mgmtDescribeSpecs(w fieldWriter, specs []mgmtSpec, off int) int {
	p := off
	for i := range specs {
		sp := &specs[i]
		switch sp.kind {
		case mkUint:
			w.uint(sp.name, p, sp.n)
		case mkInt:
			w.int(sp.name, p, sp.n)
		case mkHex:
			w.hex(sp.name, p, sp.n)
		case mkReserved:
			w.hex(sp.name, p, sp.n)
		case mkClockIdentity:
			w.clockIdentity(sp.name, p)
		case mkPortIdentity:
			w.portIdentity(sp.name, p)
		case mkClockQuality:
			w.clockQuality(sp.name, p)
		case mkTimestamp:
			w.timestamp(sp.name, p)
		case mkTimeInterval:
			w.mgmtTimeInterval(sp.name, p, 8, HostOrderBig)
		case mkEnum:
			if w.ok(p, sp.n) {
				w.enum(sp.name, p, sp.n, sp.enum(w.be(p, sp.n)))
			} else {
				w.truncated(sp.name, p, sp.n)
			}
		case mkFlags:
			if !w.ok(p, 1) {
				w.truncated(sp.name, p, 1)
				break
			}
			g := w.group(sp.name, p, 1)
			g.setValueLazy(valueHex, p, 1)
			for _, bit := range sp.bits {
				g.bits(bit.name, p, 1, uint64(bit.mask), "")
			}
		case mkNibbles:
			for _, bit := range sp.bits {
				w.bits(bit.name, p, 1, uint64(bit.mask), "")
			}
		}
		p += sp.n
	}
	return p - off
}

// mgmtTimeInterval lists a TimeInterval (§5.3.2): the scaled value, with
// its meaning in nanoseconds as Text. Order says the byte order, for
// linuxptp's host-order members.
func (w fieldWriter) mgmtTimeInterval(name string, off, n int, o HostOrder) {
	if !w.ok(off, 8) {
		w.truncated(name, off, 8)
		return
	}
	v := int64(mgmtHostU64Read(w.b[off:], o))
	a := w.arena()
	start := len(a)
	w.setValueArenaOf(w.node(name, off, 8, ""), strconv.AppendInt(a, v, 10), start)
	a = w.arena()
	start = len(a)
	a = appendCorrectionNs(a, v)
	w.setLastTextArena(append(a, " ns"...), start)
}

// mgmtHostU64 lists a linuxptp host-order 64-bit counter.
func (w fieldWriter) mgmtHostU64(name string, off int, o HostOrder) {
	if !w.ok(off, 8) {
		w.truncated(name, off, 8)
		return
	}
	a := w.arena()
	start := len(a)
	w.setValueArenaOf(w.node(name, off, 8, ""), strconv.AppendUint(a, mgmtHostU64Read(w.b[off:], o), 10), start)
}

func mgmtHex(p []byte) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 0, 2*len(p))
	for _, c := range p {
		b = append(b, digits[c>>4], digits[c&0xf])
	}
	return string(b)
}

// mgmtDescribePortAddress lists a PortAddress and returns its length, or the
// octets left when it is cut short.
func mgmtDescribePortAddress(w fieldWriter, name string, off int) int {
	if !w.ok(off, 4) {
		rest := max(len(w.b)-off, 0)
		w.truncated(name, off, rest)
		return rest
	}
	k := int(binary.BigEndian.Uint16(w.b[off+2:]))
	g := w.group(name, off, 4+k)
	if w.ok(off+4, k) {
		a := PortAddress{NetworkProtocol(binary.BigEndian.Uint16(w.b[off:])), w.b[off+4 : off+4+k]}
		g.setValue(a.String())
	}
	g.enum("networkProtocol", off, 2, NetworkProtocol(binary.BigEndian.Uint16(w.b[off:])).String())
	g.uint("addressLength", off+2, 2)
	if k > 0 {
		g.hex("addressField", off+4, k)
	}
	return min(4+k, len(w.b)-off)
}

// mgmtDescribeAddresses lists k PortAddress entries from off and returns their
// length.
func mgmtDescribeAddresses(w fieldWriter, name string, off, k int) int {
	p := off
	for i := 0; i < k && p < len(w.b); i++ {
		p += mgmtDescribePortAddress(w, name, p)
	}
	return p - off
}

func mgmtDescribeClockDescription(w fieldWriter, off, _ int) int {
	p := off
	if !w.ok(p, 2) {
		w.truncated("clockType", p, 2)
		return len(w.b) - off
	}
	ct := ClockType(binary.BigEndian.Uint16(w.b[p:]))
	g := w.group("clockType", p, 2)
	g.setValueLazy(valueHex, p, 2)
	g.setText(ct.String())
	for _, n := range mgmtClockTypeNames {
		g.bits(n.name, p, 2, uint64(n.bit), "")
	}
	g.bits("reserved", p, 2, 0x07ff, "")
	p += 2
	p += w.ptpText("physicalLayerProtocol", p)
	k := int(w.uint("physicalAddressLength", p, 2))
	p += 2
	if k > 0 {
		w.hex("physicalAddress", p, k)
	}
	p += k
	p += mgmtDescribePortAddress(w, "protocolAddress", p)
	w.hex("manufacturerIdentity", p, 3)
	w.hex("reserved", p+3, 1)
	p += 4
	p += w.ptpText("productDescription", p)
	p += w.ptpText("revisionData", p)
	p += w.ptpText("userDescription", p)
	w.hex("profileIdentity", p, 6)
	p += 6
	return min(p, len(w.b)) - off
}

func mgmtDescribeFaultLog(w fieldWriter, off, _ int) int {
	k := int(w.uint("numberOfFaultRecords", off, 2))
	p := off + 2
	for i := 0; i < k && p < len(w.b); i++ {
		_, next, err := mgmtReadFaultRecord(w.b, p)
		size := next - p
		if err != nil {
			size = len(w.b) - p
		}
		g := w.group("faultRecord", p, size)
		g.uint("faultRecordLength", p, 2)
		g.timestamp("faultTime", p+2)
		if g.ok(p+12, 1) {
			g.enum("severityCode", p+12, 1, FaultSeverity(w.b[p+12]).String())
		} else {
			g.truncated("severityCode", p+12, 1)
		}
		q := p + 13
		q += g.ptpText("faultName", q)
		q += g.ptpText("faultValue", q)
		q += g.ptpText("faultDescription", q)
		if err != nil {
			return len(w.b) - off
		}
		p = next
	}
	return p - off
}

// mgmtDescribeHostOrder decides the byte order of n host-order 64-bit values at
// off for the detail view; HostOrderAuto's rule, since the view has no
// setting of its own.
func mgmtDescribeHostOrder(w fieldWriter, off, n int, signed bool) HostOrder {
	if !w.ok(off, 8*n) {
		return HostOrderLittle
	}
	return mgmtResolveHostOrder(w.b[off:off+8*n], n, signed, HostOrderAuto)
}

func mgmtDescribePortStatsNP(w fieldWriter, off, _ int) int {
	w.portIdentity("portIdentity", off)
	o := mgmtDescribeHostOrder(w, off+10, 32, false)
	if w.g != 0 {
		w.appendText(" (counters " + o.String() + ")")
	}
	for dir, prefix := range [2]string{"rx_", "tx_"} {
		for t := 0; t < 16; t++ {
			name := MessageType(t).String()
			w.mgmtHostU64(prefix+name, off+10+128*dir+8*t, o)
		}
	}
	return 266
}

var mgmtPortServiceStatsNames = [...]string{"announce_timeout", "sync_timeout", "delay_timeout",
	"unicast_service_timeout", "unicast_request_timeout", "master_announce_timeout",
	"master_sync_timeout", "qualification_timeout", "sync_mismatch", "followup_mismatch"}

func mgmtDescribePortServiceStatsNP(w fieldWriter, off, _ int) int {
	w.portIdentity("portIdentity", off)
	o := mgmtDescribeHostOrder(w, off+10, 10, false)
	if w.g != 0 {
		w.appendText(" (counters " + o.String() + ")")
	}
	for i, name := range mgmtPortServiceStatsNames {
		w.mgmtHostU64(name, off+10+8*i, o)
	}
	return 90
}

func mgmtDescribePortCorrectionsNP(w fieldWriter, off, _ int) int {
	o := mgmtDescribeHostOrder(w, off, 3, true)
	if w.g != 0 {
		w.appendText(" (values " + o.String() + ")")
	}
	w.mgmtTimeInterval("egressLatency", off, 8, o)
	w.mgmtTimeInterval("ingressLatency", off+8, 8, o)
	w.mgmtTimeInterval("delayAsymmetry", off+16, 8, o)
	return 24
}

func mgmtDescribeUnicastMasterTableNP(w fieldWriter, off, _ int) int {
	k := int(w.uint("actualTableSize", off, 2))
	p := off + 2
	for i := 0; i < k && p < len(w.b); i++ {
		_, next, err := mgmtReadUnicastMasterEntry(w.b, p)
		size := next - p
		if err != nil {
			size = len(w.b) - p
		}
		g := w.group("unicastMaster", p, size)
		g.portIdentity("portIdentity", p)
		g.clockQuality("clockQuality", p+10)
		g.uint("selected", p+14, 1)
		if g.ok(p+15, 1) {
			g.enum("portState", p+15, 1, UnicastStateNP(w.b[p+15]).String())
		} else {
			g.truncated("portState", p+15, 1)
		}
		g.uint("priority1", p+16, 1)
		g.uint("priority2", p+17, 1)
		mgmtDescribePortAddress(g, "address", p+18)
		if err != nil {
			return len(w.b) - off
		}
		p = next
	}
	return p - off
}
