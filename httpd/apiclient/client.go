// Package apiclient is how ptpwatch's command-line subcommands talk to a
// running appliance's REST API: authenticated requests (Client), errors
// with the status code to branch on (Error), reading incidents and the
// archive through the API (Export), and export's choice between the data
// store and the API of the appliance holding it (OpenExport), and the
// "ptpwatch export" and "ptpwatch alarm" subcommands (ExportCommand,
// AlarmCommand).
package apiclient

import (
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ptpwatch/ptpwatch/httpd"
)

// DefaultAPI is where the CLI looks for a running appliance's API.
const DefaultAPI = "http://127.0.0.1:8319"

// Client is how the CLI's subcommands talk to a running appliance's
// REST API: a base URL and the credentials an operator would use, a
// bearer token from $PTPWATCH_TOKEN or a user with the password from
// $PTPWATCH_PASSWORD (never on the command line, where ps shows it).
type Client struct {
	Base     string
	User     string
	Insecure bool
	Timeout  time.Duration // whole request; 0 for none (long downloads)
}

// Flags registers --api, --user and --insecure on fs.
func (c *Client) Flags(fs *flag.FlagSet, apiUsage string) {
	fs.StringVar(&c.Base, "api", DefaultAPI, apiUsage)
	fs.StringVar(&c.User, "user", "", "user name for basic authentication; the password comes from $PTPWATCH_PASSWORD")
	fs.BoolVar(&c.Insecure, "insecure", false, "accept the appliance's self-signed HTTPS certificate")
}

// Error is an answer other than 2xx, with its status code and the
// API's own explanation. Callers branch on Code.
type Error struct {
	Code    int    // HTTP status code, such as http.StatusNotFound
	Status  string // status line text, such as "404 Not Found"
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Status
	}
	return e.Status + ": " + e.Message
}

// Do sends a request to path (which starts with /api/) and returns the
// response when its status is 2xx; otherwise an *Error, or the
// transport's error wrapped with a hint that the appliance may not run.
func (c *Client) Do(method, path, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequest(method, strings.TrimRight(c.Base, "/")+path, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if method != http.MethodGet && method != http.MethodHead {
		// The appliance refuses writes an HTML form could send; this
		// header (which the web UI sends too) says the request is not one.
		req.Header.Set(httpd.WriteHeader, "1")
	}
	if tok := os.Getenv("PTPWATCH_TOKEN"); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	} else if c.User != "" {
		req.SetBasicAuth(c.User, os.Getenv("PTPWATCH_PASSWORD"))
	}
	client := &http.Client{Timeout: c.Timeout}
	if c.Insecure {
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("is the appliance running at %s? %w", c.Base, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var e struct{ Error string }
	json.Unmarshal(reply, &e)
	return nil, &Error{Code: resp.StatusCode, Status: resp.Status, Message: e.Error}
}
