// Package state is ptpwatch's live model of the timing network: segments,
// scopes, devices, ports and instances, who follows whom, what each clock
// announces, how regularly it sends, and the events that mark changes.
//
// # Data flow
//
// A capture worker decodes a frame (package decode) and turns it into an
// Observation with Observe: a fixed-size value holding only what the model
// needs. A Shard applies observations in order. A Shard is owned by exactly
// one goroutine; nothing on the per-frame path takes a lock or allocates once
// the instances involved exist (a new scope, device or instance allocates
// once, when it is first seen, and raises a Detected event).
//
// # Sharding
//
// Scopes never share state with other scopes except through devices, so a
// Model routes each observation to a shard by its scope. Devices are
// assembled from the shards' instances when a snapshot is taken.
//
// # Readers
//
// Readers (the API, the analyze command) never touch a shard's live maps.
// The owning goroutine publishes an immutable Snapshot through an atomic
// pointer when asked (Shard.Publish) and readers load it, so a slow reader
// cannot stall the frame path and always sees one consistent moment.
//
// # Provenance
//
// Every figure records where it came from: Measured (computed by ptpwatch
// from captured timestamps), Reported (a node said so in a management
// response or its own announce) or Inferred (deduced from traffic patterns),
// and when it was last updated.
package state
