// Package decodetest is the kit decode's tests compare against Wireshark
// with: one way to run tshark, to find the public captures, to read a
// capture file and to write frames as one.
//
// The public captures folder is $PTPWATCH_CAPTURES when set, else
// shared/captures beside the repository (../shared/captures from its
// root); tests that need it skip when it is missing.
package decodetest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ptpwatch/ptpwatch/decode/pcapng"
)

// CapturesEnv names the environment variable that points at the public
// captures folder.
const CapturesEnv = "PTPWATCH_CAPTURES"

// HaveTshark reports whether tshark is installed.
func HaveTshark() bool {
	_, err := exec.LookPath("tshark")
	return err == nil
}

// Tshark runs tshark with args and returns its standard output. It skips
// t when tshark is not installed and fails it, with tshark's complaint,
// when tshark fails.
func Tshark(t testing.TB, args ...string) []byte {
	t.Helper()
	path, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed (apt-get install tshark, or run `make test` as root): comparison with Wireshark skipped")
	}
	cmd := exec.Command(path, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// Captures returns the public captures folder, or skips t when there is
// none.
func Captures(t testing.TB) string {
	t.Helper()
	dir, err := CapturesDir()
	if err != nil {
		t.Skipf("public captures not available: %v", err)
	}
	return dir
}

// CapturesDir returns the public captures folder: $PTPWATCH_CAPTURES, or
// ../shared/captures from the root of the repository holding the working
// directory.
func CapturesDir() (string, error) {
	if dir := os.Getenv(CapturesEnv); dir != "" {
		return dir, isDir(dir)
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "..", "shared", "captures")
	if err := isDir(dir); err != nil {
		return "", errors.New(err.Error() + " (set " + CapturesEnv + ")")
	}
	return dir, nil
}

func isDir(dir string) error {
	st, err := os.Stat(dir)
	if err == nil && !st.IsDir() {
		return errors.New(dir + " is not a directory")
	}
	return err
}

// repoRoot walks up from the working directory to the go.mod of module
// ptpwatch.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module github.com/ptpwatch/ptpwatch\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no ptpwatch go.mod above the working directory")
		}
		dir = parent
	}
}

// Frame is one frame of a capture file.
type Frame struct {
	Link      pcapng.LinkType
	Data      []byte
	Timestamp int64 // nanoseconds since the Unix epoch
}

// ReadCapture reads every frame of a pcap or pcapng file, failing t when
// it cannot.
func ReadCapture(t testing.TB, file string) []Frame {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	frames, err := Read(f)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return frames
}

// Read reads every frame of a pcap or pcapng stream.
func Read(r io.Reader) ([]Frame, error) {
	pr, err := pcapng.NewReader(r)
	if err != nil {
		return nil, err
	}
	var out []Frame
	var p pcapng.Packet
	for {
		err := pr.Next(&p)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, Frame{p.LinkType, append([]byte(nil), p.Data...), p.Timestamp})
	}
}

// Pcap returns a classic little-endian pcap file (microsecond timestamps,
// LINKTYPE_ETHERNET) holding frames, one a second from 1700000000.
func Pcap(frames [][]byte) []byte {
	le := binary.LittleEndian
	b := le.AppendUint32(nil, 0xa1b2c3d4)
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 4)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0) // thiszone, sigfigs
	b = le.AppendUint32(b, 65535)
	b = le.AppendUint32(b, uint32(pcapng.LinkTypeEthernet))
	for i, f := range frames {
		b = le.AppendUint32(b, uint32(1700000000+i))
		b = le.AppendUint32(b, 0)
		b = le.AppendUint32(b, uint32(len(f)))
		b = le.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// WritePcap writes frames as Pcap does to a file in t's temporary
// directory and returns its path.
func WritePcap(t testing.TB, name string, frames [][]byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, Pcap(frames), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
