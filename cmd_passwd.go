package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ptpwatch/ptpwatch/httpd"
)

// cmdPasswd prints the configuration lines for an API credential: a user
// whose password is read from standard input (never from the command line,
// where other users of the host could read it), or a fresh bearer token.
func cmdPasswd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("passwd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	token := fs.Bool("token", false, "make a random bearer token instead of hashing a password")
	role := fs.String("role", string(httpd.RoleReadOnly), "role: read-only or admin")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ptpwatch passwd [--role read-only|admin] NAME < password\n       ptpwatch passwd --token [--role read-only|admin] NAME")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 1 || strings.ContainsAny(fs.Arg(0), ": \t") || fs.Arg(0) == "" {
		fmt.Fprintln(stderr, "ptpwatch passwd: give exactly one NAME, without ':' or spaces")
		fs.Usage()
		return exitUsage
	}
	if r := httpd.Role(*role); r != httpd.RoleReadOnly && r != httpd.RoleAdmin {
		fmt.Fprintf(stderr, "ptpwatch passwd: role %q: want read-only or admin\n", *role)
		return exitUsage
	}
	name := fs.Arg(0)
	if *token {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			fmt.Fprintf(stderr, "ptpwatch passwd: %v\n", err)
			return exitError
		}
		tok := base64.RawURLEncoding.EncodeToString(raw)
		fmt.Fprintf(stdout, "# give this token to %s (it is not stored anywhere):\n# %s\n", name, tok)
		fmt.Fprintf(stdout, "# and put this line into [http] tokens = [...]:\n%q\n", name+":"+*role+":"+httpd.HashToken(tok))
		return exitOK
	}
	if f, ok := stdin.(*os.File); ok && isTerminal(f) {
		fmt.Fprint(stderr, "password (echoed; pipe it in to avoid that): ")
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		fmt.Fprintf(stderr, "ptpwatch passwd: reading the password: %v\n", err)
		return exitError
	}
	pass := strings.TrimRight(line, "\r\n")
	if len(pass) < 8 {
		fmt.Fprintln(stderr, "ptpwatch passwd: the password must have at least 8 characters")
		return exitUsage
	}
	hash, err := httpd.HashPassword(pass)
	if err != nil {
		fmt.Fprintf(stderr, "ptpwatch passwd: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "# put this line into [http] users = [...]:\n%q\n", name+":"+*role+":"+hash)
	return exitOK
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
