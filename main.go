// Command ptpwatch is a PTP (IEEE 1588) capture and monitoring appliance.
//
// Run as the appliance:
//
//	ptpwatch [-c FILE] [--demo | --replay FILE [--exit-after-replay] | -i IFACE ...] [--data DIR] [--http ADDR]
//	ptpwatch -k [-c FILE]       check the configuration
//	ptpwatch -O                 print the complete commented default configuration
//	ptpwatch -e SECTION:KEY     explain one setting
//
// Signals: SIGHUP reloads the configuration without losing state, SIGUSR2
// logs the counters, SIGINT and SIGTERM stop cleanly.
//
// Subcommands:
//
//	ptpwatch decode FILE [--json] [-v]   print every frame of a capture decoded
//	ptpwatch analyze FILE [--json]        run a capture through the model and print it
//	ptpwatch passwd [--token] [--role R] NAME   make an API credential for the config file
//	ptpwatch export --data DIR (INCIDENT | --from T --to T) -o FILE | --list   export recordings as pcapng
//	ptpwatch trigger [--api URL] [--note TEXT] [--scope S]   record an incident now on a running appliance
//	ptpwatch query -i IFACE [-2|-4|-6] [-d N] [-b N] [-t PORT] 'GET ID'   ask clocks with PTP management, like pmc
//	ptpwatch alarm list | test NAME [--api URL]             list custom alarms, or test-fire one
//
// Exit codes: 0 success (or stopped by a signal), 1 a file, source or runtime
// failure (a missing -c file, an interface that does not exist), 2 bad usage
// (an unknown flag or a bad flag value), 3 an invalid configuration.
package main

import (
	"errors"
	"flag"
	"fmt"
	"github.com/ptpwatch/ptpwatch/httpd/config"
	"io"
	"os"
	"strings"

	"github.com/ptpwatch/ptpwatch/httpd/apiclient"
	"github.com/ptpwatch/ptpwatch/state/manage"
)

// Exit codes, documented in the package comment and the README.
const (
	exitOK     = 0 // success, or stopped by SIGINT/SIGTERM
	exitError  = 1 // a file, source or runtime failure, a missing -c file
	exitUsage  = 2 // bad command line
	exitConfig = 3 // the configuration file is invalid
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" {
		return runAppliance(args, stdout, stderr)
	}
	switch args[0] {
	case "decode":
		return cmdDecode(args[1:], stdout, stderr)
	case "analyze":
		return cmdAnalyze(args[1:], stdout, stderr)
	case "passwd":
		return cmdPasswd(args[1:], os.Stdin, stdout, stderr)
	case "export":
		return apiclient.ExportCommand(args[1:], stdout, stderr)
	case "trigger":
		return cmdTrigger(args[1:], stdout, stderr)
	case "query":
		return manage.QueryCommand(args[1:], stdout, stderr)
	case "alarm":
		return apiclient.AlarmCommand(args[1:], stdout, stderr)
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
  ptpwatch [-c FILE] [--demo | --replay FILE [--exit-after-replay] | -i IFACE ...] [--data DIR] [--http ADDR]
      run the appliance; SIGHUP reloads the config, SIGUSR2 logs counters,
      SIGINT and SIGTERM stop it
  ptpwatch -k [-c FILE]      check the configuration and exit
  ptpwatch -O                print the complete commented default configuration
  ptpwatch -e SECTION:KEY    explain one setting
  ptpwatch --version         print the version

options of the appliance:
`+config.FlagHelp()+`
subcommands (each takes -h):
  ptpwatch decode FILE [--json] [-v]   decode every frame of a pcap/pcapng capture
      --json   one JSON object per frame with every field, then a summary object
      -v       (text output) print each frame's field tree with byte offsets
  ptpwatch analyze FILE [--json] [--series] [--segment N]
               run a capture through the live model; print scopes, devices with
               roles and evidence, instances, hierarchy trees and events
  ptpwatch passwd [--role read-only|admin] NAME < password
  ptpwatch passwd --token [--role read-only|admin] NAME
               print the [http] users/tokens line for an API credential
  ptpwatch export (--data DIR | --api URL) (INCIDENT | --from T --to T) -o FILE
  ptpwatch export (--data DIR | --api URL) --list [--json]
               export a dashcam incident or an archive time range (RFC 3339)
               as pcapng, or list the incidents; a store in use is reached
               through the API its appliance recorded in it; --api wins
  ptpwatch trigger [--api URL] [--note TEXT] [--scope SCOPE ...]
               ask the running appliance to record an incident now
  ptpwatch query -i IFACE [-2|-4|-6] [-d DOMAIN] [-b HOPS] [-t PORTIDENTITY]
                 [--timeout D] [--json] [--allow-write] 'GET PARENT_DATA_SET' ...
               send PTP management messages from port 320 (never binding it)
               and print every answer as pmc does; exit 1 if one got none;
               --api URL sends through a running appliance instead
  ptpwatch alarm list | test NAME [--api URL]
               list the running appliance's custom alarms, or test-fire one

exit codes: 0 success (or stopped by a signal), 1 a file, source or runtime
failure (a missing -c file, an interface that does not exist), 2 bad usage (an
unknown flag or a bad flag value), 3 an invalid configuration
`)
}

// parseWithFile parses a subcommand's flags, which may come before or after
// its one capture-file argument (`decode FILE --json`), and returns the
// file. On -h, or a usage problem it reports on stderr, it returns the exit
// code (exitOK or exitUsage) and ok false.
func parseWithFile(fs *flag.FlagSet, args []string, cmd string, stderr io.Writer) (file string, code int, ok bool) {
	var files []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return "", flagExit(err), false
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 {
		fmt.Fprintf(stderr, "%s: want exactly one capture file\n", cmd)
		return "", exitUsage, false
	}
	return files[0], exitOK, true
}

// flagExit is the exit code of a flag parsing error: 0 for -h, which
// printed the help, 2 for a bad flag or value.
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return exitUsage
}
