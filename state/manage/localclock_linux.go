package manage

import "golang.org/x/sys/unix"

// ReadLocalClock reads the system clock's status with adjtimex(2) in
// read-only mode (modes 0): it never changes the clock.
func ReadLocalClock() LocalClock {
	var tx unix.Timex
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		return LocalClock{Error: err.Error()}
	}
	names := map[int]string{0: "TIME_OK", 1: "TIME_INS", 2: "TIME_DEL", 3: "TIME_OOP", 4: "TIME_WAIT", 5: "TIME_ERROR"}
	return LocalClock{Synchronized: tx.Status&unix.STA_UNSYNC == 0, MaxErrorUs: int64(tx.Maxerror), EstErrorUs: int64(tx.Esterror),
		Status: uint32(tx.Status), State: names[state]}
}
