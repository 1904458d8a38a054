package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMetricsConfig: [metrics] per_instance defaults to true, documents
// itself, and false reaches the server as DropPerInstance.
func TestMetricsConfig(t *testing.T) {
	dc := Default()
	def, err := dc.HTTPServer()
	if err != nil || def.Metrics.DropPerInstance {
		t.Fatalf("default drops per-instance families (%v)", err)
	}
	if e, err := Explain("metrics:per_instance"); err != nil || !strings.Contains(e, "default true") {
		t.Errorf("explain: %q, %v", e, err)
	}
	path := filepath.Join(t.TempDir(), "c.toml")
	os.WriteFile(path, []byte("[metrics]\nper_instance = false\n"), 0o600)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	hc, err := cfg.HTTPServer()
	if err != nil || !hc.Metrics.DropPerInstance {
		t.Errorf("per_instance = false: DropPerInstance %v, %v", hc.Metrics.DropPerInstance, err)
	}
	os.WriteFile(path, []byte("[metrics]\nper_instance = \"no\"\n"), 0o600)
	if _, err := Load(path); err == nil {
		t.Error("per_instance = \"no\" accepted")
	}
}
