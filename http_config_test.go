package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ptpwatch/ptpwatch/httpd"
)

// TestCheckConfigHTTP: -k refuses the [http] settings the run refuses,
// with the same reason, and accepts those the run accepts.
func TestCheckConfigHTTP(t *testing.T) {
	token := `tokens = ["nms:admin:` + httpd.HashToken("t0123456789") + `"]` + "\n"
	for _, tc := range []struct {
		name, http string
		msg        string // "" for OK
	}{
		{"HTTPS on the network without credentials", "https = true\nhttps_listen = \"0.0.0.0:8443\"\n", "without credentials"},
		{"HTTPS only, on the network, without credentials", "enabled = false\nhttps = true\nhttps_listen = \"0.0.0.0:8443\"\n", "without credentials"},
		{"HTTPS on the network with a token", "https = true\nhttps_listen = \"0.0.0.0:8443\"\n" + token, ""},
		{"HTTPS on the loopback", "https = true\n", ""},
		{"plain HTTP on the network without credentials", "listen = \"0.0.0.0:8319\"\nhttps = true\n", "without credentials"},
		{"bad https_listen", "https = true\nhttps_listen = \"nowhere\"\n", "http.https_listen"},
		{"negative max_conns", "max_conns = -1\n", "http.max_conns"},
		{"max_conns", "max_conns = 500\n", ""},
		{"max_conns_per_client 0", "max_conns_per_client = 0\n", "http.max_conns_per_client"},
		{"header_timeout 0", "header_timeout = 0\n", "http.header_timeout"},
		{"header_timeout too long", "header_timeout = 31\n", "http.header_timeout"},
		{"max_streams 0", "max_streams = 0\n", "http.max_streams"},
		{"max_streams_per_client above max_streams", "max_streams = 8\nmax_streams_per_client = 9\n", "http.max_streams_per_client"},
		{"max_streams_per_client 0", "max_streams_per_client = 0\n", "http.max_streams_per_client"},
		{"stream limits", "max_streams = 32\nmax_streams_per_client = 4\nheavy_reads = 2\n", ""},
		{"negative heavy_reads", "heavy_reads = -1\n", "http.heavy_reads"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "c.toml")
			os.WriteFile(file, []byte("[http]\n"+tc.http), 0o644)
			var out, errb bytes.Buffer
			code := run([]string{"-k", "-c", file}, &out, &errb)
			if tc.msg == "" {
				if code != exitOK {
					t.Fatalf("-k: exit %d: %s", code, errb.String())
				}
				return
			}
			if code != exitConfig || !strings.Contains(errb.String(), tc.msg) {
				t.Fatalf("-k: exit %d, stderr %q; want %d and %q", code, errb.String(), exitConfig, tc.msg)
			}
			// The run refuses it for the same reason, before capturing.
			errb.Reset()
			done := make(chan int, 1)
			go func() { done <- run([]string{"-c", file, "--demo"}, &out, &errb) }()
			select {
			case code = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("the run started; it should refuse this configuration")
			}
			if code != exitConfig || !strings.Contains(errb.String(), tc.msg) {
				t.Errorf("run: exit %d, stderr %q; want %d and %q", code, errb.String(), exitConfig, tc.msg)
			}
		})
	}
}
