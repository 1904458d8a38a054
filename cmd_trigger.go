package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ptpwatch/ptpwatch/httpd/apiclient"
)

// cmdTrigger asks a running appliance to record an incident now, through
// its API (POST /api/v1/incidents), as an operator would from a shell.
func cmdTrigger(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("trigger", flag.ContinueOnError)
	fs.SetOutput(stderr)
	api := apiclient.Client{Timeout: 30 * time.Second}
	api.Flags(fs, "base URL of the running appliance")
	note := fs.String("note", "", "why: stored with the incident and written into its pcapng")
	var scopes []string
	fs.Func("scope", "record this scope (repeatable; default: as configured)", func(v string) error { scopes = append(scopes, v); return nil })
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ptpwatch trigger [--api URL] [--note TEXT] [--scope SCOPE ...] [--user NAME] [--insecure]\n"+
			"  a bearer token is read from $PTPWATCH_TOKEN")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "ptpwatch trigger: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	body, _ := json.Marshal(struct {
		Note   string   `json:"note,omitempty"`
		Scopes []string `json:"scopes,omitempty"`
	}{*note, scopes})
	resp, err := api.Do(http.MethodPost, "/api/v1/incidents", "application/json", bytes.NewReader(body))
	if err != nil {
		fmt.Fprintf(stderr, "ptpwatch trigger: %v\n", err)
		return exitError
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var ok struct{ ID uint64 }
	if err := json.Unmarshal(reply, &ok); err != nil {
		fmt.Fprintf(stderr, "ptpwatch trigger: unexpected answer %q\n", reply)
		return exitError
	}
	fmt.Fprintf(stdout, "incident %d recording\n", ok.ID)
	return exitOK
}
