package pcapng

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Wireshark's tools are the outside judge of what the writers produce and
// of how the Reader interprets real captures. They are optional: the tests
// skip when they are not installed.

func lookTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not on PATH (install Debian package tshark / wireshark-common to run this check): %v", name, err)
	}
	return p
}

// runTool runs a Wireshark tool and returns its standard output. It fails
// the test on a non-zero exit or on anything written to standard error,
// except the warning tshark always prints when run as root.
func runTool(t *testing.T, tool string, args ...string) string {
	t.Helper()
	cmd := exec.Command(tool, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var rest []string
	for _, line := range strings.Split(stderr.String(), "\n") {
		if line == "" || (strings.HasPrefix(line, "Running as user ") && strings.HasSuffix(line, "This could be dangerous.")) {
			continue
		}
		rest = append(rest, line)
	}
	if err != nil || len(rest) > 0 {
		t.Fatalf("%s %s: %v\nstderr: %s", filepath.Base(tool), strings.Join(args, " "), err, strings.Join(rest, "\n"))
	}
	return stdout.String()
}

// tsharkFrame is one line of tsharkFields output.
type tsharkFrame struct {
	number, epoch, length, capLen, md5, comment, ifName, ethType, ifID string
}

// tsharkFields returns per-frame fields of file as tshark decodes them.
func tsharkFields(t *testing.T, tshark, file string) []tsharkFrame {
	t.Helper()
	out := runTool(t, tshark, "-r", file, "-o", "frame.generate_md5_hash:TRUE",
		"-T", "fields", "-E", "separator=/t",
		"-e", "frame.number", "-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len",
		"-e", "frame.md5_hash", "-e", "frame.comment", "-e", "frame.interface_name", "-e", "eth.type",
		"-e", "frame.interface_id")
	var frames []tsharkFrame
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		for len(f) < 9 {
			f = append(f, "")
		}
		frames = append(frames, tsharkFrame{f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8]})
	}
	return frames
}

// epochString formats nanoseconds the way tshark prints frame.time_epoch.
func epochString(ns int64) string {
	return fmt.Sprintf("%d.%09d", ns/1e9, ns%1e9)
}

func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func capinfosCount(t *testing.T, file string) int {
	t.Helper()
	capinfos, err := exec.LookPath("capinfos")
	if err != nil {
		return -1
	}
	out := runTool(t, capinfos, "-c", "-M", file)
	i := strings.LastIndex(out, ":")
	n, err := strconv.Atoi(strings.TrimSpace(out[i+1:]))
	if err != nil {
		t.Fatalf("capinfos output %q", out)
	}
	return n
}

// TestTsharkReadsOurFiles writes Ethernet PTP frames in every format the
// writers produce and checks that tshark sees the same frames, times,
// lengths, data and comments.
func TestTsharkReadsOurFiles(t *testing.T) {
	tshark := lookTool(t, "tshark")
	const n = 40
	type frame struct {
		ts      int64
		data    []byte
		orig    int
		comment string
	}
	var frames []frame
	for i := range n {
		d := []byte(ptpSync)
		d[len(d)-1] = byte(i) // vary the data so the hashes differ
		f := frame{ts: 1_700_000_000_000_000_000 + int64(i)*125_000_123 + int64(i%7), data: d}
		if i%5 == 0 {
			f.comment = fmt.Sprintf("frame %d", i)
		}
		if i%9 == 0 {
			f.orig = 1514 // pretend a snap length cut it
		}
		frames = append(frames, f)
	}
	tests := []struct {
		name string
		ng   bool
		be   bool
		nano bool
	}{
		{"little-endian.pcapng", true, false, true},
		{"big-endian.pcapng", true, true, true},
		{"nanosecond.pcap", false, false, true},
		{"microsecond.pcap", false, false, false},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if tc.ng {
				w, err := NewNgWriter(&buf, NgWriterOptions{BigEndian: tc.be, Comment: "tshark check"})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := w.AddInterface(Interface{Name: "eth0", Description: "test", LinkType: LinkTypeEthernet}); err != nil {
					t.Fatal(err)
				}
				for _, f := range frames {
					if err := w.WritePacket(0, f.ts, f.data, f.orig, f.comment); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			} else {
				w, err := NewPcapWriter(&buf, LinkTypeEthernet, 0, tc.nano)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range frames {
					if err := w.WritePacket(f.ts, f.data, f.orig); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			file := filepath.Join(dir, tc.name)
			if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}

			summary := runTool(t, tshark, "-r", file)
			if got := strings.Count(summary, "\n"); got != n {
				t.Errorf("tshark -r printed %d lines, want %d", got, n)
			}
			if c := capinfosCount(t, file); c >= 0 && c != n {
				t.Errorf("capinfos counts %d packets, want %d", c, n)
			}
			got := tsharkFields(t, tshark, file)
			if len(got) != n {
				t.Fatalf("tshark decoded %d frames, want %d", len(got), n)
			}
			for i, f := range frames {
				g := got[i]
				ts := f.ts
				if !tc.nano {
					ts -= ts % 1000
				}
				orig := max(f.orig, len(f.data))
				want := tsharkFrame{
					number: strconv.Itoa(i + 1), epoch: epochString(ts),
					length: strconv.Itoa(orig), capLen: strconv.Itoa(len(f.data)),
					md5: md5Hex(f.data), ethType: "0x88f7",
				}
				if tc.ng {
					want.comment, want.ifName, want.ifID = f.comment, "eth0", "0"
				}
				if g != want {
					t.Errorf("frame %d\n tshark %+v\n want   %+v", i+1, g, want)
				}
			}
		})
	}
}

// TestPublicCaptures reads the public PTP captures shared with the project
// and, when tshark is installed, compares every frame with its reading.
func TestPublicCaptures(t *testing.T) {
	// The captures sit beside the repository, never inside it.
	dir := os.Getenv("PTPWATCH_CAPTURES")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "captures")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("public captures not found at %s (they live outside the repository): %v", dir, err)
	}
	tests := []struct {
		file   string
		frames int
	}{
		{"tcpdump/ptp.pcap", 5},
		{"tcpdump/ptp_corrections.pcap", 3},
		{"tcpdump/ptp_ethernet.pcap", 205},
		{"tcpdump/ptp_management.pcap", 10},
		{"tcpdump/ptp_v2_1.pcap", 38},
		{"ndpi/ptpv2.pcap", 14},
	}
	tshark, _ := exec.LookPath("tshark")
	if tshark == "" {
		t.Log("tshark not on PATH: checking frame counts only")
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			b, err := os.ReadFile(path)
			if errors.Is(err, fs.ErrNotExist) {
				t.Skipf("%s not present", path)
			}
			if err != nil {
				t.Fatal(err)
			}
			got := ourFrames(t, b)
			if len(got) != tc.frames {
				t.Fatalf("read %d frames, want %d", len(got), tc.frames)
			}
			if tshark == "" {
				return
			}
			want := tsharkFields(t, tshark, path)
			if len(want) != len(got) {
				t.Fatalf("tshark sees %d frames, we read %d", len(want), len(got))
			}
			for i := range want {
				w := want[i]
				w.ifName, w.ethType = "", ""
				if got[i] != w {
					t.Errorf("frame %d\n ours   %+v\n tshark %+v", i+1, got[i], w)
				}
			}
		})
	}
}

// ourFrames reads a capture with the Reader and returns its packets in the
// shape of tsharkFrame, for comparison.
func ourFrames(t *testing.T, b []byte) []tsharkFrame {
	t.Helper()
	r, err := NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var p Packet
	var got []tsharkFrame
	for {
		err := r.Next(&p)
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		f := tsharkFrame{
			number: strconv.Itoa(len(got) + 1), epoch: epochString(p.Timestamp),
			length: strconv.Itoa(p.OriginalLength), capLen: strconv.Itoa(p.CaptureLength),
			md5: md5Hex(p.Data), comment: p.Comment(),
		}
		if r.Format() == FormatPcapNG {
			f.ifID = strconv.Itoa(p.Interface)
		}
		got = append(got, f)
	}
}

// TestWiresharkWrittenPcapng converts the public captures to pcapng with
// Wireshark's own editcap and mergecap and checks that the Reader agrees
// with tshark on the result: interface blocks without if_tsresol, a packet
// comment added by editcap, and two interfaces from mergecap.
func TestWiresharkWrittenPcapng(t *testing.T) {
	tshark := lookTool(t, "tshark")
	editcap := lookTool(t, "editcap")
	mergecap := lookTool(t, "mergecap")
	dir := os.Getenv("PTPWATCH_CAPTURES")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "captures")
	}
	a := filepath.Join(dir, "tcpdump", "ptp.pcap")
	c := filepath.Join(dir, "ndpi", "ptpv2.pcap")
	for _, f := range []string{a, c} {
		if _, err := os.Stat(f); err != nil {
			t.Skipf("public capture missing: %v", err)
		}
	}
	tmp := t.TempDir()
	tests := []struct {
		name   string
		tool   string
		args   []string
		frames int
	}{
		{"editcap.pcapng", editcap, []string{"-F", "pcapng", "-a", "2:hello from editcap", a, "OUT"}, 5},
		{"mergecap.pcapng", mergecap, []string{"-F", "pcapng", "-w", "OUT", a, c}, 19},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(tmp, tc.name)
			args := append([]string(nil), tc.args...)
			args[slices.Index(args, "OUT")] = out
			runTool(t, tc.tool, args...)
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			got := ourFrames(t, b)
			want := tsharkFields(t, tshark, out)
			if len(got) != tc.frames || len(want) != tc.frames {
				t.Fatalf("we read %d frames, tshark %d, want %d", len(got), len(want), tc.frames)
			}
			comments := 0
			for i := range want {
				w := want[i]
				w.ifName, w.ethType = "", ""
				if w.comment != "" {
					comments++
				}
				if got[i] != w {
					t.Errorf("frame %d\n ours   %+v\n tshark %+v", i+1, got[i], w)
				}
			}
			if tc.tool == editcap && comments != 1 {
				t.Errorf("%d comments, want 1", comments)
			}
		})
	}
}
