package config

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// Flags are the appliance's command-line options. Those that name a
// setting (-i, --replay, --demo, --data, --http) are laid over the file by
// Effective, so a SIGHUP reload keeps them.
type Flags struct {
	Config, Explain, Replay, Data, HTTP string
	Check, PrintDefault, Demo           bool
	ExitAfterReplay, Version            bool
	Interfaces                          []string
}

// flagDef is one option: its short and long names (either may be empty),
// the name of its value ("" for a switch) and what it does.
type flagDef struct {
	short, long, arg, help string
	bind                   func(f *Flags, fs *flag.FlagSet, name string)
}

func str(p func(*Flags) *string) func(*Flags, *flag.FlagSet, string) {
	return func(f *Flags, fs *flag.FlagSet, n string) { fs.StringVar(p(f), n, "", "") }
}

func sw(p func(*Flags) *bool) func(*Flags, *flag.FlagSet, string) {
	return func(f *Flags, fs *flag.FlagSet, n string) { fs.BoolVar(p(f), n, false, "") }
}

// listFlag collects a repeatable string flag such as -i.
type listFlag struct{ p *[]string }

func (l listFlag) String() string {
	if l.p == nil {
		return ""
	}
	return strings.Join(*l.p, ",")
}
func (l listFlag) Set(v string) error { *l.p = append(*l.p, v); return nil }

// flagDefs lists every appliance option in help order.
var flagDefs = []flagDef{
	{"c", "config", "FILE", "configuration file (TOML); missing: exit 1", str(func(f *Flags) *string { return &f.Config })},
	{"k", "check-config", "", "check the configuration and exit", sw(func(f *Flags) *bool { return &f.Check })},
	{"O", "default-config", "", "print the complete commented default configuration and exit", sw(func(f *Flags) *bool { return &f.PrintDefault })},
	{"e", "explain", "SECTION:KEY", "explain one setting and exit", str(func(f *Flags) *string { return &f.Explain })},
	{"i", "interface", "IFACE", "capture on this interface (repeatable; [capture] interfaces)",
		func(f *Flags, fs *flag.FlagSet, n string) { fs.Var(listFlag{&f.Interfaces}, n, "") }},
	{"", "demo", "", "run the built-in simulated PTP network ([demo] enabled)", sw(func(f *Flags) *bool { return &f.Demo })},
	{"", "replay", "FILE", "replay a pcap/pcapng capture and serve the UI and API until stopped ([replay] file)", str(func(f *Flags) *string { return &f.Replay })},
	{"", "exit-after-replay", "", "with --replay: exit when the capture ends, for scripts", sw(func(f *Flags) *bool { return &f.ExitAfterReplay })},
	{"", "data", "DIR", "directory for persistent data ([storage] data_dir)", str(func(f *Flags) *string { return &f.Data })},
	{"", "http", "ADDR", "address of the web UI and API ([http] listen, default 127.0.0.1:8319)", str(func(f *Flags) *string { return &f.HTTP })},
	{"V", "version", "", "print the version and exit", sw(func(f *Flags) *bool { return &f.Version })},
	{"h", "help", "", "print this help and exit", nil},
}

// FlagHelp lists every appliance option with its short and long forms.
func FlagHelp() string {
	var b strings.Builder
	for _, d := range flagDefs {
		var names []string
		if d.short != "" {
			names = append(names, "-"+d.short)
		}
		if d.long != "" {
			names = append(names, "--"+d.long)
		}
		name := strings.Join(names, ", ")
		if d.arg != "" {
			name += " " + d.arg
		}
		fmt.Fprintf(&b, "  %-28s %s\n", name, d.help)
	}
	return b.String()
}

// ParseFlags parses the appliance's options; usage prints the help on -h.
// Errors are usage errors (flag.ErrHelp for -h).
func ParseFlags(args []string, stderr io.Writer, usage func()) (*Flags, error) {
	var f Flags
	fs := flag.NewFlagSet("ptpwatch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, d := range flagDefs {
		for _, n := range []string{d.short, d.long} {
			if n != "" && d.bind != nil {
				d.bind(&f, fs, n)
			}
		}
	}
	fs.Usage = usage
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return &f, nil
}

// Effective loads the file and lays the command-line options over it.
func (f *Flags) Effective() (Config, error) {
	cfg, err := Load(f.Config)
	if err != nil {
		return cfg, err
	}
	if len(f.Interfaces) > 0 {
		cfg.Capture.Interfaces = f.Interfaces
	}
	if f.Replay != "" {
		cfg.Replay.File = f.Replay
	}
	if f.Demo {
		cfg.Demo.Enabled = true
	}
	if f.Data != "" {
		cfg.Storage.DataDir = f.Data
	}
	if f.HTTP != "" {
		cfg.HTTP.Listen = f.HTTP
	}
	if err := cfg.Validate(); err != nil {
		return cfg, &Error{"command line", err}
	}
	return cfg, nil
}
