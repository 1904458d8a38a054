package sim

// kind is what a timer in the schedule does when it fires.
type kind uint8

const (
	// Periodic timers, one per port that may ever send the message; they
	// stay in the schedule while their port is silent, so stopping and
	// starting clocks never adds or removes them.
	kAnnounce kind = iota
	kSync
	kDelayReq
	kPdelayReq
	kMgmtReq
	kSignal    // a unicast follower renews its grant
	kUAnnounce // a master's unicast Announce to one follower, keyed by the follower
	kUSync     // a master's unicast Sync to one follower, keyed by the follower
	// One-shot timers for the second half of an exchange. Each is keyed
	// by the port holding the exchange's state: the master for Follow_Up,
	// the requester for the responses.
	kFollowUp
	kDelayResp
	kPdelayResp
	kPdelayRespFU
	kMgmtResp
	kSignalNow // a unicast follower asks a new master at once
	kGrant     // the master's grant, keyed by the follower
	kUFollowUp // keyed by the follower
	// Control timers that send nothing.
	kAction  // idx is an action index
	kReelect // idx is a scope index
	kAdopt   // idx is a scope index
)

// item is one entry of the schedule.
type item struct {
	at   int64  // when the tap captures the frame: the heap key
	emit int64  // when the sender puts it on the wire
	tie  uint64 // insertion order: equal times pop first-in first-out, so runs repeat exactly
	idx  int32
	kind kind
}

func (a *item) before(b *item) bool {
	return a.at < b.at || (a.at == b.at && a.tie < b.tie)
}

// The schedule is a binary min-heap on a plain slice. container/heap would
// box every item in an interface; these few lines keep Next free of
// allocations.

func (n *Network) push(it item) {
	if it.at < n.now {
		// Never schedule into the past: frames leave in capture order.
		it.at = n.now
	}
	n.tie++
	it.tie = n.tie
	n.h = append(n.h, it)
	n.up(len(n.h) - 1)
}

// pop removes the first item.
func (n *Network) pop() {
	last := len(n.h) - 1
	n.h[0] = n.h[last]
	n.h = n.h[:last]
	if last > 0 {
		n.down(0)
	}
}

// again moves the first item, a periodic timer, to its next firing.
func (n *Network) again(emit, at int64) {
	if at < n.now {
		at = n.now
	}
	n.tie++
	it := &n.h[0]
	it.emit, it.at, it.tie = emit, at, n.tie
	n.down(0)
}

func (n *Network) up(i int) {
	h := n.h
	for i > 0 {
		p := (i - 1) / 2
		if !h[i].before(&h[p]) {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (n *Network) down(i int) {
	h := n.h
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r].before(&h[l]) {
			m = r
		}
		if !h[m].before(&h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
