package httpd

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fasthttp"
)

// Settings are the appliance-wide display settings every user of the UI
// shares: the words used for port states and roles.
type Settings struct {
	// StateTerms is "master-slave", "leader-follower",
	// "transmitter-receiver" or "custom".
	StateTerms string `json:"stateTerms"`
	// MasterTerm and SlaveTerm are the two words; with a preset they are
	// the preset's (Master/Slave, Leader/Follower,
	// timeTransmitter/timeReceiver).
	MasterTerm string `json:"masterTerm"`
	SlaveTerm  string `json:"slaveTerm"`
}

var termPresets = map[string][2]string{
	"master-slave":         {"Master", "Slave"},
	"leader-follower":      {"Leader", "Follower"},
	"transmitter-receiver": {"timeTransmitter", "timeReceiver"},
}

// Normalize checks s and fills a preset's words. It returns an error
// naming the first bad field.
func (s Settings) Normalize() (Settings, error) {
	if s.StateTerms == "" {
		s.StateTerms = "master-slave"
	}
	if p, ok := termPresets[s.StateTerms]; ok {
		s.MasterTerm, s.SlaveTerm = p[0], p[1]
		return s, nil
	}
	if s.StateTerms != "custom" {
		return s, errorf(fasthttp.StatusBadRequest, "stateTerms %q: want master-slave, leader-follower, transmitter-receiver or custom", s.StateTerms)
	}
	for name, w := range map[string]*string{"masterTerm": &s.MasterTerm, "slaveTerm": &s.SlaveTerm} {
		*w = strings.TrimSpace(*w)
		if *w == "" || len(*w) > 32 || !utf8.ValidString(*w) || strings.ContainsAny(*w, "<>&\"'") {
			return s, errorf(fasthttp.StatusBadRequest, "%s %q: want 1 to 32 characters without <>&\"'", name, *w)
		}
	}
	if strings.EqualFold(s.MasterTerm, s.SlaveTerm) {
		return s, errorf(fasthttp.StatusBadRequest, "masterTerm and slaveTerm are both %q", s.MasterTerm)
	}
	return s, nil
}

// SettingsStore keeps the settings. A Backend that implements
// SettingsProvider supplies one that persists them and starts from the
// configuration file; without it the server keeps them in memory.
type SettingsStore interface {
	Settings() Settings
	PutSettings(Settings) error
}

// SettingsProvider is implemented by a Backend with its own SettingsStore.
type SettingsProvider interface {
	SettingsStore() SettingsStore
}

// NewMemorySettings returns a SettingsStore kept in memory, starting at s.
func NewMemorySettings(s Settings) SettingsStore {
	s, _ = s.Normalize()
	return &storedSettings{cur: s}
}

func (s *Server) settingsStore() SettingsStore {
	if sp, ok := s.b.(SettingsProvider); ok {
		if st := sp.SettingsStore(); st != nil {
			return st
		}
	}
	return s.settings
}

func (s *Server) getSettings(c *call) error {
	return writeJSON(c.ctx, s.settingsStore().Settings())
}

func (s *Server) putSettings(c *call) error {
	var in Settings
	dec := json.NewDecoder(bytes.NewReader(c.ctx.PostBody()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return errorf(fasthttp.StatusBadRequest, "settings body: %v", err)
	}
	in, err := in.Normalize()
	if err != nil {
		return err
	}
	if err := s.settingsStore().PutSettings(in); err != nil {
		return s.metadataError(err, "storing settings")
	}
	s.log.Info("settings changed", "stateTerms", in.StateTerms, "masterTerm", in.MasterTerm, "slaveTerm", in.SlaveTerm,
		"by", c.who, "remote", c.ctx.RemoteIP().String())
	return writeJSON(c.ctx, in)
}
