package afpacket

import (
	"testing"

	"golang.org/x/net/bpf"
)

func TestPTPFilter(t *testing.T) {
	const snap = 0x40000
	prog := PTPFilter(snap)
	if _, err := bpf.Assemble(prog); err != nil {
		t.Fatalf("Assemble: %v", err)
	}
	vm, err := bpf.NewVM(prog)
	if err != nil {
		t.Fatalf("NewVM: %v", err)
	}
	t.Logf("%d instructions", len(prog))
	for _, tf := range testFrames() {
		verdict := func(f []byte) bool {
			n, err := vm.Run(f)
			if err != nil {
				t.Fatalf("%s: Run: %v", tf.name, err)
			}
			return n != 0
		}
		if got := verdict(tf.data); got != tf.ptp {
			t.Errorf("%s: accepted %v, want %v", tf.name, got, tf.ptp)
		}
		// The kernel strips the outer 802.1Q/802.1ad tag before the filter
		// runs; the verdict must not change.
		if _, _, ok := outerTag(tf.data); ok {
			want := tf.ptp || tf.name == "5 tags L2" // four remain: within the limit
			if got := verdict(stripOuter(tf.data)); got != want {
				t.Errorf("%s with outer tag stripped: accepted %v, want %v", tf.name, got, want)
			}
		}
	}
}

func TestPTPFilterSnaplen(t *testing.T) {
	vm, err := bpf.NewVM(PTPFilter(64))
	if err != nil {
		t.Fatal(err)
	}
	f := testFrames()[2].data // UDPv4 Sync, longer than 64 bytes
	n, err := vm.Run(f)
	if err != nil || n != 64 {
		t.Fatalf("Run = %d, %v; want 64", n, err)
	}
}

func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		ok   bool
	}{
		{"zero", Options{}, true},
		{"small ring", Options{BlockSize: 4096, NumBlocks: 2, FrameSize: 2048}, true},
		{"block not power of two", Options{BlockSize: 3 * 4096}, false},
		{"block below page", Options{BlockSize: 2048}, false},
		{"negative blocks", Options{NumBlocks: -1}, false},
		{"too big", Options{BlockSize: 1 << 22, NumBlocks: 1024}, false},
		{"frame unaligned", Options{FrameSize: 1000}, false},
		{"frame above block", Options{BlockSize: 4096, FrameSize: 8192}, false},
		{"timeout", Options{RetireTimeout: 1}, false},
		{"snaplen", Options{Snaplen: 20}, false},
	} {
		o, err := tc.o.withDefaults(4096)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok %v", tc.name, err, tc.ok)
		}
		if tc.name == "zero" && (o.BlockSize != DefaultBlockSize || o.NumBlocks*o.BlockSize != 4<<20) {
			t.Errorf("defaults: %+v", o)
		}
	}
}
