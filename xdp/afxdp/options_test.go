package afxdp

import (
	"errors"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		o      Options
		option string // "" for no error
	}{
		{"zero", Options{}, ""},
		{"4096 chunks", Options{ChunkSize: 4096}, ""},
		{"chunk 1024", Options{ChunkSize: 1024}, "ChunkSize"},
		{"chunk 3000", Options{ChunkSize: 3000}, "ChunkSize"},
		{"chunk 8192", Options{ChunkSize: 8192}, "ChunkSize"},
		{"chunk negative", Options{ChunkSize: -2048}, "ChunkSize"},
		{"frames 1000", Options{NumFrames: 1000}, "NumFrames"},
		{"negative UMEM budget", Options{UMEMBytes: -1}, "UMEMBytes"},
		{"frames 32", Options{NumFrames: 32}, "NumFrames"},
		{"frames 1<<19", Options{NumFrames: 1 << 19}, "NumFrames"},
		{"frames 128", Options{NumFrames: 128}, ""},
		{"rx ring 100", Options{RXRingSize: 100}, "RXRingSize"},
		{"rx ring 4", Options{RXRingSize: 4}, "RXRingSize"},
		{"rx ring 512", Options{RXRingSize: 512}, ""},
		{"tx ring 3", Options{TXRingSize: 3}, "TXRingSize"},
		{"tx ring over half", Options{NumFrames: 64, TXRingSize: 64}, "TXRingSize"},
		{"tx ring half", Options{NumFrames: 64, TXRingSize: 32}, ""},
		{"bind", Options{Bind: 7}, "Bind"},
		{"queue negative", Options{Queues: []int{-1}}, "Queues"},
		{"queue 64", Options{Queues: []int{64}}, "Queues"},
		{"queue twice", Options{Queues: []int{1, 1}}, "Queues"},
	}
	for _, tt := range tests {
		o, err := tt.o.validate()
		var oe *OptionError
		switch {
		case tt.option == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.option == "" && o.ChunkSize == 0:
			t.Errorf("%s: defaults not filled: %+v", tt.name, o)
		case tt.option != "" && (!errors.As(err, &oe) || oe.Option != tt.option || !errors.Is(err, ErrInvalidOption)):
			t.Errorf("%s: error %v, want an *OptionError for %s", tt.name, err, tt.option)
		case err != nil:
			t.Logf("%s: %v", tt.name, err)
		}
	}
}

func TestResolve(t *testing.T) {
	const mib = 1 << 20
	none := ^uint64(0)
	tests := []struct {
		name           string
		o              Options
		active         int
		ipcLock        bool
		limit          uint64
		queues, frames int
		err            string // "queue", "memlock", "option"
	}{
		{"default one queue", Options{}, 1, false, 8 * mib, 1, 2048, ""},
		{"default four queues", Options{}, 4, false, 8 * mib, 4, 512, ""},
		{"default 4096 chunks", Options{ChunkSize: 4096}, 1, false, 8 * mib, 1, 1024, ""},
		{"default 64 queues", Options{}, 64, true, 8 * mib, 64, 64, ""},
		{"more queues than the map", Options{}, 100, true, 8 * mib, 64, 64, ""},
		{"sized down for a small limit", Options{}, 1, false, 2 * mib, 1, 512, ""},
		{"limit lifted by CAP_IPC_LOCK", Options{}, 1, true, 2 * mib, 1, 2048, ""},
		{"no limit", Options{}, 2, false, none, 2, 1024, ""},
		{"explicit frames over the limit", Options{NumFrames: 8192}, 1, false, 8 * mib, 0, 0, "memlock"},
		{"explicit frames with CAP_IPC_LOCK", Options{NumFrames: 8192}, 1, true, 8 * mib, 1, 8192, ""},
		{"minimum still over the limit", Options{}, 64, false, 4 * mib, 0, 0, "memlock"},
		{"chosen queues", Options{Queues: []int{2, 0}}, 3, false, 8 * mib, 2, 1024, ""},
		{"queue beyond the active ones", Options{Queues: []int{0, 3}}, 3, false, 8 * mib, 0, 0, "queue"},
		{"tx ring over half the defaulted frames", Options{TXRingSize: 64}, 64, true, none, 0, 0, "option"},
		{"a budget for one queue", Options{UMEMBytes: 64 * mib}, 1, true, 8 * mib, 1, 32768, ""},
		{"a budget shared by four queues", Options{UMEMBytes: 64 * mib}, 4, true, 8 * mib, 4, 8192, ""},
		{"a budget halved for the limit", Options{UMEMBytes: 64 * mib}, 1, false, 8 * mib, 1, 2048, ""},
		{"a budget past the largest UMEM", Options{UMEMBytes: 1 << 40}, 1, true, none, 1, MaxNumFrames, ""},
	}
	for _, tt := range tests {
		o, err := tt.o.validate()
		if err != nil {
			t.Fatalf("%s: validate: %v", tt.name, err)
		}
		o, err = o.resolve("eth9", tt.active, tt.ipcLock, tt.limit)
		var qe *QueueError
		var me *MemlockError
		var oe *OptionError
		switch tt.err {
		case "":
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			} else if len(o.Queues) != tt.queues || o.NumFrames != tt.frames || o.RXRingSize != o.NumFrames || o.TXRingSize != min(64, o.NumFrames/2) {
				t.Errorf("%s: %d queues of %d frames (RX ring %d), want %d of %d", tt.name, len(o.Queues), o.NumFrames, o.RXRingSize, tt.queues, tt.frames)
			}
		case "queue":
			if !errors.As(err, &qe) || qe.Active != tt.active || !errors.Is(err, ErrInvalidOption) {
				t.Errorf("%s: %v, want a *QueueError", tt.name, err)
			}
		case "memlock":
			if !errors.As(err, &me) || me.Limit != tt.limit || me.Requested <= me.Limit {
				t.Errorf("%s: %v, want a *MemlockError", tt.name, err)
			}
		case "option":
			if !errors.As(err, &oe) {
				t.Errorf("%s: %v, want an *OptionError", tt.name, err)
			}
		}
		if err != nil {
			t.Logf("%s: %v", tt.name, err)
		}
	}
}

func TestPow2Floor(t *testing.T) {
	for _, c := range [][2]uint64{{0, 0}, {1, 1}, {2, 2}, {3, 2}, {1023, 512}, {1024, 1024}, {1 << 40, 1 << 40}, {1<<63 + 5, 1 << 63}} {
		if got := pow2Floor(c[0]); got != c[1] {
			t.Errorf("pow2Floor(%d) = %d, want %d", c[0], got, c[1])
		}
	}
}
