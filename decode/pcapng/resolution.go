package pcapng

import (
	"math/bits"
	"strconv"
)

// Resolution is the length of one timestamp tick of an interface. It carries
// the value of pcapng's if_tsresol option: the low seven bits are an exponent
// e, and a tick is 10^-e seconds, or 2^-e seconds when bit 7 is set. A marker
// bit above the option byte makes the zero Resolution mean "not set" rather
// than "whole seconds", which [NgWriter.AddInterface] turns into Nanosecond.
type Resolution uint16

const (
	resolutionSet    Resolution = 0x100
	resolutionBinary Resolution = 0x80
)

// Common resolutions. A pcapng interface without if_tsresol uses
// Microsecond, as does a classic pcap file with the 0xa1b2c3d4 magic.
const (
	Second      Resolution = resolutionSet | 0
	Millisecond Resolution = resolutionSet | 3
	Microsecond Resolution = resolutionSet | 6
	Nanosecond  Resolution = resolutionSet | 9
)

// DecimalResolution returns the resolution of 10^-exp seconds. It returns the
// invalid zero Resolution unless 0 <= exp <= 127.
func DecimalResolution(exp int) Resolution {
	if exp < 0 || exp > 127 {
		return 0
	}
	return resolutionSet | Resolution(exp)
}

// BinaryResolution returns the resolution of 2^-exp seconds. It returns the
// invalid zero Resolution unless 0 <= exp <= 127.
func BinaryResolution(exp int) Resolution {
	if exp < 0 || exp > 127 {
		return 0
	}
	return resolutionSet | resolutionBinary | Resolution(exp)
}

// ResolutionFromOption returns the resolution described by an if_tsresol
// option byte. Every byte value is meaningful, so the result is always valid.
func ResolutionFromOption(v byte) Resolution { return resolutionSet | Resolution(v) }

// IsValid reports whether r was built by one of the constructors or
// constants rather than being the zero value or a stray number.
func (r Resolution) IsValid() bool { return r&^0x1ff == 0 && r&resolutionSet != 0 }

// Option returns the if_tsresol byte for r.
func (r Resolution) Option() byte { return byte(r) }

// Exponent returns e in 10^-e or 2^-e seconds.
func (r Resolution) Exponent() int { return int(r & 0x7f) }

// IsBinary reports whether a tick is a power of two of a second rather than a
// power of ten.
func (r Resolution) IsBinary() bool { return r&resolutionBinary != 0 }

// String returns "s", "ms", "us" or "ns" for the common decimal resolutions,
// "10^-e s" or "2^-e s" otherwise, and "invalid" for an invalid r.
func (r Resolution) String() string {
	switch {
	case !r.IsValid():
		return "invalid"
	case r == Second:
		return "s"
	case r == Millisecond:
		return "ms"
	case r == Microsecond:
		return "us"
	case r == Nanosecond:
		return "ns"
	}
	b := make([]byte, 0, 12)
	if r.IsBinary() {
		b = append(b, "2^-"...)
	} else {
		b = append(b, "10^-"...)
	}
	b = strconv.AppendInt(b, int64(r.Exponent()), 10)
	return string(append(b, " s"...))
}

// tickConv converts between a resolution's ticks and nanoseconds. It is
// worked out once per interface so that the per-packet cost is a multiply on
// the usual resolutions and a 128-bit multiply and shift on binary ones; a
// 64-bit divide by an arbitrary units-per-second value is never needed.
type tickConv struct {
	op  uint8  // one of the conv* values
	exp uint8  // binary exponent for convBinary
	k   uint64 // power of ten for convMul and convDiv
}

const (
	convZero   = iota // ticks so fine that every 64-bit count is under 1 ns
	convMul           // decimal, tick >= 1 ns: ns = ticks * k
	convDiv           // decimal, tick < 1 ns: ns = ticks / k
	convBinary        // tick = 2^-exp s
)

var pow10 = [...]uint64{
	1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
}

func newTickConv(r Resolution) tickConv {
	e := r.Exponent()
	switch {
	case r.IsBinary():
		return tickConv{op: convBinary, exp: uint8(e)}
	case e <= 9:
		return tickConv{op: convMul, k: pow10[9-e]}
	case e-9 < len(pow10):
		return tickConv{op: convDiv, k: pow10[e-9]}
	}
	// 10^-e s with e >= 29: even 2^64-1 ticks is under a nanosecond.
	return tickConv{op: convZero}
}

// nanos converts a tick count to nanoseconds, rounding down. Results beyond
// 2^64 ns (year 2554) wrap; the formats allow them but no capture holds them.
func (c tickConv) nanos(t uint64) uint64 {
	switch c.op {
	case convMul:
		return t * c.k
	case convDiv:
		return t / c.k
	case convBinary:
		e := uint(c.exp)
		if e >= 64 {
			hi, _ := bits.Mul64(t, 1e9)
			return hi >> (e - 64)
		}
		// Whole seconds shift out; the fraction is scaled in 128 bits.
		// Shifts by 64 yield zero in Go, which covers e == 0.
		sec := t >> e
		rem := t & (1<<e - 1)
		hi, lo := bits.Mul64(rem, 1e9)
		return sec*1e9 + (hi<<(64-e) | lo>>e)
	}
	return 0
}

// ticks converts nanoseconds to a tick count; ok is false when the count
// does not fit in 64 bits. Coarser ticks than a nanosecond round down. For
// finer binary ticks it picks the first tick inside the nanosecond, so that
// nanos gives back exactly ns: rounding down there would lose 1 ns.
func (c tickConv) ticks(ns uint64) (t uint64, ok bool) {
	switch c.op {
	case convMul:
		return ns / c.k, true
	case convDiv:
		hi, lo := bits.Mul64(ns, c.k)
		return lo, hi == 0
	case convBinary:
		e := uint(c.exp)
		if e >= 64 {
			return 0, false
		}
		sec, frac := ns/1e9, ns%1e9
		if sec>>(64-e) != 0 {
			return 0, false
		}
		// frac << e as a 128-bit value; its high word is below 2^30 < 1e9,
		// so the division cannot overflow.
		q, r := bits.Div64(frac>>(64-e), frac<<e, 1e9)
		if e >= 30 && r != 0 {
			q++
		}
		return sec<<e + q, true
	}
	return 0, false
}

// writable reports whether the writer can express timestamps in c at all.
func (c tickConv) writable() bool {
	return c.op != convZero && !(c.op == convBinary && c.exp >= 64)
}
