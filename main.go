// Command ptpwatch is a PTP (IEEE 1588) capture and monitoring appliance.
//
// Subcommands:
//
//	ptpwatch decode FILE [--json] [-v]   print every frame of a capture decoded
//	ptpwatch analyze FILE [--json]        run a capture through the model and print it
//
// Exit codes: 0 success, 1 a file could not be read or written, 2 bad usage.
package main

import (
	"fmt"
	"io"
	"os"
)

// Exit codes, documented in the package comment and the README.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "decode":
		return cmdDecode(args[1:], stdout, stderr)
	case "analyze":
		return cmdAnalyze(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		usage(stdout)
		return exitOK
	}
	fmt.Fprintf(stderr, "ptpwatch: unknown command %q\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  ptpwatch decode FILE [--json] [-v]   decode every frame of a pcap/pcapng capture
      --json   one JSON object per frame with every field, then a summary object
      -v       (text output) print each frame's field tree with byte offsets
  ptpwatch analyze FILE [--json] [--series] [--segment N]
               run a capture through the live model; print scopes, devices with
               roles and evidence, instances, hierarchy trees and events

exit codes: 0 success, 1 unreadable or invalid file, 2 bad usage
`)
}
