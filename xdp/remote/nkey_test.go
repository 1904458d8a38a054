package remote

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNkeySeed(t *testing.T) {
	seed, pub, err := GenerateNkey()
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseNkeySeed([]byte("# paris\n" + string(seed) + "\n"))
	if err != nil || k.Public() != pub || !strings.HasPrefix(pub, "U") {
		t.Fatalf("parsed %v (%v), want public key %s", k, err, pub)
	}
	for _, bad := range []string{"", "# only a comment\n", pub, string(seed) + "\n" + string(seed), "SUNOTASEED"} {
		if _, err := ParseNkeySeed([]byte(bad)); err == nil {
			t.Errorf("%q: accepted", bad)
		} else if strings.Contains(err.Error(), string(seed)) {
			t.Errorf("the error quotes the seed: %v", err)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "probe.nk")
	os.WriteFile(path, seed, 0o644)
	if _, err := ReadNkeyFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a seed file others may read: %v", err)
	}
	os.Chmod(path, 0o600)
	if k, err := ReadNkeyFile(path); err != nil || k.Public() != pub {
		t.Errorf("ReadNkeyFile: %v, %v", k, err)
	}
	if b, _ := k.MarshalText(); strings.Contains(string(b), string(seed)) {
		t.Errorf("MarshalText shows the seed")
	}
}
