package bpf

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"
)

// metaRefused reports (once per process) whether the kernel refuses
// bpf_xdp_adjust_meta to XDP programs. Some hardened kernels do (seen on
// 6.18.44-fc: "program of this type cannot use helper
// bpf_xdp_adjust_meta#54"); the program then loads without it and frames
// arrive without the metadata block, stamped in user space.
var metaRefused = sync.OnceValue(func() bool {
	p, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.XDP, License: "Dual BSD/GPL", Instructions: asm.Instructions{
		asm.Mov.Imm(asm.R2, -MetaLen),
		asm.FnXdpAdjustMeta.Call(),
		asm.Mov.Imm(asm.R0, 2), // XDP_PASS
		asm.Return(),
	}})
	if err != nil {
		var ve *ebpf.VerifierError
		return errors.As(err, &ve)
	}
	p.Close()
	return false
})

// withoutAdjustMeta replaces every call of bpf_xdp_adjust_meta in ps with
// "r0 = -EOPNOTSUPP", the helper's failure: the program then counts
// MetaFailed and redirects the frame without metadata. Each call is one
// instruction slot, like its replacement, so no jump moves.
func withoutAdjustMeta(ps *ebpf.ProgramSpec) {
	for i, ins := range ps.Instructions {
		if ins.IsBuiltinCall() && ins.Constant == int64(asm.FnXdpAdjustMeta) {
			ps.Instructions[i] = asm.Mov.Imm(asm.R0, -int32(unix.EOPNOTSUPP)).WithMetadata(ins.Metadata)
		}
	}
}

// NoMetadata reports whether this kernel refuses bpf_xdp_adjust_meta, so
// that the loaded program cannot put its metadata block (TAI and hardware
// timestamps) in front of frames: every frame counts as MetaFailed and the
// receiver must stamp it itself.
func NoMetadata() bool { return metaRefused() }

// The two programs share the maps; LoadAndAssign loads only the program
// named in the target struct.
type genericObjects struct {
	Prog *ebpf.Program `ebpf:"xdp_ptp_filter"`
	ptpFilterMaps
}

type boundObjects struct {
	Prog *ebpf.Program `ebpf:"xdp_ptp_filter_hw"`
	ptpFilterMaps
}

// load loads one of the two programs with the maps; ifindex > 0 selects the
// device-bound variant.
func load(ifindex int) (*Filter, error) {
	spec, err := loadPtpFilter()
	if err != nil {
		return nil, err
	}
	if metaRefused() {
		for _, ps := range spec.Programs {
			withoutAdjustMeta(ps)
		}
	}
	if ifindex == 0 {
		var o genericObjects
		if err := spec.LoadAndAssign(&o, nil); err != nil {
			return nil, explain(err)
		}
		return &Filter{prog: o.Prog, xsks: o.Xsks, counters: o.Counters}, nil
	}
	ps := spec.Programs[ptpFilterProgXdpPtpFilterHw]
	ps.Ifindex = uint32(ifindex)
	ps.Flags |= unix.BPF_F_XDP_DEV_BOUND_ONLY
	var o boundObjects
	if err := spec.LoadAndAssign(&o, nil); err != nil {
		return nil, explain(err)
	}
	return &Filter{prog: o.Prog, xsks: o.Xsks, counters: o.Counters, hw: true}, nil
}

// explain wraps a load error, naming what is missing when it is EPERM.
func explain(err error) error {
	if !errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("bpf: loading the XDP program: %w", err)
	}
	limit := "unknown"
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_MEMLOCK, &rl) == nil {
		limit = fmtLimit(rl.Cur)
	}
	return fmt.Errorf("bpf: loading the XDP program needs CAP_BPF and CAP_NET_ADMIN (or CAP_SYS_ADMIN), "+
		"and room under RLIMIT_MEMLOCK (now %s) on kernels that charge BPF maps to it: %w", limit, err)
}

func fmtLimit(v uint64) string {
	if v == unix.RLIM_INFINITY {
		return "unlimited"
	}
	if v >= 1<<20 && v%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", v>>20)
	}
	return fmt.Sprintf("%d bytes", v)
}
