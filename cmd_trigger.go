package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// cmdTrigger asks a running appliance to record an incident now, through
// its API (POST /api/v1/incidents), as an operator would from a shell.
func cmdTrigger(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("trigger", flag.ContinueOnError)
	fs.SetOutput(stderr)
	api := fs.String("api", "http://127.0.0.1:8319", "base URL of the running appliance")
	note := fs.String("note", "", "why: stored with the incident and written into its pcapng")
	var scopes multiFlag
	fs.Var(&scopes, "scope", "record this scope (repeatable; default: as configured)")
	user := fs.String("user", "", "user name for basic authentication; the password comes from $PTPWATCH_PASSWORD")
	insecure := fs.Bool("insecure", false, "accept the appliance's self-signed HTTPS certificate")
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
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(*api, "/")+"/api/v1/incidents", bytes.NewReader(body))
	if err != nil {
		fmt.Fprintf(stderr, "ptpwatch trigger: %v\n", err)
		return exitUsage
	}
	req.Header.Set("Content-Type", "application/json")
	if tok := os.Getenv("PTPWATCH_TOKEN"); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	} else if *user != "" {
		req.SetBasicAuth(*user, os.Getenv("PTPWATCH_PASSWORD"))
	}
	client := &http.Client{Timeout: 30 * time.Second}
	if *insecure {
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "ptpwatch trigger: is the appliance running? %v\n", err)
		return exitError
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		var e struct{ Error string }
		if json.Unmarshal(reply, &e) == nil && e.Error != "" {
			fmt.Fprintf(stderr, "ptpwatch trigger: %s: %s\n", resp.Status, e.Error)
		} else {
			fmt.Fprintf(stderr, "ptpwatch trigger: %s\n", resp.Status)
		}
		return exitError
	}
	var ok struct{ ID uint64 }
	if err := json.Unmarshal(reply, &ok); err != nil {
		fmt.Fprintf(stderr, "ptpwatch trigger: unexpected answer %q\n", reply)
		return exitError
	}
	fmt.Fprintf(stdout, "incident %d recording\n", ok.ID)
	return exitOK
}
