//go:build linux

package main

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"
)

// xdpMD is struct xdp_md, the context BPF_PROG_TEST_RUN takes for XDP.
type xdpMD struct {
	Data, DataEnd, DataMeta    uint32
	IngressIfindex, RxQueueIdx uint32
	EgressIfindex              uint32
}

// pacer is the program's state, one array-map value: the time the next
// frame is due, the interval between frames (0: no pacing), how many
// frames it has let through, and how far behind the schedule the program
// may fall and still catch up (the largest burst, in nanoseconds).
type pacer struct{ Next, Interval, Sent, Slack uint64 }

// catchUp is the largest burst a pacer sends to catch up with its
// schedule, in frames: enough to absorb the kernel's own batching, small
// against a veth's 256-entry ring.
const catchUp = 32

// pacedTX is an XDP program that waits, reading the clock, until the next
// frame is due by the pacer in map slot 0 and then returns XDP_TX, so that
// the kernel's live-frames loop transmits frames evenly at the configured
// rate instead of in bursts a veth's 256-entry ring could not take. It
// waits instead of dropping frames that are not due because a dropped
// frame's page goes back to the generator's page pool through its locked
// ring, the same lock the receiving CPU takes to return transmitted pages:
// millions of drops a second would make the receiver look slow. Waits too
// long for the verifier's bounded loop end in XDP_DROP (only at rates
// below some 10 k frames/s). BPF_PROG_TEST_RUN runs one program at a time
// on one CPU, so the plain read-modify-write of the state is safe.
func pacedTX(state *ebpf.Map) asm.Instructions {
	return asm.Instructions{
		asm.StoreImm(asm.R10, -4, 0, asm.Word),
		asm.LoadMapPtr(asm.R1, state.FD()),
		asm.Mov.Reg(asm.R2, asm.R10),
		asm.Add.Imm(asm.R2, -4),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "drop"),
		asm.Mov.Reg(asm.R6, asm.R0),
		asm.LoadMem(asm.R8, asm.R6, 0, asm.DWord), // next
		asm.Mov.Imm(asm.R7, 0),
		asm.FnKtimeGetNs.Call().WithSymbol("wait"),
		asm.JGE.Reg(asm.R0, asm.R8, "due"),
		asm.Add.Imm(asm.R7, 1),
		asm.JLT.Imm(asm.R7, 4096, "wait"),
		asm.Ja.Label("drop"),
		asm.LoadMem(asm.R2, asm.R6, 8, asm.DWord).WithSymbol("due"), // interval
		asm.Mov.Reg(asm.R1, asm.R8),
		asm.Add.Reg(asm.R1, asm.R2),
		asm.Mov.Reg(asm.R3, asm.R0),
		asm.LoadMem(asm.R2, asm.R6, 24, asm.DWord), // slack
		asm.Sub.Reg(asm.R3, asm.R2),
		asm.JGE.Reg(asm.R1, asm.R3, "store"),
		asm.Mov.Reg(asm.R1, asm.R3), // far behind: catch up with one short burst at most
		asm.StoreMem(asm.R6, 0, asm.R1, asm.DWord).WithSymbol("store"),
		asm.LoadMem(asm.R3, asm.R6, 16, asm.DWord),
		asm.Add.Imm(asm.R3, 1),
		asm.StoreMem(asm.R6, 16, asm.R3, asm.DWord),
		asm.Mov.Imm(asm.R0, 3), // XDP_TX
		asm.Return(),
		asm.Mov.Imm(asm.R0, 1).WithSymbol("drop"), // XDP_DROP
		asm.Return(),
	}
}

// blastXDP sends frame on interface ifindex with XDP live frames: the
// kernel runs pacedTX on copies of frame and transmits each it lets
// through on the interface it was "received" on. The frames of one
// BPF_PROG_TEST_RUN call share a sequenceId; the next call's is one
// higher. Calls last about callFor, since each costs some 25 ms of
// set-up and tear-down, during which nothing is sent.
func blastXDP(ifindex int, frame []byte, seqOff int, dur time.Duration, rate float64) (result, error) {
	const callFor = 500 * time.Millisecond
	res := result{Size: len(frame)}
	state, err := ebpf.NewMap(&ebpf.MapSpec{Name: "ptpblast_pace", Type: ebpf.Array, KeySize: 4,
		ValueSize: uint32(binary.Size(pacer{})), MaxEntries: 1})
	if err != nil {
		return res, fmt.Errorf("create the pacing map: %w (needs CAP_BPF)", err)
	}
	defer state.Close()
	var p pacer
	if rate > 0 {
		p.Interval = uint64(float64(time.Second) / rate)
		p.Slack = catchUp * p.Interval
	}
	if err := state.Put(uint32(0), p); err != nil {
		return res, fmt.Errorf("set the pace: %w", err)
	}
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Name: "ptpblast_tx", Type: ebpf.XDP, License: "GPL",
		Instructions: pacedTX(state)})
	if err != nil {
		return res, fmt.Errorf("load the XDP_TX program: %w (needs CAP_BPF and CAP_NET_ADMIN)", err)
	}
	defer prog.Close()
	data := append([]byte(nil), frame...)
	ctx := xdpMD{DataEnd: uint32(len(data)), IngressIfindex: uint32(ifindex)}
	seq := uint16(0)
	repeat := uint32(1 << 16)
	start := time.Now()
	end := start.Add(dur)
	for {
		now := time.Now()
		if !now.Before(end) {
			break
		}
		data[seqOff], data[seqOff+1] = byte(seq>>8), byte(seq)
		seq++
		_, err := prog.Run(&ebpf.RunOptions{
			Data:      data,
			Context:   &ctx,
			Repeat:    repeat,
			BatchSize: 128, // frames between flushes, each of which wakes the receiver; a veth ring holds 256
			Flags:     unix.BPF_F_TEST_XDP_LIVE_FRAMES,
		})
		if err != nil {
			return res, fmt.Errorf("XDP live frames (Linux 5.18 or later): %w", err)
		}
		// Aim the next call at callFor, without running past the end.
		took := time.Since(now)
		want := min(callFor, time.Until(end))
		if took > 0 && want > 0 {
			repeat = uint32(min(max(float64(repeat)*float64(want)/float64(took), 256), 1<<30))
		}
	}
	res.Seconds = time.Since(start).Seconds()
	if err := state.Lookup(uint32(0), &p); err != nil {
		return res, fmt.Errorf("read the frame count: %w", err)
	}
	res.Sent = p.Sent
	return res, nil
}
