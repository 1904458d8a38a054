package bpf

import (
	"errors"
	"fmt"
	"os"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

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
