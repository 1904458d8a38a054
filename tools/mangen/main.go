// Command mangen turns `ptpwatch --help` (on standard input) into the
// ptpwatch(8) manual page (on standard output), so the page and the help
// cannot disagree: `make man` and `make install` run it.
//
//	ptpwatch --help | go run ./tools/mangen -version v1.2.3 > ptpwatch.8
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	version := flag.String("version", "", "version named in the page footer")
	flag.Parse()
	help, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mangen:", err)
		os.Exit(1)
	}
	os.Stdout.WriteString(Page(string(help), *version))
}

// Page formats the help text as a man page in roff: NAME, SYNOPSIS (the
// usage lines), and the help itself, section by section, as written.
func Page(help, version string) string {
	var b strings.Builder
	fmt.Fprintf(&b, ".TH PTPWATCH 8 \"\" \"ptpwatch %s\" \"System Manager's Manual\"\n", roff(version))
	b.WriteString(".SH NAME\nptpwatch \\- PTP (IEEE 1588) capture and monitoring appliance\n")
	b.WriteString(".SH DESCRIPTION\nptpwatch captures PTP traffic, builds a live model of the timing network " +
		"(scopes, devices, roles, hierarchy, events) and serves it as a web UI, a REST API and Prometheus metrics. " +
		"The text below is its \\fB\\-\\-help\\fR.\n")
	sc := bufio.NewScanner(strings.NewReader(help))
	open := false
	for sc.Scan() {
		line := sc.Text()
		if line != "" && !strings.HasPrefix(line, " ") && strings.HasSuffix(line, ":") {
			if open {
				b.WriteString(".fi\n")
			}
			fmt.Fprintf(&b, ".SH %s\n.nf\n", roff(strings.ToUpper(strings.TrimSuffix(line, ":"))))
			open = true
			continue
		}
		if !open {
			b.WriteString(".nf\n")
			open = true
		}
		b.WriteString(roff(line) + "\n")
	}
	if open {
		b.WriteString(".fi\n")
	}
	b.WriteString(".SH FILES\n.nf\n/etc/ptpwatch/ptpwatch.toml   configuration (ptpwatch \\-O prints every setting)\n" +
		"/var/lib/ptpwatch             data directory of the systemd unit\n.fi\n")
	b.WriteString(".SH SEE ALSO\nptp4l(8), tshark(1)\n")
	return b.String()
}

// roff escapes a line: backslashes and hyphens, and a leading dot or
// quote that roff would read as a request.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}
