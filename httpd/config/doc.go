// Package config is ptpwatch's configuration: the TOML file's schema (one
// table per section), its defaults, its validation, the documentation of
// every key that -O prints and -e explains, and the appliance's command-line
// flags laid over the file.
//
// Invariants: the settings table lists every key of Config in file order,
// and its defaults equal Default() (a test parses DefaultText back); every
// key is marked either reloadable (SIGHUP applies it) or restart-only, and
// Changes reports which restart-only keys differ between two configurations.
package config
