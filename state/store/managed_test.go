package store

import (
	"errors"
	"testing"
)

// TestManaged stores two kinds of management records, replaces one kind,
// and reads both back after a restart: a replaced kind keeps only the new
// records and the other kind is untouched.
func TestManaged(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, Options{})
	if err := s.PutManaged("node", map[string][]byte{"a": []byte("1"), "b": []byte("2")}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutManaged("nodes", map[string][]byte{"x": []byte("other kind")}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutManaged("node", map[string][]byte{"b": []byte("3"), "c": []byte("4")}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutManaged("", nil); !errors.Is(err, ErrBadManagedKind) {
		t.Errorf("empty kind: %v", err)
	}
	if err := s.PutManaged("a\x00b", nil); !errors.Is(err, ErrBadManagedKind) {
		t.Errorf("kind with NUL: %v", err)
	}
	s.Close()
	s = openTest(t, dir, Options{})
	defer s.Close()
	got, err := s.Managed("node")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got["b"]) != "3" || string(got["c"]) != "4" {
		t.Errorf("node records after restart: %q", got)
	}
	other, err := s.Managed("nodes")
	if err != nil || len(other) != 1 || string(other["x"]) != "other kind" {
		t.Errorf("nodes records: %q %v", other, err)
	}
}
