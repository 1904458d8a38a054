// Package state is ptpwatch's live model of the timing network: segments,
// scopes, devices, ports and instances, who follows whom, what each clock
// announces, how regularly it sends, and the events that mark changes.
//
// # Data flow
//
// The pipeline (state/pipeline) decodes each frame (package decode) and
// turns it into an Observation with Observe: a fixed-size value holding only
// what the model needs. It routes the observation to the Shard that owns
// its scope (Model.ShardFor), through a ring.SPSC when shards have
// goroutines of their own, and the Shard applies observations in order. A
// Shard is owned by exactly one goroutine. Once the instances involved
// exist, applying an observation takes no lock and allocates nothing. What
// happens once, or rarely, may do both: a new scope, instance or message
// type of an instance allocates when first seen, a new instance consults the
// device registry shared by the shards, and an event (a detection, a
// sequence gap, a state change) is formatted and added to the shared
// EventLog.
//
// # Roles and hierarchy
//
// Each instance collects evidence bits for what it was seen doing (Announce
// with stepsRemoved 0 naming itself, Sync, Delay_Req, Delay_Resp naming a
// requester, peer-delay messages, management requests, a reported
// PORT_DATA_SET state). Snapshot infers each device's roles from its
// instances' evidence and states, and draws per scope the grandmaster's
// port with the ports that follow it; a link is Measured when a Delay_Resp
// from the root named the follower and Inferred otherwise, and a boundary
// clock's master-port scope hangs beneath its slave port. rules_test.go
// holds a case per rule.
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
