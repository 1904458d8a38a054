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
// interface, queue, bytes). Unless switched off, the batch is then
// compressed as one S2 block (Compress; captured PTP frames shrink to about
// a third, and so does every copy on the way). Each batch is sealed with
// AES-256-GCM under a pre-shared key named by a key ID (Sealer); the
// envelope's clear header (site, probe run, batch sequence, first frame,
// frame count) is authenticated with it, so a relay or a shared NATS
// cluster sees neither the frames nor can alter anything without the
// collector noticing.
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
// A relay (ProbeConfig.Relay: a collector that forwards) passes the sealed
// batches of its collector's stream on as they are, with the message IDs
// their probes gave them, and moves its position only over batches the
// next collector acknowledged: after a crash it sends some again, and
// JetStream's de-duplication (and the next collector's replay check)
// removes them, so the next collector sees each frame once, in order,
// under the original site.
//
// # Credentials
//
// Besides TLS, mutual TLS and accounts, a probe may sign in with a NATS
// user NKEY (Nkey; its seed stays on the probe) that the collector's
// server binds to sites (natsd.Config.Nkeys): the key may publish only its
// sites' subjects, and the collector refuses a batch whose sealed site is
// not the one its subject names.
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
//     (CollectorConfig.ConsumerCommits, or Collector.Resume on a collector
//     opened with AwaitResume) stores each frame's Mark (site, probe run,
//     per-probe sequence) with it and calls Commit after storing (Next's
//     goroutine), or Stored once it is durable (any goroutine); the
//     collector's saved read position never passes what was committed,
//     and on start it discards every frame at or below the marks handed
//     back. The collector is a source.Marked, and the appliance's dashcam
//     is such a consumer. Without it the position is saved every 100 ms,
//     and a killed process reads up to that much again, or loses what its
//     consumer had not yet stored.
//   - Keys never appear in logs, errors or the API: Key's String and
//     formatting print only its ID.
package remote
