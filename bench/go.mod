module github.com/ptpwatch/ptpwatch/bench

go 1.26.8

require github.com/ptpwatch/ptpwatch v0.0.0

require (
	github.com/facebook/time v0.0.0-20260822211804-f81aedc1c1e3
	golang.org/x/sys v0.50.0
)

require (
	github.com/cilium/ebpf v0.22.0 // indirect
	github.com/mdlayher/packet v1.2.0 // indirect
	github.com/mdlayher/socket v0.7.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
)

replace github.com/ptpwatch/ptpwatch => ../
