package apiclient

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ptpwatch/ptpwatch/state/dashcam"
)

// ExportCommand is the export subcommand; it returns the exit code:
//
//	ptpwatch export (--data DIR | --api URL) INCIDENT -o FILE
//	ptpwatch export (--data DIR | --api URL) --from T --to T -o FILE
//	ptpwatch export (--data DIR | --api URL) --list [--json]
//
// With --data alone it reads the store directly; while the appliance runs
// it holds the store's lock, and export goes through its API instead, at
// the address the appliance recorded in the store when it started (the
// default http://127.0.0.1:8319 when none is recorded), saying so.
// With --api, export always goes through that API, saying so: --api wins
// over --data, and a different address recorded in --data is pointed out.
func ExportCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", "", "the appliance's data directory (--data)")
	out := fs.String("o", "", "output pcapng file; - writes to standard output")
	from := fs.String("from", "", "start of an archive range (RFC 3339, e.g. 2025-06-01T12:00:00Z)")
	to := fs.String("to", "", "end of an archive range (RFC 3339), inclusive")
	list := fs.Bool("list", false, "list the stored incidents")
	asJSON := fs.Bool("json", false, "with --list, print JSON")
	api := &Client{}
	api.Flags(fs, "base URL of the running appliance's API: export through it (it wins over --data; without it, a store in use is reached at the address its appliance recorded)")
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitUsage
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	usage := func(msg string) int {
		fmt.Fprintf(stderr, "ptpwatch export: %s\n", msg)
		fmt.Fprintln(stderr, "usage: ptpwatch export (--data DIR | --api URL) (INCIDENT | --from T --to T) -o FILE | --list [--json]")
		return exitUsage
	}
	apiSet := false
	fs.Visit(func(f *flag.Flag) { apiSet = apiSet || f.Name == "api" })
	if *dir == "" && !apiSet {
		return usage("--data DIR or --api URL is required")
	}
	ranged := *from != "" || *to != ""
	switch {
	case *list && (len(pos) > 0 || ranged || *out != ""):
		return usage("--list takes no incident, range or -o")
	case *list:
	case len(pos) > 1:
		return usage("want one incident id")
	case ranged && len(pos) > 0:
		return usage("give an incident id or --from/--to, not both")
	case ranged && (*from == "" || *to == ""):
		return usage("an archive range needs both --from and --to")
	case !ranged && len(pos) == 0:
		return usage("give an incident id (see --list) or --from and --to")
	case *out == "":
		return usage("-o FILE is required")
	}
	var id uint64
	var t0, t1 time.Time
	if !*list {
		var err error
		if ranged {
			if t0, err = time.Parse(time.RFC3339Nano, *from); err != nil {
				return usage(fmt.Sprintf("--from: %v", err))
			}
			if t1, err = time.Parse(time.RFC3339Nano, *to); err != nil {
				return usage(fmt.Sprintf("--to: %v", err))
			}
			if t1.Before(t0) {
				return usage("--to is before --from")
			}
		} else if id, err = strconv.ParseUint(strings.TrimPrefix(pos[0], "#"), 10, 64); err != nil || id == 0 {
			return usage(fmt.Sprintf("incident id %q is not a positive number", pos[0]))
		}
	}

	s, where, note, err := OpenExport(*dir, api, apiSet)
	if err != nil {
		fmt.Fprintf(stderr, "ptpwatch export: %v\n", err)
		return exitError
	}
	if note != "" {
		fmt.Fprintln(stderr, "ptpwatch export: "+note)
	}
	defer s.Close()
	if *list {
		incs, err := s.Incidents()
		if err == nil {
			err = WriteIncidents(stdout, incs, *asJSON)
		}
		if err != nil {
			fmt.Fprintf(stderr, "ptpwatch export: %v\n", err)
			return exitError
		}
		return exitOK
	}
	partial := false
	if !ranged {
		inc, err := s.Incident(id)
		partial = err == nil && inc.State == dashcam.StateRecording
		if err != nil {
			if errors.Is(err, dashcam.ErrNotFound) {
				fmt.Fprintf(stderr, "ptpwatch export: no incident %d in %s (see ptpwatch export --list)\n", id, where)
			} else {
				fmt.Fprintf(stderr, "ptpwatch export: incident %d: %v\n", id, err)
			}
			return exitError
		}
	}

	// Write to a temporary file beside the output and rename it when
	// done, so a failed export leaves no truncated capture behind.
	var w io.Writer = stdout
	var tmp *os.File
	if *out != "-" {
		tmp, err = os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".*")
		if err != nil {
			fmt.Fprintf(stderr, "ptpwatch export: %v\n", err)
			return exitError
		}
		defer os.Remove(tmp.Name())
		w = tmp
	}
	progress := Progress(TerminalWriter(stderr))
	var st dashcam.ExportStats
	what := fmt.Sprintf("incident %d", id)
	if ranged {
		what = fmt.Sprintf("archive %s to %s", t0.UTC().Format(time.RFC3339Nano), t1.UTC().Format(time.RFC3339Nano))
		st, err = s.ExportRange(t0.UnixNano(), t1.UnixNano(), w, progress)
	} else {
		st, err = s.ExportIncident(id, w, progress)
	}
	if tmp != nil {
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp.Name(), *out)
		}
	}
	if pw := TerminalWriter(stderr); pw != nil {
		fmt.Fprint(pw, "\r\033[K")
	}
	if err != nil {
		fmt.Fprintf(stderr, "ptpwatch export %s: %v\n", what, err)
		return exitError
	}
	dest := *out
	if dest == "-" {
		dest = "standard output"
	}
	fmt.Fprintf(stderr, "%s: %d frames (%d bytes) written to %s\n", what, st.Frames, st.Bytes, dest)
	if partial {
		fmt.Fprintf(stderr, "ptpwatch export: note: incident %d is still recording; this export is partial (the frames stored so far): export it again when it is complete\n", id)
	}
	if ranged && st.Frames == 0 {
		fmt.Fprintln(stderr, "ptpwatch export: note: the archive holds no frames in that range (is [dashcam] archive on?)")
	}
	return exitOK
}

// TerminalWriter returns stderr when it is a terminal, for progress
// lines; otherwise nil.
func TerminalWriter(stderr io.Writer) io.Writer {
	f, ok := stderr.(*os.File)
	if !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return f
}
