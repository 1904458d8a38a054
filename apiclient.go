package main

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

	"ptpwatch/httpd"
)

// defaultAPI is where the CLI looks for a running appliance's API.
const defaultAPI = "http://127.0.0.1:8319"

// apiClient is how the CLI's subcommands talk to a running appliance's
// REST API: a base URL and the credentials an operator would use, a
// bearer token from $PTPWATCH_TOKEN or a user with the password from
// $PTPWATCH_PASSWORD (never on the command line, where ps shows it).
type apiClient struct {
	base     string
	user     string
	insecure bool
	timeout  time.Duration // whole request; 0 for none (long downloads)
}

// flags registers --api, --user and --insecure on fs.
func (c *apiClient) flags(fs *flag.FlagSet, apiUsage string) {
	fs.StringVar(&c.base, "api", defaultAPI, apiUsage)
	fs.StringVar(&c.user, "user", "", "user name for basic authentication; the password comes from $PTPWATCH_PASSWORD")
	fs.BoolVar(&c.insecure, "insecure", false, "accept the appliance's self-signed HTTPS certificate")
}

// apiError is an answer other than 2xx, with its status code and the
// API's own explanation. Callers branch on Code.
type apiError struct {
	Code    int    // HTTP status code, such as http.StatusNotFound
	Status  string // status line text, such as "404 Not Found"
	Message string
}

func (e *apiError) Error() string {
	if e.Message == "" {
		return e.Status
	}
	return e.Status + ": " + e.Message
}

// do sends a request to path (which starts with /api/) and returns the
// response when its status is 2xx; otherwise an *apiError, or the
// transport's error wrapped with a hint that the appliance may not run.
func (c *apiClient) do(method, path, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequest(method, strings.TrimRight(c.base, "/")+path, body)
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
	} else if c.user != "" {
		req.SetBasicAuth(c.user, os.Getenv("PTPWATCH_PASSWORD"))
	}
	client := &http.Client{Timeout: c.timeout}
	if c.insecure {
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("is the appliance running at %s? %w", c.base, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var e struct{ Error string }
	json.Unmarshal(reply, &e)
	return nil, &apiError{Code: resp.StatusCode, Status: resp.Status, Message: e.Error}
}
