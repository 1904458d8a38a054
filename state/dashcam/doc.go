// Package dashcam keeps the evidence of timing incidents: dashcam
// recordings around events and an optional continuous archive of every
// frame, in the appliance's store (state/store) under --data.
//
// A [Store] keeps incidents and the archive on top of a store.Store
// ([New]; [Open] opens both), whose general records (device metadata,
// settings, the event log) it gives access to. A [Recorder] takes frames from the capture
// path (the pipeline's OnStored hook) and events from the model's
// EventLog, records an [Incident] of the frames around each trigger and
// archives every frame when asked. Incidents and archive ranges export as
// pcapng ([Store.ExportIncident], [Store.ExportRange]).
//
// # Recording
//
// A trigger (an event of a configured type, or a manual one) at capture
// time t records the window [t − Pre, t + Post] of the trigger's scope,
// or of every scope. The part of the window already captured comes from
// the RAM capture buffer (ring.Buffer); the rest arrives through the
// hand-off as it is captured. A trigger whose window overlaps a recording
// extends it (its end moves, its scopes are added) rather than storing
// frames twice; a trigger reaching back into a finished incident starts
// after it. A recording ends when capture time passes its window's end,
// or, on a quiet link, when the wall clock says it has.
//
// States: recording → complete (every frame of the window the appliance
// had is stored) or incomplete (recording was interrupted, or frames were
// lost to hand-off overflow or disk trouble; Reason says which).
//
// # Hand-off
//
// The capture path must never wait for storage. OnStored and Ingest copy
// each frame into a preallocated single-producer/single-consumer byte log
// (no lock, no allocation, one atomic store per frame) and return; when
// the log is full the frame is dropped and counted. The Recorder numbers
// frames by their RAM buffer frame number, so a frame the log dropped is
// taken from the RAM buffer while it still holds it, and the boundary
// between the pre-trigger window (read from the buffer) and the live
// frames is exact: no frame twice, none missing. While nothing is being
// recorded or archived the hand-off is off and OnStored costs a few loads
// (with a marked source it still hands over each frame's mark: see Marks).
//
// # Keys
//
// Dashcam owns four of the store's key families (see the store's package
// doc, "Keys"); integers big-endian, timestamps offset by 2^63.
//
//	'a' time(8) seq(8)   archive chunk: frames whose first was captured at time
//	'f' id(8) seq(8)     incident frame chunk; seq = number of the incident's frames before it
//	'i' id(8)            incident description (JSON, see Incident)
//	'm' name             bookkeeping ("archive-floor", "interfaces", "mark/<origin>": see Marks)
//
// # Values
//
// Frames are stored in chunks of up to RecorderOptions.ChunkBytes (64 KiB):
// a 24-byte header (version 1, 3 reserved bytes, uint32 count, int64
// earliest and latest capture time), then frame records, little-endian: int64
// capture time (ns since 1970-01-01), uint32 captured length, uint32 wire
// length, uint32 scope tag, uint16 interface index, uint16 link type,
// uint8 timestamp source, uint8 PTP messageType, uint8 PTP version (0: not
// PTP), one reserved byte, then the frame's bytes. Pebble compresses
// blocks with Snappy and checksums them.
//
// An incident's frames are numbered in the order they were saved, which is
// capture order except after a trigger that added a scope: that scope's
// earlier frames follow the ones already saved, starting a new run
// (Incident.Runs). ReadIncident and ExportIncident merge the runs, so
// readers always get capture order.
//
// # Durability
//
// Frame chunks are committed without waiting for the disk (pebble.NoSync)
// in batches of about 448 KiB, written at least every FlushInterval and
// synced every SyncInterval. Promises are synced: an incident's creation,
// its final state (in the same batch as its last frames: the write-ahead
// log is sequential, so everything before is durable too), deletions,
// metadata and configuration. A change to an incident's window is written
// ahead of the frames it admits. After a crash, Open marks every incident
// left recording incomplete and recounts its frames from what is stored,
// so an interrupted incident holds a prefix of its window and says so.
//
// # Marks
//
// A frame source that reads again after a crash what it delivered last
// (xdp/remote's collector) numbers its frames per origin (source.Marked).
// With Recorder.UseMarks the recorder carries each frame's mark (origin,
// run, per-origin sequence) through the hand-off with the frame, or alone
// in a short entry when nothing wants the frame, and stores under
// 'm' "mark/<origin>" (16 bytes: big-endian run, frame) the mark of the
// last frame that the archive holds once the batch is written, in that
// same batch: the marks of frames still in the archive's open chunk wait
// for it. Without an archive the marks follow every frame taken. Once the
// write-ahead log is synced the recorder tells the source (Stored), which
// may then move its own saved position; on start UseMarks hands the
// stored marks back (Resume), and the source discards frames at or below
// them. So across a crash (SIGKILL) of the process the archive holds every
// delivered frame once, in order. An incident a crash interrupts keeps the
// prefix it wrote, as without marks.
//
// # Retention
//
// Retention (every RetentionInterval) deletes incidents older than
// MaxAge, archived frames older than ArchiveMaxAge before the newest,
// the oldest archive beyond ArchiveMaxBytes, and the oldest of incidents
// and archive beyond MaxBytes, with range deletions, oldest first, never
// an incident being recorded. Sizes are Pebble's estimates of the disk
// space of each key range; space returns as Pebble compacts.
//
// # Disk trouble
//
// The store pauses writing when the disk is nearly full or a write fails,
// and fails for good on an error Pebble cannot continue from (see the
// store's package doc). Meanwhile the Recorder counts what it cannot
// store (and marks the incidents concerned incomplete), keeps draining
// its hand-off, and capture carries on in RAM. Damage the store reports
// is checked against the incidents: those whose frames cannot all be
// read back are marked (Incident.Damaged).
//
// # Concurrency
//
// A Store is safe for concurrent use. A Recorder's OnStored and Ingest
// must be called from one goroutine (the pipeline's reader); Trigger,
// TriggerAt, Sync and Stats from any goroutine while Run runs.
package dashcam
