// Command testsummary reads `go test -json` on standard input, prints what
// plain `go test` would (each package's result, the output of failed
// tests) and ends with a summary of every skipped test and why, so that a
// test skipped for a missing tool or privilege is seen. It exits 1 when a
// test or package failed. `make test` pipes the suite through it.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

func main() {
	failed, err := Summarize(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

// event is one line of test2json output.
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// Skip is a skipped test and the reason it logged.
type Skip struct {
	Package, Test, Reason string
}

// Summarize copies the results in r to w as plain `go test` prints them,
// then lists the skipped tests, and reports whether anything failed.
func Summarize(r io.Reader, w io.Writer) (failed bool, err error) {
	out := map[[2]string][]string{} // output of each running test
	var skips []Skip
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Action == "" {
			fmt.Fprintln(w, sc.Text()) // not test2json: a build error, say
			continue
		}
		key := [2]string{e.Package, e.Test}
		switch e.Action {
		case "output":
			if e.Test == "" {
				if !strings.HasPrefix(e.Output, "=== ") && e.Output != "PASS\n" {
					io.WriteString(w, e.Output)
				}
				continue
			}
			out[key] = append(out[key], e.Output)
		case "fail":
			failed = true
			if e.Test != "" {
				io.WriteString(w, strings.Join(out[key], ""))
			} else {
				// A package failing with tests still running (a panic, the
				// -timeout): their output holds the why.
				for k, lines := range out {
					if k[0] == e.Package {
						io.WriteString(w, strings.Join(lines, ""))
						delete(out, k)
					}
				}
			}
			delete(out, key)
		case "skip":
			if e.Test != "" {
				skips = append(skips, Skip{e.Package, e.Test, reason(out[key])})
			}
			delete(out, key)
		case "pass":
			delete(out, key)
		}
	}
	if err := sc.Err(); err != nil {
		return failed, err
	}
	sort.Slice(skips, func(i, j int) bool {
		if skips[i].Package != skips[j].Package {
			return skips[i].Package < skips[j].Package
		}
		return skips[i].Test < skips[j].Test
	})
	fmt.Fprintf(w, "\n%d tests skipped", len(skips))
	if len(skips) == 0 {
		fmt.Fprintln(w, ".")
		return failed, nil
	}
	fmt.Fprintln(w, ":")
	for _, s := range skips {
		fmt.Fprintf(w, "  %s %s: %s\n", s.Package, s.Test, s.Reason)
	}
	return failed, nil
}

// reason is what a skipped test logged, without the framework's lines.
func reason(lines []string) string {
	var parts []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		parts = append(parts, t)
	}
	if len(parts) == 0 {
		return "(no reason given)"
	}
	return strings.Join(parts, " ")
}
