package bpf

// Regenerate with `make generate` (needs clang and libbpf-dev). The
// generated ptpfilter_bpf{el,eb}.{go,o} are committed so a
// build needs no clang.
//go:generate go tool bpf2go -tags linux -cc clang ptpFilter ptp_filter.c -- -I/usr/include/x86_64-linux-gnu -O2 -g -Wall
