package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ptpwatch/ptpwatch/httpd/apiclient"
	"github.com/ptpwatch/ptpwatch/state/pipeline"
	"github.com/ptpwatch/ptpwatch/state/report"
	"github.com/ptpwatch/ptpwatch/xdp/replay"
)

// cmdAnalyze implements `ptpwatch analyze FILE [--json]`.
func cmdAnalyze(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the whole model as JSON")
	segment := fs.Uint("segment", 0, "segment number to assign to the capture's interfaces")
	series := fs.Bool("series", false, "with --json, include per-second counters of each scope and instance")
	file, code, ok := parseWithFile(fs, args, "ptpwatch analyze", stderr)
	if !ok {
		return code
	}
	a, err := analyzeFile(file, uint16(*segment), *series, apiclient.TerminalWriter(stderr))
	if a != nil { // also the frames before a capture's early end
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if jerr := enc.Encode(a); jerr != nil {
				err = errors.Join(err, jerr)
			}
		} else {
			a.WriteText(stdout)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "ptpwatch analyze: %v\n", err)
		return exitError
	}
	return exitOK
}

// analyzeFile runs a capture through the pipeline and returns the model.
func analyzeFile(path string, segment uint16, withSeries bool, progress io.Writer) (*report.Analysis, error) {
	src, err := replay.Open(path, segment)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var onProgress func(received, decoded uint64)
	if progress != nil {
		size := int64(0)
		if st, err := os.Stat(path); err == nil {
			size = st.Size()
		}
		onProgress = func(received, decoded uint64) {
			fmt.Fprintf(progress, "\r\033[K%s: %d frames (%d PTP) of a %d MiB file", path, received, decoded, size>>20)
		}
		defer fmt.Fprint(progress, "\r\033[K")
	}
	return pipeline.Analyze(context.Background(), src, path, withSeries, onProgress)
}
