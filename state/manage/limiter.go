package manage

// window is a sliding one-second rate limit: it allows a send at now only
// when fewer than its size sends happened in the second before, so no
// window of one second, wherever it starts, ever holds more. It keeps the
// times of the last size sends in a ring.
type window struct {
	times []int64 // ns; the oldest at next
	next  int
}

func newWindow(perSecond int) *window { return &window{times: make([]int64, perSecond)} }

// wait returns how long from now until a send is allowed; zero means now.
func (w *window) wait(now int64) int64 {
	oldest := w.times[w.next]
	if oldest == 0 {
		return 0
	}
	if d := oldest + 1e9 - now; d > 0 {
		return d
	}
	return 0
}

// take records a send at now; call it only when wait(now) is zero.
func (w *window) take(now int64) {
	w.times[w.next] = now
	w.next++
	if w.next == len(w.times) {
		w.next = 0
	}
}

// limiter combines one window per segment with a global one.
type limiter struct {
	perSegment int
	global     *window
	segments   map[uint16]*window
}

func newLimiter(perSegment, global int) *limiter {
	return &limiter{perSegment: perSegment, global: newWindow(global), segments: map[uint16]*window{}}
}

func (l *limiter) segment(seg uint16) *window {
	w := l.segments[seg]
	if w == nil {
		w = newWindow(l.perSegment)
		l.segments[seg] = w
	}
	return w
}

// wait returns how long until a frame may go out on seg.
func (l *limiter) wait(seg uint16, now int64) int64 {
	return max(l.global.wait(now), l.segment(seg).wait(now))
}

// take records a frame sent on seg at now.
func (l *limiter) take(seg uint16, now int64) {
	l.global.take(now)
	l.segment(seg).take(now)
}
