// Package notify delivers the model's events to people and systems
// outside the appliance: webhooks, syslog (RFC 5424 over UDP, TCP and
// TLS), e-mail (SMTP) and SNMP traps and INFORMs, through a persistent
// outbox so that a receiver that is down, or a restart of ptpwatch, loses
// nothing.
//
// # Flow
//
// A [Notifier] reads the EventLog by sequence number (its subscription is
// only a wake-up, so a busy moment cannot make it miss an event), passes
// each event through every channel's [Filter] and de-duplication, and
// writes what passes to that channel's outbox in the store (one synced
// write per channel per wake-up). Each channel has one delivery worker:
// it takes the oldest entries, waits for the channel's rate limit, sends
// them, and deletes them from the outbox once the receiver has them.
//
// # Invariants
//
//   - An entry leaves the outbox only when delivered, expired (older than
//     Options.MaxAge) or, on a channel that cannot tell delivery
//     (UDP syslog, SNMP traps), just before its one attempt: exactly
//     one delivery per event and channel where the protocol acknowledges
//     (webhook 2xx, SMTP, TCP/TLS syslog, INFORM) unless the process dies
//     between the acknowledgement and the synced delete, at most one
//     where it does not. Receivers can drop the rare repeat by the
//     notification's ID ("channel/seq"), which every channel carries.
//   - An outbox holds at most Options.MaxQueue entries per channel; more
//     are refused, counted (ChannelStatus.Overflow), logged and raised
//     as a Notifications Lost event (at most once a minute per channel).
//   - When a channel's backlog reaches its DigestAfter, the worker sends
//     up to DigestMax entries as one digest (one mail for 10,000 Device
//     Detected), which counts as the delivery of every entry in it.
//   - Failed sends are retried with exponential backoff from
//     Options.MinBackoff to Options.MaxBackoff, in order: a channel
//     never reorders its notifications.
//   - Secrets (passwords, keys, webhook secrets) live only in the
//     senders; ChannelStatus and log lines never carry them.
//   - Apply (SIGHUP's Reload) changes a channel only while its worker is
//     stopped, and keeps its outbox mirror and sequence numbers: a reload
//     neither loses nor repeats what waits.
//
// # Active alarms
//
// Every event published also passes [ActiveAlarms], which keeps the
// conditions raised and not cleared; an [Agent] serves them to SNMP
// managers as PTPWATCH-MIB's ptpwatchActiveAlarmTable.
//
// # Concurrency
//
// A Notifier is safe for concurrent use; Run starts one goroutine for
// the event reader and one per channel.
package notify
