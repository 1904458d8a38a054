// Package remote forwards captured frames from probes to collectors over
// NATS JetStream, and feeds what a collector receives into the pipeline as
// one more frame source.
//
// # Wire format
//
// A probe packs many frames into one batch (Encoder): a fixed header
// (frame count, the per-probe sequence of the first frame, the probe's drop
// counters), the probe's interface table (name and segment) and one record
// per frame (capture timestamp and its source, lengths, link type,
// interface, queue, bytes). Each batch is sealed with AES-256-GCM under a
// pre-shared key named by a key ID (Sealer); the envelope's clear header
// (site, probe run, batch sequence, first frame, frame count) is
// authenticated with it, so a relay or a shared NATS cluster sees neither
// the frames nor can alter anything without the collector noticing.
//
// # Store and forward
//
// A Probe publishes sealed batches into a stream of its own embedded
// JetStream server (bounded in bytes and age, oldest dropped first), and one
// forwarder per collector copies them, in order, to the collector's
// JetStream with a message ID per batch, so a resend after a lost
// acknowledgement is removed by JetStream's de-duplication. A collector that
// is down costs nothing until the local bound is reached; batches dropped
// unforwarded are counted, logged and raised as a Forwarding Loss event.
//
// # Invariants
//
//   - Per frame, nothing allocates: Encoder.Add, Decoder.Next, Sealer.Seal,
//     Opener.Open and Collector.Next work in buffers they own.
//   - A collector accepts a batch once: its (probe run, batch sequence) must
//     be newer than the last accepted from that site, else it is refused as
//     a replay and counted. Truncated, altered or foreign batches are
//     refused and counted too; none can stop the collector.
//   - Exactly once across a crash: a consumer that stores frames
//     (CollectorConfig.ConsumerCommits) stores each frame's Mark (site,
//     probe run, per-probe sequence) with it and calls Commit after
//     storing; the collector's saved read position never passes what was
//     committed, and on start it discards every frame at or below the
//     marks handed back in CollectorConfig.Resume. Without it the
//     position is saved every 100 ms, and a killed process reads up to
//     that much again.
//   - Keys never appear in logs, errors or the API: Key's String and
//     formatting print only its ID.
package remote
