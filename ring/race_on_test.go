//go:build race

package ring

// raceEnabled shortens the long concurrent tests under the race detector,
// which slows memory accesses by an order of magnitude.
const raceEnabled = true
