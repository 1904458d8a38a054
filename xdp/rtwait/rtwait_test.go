//go:build linux

package rtwait

import (
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestPollReadable(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	fds := []unix.PollFd{{Fd: int32(r.Fd()), Events: unix.POLLIN}}
	if n, err := Poll(fds, time.Millisecond); n != 0 || err != nil {
		t.Fatalf("empty pipe: Poll = %d, %v; want 0, nil", n, err)
	}
	if _, err := w.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	fds[0].Revents = 0
	if n, err := Poll(fds, time.Second); n != 1 || err != nil || fds[0].Revents&unix.POLLIN == 0 {
		t.Fatalf("pipe with a byte: Poll = %d, %v, revents %#x; want 1, nil, POLLIN", n, err, fds[0].Revents)
	}
	if n, err := Poll([]unix.PollFd{{Fd: -2, Events: unix.POLLIN}}, 0); err != nil || n != 0 {
		// A negative fd is ignored by poll(2).
		t.Fatalf("negative fd: Poll = %d, %v", n, err)
	}
	if _, err := Poll(fds[:0], 0); err != nil {
		t.Fatalf("no fds: %v", err)
	}
}

// TestFutexWakesHolder: a goroutine locked to its thread sleeps in
// FutexWait holding its P while the rest of the program (given a P by
// Reserve) keeps running and wakes it.
func TestFutexWakesHolder(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	Reserve()
	if got := runtime.GOMAXPROCS(0); got != 2 || Reserved() != 1 {
		t.Fatalf("after Reserve: GOMAXPROCS %d, reserved %d; want 2, 1", got, Reserved())
	}
	defer func() {
		Release()
		if got := runtime.GOMAXPROCS(0); got != 1 || Reserved() != 0 {
			t.Errorf("after Release: GOMAXPROCS %d, reserved %d; want 1, 0", got, Reserved())
		}
	}()
	var word atomic.Uint32
	var asleep atomic.Bool
	woke := make(chan int, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		loops := 0
		for word.Load() == 0 {
			asleep.Store(true)
			FutexWait(&word, 0, 10*time.Second)
			loops++
		}
		woke <- loops
	}()
	// The other goroutine runs while the sleeper holds a P.
	for deadline := time.Now().Add(10 * time.Second); !asleep.Load(); {
		if time.Now().After(deadline) {
			t.Fatal("the sleeper never started")
		}
		runtime.Gosched()
	}
	word.Store(1)
	FutexWake(&word)
	select {
	case n := <-woke:
		if n < 1 {
			t.Fatalf("woke after %d waits", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("FutexWake did not wake the sleeper within 5 s (its own timeout is 10 s)")
	}
}

func TestFutexValueChanged(t *testing.T) {
	var word atomic.Uint32
	word.Store(7)
	done := make(chan struct{})
	go func() { FutexWait(&word, 6, time.Minute); close(done) }() // 7 != 6: returns at once
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("FutexWait slept although the word differed")
	}
}

func TestReleaseWithoutReserve(t *testing.T) {
	n := runtime.GOMAXPROCS(0)
	Release()
	if got := runtime.GOMAXPROCS(0); got != n {
		t.Fatalf("Release without Reserve changed GOMAXPROCS %d → %d", n, got)
	}
}

func TestNoAllocs(t *testing.T) {
	var word atomic.Uint32
	fds := []unix.PollFd{{Fd: -1}}
	if a := testing.AllocsPerRun(100, func() {
		FutexWait(&word, 1, 0)
		FutexWake(&word)
		Poll(fds, 0)
	}); a != 0 {
		t.Fatalf("%v allocations per wait", a)
	}
}
