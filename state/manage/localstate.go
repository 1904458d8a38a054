package manage

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ptpwatch/ptpwatch/decode"
)

// LocalPTP4L is the state of a ptp4l running on the appliance itself, read
// from its Unix management socket as `pmc -u` does: what it says of its
// own synchronisation (and so of the clock master offsets are measured
// against, when phc2sys follows it).
type LocalPTP4L struct {
	Socket         string `json:"socket"`
	Domain         uint8  `json:"domainNumber"`
	PortState      string `json:"portState,omitempty"`
	Parent         string `json:"parentPortIdentity,omitempty"`
	Grandmaster    string `json:"grandmasterIdentity,omitempty"`
	GmPresent      bool   `json:"gmPresent"`
	MasterOffsetNs int64  `json:"masterOffsetNs"` // TIME_STATUS_NP master_offset
	StepsRemoved   uint16 `json:"stepsRemoved"`
	Error          string `json:"error,omitempty"`
}

// LocalChrony is chronyd's tracking report (chronyc -c tracking), when
// chronyc is installed and answers.
type LocalChrony struct {
	ReferenceID    string  `json:"referenceId"`
	Stratum        int     `json:"stratum"`
	SystemTimeS    float64 `json:"systemTimeSeconds"` // offset of the system clock from chrony's NTP time (fast when positive)
	LastOffsetS    float64 `json:"lastOffsetSeconds"`
	RMSOffsetS     float64 `json:"rmsOffsetSeconds"`
	RootDelayS     float64 `json:"rootDelaySeconds"`
	RootDispersion float64 `json:"rootDispersionSeconds"`
	Leap           string  `json:"leapStatus"`
	Error          string  `json:"error,omitempty"`
}

var udsSeq atomic.Uint32

// ReadLocalPTP4L asks the ptp4l whose management socket is socket (in
// domain) for TIME_STATUS_NP, PORT_DATA_SET and PARENT_DATA_SET, waiting
// at most timeout. It only reads (GETs); ptp4l takes nothing else from
// ptpwatch. A missing socket is nil: no local ptp4l.
func ReadLocalPTP4L(socket string, domain uint8, timeout time.Duration) *LocalPTP4L {
	if socket == "" {
		return nil
	}
	if _, err := os.Stat(socket); err != nil {
		return nil
	}
	out := &LocalPTP4L{Socket: socket, Domain: domain}
	err := askUDS(socket, domain, timeout, []decode.ManagementID{decode.MgmtIDTimeStatusNP, decode.MgmtIDPortDataSet, decode.MgmtIDParentDataSet},
		func(id decode.ManagementID, data []byte) {
			var d decode.ManagementData
			if decode.DecodeManagementData(id, data, &d) != nil {
				return
			}
			switch id {
			case decode.MgmtIDTimeStatusNP:
				out.MasterOffsetNs, out.GmPresent = d.TimeStatusNP.MasterOffset, d.TimeStatusNP.GmPresent
			case decode.MgmtIDPortDataSet:
				out.PortState = d.PortDataSet.PortState.String()
			case decode.MgmtIDParentDataSet:
				out.Parent, out.Grandmaster = d.ParentDataSet.ParentPortIdentity.String(), d.ParentDataSet.GrandmasterIdentity.String()
			}
		})
	if err != nil {
		out.Error = err.Error()
	}
	return out
}

// askUDS sends one GET per id to the Unix datagram socket of a ptp4l from
// a socket of our own beside it, and hands each answer's data to got.
func askUDS(socket string, domain uint8, timeout time.Duration, ids []decode.ManagementID, got func(decode.ManagementID, []byte)) error {
	local := filepath.Join(os.TempDir(), fmt.Sprintf("ptpwatch-%d-%d.sock", os.Getpid(), udsSeq.Add(1)))
	c, err := dialUnixgram(local, socket)
	if err != nil {
		return fmt.Errorf("ptp4l socket %s: %w", socket, err)
	}
	defer func() { c.Close(); os.Remove(local) }()
	self := decode.PortIdentity{Clock: decode.ClockIdentity{0x02, 0x70, 0x77, 0x70, 0x77, 0, 0, byte(os.Getpid())}, Port: uint16(os.Getpid())}
	want := map[uint16]decode.ManagementID{}
	for i, id := range ids {
		m := decode.Message{Header: decode.Header{MessageType: decode.Management, Version: 2, Domain: domain, Source: self,
			Sequence: uint16(i + 1), Control: 4, LogMessageInterval: 0x7f}}
		m.TargetPort = decode.PortIdentity{Clock: decode.AllClocks, Port: decode.AllPorts}
		m.Management = decode.ManagementHeader{Action: decode.ActionGet, ID: id, Data: decode.AppendManagementGet(nil, id, true)}
		if _, err := c.Write(m.AppendTo(nil)); err != nil {
			return fmt.Errorf("ptp4l socket %s: %w", socket, err)
		}
		want[uint16(i+1)] = id
	}
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 2048)
	for len(want) > 0 {
		c.SetReadDeadline(deadline)
		n, err := c.Read(buf)
		if err != nil {
			return fmt.Errorf("ptp4l socket %s: %d of %d answers: %w", socket, len(ids)-len(want), len(ids), err)
		}
		var m decode.Message
		if r, _ := m.Decode(buf[:n]); r != decode.ResultOK || m.MessageType&0x0f != decode.Management {
			continue
		}
		id, ok := want[m.Sequence]
		if !ok || m.Management.ID != id {
			continue
		}
		delete(want, m.Sequence)
		if m.Management.TLVType == decode.TLVManagement {
			got(id, m.Management.Data)
		}
	}
	return nil
}

// ReadLocalChrony runs `chronyc -c tracking` when chronyc is installed;
// nil when it is not.
func ReadLocalChrony(timeout time.Duration) *LocalChrony {
	bin, err := exec.LookPath("chronyc")
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-n", "-c", "tracking").Output()
	if err != nil {
		return &LocalChrony{Error: "chronyc tracking: " + err.Error()}
	}
	return parseChronyTracking(string(out))
}

// parseChronyTracking reads chronyc's CSV tracking line: reference ID,
// its name or address, stratum, reference time, system time, last offset,
// RMS offset, frequency, residual frequency, skew, root delay, root
// dispersion, update interval, leap status.
func parseChronyTracking(line string) *LocalChrony {
	f := strings.Split(strings.TrimSpace(line), ",")
	if len(f) < 14 {
		return &LocalChrony{Error: fmt.Sprintf("chronyc tracking: %d fields, want 14: %q", len(f), line)}
	}
	num := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	st, _ := strconv.Atoi(f[2])
	return &LocalChrony{ReferenceID: f[0] + " (" + f[1] + ")", Stratum: st, SystemTimeS: num(f[4]), LastOffsetS: num(f[5]),
		RMSOffsetS: num(f[6]), RootDelayS: num(f[10]), RootDispersion: num(f[11]), Leap: f[13]}
}
