package config

import (
	"fmt"
	"strings"

	"github.com/ptpwatch/ptpwatch/state/notify"
)

// setting documents one configuration key.
type setting struct {
	section, key string
	def          string // TOML literal
	reload       bool   // SIGHUP applies it without a restart
	doc          string
}

// settings lists every key in file order. The defaults here must equal
// Default(); a test parses -O's output to hold them together.
var settings = []setting{
	{"capture", "interfaces", "[]", false, "Interfaces to capture PTP on, e.g. [\"eth1\", \"eth2\"]. Empty: no live capture (use the demo network or a replay)."},
	{"capture", "method", `"auto"`, false, "How to capture: \"auto\" (AF_XDP where the driver allows and no local PTP daemon shares the interface, else AF_PACKET), \"af_xdp\" or \"af_packet\"."},
	{"capture", "segment", "0", false, "Network segment number assigned to traffic from these interfaces; keeps identical scopes of separate networks apart."},
	{"capture", "buffer_bytes", "268435456", false, "Byte limit of the RAM capture buffer; the oldest frames are evicted first. Default 256 MiB."},
	{"capture", "priority", "60", false, "SCHED_FIFO priority (1-99) of the capture threads, four per interface taking turns (so that the Go runtime's 10 ms preemption never stops the one reading), which only take frames from the kernel and hand them to the pipeline, so the kernel gets its buffers back at once however busy the CPU; the pipeline's decoding goroutine runs 5 below it (on a 2-vCPU host this kept AF_XDP lossless where it lost frames under normal scheduling; README, Benchmarks). Needs CAP_SYS_NICE, else the threads keep normal scheduling, the capture status says why, and auto takes AF_PACKET where AF_XDP has only copy mode. 0: normal scheduling, frames read in the pipeline's goroutine without a copy."},
	{"demo", "enabled", "false", false, "Run the built-in simulated PTP network as the frame source (the same as --demo)."},
	{"demo", "speed", "1.0", true, "Pace of the demo network relative to real time; 0 runs as fast as possible."},
	{"demo", "incidents", "true", false, "Let the demo network play scripted incidents (grandmaster failover, clockClass degradation, rogue master, ...) every few minutes."},
	{"demo", "seed", "1", false, "Seed of the demo network's randomness (jitter, Delay_Req timing)."},
	{"demo", "followers", "0", false, "Extra followers in the demo's domain-0 scope (each sends 4 Delay_Req/s and gets its Delay_Resp), to try the UI and API at scale, e.g. 10000."},
	{"replay", "file", `""`, false, "A pcap or pcapng file to replay as the frame source (the same as --replay)."},
	{"replay", "speed", "0.0", true, "Replay pace relative to the recorded time; 0 replays as fast as possible."},
	{"model", "shards", "1", false, "Number of model shards (scopes are spread over them by hash); one worker goroutine each."},
	{"model", "event_log_size", "100000", false, "Number of events kept in memory."},
	{"model", "state_terms", `"master-slave"`, true, "Words used for port states in the UI, spelt as the API's settings spell them: \"master-slave\", \"leader-follower\", \"transmitter-receiver\" (timeTransmitter/timeReceiver, as IEEE 1588g words them), or \"custom\" with master_term and slave_term (master/slave and leader/follower are accepted too). Settings saved through the API in the data directory win over this."},
	{"model", "master_term", `"Master"`, true, "With state_terms = \"custom\": the word for MASTER."},
	{"model", "slave_term", `"Slave"`, true, "With state_terms = \"custom\": the word for SLAVE."},
	{"http", "enabled", "true", false, "Serve plain HTTP on listen. Turn it off to serve HTTPS only."},
	{"http", "listen", `"127.0.0.1:8319"`, false, "Address of the web UI and REST API (the same as --http). Any address other than the loopback needs users or tokens configured."},
	{"http", "https", "false", false, "Serve HTTPS on https_listen, with cert_file and key_file or a generated self-signed ECDSA certificate. With HTTPS on, plain HTTP requests from other hosts are redirected to HTTPS (308) and basic authentication is never offered over plain HTTP; HTTPS answers carry Strict-Transport-Security; TLS 1.2 offers only ECDHE with AES-GCM or ChaCha20-Poly1305, TLS 1.3 as Go fixes it."},
	{"http", "https_listen", `"127.0.0.1:8443"`, false, "Address of HTTPS; any address other than the loopback needs users or tokens configured."},
	{"http", "cert_file", `""`, false, "PEM certificate (chain, leaf first) for HTTPS; give key_file with it. Empty: a self-signed certificate. SIGHUP re-reads the files."},
	{"http", "key_file", `""`, false, "PEM private key of cert_file."},
	{"http", "self_signed_dir", `""`, false, "Directory keeping the generated self-signed certificate across restarts; empty keeps it in memory (a new one each start)."},
	{"http", "cert_hosts", "[]", false, "Extra DNS names and addresses the self-signed certificate names (it always names localhost, the loopback addresses and the host name)."},
	{"http", "users", "[]", false, "Accounts for HTTP basic authentication, each \"NAME:ROLE:BCRYPT-HASH\" with ROLE read-only or admin; `ptpwatch passwd` prints a hash. Empty with no tokens: the API is open, which only the loopback allows."},
	{"http", "tokens", "[]", false, "Bearer tokens, each \"NAME:ROLE:SHA256-HEX\" of the token; `ptpwatch passwd --token` makes a token and its digest."},
	{"http", "allow", "[]", false, "Client address prefixes allowed to connect, e.g. [\"10.0.0.0/8\", \"::1/128\"]; empty allows every client. Connections from other addresses are closed as soon as they are accepted, without an answer."},
	{"http", "hosts", "[]", false, "Extra host names (or addresses) clients use to reach the appliance, e.g. [\"ptp.example.net\"] or a reverse proxy's name; \"*\" turns the check off. Requests whose Host header names none of these, a listen address, the loopback, the machine's host name, cert_hosts or (listening on 0.0.0.0 or ::) one of its addresses are refused with 421, which stops DNS rebinding; the port is not compared. These hosts are also trusted as the origin of writes on any port."},
	{"http", "max_request_bytes", "1048576", false, "Largest request body accepted, in bytes; larger requests get 413."},
	{"http", "max_conns", "0", false, "Most HTTP and HTTPS connections open at once; more are closed as soon as they are accepted (counted in /metrics). 0: half the process's open-file limit, at least 32 and at most 4096, leaving the rest for capture and the store."},
	{"http", "max_conns_per_client", "128", false, "Most connections open at once from one client address; more are closed as soon as they are accepted. Loopback clients (a local reverse proxy, for example) count only against max_conns."},
	{"http", "header_timeout", "10", false, "Seconds a client has for the TLS handshake and a request's header; slower connections are closed. The body then has 30 seconds."},
	{"http", "max_streams", "256", false, "Most live event streams (/api/v1/events/stream, the UI's live updates) open at once; more get 503."},
	{"http", "max_streams_per_client", "16", false, "Most live event streams open at once from one client address; more get 429."},
	{"http", "heavy_reads", "0", false, "Most API reads doing their work (building and encoding an answer, a slice of an event list or stream replay) at once; others wait their turn (503 after 20 s), so API load cannot take the CPU the frame path needs. 0: half the CPUs, at least 1."},
	{"metrics", "per_instance", "true", false, "Export the per-instance families on /metrics (ptpwatch_instance_*: port state, sequence counters, intervals, silence; ptpwatch_master_offset_seconds). Each instance adds about 25 series; on very large networks (tens of thousands of instances) set false to keep scrapes and Prometheus small: the per-scope and appliance families stay."},
	{"storage", "data_dir", `""`, false, "Directory for persistent data (dashcam recordings, metadata); empty keeps everything in memory (the same as --data)."},
	{"storage", "images_max", "1000", false, "Device images kept (in the store, or in memory without data_dir); more are refused with 409. Images are accepted only for devices seen on the network or given metadata."},
	{"storage", "images_max_bytes", "268435456", false, "Bytes of all device images together (default 256 MiB); uploads beyond get 409."},
	{"storage", "image_max_bytes", "1048576", false, "Bytes of one device image (default 1 MiB); larger uploads get 413. http.max_request_bytes bounds uploads too."},
	{"dashcam", "enabled", "true", false, "With storage.data_dir set, record the frames around each trigger event as an incident in the store (dashcam)."},
	{"dashcam", "triggers", `["Grandmaster Changed", "Port State Changed", "Grandmaster Quality Changed", "Master Silent"]`, false, "Event types that start (or extend) an incident; [] records only manual triggers (POST /api/v1/incidents)."},
	{"dashcam", "scopes", "[]", false, "Only events of these scopes trigger, e.g. [\"seg0 v2 domain 0 UDP/IPv4\"]; empty: every scope."},
	{"dashcam", "all_scopes", "false", false, "Record every scope's frames in an incident, not only the triggering scope's."},
	{"dashcam", "pre_seconds", "30", false, "Seconds recorded before a trigger, taken from the RAM capture buffer."},
	{"dashcam", "post_seconds", "30", false, "Seconds recorded after a trigger."},
	{"dashcam", "archive", "false", false, "Also write every frame to a continuous archive in the store."},
	{"dashcam", "archive_max_bytes", "0", false, "Disk space of the continuous archive, oldest deleted first; 0: bounded only by max_bytes."},
	{"dashcam", "archive_max_hours", "0", false, "Hours of capture the continuous archive keeps; 0: no age limit."},
	{"dashcam", "max_bytes", "0", false, "Disk space of incidents and archive together, oldest deleted first (never an incident still recording); 0: no limit beyond the free-space check."},
	{"dashcam", "max_days", "0", false, "Days an incident is kept; 0: until max_bytes needs the room."},
	{"fault", "enabled", "true", false, "Run the fault detectors (rogue master, contention, flapping, failover/outage, time properties, degradation): findings, health verdicts (GET /api/v1/health) and their events."},
	{"fault", "settle_seconds", "30", false, "Seconds a scope with no [[fault.scope]] entry is watched to learn its baseline (grandmasters, their quality) before it is judged."},
	{"fault", "clear_seconds", "10", false, "Seconds a finding's condition must be gone before the finding closes."},
	{"fault", "flap_changes", "3", false, "More grandmaster changes than this within flap_minutes in one scope is Grandmaster Flapping."},
	{"fault", "flap_minutes", "10", false, "The window of flap_changes, minutes."},
	{"fault", "utc_offset", "0", false, "The currentUtcOffset grandmasters must announce when they flag it valid; 0: the leap-second table's value at capture time."},
	{"fault", "leap_window_hours", "24", false, "Hours before a scheduled leap second in which leap59/leap61 may be announced."},
	{"fault", "leap_seconds", "[]", false, "Extra leap-second table rows, \"YYYY-MM-DD OFFSET\" (TAI-UTC from that day on), added to the shipped table (to 2017-01-01, 37 s)."},
	{"fault", "gap_threshold", "10", false, "More sequenceIds than this skipped by one port within a minute is Sequence Gaps (one lost message is normal life)."},
	{"fault", "duplicate_threshold", "5", false, "More repeated sequenceIds than this from one port within a minute is Duplicate Frames (a loop)."},
	{"fault", "missing_threshold", "5", false, "More two-step Sync without Follow_Up, or Delay_Req without Delay_Resp, than this for one port within a minute is Missing Follow_Up or Missing Delay_Resp."},
	{"fault", "domains", "[]", false, "PTP domains expected to exist; a scope in another is an Unexpected Scope. Empty: any. Expected grandmasters per scope go in [[fault.scope]] tables: match = \"seg0 v2 domain 0 *\" and [[fault.scope.grandmaster]] identity = \"ec4670.fffe.00a101\", optional priority1 and clock_class; a [[fault.scope]] may also set profile and announce_interval, sync_interval, delay_req_interval = [min, max] (log2 s). Scopes that should share one grandmaster and time properties go in [[fault.agree]] tables: name and scopes = [patterns]. PUT /api/v1/health/topology replaces domains, utc_offset, profile, scopes and agree at run time (kept in the data directory)."},
	{"fault", "profile", "\"\"", false, "PTP profile whose logMessageInterval ranges every scope is held to (Interval Out Of Profile): default, g8275.1, g8275.2, smpte2059-2; empty: intervals not judged."},
	{"fault", "offset_step_ns", "100000", false, "A master check sample whose offset differs from the median of the 9 before by more than this, 3 samples in a row, is a Master Offset Step; 0: off."},
	{"fault", "delay_jump_ns", "50000", false, "The same for the master check's mean path delay: Path Delay Jump; 0: off."},
	{"notify", "max_queue", "100000", true, "Notifications each channel's outbox holds (in the store with storage.data_dir, else in memory); more are refused, counted, logged and raised as a Notifications Lost event."},
	{"notify", "max_age_hours", "168", true, "Hours a notification may wait for its receiver; older ones are dropped, counted and raised as Notifications Lost."},
	{"notify", "max_backoff_seconds", "300", true, "Longest wait between retries of a failing channel (the first retry comes after a second, then twice as long each time)."},
	{"notify", "ui_url", `""`, true, "Base URL of this appliance's web UI as receivers reach it, e.g. \"https://ptp.example.net:8443\"; notifications link to the event there. Empty: no links."},
	{"notify", "heartbeat_minutes", "0", true, "Send a heartbeat notification on every channel this often, so a receiver notices silence; 0: never."},
	{"log", "level", `"info"`, true, "Log level: debug, info, warn or error."},
	{"log", "format", `"text"`, false, "Log format: text or json."},
	{"log", "stats_interval", "60", true, "Seconds between summary lines in the log; 0 turns them off."},
}

// DefaultText is the complete commented default configuration that
// -O prints.
func DefaultText() string {
	var b strings.Builder
	b.WriteString("# ptpwatch configuration. Every key is shown with its default.\n")
	b.WriteString("# Keys marked (reload) take effect on SIGHUP; the others need a restart.\n")
	section := ""
	for _, s := range settings {
		if s.section != section {
			section = s.section
			fmt.Fprintf(&b, "\n[%s]\n", section)
		}
		doc := s.doc
		if s.reload {
			doc += " (reload)"
		}
		for _, line := range wrap(doc, 76) {
			fmt.Fprintf(&b, "# %s\n", line)
		}
		fmt.Fprintf(&b, "%s = %s\n", s.key, s.def)
	}
	b.WriteString("\n" + notify.ConfigText())
	b.WriteString(alarmConfigText)
	return b.String()
}

func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// Explain describes SECTION:KEY, as -e prints it.
func Explain(name string) (string, error) {
	sec, key, ok := strings.Cut(name, ":")
	if !ok {
		return "", fmt.Errorf("explain %q: want SECTION:KEY, such as capture:method", name)
	}
	for _, s := range settings {
		if s.section == sec && s.key == key {
			reload := "needs a restart"
			if s.reload {
				reload = "applied on SIGHUP"
			}
			return fmt.Sprintf("%s:%s (default %s, %s)\n%s\n", sec, key, s.def, reload, s.doc), nil
		}
	}
	if table, ok := strings.CutPrefix(sec, "notify."); ok {
		if doc, ok := notify.Explain(table, key); ok {
			return doc, nil
		}
	}
	return "", fmt.Errorf("explain %q: no such setting (ptpwatch -O lists them all)", name)
}

// alarmConfigText documents the [[alarm]] tables at the end of -O.
const alarmConfigText = `
# Custom alarms: an array of tables, none by default. Each watches the
# value at an API path ('*' for every key: one alarm instance per match),
# fires a Custom Alarm Triggered event when its condition has held for
# hold_seconds and a Custom Alarm Cleared event when its clear condition
# holds (default: the condition no longer holds, past the hysteresis for
# <, <=, >, >=). GET /api/v1/alarms lists them, POST
# /api/v1/alarms/NAME/ack {"path": ..., "note": ...} acknowledges one.
#
# [[alarm]]
# name = "gm-class"
# path = "/api/v1/scopes/*/grandmaster/clockClass"
# condition = { op = ">", value = "6" }   # ==, !=, <, <=, >, >=, absent, unchanged (with seconds = N)
# clear = { op = "<=", value = "6" }      # optional
# hysteresis = 0.0
# hold_seconds = 10.0
# severity = "critical"                   # info, notice, warning (default), critical
# text = "grandmaster lost its time reference"
`
