// Package store is the appliance's one Pebble database under --data. It
// owns the database, its key families, its handling of a full or failing
// disk and of damaged files, and the general records: device metadata
// and images, configuration records (the UI settings), the event log,
// and the file naming the API of the appliance holding the store.
// Layers keep their own records on top of it in families of their own:
// state/dashcam its incidents and continuous archive; state/notify its outbox,
// state/alarm its definitions; state/manage its nodes, sweep summary and
// master-check series; forwarding state is to follow.
//
// # Ownership
//
// The appliance opens one [Store] ([Open]) and hands it to each layer
// (dashcam.New); it closes the store after every layer has stopped. Each
// layer writes only keys of the families it owns (see Keys) and bounds
// every iterator to them. A layer's periodic work (retention) and its
// answer to damage run on the store's maintenance goroutine, registered
// with [Store.Maintain].
//
// # Keys
//
// One byte of prefix per family ([Family]); integers big-endian so that
// bytes.Compare order is numeric order, timestamps offset by 2^63
// ([TimeKey]) so that negative times sort first.
//
//	'a' time(8) seq(8)   archive chunk: frames whose first was captured at time (state/dashcam)
//	'c' name             configuration record, such as "http.settings" (JSON)
//	'd' id 0x00 'm'      device metadata (opaque, JSON by convention)
//	'd' id 0x00 'i'      device image: content type, 0x00, bytes
//	'e' seq(8)           event log entry (JSON state.Event; Seq is the store's)
//	'f' id(8) seq(8)     incident frame chunk (state/dashcam)
//	'g' kind 0x00 name   management data: nodes, the last sweep, master-check series (state/manage)
//	'i' id(8)            incident description (state/dashcam)
//	'l' kind 0x00 name   alarm definitions and instance states (state/alarm)
//	'm' name             the layers' bookkeeping ("archive-floor", "interfaces")
//	'o' chan 0x00 seq(8) a notification waiting for delivery on a channel (state/notify)
//	't' name             the expected topology set through the API, "expected" (JSON, state/fault)
//
// A new kind of record takes an unused byte: add it to the Family
// constants with its layout and owner, and a line here.
//
// Beside the database, the file appliance.api names the API of the
// appliance holding the store ([Store.RecordAPI], [RecordedAPI]): a key
// cannot be read while that appliance holds the store's lock, which is
// when tools (ptpwatch export) need it.
//
// # Invariants
//
// Writes go through [Store.Write] or [Store.SyncWAL], never to Pebble
// directly: they are refused with [ErrPaused] while disk trouble pauses
// the store and with [ErrFailed] once it has failed, so a layer never
// half-writes into a store that cannot take it. General records are
// synced before their Put returns; events are not (a crash may lose the
// last, never tear one). The event log keeps the newest
// Options.EventsKept entries; their sequence numbers go on counting
// across restarts.
//
// # Disk trouble
//
// Every CheckInterval the store compares free space with MinFreeBytes; a
// ballast file (BallastBytes) is deleted when a write nevertheless meets
// ENOSPC, so that Pebble can finish it. Either way writing pauses:
// OnTrouble is called, writes fail with ErrPaused, and the layers carry
// on in memory (the recorder counts what it cannot store). When free
// space returns and the ballast is back, writing resumes and OnRecovered
// is called.
//
// Other write failures (EIO from a failing disk) Pebble cannot continue
// from: it reports them through its Logger's Fatalf and expects the
// process to end. The store ends only Pebble's part instead (see
// fatalLogger): it is marked failed, OnTrouble is called, every operation
// returns ErrFailed without touching Pebble again, and capture carries on
// in RAM. Opening the store again, at the next start, recovers what
// reached the disk.
//
// # Damage
//
// A damaged file (a flipped bit, an overwritten block) is found when
// Pebble reads it, or by Open in the newest write-ahead log. It is
// reported once per file (log, Options.OnDamage, then each layer's
// Maintenance.Damaged with the key range it held); reads of what it held
// return a *[CorruptionError] matching [ErrCorrupt]. Damage does not
// pause writing: only what the damaged part held is lost.
//
// # Concurrency
//
// A Store is safe for concurrent use. OnTrouble, OnRecovered, OnDamage and
// the layers' Maintenance run on store goroutines and must not call
// Close.
package store
