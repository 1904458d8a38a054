package apiclient

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Exit codes of the subcommands here, the same as package main's.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// AlarmCommand is "ptpwatch alarm": it lists the custom alarms of a
// running appliance or test-fires one, through its API (GET
// /api/v1/alarms, POST /api/v1/alarms/NAME/test), and returns the exit
// code.
func AlarmCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("alarm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	api := Client{Timeout: 30 * time.Second}
	api.Flags(fs, "base URL of the running appliance")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ptpwatch alarm list [--api URL] [--user NAME]\n"+
			"       ptpwatch alarm test NAME [--api URL] [--user NAME]\n"+
			"  a bearer token is read from $PTPWATCH_TOKEN")
		fs.PrintDefaults()
	}
	if len(args) == 0 {
		fs.Usage()
		return exitUsage
	}
	verb, rest := args[0], args[1:]
	var name string
	if verb == "test" && len(rest) > 0 && rest[0] != "" && rest[0][0] != '-' {
		name, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitUsage
	}
	switch {
	case verb == "list" && fs.NArg() == 0:
		resp, err := api.Do(http.MethodGet, "/api/v1/alarms", "", nil)
		if err != nil {
			fmt.Fprintf(stderr, "ptpwatch alarm: %v\n", err)
			return exitError
		}
		defer resp.Body.Close()
		var body struct {
			Definitions []struct{ Name, Path, Severity string }
			Instances   []struct {
				Alarm, Path, Value string
				Active             bool
				Since              int64
				Ack                *struct{ Who, Note string }
			}
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&body); err != nil {
			fmt.Fprintf(stderr, "ptpwatch alarm: unexpected answer: %v\n", err)
			return exitError
		}
		for _, d := range body.Definitions {
			fmt.Fprintf(stdout, "alarm %s: %s (%s)\n", d.Name, d.Path, d.Severity)
		}
		for _, in := range body.Instances {
			st := "cleared"
			if in.Active {
				st = "ACTIVE"
			}
			line := fmt.Sprintf("  %-7s %s %s = %s since %s", st, in.Alarm, in.Path, in.Value, time.Unix(0, in.Since).UTC().Format(time.RFC3339))
			if in.Ack != nil {
				line += fmt.Sprintf(" (acknowledged by %s: %s)", in.Ack.Who, in.Ack.Note)
			}
			fmt.Fprintln(stdout, line)
		}
		return exitOK
	case verb == "test" && name != "" && fs.NArg() == 0:
		resp, err := api.Do(http.MethodPost, "/api/v1/alarms/"+name+"/test", "application/json", nil)
		if err != nil {
			fmt.Fprintf(stderr, "ptpwatch alarm: %v\n", err)
			return exitError
		}
		resp.Body.Close()
		fmt.Fprintf(stdout, "alarm %s test-fired: a Custom Alarm Triggered event goes to the notification channels\n", name)
		return exitOK
	}
	fs.Usage()
	return exitUsage
}
