package httpd

import "fmt"

// version is the release this binary was built as, set at link time by
// `make build` and `make install` (-ldflags "-X
// github.com/ptpwatch/ptpwatch/httpd.version=..."); empty in other builds,
// which report the module version `go install` records.
var version string

// Version names the running binary: the linked-in release, else the
// module version (v1.2.3 from `go install ...@v1.2.3`), else "devel" with
// the VCS revision when Go recorded one.
func Version() string {
	if version != "" {
		return version
	}
	v, _, rev := buildInfo()
	if v != "" && v != "(devel)" && v != "unknown" {
		return v
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		return "devel+" + rev
	}
	return "devel"
}

// statusBody is GET /api/v1/status: what is running.
type statusBody struct {
	Version   string `json:"version"`
	GoVersion string `json:"goVersion"`
	Revision  string `json:"revision,omitempty"`
}

func (s *Server) status(c *call) error {
	_, g, r := buildInfo()
	return writeJSON(c.ctx, statusBody{Version: Version(), GoVersion: g, Revision: r})
}

// VersionLine is what `ptpwatch --version` prints.
func VersionLine() string {
	_, g, _ := buildInfo()
	return fmt.Sprintf("ptpwatch %s (%s)\n", Version(), g)
}
