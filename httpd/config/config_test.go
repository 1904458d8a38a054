package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestDefaultTextParsesBack: -O's text is a valid file that parses to
// exactly Default, and names every key of the settings table once.
func TestDefaultTextParsesBack(t *testing.T) {
	text := DefaultText()
	file := filepath.Join(t.TempDir(), "ptpwatch.toml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, Default()) {
		t.Errorf("-O output parses to\n%+v\nwant\n%+v", cfg, Default())
	}
	for _, s := range settings {
		if strings.Count(text, "\n"+s.key+" = ") < 1 {
			t.Errorf("-O lacks %s", s.key)
		}
	}
}

// TestEveryKeyDocumented: each TOML key of Config has a row in the
// settings table, and each row names a key of Config.
func TestEveryKeyDocumented(t *testing.T) {
	keys := map[string]bool{}
	tables := map[string]string{} // section:key → [[section.key]]
	ct := reflect.TypeOf(Config{})
	isTables := func(t reflect.Type) bool { return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct }
	for i := range ct.NumField() {
		sec := ct.Field(i)
		if isTables(sec.Type) { // [[alarm]]
			tables[sec.Tag.Get("toml")] = "[[" + sec.Tag.Get("toml") + "]]"
			continue
		}
		for j := range sec.Type.NumField() {
			f := sec.Type.Field(j)
			key := sec.Tag.Get("toml") + ":" + f.Tag.Get("toml")
			if isTables(f.Type) {
				// An array of tables ([[fault.scope]]) has no key = value
				// line in -O: its text must explain it.
				tables[key] = "[[" + sec.Tag.Get("toml") + "." + f.Tag.Get("toml") + "]]"
				continue
			}
			if f.Type.Kind() == reflect.Struct && f.Tag.Get("toml") != "" && f.Tag.Get("toml") != "-" {
				// One sub-table ([notify.agent]): documented by its text too.
				tables[key] = "[" + sec.Tag.Get("toml") + "." + f.Tag.Get("toml") + "]"
				continue
			}
			keys[key] = true
		}
	}
	text := DefaultText()
	for k, name := range tables {
		if !strings.Contains(text, name) {
			t.Errorf("-O does not explain the array of tables %s (%s)", name, k)
		}
	}
	for _, s := range settings {
		k := s.section + ":" + s.key
		if !keys[k] {
			t.Errorf("settings row %s names no field of Config", k)
		}
		delete(keys, k)
	}
	for k := range keys {
		t.Errorf("Config field %s has no settings row (-O/-e would not document it)", k)
	}
}

func TestExplain(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		err        bool
	}{
		{"capture:method", "af_xdp", false},
		{"log:level", "applied on SIGHUP", false},
		{"capture:interfaces", "needs a restart", false},
		{"metrics:per_instance", "default true", false},
		{"capture:nosuch", "no such setting", true},
		{"capture", "want SECTION:KEY", true},
	} {
		got, err := Explain(tc.name)
		if (err != nil) != tc.err {
			t.Errorf("Explain(%q): error %v", tc.name, err)
			continue
		}
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("Explain(%q) = %q; want it to contain %q", tc.name, got, tc.want)
		}
	}
}

// TestLoad: one row per validation rule; each bad file is refused with a
// message naming the key, as an *Error.
func TestLoad(t *testing.T) {
	for _, tc := range []struct {
		name, text, msg string // msg "" for OK
	}{
		{"empty", "", ""},
		{"af_packet", "[capture]\nmethod = \"af_packet\"\n", ""},
		{"bad method", "[capture]\nmethod = \"pcap\"\n", "capture.method"},
		{"misspelt key", "[capture]\nmethd = \"auto\"\n", "unknown setting"},
		{"small buffer", "[capture]\nbuffer_bytes = 1000\n", "capture.buffer_bytes"},
		{"negative speed", "[demo]\nspeed = -1.0\n", "must not be negative"},
		{"too many followers", "[demo]\nfollowers = 100001\n", "demo.followers"},
		{"no shards", "[model]\nshards = 0\n", "model.shards"},
		{"small event log", "[model]\nevent_log_size = 10\n", "model.event_log_size"},
		{"bad state terms", "[model]\nstate_terms = \"boss/worker\"\n", "model.state_terms"},
		{"API state terms", "[model]\nstate_terms = \"transmitter-receiver\"\n", ""},
		{"old state terms", "[model]\nstate_terms = \"leader/follower\"\n", ""},
		{"bad listen", "[http]\nlisten = \"nonsense\"\n", "http.listen"},
		{"long pre_seconds", "[dashcam]\npre_seconds = 3601\n", "dashcam.pre_seconds"},
		{"unknown trigger", "[dashcam]\ntriggers = [\"Sky Falling\"]\n", "dashcam.triggers"},
		{"negative max_days", "[dashcam]\nmax_days = -1\n", "must not be negative"},
		{"no images", "[storage]\nimages_max = 0\n", "storage.images_max"},
		{"bad log level", "[log]\nlevel = \"loud\"\n", "log.level"},
		{"bad log format", "[log]\nformat = \"xml\"\n", "log.format"},
		{"negative stats", "[log]\nstats_interval = -1\n", "log.stats_interval"},
		{"two sources", "[demo]\nenabled = true\n[replay]\nfile = \"x.pcap\"\n", "choose one frame source"},
		{"plain password", "[http]\nusers = [\"ann:admin:secret\"]\n", "bcrypt hash"},
		{"bad allow", "[http]\nallow = [\"ten\"]\n", "http.allow[0]"},
		{"allow address", "[http]\nallow = [\"10.0.0.1\"]\n", ""},
		{"bad host", "[http]\nhosts = [\"http://x\"]\n", "http.hosts[0]"},
		{"no web", "[http]\nenabled = false\n", "unreachable"},
		{"syntax", "[log\nlevel=1", "line 1"},
		{"wrong type", "[metrics]\nper_instance = \"no\"\n", "line 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "c.toml")
			os.WriteFile(file, []byte(tc.text), 0o644)
			_, err := Load(file)
			if tc.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.File != file || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Load: %v; want an *Error for %s naming %q", err, file, tc.msg)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.toml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v; want os.ErrNotExist", err)
	}
}

func TestUISettings(t *testing.T) {
	for _, tc := range []struct{ terms, want string }{
		{"master/slave", "master-slave"}, {"leader/follower", "leader-follower"}, {"custom", "custom"},
		{"master-slave", "master-slave"}, {"leader-follower", "leader-follower"}, {"transmitter-receiver", "transmitter-receiver"},
	} {
		c := Default()
		c.Model.StateTerms, c.Model.MasterTerm = tc.terms, "Boss"
		s := c.UISettings()
		if s.StateTerms != tc.want || (tc.terms == "custom") != (s.MasterTerm == "Boss") {
			t.Errorf("%s: %+v", tc.terms, s)
		}
	}
}

// TestFlags: options land in the effective configuration over the file,
// in both spellings.
func TestFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.toml")
	os.WriteFile(file, []byte("[capture]\ninterfaces = [\"eth9\"]\n[http]\nlisten = \"127.0.0.1:1\"\n"), 0o644)
	f, err := ParseFlags([]string{"--config", file, "-i", "a", "--interface", "b", "--data", "/d", "--http", "127.0.0.1:2"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.Effective()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Capture.Interfaces, []string{"a", "b"}) || cfg.Storage.DataDir != "/d" || cfg.HTTP.Listen != "127.0.0.1:2" {
		t.Errorf("effective %+v", cfg)
	}
	f, _ = ParseFlags([]string{"-c", file}, nil, nil)
	if cfg, _ = f.Effective(); cfg.Capture.Interfaces[0] != "eth9" || cfg.HTTP.Listen != "127.0.0.1:1" {
		t.Errorf("file values lost: %+v", cfg)
	}
	if _, err := ParseFlags([]string{"stray"}, nil, nil); err == nil {
		t.Error("a stray argument was accepted")
	}
	f, _ = ParseFlags([]string{"--demo", "--replay", "x.pcap"}, nil, nil)
	if _, err := f.Effective(); err == nil {
		t.Error("--demo with --replay accepted")
	}
	help := FlagHelp()
	for _, d := range flagDefs {
		if d.long != "" && !strings.Contains(help, "--"+d.long) || d.short != "" && !strings.Contains(help, "-"+d.short) {
			t.Errorf("help lacks %+v", d)
		}
	}
}
