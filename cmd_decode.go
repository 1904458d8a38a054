package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ptpwatch/ptpwatch/decode/dump"
)

// cmdDecode implements `ptpwatch decode FILE [--json] [-v]`.
func cmdDecode(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "one JSON object per frame, then a summary")
	verbose := fs.Bool("v", false, "print each frame's field tree with offsets")
	file, code, ok := parseWithFile(fs, args, "ptpwatch decode", stderr)
	if !ok {
		return code
	}
	f, err := os.Open(file)
	if err != nil {
		fmt.Fprintf(stderr, "ptpwatch decode: %v\n", err)
		return exitError
	}
	defer f.Close()
	out := bufio.NewWriterSize(stdout, 1<<16)
	defer out.Flush()
	if err := dump.Capture(f, out, *asJSON, *verbose); err != nil {
		out.Flush()
		fmt.Fprintf(stderr, "ptpwatch decode %s: %v\n", file, err)
		return exitError
	}
	return exitOK
}
