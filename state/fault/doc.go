// Package fault tells a fault from normal PTP life. Detectors watch the
// model's shards (state.Watcher) and turn what the frames show into
// findings: a Rogue Master, BMCA Contention, Grandmaster Flapping, a
// Failover (and the Recovery after it) as opposed to an Outage, a Time
// Properties Mismatch, a Degradation, message-health findings (sequence
// gaps, duplicates, missing answers, intervals outside a profile), a
// Duplicate Identity (in one scope or across segments), Mixed Profiles in
// one domain, scopes of an agree group disagreeing, Unicast Refused, and
// steps of a master's offset or path delay from the master check. Each
// finding has a severity, an
// explanation in plain words, the scopes and ports it concerns and the
// evidence behind it (frame numbers and capture times in the RAM capture
// buffer). From the open findings follows a health verdict per scope and
// per segment: OK, degraded or fault.
//
// # Expected topology
//
// A Config says per scope which clocks may be grandmaster (by
// clockIdentity, optionally with the priority1 and clockClass they should
// announce), the expected UTC offset and the leap-second table. Without
// an entry for a scope, its detector learns a baseline (the grandmasters
// heard, the quality they announce) during a settling time after the
// scope is first seen, judges nothing meanwhile, and says so in the
// health verdict. The expected topology can be replaced at run time
// (Engine.SetTopology, the API's PUT /api/v1/health/topology); with a
// store (Engine.UseStore) it is kept there and restored at start.
//
// # Verdicts are events
//
// Opening a finding adds an event of the finding's kind (such as "Rogue
// Master") to the model's EventLog, so the dashcam records around it and
// notifications deliver it like any other event; closing it adds
// "Finding Closed", or "Recovered" for a Failover or an Outage.
//
// # Hold times
//
// A condition must hold for its kind's hold time before a finding opens
// (a single late Announce is not a fault), and must be gone for
// Config.ClearAfter before it closes. Failover and Outage are judged
// once the grandmaster has been stable for an announce receipt timeout,
// so one failover gives one verdict however many intermediate grandmasters
// (a boundary clock announcing itself meanwhile) the scopes saw.
//
// # Concurrency
//
// One Detector per shard runs on the shard's goroutine and owns the state
// of that shard's scopes: its Observe takes no lock and allocates nothing
// for frames that change nothing. Findings live in a Book shared by the
// detectors, locked only when a finding opens, changes or closes, and
// read by the API through Snapshot. Detectors are installed with
// Engine.Attach before the pipeline runs.
//
// # Across scopes
//
// Findings that compare scopes of different shards (Mixed Profiles,
// Duplicate Identity across segments, agree groups) are judged from what
// each scope reports every few seconds of capture time under one lock, at
// the time of the slowest shard; nothing of it runs per frame.
//
// # Management data
//
// Detectors judge what is announced on the wire, and the master check's
// samples (state/manage's SampleHook, Engine.MasterSample) for offset
// steps and path delay jumps. Data reported through management sweeps is
// not judged yet.
package fault
