// Package sim is a virtual PTP timing network: grandmasters and their
// backups, boundary, ordinary and transparent clocks, management nodes and
// PTPv1 nodes exchanging real wire frames, built with package decode's
// encoders, as a capture tap on the network would see them. Followers use
// multicast, hybrid (unicast Delay_Req) or negotiated unicast service
// (Signaling with REQUEST/GRANT_UNICAST_TRANSMISSION), or peer delay. It feeds
// `ptpwatch --demo` (paced in real time by source.Pacer), tests of the
// live model, and benchmarks that need a million frames in memory.
//
// A Config describes segments, scopes and clocks, plus a Scenario of
// incidents (grandmaster failover, clock class changes, a rogue master, a
// duplicated clockIdentity, sync loss, sequence gaps, clocks stopping and
// starting). New checks it and returns a Network, which implements
// source.Source. Truth and Events tell tests what a perfect monitor would
// conclude; WriteCapture saves a run as pcapng.
//
// # Invariants
//
//   - Next returns frames in non-decreasing capture timestamp order, each
//     a complete Ethernet frame (padded to 60 octets) that decode.Frame
//     decodes as ResultOK, with TSSource TimestampSimulated and Link
//     LinkEthernet.
//   - A run depends only on Config, Options.Start and Options.Seed: the
//     same inputs give the same frames, byte for byte. All randomness
//     comes from one PCG generator; nothing iterates over maps while
//     running.
//   - Next does not allocate in steady state. The schedule is a min-heap on
//     a plain slice sized at start; encapsulations and message templates
//     are built per port when the network is made; frames are built in one
//     reused buffer. Applying a scenario action may allocate (it records
//     the incident and its events).
//   - Frame.Data aliases that buffer and is valid until the next call.
//
// # Time model
//
// Virtual time is nanoseconds since the Unix epoch on the tap's clock,
// which is UTC; PTPv2 timestamps are on the PTP timescale (TAI, 37 s
// ahead). Each clock has an error against true time: a free-running clock
// (a grandmaster) a constant offset plus accumulated drift, a synchronised
// one its master's error plus its own offset and the drift since the
// current Sync interval began. Every hardware timestamp adds the clock's
// Gaussian jitter. A frame is captured at its departure time plus the
// sender's path delay to the tap. In a scope with a transparent clock the
// tap sits on the followers' side of it: masters' messages arrive after
// their residence time, and the corrections show it (Follow_Up for a
// two-step clock, Sync for a one-step one, Delay_Resp for the Delay_Req's
// residence; a P2P transparent clock adds the upstream link delay too).
//
// # Roles and the best master
//
// The simulator runs the outcome of the best master clock algorithm per
// scope rather than the algorithm on every port (see elect.go): the best
// live master-capable port announces and sends Sync, the others are
// PASSIVE, every slave follows the elected master. Changes take the time
// real ports take: announce receipt timeout before a silent master is
// given up, listening before a started clock competes, two announce
// intervals of qualification before slaves move to a new master.
//
// # Concurrency
//
// A Network is owned by one goroutine, like any source.Source.
package sim
