// Package manage makes ptpwatch ask as well as listen: it sends PTP
// management GETs (IEEE 1588-2019 §15) to the clocks of a timing network
// and reads their answers from the capture path, so that ports which send
// nothing on their own (a PASSIVE backup grandmaster, a LISTENING port, a
// follower in hybrid mode behind a switch) still appear, with the state,
// parent and grandmaster they report.
//
// # Sweeps
//
// A sweep sends, per capture interface (segment), domain and transport, one
// multicast GET of DEFAULT_DATA_SET addressed to all clocks and all ports.
// DEFAULT_DATA_SET is clock-scoped, so each clock answers once and says how
// many ports it has. Replies are collected for Settings.Collect (at least a
// second: linuxptp's pmc waits only about 100 ms, which a loaded node can
// miss). Then each clock found is asked the follow-up IDs, clock-scoped ones
// once and port-scoped ones per port, unicast to the address it answered
// from (the default) or multicast with the clock as target.
//
// # Flood safety
//
// Nothing here may flood a timing network. The Manager keeps at most one
// request outstanding per target clock; every frame it sends takes a slot
// from a sliding one-second window per segment (Settings.Rate) and from a
// global one (Settings.GlobalRate), so no second ever carries more frames
// than configured; a request that gets no answer is retried at most
// Settings.Retries times, each wait twice the one before; a multicast query
// takes at most Settings.ReplyCap replies into account; and a sweep waits
// while the capture reports dropped frames (Manager.Dropping), since replies
// it cannot see would only cause retries. Plan says what the next sweep
// would send before anyone enables it.
//
// # Replies
//
// ptpwatch never binds UDP ports 319 or 320, so it never clashes with a PTP
// daemon on the same host: requests leave from port 320 through the
// capture's transmit path (Sender), and replies are taken from captured
// frames (Manager.HandleFrame), whichever port or cast they use. A reply is
// ours when its targetPortIdentity is ptpwatch's own portIdentity
// (Settings.PortIdentity, which must never equal a clock on the network)
// and its sequenceId is one we sent. MANAGEMENT_ERROR_STATUS replies are
// kept: they mark an ID the node refuses.
//
// HandleFrame is called for every captured frame. It rejects frames that
// are not management replies to us without locking or allocating; the
// replies themselves (a handful per sweep) take the Manager's mutex.
//
// # Model
//
// The replies also travel the ordinary frame path into the live model
// (package state), which takes a port's state from PORT_DATA_SET
// (portStateSource "management") and its parent and grandmaster from
// PARENT_DATA_SET. The Manager keeps what the model does not: per node the
// IDs it answers, ignores or refuses (the capability matrix), each
// answer's data with its age, and whether the node is online, partial,
// offline or dropped.
//
// # PTPv1
//
// PTPv1 (IEEE 1588-2002) subdomains seen on the wire are swept with the
// 1588-2002 Management message (v1.go): same Manager, same flood safety;
// answers are matched by ptpwatch's own UUID (SelfUUID) because v1 nodes
// answer with sequenceIds of their own.
//
// # Persistence
//
// Persist hands the Manager a store (the Pebble store's family 'g'): the
// nodes, the sweep bookkeeping and the master check's newest samples are
// restored from it and written back after each sweep (and each minute of
// master checks), so that a restart shows what the last run knew.
package manage
