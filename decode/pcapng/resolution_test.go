package pcapng

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

func TestResolutionBasics(t *testing.T) {
	tests := []struct {
		r      Resolution
		valid  bool
		option byte
		str    string
	}{
		{0, false, 0, "invalid"},
		{Resolution(9), false, 9, "invalid"},
		{Resolution(0x300), false, 0, "invalid"},
		{Second, true, 0, "s"},
		{Millisecond, true, 3, "ms"},
		{Microsecond, true, 6, "us"},
		{Nanosecond, true, 9, "ns"},
		{DecimalResolution(12), true, 12, "10^-12 s"},
		{BinaryResolution(20), true, 0x94, "2^-20 s"},
		{BinaryResolution(127), true, 0xff, "2^-127 s"},
		{DecimalResolution(128), false, 0, "invalid"},
		{BinaryResolution(-1), false, 0, "invalid"},
		{ResolutionFromOption(0x86), true, 0x86, "2^-6 s"},
	}
	for _, tc := range tests {
		if tc.r.IsValid() != tc.valid || (tc.valid && tc.r.Option() != tc.option) || tc.r.String() != tc.str {
			t.Errorf("%#x: valid %v option %#x string %q; want %v %#x %q",
				uint16(tc.r), tc.r.IsValid(), tc.r.Option(), tc.r.String(), tc.valid, tc.option, tc.str)
		}
	}
}

func TestTickConvExamples(t *testing.T) {
	tests := []struct {
		r     Resolution
		ticks uint64
		ns    uint64
	}{
		{Nanosecond, 123, 123},
		{Microsecond, 123, 123000},
		{Second, 2, 2e9},
		{DecimalResolution(12), 1_234_567, 1_234},
		{DecimalResolution(28), math.MaxUint64, 1},
		{DecimalResolution(29), math.MaxUint64, 0},
		{BinaryResolution(0), 3, 3e9},
		{BinaryResolution(1), 3, 1_500_000_000},
		{BinaryResolution(20), 5<<20 | 1<<19, 5_500_000_000},
		{BinaryResolution(32), 1 << 31, 500_000_000},
		{BinaryResolution(64), 1 << 63, 500_000_000},
		{BinaryResolution(127), math.MaxUint64, 0},
	}
	for _, tc := range tests {
		if got := newTickConv(tc.r).nanos(tc.ticks); got != tc.ns {
			t.Errorf("%v: %d ticks = %d ns, want %d", tc.r, tc.ticks, got, tc.ns)
		}
	}
}

// unitsPerSecond is the slow, exact reference: 10^e or 2^e.
func unitsPerSecond(r Resolution) *big.Int {
	base := int64(10)
	if r.IsBinary() {
		base = 2
	}
	return new(big.Int).Exp(big.NewInt(base), big.NewInt(int64(r.Exponent())), nil)
}

var two64 = new(big.Int).Lsh(big.NewInt(1), 64)

func testValues(rng *rand.Rand) []uint64 {
	v := []uint64{0, 1, 999_999_999, 1e9, 1e9 + 1, math.MaxInt64, math.MaxUint64, 1 << 32, 1<<32 - 1}
	for range 300 {
		v = append(v, rng.Uint64(), rng.Uint64()>>rng.IntN(64), rng.Uint64N(1<<61))
	}
	return v
}

// TestTickConvAgainstBig compares the fast conversions with math/big for
// every possible if_tsresol byte.
func TestTickConvAgainstBig(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	vals := testValues(rng)
	billion := big.NewInt(1e9)
	for opt := range 256 {
		r := ResolutionFromOption(byte(opt))
		c := newTickConv(r)
		ups := unitsPerSecond(r)
		for _, v := range vals {
			// nanos: floor(v * 1e9 / ups), modulo 2^64 like the fast code.
			want := new(big.Int).Mul(new(big.Int).SetUint64(v), billion)
			want.Div(want, ups).Mod(want, two64)
			if got := c.nanos(v); got != want.Uint64() {
				t.Fatalf("%v: nanos(%d) = %d, want %d", r, v, got, want)
			}
			if !c.writable() {
				continue
			}
			// ticks: floor(v * ups / 1e9), or the ceiling for binary ticks
			// finer than a nanosecond.
			q, m := new(big.Int).QuoRem(new(big.Int).Mul(new(big.Int).SetUint64(v), ups), billion, new(big.Int))
			if r.IsBinary() && r.Exponent() >= 30 && m.Sign() != 0 {
				q.Add(q, big.NewInt(1))
			}
			fits := q.Cmp(two64) < 0
			got, ok := c.ticks(v)
			if ok != fits || (ok && got != q.Uint64()) {
				t.Fatalf("%v: ticks(%d) = %d, %v; want %d, %v", r, v, got, ok, q, fits)
			}
			if !ok {
				continue
			}
			// Reading back what was written gives the time again, rounded
			// down to the tick.
			back := c.nanos(got)
			// down to the tick (and then to the nanosecond, so up to one
			// tick rounded up).
			tick, rem := new(big.Int).QuoRem(billion, ups, new(big.Int))
			if rem.Sign() != 0 {
				tick.Add(tick, big.NewInt(1))
			}
			if back > v || (tick.Uint64() <= 1 && back != v) || v-back > tick.Uint64() {
				t.Fatalf("%v: %d ns -> %d ticks -> %d ns", r, v, got, back)
			}
		}
	}
}

func TestLinkTypeString(t *testing.T) {
	tests := []struct {
		l    LinkType
		want string
	}{
		{LinkTypeNull, "Null"},
		{LinkTypeEthernet, "Ethernet"},
		{LinkTypeRaw, "Raw"},
		{LinkTypeLoop, "Loop"},
		{LinkTypeLinuxSLL, "LinuxSLL"},
		{LinkTypeIPv4, "IPv4"},
		{LinkTypeIPv6, "IPv6"},
		{LinkTypeLinuxSLL2, "LinuxSLL2"},
		{LinkType(147), "LinkType(147)"},
	}
	for _, tc := range tests {
		if got := tc.l.String(); got != tc.want {
			t.Errorf("LinkType(%d).String() = %q, want %q", uint16(tc.l), got, tc.want)
		}
		if got := string(tc.l.AppendTo([]byte("x"))); got != "x"+tc.want {
			t.Errorf("AppendTo = %q", got)
		}
	}
	if LinkTypeEthernet != 1 || LinkTypeRaw != 101 || LinkTypeLinuxSLL != 113 ||
		LinkTypeLinuxSLL2 != 276 || LinkTypeIPv4 != 228 || LinkTypeIPv6 != 229 || LinkTypeNull != 0 {
		t.Error("link type numbers differ from the LINKTYPE registry")
	}
}
